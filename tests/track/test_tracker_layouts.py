"""Tracker norms for every layout of parameters and gradients, against float64
sums written out here."""

import math
import re
import warnings

import numpy as np
import pytest

from adamlab.optim import Adam
from adamlab.optim.layout import pack
from adamlab.track import Tracker

SHAPES = [(3, 4), (4,)]


def reference_norm(arrays):
    return math.sqrt(sum(float(np.sum(np.square(a, dtype=np.float64))) for a in arrays))


@pytest.mark.parametrize("flat_params", [False, True])
@pytest.mark.parametrize("flat_grads", [False, True])
def test_grad_norm_for_every_layout(flat_params, flat_grads):
    # Separate parameter arrays with gradients in one buffer once gave NaN.
    rng = np.random.default_rng(0)
    init = [rng.normal(size=s) for s in SHAPES]
    params = pack(init)[1] if flat_params else init
    opt = Adam([("w", params[0]), ("b", params[1])], lr=0.1)
    tracker = Tracker.watch(opt, every=1)
    buffer, views = pack([np.zeros(s) for s in SHAPES])
    for _ in range(3):
        grads = [rng.normal(size=s) for s in SHAPES]
        for view, g in zip(views, grads):
            view[...] = g
        tracker.step(views if flat_grads else grads, loss=0.0)
        record = tracker.records[-1]
        assert record["grad_norm"] == pytest.approx(reference_norm(grads), rel=1e-12)
        for name, g in zip(("w", "b"), grads):
            assert record[f"grad_norm/{name}"] == pytest.approx(
                reference_norm([g]), rel=1e-12
            )


def test_infinite_parameter_gives_nan_update_without_warning():
    # inf - inf in the update of separate arrays: NaN, as the flat kernel
    # gives it, and no RuntimeWarning from the tracker.
    w = np.array([np.inf, 1.0])
    b = np.array([2.0])
    opt = Adam([("w", w), ("b", b)], lr=0.1)
    tracker = Tracker.watch(opt, every=1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tracker.step([np.array([1.0, 1.0]), np.array([1.0])], loss=0.0)
    record = tracker.records[-1]
    assert math.isnan(record["update_norm/w"])
    assert record["update_norm/b"] == pytest.approx(0.1, rel=1e-6)


@pytest.mark.parametrize(
    "quantiles", [(0.5, 0.5), (0.25, 0.2500000001), (0.1, 0.9, 0.1000000004)]
)
def test_quantiles_sharing_a_key_are_refused(quantiles):
    # Each would overwrite the other's p50 / p25 / p10 key silently.
    with pytest.raises(ValueError, match="would both be recorded"):
        Tracker(quantiles=quantiles)


@pytest.mark.parametrize(
    ("q", "label"),
    [
        (0.1, "p10"),
        (0.05, "p05"),
        (0.5, "p50"),
        (0.999, "p99.9"),
        (0.125, "p12.5"),
        (0.0001, "p0.01"),
        (0.254, "p25.4"),
    ],
)
def test_quantile_labels_keep_the_percent(q, label):
    # 0.999 was once recorded as p100, and 0.254 as p25.
    assert Tracker(quantiles=(q,))._labels == [label]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"quantiles": 0.5}, TypeError),
        ({"quantiles": "0.5"}, TypeError),
        ({"quantiles": (0.5, "x")}, TypeError),
        ({"quantiles": (0.5, float("nan"))}, ValueError),
        ({"per_parameter": "no"}, TypeError),
        ({"per_parameter": 0}, TypeError),
    ],
)
def test_bad_tracker_options_are_refused_by_name(options, error):
    name = next(iter(options))
    with pytest.raises(error, match=name):
        Tracker(**options)


def test_watch_refuses_what_is_not_an_optimizer():
    with pytest.raises(TypeError, match="must be an adamlab optimizer .* got list"):
        Tracker.watch([np.zeros(3)])


