"""Fused NAdam: the operations of :func:`adamlab.optim.nadam.nadam_update`, per element.

1. ``g = -g`` if maximize; L2 or decoupled weight decay;
2. ``m = m * beta1 + (1 - beta1) * g``; ``v = v * beta2 + (g * g) * (1 - beta2)``;
3. ``d = sqrt(v / bc2) + eps``;
4. ``p = p - (g / d) * c_g``, then ``p = p - (m / d) * c_m``, with
   ``c_g = lr (1 - mu_t) / (1 - P_t)`` and ``c_m = lr mu_{t+1} / (1 - P_t
   mu_{t+1})`` computed in float64 and cast.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import (
    BASE_KEYS,
    BLOCK,
    PARALLEL_THRESHOLD,
    decay_mode,
    known_keys,
    moments,
    parallel,
    serial,
    uniform,
    write_scalars,
)

KEYS = BASE_KEYS | {"momentum_decay", "maximize", "decoupled_weight_decay"}


@serial
def _nadam_block(p, g, m, v, coef, maximize, mode):
    bc2 = coef[5]
    eps = coef[6]
    grad_size = coef[7]
    momentum_size = coef[8]
    for i in range(p.size):
        gi, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, mode)
        m[i] = mi
        v[i] = vi
        d = vi / bc2
        d = np.sqrt(d)
        d = d + eps
        u = gi / d
        u = u * grad_size
        pi = pi - u
        u = mi / d
        u = u * momentum_size
        p[i] = pi - u


@serial
def nadam_serial(p, g, m, v, coef, maximize, mode):
    """One NAdam step over 1-D arrays, on one thread."""
    _nadam_block(p, g, m, v, coef, maximize, mode)


@parallel
def nadam_parallel(p, g, m, v, coef, maximize, mode):
    """One NAdam step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _nadam_block(p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], coef, maximize, mode)


def nadam_group_step(
    group: dict,
    flat_param: NDArray,
    flat_grad: NDArray,
    flat_state: dict[str, NDArray],
    states: list[dict],
) -> bool:
    """Advance a whole :class:`~adamlab.optim.NAdam` group with one kernel call."""
    from adamlab.optim.nadam import nadam_momentum

    if not known_keys(group, KEYS) or not uniform(states, "mu_product"):
        return False
    beta1, beta2 = group["betas"]
    lr = group["lr"]
    weight_decay = group["weight_decay"]
    mode = decay_mode(weight_decay, group["decoupled_weight_decay"])
    step = states[0]["step"] + 1
    mu = nadam_momentum(beta1, group["momentum_decay"], step)
    mu_next = nadam_momentum(beta1, group["momentum_decay"], step + 1)
    mu_product = states[0]["mu_product"] * mu
    coef = np.array(
        (
            beta1,
            1.0 - beta1,
            beta2,
            1.0 - beta2,
            1.0 - lr * weight_decay if mode == 2 else weight_decay,
            1.0 - beta2**step,
            group["eps"],
            lr * (1.0 - mu) / (1.0 - mu_product),
            lr * mu_next / (1.0 - mu_product * mu_next),
        ),
        dtype=flat_param.dtype,
    )
    kernel = nadam_parallel if flat_param.size >= PARALLEL_THRESHOLD else nadam_serial
    kernel(
        flat_param,
        flat_grad,
        flat_state["exp_avg"],
        flat_state["exp_avg_sq"],
        coef,
        group["maximize"],
        mode,
    )
    write_scalars(states, {"step": step, "mu_product": mu_product})
    return True
