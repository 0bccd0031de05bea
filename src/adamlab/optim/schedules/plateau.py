"""Reduce-on-plateau: cut the value when a monitored metric stops improving."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from adamlab.optim.schedules.base import Schedule, check_count, check_range
from adamlab.optim.validation import check_choice, check_nonnegative, check_real


class ReduceOnPlateau(Schedule):
    """Multiply the value by ``factor`` after ``patience`` reports without progress.

    The training loop calls :meth:`report` with the metric (e.g. the validation
    loss) once per epoch. A report is an improvement when, for ``mode="min"``,
    ``metric < best * (1 - threshold)`` (``threshold_mode="rel"``) or ``metric <
    best - threshold`` (``"abs"``); ``"max"`` mirrors this. When more than
    ``patience`` reports in a row bring none, the scale is multiplied by
    ``factor`` and ``cooldown`` reports are ignored. The value is
    ``max(b * scale, min_lr)``. These are the rules of torch's
    ``ReduceLROnPlateau`` (without its ``eps``).
    """

    kind = "plateau"
    PARAMS = (
        "factor",
        "patience",
        "mode",
        "threshold",
        "threshold_mode",
        "cooldown",
        "min_lr",
    )

    def __init__(
        self,
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "min",
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float = 0.0,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.factor = check_range("factor", factor, 0.0, 1.0)
        if self.factor >= 1.0:
            raise ValueError(f"factor must be in [0, 1), got {factor!r}")
        self.patience = check_count("patience", patience)
        self.mode = check_choice("mode", mode, ("min", "max"))
        self.threshold = check_nonnegative("threshold", threshold)
        self.threshold_mode = check_choice(
            "threshold_mode", threshold_mode, ("rel", "abs")
        )
        self.cooldown = check_count("cooldown", cooldown)
        self.min_lr = check_nonnegative("min_lr", min_lr)
        self.scale = 1.0
        self.best = math.inf if mode == "min" else -math.inf
        self.bad_reports = 0
        self.cooldown_left = 0
        self.reductions = 0

    def _improves(self, metric: float) -> bool:
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return metric < self.best * (1.0 - self.threshold)
            return metric < self.best - self.threshold
        if self.threshold_mode == "rel":
            return metric > self.best * (1.0 + self.threshold)
        return metric > self.best + self.threshold

    def report(self, metric: float) -> None:
        """Record one value of the monitored metric; NaN counts as no progress."""
        metric = float(check_real_or_nan(metric))
        if not math.isnan(metric) and self._improves(metric):
            self.best = metric
            self.bad_reports = 0
        else:
            self.bad_reports += 1
        if self.cooldown_left > 0:
            self.cooldown_left -= 1
            self.bad_reports = 0
        if self.bad_reports > self.patience:
            self.scale *= self.factor
            self.reductions += 1
            self.cooldown_left = self.cooldown
            self.bad_reports = 0

    def value(self, count: int, base: float) -> float:
        return max(base * self.scale, self.min_lr)

    def _state(self) -> dict[str, Any]:
        return {
            "scale": self.scale,
            "best": self.best,
            "bad_reports": self.bad_reports,
            "cooldown_left": self.cooldown_left,
            "reductions": self.reductions,
        }

    def _load_state(self, state: Mapping[str, Any]) -> None:
        self.scale = float(state["scale"])
        self.best = float(state["best"])
        self.bad_reports = int(state["bad_reports"])
        self.cooldown_left = int(state["cooldown_left"])
        self.reductions = int(state["reductions"])


def check_real_or_nan(value: object) -> float:
    """A real number; NaN is allowed (a diverged run reports it)."""
    try:
        return check_real("metric", value)
    except ValueError:
        return math.nan
