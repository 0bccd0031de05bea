"""Fused AdaBound / AMSBound: the operations of ``adabound_update``, per element.

1. ``g = -g`` if maximize; L2, or decoupled ``p = p * (1 - wd lr / lr_0)``;
2. ``m = m * beta1 + (1 - beta1) * g``; ``v = v * beta2 + (g * g) * (1 - beta2)``;
3. AMSBound: ``v_max = maximum(v_max, v)`` replaces ``v``;
4. ``r = clip(alpha / (sqrt(v) + eps), lower, upper)`` (NaN-propagating, as
   ``np.clip``), divided by ``sqrt(t)`` in the paper's variant;
5. ``p = p - r * m``.
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
    parallel,
    serial,
    uniform,
    write_scalars,
)

KEYS = BASE_KEYS | {
    "final_lr",
    "gamma",
    "amsbound",
    "maximize",
    "variant",
    "decoupled_weight_decay",
}


@serial
def _adabound_block(p, g, m, v, vmax, coef, maximize, mode, amsbound, paper):
    beta1 = coef[0]
    one_minus_beta1 = coef[1]
    beta2 = coef[2]
    one_minus_beta2 = coef[3]
    decay = coef[4]
    eps = coef[5]
    alpha = coef[6]
    lower = coef[7]
    upper = coef[8]
    sqrt_t = coef[9]
    for i in range(p.size):
        gi = g[i]
        pi = p[i]
        if maximize:
            gi = -gi
        if mode == 1:
            gi = gi + decay * pi
        elif mode == 2:
            pi = pi * decay
        mi = m[i] * beta1
        mi = mi + one_minus_beta1 * gi
        m[i] = mi
        sq = gi * gi
        sq = sq * one_minus_beta2
        vi = v[i] * beta2
        vi = vi + sq
        v[i] = vi
        if amsbound:
            top = vmax[i]
            if not (top >= vi or top != top):
                top = vi
            vmax[i] = top
            vi = top
        r = np.sqrt(vi)
        r = r + eps
        r = alpha / r
        # np.clip: maximum with lower, then minimum with upper, NaN kept.
        if not (r != r or r > lower):
            r = lower
        if not (r != r or r < upper):
            r = upper
        if paper:
            r = r / sqrt_t
        r = r * mi
        p[i] = pi - r


@serial
def adabound_serial(p, g, m, v, vmax, coef, maximize, mode, amsbound, paper):
    """One AdaBound step over 1-D arrays, on one thread."""
    _adabound_block(p, g, m, v, vmax, coef, maximize, mode, amsbound, paper)


@parallel
def adabound_parallel(p, g, m, v, vmax, coef, maximize, mode, amsbound, paper):
    """One AdaBound step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _adabound_block(
            p[lo:hi],
            g[lo:hi],
            m[lo:hi],
            v[lo:hi],
            vmax[lo:hi],
            coef,
            maximize,
            mode,
            amsbound,
            paper,
        )


def adabound_group_step(
    group: dict,
    flat_param: NDArray,
    flat_grad: NDArray,
    flat_state: dict[str, NDArray],
    states: list[dict],
) -> bool:
    """Advance a whole :class:`~adamlab.optim.AdaBound` group with one kernel call."""
    from adamlab.optim.adabound import adabound_bounds

    if not known_keys(group, KEYS) or not uniform(states, "beta1_product"):
        return False
    beta1, beta2 = group["betas"]
    lr = group["lr"]
    initial_lr = group["initial_lr"]
    weight_decay = group["weight_decay"]
    mode = decay_mode(weight_decay, group["decoupled_weight_decay"])
    step = states[0]["step"] + 1
    beta1_product = states[0]["beta1_product"] * beta1
    paper = group["variant"] != "code"
    if paper:
        alpha = lr
    else:
        alpha = lr * math.sqrt(1.0 - beta2**step) / (1.0 - beta1_product)
    lower, upper = adabound_bounds(
        final_lr=group["final_lr"],
        lr=lr,
        initial_lr=initial_lr,
        gamma=group["gamma"],
        step=step,
    )
    decay = weight_decay
    if mode == 2:
        decay = 1.0 - weight_decay * (lr / initial_lr)
    coef = np.array(
        (
            beta1,
            1.0 - beta1,
            beta2,
            1.0 - beta2,
            decay,
            group["eps"],
            alpha,
            lower,
            upper,
            math.sqrt(step),
        ),
        dtype=flat_param.dtype,
    )
    vmax = flat_state.get("max_exp_avg_sq")
    big = flat_param.size >= PARALLEL_THRESHOLD
    kernel = adabound_parallel if big else adabound_serial
    kernel(
        flat_param,
        flat_grad,
        flat_state["exp_avg"],
        flat_state["exp_avg_sq"],
        flat_state["exp_avg_sq"] if vmax is None else vmax,
        coef,
        group["maximize"],
        mode,
        vmax is not None,
        paper,
    )
    write_scalars(states, {"step": step, "beta1_product": beta1_product})
    return True
