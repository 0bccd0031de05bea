"""Binding a schedule to an optimizer's hyperparameter.

:func:`attach` puts a :class:`ScheduleBinding` in ``optimizer.schedules``. The
optimizer calls ``binding.on_step(optimizer)`` after each completed step
(skipped steps do not count), and the binding writes the value for the next
step into every parameter group. It also writes the value at once, when
attached and when :meth:`ScheduleBinding.report` changes it.

The rule for several groups: each group ``g`` has a base ``b_g`` (for ``lr``
its ``initial_lr``; for other keys its value when attached, or when the group
was added). The schedule is evaluated once with the reference base ``B =
max_g b_g``, giving ``v``; group ``g`` then gets ``b_g * v / B`` (exactly ``v``
where ``b_g == B``). So the groups keep their ratios (a group at half the lr
stays at half, a group with no weight decay keeps none), and absolute parameters
such as ``min_lr`` or ``max_lr`` refer to the group(s) with the largest base.
Values a schedule drives besides its own key (one-cycle's ``betas[0]``) are
absolute and written to every group.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from adamlab.optim.schedules.base import Schedule
from adamlab.optim.validation import check_nonnegative, check_unit_interval

KEYS = ("lr", "weight_decay", "eps", "betas[0]", "betas[1]")


def _read(group: dict, key: str) -> float:
    if key.startswith("betas["):
        return float(group["betas"][int(key[6])])
    return float(group[key])


def _check(key: str, value: float, index: int) -> float:
    where = f"scheduled {key} of group {index}"
    if key.startswith("betas["):
        return check_unit_interval(where, value)
    return check_nonnegative(where, value)


def _write(group: dict, key: str, value: float) -> None:
    if key.startswith("betas["):
        betas = list(group["betas"])
        betas[int(key[6])] = value
        group["betas"] = tuple(betas)
    else:
        group[key] = value


class FunctionSchedule:
    """A user's callable ``fn(step) -> multiplier`` of each group's base value.

    It drives a hyperparameter like a built-in schedule (torch's ``LambdaLR``
    convention: the group gets ``b_g * fn(step)``), but it cannot be saved:
    ``state_dict`` raises, rather than silently dropping it.
    """

    kind = "callable"

    def __init__(self, fn: Callable[[int], float]) -> None:
        if not callable(fn):
            raise TypeError(f"schedule must be a Schedule or a callable, got {fn!r}")
        self.fn = fn
        self.steps_per_epoch = None

    def at(self, step: int, base: float) -> float:
        return base * float(self.fn(step))

    def extra(self, step: int) -> dict[str, float]:
        return {}

    def report(self, metric: float) -> None:
        """Callables receive no metric."""

    def state_dict(self) -> dict[str, Any]:
        name = getattr(self.fn, "__name__", repr(self.fn))
        raise TypeError(
            f"the schedule {name!r} is a user callable and cannot be saved in a "
            "state_dict; use a built-in schedule (adamlab.optim.schedules) or "
            "detach it (optimizer.schedules.remove(binding)) before saving"
        )

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        self.state_dict()


class ScheduleBinding:
    """A schedule attached to one hyperparameter of one optimizer.

    Attributes
    ----------
    schedule
        The schedule (a :class:`Schedule` or a :class:`FunctionSchedule`).
    key
        ``"lr"``, ``"weight_decay"``, ``"eps"``, ``"betas[0]"`` or ``"betas[1]"``.
    bases
        Each group's base value ``b_g``.
    """

    def __init__(self, optimizer: Any, schedule: Any, key: str) -> None:
        self.optimizer = optimizer
        self.schedule = schedule
        self.key = key
        self.bases: list[float] = []
        self._sync_bases()

    def _sync_bases(self) -> None:
        """Record the base of any group added since the last call."""
        for group in self.optimizer.param_groups[len(self.bases) :]:
            if self.key == "lr":
                base = group.get("initial_lr", group["lr"])
                if isinstance(base, bool) or not isinstance(base, (int, float)):
                    # Adafactor's lr=None: its step size is relative.
                    raise ValueError(
                        f"an lr schedule needs a number for lr to scale, but "
                        f"{type(self.optimizer).__name__} has lr={base!r}: give "
                        f"it an lr (--lr) or leave lr unscheduled"
                    )
                self.bases.append(float(base))
            else:
                self.bases.append(_read(group, self.key))

    def keys(self) -> set[str]:
        """Every hyperparameter this binding writes."""
        return {self.key, *self.schedule.extra(0)}

    def apply(self) -> None:
        """Write the values for the step after ``completed_steps`` into the groups."""
        self._sync_bases()
        step = self.optimizer.completed_steps
        reference = max(self.bases)
        value = self.schedule.at(step, reference)
        extra = self.schedule.extra(step)

        # Check every value first, so a bad one changes no group.
        writes = []
        for index, (group, base) in enumerate(
            zip(self.optimizer.param_groups, self.bases)
        ):
            if base == reference:
                mine = value
            elif reference == 0.0:
                mine = self.schedule.at(step, base)
            else:
                mine = base * (value / reference)
            writes.append((group, self.key, _check(self.key, mine, index)))
            for key, absolute in extra.items():
                writes.append((group, key, _check(key, absolute, index)))
        for group, key, checked in writes:
            _write(group, key, checked)

    def on_step(self, optimizer: Any) -> None:
        """Called by the optimizer after each completed step."""
        self.apply()

    def report(self, metric: float) -> None:
        """Pass a monitored metric to the schedule (plateau) and rewrite values."""
        self.schedule.report(metric)
        self.apply()

    def state_dict(self) -> dict[str, Any]:
        """``{"key", "bases", "schedule"}``; raises for a user callable."""
        return {
            "key": self.key,
            "bases": list(self.bases),
            "schedule": self.schedule.state_dict(),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Restore; the key and the schedule's kind and parameters must match."""
        if state.get("key") != self.key:
            raise ValueError(
                f"saved schedule drives {state.get('key')!r}, this one drives "
                f"{self.key!r}"
            )
        self.schedule.load_state_dict(state["schedule"])
        self.bases = [float(b) for b in state["bases"]]

    def __repr__(self) -> str:
        return f"ScheduleBinding({self.schedule!r}, key={self.key!r})"


