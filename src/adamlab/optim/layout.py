"""Recognising arrays that are consecutive views of one contiguous buffer.

Every adamlab model keeps its parameters as views into one flat array, and its
gradients as views into a twin array. When a group's arrays are laid out that
way, the optimizer can treat the whole group as one long vector: one kernel call
instead of one per array. :func:`flat_view` finds that vector, or says there is
none, without copying anything.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray


def _root(array: NDArray) -> NDArray:
    """The array that owns the memory ``array`` views (itself if it owns it)."""
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def flat_view(arrays: Sequence[NDArray]) -> NDArray | None:
    """Return a 1-D view covering ``arrays`` if they tile one buffer, else None.

    The arrays must share a dtype, be C-contiguous, view the same 1-D contiguous
    owner, and follow each other in memory without gaps, in the given order.
    """
    if not arrays:
        return None
    first = arrays[0]
    root = _root(first)
    if root.ndim != 1 or not root.flags.c_contiguous or root.dtype != first.dtype:
        return None
    itemsize = first.dtype.itemsize
    root_start = root.__array_interface__["data"][0]
    start = first.__array_interface__["data"][0]
    expected = start
    total = 0
    for array in arrays:
        if (
            array.dtype != first.dtype
            or not array.flags.c_contiguous
            or _root(array) is not root
            or array.__array_interface__["data"][0] != expected
        ):
            return None
        expected += array.size * itemsize
        total += array.size
    offset = (start - root_start) // itemsize
    return root[offset : offset + total]


def pack(arrays: Sequence[NDArray]) -> tuple[NDArray, list[NDArray]]:
    """Copy ``arrays`` into one new contiguous buffer and return it with views.

    Use it to put your own parameters (or gradients) into the layout that the
    fused kernels run on: optimize the returned views, not the originals.

    >>> import numpy as np
    >>> buffer, (w, b) = pack([np.ones((2, 3)), np.zeros(3)])
    >>> buffer.shape, w.base is buffer
    ((9,), True)
    """
    if not arrays:
        raise ValueError("pack needs at least one array, got an empty sequence")
    dtypes = {np.asarray(a).dtype for a in arrays}
    if len(dtypes) != 1:
        names = sorted(str(d) for d in dtypes)
        raise ValueError(f"pack needs arrays of one dtype, got {names}")
    dtype = dtypes.pop()
    total = sum(np.asarray(a).size for a in arrays)
    buffer = np.empty(total, dtype=dtype)
    views = []
    offset = 0
    for array in arrays:
        array = np.asarray(array)
        view = buffer[offset : offset + array.size].reshape(array.shape)
        view[...] = array
        views.append(view)
        offset += array.size
    return buffer, views
