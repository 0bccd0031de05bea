"""Per-parameter sums of squares over flat buffers, in one pass (numba).

The tracker measures, at each recording step, the squared L2 norm of every
parameter before the step, of its update and of its gradient. When the
parameters (and gradients) are views tiling one buffer, these kernels read the
buffers once, segment by segment, without concatenating or allocating
temporaries. They accumulate in float64 and let NaN through.

numba is imported when this module is, so import it only when recording.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _sum_squares(x):  # pragma: no cover - compiled
    # Reassociation only (no finite-math flags): vectorised, NaN kept.
    a = 0.0
    for i in range(x.shape[0]):
        v = np.float64(x[i])
        a += v * v
    return a


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _sum_squares_and_diff(old, new):  # pragma: no cover - compiled
    a = 0.0
    b = 0.0
    for i in range(old.shape[0]):
        x = np.float64(old[i])
        d = np.float64(new[i]) - x
        a += x * x
        b += d * d
    return a, b


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _old_and_update(old, new, starts, out_old, out_update):  # pragma: no cover
    n = old.shape[0]
    k = starts.shape[0]
    for j in range(k):
        stop = starts[j + 1] if j + 1 < k else n
        lo = starts[j]
        out_old[j], out_update[j] = _sum_squares_and_diff(old[lo:stop], new[lo:stop])


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _squares(flat, starts, out):  # pragma: no cover - compiled
    n = flat.shape[0]
    k = starts.shape[0]
    for j in range(k):
        stop = starts[j + 1] if j + 1 < k else n
        out[j] = _sum_squares(flat[starts[j] : stop])


def old_and_update_squares(
    old: NDArray, new: NDArray, starts: NDArray
) -> tuple[NDArray, NDArray]:
    """Per segment, the sums of squares of ``old`` and of ``new - old``.

    ``old`` and ``new`` are 1-D arrays of one length; segment ``j`` runs from
    ``starts[j]`` to ``starts[j + 1]`` (the last to the end). Float64 results.
    """
    out_old = np.empty(starts.shape[0])
    out_update = np.empty(starts.shape[0])
    _old_and_update(old, new, starts, out_old, out_update)
    return out_old, out_update


def segment_squares(flat: NDArray, starts: NDArray) -> NDArray:
    """Per segment of ``flat`` (see :func:`old_and_update_squares`), the sum of
    squares in float64."""
    out = np.empty(starts.shape[0])
    _squares(flat, starts, out)
    return out