def test_watch_counts_on_from_the_optimizer_steps_and_skips_failed_calls():
    rng = np.random.default_rng(5)
    _, params = pack([rng.normal(size=s) for s in SHAPES])
    opt = Adam([("w", params[0]), ("b", params[1])], lr=0.1)
    for _ in range(7):
        opt.step(pack([rng.normal(size=s) for s in SHAPES])[1])
    tracker = Tracker.watch(opt, every=1)
    wrong = [np.zeros((2, 2)), np.zeros(4)]
    for _ in range(2):  # refused by the optimizer: not steps
        with pytest.raises(ValueError):
            tracker.step(wrong, loss=1.0)
    before = params[0].copy()
    # Refused before stepping, naming what was given.
    with pytest.raises(TypeError, match="loss must be a number or None, got 'x'"):
        tracker.step(pack([np.ones(s) for s in SHAPES])[1], loss="x")
    np.testing.assert_array_equal(params[0], before)
    tracker.step(pack([rng.normal(size=s) for s in SHAPES])[1], loss=np.array(2.0))
    (record,) = tracker.records
    assert record["step"] == 8
    assert record["loss"] == 2.0
    assert record["bias_correction1"] == pytest.approx(1 - 0.9**8, rel=1e-12)


def test_records_stay_in_step_order_when_the_fast_and_general_paths_alternate():
    # The fast path (gradients in one buffer) keeps its recordings as rows
    # made into dicts when records are read; the general path (separate
    # gradient arrays) makes its dict at once. Alternating them must keep
    # every record at its step, with that step's own gradient norm.
    rng = np.random.default_rng(4)
    _, params = pack([rng.normal(size=s) for s in SHAPES])
    opt = Adam([("w", params[0]), ("b", params[1])], lr=0.1)
    tracker = Tracker.watch(opt, every=1)
    expected = []
    for step in range(1, 8):
        grads = [rng.normal(size=s) for s in SHAPES]
        expected.append(reference_norm(grads))
        tracker.step(pack(grads)[1] if step % 3 else grads, loss=float(step))
        if step == 4:
            assert [r["step"] for r in tracker.records] == [1, 2, 3, 4]
    records = tracker.records
    assert [r["step"] for r in records] == list(range(1, 8))
    assert [r["loss"] for r in records] == [float(s) for s in range(1, 8)]
    for record, norm in zip(records, expected):
        assert record["grad_norm"] == pytest.approx(norm, rel=1e-12)

    # record_step hands back the record it appended.
    grads = pack([rng.normal(size=s) for s in SHAPES])[1]
    tracker.before_step(8)
    opt.step(grads)
    record = tracker.record_step(8, loss=8.0, grads=grads)
    assert record is tracker.records[-1]
    assert record["grad_norm"] == pytest.approx(reference_norm(grads), rel=1e-12)


class _CountingAdam(Adam):
    """Adam with an integer and a boolean scalar signal, on both paths."""

    count = 3
    flat_calls = 0

    def diagnostics(self):
        out = Adam.diagnostics(self)
        for entry in out.values():
            entry.update(clipped=True, count=self.count)
        return out

    def flat_diagnostics(self, at=None):
        self.flat_calls += 1
        entry = self._group_diagnostics(0, self.param_groups[0], at)
        if entry is None:
            return None
        return [dict(entry, clipped=True, count=self.count)]


class _HalvedAdam(Adam):
    """Adam whose effective lr hook is redefined: its diagnostics, on every
    path, must come through the hook."""

    @staticmethod
    def _effective(group, state, second, at=None):
        return Adam._effective(group, state, second, at) / 2