def attach(
    optimizer: Any, schedule: Schedule | Callable[[int], float], key: str = "lr"
) -> ScheduleBinding:
    """Attach ``schedule`` to ``optimizer``'s hyperparameter ``key``.

    The current values are written into the groups at once, and again after
    every completed step. One hyperparameter takes one schedule (compose them
    with :class:`~adamlab.optim.schedules.Sequential`), and a schedule object
    is attached once. Returns the binding, which is also appended to
    ``optimizer.schedules`` and saved with the optimizer's ``state_dict``.
    """
    if key not in KEYS:
        raise ValueError(f"key must be one of {', '.join(KEYS)}; got {key!r}")
    group = optimizer.param_groups[0]
    if (key.startswith("betas[") and "betas" not in group) or (
        not key.startswith("betas[") and key not in group
    ):
        raise ValueError(
            f"{type(optimizer).__name__} has no hyperparameter {key!r} to schedule"
        )
    if not isinstance(schedule, Schedule):
        schedule = FunctionSchedule(schedule)
    binding = ScheduleBinding(optimizer, schedule, key)
    for other in optimizer.schedules:
        if getattr(other, "schedule", None) is schedule:
            raise ValueError(f"{schedule!r} is already attached; build a second one")
        clash = binding.keys() & other.keys()
        if clash:
            raise ValueError(
                f"{sorted(clash)} already driven by {other!r}; compose schedules "
                "with Sequential instead of attaching two"
            )
    binding.apply()
    optimizer.schedules.append(binding)
    return binding
