"""Fused Adam / AdamW / AMSGrad: one pass over parameters, gradients and moments.

Each element goes through the operations of :func:`adamlab.optim.adam.adam_update`
in its order and dtype (the scalars arrive already cast, in ``coef``), so the
result is bit-identical to the NumPy reference, for every convention switch:

1. ``g = -g`` if maximize; ``g = g + wd * p`` (L2) or ``p = p * (1 - rate wd)``
   (decoupled, ``rate`` = lr or lr / initial_lr);
2. ``m = m * beta1 + (1 - beta1) * g``;
3. ``v = v * beta2 + (g * g) * (1 - beta2)``;
4. AMSGrad: ``v_max = maximum(v_max, v)`` (raw) or ``maximum(v_max, v / bc2)``
   (corrected), NaN-propagating as ``np.maximum``;
5. denominator: ``sqrt(s) * (1 / sqrt(bc2)) + eps`` (outside), ``sqrt(s) + eps``
   (hat), or ``sqrt(s / bc2 + eps_root) + eps`` (root; ``s`` already corrected
   under corrected AMSGrad);
6. ``p = p - (m / d) * step_size``.
"""

from __future__ import annotations

import math
from operator import itemgetter

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import (
    BLOCK,
    PARALLEL_THRESHOLD,
    moments,
    parallel,
    serial,
    write_scalars,
)

#: Weight-decay modes.
NO_DECAY, L2_DECAY, DECOUPLED_DECAY = 0, 1, 2
#: AMSGrad modes.
NO_AMSGRAD, AMSGRAD_RAW, AMSGRAD_CORRECTED = 0, 1, 2
#: Denominator forms.
EPS_OUTSIDE, EPS_HAT, EPS_ROOT = 0, 1, 2


@serial
def _nan_maximum(a, b):
    # np.maximum: the first argument if it is >= the second or NaN.
    if a >= b or a != a:
        return a
    return b


@serial
def _apply(pi, mi, s, coef, ams_mode, denom_mode):
    # Steps 5-6: the denominator from s (v or v_max) and the new parameter.
    if denom_mode == 0:
        d = np.sqrt(s)
        d = d * coef[5]
    elif denom_mode == 1:
        d = np.sqrt(s)
    else:
        d = s if ams_mode == 2 else s / coef[8]
        d = d + coef[9]
        d = np.sqrt(d)
    d = d + coef[6]
    u = mi / d
    u = u * coef[7]
    return pi - u


@serial
def _adam_loop(p, g, m, v, coef, maximize, decay_mode, denom_mode):
    # Without AMSGrad: no fourth array, so nothing aliases and LLVM vectorizes.
    for i in range(p.size):
        _, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, decay_mode)
        m[i] = mi
        v[i] = vi
        p[i] = _apply(pi, mi, vi, coef, 0, denom_mode)


@serial
def _adam_block(p, g, m, v, coef, maximize, decay_mode, denom_mode):
    # One loop per denominator form, each with the form as a constant. With
    # the form a variable, LLVM turns the branches into selects and computes
    # the square roots and divisions of both forms for every element.
    if denom_mode == 0:
        _adam_loop(p, g, m, v, coef, maximize, decay_mode, 0)
    elif denom_mode == 1:
        _adam_loop(p, g, m, v, coef, maximize, decay_mode, 1)
    else:
        _adam_loop(p, g, m, v, coef, maximize, decay_mode, 2)


@serial
def _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, ams_mode, denom_mode):
    for i in range(p.size):
        _, pi, mi, vi = moments(g[i], p[i], m[i], v[i], coef, maximize, decay_mode)
        m[i] = mi
        v[i] = vi
        if ams_mode == 1:
            s = _nan_maximum(vmax[i], vi)
        else:
            s = _nan_maximum(vmax[i], vi / coef[8])
        vmax[i] = s
        p[i] = _apply(pi, mi, s, coef, ams_mode, denom_mode)


@serial
def _amsgrad_block(p, g, m, v, vmax, coef, maximize, decay_mode, ams_mode, denom_mode):
    # As _adam_block: each (AMSGrad form, denominator form) pair as constants.
    if ams_mode == 1:
        if denom_mode == 0:
            _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 1, 0)
        elif denom_mode == 1:
            _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 1, 1)
        else:
            _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 1, 2)
    elif denom_mode == 0:
        _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 2, 0)
    elif denom_mode == 1:
        _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 2, 1)
    else:
        _amsgrad_loop(p, g, m, v, vmax, coef, maximize, decay_mode, 2, 2)


@serial
def adam_serial(p, g, m, v, coef, maximize, decay_mode, denom_mode):
    """One Adam step over 1-D arrays, on one thread."""
    _adam_block(p, g, m, v, coef, maximize, decay_mode, denom_mode)


@parallel
def adam_parallel(p, g, m, v, coef, maximize, decay_mode, denom_mode):
    """One Adam step over 1-D arrays, blocks of ``BLOCK`` elements in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        # Slices, not offset indices: indices from 0 let LLVM vectorize the loop.
        _adam_block(
            p[lo:hi],
            g[lo:hi],
            m[lo:hi],
            v[lo:hi],
            coef,
            maximize,
            decay_mode,
            denom_mode,
        )


@serial
def amsgrad_serial(p, g, m, v, vmax, coef, maximize, decay_mode, ams_mode, denom_mode):
    """One AMSGrad step over 1-D arrays, on one thread."""
    _amsgrad_block(p, g, m, v, vmax, coef, maximize, decay_mode, ams_mode, denom_mode)


@parallel
def amsgrad_parallel(
    p, g, m, v, vmax, coef, maximize, decay_mode, ams_mode, denom_mode
):
    """One AMSGrad step over 1-D arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _amsgrad_block(
            p[lo:hi],
            g[lo:hi],
            m[lo:hi],
            v[lo:hi],
            vmax[lo:hi],
            coef,
            maximize,
            decay_mode,
            ams_mode,
            denom_mode,
        )


