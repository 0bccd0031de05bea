"""The tracker: what the optimizer does, recorded every few steps as flat rows.

:class:`Tracker` is a training callback (the loop knows it only as one), and it
can also watch a bare optimizer in a hand-written loop. Every ``every`` steps
(and at step 1) it appends one flat dict to :attr:`Tracker.records`:

========================  ===================================================
key                       meaning
========================  ===================================================
``step``, ``epoch``       the optimizer step (counted from 1) and the epoch
``loss``                  the batch loss of that step
``lr``, ``beta1``         group 0's values used by the step (any schedule's)
``grad_norm``             L2 norm of the gradient given to the step (before
                          the optimizer's own clipping), float64
``param_norm``            L2 norm of the parameters before the step
``update_norm``           L2 norm of (parameters after - parameters before)
``update_ratio``          ``update_norm / param_norm`` (NaN if that is 0)
``<key>/<name>``          the same four for parameter ``<name>``
``<signal>/<name>``       each scalar of ``optimizer.diagnostics()`` for that
                          parameter (booleans as 0 or 1)
``<signal>_mean/<name>``  an array signal summarised: mean and the quantiles
``<signal>_p10/<name>``   in :attr:`Tracker.quantiles` (``p10``, ``p50``,
                          ``p90`` by default), e.g. ``effective_lr_p50/...``
``<signal>...``           without a name: the whole model (arrays pooled over
                          all elements, scalars averaged weighted by size)
========================  ===================================================

The parameters are copied only before a recording step, so between recordings
the tracker costs two integer comparisons per step. When the parameters tile one
buffer (as every adamlab model's do), the copy is one copy of that buffer and
the norms are one pass of a numba kernel over it (:mod:`adamlab.track.norms`,
imported at the first recording); likewise an array signal whose per-parameter
arrays tile one buffer (as Adam's ``effective_lr`` does) is summarised, per
parameter and pooled, by one kernel call. It never prints.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.layout import flat_view
from adamlab.train.callbacks import Callback

#: Diagnostics keys not recorded: the per-parameter step count repeats ``step``.
SKIPPED_SIGNALS = frozenset({"step"})


def _segment_squares(flat: NDArray, starts: NDArray) -> NDArray:
    """Sum of squares of each segment of ``flat`` beginning at ``starts``."""
    if flat.size == 0:
        return np.zeros(len(starts))
    squared = flat * flat
    out = np.add.reduceat(squared, np.minimum(starts, flat.size - 1))
    # reduceat gives one element for an empty segment; zero those.
    sizes = np.diff(np.append(starts, flat.size))
    out[sizes == 0] = 0.0
    return out


def _flat_squares(
    before: NDArray, new: NDArray | None, starts: NDArray
) -> tuple[NDArray, NDArray] | None:
    """Per-parameter squares of ``before`` and of the update ``new - before``
    by the kernel, or None if the parameters tile no buffer (``new`` None) of
    ``before``'s length."""
    if new is None or new.size != before.size:
        return None
    try:
        from adamlab.track.norms import old_and_update_squares
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return old_and_update_squares(before, new, starts)


def _flat_grad_squares(
    grads: Sequence[NDArray | None],
    sizes: tuple[int, ...],
    starts: NDArray,
    find: Any = flat_view,
) -> NDArray | None:
    """Per-parameter squares of ``grads`` by the kernel, or None if the
    gradients are not all present, of the parameters' sizes, in one buffer."""
    if len(grads) != len(sizes):
        return None
    for g, size in zip(grads, sizes):
        if g is None or g.size != size:
            return None
    flat = find(grads)
    if flat is None:
        return None
    try:
        from adamlab.track.norms import segment_squares
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return segment_squares(flat, starts)


def _strided_sample(parts: list[NDArray], total: int, stride: int) -> NDArray:
    """Every ``stride``-th element (from the first) of the concatenation of
    the 1-D ``parts`` (``total`` elements), without concatenating them."""
    samples = []
    offset = 0
    for part in parts:
        first = -offset % stride
        if first < part.size:
            samples.append(part[first::stride])
        offset += part.size
    if not samples:  # pragma: no cover - total >= 1 gives one sample
        return np.empty(0)
    return np.concatenate(samples, dtype=np.float64)


def _kernel(name: str) -> Any:
    """Function ``name`` of :mod:`adamlab.track.norms` (imported at the first
    call, as it compiles or loads numba kernels), or None without numba."""
    try:
        from adamlab.track import norms
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return getattr(norms, name)


