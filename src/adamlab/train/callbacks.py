"""The callback protocol: how the training loop tells others what happens.

The loop knows only this protocol. The tracker, checkpoints and the command
line's progress display are callbacks; none of them reaches into the loop.
Every method is optional: subclass :class:`Callback` and override what you need.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
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

    def next_step_event(self, step: int) -> int | float:
        """The first step from ``step`` on whose :meth:`on_step_start` and
        :meth:`on_step_end` this callback needs (``math.inf``: none).

        The loop may skip both hooks at the steps before it, and asks again
        after the next :meth:`on_step_end` and at each epoch's start; it may
        still call them at other steps (those another callback needs). The
        default: every step if the class defines either hook, else none.
        Override it for a callback that acts only at some steps: a step hook
        costs about half a microsecond inside training (far more than in a
        tight loop), which is most of what a listener that ignores the step
        costs.
        """
        return step if _listens(self) else math.inf

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

    def step_hooks(self) -> tuple[Callable, Callable, Callable]:
        """What the loop calls for the step events: ``(on_step_start,
        on_step_end, next_step_event)``, the one callback's own where only one
        listens to steps (a call less for each event), else this list's."""
        listening = [
            callback
            for callback in self.callbacks
            if _listens(callback)
            or type(callback).next_step_event is not Callback.next_step_event
        ]
        if len(listening) == 1 and _speaks_for_hooks(listening[0]):
            (only,) = listening
            return only.on_step_start, only.on_step_end, only.next_step_event
        return self.on_step_start, self.on_step_end, self.next_step_event

    def next_step_event(self, step: int) -> int | float:
        """The first step from ``step`` on that any of the callbacks needs."""
        first = math.inf
        for callback in self.callbacks:
            if not _speaks_for_hooks(callback):
                return step
            at = callback.next_step_event(step)
            if at < first:
                first = at
        return first

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_epoch_end(trainer, epoch, metrics)

    def on_train_end(self, trainer: Any, result: dict[str, Any]) -> None:
        for callback in self.callbacks:
            callback.on_train_end(trainer, result)


def next_multiple(step: int, every: int) -> int:
    """The first multiple of ``every`` from ``step`` on: the
    :meth:`~Callback.next_step_event` of a callback acting every ``every``
    steps."""
    return -(-step // every) * every


def _listens(callback: Callback) -> bool:
    """Whether ``callback`` has a step hook of its own: defined by its class
    (or one between it and :class:`Callback`) or set on the instance."""
    cls = type(callback)
    own = getattr(callback, "__dict__", {})
    return (
        cls.on_step_start is not Callback.on_step_start
        or cls.on_step_end is not Callback.on_step_end
        or "on_step_start" in own
        or "on_step_end" in own
    )


def _speaks_for_hooks(callback: Callback) -> bool:
    """Whether ``callback``'s :meth:`~Callback.next_step_event` was written
    for its step hooks: defined in its class or a class below those that
    define the hooks, and no hook set on the instance. A subclass that
    redefines a hook of a class asking for some steps (a tracker that also
    logs every step, say) gets every step instead."""
    own = getattr(callback, "__dict__", {})
    if "on_step_start" in own or "on_step_end" in own:
        return False
    return _asks_below_hooks(type(callback))


@functools.cache
def _asks_below_hooks(cls: type) -> bool:
    """:func:`_speaks_for_hooks` for the class (cached: asked at every step
    another callback listens to; a class changed after its first use is not
    seen again)."""
    mro = cls.__mro__

    def owner(name: str) -> int:
        return next(i for i, c in enumerate(mro) if name in vars(c))

    asks = owner("next_step_event")
    return owner("on_step_start") >= asks and owner("on_step_end") >= asks
