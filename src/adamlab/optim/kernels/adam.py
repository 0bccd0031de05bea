"""Fused Adam / AdamW / AMSGrad: one pass over parameters, gradients and moments.

Each element goes through the operations of :func:`adamlab.optim.adam.adam_update`
in its order and dtype (the scalars arrive already cast, in ``coef``), so the
result is bit-identical to the NumPy reference:

1. ``g = -g`` if maximize; ``g = g + wd * p`` (L2) or ``p = p * (1 - lr wd)``
   (decoupled);
2. ``m = m * beta1 + (1 - beta1) * g``;
3. ``v = v * beta2 + (g * g) * (1 - beta2)``;
4. AMSGrad: ``v_max = maximum(v_max, v)`` (NaN-propagating, as ``np.maximum``);
5. ``d = sqrt(v) / sqrt(bc2) + eps``;
6. ``p = p - (m / d) * (lr / bc1)``.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import BLOCK, PARALLEL_THRESHOLD, parallel, serial

#: Positions in the ``coef`` array (all cast to the arrays' dtype).
BETA1, ONE_MINUS_BETA1, BETA2, ONE_MINUS_BETA2 = 0, 1, 2, 3
DECAY, SQRT_BC2, EPS, STEP_SIZE = 4, 5, 6, 7
N_COEF = 8

#: Weight-decay modes.
NO_DECAY, L2_DECAY, DECOUPLED_DECAY = 0, 1, 2


@serial
def _adam_range(p, g, m, v, vmax, coef, maximize, decay_mode, amsgrad, lo, hi):
    beta1 = coef[0]
    one_minus_beta1 = coef[1]
    beta2 = coef[2]
    one_minus_beta2 = coef[3]
    decay = coef[4]
    sqrt_bc2 = coef[5]
    eps = coef[6]
    step_size = coef[7]
    for i in range(lo, hi):
        gi = g[i]
        pi = p[i]
        if maximize:
            gi = -gi
        if decay_mode == 1:
            gi = gi + decay * pi
        elif decay_mode == 2:
            pi = pi * decay

        mi = m[i] * beta1
        mi = mi + one_minus_beta1 * gi
        m[i] = mi
        sq = gi * gi
        sq = sq * one_minus_beta2
        vi = v[i] * beta2
        vi = vi + sq
        v[i] = vi

        if amsgrad:
            top = vmax[i]
            if not (top >= vi or top != top):
                top = vi
            vmax[i] = top
            vi = top
        d = np.sqrt(vi)
        d = d / sqrt_bc2
        d = d + eps
        u = mi / d
        u = u * step_size
        p[i] = pi - u


@serial
def adam_serial(p, g, m, v, vmax, coef, maximize, decay_mode, amsgrad):
    """One Adam step over 1-D arrays, on one thread."""
    _adam_range(p, g, m, v, vmax, coef, maximize, decay_mode, amsgrad, 0, p.size)


@parallel
def adam_parallel(p, g, m, v, vmax, coef, maximize, decay_mode, amsgrad):
    """One Adam step over 1-D arrays, blocks of ``BLOCK`` elements in parallel."""
    n = p.size
    blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(blocks):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _adam_range(p, g, m, v, vmax, coef, maximize, decay_mode, amsgrad, lo, hi)


def adam_coefficients(
    dtype: np.dtype,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    bias_correction1: float,
    bias_correction2: float,
    out: NDArray | None = None,
) -> NDArray:
    """The scalars of one step, computed in float64 and cast as the reference does."""
    import math

    if weight_decay != 0.0 and decoupled_weight_decay:
        decay = 1.0 - lr * weight_decay
    else:
        decay = weight_decay
    values = (
        beta1,
        1.0 - beta1,
        beta2,
        1.0 - beta2,
        decay,
        math.sqrt(bias_correction2),
        eps,
        lr / bias_correction1,
    )
    if out is None:
        return np.array(values, dtype=dtype)
    out[:] = values
    return out


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
) -> None:
    """Run the fused Adam kernel on 1-D float32/float64 arrays of one size.

    ``coef`` comes from :func:`adam_coefficients`; ``decay_mode`` is one of
    :data:`NO_DECAY`, :data:`L2_DECAY`, :data:`DECOUPLED_DECAY`.
    """
    amsgrad = max_exp_avg_sq is not None
    vmax = max_exp_avg_sq if amsgrad else exp_avg_sq
    kernel = adam_parallel if param.size >= PARALLEL_THRESHOLD else adam_serial
    kernel(param, grad, exp_avg, exp_avg_sq, vmax, coef, maximize, decay_mode, amsgrad)