def _fast_and_general(
    make, shapes, per_parameter=True, steps=3, every=2, same_list=False, each=None
):
    """Records of the same run with flat gradients (the fast path: a new
    packed list each step, or with ``same_list`` one list refilled) and with
    separate gradient arrays (the general path), and the trackers.
    ``each(step, tracker)`` runs before each step of both."""
    rng = np.random.default_rng(5)
    grad_seq = [[rng.normal(size=s) for s in shapes] for _ in range(steps)]
    records, trackers = [], []
    for flat_grads in (True, False):
        _, params = pack([np.ones(s) for s in shapes])
        opt = make(list(zip("abcd", params)))
        tracker = Tracker.watch(opt, every=every, per_parameter=per_parameter)
        tracker.epoch = np.int64(7)  # either path records a plain int
        views = pack([np.zeros(s) for s in shapes])[1]
        for step, grads in enumerate(grad_seq, start=1):
            if each is not None:
                each(step, tracker)
            if flat_grads and same_list:
                for view, g in zip(views, grads):
                    view[...] = g
                grads = views
            elif flat_grads:
                grads = pack(grads)[1]
            tracker.step(grads, loss=float(step))
        records.append(tracker.records)
        trackers.append(tracker)
    return records, trackers


def _assert_same_records(fast, general):
    """The general path's keys, in its order, values and types."""
    assert len(fast) == len(general)
    for a, b in zip(fast, general):
        assert list(a) == list(b)
        for key, value in b.items():
            assert type(a[key]) is type(value), key
            assert a[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def test_a_redefined_effective_lr_hook_reaches_the_fast_path():
    (fast, general), _ = _fast_and_general(
        lambda params: _HalvedAdam(params, lr=1e-2), [(6, 4), (4,)]
    )
    (plain, _), _ = _fast_and_general(
        lambda params: Adam(params, lr=1e-2), [(6, 4), (4,)]
    )
    for a, b, c in zip(fast, general, plain):
        assert list(a) == list(b)
        for key in ("effective_lr_mean", "effective_lr_p50/a", "effective_lr_p90/b"):
            assert a[key] == b[key] == pytest.approx(c[key] / 2, rel=1e-12)


@pytest.mark.parametrize("count", [3, 2**53 + 1])
@pytest.mark.parametrize("per_parameter", [True, False])
def test_fast_path_keeps_integer_and_boolean_signals_as_integers(per_parameter, count):
    # A fast-path recording keeps its scalar signals as Python numbers: the
    # record made from it must give the general path's keys, values and
    # types, an integer beyond 2**53 exactly.

    def make(params):
        opt = _CountingAdam(params, lr=1e-2)
        opt.count = count
        return opt

    (fast, general), trackers = _fast_and_general(make, [(6, 4), (4,)], per_parameter)
    # Steps 1 and 2 of the fast run, none of the general run.
    assert [tracker.optimizer.flat_calls for tracker in trackers] == [2, 0]
    for record in fast:
        assert record["clipped"] == 1 and record["epoch"] == 7
        if per_parameter:
            assert record["clipped/a"] == 1 and type(record["clipped/b"]) is int
            assert record["count/a"] == count
    _assert_same_records(fast, general)


def test_fast_path_records_survive_reads_between_many_recordings():
    # The fast path keeps recordings in blocks of rows that grow (16, 32,
    # ...) and turns them into records when read; reading in the middle of a
    # block, and going on, must give the same records as the general path.
    seen = []
    held = []

    def read(step, tracker):
        if step - 1 in (10, 16, 41):
            seen.append(len(tracker.records))
        held.append(sum(len(block.rows) for block in tracker._blocks))

    (fast, general), _ = _fast_and_general(
        lambda params: Adam(params, lr=1e-2), SHAPES, steps=60, every=1, each=read
    )
    assert seen == [10, 16, 41] * 2
    # A new gradient list each step still shares blocks (one per recording
    # once held 16 rows each).
    assert max(held[:60]) <= 2 * 60
    assert [r["step"] for r in fast] == list(range(1, 61))
    _assert_same_records(fast, general)


@pytest.mark.parametrize("flat_grads", [True, False])
def test_an_integer_signal_beyond_float_fails_its_step_and_keeps_the_records(
    flat_grads,
):
    # The whole model's value of an integer signal is a float (an average by
    # size): one too large for a float is refused at its step on either path,
    # and the records made before stay readable, each once.
    rng = np.random.default_rng(2)
    _, params = pack([np.ones(s) for s in SHAPES])
    opt = _CountingAdam([("w", params[0]), ("b", params[1])], lr=1e-2)
    tracker = Tracker.watch(opt, every=1)
    for step in range(1, 4):
        grads = [rng.normal(size=s) for s in SHAPES]
        if step == 3:
            opt.count = 2**1100
            with pytest.raises(OverflowError):
                tracker.step(pack(grads)[1] if flat_grads else grads, loss=1.0)
        else:
            tracker.step(pack(grads)[1] if flat_grads else grads, loss=1.0)
    for _ in range(2):
        assert [r["step"] for r in tracker.records] == [1, 2]


def test_a_tracker_pickles_with_its_records():
    import pickle

    _, params = pack([np.ones(s) for s in SHAPES])
    opt = Adam([("w", params[0]), ("b", params[1])], lr=1e-2)
    tracker = Tracker.watch(opt, every=1)
    rng = np.random.default_rng(3)
    for _ in range(3):
        tracker.step(pack([rng.normal(size=s) for s in SHAPES])[1], loss=1.0)
    copy = pickle.loads(pickle.dumps(tracker))
    np.testing.assert_equal(copy.records, tracker.records)


def test_epoch_and_per_parameter_changed_every_step_are_followed_by_both_paths():
    # Adam's recordings are matched to their layout by three values (an
    # epoch or none, per_parameter, the group values' keys); each change, in
    # every combination and back, must give the general path's records.
    def vary(step, tracker):
        tracker.epoch = None if step % 2 else np.int64(step)
        tracker.per_parameter = step % 3 != 0

    # One gradient list refilled, so the fast path keeps its plan throughout.
    (fast, general), _ = _fast_and_general(
        lambda params: Adam(params, lr=1e-2),
        SHAPES,
        steps=12,
        every=1,
        same_list=True,
        each=vary,
    )
    assert ["epoch" in r for r in fast] == [step % 2 == 0 for step in range(1, 13)]
    assert ["grad_norm/a" in r for r in fast] == [s % 3 != 0 for s in range(1, 13)]
    _assert_same_records(fast, general)


class _DictSourcesAdam(Adam):
    """Adam whose flat_signal_sources gives a dict (not its tuple)."""

    def flat_signal_sources(self):
        values = Adam.flat_signal_sources(self)
        return None if values is None else dict(zip(self.flat_signal_keys, values))


class _Float32SourcesAdam(Adam):
    """Adam whose flat_signal_sources gives NumPy float32 bias corrections."""

    def flat_signal_sources(self):
        values = Adam.flat_signal_sources(self)
        if values is None:
            return None
        source, bc1, bc2 = values
        return source, np.float32(bc1), np.float32(bc2)


@pytest.mark.parametrize(
    "cls, message",
    [
        (_DictSourcesAdam, "must give a tuple of flat_signal_keys' values, got dict"),
        (_Float32SourcesAdam, "got ['tuple', 'float32', 'float32']"),
    ],
)
def test_signal_sources_out_of_their_layout_are_refused_by_name(cls, message):
    # Recordings from an optimizer's sources are checked once for their
    # layout: sources that do not keep it are an error naming the class, not
    # records that quietly lose their signals or types.
    _, params = pack([np.ones(s) for s in SHAPES])
    opt = cls([("w", params[0]), ("b", params[1])], lr=1e-2)
    tracker = Tracker.watch(opt, every=1)
    grads = pack([np.full(s, 0.5) for s in SHAPES])[1]
    with pytest.raises(TypeError, match=re.escape(message)) as caught:
        tracker.step(grads, loss=1.0)
    assert cls.__name__ in str(caught.value)
