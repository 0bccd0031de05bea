"""One flat, contiguous buffer holding many shaped arrays as views.

A model's parameters (and, in a twin buffer, its gradients) are slices of one
1-D array. Each view is made as ``buffer[a:b].reshape(shape)``, so it is
C-contiguous, its ``.base`` is the buffer, and consecutive views follow each
other in memory without gaps. An optimizer that finds this layout can update
the whole model with one kernel over ``buffer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import prod

import numpy as np
from numpy.typing import DTypeLike, NDArray

#: The floating dtypes a model may hold its parameters in.
FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def check_dtype(dtype: DTypeLike) -> np.dtype:
    """Return ``dtype`` as a NumPy dtype if it is float16, float32 or float64."""
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(
            f"dtype must be float16, float32 or float64, got {dtype!r}"
        ) from exc
    if resolved not in FLOAT_DTYPES:
        raise ValueError(f"dtype must be float16, float32 or float64, got {resolved}")
    return resolved


def allocate_views(
    shapes: Sequence[tuple[int, ...]], dtype: DTypeLike
) -> tuple[NDArray, list[NDArray]]:
    """Allocate one zeroed 1-D buffer and return it with one view per shape.

    Parameters
    ----------
    shapes : sequence of tuple of int
        The shapes of the views, in buffer order.
    dtype : dtype
        The buffer's dtype (float16, float32 or float64).

    Returns
    -------
    buffer : ndarray, shape (sum of sizes,)
        The contiguous storage.
    views : list of ndarray
        ``buffer[a:b].reshape(shape)`` for each shape, in order and without gaps.
    """
    resolved = check_dtype(dtype)
    sizes = [prod(shape) for shape in shapes]
    buffer = np.zeros(sum(sizes), dtype=resolved)
    views = []
    start = 0
    for shape, size in zip(shapes, sizes):
        views.append(buffer[start : start + size].reshape(shape))
        start += size
    return buffer, views


def is_flat_layout(buffer: NDArray, views: Sequence[NDArray]) -> bool:
    """Return True if ``views`` tile ``buffer`` in order, contiguously, without gaps."""
    if buffer.ndim != 1 or not buffer.flags.c_contiguous:
        return False
    offset = buffer.__array_interface__["data"][0]
    for view in views:
        if view.base is not buffer or not view.flags.c_contiguous:
            return False
        if view.__array_interface__["data"][0] != offset:
            return False
        offset += view.nbytes
    return offset == buffer.__array_interface__["data"][0] + buffer.nbytes
