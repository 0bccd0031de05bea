"""Composition: one schedule after another (e.g. warmup, then cosine)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adamlab.optim.schedules.base import Schedule, check_count, schedule_from_state


class Sequential(Schedule):
    """Run ``schedules[i]`` from ``boundaries[i - 1]`` to ``boundaries[i]``.

    Each part sees its own counter, restarted at its boundary, and the same
    base, so ``Sequential([LinearWarmup(500), Cosine(9500)], [500])`` equals
    ``Cosine(10000, warmup_steps=500)``. Boundaries count completed steps of the
    optimizer (each part may count its own epochs with ``steps_per_epoch``).
    Parts may be nested, but none may be a user callable.
    """

    kind = "sequential"
    PARAMS = ("schedules", "boundaries")

    def __init__(
        self, schedules: Sequence[Schedule], boundaries: Sequence[int]
    ) -> None:
        super().__init__()
        parts = list(schedules)
        for i, part in enumerate(parts):
            if not isinstance(part, Schedule):
                raise TypeError(
                    f"schedules[{i}] must be a built-in Schedule, got {part!r}"
                )
        marks = [check_count(f"boundaries[{i}]", b) for i, b in enumerate(boundaries)]
        if len(marks) != len(parts) - 1:
            raise ValueError(
                f"Sequential needs one boundary fewer than schedules: got "
                f"{len(parts)} schedules and {len(marks)} boundaries"
            )
        if marks != sorted(marks):
            raise ValueError(f"boundaries must be increasing, got {marks}")
        self.parts = parts
        self.marks = marks

    def _locate(self, step: int) -> tuple[Schedule, int]:
        start = 0
        for part, mark in zip(self.parts, self.marks):
            if step < mark:
                return part, step - start
            start = mark
        return self.parts[-1], step - start

    def at(self, step: int, base: float) -> float:
        part, local = self._locate(step)
        return part.at(local, base)

    def value(self, count: int, base: float) -> float:
        return self.at(count, base)

    def extra(self, step: int) -> dict[str, float]:
        part, local = self._locate(step)
        return part.extra(local)

    def report(self, metric: float) -> None:
        for part in self.parts:
            part.report(metric)

    def params(self) -> dict[str, Any]:
        return {
            "schedules": [{"kind": p.kind, "params": p.params()} for p in self.parts],
            "boundaries": list(self.marks),
            "steps_per_epoch": None,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> Sequential:
        parts = [schedule_from_state(p) for p in params["schedules"]]
        return cls(parts, params["boundaries"])

    def _state(self) -> dict[str, Any]:
        return {"parts": [p.state_dict()["state"] for p in self.parts]}

    def _load_state(self, state: Mapping[str, Any]) -> None:
        saved = state.get("parts", [{} for _ in self.parts])
        for part, part_state in zip(self.parts, saved):
            part._load_state(part_state)
