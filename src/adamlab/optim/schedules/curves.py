"""The closed-form schedules: each value is a formula of the counter ``t``.

``t`` counts completed optimizer steps (or completed epochs, given
``steps_per_epoch``), so the first step runs with the value at ``t = 0``. Each
schedule scales the hyperparameter's *base* value ``b`` (for ``lr`` the group's
``initial_lr``); parameters named ``min_lr``/``min_value`` are absolute floors.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from adamlab.optim.schedules.base import Schedule, check_count, check_range
from adamlab.optim.validation import check_nonnegative, check_positive


def warmup_factor(t: int, warmup_steps: int, start_factor: float) -> float:
    """Linear ramp from ``start_factor`` at ``t = 0`` to 1 at ``t = warmup_steps``."""
    if warmup_steps == 0 or t >= warmup_steps:
        return 1.0
    return start_factor + (1.0 - start_factor) * t / warmup_steps


class Constant(Schedule):
    """``b`` at every step (useful to pin a value, and as a neutral part)."""

    kind = "constant"

    def value(self, count: int, base: float) -> float:
        return base


class LinearWarmup(Schedule):
    """``b * (s + (1 - s) * min(t, W) / W)``, then ``b``.

    ``s`` is ``start_factor`` (0 by default, as transformers and optax start
    warmup from zero) and ``W`` is ``warmup_steps``.
    """

    kind = "linear_warmup"
    PARAMS = ("warmup_steps", "start_factor")

    def __init__(
        self,
        warmup_steps: int,
        start_factor: float = 0.0,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.warmup_steps = check_count("warmup_steps", warmup_steps)
        self.start_factor = check_range("start_factor", start_factor, 0.0, 1.0)

    def value(self, count: int, base: float) -> float:
        return base * warmup_factor(count, self.warmup_steps, self.start_factor)


class Cosine(Schedule):
    """Linear warmup over ``W`` steps, then cosine decay to ``min_lr`` at ``T``.

    For ``t >= W``, with ``p = min((t - W) / (T - W), 1)``:
    ``value = m + (b - m) * (1 + cos(pi * p)) / 2`` where ``m`` is ``min_lr``
    and ``T`` is ``total_steps`` (warmup included), as transformers'
    cosine-with-warmup and optax's ``warmup_cosine_decay_schedule``.
    """

    kind = "cosine"
    PARAMS = ("total_steps", "warmup_steps", "min_lr", "start_factor")

    def __init__(
        self,
        total_steps: int,
        warmup_steps: int = 0,
        min_lr: float = 0.0,
        start_factor: float = 0.0,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.total_steps = check_count("total_steps", total_steps, 1)
        self.warmup_steps = check_count("warmup_steps", warmup_steps)
        if self.warmup_steps >= self.total_steps:
            raise ValueError(
                f"warmup_steps ({warmup_steps}) must be less than total_steps "
                f"({total_steps})"
            )
        self.min_lr = check_nonnegative("min_lr", min_lr)
        self.start_factor = check_range("start_factor", start_factor, 0.0, 1.0)

    def value(self, count: int, base: float) -> float:
        if count < self.warmup_steps:
            return base * warmup_factor(count, self.warmup_steps, self.start_factor)
        span = self.total_steps - self.warmup_steps
        p = min((count - self.warmup_steps) / span, 1.0)
        return self.min_lr + (base - self.min_lr) * (1.0 + math.cos(math.pi * p)) / 2


class CosineRestarts(Schedule):
    """Cosine decay with warm restarts (Loshchilov and Hutter, SGDR, 2017).

    After ``warmup_steps``, cycle ``i`` lasts ``T_i = cycle_steps *
    cycle_mult**i`` and within it, at position ``s``:
    ``value = m + (b * cycle_decay**i - m) * (1 + cos(pi * s / T_i)) / 2``,
    with ``m`` = ``min_lr``. ``cycle_decay = 1`` gives torch's
    ``CosineAnnealingWarmRestarts``.

    I. Loshchilov and F. Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR 2017, arXiv:1608.03983.
    """

    kind = "cosine_restarts"
    PARAMS = ("cycle_steps", "cycle_mult", "min_lr", "cycle_decay", "warmup_steps")

    def __init__(
        self,
        cycle_steps: int,
        cycle_mult: float = 1.0,
        min_lr: float = 0.0,
        cycle_decay: float = 1.0,
        warmup_steps: int = 0,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.cycle_steps = check_count("cycle_steps", cycle_steps, 1)
        self.cycle_mult = check_real_at_least("cycle_mult", cycle_mult, 1.0)
        self.min_lr = check_nonnegative("min_lr", min_lr)
        self.cycle_decay = check_range("cycle_decay", cycle_decay, 0.0, 1.0)
        self.warmup_steps = check_count("warmup_steps", warmup_steps)

    def value(self, count: int, base: float) -> float:
        if count < self.warmup_steps:
            return base * warmup_factor(count, self.warmup_steps, 0.0)
        s = count - self.warmup_steps
        if self.cycle_mult == 1.0:
            cycle, s = divmod(s, self.cycle_steps)
            period = float(self.cycle_steps)
        else:
            cycle, period = 0, float(self.cycle_steps)
            while s >= period:
                s -= period
                period *= self.cycle_mult
                cycle += 1
        peak = base * self.cycle_decay**cycle
        cos = 1.0 + math.cos(math.pi * s / period)
        return self.min_lr + (peak - self.min_lr) * cos / 2


class StepDecay(Schedule):
    """``b * gamma ** (t // step_size)`` (torch's ``StepLR``)."""

    kind = "step"
    PARAMS = ("step_size", "gamma")

    def __init__(
        self, step_size: int, gamma: float = 0.1, *, steps_per_epoch: int | None = None
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.step_size = check_count("step_size", step_size, 1)
        self.gamma = check_range("gamma", gamma, 0.0, 1.0)

    def value(self, count: int, base: float) -> float:
        return base * self.gamma ** (count // self.step_size)


class MultiStepDecay(Schedule):
    """``b * gamma ** (number of milestones <= t)`` (torch's ``MultiStepLR``)."""

    kind = "multistep"
    PARAMS = ("milestones", "gamma")

    def __init__(
        self,
        milestones: Sequence[int],
        gamma: float = 0.1,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        if isinstance(milestones, (str, bytes)) or not isinstance(milestones, Sequence):
            raise TypeError(
                f"milestones must be a list of integers, got {milestones!r}"
            )
        marks = [check_count(f"milestones[{i}]", m) for i, m in enumerate(milestones)]
        if marks != sorted(marks):
            raise ValueError(f"milestones must be increasing, got {list(milestones)}")
        self.milestones = marks
        self.gamma = check_range("gamma", gamma, 0.0, 1.0)

    def value(self, count: int, base: float) -> float:
        passed = sum(1 for m in self.milestones if m <= count)
        return base * self.gamma**passed


class Exponential(Schedule):
    """``b * gamma ** t`` (torch's ``ExponentialLR``)."""

    kind = "exponential"
    PARAMS = ("gamma",)

    def __init__(self, gamma: float, *, steps_per_epoch: int | None = None) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.gamma = check_range("gamma", gamma, 0.0, 1.0)

    def value(self, count: int, base: float) -> float:
        return base * self.gamma**count


class InverseSqrt(Schedule):
    """Linear warmup over ``W`` steps, then ``b * sqrt(tau / max(t, tau))``.

    ``tau`` is ``timescale`` (default ``max(W, 1)``), so the value is
    continuous at ``t = W`` and halves each time ``t`` quadruples, as in the
    Transformer's "noam" schedule (Vaswani et al., 2017, arXiv:1706.03762).
    """

    kind = "inverse_sqrt"
    PARAMS = ("warmup_steps", "timescale")

    def __init__(
        self,
        warmup_steps: int = 0,
        timescale: int | None = None,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.warmup_steps = check_count("warmup_steps", warmup_steps)
        if timescale is None:
            timescale = max(self.warmup_steps, 1)
        self.timescale = check_count("timescale", timescale, 1)

    def value(self, count: int, base: float) -> float:
        if count < self.warmup_steps:
            return base * warmup_factor(count, self.warmup_steps, 0.0)
        return base * math.sqrt(self.timescale / max(count, self.timescale))


class Hyperbolic(Schedule):
    """``b / (1 + rate * t)``: the "decay" momentum schedule with ``rate = 0.1``."""

    kind = "hyperbolic"
    PARAMS = ("rate",)

    def __init__(self, rate: float = 0.1, *, steps_per_epoch: int | None = None):
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.rate = check_nonnegative("rate", rate)

    def value(self, count: int, base: float) -> float:
        return base / (1.0 + self.rate * count)


class SineCycle(Schedule):
    """``b * (1 + sin(2 pi t / period)) / 2``: the "cyclic" momentum schedule.

    With ``period = 20`` this is ``b * (1 + sin(t * pi / 10)) / 2``; note that
    it starts at ``b / 2``.
    """

    kind = "sine"
    PARAMS = ("period",)

    def __init__(self, period: float = 20.0, *, steps_per_epoch: int | None = None):
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.period = check_positive("period", period)

    def value(self, count: int, base: float) -> float:
        return base * (1.0 + math.sin(2.0 * math.pi * count / self.period)) / 2.0


def check_real_at_least(name: str, value: object, low: float) -> float:
    """A finite number >= ``low``."""
    value = check_nonnegative(name, value)
    if value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return value
