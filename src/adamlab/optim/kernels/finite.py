"""Counting NaN and infinite elements in one pass, for the optimizer's
non-finite gradient check.

A count of elements is an integer sum, so the answer does not depend on the
blocks or the number of threads. Compared with a NumPy sum of the gradient
(which also finds NaN and inf), the pass is parallel above
:data:`~adamlab.optim.kernels.common.PARALLEL_THRESHOLD` elements, raises no
floating-point flags (so needs no ``np.errstate``) and is exact where a sum of
finite elements would overflow.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import BLOCK, PARALLEL_THRESHOLD, parallel, serial


@serial
def _count_block(a):  # pragma: no cover - compiled
    count = 0
    for i in range(a.size):
        # False for NaN and for +-inf; the comparison raises no flag.
        if not np.abs(a[i]) < np.inf:
            count += 1
    return count


@serial
def _count_serial(a):  # pragma: no cover - compiled
    return _count_block(a)


@parallel
def _count_parallel(a):  # pragma: no cover - compiled
    n = a.size
    count = 0
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        count += _count_block(a[lo:hi])
    return count


def count_nonfinite(a: NDArray) -> int:
    """The number of NaN and infinite elements of a 1-D float32/float64 array."""
    kernel = _count_parallel if a.size >= PARALLEL_THRESHOLD else _count_serial
    return int(kernel(a))
