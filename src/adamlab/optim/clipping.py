"""Gradient clipping: the global norm without overflow, and clipping by value.

:func:`global_norm` must give the true norm even where the sum of squares
overflows the gradients' dtype (a hundred float32 gradients of 1e20 have norm
1e21, while a float32 sum of squares is inf). It scales by the largest magnitude
and sums in float64, in fixed chunks, so the result does not depend on how many
threads run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

CHUNK = 1 << 16


def _norm_parts(arrays: Sequence[NDArray]) -> tuple[float, float]:
    """``(largest, root)`` with norm ``= largest * root`` and ``1 <= root``.

    ``largest`` is NaN or inf (and ``root`` 1) when an element is.
    """
    largest = 0.0
    for array in arrays:
        if array.size:
            peak = float(np.max(np.abs(array)))
            if math.isnan(peak):
                return math.nan, 1.0
            largest = max(largest, peak)
    if largest == 0.0 or math.isinf(largest):
        return largest, 1.0
    total = 0.0
    for array in arrays:
        flat = array.reshape(-1)
        for start in range(0, flat.size, CHUNK):
            chunk = flat[start : start + CHUNK].astype(np.float64) / largest
            # np.add.reduce, not np.dot: BLAS may split a dot product over
            # threads, which changes the summation order with the thread count.
            total += float(np.add.reduce(chunk * chunk))
    return largest, math.sqrt(total)


def global_norm(arrays: Sequence[NDArray]) -> float:
    """L2 norm of all elements of ``arrays`` together, as a Python float.

    NaN if any element is NaN, inf if any is infinite (and none NaN), else the
    exact-to-rounding norm computed in float64 after scaling by the largest
    magnitude, so no finite input overflows (only a norm beyond float64's range,
    about 1.8e308, is inf).
    """
    largest, root = _norm_parts(arrays)
    if math.isnan(largest):
        return math.nan
    return largest * root


def clip_coefficient(arrays: Sequence[NDArray], max_norm: float, norm: float) -> float:
    """The factor ``min(1, max_norm / norm)`` that clips ``arrays`` to ``max_norm``.

    ``norm`` is :func:`global_norm` of ``arrays``. Where it overflowed float64
    (finite elements near 1e308) the factor is recomputed from the scaled
    parts, so it is still right. A NaN or infinite element gives 0 for an
    infinite norm and NaN for a NaN one, so the clipped gradients are NaN/0 as
    torch's ``clip_grad_norm_`` gives them.
    """
    if math.isnan(norm):
        return math.nan
    if math.isfinite(norm):
        return max_norm / norm if norm > max_norm else 1.0
    largest, root = _norm_parts(arrays)
    if math.isinf(largest):
        return 0.0
    return (max_norm / largest) / root


def sums_are_finite(arrays: Sequence[NDArray]) -> bool:
    """True if the sum of each array is finite: one cheap pass per array.

    A NaN or inf element makes its array's sum non-finite, so True means every
    element is finite. False means an element is NaN or inf, or the finite
    elements' sum overflowed; :func:`first_nonfinite` tells which.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        return all(math.isfinite(np.add.reduce(a, axis=None)) for a in arrays)


_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_COUNT: list = []


def all_finite(arrays: Sequence[NDArray]) -> bool:
    """True if every element of every array is finite (neither NaN nor inf).

    Exact, unlike :func:`sums_are_finite` (which also says False when a sum
    of finite elements overflows). C-contiguous float32/float64 arrays are
    counted by a compiled pass (:mod:`adamlab.optim.kernels.finite`, parallel
    for large arrays); others by :func:`sums_are_finite` and, where that says
    False, ``np.isfinite``.
    """
    for a in arrays:
        if a.dtype in _FLOATS and a.flags.c_contiguous:
            if not _COUNT:
                from adamlab.optim.kernels.finite import count_nonfinite

                _COUNT.append(count_nonfinite)
            if _COUNT[0](a.reshape(-1)):
                return False
        elif not sums_are_finite([a]) and not np.isfinite(a).all():
            return False
    return True


def first_nonfinite(grads: Sequence[NDArray | None]) -> int | None:
    """Index of the first gradient holding a NaN or inf, or None."""
    for i, g in enumerate(grads):
        if g is not None and not np.isfinite(g).all():
            return i
    return None


def clip_by_global_norm(
    grads: Sequence[NDArray | None], max_norm: float
) -> tuple[list[NDArray | None], float]:
    """New gradients scaled to global norm at most ``max_norm``, and the norm.

    The functional form of the ``clip_norm`` option; the inputs are unchanged.
    """
    if not max_norm > 0.0:
        raise ValueError(f"max_norm must be a number > 0, got {max_norm!r}")
    present = [g for g in grads if g is not None]
    norm = global_norm(present)
    scale = clip_coefficient(present, max_norm, norm)
    clipped = [None if g is None else clip_by_value(g, scale) for g in grads]
    return clipped, norm


def clip_by_value(
    grad: NDArray, scale: float = 1.0, clip_value: float | None = None
) -> NDArray:
    """A new array ``clip(grad * scale, -clip_value, clip_value)``.

    The caller's gradient is never modified. ``scale`` is the global-norm
    clipping factor (1 for none) and is applied first.
    """
    if scale != 1.0:
        # inf * 0 is NaN, as torch gives under the "ignore" policy: no warning.
        with np.errstate(invalid="ignore"):
            out = grad * grad.dtype.type(scale)
    else:
        out = grad.copy()
    if clip_value is not None:
        limit = grad.dtype.type(clip_value)
        np.clip(out, -limit, limit, out=out)
    return out
