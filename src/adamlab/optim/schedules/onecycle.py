"""One-cycle: learning rate up then down, momentum down then up (Smith, 2018).

L. N. Smith, "A disciplined approach to neural network hyper-parameters: Part 1
-- learning rate, batch size, momentum, and weight decay", 2018,
arXiv:1803.09820. The paper's policy has three phases (up, down to the start,
then a short annihilation); torch's ``OneCycleLR`` defaults to two (pytorch
issue 40362). Both are offered, with torch's phase boundaries, so that
``three_phase=False`` reproduces ``OneCycleLR`` step for step.
"""

from __future__ import annotations

import math

from adamlab.optim.schedules.base import Schedule, check_count, check_range
from adamlab.optim.validation import check_choice, check_positive


def _anneal(start: float, end: float, fraction: float, how: str) -> float:
    if how == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * fraction) + 1.0)
    return (end - start) * fraction + start


class OneCycle(Schedule):
    r"""The one-cycle policy for ``lr``, and for ``betas[0]`` alongside.

    With ``T`` = ``total_steps``, ``p`` = ``pct_start``, peak ``M`` = ``max_lr``
    (default: the group's base lr), start ``M / div_factor`` and end
    ``M / div_factor / final_div_factor``:

    - two phases: start -> M over ``[0, pT - 1]``, then M -> end at ``T - 1``;
      momentum goes ``max_momentum -> base_momentum -> max_momentum``;
    - three phases: start -> M over ``[0, pT - 1]``, M -> start at ``2pT - 2``,
      then start -> end at ``T - 1``; momentum ``max -> base -> max``, then
      held at ``max_momentum``.

    Within each phase the value moves by half a cosine (``anneal="cos"``) or
    linearly. After ``T - 1`` the final values are held. When
    ``cycle_momentum`` is true and the schedule drives ``lr``, it also writes
    ``betas[0]`` (absolute values, the same for every group).
    """

    kind = "one_cycle"
    PARAMS = (
        "total_steps",
        "max_lr",
        "pct_start",
        "anneal",
        "div_factor",
        "final_div_factor",
        "three_phase",
        "cycle_momentum",
        "base_momentum",
        "max_momentum",
    )

    def __init__(
        self,
        total_steps: int,
        max_lr: float | None = None,
        pct_start: float = 0.3,
        anneal: str = "cos",
        div_factor: float = 25.0,
        final_div_factor: float = 1e4,
        three_phase: bool = False,
        cycle_momentum: bool = True,
        base_momentum: float = 0.85,
        max_momentum: float = 0.95,
        *,
        steps_per_epoch: int | None = None,
    ) -> None:
        super().__init__(steps_per_epoch=steps_per_epoch)
        self.total_steps = check_count("total_steps", total_steps, 2)
        self.max_lr = None if max_lr is None else check_positive("max_lr", max_lr)
        self.pct_start = check_range("pct_start", pct_start, 0.0, 1.0)
        self.anneal = check_choice("anneal", anneal, ("cos", "linear"))
        self.div_factor = check_positive("div_factor", div_factor)
        self.final_div_factor = check_positive("final_div_factor", final_div_factor)
        if not isinstance(three_phase, bool) or not isinstance(cycle_momentum, bool):
            raise TypeError("three_phase and cycle_momentum must be True or False")
        self.three_phase = three_phase
        self.cycle_momentum = cycle_momentum
        for name, value in (
            ("base_momentum", base_momentum),
            ("max_momentum", max_momentum),
        ):
            check_range(name, value, 0.0, 1.0)
            if value >= 1.0:
                raise ValueError(f"{name} must be in [0, 1), got {value!r}")
        self.base_momentum = float(base_momentum)
        self.max_momentum = float(max_momentum)
        up = self.pct_start * self.total_steps - 1.0
        if three_phase:
            self._ends = (up, 2.0 * up, self.total_steps - 1.0)
        else:
            self._ends = (up, self.total_steps - 1.0)
        if min(b - a for a, b in zip((0.0, *self._ends), self._ends)) <= 0:
            raise ValueError(
                f"pct_start={pct_start} with total_steps={total_steps} leaves a "
                "phase of zero length; raise total_steps or change pct_start"
            )

    def _phase(self, count: int) -> tuple[int, float]:
        """Index of the phase holding ``count`` and the fraction done in it."""
        start = 0.0
        for i, end in enumerate(self._ends):
            if count <= end or i == len(self._ends) - 1:
                return i, min((count - start) / (end - start), 1.0)
            start = end
        raise AssertionError("unreachable")

    def value(self, count: int, base: float) -> float:
        peak = base if self.max_lr is None else self.max_lr
        low = peak / self.div_factor
        points = (low, peak, low / self.final_div_factor)
        if self.three_phase:
            points = (low, peak, low, low / self.final_div_factor)
        i, fraction = self._phase(count)
        return _anneal(points[i], points[i + 1], fraction, self.anneal)

    def momentum(self, count: int) -> float:
        """beta1 after ``count`` completed steps (or epochs)."""
        hi, lo = self.max_momentum, self.base_momentum
        points = (hi, lo, hi, hi) if self.three_phase else (hi, lo, hi)
        i, fraction = self._phase(count)
        return _anneal(points[i], points[i + 1], fraction, self.anneal)

    def extra(self, step: int) -> dict[str, float]:
        if not self.cycle_momentum:
            return {}
        if self.steps_per_epoch is not None:
            step //= self.steps_per_epoch
        return {"betas[0]": self.momentum(step)}
