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
``<signal>_mean/<name>``  an array signal summarised over its stratified
``<signal>_p10/<name>``   sample (:mod:`adamlab.track.sampling`; all of it up
                          to ``quantile_sample`` elements): mean and the
                          quantiles in :attr:`Tracker.quantiles` (``p10``,
                          ``p50``, ``p90`` by default), e.g.
                          ``effective_lr_p50/...``
``<signal>...``           without a name: the whole model (the mean weighted
                          by parameter size, the quantiles of the whole
                          buffer's own sample; scalars averaged by size)
========================  ===================================================

The parameters are copied only before a recording step, so between recordings
the tracker costs two integer comparisons per step. Norms are exact (every
element, float64); array signals are read only at their samples, so a record
costs about the same for any model size beyond the norms' one pass.

When the parameters and gradients tile one buffer each (as every adamlab
model's do) and the optimizer offers
:meth:`~adamlab.optim.optimizer.Optimizer.flat_diagnostics` (Adam and its
subclasses), a record is a copy of the parameters before the step and one
compiled call after it (:mod:`adamlab.track.norms`, imported at the first
recording) that computes every norm, the optimizer's array signals at the
sample positions (from the source that
:meth:`~adamlab.optim.adam.Adam.flat_signal_sources` describes; otherwise the
optimizer computes them there first) and their summaries, per parameter and
pooled. Otherwise ``optimizer.diagnostics()`` is summarised from the same
samples, with the same keys, types and signal summaries; the norms, summed in
another order, agree to a few units in the last place. It never prints.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.layout import flat_view
from adamlab.track.sampling import sample_indices
from adamlab.train.callbacks import Callback, next_multiple

#: Diagnostics keys not recorded: the per-parameter step count repeats ``step``.
SKIPPED_SIGNALS = frozenset({"step"})


def _segment_squares(flat: NDArray, starts: NDArray) -> NDArray:
    """Sum of squares of each segment of ``flat`` beginning at ``starts``."""
    if flat.size == 0:
        return np.zeros(len(starts))
    with np.errstate(over="ignore"):  # inf, as the kernel gives it
        squared = flat * flat
        out = np.add.reduceat(squared, np.minimum(starts, flat.size - 1))
    # reduceat gives one element for an empty segment; zero those.
    sizes = np.diff(np.append(starts, flat.size))
    out[sizes == 0] = 0.0
    return out


def _kernel(name: str) -> Any:
    """Function ``name`` of :mod:`adamlab.track.norms` (the module itself for
    ``""``), imported at the first call, as it compiles or loads numba
    kernels; None without numba."""
    try:
        from adamlab.track import norms
    except ImportError:  # pragma: no cover - numba is a dependency
        return None
    return getattr(norms, name) if name else norms


@dataclass(slots=True)
class _Plan:
    """The fast path's layout, valid while the same arrays come back: the
    parameter list and gradients it was made for, their flat buffers, the
    parameters' offsets, sizes and names, the sample positions, the summary
    kernel made for them, the optimizer's ``flat_signal_sources`` (if it has
    one), the :class:`_Fill` of each shape of signal entry seen, and the
    last recording's shape and fill from those sources. While
    it is the tracker's plan, the tracker's snapshot buffer fits ``new``."""

    params: list[NDArray]
    count: int
    grads: tuple[NDArray, ...] | None
    new: NDArray
    grad: NDArray | None
    starts: NDArray
    sizes: tuple[int, ...]
    names: tuple[str, ...]
    at: NDArray
    summaries: Any
    sources: Any = None
    fills: dict[tuple, _Fill | None] = field(default_factory=dict)
    lane: tuple | None = None  # the sources' last (shape, fill)


@dataclass(slots=True, eq=False)
class _Fill:
    """How a fast-path recording of one shape of signal entry (its keys,
    their value types, with or without an epoch, which group values) is made
    and becomes a record.

    A recording is a tuple ``front``, ``(step[, epoch], loss, *group values,
    *scalar signals)`` as Python numbers (then the scalar signals again as
    floats where ``widen``), and one float64 row of ``size`` values from the
    compiled call (the norms, then each array signal's summaries). Its
    record's values, under ``labels`` (the general path's keys, in its
    order), are ``arrange(front + row)`` with the row's ``columns`` (where
    not all are kept): the front's step, epoch, loss and group values, the
    row's norms, the scalar signals once per parameter (with
    ``per_parameter``), the scalar signals as floats (the whole model's, as
    the general path's average by size gives them), then the rest of the
    row."""

    pick: Any  # the entry's values -> the scalar signals, a tuple
    convert: bool  # whether a scalar signal is not a plain int or float
    widen: bool  # whether one is not a float (front then ends with all as floats)
    arrays: tuple[int, ...]  # positions of array signals among the values
    source: int | None  # position of the effective lr's source, if given
    labels: tuple[str, ...]
    columns: NDArray | None
    arrange: Any  # front + row -> the record's values, a tuple
    size: int
    template: dict[str, None]  # the labels, each record's dict a copy of it


@dataclass(slots=True, eq=False)
class _Block:
    """Fast-path recordings of one :class:`_Fill`, in order: their rows (the
    first ``count`` of ``rows``) and fronts; the first ``done`` are records
    already."""

    fill: _Fill
    rows: NDArray
    fronts: list[tuple] = field(default_factory=list)
    count: int = 0
    done: int = 0


def _no_items(values: tuple) -> tuple:
    """No items of ``values`` (a picker for no positions)."""
    return ()


@dataclass(frozen=True, slots=True)
class _ItemAt:
    """A picker for one position: ``values[index]``, as a 1-tuple."""

    index: int

    def __call__(self, values: tuple) -> tuple:
        return (values[self.index],)


def _picker(positions: Sequence[int]) -> Any:
    """A function of a tuple that returns its items at ``positions``, as a
    tuple (module-level objects, so a tracker can be pickled)."""
    if not positions:
        return _no_items
    if len(positions) == 1:
        return _ItemAt(positions[0])
    return operator.itemgetter(*positions)


def quantile_label(q: float) -> str:
    """The record label of quantile ``q``: ``p`` and its percent, two digits
    when whole (0.1: ``p10``, 0.05: ``p05``), else to 6 significant digits
    (0.999: ``p99.9``)."""
    percent = round(q * 100, 10)
    if percent == int(percent):
        return f"p{int(percent):02d}"
    return f"p{percent:g}"


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


def _number(value: Any) -> bool:
    """Whether ``value`` is an int or a float (a bool is neither here)."""
    return isinstance(value, (int, float)) and type(value) is not bool


#: The keys of a record's group values, by whether lr and beta1 are numbers.
_LR_BETA1 = ("lr", "beta1")
_HYPER_KEYS = {
    (True, True): _LR_BETA1,
    (True, False): ("lr",),
    (False, True): ("beta1",),
    (False, False): (),
}


class Tracker(Callback):
    """Record per-step optimizer signals every ``every`` steps.

    Parameters
    ----------
    every
        Record at step 1 and at every step that is a multiple of ``every``.
    quantiles
        Quantiles (in (0, 1)) that summarise array signals such as
        ``effective_lr``, besides their mean; each is recorded as
        :func:`quantile_label` names it (``0.1``: ``p10``, ``0.999``:
        ``p99.9``), so no two may share a label.
    per_parameter
        Also record ``metric/parameter_name`` keys (the whole-model keys are
        always recorded).
    quantile_sample
        Largest number of elements of one array signal summarised exactly; a
        larger one's mean and quantiles are those of a stratified sample of
        this many elements (:mod:`adamlab.track.sampling`; None: always
        exact, at a cost proportional to the model's size).

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
    (decoupled weight decay included). An array signal of a parameter larger
    than ``quantile_sample`` is summarised from a stratified sample of that
    many elements: an estimate, whose quantiles' rank error is about
    ``0.5 / sqrt(quantile_sample)`` at the median (4.4% for the default 128;
    256 halves the variance and costs about 0.4 points of overhead more)
    and whose mean is that of the sample; a NaN outside the sample goes
    unseen there (the norms, which read every element, show it). The
    whole-model mean weights the parameters' means by size. Recording every
    10 steps costs 4-5% of the training time of the default digits model
    (hidden 128, a 61 us step; 3.3% in its own work), more for models with
    shorter steps, less for larger ones (the README's "The tracker's cost").
    """

    def __init__(
        self,
        every: int = 10,
        *,
        quantiles: Sequence[float] = (0.1, 0.5, 0.9),
        per_parameter: bool = True,
        quantile_sample: int | None = 128,
    ) -> None:
        if isinstance(every, bool) or not isinstance(every, (int, np.integer)):
            raise TypeError(f"every must be an integer, got {every!r}")
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
        if isinstance(quantiles, (str, bytes)) or not hasattr(quantiles, "__iter__"):
            raise TypeError(
                f"quantiles must be a sequence of numbers in (0, 1), got {quantiles!r}"
            )
        try:
            quantiles = tuple(float(q) for q in quantiles)
        except (TypeError, ValueError):
            raise TypeError(
                f"quantiles must be a sequence of numbers in (0, 1), got {quantiles!r}"
            ) from None
        for q in quantiles:
            if not 0.0 < q < 1.0:
                raise ValueError(f"quantiles must lie in (0, 1), got {q}")
        if not isinstance(per_parameter, (bool, np.bool_)):
            raise TypeError(
                f"per_parameter must be True or False, got {per_parameter!r}"
            )
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
        self._records: list[dict[str, Any]] = []
        # The fast path's recordings, made into records when read: blocks of
        # rows (see _Fill), the one being filled, and how many are unread.
        self._blocks: list[_Block] = []
        self._block: _Block | None = None
        self._unread = 0
        self.optimizer: Any = None
        self.epoch: int | None = None
        self._snapshot: NDArray | list[NDArray] | None = None
        self._snapshot_buffer: NDArray | None = None
        self._snapshot_step: int | None = None
        # Group 0's lr and beta1 as the recorded step uses them: their keys
        # (one of _HYPER_KEYS' tuples, so mostly the same object, which
        # compares at once) and values.
        self._hyper_keys: tuple[str, ...] = ()
        self._hyper_values: tuple[float, ...] = ()
        self._steps_seen = 0
        self._flat_cache: dict[str, tuple[tuple[NDArray, ...], NDArray | None]] = {}
        self._labels = [quantile_label(q) for q in quantiles]
        for i, label in enumerate(self._labels):
            if label in self._labels[:i]:
                first = quantiles[self._labels.index(label)]
                raise ValueError(
                    f"quantiles {first} and {quantiles[i]} would both be recorded "
                    f"as {label!r}: give quantiles that differ in their percent "
                    f"to 6 significant digits"
                )
        self._key_cache: dict[tuple, Any] = {}
        self._plan: _Plan | None = None
        self._fills: dict[tuple, _Fill | None] = {}
        self._layouts: dict[tuple[int, ...], tuple[NDArray, NDArray, int, int]] = {}
        self._summarizers: dict[tuple[int, ...], Any] = {}

    # -------------------------------------------------- use without a trainer

    @classmethod
    def watch(cls, optimizer: Any, every: int = 10, **options: Any) -> Tracker:
        """A tracker of a bare ``optimizer`` (see :meth:`step`), counting steps
        on from those it has already taken (its parameters' largest ``step``).
        Records have an ``epoch`` key once :attr:`epoch` is set (a training
        loop sets it; a hand-written one may)."""
        from adamlab.optim.optimizer import Optimizer

        if not isinstance(optimizer, Optimizer):
            raise TypeError(
                f"optimizer must be an adamlab optimizer (adamlab.optim), got "
                f"{type(optimizer).__name__}"
            )
        tracker = cls(every, **options)
        tracker.optimizer = optimizer
        steps = [
            state.get("step", 0)
            for state in getattr(optimizer, "state", {}).values()
            if isinstance(state, dict)
        ]
        tracker._steps_seen = int(max(steps, default=0))
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
            self._snap(step)
        else:
            self._snapshot = None

    def _snap(self, step: int) -> None:
        """Snapshot the parameters before recording step ``step``."""
        optimizer = self.optimizer
        params = optimizer._params
        plan = self._plan
        if plan is not None and plan.params is params and len(params) == plan.count:
            # The fast path's layout, as last recorded (its plan made the
            # buffer for its parameters).
            snapshot = self._snapshot_buffer
            np.copyto(snapshot, plan.new)
        else:
            self._plan = None  # stale: made again at the record
            flat = self._flat(params, "params")
            if flat is None:
                snapshot = [p.copy() for p in params]
            else:
                snapshot = self._buffer_for(flat)
                np.copyto(snapshot, flat)
        self._snapshot = snapshot
        self._snapshot_step = step
        # Plain floats, as Adam keeps them, without _group_values' call:
        # inside training every Python call costs about half a microsecond
        # (its code and data gone from the caches since the last record).
        group = optimizer.param_groups[0]
        lr = group.get("lr")
        betas = group.get("betas")
        if type(lr) is float and type(betas) is tuple and type(betas[0]) is float:
            self._hyper_keys = _LR_BETA1  # as _group_values gives them
            self._hyper_values = (lr, betas[0])
        else:
            self._hyper_keys, self._hyper_values = self._group_values()

    def _buffer_for(self, flat: NDArray) -> NDArray:
        """The snapshot buffer, (re)made for ``flat``'s shape and dtype: one
        buffer, reused, since a record is made before the next copy."""
        buffer = self._snapshot_buffer
        if buffer is None or buffer.shape != flat.shape or buffer.dtype != flat.dtype:
            buffer = self._snapshot_buffer = np.empty_like(flat)
        return buffer

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
        if not self._take(step, loss, grads, epoch):
            return None
        return self.records[-1]

    def _take(
        self,
        step: int,
        loss: float | None,
        grads: Sequence[NDArray | None] | None,
        epoch: int | None,
    ) -> bool:
        """Measure step ``step`` if it was snapshot; whether it was."""
        if self._snapshot is None or self._snapshot_step != step:
            return False
        before, self._snapshot = self._snapshot, None
        params = self.optimizer._params
        loss = math.nan if loss is None else float(loss)
        if not self._measure_flat(step, epoch, loss, before, params, grads):
            self.records.append(self._measure(step, loss, grads, epoch, before))
        return True

    @property
    def records(self) -> list[dict[str, Any]]:
        """The records so far, oldest first (a list the tracker appends to)."""
        if self._unread:
            self._materialize()
        return self._records

    def _materialize(self) -> None:
        """Turn the fast path's recordings into records, in order. A
        recording keeps a tuple and a row of a block while training, and
        makes its dict only when :attr:`records` is read (which touches far
        less memory while training, and converts a block's rows at once)."""
        for block in self._blocks:
            if block.done == block.count:
                continue
            fill = block.fill
            rows = block.rows[block.done : block.count]
            if fill.columns is not None:
                rows = rows[:, fill.columns]
            labels, arrange, template = fill.labels, fill.arrange, fill.template
            made = []  # all of the block's new records, or (interrupted) none
            for front, row in zip(block.fronts[block.done :], rows.tolist()):
                # A copy of a dict of the labels is made faster than a new
                # dict, and filling it keeps their order.
                record = template.copy()
                record.update(zip(labels, arrange(front + tuple(row))))
                made.append(record)
            self._records.extend(made)
            block.done = block.count
        self._blocks = [block for block in self._blocks if block is self._block]
        self._unread = 0

    def step(
        self, grads: Sequence[NDArray | None], *, loss: float | None = None
    ) -> bool:
        """Snapshot, ``optimizer.step(grads)``, record; returns what step did.

        Steps are counted from those the optimizer had taken when watched; a
        step that raises (a gradient of the wrong shape, say) is not counted,
        and a ``loss`` that is not a number is refused before stepping."""
        if loss is not None:
            given = loss
            try:
                loss = float(loss) if not isinstance(loss, (str, bytes)) else None
            except (TypeError, ValueError):
                loss = None
            if loss is None:
                raise TypeError(f"loss must be a number or None, got {given!r}")
        step = self._steps_seen + 1
        self.before_step(step)
        try:
            taken = self.optimizer.step(grads)
        except BaseException:
            self._snapshot = None
            raise
        self._steps_seen = step
        self._take(step, loss, grads, self.epoch)
        return taken

    # ------------------------------------------------------ checkpoints

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of the tracker: its records (each as its
        ``[key, value]`` pairs, since a checkpoint's dict keys may not hold
        the ``/`` of ``grad_norm/hidden.weight``) and the current epoch (a
        run resumed within an epoch is not told again that it started)."""
        from adamlab.train.checkpoint import records_state

        return {"records": records_state(self.records), "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` gave."""
        from adamlab.train.checkpoint import records_from_state

        self.records[:] = records_from_state(state["records"])
        self.epoch = state.get("epoch")

    # ------------------------------------------------------ callback events

    def on_train_start(self, trainer: Any) -> None:
        self.optimizer = trainer.optimizer

    def on_epoch_start(self, trainer: Any, epoch: int) -> None:
        self.epoch = epoch

    def next_step_event(self, step: int) -> int:
        """The first recording step from ``step`` on: the loop calls the
        step hooks only there (see :meth:`Callback.next_step_event`)."""
        return 1 if step <= 1 else next_multiple(step, self.every)

    def on_step_start(self, trainer: Any, step: int) -> None:
        if step != 1 and step % self.every:  # another callback's step
            self._snapshot = None
            return
        if self.optimizer is None:
            self.optimizer = trainer.optimizer
        self._snap(step)

    def on_step_end(self, trainer: Any, step: int, loss: float) -> None:
        if self._snapshot is None:
            return
        self._take(step, loss, trainer.model.gradients(), self.epoch)

    # ------------------------------------------------------------ measuring

    def _measure(
        self,
        step: int,
        loss: float,
        grads: Sequence[NDArray | None] | None,
        epoch: int | None,
        before: NDArray | list[NDArray],
    ) -> dict[str, Any]:
        """The record of a step by the general path (where
        :meth:`_measure_flat` does not apply); ``loss`` a float."""
        optimizer = self.optimizer
        params = optimizer._params
        record: dict[str, Any] = {"step": int(step)}
        if epoch is not None:
            record["epoch"] = int(epoch)
        record["loss"] = loss
        record.update(zip(self._hyper_keys, self._hyper_values))
        starts = self._offsets(params)

        # The general path: the same norms from NumPy over concatenations
        # (or the kernel, where parameters and gradients are flat but the
        # optimizer has no flat_diagnostics), then optimizer.diagnostics().
        names = optimizer.param_names
        values = self._norms(before, params, grads, starts)
        labels = self._norm_labels(names)
        record.update(zip(labels if self.per_parameter else labels[:4], values))
        self._add_diagnostics(record, optimizer.diagnostics(), names, params)
        return record

    def _measure_flat(
        self,
        step: int,
        epoch: int | None,
        loss: float,
        before: NDArray | list[NDArray],
        params: list[NDArray],
        grads: Sequence[NDArray | None] | None,
    ) -> bool:
        """The fast path: step ``step``'s recording (see :class:`_Fill`),
        with one compiled call for the norms and the signals' summaries,
        when parameters, gradients (all present, or none given) and the
        optimizer's signals (one group) all lie in flat buffers. False, with
        nothing kept, otherwise."""
        plan = self._plan
        # The plan holds while the same arrays come back (checked here: a call
        # costs about half a microsecond between training steps, see _snap);
        # else it is made again, or None.
        if not (
            plan is not None
            and plan.params is params
            and len(params) == plan.count
            and (grads is None) == (plan.grad is None)
            and (
                grads is None
                or (
                    len(grads) == plan.count
                    and all(map(operator.is_, grads, plan.grads))
                )
            )
        ):
            plan = self._new_plan(params, grads)
        if plan is None or type(before) is not np.ndarray:
            return False
        if plan.new.size != before.size:
            return False
        no_epoch = epoch is None
        hyper = self._hyper_keys
        # Adam's effective lr comes as its source, computed at the samples
        # inside the summary kernel's call (one compiled call in all);
        # otherwise as the optimizer computes it at the samples.
        values = plan.sources() if plan.sources is not None else None
        if values is not None:
            # The sources' layout is fixed (flat_signal_keys, Python floats;
            # checked when a fill is made for them), so the recording's shape
            # is known from three values; the last recording's fill is kept
            # with them.
            if type(values) is not tuple:
                raise TypeError(
                    f"{type(self.optimizer).__name__}.flat_signal_sources must "
                    f"give a tuple of flat_signal_keys' values, got "
                    f"{type(values).__name__}"
                )
            shape = (no_epoch, self.per_parameter, hyper)
            lane = plan.lane
            if lane is not None and lane[0] == shape:
                fill = lane[1]
            else:
                keys = self._source_keys(values)
                fill = self._fill_for(plan, (*shape, keys), keys, values, no_epoch)
                plan.lane = (shape, fill)
        else:
            groups = self.optimizer.flat_diagnostics(plan.at)
            if groups is None:
                return False
            entry = groups[0]
            values = tuple(entry.values())
            # The shape of this recording, as one tuple (the entry's keys and
            # types spread out in it, cheaper to make and hash than nested
            # tuples; the types tell where the keys end): as above, then the
            # entry's keys, its values' types and its arrays' shapes
            # (whether scalar, signal or neither).
            kinds = tuple(map(type, values))
            shape = (no_epoch, self.per_parameter, hyper, *entry, *kinds)
            if np.ndarray in kinds:
                shape += tuple(v.shape for v in values if type(v) is np.ndarray)
            fill = self._fill_for(plan, shape, tuple(entry), values, no_epoch)
        if fill is None:
            return False
        scalars = fill.pick(values)
        if fill.convert:
            scalars = tuple(map(_scalar, scalars))
        if fill.widen:  # the whole model's values, made (or refused) now
            scalars += tuple(map(float, scalars))
        if no_epoch:
            front = (int(step), loss, *self._hyper_values, *scalars)
        else:
            front = (int(step), int(epoch), loss, *self._hyper_values, *scalars)

        block = self._block
        if block is None or block.fill is not fill or block.count == len(block.rows):
            block = self._new_block(fill)
        if fill.source is not None:
            v, scale, inverse, eps = values[fill.source]  # floats, as promised
            grad = plan.grad
            plan.summaries.source_call(
                before,
                plan.new,
                before if grad is None else grad,
                grad is not None,
                v,
                inverse,
                eps,
                scale,
                block.rows,
                block.count,
            )
        else:
            arrays = fill.arrays
            if len(arrays) == 1:
                signals = values[arrays[0]][np.newaxis]
            elif arrays:
                signals = np.stack([values[i] for i in arrays])
            else:
                signals = np.empty((0, plan.at.size))
            row = block.rows[block.count]
            plan.summaries.record(before, plan.new, plan.grad, signals, out=row)
        block.fronts.append(front)
        block.count += 1
        self._unread += 1
        return True

    def _source_keys(self, values: tuple) -> tuple[str, ...]:
        """The optimizer's ``flat_signal_keys``, checked against the
        ``values`` its ``flat_signal_sources`` gave: one each, the effective
        lr's source a tuple, every other value a Python int or float."""
        optimizer = self.optimizer
        keys = tuple(optimizer.flat_signal_keys)
        fits = len(keys) == len(values) and all(
            type(value) is tuple
            if key == "effective_lr"
            else type(value) in (int, float)
            for key, value in zip(keys, values)
        )
        if not fits:
            kinds = [type(value).__name__ for value in values]
            raise TypeError(
                f"{type(optimizer).__name__}.flat_signal_sources must give one "
                f"value for each of {keys} (effective_lr's source a tuple, the "
                f"others Python ints or floats), got {kinds}"
            )
        return keys

    def _fill_for(
        self,
        plan: _Plan,
        shape: tuple,
        keys: tuple[str, ...],
        values: tuple,
        no_epoch: bool,
    ) -> _Fill | None:
        """The :class:`_Fill` of recordings of ``shape`` (see
        :meth:`_measure_flat`) whose signal entry has ``keys`` and
        ``values``: the plan's, else one shared by plans of the same layout
        (a new gradient list each step makes a new plan, and their
        recordings share blocks), else a new one."""
        fill = plan.fills.get(shape, False)
        if fill is False:
            key = (plan.names, plan.sizes, shape)
            fill = self._fills.get(key, False)
            if fill is False:
                fill = self._make_fill(plan, dict(zip(keys, values)), no_epoch)
                self._fills[key] = fill
            plan.fills[shape] = fill
        return fill

    def _new_block(self, fill: _Fill) -> _Block:
        """A block for the next recordings of ``fill``: twice the last one's
        rows if it had the same fill (up to 1024), else 16."""
        last = self._block
        rows = 16
        if last is not None and last.fill is fill:
            rows = min(2 * len(last.rows), 1024)
        block = self._block = _Block(fill, np.empty((rows, fill.size)))
        self._blocks.append(block)
        return block

    def _make_fill(
        self, plan: _Plan, entry: dict[str, Any], no_epoch: bool
    ) -> _Fill | None:
        """The :class:`_Fill` of recordings of signal entries shaped as
        ``entry`` (see :meth:`_measure_flat`), with an epoch unless
        ``no_epoch``, or None where the fast path does not apply (an array
        signal not read at the samples, a source beside array signals)."""
        scalars: list[int] = []
        arrays: list[int] = []
        source = None
        for i, (key, value) in enumerate(entry.items()):
            if type(value) is tuple and key == "effective_lr":
                source = i
            elif type(value) is np.ndarray and value.ndim:
                if value.shape != plan.at.shape:
                    return None
                arrays.append(i)
            elif key not in SKIPPED_SIGNALS and _scalar(value) is not None:
                scalars.append(i)
        if source is not None and arrays:
            return None
        keys = tuple(entry)
        signals = tuple(keys[i] for i in (arrays if source is None else [source]))
        names = tuple(keys[i] for i in scalars)
        labels, columns, norms = self._fast_labels(plan, signals, names)
        kinds = tuple(map(type, entry.values()))
        header = ("step", "loss") if no_epoch else ("step", "epoch", "loss")
        header += self._hyper_keys
        widen = any(kinds[i] is not float for i in scalars)
        size = plan.summaries.record_size(len(signals))
        # Positions in front + row (see _Fill) of the record's values.
        h, k = len(header), len(scalars)
        at = h + k + (k if widen else 0)  # where the row starts
        width = size if columns is None else len(columns)
        own = list(range(h, h + k))
        order = [
            *range(h),
            *range(at, at + norms),
            *(own * (plan.count if self.per_parameter else 0)),
            *(range(h + k, h + 2 * k) if widen else own),
            *range(at + norms, at + width),
        ]
        return _Fill(
            pick=_picker(scalars),
            convert=any(kinds[i] not in (float, int) for i in scalars),
            widen=widen,
            arrays=tuple(arrays),
            source=source,
            labels=header + labels,
            columns=columns,
            arrange=operator.itemgetter(*order),
            size=size,
            template=dict.fromkeys(header + labels),
        )

    def _fast_labels(
        self, plan: _Plan, signals: tuple[str, ...], scalars: tuple[str, ...]
    ) -> tuple[tuple[str, ...], NDArray | None, int]:
        """The record keys of the fast path for array signals ``signals`` and
        scalar signals ``scalars``, in :meth:`_measure_flat`'s order; which of
        :meth:`SampleSummaries.record`'s values it keeps (None: all); and how
        many of those are norms."""
        width = 1 + len(self._labels)
        norms = self._norm_labels(list(plan.names))
        summaries = [
            label
            for key in signals
            for label in self._summary_labels(key, plan.names, plan.sizes)
        ]
        if self.per_parameter:
            own = self._labels_for(scalars, list(plan.names)) if scalars else ()
            return (*norms, *own, *scalars, *summaries), None, len(norms)
        pick = list(range(4))
        for i in range(len(signals)):
            end = len(norms) + (i + 1) * width * (plan.count + 1)
            pick += range(end - width, end)
        kept = [summaries[i - len(norms)] for i in pick[4:]]
        return (*norms[:4], *scalars, *kept), np.array(pick, dtype=np.intp), 4

    def _new_plan(
        self, params: list[NDArray], grads: Sequence[NDArray | None] | None
    ) -> _Plan | None:
        """What the fast path reuses from record to record while the same
        arrays come back (None where it does not apply), made for
        ``params`` and ``grads``."""
        self._plan = None
        optimizer = self.optimizer
        if (
            getattr(optimizer, "flat_diagnostics", None) is None
            or len(optimizer.param_groups) != 1
            or any(size == 0 for size in (p.size for p in params))
        ):
            return None
        starts = self._offsets(params)
        new = self._flat(params, "params")
        if new is None:
            return None
        grad = None
        if grads is not None:
            grad = self._grad_flat(grads)
            if grad is None:
                return None
        summaries = self._summarizer(self._sizes)
        if summaries is None:  # pragma: no cover - numba is a dependency
            return None
        names = tuple(optimizer.param_names)
        at = self._layout(self._sizes)[0]
        self._buffer_for(new)
        self._plan = _Plan(
            params=params,
            count=len(params),
            grads=None if grads is None else tuple(grads),
            new=new,
            grad=grad,
            starts=starts,
            sizes=self._sizes,
            names=names,
            at=at,
            summaries=summaries,
            # Sources without their keys are not Adam's kind: not used.
            sources=getattr(optimizer, "flat_signal_sources", None)
            if hasattr(optimizer, "flat_signal_keys")
            else None,
        )
        return self._plan

    def _norm_labels(self, names: list[str]) -> tuple[str, ...]:
        """The norm keys in :func:`adamlab.track.norms.record_norms`' order:
        the whole model's, then each parameter's (cached)."""
        found = self._key_cache.get(("norms", tuple(names)))
        if found is None:
            metrics = ("grad_norm", "param_norm", "update_norm", "update_ratio")
            found = metrics + tuple(
                f"{metric}/{name}" for name in names for metric in metrics
            )
            self._key_cache[("norms", tuple(names))] = found
        return found

    def _norms(
        self,
        before: NDArray | list[NDArray],
        params: list[NDArray],
        grads: Sequence[NDArray | None] | None,
        starts: NDArray,
    ) -> list[float]:
        """The values of :meth:`_norm_labels`, as
        :func:`adamlab.track.norms.record_norms` computes them (NaN gradient
        norms for an absent gradient, or without ``grads``)."""
        if type(before) is np.ndarray:
            new = self._flat(params, "params")
            grad = None if grads is None else self._grad_flat(grads)
            if new is not None and (grads is None or grad is not None):
                kernels = _kernel("")
                if kernels is not None:
                    return kernels.record_norms(before, new, grad, starts).tolist()
            ends = starts.tolist()[1:] + [before.size]
            parts = [before[a:b] for a, b in zip(starts.tolist(), ends)]
        else:
            parts = [b.reshape(-1) for b in before]
        old = np.concatenate(parts, dtype=np.float64)
        now = np.concatenate([p.reshape(-1) for p in params], dtype=np.float64)
        # Parameters made inf by a step under nonfinite="ignore": NaN, as the
        # kernel gives it, without a warning.
        with np.errstate(invalid="ignore"):
            np.subtract(now, old, out=now)
        squares = np.full((3, len(params)), np.nan)
        squares[0] = _segment_squares(old, starts)
        squares[1] = _segment_squares(now, starts)
        if grads is not None:
            present = [g is not None for g in grads]
            flat = np.concatenate(
                [
                    g.reshape(-1) if g is not None else np.zeros(p.size)
                    for g, p in zip(grads, params)
                ],
                dtype=np.float64,
            )
            squares[2] = np.where(present, _segment_squares(flat, starts), np.nan)
        # Columns: the whole model, then each parameter; rows as record_norms.
        squares = np.column_stack([squares.sum(axis=1), squares])
        old, update, grad = np.sqrt(squares)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(old > 0, update / old, np.nan)
        return np.stack([grad, old, update, ratio], axis=1).reshape(-1).tolist()

    def _flat(self, arrays: Sequence[NDArray], slot: str) -> NDArray | None:
        """:func:`flat_view` of ``arrays``, remembered while they are the same
        array objects (an array's memory never moves, so neither does it)."""
        cached = self._flat_cache.get(slot)
        if (
            cached is not None
            and len(cached[0]) == len(arrays)
            and all(map(operator.is_, cached[0], arrays))
        ):
            return cached[1]
        flat = flat_view(arrays)
        self._flat_cache[slot] = (tuple(arrays), flat)
        return flat

    def _grad_flat(self, grads: Sequence[NDArray | None] | None) -> NDArray | None:
        """The buffer the gradients tile, if all are present, of the
        parameters' sizes, in one buffer; else None."""
        if grads is None or len(grads) != len(self._sizes):
            return None
        for g, size in zip(grads, self._sizes):
            if g is None or g.size != size:
                return None
        return self._flat(grads, "grads")

    def _offsets(self, params: list[NDArray]) -> NDArray:
        """Start of each parameter in the concatenated vector (cached)."""
        sizes = tuple(p.size for p in params)
        if getattr(self, "_sizes", None) != sizes:
            self._sizes = sizes
            self._starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
        return self._starts

    def _group_values(self) -> tuple[tuple[str, ...], tuple[float, ...]]:
        """Group 0's ``lr`` and ``beta1`` as the coming step will use them
        (those that are numbers): their keys, one of :data:`_HYPER_KEYS`'
        tuples, and their values as floats."""
        group = self.optimizer.param_groups[0]
        lr = group.get("lr")
        betas = group.get("betas")
        beta1 = betas[0] if type(betas) in (tuple, list) else group.get("beta1")
        has_lr = _number(lr)
        has_beta1 = _number(beta1)
        keys = _HYPER_KEYS[has_lr, has_beta1]
        if has_lr and has_beta1:
            return keys, (float(lr), float(beta1))
        if has_lr:
            return keys, (float(lr),)
        return keys, ((float(beta1),) if has_beta1 else ())

    def _names_for(self, key: str, name: str) -> tuple[str, ...]:
        """Record keys of array signal ``key`` of parameter ``name`` (or of the
        whole model, ``name`` None): mean, then the quantile labels (cached)."""
        found = self._key_cache.get((key, name))
        if found is None:
            suffix = "" if name is None else f"/{name}"
            found = tuple(f"{key}_{stat}{suffix}" for stat in ("mean", *self._labels))
            self._key_cache[(key, name)] = found
        return found

    def _layout(self, sizes: tuple[int, ...]) -> tuple[NDArray, NDArray, int, int]:
        """Where array signals of parameters of ``sizes`` are read (cached).

        Returns ``at``, the flat positions of each parameter's stratified
        sample (:mod:`adamlab.track.sampling`) followed by those of the whole
        buffer's own sample; ``bounds``, where each parameter's part of ``at``
        starts and ends; and the range of ``at`` that is the whole buffer's
        sample (all of the parameters' parts when none is sampled).
        """
        found = self._layouts.get(sizes)
        if found is not None:
            return found
        limit = 0 if self.quantile_sample is None else self.quantile_sample
        parts = []
        start = 0
        for size in sizes:
            parts.append(start + sample_indices(size, limit))
            start += size
        bounds = np.cumsum([0] + [part.size for part in parts]).astype(np.intp)
        pooled = (0, int(bounds[-1]))
        if int(bounds[-1]) != start:  # some parameter is sampled
            parts.append(sample_indices(start, limit))
            pooled = (int(bounds[-1]), int(bounds[-1]) + parts[-1].size)
        at = np.concatenate(parts).astype(np.intp) if parts else np.empty(0, np.intp)
        found = self._layouts[sizes] = (at, bounds, *pooled)
        return found

    def _add_summaries(
        self,
        record: dict[str, Any],
        key: str,
        names: list[str],
        sizes: tuple[int, ...],
        values: NDArray,
    ) -> None:
        """Add the summaries of array signal ``key``, read at the positions of
        :meth:`_layout` (``values``), per parameter (unless empty) and pooled."""
        rows = self._summarizer(sizes)(values).tolist()
        labels = self._summary_labels(key, tuple(names), sizes)
        if not self.per_parameter:
            width = 1 + len(self._labels)
            labels = labels[-width:]
            rows = rows[-width:]
        record.update(item for item in zip(labels, rows) if item[0] is not None)

    def _summarizer(self, sizes: tuple[int, ...]) -> Any:
        """The summary kernel for signals of parameters of ``sizes`` (cached:
        it keeps its work arrays)."""
        found = self._summarizers.get(sizes)
        if found is None:
            make = _kernel("SampleSummaries")
            if make is None:  # pragma: no cover - numba is a dependency
                return None
            at, bounds, pooled_lo, pooled_hi = self._layout(sizes)
            starts = np.cumsum((0,) + sizes[:-1]) if sizes else np.empty(0)
            found = self._summarizers[sizes] = make(
                bounds, pooled_lo, pooled_hi, sizes, self.quantiles, starts, at
            )
        return found

    def _labels_for(self, keys: tuple[str, ...], names: list[str]) -> tuple[str, ...]:
        """``key/name`` for every name and, within it, every key (cached)."""
        found = self._key_cache.get((keys, tuple(names), "scalar"))
        if found is None:
            found = tuple(f"{key}/{name}" for name in names for key in keys)
            self._key_cache[(keys, tuple(names), "scalar")] = found
        return found

    def _summary_labels(
        self, key: str, names: tuple[str, ...], sizes: tuple[int, ...]
    ) -> tuple[str | None, ...]:
        """The summary keys of array signal ``key``, parameter by parameter
        (None for an empty one) and then pooled, each mean first (cached)."""
        found = self._key_cache.get((key, names, sizes, "summary"))
        if found is None:
            width = 1 + len(self._labels)
            found = tuple(
                label
                for name, size in zip((*names, None), (*sizes, 1))
                for label in (self._names_for(key, name) if size else (None,) * width)
            )
            self._key_cache[(key, names, sizes, "summary")] = found
        return found

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
            sizes = tuple(a.size for a in seen)
            at = self._layout(sizes)[0]
            flat = flat_view(seen)
            if flat is None:
                flat = np.concatenate([a.reshape(-1) for a in seen])
            self._add_summaries(
                record, key, seen_names, sizes, flat[at].astype(np.float64, copy=False)
            )
