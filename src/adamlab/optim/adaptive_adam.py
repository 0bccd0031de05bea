"""AdaptiveAdam: Adam whose beta1 follows a momentum schedule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from adamlab.optim.adam import Adam
from adamlab.optim.schedules import (
    Constant,
    Hyperbolic,
    Schedule,
    ScheduleBinding,
    SineCycle,
    attach,
)

MOMENTUM_SCHEDULES = ("constant", "decay", "cyclic")


class AdaptiveAdam(Adam):
    r"""Adam with a scheduled first-moment rate ``beta1_t``.

    With ``b`` the given ``betas[0]`` and ``e`` the counter (completed epochs,
    ``completed_steps // steps_per_epoch``, or completed steps when
    ``steps_per_epoch`` is None), the step after ``e`` uses

    1. ``constant``: ``beta1_t = b``;
    2. ``decay``: ``beta1_t = b / (1 + 0.1 e)``;
    3. ``cyclic``: ``beta1_t = b (1 + sin(e pi / 10)) / 2`` (it starts at
       ``b / 2``).

    The update is :class:`~adamlab.optim.Adam`'s, whose first-moment bias
    correction is ``bc1 = 1 - prod_{i<=t} beta1_i`` over the values actually
    used (kept per parameter as ``beta1_product``): so ``m_hat = m / bc1`` is
    an exactly normalised average of past gradients whatever the schedule, and
    the very first step is ``lr * g / (|g| + eps)`` for any ``beta1_1``. A
    constant schedule gives results bit-identical to Adam with a fixed beta1.

    The schedule is attached to ``betas[0]`` (see
    :mod:`adamlab.optim.schedules`), so it is saved in ``state_dict`` and
    advanced only by completed steps. Any built-in schedule may be given
    instead of a name; a value outside [0, 1) raises ``ValueError``.

    Parameters
    ----------
    params, lr, betas, eps, weight_decay, amsgrad, maximize
        As for :class:`~adamlab.optim.Adam`.
    momentum_schedule
        ``"constant"``, ``"decay"``, ``"cyclic"``, or a
        :class:`~adamlab.optim.schedules.Schedule`.
    steps_per_epoch
        Count epochs of this many steps; None counts steps.
    **options
        Other keyword options of :class:`~adamlab.optim.Adam`.

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
    ICLR 2015, arXiv:1412.6980 (bias correction, section 3). Scheduled
    momentum after L. N. Smith, arXiv:1803.09820 (2018), and the momentum
    schedules of I. Sutskever et al., "On the importance of initialization and
    momentum in deep learning", ICML 2013.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        momentum_schedule: str | Schedule = "constant",
        steps_per_epoch: int | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize, **options
        )
        if isinstance(momentum_schedule, Schedule):
            schedule = momentum_schedule
        elif momentum_schedule == "constant":
            schedule = Constant(steps_per_epoch=steps_per_epoch)
        elif momentum_schedule == "decay":
            schedule = Hyperbolic(0.1, steps_per_epoch=steps_per_epoch)
        elif momentum_schedule == "cyclic":
            schedule = SineCycle(20.0, steps_per_epoch=steps_per_epoch)
        else:
            valid = ", ".join(repr(m) for m in MOMENTUM_SCHEDULES)
            raise ValueError(
                f"momentum_schedule must be one of {valid} or a Schedule, got "
                f"{momentum_schedule!r}"
            )
        self.momentum_schedule = momentum_schedule
        self.momentum_binding: ScheduleBinding = attach(self, schedule, "betas[0]")
