"""The callback protocol: how the training loop tells others what happens.

The loop knows only this protocol. The tracker, checkpoints and the command
line's progress display are callbacks; none of them reaches into the loop.
Every method is optional: subclass :class:`Callback` and override what you need.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any


class Callback:
    """Receives the training loop's events; every method does nothing by default.

    ``trainer`` is the :class:`adamlab.train.loop.Trainer` running, so a
    callback can read the model, the optimizer and the history.
    """

    def on_train_start(self, trainer: Any) -> None:
        """Before the first epoch (also when resuming)."""

    def on_epoch_start(self, trainer: Any, epoch: int) -> None:
        """Before epoch ``epoch`` (counted from 1)."""

    def on_step_start(self, trainer: Any, step: int) -> None:
        """Before optimizer step ``step`` (counted from 1): snapshot here."""

    def on_step_end(self, trainer: Any, step: int, loss: float) -> None:
        """After step ``step``, whether the optimizer took or skipped it."""

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, Any]) -> None:
        """After epoch ``epoch``; ``metrics`` is its history row."""

    def on_train_end(self, trainer: Any, result: dict[str, Any]) -> None:
        """After testing; ``result`` holds the run's result keys."""


class CallbackList(Callback):
    """Several callbacks called in order, as one."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)
        for callback in self.callbacks:
            if not isinstance(callback, Callback):
                raise TypeError(
                    "callbacks must be adamlab.train.Callback instances, got "
                    f"{type(callback).__name__}"
                )

    def on_train_start(self, trainer: Any) -> None:
        for callback in self.callbacks:
            callback.on_train_start(trainer)

    def on_epoch_start(self, trainer: Any, epoch: int) -> None:
        for callback in self.callbacks:
            callback.on_epoch_start(trainer, epoch)

    def on_step_start(self, trainer: Any, step: int) -> None:
        for callback in self.callbacks:
            callback.on_step_start(trainer, step)

    def on_step_end(self, trainer: Any, step: int, loss: float) -> None:
        for callback in self.callbacks:
            callback.on_step_end(trainer, step, loss)

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(trainer, epoch, metrics)

    def on_train_end(self, trainer: Any, result: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_train_end(trainer, result)
