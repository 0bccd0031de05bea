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


def global_norm(arrays: Sequence[NDArray]) -> float:
    """L2 norm of all elements of ``arrays`` together, as a Python float.

    NaN if any element is NaN, inf if any is infinite (and none NaN), else the
    exact-to-rounding norm computed in float64 after scaling by the largest
    magnitude, so no finite input overflows.
    """
    largest = 0.0
    for array in arrays:
        if array.size:
            peak = float(np.max(np.abs(array)))
            if math.isnan(peak):
                return math.nan
            largest = max(largest, peak)
    if largest == 0.0 or math.isinf(largest):
        return largest
    total = 0.0
    for array in arrays:
        flat = array.reshape(-1)
        for start in range(0, flat.size, CHUNK):
            chunk = flat[start : start + CHUNK].astype(np.float64) / largest
            total += float(np.dot(chunk, chunk))
    return largest * math.sqrt(total)


def clip_by_value(
    grad: NDArray, scale: float = 1.0, clip_value: float | None = None
) -> NDArray:
    """A new array ``clip(grad * scale, -clip_value, clip_value)``.

    The caller's gradient is never modified. ``scale`` is the global-norm
    clipping factor (1 for none) and is applied first.
    """
    out = grad * grad.dtype.type(scale) if scale != 1.0 else grad.copy()
    if clip_value is not None:
        limit = grad.dtype.type(clip_value)
        np.clip(out, -limit, limit, out=out)
    return out
