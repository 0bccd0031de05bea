"""Which elements summarise a large array's quantiles: a stratified sample.

An array of ``n`` elements with more than ``limit`` is cut into ``limit``
strata of (nearly) equal length, stratum ``i`` covering
``[i * n // limit, (i + 1) * n // limit)``, and one element is taken from each:
the one at offset ``((mix(i) >> 32) * length) >> 32`` in it, where ``mix`` is
the SplitMix64 finaliser of ``i`` (a fixed integer hash, so the sample is the
same in every run and process; the multiply-shift maps its top 32 bits onto the
stratum without a division).

Why not every ``k``-th element: a weight matrix's per-element statistics vary
by row and column, and a stride that divides the row length samples the same
few columns in every row. One element drawn at a hashed offset in each stratum
has no period, so no column is favoured, while the strata still spread the
sample evenly over the array. The numba kernel of :mod:`adamlab.track.norms`
applies the same rule element by element; this module is its NumPy statement.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

#: SplitMix64's increment and multipliers.
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
MIX1 = np.uint64(0xBF58476D1CE4E5B9)
MIX2 = np.uint64(0x94D049BB133111EB)


def mix(i: NDArray) -> NDArray:
    """SplitMix64's finaliser of ``i + GOLDEN`` (uint64, wrapping)."""
    z = i.astype(np.uint64) + GOLDEN
    z = (z ^ (z >> np.uint64(30))) * MIX1
    z = (z ^ (z >> np.uint64(27))) * MIX2
    return z ^ (z >> np.uint64(31))


@lru_cache(maxsize=256)
def sample_indices(n: int, limit: int) -> NDArray:
    """Indices (ascending) of the sample of an ``n``-element array: all of them
    if ``n <= limit`` (or ``limit`` is 0), else one per stratum. Remembered
    (read-only) for the last few sizes: every tracker of a model asks for the
    same ones."""
    indices = _sample_indices(n, limit)
    indices.setflags(write=False)
    return indices


def _sample_indices(n: int, limit: int) -> NDArray:
    if limit <= 0 or n <= limit:
        return np.arange(n, dtype=np.intp)
    i = np.arange(limit, dtype=np.int64)
    first = i * n // limit
    length = (i + 1) * n // limit - first
    offset = ((mix(i) >> np.uint64(32)) * length.astype(np.uint64)) >> np.uint64(32)
    return (first + offset.astype(np.int64)).astype(np.intp)
