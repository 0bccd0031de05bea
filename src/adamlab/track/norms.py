"""The tracker's kernels (numba): norms in one pass, summaries of samples.

At each recording step the tracker needs the squared L2 norm of every
parameter before the step, of its update and of its gradient, and a summary
(mean and quantiles) of each array signal per parameter and pooled.
:func:`record_norms` reads the flat parameter, snapshot and gradient buffers
once, segment by segment, accumulating in float64 and letting NaN through.
:func:`sample_summaries` summarises a signal's samples; its quantiles are
exact order statistics of the sample, found through a histogram of the
values' bit patterns so that no per-element branch depends on the data
(which, inside training, costs more than the arithmetic).

numba is imported when this module is, so import it only when recording.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
from numba import njit
from numpy.typing import NDArray

from adamlab.optim.kernels.effective_lr import at_positions as effective_lr_at


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _three_sums(old, new, grad):  # pragma: no cover - compiled
    a = 0.0
    b = 0.0
    c = 0.0
    for i in range(old.shape[0]):
        x = np.float64(old[i])
        d = np.float64(new[i]) - x
        g = np.float64(grad[i])
        a += x * x
        b += d * d
        c += g * g
    return a, b, c


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _two_sums(old, new):  # pragma: no cover - compiled
    a = 0.0
    b = 0.0
    for i in range(old.shape[0]):
        x = np.float64(old[i])
        d = np.float64(new[i]) - x
        a += x * x
        b += d * d
    return a, b


@njit(cache=True, error_model="numpy")
def _record_norms(old, new, grad, with_grad, starts, out):  # pragma: no cover
    n = old.shape[0]
    k = starts.shape[0]
    total_old = 0.0
    total_update = 0.0
    total_grad = 0.0
    for j in range(k):
        lo = starts[j]
        hi = starts[j + 1] if j + 1 < k else n
        if with_grad:
            a, b, c = _three_sums(old[lo:hi], new[lo:hi], grad[lo:hi])
        else:
            a, b = _two_sums(old[lo:hi], new[lo:hi])
            c = np.nan
        total_old += a
        total_update += b
        total_grad += c
        _norm_row(a, b, c, out[4 + 4 * j : 8 + 4 * j])
    _norm_row(total_old, total_update, total_grad, out[:4])


@njit(cache=True, error_model="numpy")
def _norm_row(old, update, grad, out):  # pragma: no cover - compiled
    p = np.sqrt(old)
    u = np.sqrt(update)
    out[0] = np.sqrt(grad)
    out[1] = p
    out[2] = u
    out[3] = u / p if p > 0 else np.nan


def record_norms(
    old: NDArray, new: NDArray, grad: NDArray | None, starts: NDArray
) -> NDArray:
    """The tracker's norms in one pass, float64, in the order of its keys.

    Segment ``j`` of the 1-D buffers runs from ``starts[j]`` to
    ``starts[j + 1]`` (the last to the end). Element ``0:4`` are the whole
    buffer's ``grad_norm``, ``param_norm`` (of ``old``), ``update_norm`` (of
    ``new - old``) and ``update_ratio`` (NaN for a zero parameter norm), from
    the sums of the segments' squares; then the same four for each segment.
    Gradient norms are NaN without ``grad``.
    """
    out = np.empty(4 * (starts.shape[0] + 1))
    with_grad = grad is not None
    _record_norms(old, new, grad if with_grad else old, with_grad, starts, out)
    return out


#: Most buckets of that histogram.
MAX_BUCKETS = 512


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


#: Largest bucket sorted by insertion rather than selected in.
SMALL_BUCKET = 16


@njit(cache=True, error_model="numpy")
def _insertion_sort(a, lo, hi):  # pragma: no cover - compiled
    # Sort a[lo:hi] (a few elements, no NaN) in place.
    for i in range(lo + 1, hi):
        x = a[i]
        j = i - 1
        while j >= lo and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit(cache=True, error_model="numpy")
def _lerp(a, b, t):  # pragma: no cover - compiled
    # np.quantile's interpolation between neighbours a <= b (from the upper
    # one when t >= 0.5); equal neighbours give themselves (NumPy gives NaN
    # for two equal infinities).
    if a == b:
        return a
    d = b - a
    if t >= 0.5:
        return b - d * (1.0 - t)
    return a + d * t


#: The keys of +inf and -inf (see _keys): a NaN's key lies above the first
#: or below the second.
_KEY_POS_INF = np.uint64(0xFFF0000000000000)
_KEY_NEG_INF = np.uint64(0x000FFFFFFFFFFFFF)


@njit(cache=True, error_model="numpy", fastmath={"reassoc"})
def _keys(sample, keys):  # pragma: no cover - compiled
    # Each float's integer key, which sorts as the floats do (sign bit set
    # for positives, all bits flipped for negatives), into ``keys``; returns
    # the sample's sum and its least and largest key, in one pass.
    bits = sample.view(np.uint64)
    sign = np.uint64(1) << np.uint64(63)
    kmin = ~np.uint64(0)
    kmax = np.uint64(0)
    total = 0.0
    for i in range(sample.shape[0]):
        b = bits[i]
        key = b ^ ((np.uint64(0) - (b >> np.uint64(63))) | sign)
        keys[i] = key
        kmin = min(kmin, key)
        kmax = max(kmax, key)
        total += sample[i]
    return total, kmin, kmax


@njit(cache=True, error_model="numpy")
def _quantiles(sample, qs, out, scratch, kmin, kmax, work, picked):  # pragma: no cover
    # Quantiles (np.quantile's linear interpolation) of ``sample`` (no NaN),
    # reordering it, from the keys _keys left in ``scratch`` and their least
    # and largest: a histogram of the keys' top bits (the sign, the exponent
    # and at least 4 mantissa bits: 16 buckets per octave, coarser only if
    # the values span more than MAX_BUCKETS buckets) tells which bucket holds
    # each wanted rank; one more pass gathers those buckets' few elements,
    # and each rank is found exactly among them (a few elements sorted, more
    # selected in). No per-element pass branches on the data. ``qs``
    # ascending; ``scratch``: see _unpack (the -1s of the slot table are left
    # as found); ``work`` (int64) and ``picked`` (float64): room for
    # 10 * len(qs) + 1 and 2 * len(qs).
    if qs.shape[0] == 0:
        return
    keys, gather, low_buf, high_buf, hist, slot = scratch
    m = sample.shape[0]
    nq = qs.shape[0]
    shift = np.uint64(48)
    while (kmax >> shift) - (kmin >> shift) >= np.uint64(MAX_BUCKETS):
        shift += np.uint64(1)
    base = kmin >> shift
    nb = np.int64((kmax >> shift) - base) + 1
    hist[:nb] = 0
    for i in range(m):
        hist[np.int64((keys[i] >> shift) - base)] += 1
    # The wanted ranks, ascending (each quantile's order statistic and the
    # next, which it interpolates towards), their buckets and the elements
    # below each bucket; then each distinct bucket's place in ``gather``.
    nr = 2 * nq
    ranks = work[:nr]
    buckets = work[nr : 2 * nr]
    below = work[2 * nr : 3 * nr]
    fill = work[3 * nr : 4 * nr]
    starts = work[4 * nr : 5 * nr + 1]
    for j in range(nq):
        low = int(qs[j] * (m - 1))
        ranks[2 * j] = low
        ranks[2 * j + 1] = min(low + 1, m - 1)
    bucket = 0
    before = 0
    for r in range(nr):
        while before + hist[bucket] <= ranks[r]:
            before += hist[bucket]
            bucket += 1
        buckets[r] = bucket
        below[r] = before
        fill[r] = 0
    distinct = 0
    starts[0] = 0
    for r in range(nr):
        if slot[buckets[r]] < 0:
            slot[buckets[r]] = distinct
            starts[distinct + 1] = starts[distinct] + hist[buckets[r]]
            distinct += 1
    for i in range(m):
        t = slot[np.int64((keys[i] >> shift) - base)]
        if t >= 0:
            gather[starts[t] + fill[t]] = sample[i]
            fill[t] += 1
    # A bucket of a few elements (the usual case) is sorted once; a larger
    # one (many equal values, say) is selected in for each rank.
    for t in range(distinct):
        if starts[t + 1] - starts[t] <= SMALL_BUCKET:
            _insertion_sort(gather, starts[t], starts[t + 1])
    for r in range(nr):
        t = slot[buckets[r]]
        lo = starts[t]
        k = lo + ranks[r] - below[r]
        if starts[t + 1] - lo > SMALL_BUCKET:
            _select(gather, lo, starts[t + 1], k, low_buf, high_buf)
        picked[r] = gather[k]
    for r in range(nr):
        slot[buckets[r]] = -1  # ready for the next sample
    for j in range(nq):
        position = qs[j] * (m - 1)
        low = int(position)
        a = picked[2 * j]
        fraction = position - low
        if fraction == 0.0 or low + 1 >= m:
            out[j] = a
            continue
        b = picked[2 * j + 1]
        out[j] = _lerp(a, b, fraction)


@njit(cache=True, error_model="numpy")
def _summaries_into(
    values, bounds, pooled_lo, pooled_hi, sizes, qs, back, out, scratch
):  # pragma: no cover - compiled
    k = bounds.shape[0] - 1
    nq = qs.shape[0]
    width = nq + 1
    found = np.empty(3 * nq)
    picked = found[nq:]
    work = np.empty(10 * nq + 1, dtype=np.int64)
    keys = scratch[0]
    total = 0.0
    weight = 0.0
    any_nan = False
    for j in range(k + 1):
        if j < k:
            lo = bounds[j]
            hi = bounds[j + 1]
        else:
            lo = pooled_lo
            hi = pooled_hi
        row = out[j * width : (j + 1) * width]
        if hi == lo:
            row[:] = np.nan
            continue
        sample = values[lo:hi]
        part_sum, kmin, kmax = _keys(sample, keys)
        nan = kmax > _KEY_POS_INF or kmin < _KEY_NEG_INF
        if j < k:
            mean = part_sum / (hi - lo)
            total += mean * sizes[j]
            weight += sizes[j]
            any_nan = any_nan or nan
        else:
            mean = total / weight
            nan = nan or any_nan
        row[0] = mean
        if nan:
            row[1:] = np.nan
            continue
        # Each part is selected in place: the parts are summarised before the
        # pooled range (which may span them) is.
        _quantiles(sample, qs, found, scratch, kmin, kmax, work, picked)
        for t in range(nq):
            row[1 + t] = found[back[t]]


# A layout travels to the kernels packed into one int64 and one float64
# array, since arguments cost: between training steps, a compiled call that
# does nothing took 1.7 us with 11 arguments and 0.8 us with 2. ``ints``:
# a header (segments k, quantiles nq, sample length m, pooled_lo,
# pooled_hi), the segments' starts (k), the parts' bounds (k + 1), ``back``
# (nq), the histogram and the bucket -> slot table (MAX_BUCKETS each) and
# the keys (m, as uint64). ``floats``: the sizes (k), the ascending
# quantiles (nq) and four work arrays of m.
_HEADER = 5


@njit(cache=True, error_model="numpy")
def _unpack(ints, floats):  # pragma: no cover - compiled
    k = ints[0]
    nq = ints[1]
    m = ints[2]
    p = _HEADER
    starts = ints[p : p + k]
    p += k
    bounds = ints[p : p + k + 1]
    p += k + 1
    back = ints[p : p + nq]
    p += nq
    hist = ints[p : p + MAX_BUCKETS]
    p += MAX_BUCKETS
    slot = ints[p : p + MAX_BUCKETS]
    p += MAX_BUCKETS
    keys = ints[p : p + m].view(np.uint64)
    sizes = floats[:k]
    qs = floats[k : k + nq]
    p = k + nq
    work = floats[p : p + m]
    scratch = (
        keys,
        floats[p + m : p + 2 * m],
        floats[p + 2 * m : p + 3 * m],
        floats[p + 3 * m : p + 4 * m],
        hist,
        slot,
    )
    return starts, bounds, ints[3], ints[4], sizes, qs, back, work, scratch


@njit(cache=True, error_model="numpy")
def _summaries(values, ints, floats, out):  # pragma: no cover - compiled
    _, bounds, lo, hi, sizes, qs, back, _, scratch = _unpack(ints, floats)
    _summaries_into(values, bounds, lo, hi, sizes, qs, back, out, scratch)


@njit(cache=True, error_model="numpy")
def _record_source(
    ints, floats, old, new, grad, with_grad, v, inverse, eps, scale, rows, index
):  # pragma: no cover - compiled
    # _record of one signal computed here from its source: Adam's effective
    # learning rate at the sample positions (the end of ``ints``) by the
    # optimizer's own kernel, then widened. numba's cache does not see edits
    # to that kernel in its own file: after one, clear NUMBA_CACHE_DIR
    # (test_record_source_equals_record_of_the_computed_signal fails on a
    # stale cache).
    # Into row ``index`` of ``rows``: a row view made here costs nothing,
    # where NumPy's, made between training steps, costs a microsecond.
    out = rows[index]
    starts, bounds, lo, hi, sizes, qs, back, work, scratch = _unpack(ints, floats)
    head = 4 * (starts.shape[0] + 1)
    _record_norms(old, new, grad, with_grad, starts, out[:head])
    m = ints[2]
    signal = effective_lr_at(v, ints[ints.shape[0] - m :], inverse, eps, scale)
    values = work[:m]
    for i in range(m):
        values[i] = signal[i]
    _summaries_into(values, bounds, lo, hi, sizes, qs, back, out[head:], scratch)


@njit(cache=True, error_model="numpy")
def _record(old, new, grad, with_grad, signals, ints, floats, out):  # pragma: no cover
    starts, bounds, lo, hi, sizes, qs, back, work, scratch = _unpack(ints, floats)
    head = 4 * (starts.shape[0] + 1)
    _record_norms(old, new, grad, with_grad, starts, out[:head])
    width = (bounds.shape[0]) * (qs.shape[0] + 1)
    m = signals.shape[1]
    values = work[:m]
    for s in range(signals.shape[0]):
        for i in range(m):
            values[i] = signals[s, i]
        at = head + s * width
        _summaries_into(
            values, bounds, lo, hi, sizes, qs, back, out[at : at + width], scratch
        )


class SampleSummaries:
    """Mean and quantiles of each part of a signal's samples, and pooled.

    Made once for a layout of samples: ``bounds`` (part ``j`` of the values
    is ``values[bounds[j]:bounds[j + 1]]``), the pooled sample's range
    ``pooled_lo:pooled_hi`` (which may be all of the parts), the parameters'
    ``sizes`` and the ``quantiles`` (in any order); it keeps its work arrays.
    Calling it on ``values`` (float64, reordered in place) returns one flat
    float64 array: for each part and then pooled, the mean followed by the
    quantiles in the given order, interpolated linearly between order
    statistics as ``np.quantile`` does (equal neighbours give themselves,
    where NumPy makes NaN of two equal infinities). The pooled mean is the
    mean of the parts' means weighted by ``sizes``. Quantiles are NaN where a
    sample (for the pooled row: any sample) holds NaN; an empty part's row
    is NaN.

    :meth:`record` is the tracker's whole measurement in one compiled call:
    the norms of :func:`record_norms` for segments starting at ``starts``
    (one per part) and the summaries of each of several signals.
    """

    def __init__(
        self,
        bounds: NDArray,
        pooled_lo: int,
        pooled_hi: int,
        sizes: Sequence[float],
        quantiles: Sequence[float],
        starts: NDArray | None = None,
        at: NDArray | None = None,
    ) -> None:
        quantiles = np.asarray(quantiles, dtype=np.float64)
        ascending = np.argsort(quantiles, kind="stable")
        bounds = np.asarray(bounds, dtype=np.int64)
        k, nq = len(bounds) - 1, len(quantiles)
        m = max(int(bounds[-1]), int(pooled_hi))
        starts = np.zeros(k, np.int64) if starts is None else np.asarray(starts)
        if starts.shape != (k,):
            raise ValueError(f"starts must hold {k} segment starts, got {starts}")
        self._ints = np.concatenate(
            [
                [k, nq, m, int(pooled_lo), int(pooled_hi)],
                starts,
                bounds,
                np.argsort(ascending, kind="stable"),
                np.zeros(MAX_BUCKETS),
                np.full(MAX_BUCKETS, -1),  # each use leaves it so
                np.zeros(m),
                np.zeros(0) if at is None else at,
            ]
        ).astype(np.int64)
        if at is not None and len(at) != m:
            raise ValueError(f"at must hold the {m} sample positions, got {len(at)}")
        self._floats = np.concatenate(
            [
                np.asarray(sizes, dtype=np.float64),
                quantiles[ascending],
                np.zeros(4 * m),
            ]
        )
        self._sourced = at is not None
        #: :meth:`record_source`'s compiled call without its checks, for a
        #: caller that has made them once (the tracker, at every record):
        #: ``source_call(old, new, grad, with_grad, v, inverse, eps, scale,
        #: rows, index)``, ``grad`` an array even without a gradient (then
        #: ``old``, and ``with_grad`` False), the scalars floats, the record
        #: written into row ``index`` of the float64 2-D ``rows`` (of
        #: :meth:`record_size` ``(1)`` columns). None without ``at``.
        self.source_call = (
            functools.partial(_record_source, self._ints, self._floats)
            if self._sourced
            else None
        )
        self._width = (k + 1) * (nq + 1)
        self._norms = 4 * (k + 1)
        self._out = np.empty(self._width)

    def __call__(self, values: NDArray) -> NDArray:
        _summaries(values, self._ints, self._floats, self._out)
        return self._out

    def record(
        self,
        old: NDArray,
        new: NDArray,
        grad: NDArray | None,
        signals: NDArray,
        *,
        out: NDArray | None = None,
    ) -> NDArray:
        """The norms of ``old``, ``new - old`` and ``grad`` (as
        :func:`record_norms` computes them), then the summaries of each row
        of ``signals`` (2-D, one signal's samples per row, any float dtype),
        in one float64 array of :meth:`record_size` values: ``out`` if given,
        else a new one."""
        out = self._record_out(signals.shape[0], out)
        with_grad = grad is not None
        _record(
            old,
            new,
            grad if with_grad else old,
            with_grad,
            signals,
            self._ints,
            self._floats,
            out,
        )
        return out

    def record_size(self, signals: int) -> int:
        """How many values :meth:`record` gives for ``signals`` signals."""
        return self._norms + signals * self._width

    def _record_out(self, signals: int, out: NDArray | None) -> NDArray:
        """``out``, checked to hold a record of ``signals`` signals, or a new
        array for one."""
        size = self._norms + signals * self._width  # record_size, inlined
        if out is None:
            return np.empty(size)
        if out.shape != (size,):
            raise ValueError(f"out must hold {size} values, got shape {out.shape}")
        return out

    def record_source(
        self,
        old: NDArray,
        new: NDArray,
        grad: NDArray | None,
        source: tuple[NDArray, float, float, float],
        out: NDArray | None = None,
    ) -> NDArray:
        """:meth:`record` (into ``out``, else a new array) of one signal given
        by its ``source`` rather than its samples: ``(v, scale, inverse,
        eps)`` for ``scale / (sqrt(v) * inverse + eps)`` (Adam's effective
        learning rate, see
        :meth:`adamlab.optim.adam.Adam.flat_signal_sources`), computed at the
        sample positions ``at`` this was made with, in ``v``'s dtype, inside
        the same compiled call."""
        if not self._sourced:
            raise ValueError(
                "record_source needs the sample positions: make it with at"
            )
        v, scale, inverse, eps = source
        out = self._record_out(1, out)
        with_grad = grad is not None
        self.source_call(
            old,
            new,
            grad if with_grad else old,
            with_grad,
            v,
            float(inverse),
            float(eps),
            float(scale),
            out[np.newaxis],
            0,
        )
        return out


def sample_summaries(
    values: NDArray,
    bounds: NDArray,
    pooled_lo: int,
    pooled_hi: int,
    sizes: Sequence[float],
    quantiles: Sequence[float],
) -> NDArray:
    """:class:`SampleSummaries` for one call (a fresh array)."""
    summaries = SampleSummaries(bounds, pooled_lo, pooled_hi, sizes, quantiles)
    return summaries(values).copy()