def _tiled_base(arrays: list[NDArray]) -> NDArray | None:
    """The 1-D float array whose memory ``arrays`` (none empty) tile exactly,
    in order, if they are all views of it; else None. (Leaner than
    :func:`flat_view`, for arrays made fresh at each recording.)"""
    base = arrays[0].base
    if (
        type(base) is not np.ndarray
        or base.ndim != 1
        or base.dtype.kind != "f"
        or not base.flags.c_contiguous
    ):
        return None
    dtype = base.dtype
    expected = base.__array_interface__["data"][0]
    for array in arrays:
        if (
            array.base is not base
            or array.dtype != dtype
            or not array.size
            or not array.flags.c_contiguous
            or array.__array_interface__["data"][0] != expected
        ):
            return None
        expected += array.nbytes
    if expected != base.__array_interface__["data"][0] + base.nbytes:
        return None
    return base


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else math.nan


def _scalar(value: Any) -> float | int | None:
    """A plain number for a scalar signal, or None if ``value`` is not one."""
    if isinstance(value, (bool, np.bool_)):
        return int(bool(value))
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return _scalar(value[()])
    return None


class Tracker(Callback):
    """Record per-step optimizer signals every ``every`` steps.

    Parameters
    ----------
    every
        Record at step 1 and at every step that is a multiple of ``every``.
    quantiles
        Quantiles (in (0, 1)) that summarise array signals such as
        ``effective_lr``, besides their mean.
    per_parameter
        Also record ``metric/parameter_name`` keys (the whole-model keys are
        always recorded).
    quantile_sample
        Largest number of elements whose quantiles are computed exactly; a
        larger array is summarised by an evenly strided sample of at most this
        many (None: always exact).

    Examples
    --------
    As a callback: ``run(config, callbacks=(tracker,))``, then
    ``tracker.records``. With a bare optimizer::

        tracker = Tracker.watch(optimizer, every=10)
        for step in range(1, n + 1):
            loss, grads = loss_and_grads(params)
            tracker.step(grads, loss=loss)   # snapshots, steps, records

    Limitations
    -----------
    The gradient norm is that of the gradients handed to the optimizer, before
    its own clipping; the update norm includes everything the step changed
    (decoupled weight decay included). Array signals of every parameter are
    pooled for the whole-model summary without concatenating them: the pooled
    mean is the size-weighted mean of the per-parameter means (equal to the
    mean of the concatenation up to rounding). Quantiles of an array with more than
    ``quantile_sample`` elements are those of an evenly strided sample of at
    most that many elements (means are always exact): an estimate, chosen so
    that recording every 10 steps costs a few percent of training.
    """

    def __init__(
        self,
        every: int = 10,
        *,
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
        per_parameter: bool = True,
        quantile_sample: int | None = 2048,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
            raise TypeError(f"every must be an integer, got {every!r}")
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        quantiles = tuple(float(q) for q in quantiles)
        for q in quantiles:
            if not 0.0 < q < 1.0:
                raise ValueError(f"quantiles must lie in (0, 1), got {q}")
        if quantile_sample is not None and (
            isinstance(quantile_sample, bool)
            or not isinstance(quantile_sample, (int, np.integer))
            or quantile_sample < 1
        ):
            raise ValueError(
                f"quantile_sample must be a positive integer or None, got "
                f"{quantile_sample!r}"
            )
        self.quantile_sample = quantile_sample
        self.every = int(every)
        self.quantiles = quantiles
        self.per_parameter = bool(per_parameter)
        self.records: list[dict[str, Any]] = []
        self.optimizer: Any = None
        self.epoch: int | None = None
        self._snapshot: NDArray | list[NDArray] | None = None
        self._snapshot_step: int | None = None
        self._hyper: dict[str, float] = {}
        self._steps_seen = 0
        self._flat_cache: dict[str, tuple[tuple[NDArray, ...], NDArray | None]] = {}
        self._labels = [f"p{round(q * 100):02d}" for q in quantiles]
        # For the kernel: the quantiles ascending, and the way back.
        ascending = np.argsort(quantiles, kind="stable")
        self._sorted_q = np.array(quantiles, dtype=np.float64)[ascending]
        back = np.argsort(ascending, kind="stable")
        self._q_back = None if (back == np.arange(len(back))).all() else back
        self._key_cache: dict[tuple, Any] = {}
        self._norm_keys: dict[str, tuple[str, ...]] = {}
        self._summary_starts: dict[tuple[int, ...], NDArray] = {}

    # -------------------------------------------------- use without a trainer

    @classmethod
    def watch(cls, optimizer: Any, every: int = 10, **options: Any) -> Tracker:
        """A tracker of a bare ``optimizer`` (see :meth:`step`)."""
        tracker = cls(every, **options)
        tracker.optimizer = optimizer
        return tracker

    def is_recording(self, step: int) -> bool:
        """Whether step ``step`` (counted from 1) is recorded."""
        return step == 1 or step % self.every == 0

    def before_step(self, step: int) -> None:
        """Call before the optimizer's step ``step``: snapshot if recording."""
        if self.optimizer is None:
            raise ValueError(
                "the tracker watches no optimizer: use Tracker.watch(optimizer) "
                "or pass it to a Trainer as a callback"
            )
        if self.is_recording(step):
            params = self.optimizer._params
            flat = self._flat(params, "params")
            self._snapshot = (
                flat.copy() if flat is not None else [p.copy() for p in params]
            )
            self._snapshot_step = step
            self._hyper = self._group_values()
        else:
            self._snapshot = None

    def record_step(
        self,
        step: int,
        *,
        loss: float | None = None,
        grads: Sequence[NDArray | None] | None = None,
        epoch: int | None = None,
    ) -> dict[str, Any] | None:
        """Call after step ``step``; returns the new record, or None if not
        a recording step (or :meth:`before_step` did not snapshot it)."""
        if self._snapshot is None or self._snapshot_step != step:
            return None
        before, self._snapshot = self._snapshot, None
        record = self._measure(step, loss, grads, epoch, before)
        self.records.append(record)
        return record

    def step(
        self, grads: Sequence[NDArray | None], *, loss: float | None = None
    ) -> bool:
        """Snapshot, ``optimizer.step(grads)``, record; returns what step did."""
        self._steps_seen += 1
        step = self._steps_seen
        self.before_step(step)
        taken = self.optimizer.step(grads)
        self.record_step(step, loss=loss, grads=grads, epoch=self.epoch)
        return taken

    # ------------------------------------------------------ callback events

    def on_train_start(self, trainer: Any) -> None:
        self.optimizer = trainer.optimizer

    def on_epoch_start(self, trainer: Any, epoch: int) -> None:
        self.epoch = epoch

    def on_step_start(self, trainer: Any, step: int) -> None:
        if self.optimizer is None:
            self.optimizer = trainer.optimizer
        self.before_step(step)

    def on_step_end(self, trainer: Any, step: int, loss: float) -> None:
        if self._snapshot is None:
            return
        self.record_step(
            step, loss=loss, grads=trainer.model.gradients(), epoch=self.epoch
        )

    # ------------------------------------------------------------ measuring

    def _measure(
        self,
        step: int,
        loss: float | None,
        grads: Sequence[NDArray | None] | None,
        epoch: int | None,
        before: NDArray | list[NDArray],
    ) -> dict[str, Any]:
        optimizer = self.optimizer
        names = optimizer.param_names
        params = optimizer._params
        record: dict[str, Any] = {"step": int(step)}
        if epoch is not None:
            record["epoch"] = int(epoch)
        record["loss"] = math.nan if loss is None else float(loss)
        record.update(self._hyper)

        # Squared norms per parameter, in float64: one kernel pass over flat
        # buffers, else one vectorised pass over concatenations.
        starts = self._offsets(params)
        squares = self._squares(before, params, grads, starts)

        # Whole model first, then per parameter.
        for key in ("grad_norm", "param_norm", "update_norm"):
            values = squares.get(key)
            record[key] = math.nan if values is None else math.sqrt(values.sum())
        record["update_ratio"] = _ratio(record["update_norm"], record["param_norm"])
        if self.per_parameter:
            nan = [math.nan] * len(names)
            grad = squares.get("grad_norm")
            g = nan if grad is None else np.sqrt(grad).tolist()
            p = np.sqrt(squares["param_norm"]).tolist()
            u = np.sqrt(squares["update_norm"]).tolist()
            for name, gi, pi, ui in zip(names, g, p, u):
                keys = self._norm_keys.get(name)
                if keys is None:
                    keys = self._norm_keys[name] = tuple(
                        f"{key}/{name}"
                        for key in ("grad_norm", "param_norm", "update_norm")
                        + ("update_ratio",)
                    )
                record[keys[0]] = gi
                record[keys[1]] = pi
                record[keys[2]] = ui
                record[keys[3]] = ui / pi if pi > 0 else math.nan

        self._add_diagnostics(record, optimizer.diagnostics(), names, params)
        return record

    def _squares(
        self,
        before: NDArray | list[NDArray],
        params: list[NDArray],
        grads: Sequence[NDArray | None] | None,
        starts: NDArray,
    ) -> dict[str, NDArray]:
        """Per-parameter squared norms: ``param_norm``, ``update_norm`` and
        (with ``grads``) ``grad_norm``, NaN for an absent gradient."""
        squares: dict[str, NDArray] = {}
        fast = None
        if isinstance(before, np.ndarray):
            fast = _flat_squares(before, self._flat(params, "params"), starts)
        if fast is not None:
            squares["param_norm"], squares["update_norm"] = fast
        else:
            if isinstance(before, np.ndarray):
                ends = starts.tolist()[1:] + [before.size]
                parts = [before[a:b] for a, b in zip(starts.tolist(), ends)]
            else:
                parts = [b.reshape(-1) for b in before]
            old = np.concatenate(parts, dtype=np.float64)
            new = np.concatenate([p.reshape(-1) for p in params], dtype=np.float64)
            np.subtract(new, old, out=new)
            squares["param_norm"] = _segment_squares(old, starts)
            squares["update_norm"] = _segment_squares(new, starts)
        if grads is not None:
            sq = _flat_grad_squares(grads, self._sizes, starts, self._grad_flat)
            if sq is None:
                present = [g is not None for g in grads]
                flat = np.concatenate(
                    [
                        g.reshape(-1) if g is not None else np.zeros(p.size)
                        for g, p in zip(grads, params)
                    ],
                    dtype=np.float64,
                )
                sq = np.where(present, _segment_squares(flat, starts), np.nan)
            squares["grad_norm"] = sq
        return squares

    def _flat(self, arrays: Sequence[NDArray], slot: str) -> NDArray | None:
        """:func:`flat_view` of ``arrays``, remembered while they are the same
        array objects (an array's memory never moves, so neither does it)."""
        cached = self._flat_cache.get(slot)
        if (
            cached is not None
            and len(cached[0]) == len(arrays)
            and all(a is b for a, b in zip(cached[0], arrays))
        ):
            return cached[1]
        flat = flat_view(arrays)
        self._flat_cache[slot] = (tuple(arrays), flat)
        return flat

    def _grad_flat(self, grads: Sequence[NDArray]) -> NDArray | None:
        return self._flat(grads, "grads")

    def _offsets(self, params: list[NDArray]) -> NDArray:
        """Start of each parameter in the concatenated vector (cached)."""
        sizes = tuple(p.size for p in params)
        if getattr(self, "_sizes", None) != sizes:
            self._sizes = sizes
            self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        return self._starts

    def _group_values(self) -> dict[str, float]:
        """Group 0's ``lr`` and ``beta1`` as the coming step will use them."""
        group = self.optimizer.param_groups[0]
        out = {}
        lr = group.get("lr")
        if isinstance(lr, (int, float)) and not isinstance(lr, bool):
            out["lr"] = float(lr)
        betas = group.get("betas")
        beta1 = betas[0] if isinstance(betas, (tuple, list)) else group.get("beta1")
        if isinstance(beta1, (int, float)) and not isinstance(beta1, bool):
            out["beta1"] = float(beta1)
        return out

    def _summary(self, array: NDArray) -> dict[str, float]:
        """Mean and quantiles (linear interpolation, as ``np.quantile``) of
        ``array``'s elements; NaN quantiles if any element is NaN."""
        flat = array.reshape(-1)
        if flat.size == 0:
            return {}
        return self._pooled_summary([flat], [float(flat.mean(dtype=np.float64))])

    def _pooled_summary(
        self, parts: list[NDArray], means: list[float]
    ) -> dict[str, float]:
        """:meth:`_summary` of the concatenation of the 1-D ``parts`` (whose
        means are ``means``) without concatenating them: the mean is the
        size-weighted mean of ``means``, the quantiles those of the same
        strided sample the concatenation would give."""
        if len(parts) == 1:
            n = parts[0].size
            mean = means[0]
        else:
            n = 0
            total = 0.0
            for part, m in zip(parts, means):
                if part.size:
                    n += part.size
                    total += m * part.size
            mean = total / n if n else math.nan
        if n == 0:
            return {}
        out = {"mean": mean}
        if not self.quantiles:
            return out
        if math.isnan(mean) and any(np.isnan(part).any() for part in parts):
            out.update(dict.fromkeys(self._labels, math.nan))
            return out
        if self.quantile_sample is not None and n > self.quantile_sample:
            sample = _strided_sample(parts, n, -(-n // self.quantile_sample))
        elif len(parts) == 1:
            sample = parts[0]
        else:
            sample = np.concatenate(parts, dtype=np.float64)
        n = sample.size
        # Only the order statistics needed: a partition, not a sort. Each
        # upper neighbour is the least element above its partition point.
        positions = [q * (n - 1) for q in self.quantiles]
        lows = sorted({int(p) for p in positions})
        part = np.partition(sample, lows)
        for label, position in zip(self._labels, positions):
            low = int(position)
            a = float(part[low])
            fraction = position - low
            if fraction == 0.0 or low + 1 >= n:
                out[label] = a
                continue
            b = float(part[low + 1 :].min())
            out[label] = a + (b - a) * fraction if b != a else a
        return out

    def _names_for(self, key: str, name: str) -> tuple[str, ...]:
        """Record keys of array signal ``key`` of parameter ``name`` (or of the
        whole model, ``name`` None): mean, then the quantile labels (cached)."""
        found = self._key_cache.get((key, name))
        if found is None:
            suffix = "" if name is None else f"/{name}"
            found = tuple(f"{key}_{stat}{suffix}" for stat in ("mean", *self._labels))
            self._key_cache[(key, name)] = found
        return found

    def _flat_summaries(
        self,
        record: dict[str, Any],
        key: str,
        names: list[str],
        arrays: list[NDArray],
    ) -> bool:
        """Summaries of array signal ``key`` of every parameter and pooled, by
        one kernel pass, if ``arrays`` tile one buffer; False (nothing added)
        if not."""
        flat = _tiled_base(arrays)
        if flat is None:
            return False
        sizes = tuple(a.size for a in arrays)
        summaries = _kernel("segment_summaries")
        if summaries is None:  # pragma: no cover - numba is a dependency
            return False
        starts = self._summary_starts.get(sizes)
        if starts is None:
            starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
            self._summary_starts[sizes] = starts
        limit = 0 if self.quantile_sample is None else self.quantile_sample
        means, quantiles = summaries(flat, starts, self._sorted_q, limit)
        if self._q_back is not None:
            quantiles = quantiles[:, self._q_back]
        means = means.tolist()
        rows = quantiles.tolist()
        if self.per_parameter:
            for name, mean, row in zip(names, means, rows):
                labels = self._names_for(key, name)
                record[labels[0]] = mean
                record.update(zip(labels[1:], row))
        labels = self._names_for(key, None)
        record[labels[0]] = means[-1]
        record.update(zip(labels[1:], rows[-1]))
        return True

    def _add_diagnostics(
        self,
        record: dict[str, Any],
        diagnostics: dict[str, dict[str, Any]],
        names: list[str],
        params: list[NDArray],
    ) -> None:
        per_parameter = self.per_parameter
        arrays: dict[str, tuple[list[str], list[NDArray]]] = {}
        pooled_scalars: dict[str, list[tuple[float, int]]] = {}
        scalar_keys = self._key_cache
        for name, param in zip(names, params):
            entry = diagnostics.get(name)
            if not entry:
                continue
            for key, value in entry.items():
                if key in SKIPPED_SIGNALS:
                    continue
                kind = type(value)
                if kind is float:
                    number = value
                elif kind is np.ndarray and value.ndim:
                    number = None
                else:
                    number = _scalar(value)
                if number is not None:
                    if per_parameter:
                        label = scalar_keys.get((key, name, None))
                        if label is None:
                            label = scalar_keys[(key, name, None)] = f"{key}/{name}"
                        record[label] = number
                    pooled_scalars.setdefault(key, []).append(
                        (float(number), param.size)
                    )
                elif isinstance(value, np.ndarray):
                    seen_names, seen = arrays.setdefault(key, ([], []))
                    seen_names.append(name)
                    seen.append(value)
        for key, pairs in pooled_scalars.items():
            weight = sum(size for _, size in pairs)
            if all(x == pairs[0][0] for x, _ in pairs):
                record[key] = pairs[0][0]
            elif weight:
                record[key] = sum(x * size for x, size in pairs) / weight
        for key, (seen_names, seen) in arrays.items():
            if self._flat_summaries(record, key, seen_names, seen):
                continue
            parts = []
            means = []
            for name, value in zip(seen_names, seen):
                flat = value.reshape(-1)
                mean = float(flat.mean(dtype=np.float64)) if flat.size else 0.0
                if per_parameter and flat.size:
                    summary = self._pooled_summary([flat], [mean])
                    for stat, x in summary.items():
                        record[f"{key}_{stat}/{name}"] = x
                parts.append(flat)
                means.append(mean)
            for stat, x in self._pooled_summary(parts, means).items():
                record[f"{key}_{stat}"] = x
