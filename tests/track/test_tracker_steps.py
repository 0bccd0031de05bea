"""The tracker inside training: called only at the steps it records, and
recording the group values each step used however they were set."""

import numpy as np
import pytest

from adamlab.track import Tracker
from adamlab.train import RunConfig, build
from adamlab.train.callbacks import Callback

CONFIG = RunConfig(task="digits", epochs=2, hidden=(8,), batch_size=128)


@pytest.mark.parametrize(
    ("every", "step", "expected"),
    [(10, 0, 1), (10, 1, 1), (10, 2, 10), (10, 10, 10), (10, 11, 20), (1, 7, 7)],
)
def test_next_step_event_is_the_next_recorded_step(every, step, expected):
    tracker = Tracker(every)
    assert tracker.next_step_event(step) == expected
    assert tracker.is_recording(expected)


class EveryStep(Callback):
    """A listener that makes the loop call every callback at every step."""

    def on_step_end(self, trainer, step, loss):
        pass


def same(a, b):
    return a == b or (a != a and b != b)  # NaN where both are


def test_records_are_the_same_when_another_callback_listens_to_every_step():
    alone, accompanied = Tracker(every=4), Tracker(every=4)
    build(CONFIG, callbacks=(alone,)).fit()
    build(CONFIG, callbacks=(EveryStep(), accompanied)).fit()
    assert len(alone.records) > 3
    assert [list(r) for r in alone.records] == [list(r) for r in accompanied.records]
    for a, b in zip(alone.records, accompanied.records):
        assert all(same(a[key], b[key]) for key in a), a["step"]


class SetGroup(Callback):
    """Before each step, sets group 0's lr (and betas) as given for it."""

    def __init__(self, values):
        self.values = values

    def on_step_start(self, trainer, step):
        lr, betas = self.values(step)
        group = trainer.optimizer.param_groups[0]
        group["lr"] = lr
        group["betas"] = betas


@pytest.mark.parametrize(
    "values",
    [
        lambda step: (1e-3 * step, (0.9 - 0.01 * step, 0.999)),  # floats
        lambda step: (1e-3, [0.8, 0.999]),  # betas a list
        lambda step: (np.float64(2e-3), (np.float64(0.85), 0.999)),  # NumPy floats
        lambda step: (1 if step % 2 else 2e-3, (0.9, 0.999)),  # an int lr
    ],
)
def test_records_hold_the_lr_and_beta1_each_recorded_step_used(values):
    tracker = Tracker(every=3)
    build(CONFIG, callbacks=(SetGroup(values), tracker)).fit()
    assert len(tracker.records) > 3
    for record in tracker.records:
        lr, betas = values(record["step"])
        assert record["lr"] == float(lr) and type(record["lr"]) is float
        assert record["beta1"] == float(betas[0]) and type(record["beta1"]) is float