def adam_step(
    param: NDArray,
    grad: NDArray,
    exp_avg: NDArray,
    exp_avg_sq: NDArray,
    max_exp_avg_sq: NDArray | None,
    coef: NDArray,
    *,
    maximize: bool,
    decay_mode: int,
    ams_mode: int,
    denom_mode: int,
) -> None:
    """Run the fused Adam kernel on 1-D float32/float64 arrays of one size.

    ``coef`` holds, cast to the arrays' dtype: beta1, 1 - beta1, beta2,
    1 - beta2, the decay factor (``weight_decay`` for L2, ``1 - rate *
    weight_decay`` decoupled), 1 / sqrt(bc2), eps, the step size, bc2 and eps_root.
    The modes are this module's ``*_DECAY``, ``AMSGRAD_*`` and ``EPS_*``.
    """
    big = param.size >= PARALLEL_THRESHOLD
    if max_exp_avg_sq is None:
        kernel = adam_parallel if big else adam_serial
        kernel(param, grad, exp_avg, exp_avg_sq, coef, maximize, decay_mode, denom_mode)
        return
    kernel = amsgrad_parallel if big else amsgrad_serial
    kernel(
        param,
        grad,
        exp_avg,
        exp_avg_sq,
        max_exp_avg_sq,
        coef,
        maximize,
        decay_mode,
        ams_mode,
        denom_mode,
    )


#: Group keys the kernel understands. A group carrying any other option (one
#: added to Adam after this kernel was written) declines the fused path, so a
#: new convention can never be silently ignored.
KNOWN_GROUP_KEYS = frozenset(
    {
        "params",
        "param_names",
        "lr",
        "initial_lr",
        "betas",
        "eps",
        "weight_decay",
        "amsgrad",
        "maximize",
        "decoupled_weight_decay",
        "eps_mode",
        "eps_root",
        "amsgrad_mode",
        "weight_decay_scale",
    }
)

_BETA1_PRODUCT = itemgetter("beta1_product")


def adam_group_step(
    group: dict,
    flat_param: NDArray,
    flat_grad: NDArray,
    flat_state: dict[str, NDArray],
    states: list[dict],
) -> bool:
    """Advance a whole :class:`~adamlab.optim.Adam` group with one kernel call.

    The scalars are those of ``Adam._update`` and ``adam_update``, computed in
    float64 and cast once. Returns False, changing nothing, when the group has
    options this kernel does not know or its parameters' ``beta1_product``
    values differ.
    """
    if not KNOWN_GROUP_KEYS.issuperset(group):
        return False
    first = states[0]
    if len(states) > 1 and len(set(map(_BETA1_PRODUCT, states))) != 1:
        return False

    # Per-parameter scalars, advanced exactly as Adam._update does.
    beta1, beta2 = group["betas"]
    step = first["step"] + 1
    beta1_product = first["beta1_product"] * beta1
    bc1 = 1.0 - beta1_product
    bc2 = 1.0 - beta2**step
    lr = group["lr"]
    weight_decay = group["weight_decay"]
    eps_mode = group.get("eps_mode", "outside")
    eps_root = group.get("eps_root", 0.0)
    max_exp_avg_sq = flat_state.get("max_exp_avg_sq")

    # Modes, as adam_update chooses its branches.
    if weight_decay == 0.0:
        decay_mode, decay = NO_DECAY, 0.0
    elif group["decoupled_weight_decay"]:
        rate = lr
        if group.get("weight_decay_scale", "lr") == "schedule":
            rate = lr / group["initial_lr"]
        decay_mode, decay = DECOUPLED_DECAY, 1.0 - rate * weight_decay
    else:
        decay_mode, decay = L2_DECAY, weight_decay
    corrected = (
        max_exp_avg_sq is not None and group.get("amsgrad_mode", "raw") == "corrected"
    )
    if max_exp_avg_sq is None:
        ams_mode = NO_AMSGRAD
    else:
        ams_mode = AMSGRAD_CORRECTED if corrected else AMSGRAD_RAW
    step_size = lr / bc1
    if eps_mode == "hat":
        denom_mode = EPS_HAT
        step_size *= math.sqrt(bc2)
    elif corrected or eps_root != 0.0:
        denom_mode = EPS_ROOT
    else:
        denom_mode = EPS_OUTSIDE

    coef = np.array(
        (
            beta1,
            1.0 - beta1,
            beta2,
            1.0 - beta2,
            decay,
            1.0 / math.sqrt(bc2),
            group["eps"],
            step_size,
            bc2,
            eps_root,
        ),
        dtype=flat_param.dtype,
    )
    adam_step(
        flat_param,
        flat_grad,
        flat_state["exp_avg"],
        flat_state["exp_avg_sq"],
        max_exp_avg_sq,
        coef,
        maximize=group["maximize"],
        decay_mode=decay_mode,
        ams_mode=ams_mode,
        denom_mode=denom_mode,
    )
    write_scalars(states, {"step": step, "beta1_product": beta1_product})
    return True
