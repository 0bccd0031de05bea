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
    moments,
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
def _apply(pi, mi, s, eps, alpha, lower, upper, sqrt_t, paper):
    # Steps 4-5: the clipped rate from s (v or v_max), then the new parameter.
    r = np.sqrt(s)
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
    return pi - r


@serial
def _adabound_loop(p, g, m, v, coef, maximize, mode, paper):
    # Scalars read once, before the loop: loads inside it could not be hoisted
    # past the stores (coef might alias an array) and would block vectorization.
    eps, alpha, lower, upper, sqrt_t = coef[5], coef[6], coef[7], coef[8], coef[9]
    for i in range(p.size):
        _, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, mode)
        m[i] = mi
        v[i] = vi
        p[i] = _apply(pi, mi, vi, eps, alpha, lower, upper, sqrt_t, paper)


@serial
def _adabound_block(p, g, m, v, coef, maximize, mode, paper):
    # One loop per variant, with ``paper`` a constant: as a variable, LLVM
    # turns its branch into a select and divides every element by sqrt_t.
    if paper:
        _adabound_loop(p, g, m, v, coef, maximize, mode, True)
    else:
        _adabound_loop(p, g, m, v, coef, maximize, mode, False)


@serial
def _amsbound_block(p, g, m, v, vmax, coef, maximize, mode, paper):
    if paper:
        _amsbound_loop(p, g, m, v, vmax, coef, maximize, mode, True)
    else:
        _amsbound_loop(p, g, m, v, vmax, coef, maximize, mode, False)


@serial
def _amsbound_loop(p, g, m, v, vmax, coef, maximize, mode, paper):
    eps, alpha, lower, upper, sqrt_t = coef[5], coef[6], coef[7], coef[8], coef[9]
    for i in range(p.size):
        _, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, mode)
        m[i] = mi
        v[i] = vi
        top = vmax[i]
        if not (top >= vi or top != top):
            top = vi
        vmax[i] = top
        p[i] = _apply(pi, mi, top, eps, alpha, lower, upper, sqrt_t, paper)


@serial
def adabound_serial(p, g, m, v, coef, maximize, mode, paper):
    """One AdaBound step over 1-D arrays, on one thread."""
    _adabound_block(p, g, m, v, coef, maximize, mode, paper)


@parallel
def adabound_parallel(p, g, m, v, coef, maximize, mode, paper):
    """One AdaBound step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _adabound_block(
            p[lo:hi], g[lo:hi], m[lo:hi], v[lo:hi], coef, maximize, mode, paper
        )


@serial
def amsbound_serial(p, g, m, v, vmax, coef, maximize, mode, paper):
    """One AMSBound step over 1-D arrays, on one thread."""
    _amsbound_block(p, g, m, v, vmax, coef, maximize, mode, paper)


@parallel
def amsbound_parallel(p, g, m, v, vmax, coef, maximize, mode, paper):
    """One AMSBound step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _amsbound_block(
            p[lo:hi],
            g[lo:hi],
            m[lo:hi],
            v[lo:hi],
            vmax[lo:hi],
            coef,
            maximize,
            mode,
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
    arrays = (flat_param, flat_grad, flat_state["exp_avg"], flat_state["exp_avg_sq"])
    flags = (group["maximize"], mode, paper)
    if vmax is None:
        kernel = adabound_parallel if big else adabound_serial
        kernel(*arrays, coef, *flags)
    else:
        kernel = amsbound_parallel if big else amsbound_serial
        kernel(*arrays, vmax, coef, *flags)
    write_scalars(states, {"step": step, "beta1_product": beta1_product})
    return True
