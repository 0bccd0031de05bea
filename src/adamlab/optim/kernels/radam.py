"""Fused RAdam: the operations of :func:`adamlab.optim.radam.radam_update`, per element.

1. ``g = -g`` if maximize; L2 or decoupled weight decay;
2. ``m = m * beta1 + (1 - beta1) * g``; ``v = v * beta2 + (g * g) * (1 - beta2)``;
3. rectified step: ``p = p - (m / (sqrt(v) + eps)) * (lr r_t sqrt(bc2) / bc1)``;
   otherwise ``p = p - m * (lr / bc1)``.
"""

from __future__ import annotations

import math

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

KEYS = BASE_KEYS | {"rectify_threshold", "maximize", "decoupled_weight_decay"}


@serial
def _radam_block(p, g, m, v, coef, maximize, mode, rectified):
    eps = coef[5]
    step_size = coef[6]
    for i in range(p.size):
        gi, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, mode)
        m[i] = mi
        v[i] = vi
        if rectified:
            d = np.sqrt(vi)
            d = d + eps
            u = mi / d
            u = u * step_size
        else:
            u = mi * step_size
        p[i] = pi - u


@serial
def radam_serial(p, g, m, v, coef, maximize, mode, rectified):
    """One RAdam step over 1-D arrays, on one thread."""
    _radam_block(p, g, m, v, coef, maximize, mode, rectified)


@parallel
def radam_parallel(p, g, m, v, coef, maximize, mode, rectified):
    """One RAdam step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _radam_block(
            p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], coef, maximize, mode, rectified
        )


def radam_group_step(
    group: dict,
    flat_param: NDArray,
    flat_grad: NDArray,
    flat_state: dict[str, NDArray],
    states: list[dict],
) -> bool:
    """Advance a whole :class:`~adamlab.optim.RAdam` group with one kernel call."""
    from adamlab.optim.radam import radam_rectification

    if not known_keys(group, KEYS) or not uniform(states, "beta1_product"):
        return False
    beta1, beta2 = group["betas"]
    lr = group["lr"]
    weight_decay = group["weight_decay"]
    mode = decay_mode(weight_decay, group["decoupled_weight_decay"])
    step = states[0]["step"] + 1
    beta1_product = states[0]["beta1_product"] * beta1
    bc1 = 1.0 - beta1_product
    bc2 = 1.0 - beta2**step
    _, rectification = radam_rectification(beta2, step, group["rectify_threshold"])
    if rectification is None:
        step_size = lr / bc1
    else:
        step_size = lr * rectification * math.sqrt(bc2) / bc1
    coef = np.array(
        (
            beta1,
            1.0 - beta1,
            beta2,
            1.0 - beta2,
            1.0 - lr * weight_decay if mode == 2 else weight_decay,
            group["eps"],
            step_size,
        ),
        dtype=flat_param.dtype,
    )
    kernel = radam_parallel if flat_param.size >= PARALLEL_THRESHOLD else radam_serial
    kernel(
        flat_param,
        flat_grad,
        flat_state["exp_avg"],
        flat_state["exp_avg_sq"],
        coef,
        group["maximize"],
        mode,
        rectification is not None,
    )
    write_scalars(states, {"step": step, "beta1_product": beta1_product})
    return True
