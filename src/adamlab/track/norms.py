"""Per-parameter sums of squares and summaries over flat buffers (numba).

The tracker measures, at each recording step, the squared L2 norm of every
parameter before the step, of its update and of its gradient, and summarises
array signals (mean and quantiles) per parameter and pooled. When the
parameters (and gradients, and signals) are views tiling one buffer, these
kernels read the buffers once, segment by segment, without concatenating or
allocating temporaries. They accumulate in float64 and let NaN through.

numba is imported when this module is, so import it only when recording.
"""

from __future__ import annotations

import functools

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


@njit(cache=True, error_model="numpy")
def _select(a, lo, hi, k, low_buf, high_buf):  # pragma: no cover - compiled
    # Reorder a[lo:hi] so that a[k] is the element a sort would put there,
    # none before it larger and none after it smaller. Quickselect with a
    # median-of-three pivot and a three-way split (so ties cost nothing)
    # done without branches on the data: the elements below and above the
    # pivot are copied to two scratch buffers and back. No NaN in a.
    seed = 12345
    while hi - lo > 1:
        # Median of three pseudo-random elements (a fixed sequence, so the
        # work does not depend on any order in the data).
        n = hi - lo
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        x = a[lo + seed % n]
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        y = a[lo + seed % n]
        seed = (seed * 1103515245 + 12345) & 0x7FFFFFFF
        z = a[lo + seed % n]
        if x > y:
            x, y = y, x
        if y > z:
            y = z
            if x > y:
                y = x
        pivot = y
        nl = 0
        nh = 0
        for i in range(lo, hi):
            v = a[i]
            low_buf[nl] = v
            nl += v < pivot
            high_buf[nh] = v
            nh += v > pivot
        lt = lo + nl
        top = hi - nh
        a[lo:lt] = low_buf[:nl]
        a[lt:top] = pivot
        a[top:hi] = high_buf[:nh]
        if k < lt:
            hi = lt
        elif k >= top:
            lo = top
        else:
            return


@njit(cache=True, error_model="numpy")
def _strided_quantiles(flat, lo, hi, limit, qs, order, out):  # pragma: no cover
    # Quantiles (np.quantile's linear interpolation) of flat[lo:hi], or of
    # its every stride-th element when it has more than ``limit`` (> 0).
    # ``order``: the order in which to place the order statistics.
    nq = qs.shape[0]
    if nq == 0:
        return
    size = hi - lo
    stride = 1
    if limit > 0 and size > limit:
        stride = (size + limit - 1) // limit
    m = (size + stride - 1) // stride
    sample = np.empty(m)
    low_buf = np.empty(m)
    high_buf = np.empty(m)
    for i in range(m):
        sample[i] = flat[lo + i * stride]
    # Only the order statistics needed, each selected between those already
    # placed; each upper neighbour is then the least element after it, up
    # to the next placed one.
    placed = np.empty(nq, dtype=np.intp)
    count = 0
    for jj in range(nq):
        low = int(qs[order[jj]] * (m - 1))
        first = 0
        stop = m
        done = False
        for t in range(count):
            p = placed[t]
            if p == low:
                done = True
            elif p < low:
                first = max(first, p + 1)
            else:
                stop = min(stop, p)
        if not done:
            _select(sample, first, stop, low, low_buf, high_buf)
            placed[count] = low
            count += 1
    for j in range(nq):
        position = qs[j] * (m - 1)
        low = int(position)
        a = sample[low]
        fraction = position - low
        if fraction == 0.0 or low + 1 >= m:
            out[j] = a
            continue
        stop = m
        for t in range(count):
            if low < placed[t] < stop:
                stop = placed[t] + 1
        b = sample[low + 1]
        for i in range(low + 2, stop):
            b = min(b, sample[i])
        out[j] = a + (b - a) * fraction if b != a else a


@njit(cache=True, error_model="numpy")
def _has_nan(flat, lo, hi):  # pragma: no cover - compiled
    for i in range(lo, hi):
        if np.isnan(flat[i]):
            return True
    return False


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _sum(flat, lo, hi):  # pragma: no cover - compiled
    a = 0.0
    for i in range(lo, hi):
        a += np.float64(flat[i])
    return a


@njit(cache=True, error_model="numpy")
def _summaries(flat, starts, qs, order, limit, means, quantiles):  # pragma: no cover
    n = flat.shape[0]
    k = starts.shape[0]
    total = 0.0
    pooled_nan = False
    for j in range(k + 1):
        if j < k:
            lo = starts[j]
            hi = starts[j + 1] if j + 1 < k else n
        else:
            lo = 0
            hi = n
        size = hi - lo
        if size == 0:
            means[j] = np.nan
            quantiles[j, :] = np.nan
            continue
        if j < k:
            mean = _sum(flat, lo, hi) / size
            total += mean * size
            nan = np.isnan(mean) and _has_nan(flat, lo, hi)
            pooled_nan = pooled_nan or nan
        else:
            mean = means[0] if k == 1 else total / n
            nan = pooled_nan
        means[j] = mean
        if nan:
            quantiles[j, :] = np.nan
        else:
            _strided_quantiles(flat, lo, hi, limit, qs, order, quantiles[j])


@functools.lru_cache(maxsize=16)
def _middle_first(n: int) -> NDArray:
    """0..n-1 in the order middle, then the middles of each half, and so on:
    each order statistic placed splits the range left for the next ones."""
    order: list[int] = []
    spans = [(0, n)]
    while spans:
        lo, hi = spans.pop(0)
        if lo < hi:
            mid = (lo + hi) // 2
            order.append(mid)
            spans += [(lo, mid), (mid + 1, hi)]
    return np.array(order, dtype=np.intp)


def segment_summaries(
    flat: NDArray, starts: NDArray, quantiles: NDArray, limit: int
) -> tuple[NDArray, NDArray]:
    """Mean and quantiles of each segment of ``flat`` and of all of it.

    Segments are as in :func:`old_and_update_squares`; row ``j < k`` of the
    results is segment ``j``'s, row ``k`` the whole buffer's (its mean the
    size-weighted mean of the segment means). Means accumulate in float64.
    Quantiles interpolate linearly between order statistics as
    ``np.quantile`` does, over every ``ceil(size / limit)``-th element from
    the first when a segment (or the whole) has more than ``limit``
    elements (``limit`` 0: all of them); they are NaN if any element is.
    An empty segment's row is NaN.

    Returns
    -------
    means : (k + 1,) float64
    quantiles : (k + 1, len(quantiles)) float64
    """
    k = starts.shape[0]
    means = np.empty(k + 1)
    out = np.empty((k + 1, quantiles.shape[0]))
    _summaries(
        flat, starts, quantiles, _middle_first(len(quantiles)), limit, means, out
    )
    return means, out
