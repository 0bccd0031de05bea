"""The schedule object: a named kind, its parameters, and a value per step.

A schedule maps a counter (completed optimizer steps, or completed epochs when
``steps_per_epoch`` is given) and a *base* value to the value of one
hyperparameter for the next step. It knows nothing of optimizers; attaching it
(:func:`adamlab.optim.schedules.attach`) binds it to an optimizer and a
hyperparameter. Every built-in kind is rebuilt from ``(kind, params)`` alone, so
its ``state_dict`` holds only numbers, strings and lists.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from adamlab.optim.validation import check_real

KINDS: dict[str, type[Schedule]] = {}


def check_count(name: str, value: object, minimum: int = 0) -> int:
    """An integer >= ``minimum`` (a step or epoch count)."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return value


def check_range(name: str, value: object, low: float, high: float) -> float:
    """A number in the closed interval [low, high]."""
    value = check_real(name, value)
    if not low <= value <= high:
        raise ValueError(f"{name} must be in [{low}, {high}], got {value!r}")
    return value


class Schedule:
    """Base of the built-in schedules.

    Subclasses set ``kind`` (the name used by specs and saved states), list
    their constructor parameters in ``PARAMS`` (stored as attributes of the
    same names) and define :meth:`value`.

    Parameters
    ----------
    steps_per_epoch
        If given, the schedule counts completed epochs,
        ``completed_steps // steps_per_epoch``, and its durations are in epochs;
        otherwise it counts completed optimizer steps.
    """

    kind: ClassVar[str] = ""
    PARAMS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, steps_per_epoch: int | None = None) -> None:
        self.steps_per_epoch = (
            None
            if steps_per_epoch is None
            else check_count("steps_per_epoch", steps_per_epoch, 1)
        )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.kind:
            KINDS[cls.kind] = cls

    # ------------------------------------------------------------- values

    def value(self, count: int, base: float) -> float:
        """The hyperparameter after ``count`` completed steps (or epochs)."""
        raise NotImplementedError

    def at(self, step: int, base: float) -> float:
        """The value for the optimizer step after ``step`` completed steps."""
        if self.steps_per_epoch is not None:
            step //= self.steps_per_epoch
        return float(self.value(step, base))

    def extra(self, step: int) -> dict[str, float]:
        """Other hyperparameters this schedule drives, as absolute values."""
        return {}

    def report(self, metric: float) -> None:
        """Receive a monitored metric (used by reduce-on-plateau; else ignored)."""

    # -------------------------------------------------------------- saving

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Schedule:
        """Build from :meth:`params` (nested schedules given as states)."""
        return cls(**params)

    def params(self) -> dict[str, Any]:
        """The constructor arguments, enough to rebuild this schedule."""
        out = {name: getattr(self, name) for name in self.PARAMS}
        out["steps_per_epoch"] = self.steps_per_epoch
        return out

    def _state(self) -> dict[str, Any]:
        """Mutable state besides the parameters (none for pure curves)."""
        return {}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        """Restore what :meth:`_state` returned."""

    def state_dict(self) -> dict[str, Any]:
        """``{"kind", "params", "state"}``: numbers, strings and lists only."""
        return {"kind": self.kind, "params": self.params(), "state": self._state()}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore a ``state_dict``; the kind and parameters must match."""
        if not isinstance(state, Mapping) or state.get("kind") != self.kind:
            got = state.get("kind") if isinstance(state, Mapping) else state
            raise ValueError(
                f"schedule state is for kind {got!r}, this schedule is {self.kind!r}"
            )
        saved = _plain(state.get("params", {}))
        if saved != _plain(self.params()):
            raise ValueError(
                f"{self.kind} schedule parameters differ: saved {saved}, "
                f"this schedule has {_plain(self.params())}"
            )
        self._load_state(state.get("state", {}))

    def attach(self, optimizer: Any, key: str = "lr") -> Any:
        """Attach to ``optimizer``'s hyperparameter ``key``; see :func:`attach`."""
        from adamlab.optim.schedules.attach import attach

        return attach(optimizer, self, key)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params().items())
        return f"{type(self).__name__}({args})"


def _plain(value: Any) -> Any:
    """Lists for tuples and nested schedule states, so saved forms compare."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return value


def schedule_from_state(state: Mapping[str, Any]) -> Schedule:
    """Rebuild a built-in schedule from its ``state_dict``."""
    kind = state.get("kind") if isinstance(state, Mapping) else None
    cls = KINDS.get(kind)
    if cls is None:
        valid = ", ".join(sorted(KINDS))
        raise ValueError(f"unknown schedule kind {kind!r}; valid kinds: {valid}")
    schedule = cls.from_params(dict(state.get("params", {})))
    if "state" in state:
        schedule.load_state_dict(state)
    return schedule
