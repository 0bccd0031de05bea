"""Fused Adamax: the operations of :func:`adamlab.optim.adamax.adamax_update`.

1. ``g = -g`` if maximize; ``g = g + wd * p`` (L2);
2. ``m = m * beta1 + (1 - beta1) * g``;
3. ``u = maximum(u * beta2, |g| + eps)`` (NaN-propagating, as ``np.maximum``);
4. ``p = p - (m / u) * (lr / bc1)``.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import (
    BASE_KEYS,
    BLOCK,
    PARALLEL_THRESHOLD,
    known_keys,
    parallel,
    serial,
    uniform,
    write_scalars,
)

KEYS = BASE_KEYS | {"maximize"}


@serial
def _adamax_block(p, g, m, u, coef, maximize, l2):
    beta1 = coef[0]
    one_minus_beta1 = coef[1]
    beta2 = coef[2]
    decay = coef[3]
    eps = coef[4]
    step_size = coef[5]
    for i in range(p.size):
        gi = g[i]
        pi = p[i]
        if maximize:
            gi = -gi
        if l2:
            gi = gi + decay * pi
        mi = m[i] * beta1
        mi = mi + one_minus_beta1 * gi
        m[i] = mi
        a = np.abs(gi)
        a = a + eps
        ui = u[i] * beta2
        if not (ui >= a or ui != ui):
            ui = a
        u[i] = ui
        q = mi / ui
        q = q * step_size
        p[i] = pi - q


@serial
def adamax_serial(p, g, m, u, coef, maximize, l2):
    """One Adamax step over 1-D arrays, on one thread."""
    _adamax_block(p, g, m, u, coef, maximize, l2)


@parallel
def adamax_parallel(p, g, m, u, coef, maximize, l2):
    """One Adamax step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _adamax_block(p[lo:hi], g[lo:hi], m[lo:hi], u[lo:hi], coef, maximize, l2)


def adamax_group_step(
    group: dict,
    flat_param: NDArray,
    flat_grad: NDArray,
    flat_state: dict[str, NDArray],
    states: list[dict],
) -> bool:
    """Advance a whole :class:`~adamlab.optim.Adamax` group with one kernel call."""
    if not known_keys(group, KEYS) or not uniform(states, "beta1_product"):
        return False
    beta1, beta2 = group["betas"]
    step = states[0]["step"] + 1
    beta1_product = states[0]["beta1_product"] * beta1
    weight_decay = group["weight_decay"]
    coef = np.array(
        (
            beta1,
            1.0 - beta1,
            beta2,
            weight_decay,
            group["eps"],
            group["lr"] / (1.0 - beta1_product),
        ),
        dtype=flat_param.dtype,
    )
    big = flat_param.size >= PARALLEL_THRESHOLD
    kernel = adamax_parallel if big else adamax_serial
    kernel(
        flat_param,
        flat_grad,
        flat_state["exp_avg"],
        flat_state["exp_inf"],
        coef,
        group["maximize"],
        weight_decay != 0.0,
    )
    write_scalars(states, {"step": step, "beta1_product": beta1_product})
    return True
