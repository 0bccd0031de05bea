"""Hyperparameter schedules attached to an optimizer.

>>> import numpy as np
>>> from adamlab import optim
>>> from adamlab.optim.schedules import Cosine, attach
>>> w = np.zeros(2)
>>> opt = optim.Adam([w], lr=0.1)
>>> binding = attach(opt, Cosine(total_steps=4, warmup_steps=2), "lr")
>>> lrs = []
>>> for _ in range(5):
...     lrs.append(round(opt.param_groups[0]["lr"], 6))
...     _ = opt.step([np.ones(2)])
>>> lrs
[0.0, 0.05, 0.1, 0.05, 0.0]
"""

from adamlab.optim.schedules.attach import (
    FunctionSchedule,
    ScheduleBinding,
    attach,
)
from adamlab.optim.schedules.base import KINDS, Schedule, schedule_from_state
from adamlab.optim.schedules.curves import (
    Constant,
    Cosine,
    CosineRestarts,
    Exponential,
    Hyperbolic,
    InverseSqrt,
    LinearWarmup,
    MultiStepDecay,
    SineCycle,
    StepDecay,
)
from adamlab.optim.schedules.onecycle import OneCycle
from adamlab.optim.schedules.plateau import ReduceOnPlateau
from adamlab.optim.schedules.sequential import Sequential
from adamlab.optim.schedules.spec import (
    MOMENTUM_KINDS,
    momentum_schedule_from_spec,
    parse_spec,
    schedule_from_spec,
)

__all__ = [
    "KINDS",
    "MOMENTUM_KINDS",
    "Constant",
    "Cosine",
    "CosineRestarts",
    "Exponential",
    "FunctionSchedule",
    "Hyperbolic",
    "InverseSqrt",
    "LinearWarmup",
    "MultiStepDecay",
    "OneCycle",
    "ReduceOnPlateau",
    "Schedule",
    "ScheduleBinding",
    "Sequential",
    "SineCycle",
    "StepDecay",
    "attach",
    "momentum_schedule_from_spec",
    "parse_spec",
    "schedule_from_spec",
    "schedule_from_state",
]
