"""The loop calls the step hooks only at the steps its callbacks ask for."""

from __future__ import annotations

import math

import pytest

from adamlab.train import RunConfig, build
from adamlab.train.callbacks import Callback, CallbackList
from adamlab.train.checkpoint import Checkpoint

CONFIG = RunConfig(task="digits", epochs=2, hidden=(8,), batch_size=128)


class Log(Callback):
    """Notes the steps whose hooks it was called at, asking for those
    divisible by ``every`` (every step by default, as a plain listener)."""

    def __init__(self, every: int | None = None) -> None:
        self.every = every
        self.starts: list[int] = []
        self.ends: list[int] = []

    def next_step_event(self, step: int) -> int | float:
        if self.every is None:
            return super().next_step_event(step)
        return -(-step // self.every) * self.every

    def on_step_start(self, trainer, step):
        self.starts.append(step)

    def on_step_end(self, trainer, step, loss):
        self.ends.append(step)


class EpochsOnly(Callback):
    def on_epoch_end(self, trainer, epoch, metrics):
        pass


def test_default_asks_for_every_step_only_of_a_listener():
    assert Log().next_step_event(7) == 7
    assert EpochsOnly().next_step_event(7) == math.inf
    assert CallbackList([]).next_step_event(3) == math.inf
    assert CallbackList([Log(4), Log(6), EpochsOnly()]).next_step_event(7) == 8


def test_step_hooks_are_the_one_listener_s_own():
    log = Log(3)
    on_start, on_end, next_event = CallbackList([EpochsOnly(), log]).step_hooks()
    assert on_start == log.on_step_start and on_end == log.on_step_end
    assert next_event == log.next_step_event
    both = CallbackList([Log(), log])
    assert both.step_hooks() == (
        both.on_step_start,
        both.on_step_end,
        both.next_step_event,
    )


def test_hooks_are_called_only_at_the_steps_asked_for():
    log = Log(3)
    trainer = build(CONFIG, callbacks=(log,))
    trainer.fit()
    asked = [s for s in range(1, trainer.step + 1) if s % 3 == 0]
    assert trainer.step > 6 and log.starts == asked and log.ends == asked


def test_every_callback_sees_the_steps_any_of_them_asks_for():
    sparse, dense = Log(3), Log()
    trainer = build(CONFIG, callbacks=(sparse, EpochsOnly(), dense))
    trainer.fit()
    every = list(range(1, trainer.step + 1))
    assert dense.starts == dense.ends == every
    assert sparse.starts == sparse.ends == every


@pytest.mark.parametrize(
    ("every", "step", "expected"),
    [(None, 4, math.inf), (5, 1, 5), (5, 5, 5), (5, 6, 10)],
)
def test_checkpointer_asks_for_the_steps_it_saves_at(tmp_path, every, step, expected):
    assert Checkpoint(tmp_path, every_steps=every).next_step_event(step) == expected


class Dense(Log):
    """Redefines a hook of a class that asks for some steps, but not which."""

    def on_step_end(self, trainer, step, loss):
        super().on_step_end(trainer, step, loss)


def test_a_subclass_redefining_a_hook_gets_every_step():
    for callbacks in ((Dense(3),), (Dense(3), EpochsOnly())):
        trainer = build(CONFIG, callbacks=callbacks)
        trainer.fit()
        assert callbacks[0].ends == list(range(1, trainer.step + 1))


def test_hooks_set_on_an_instance_get_every_step():
    seen = []
    plain = Callback()
    plain.on_step_end = lambda trainer, step, loss: seen.append(step)
    trainer = build(CONFIG, callbacks=(plain,))
    trainer.fit()
    assert seen == list(range(1, trainer.step + 1))
