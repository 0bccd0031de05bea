"""Optimizers of the Adam family, on NumPy arrays.

>>> import numpy as np
>>> from adamlab import optim
>>> w = np.zeros(3)
>>> opt = optim.Adam([("w", w)], lr=0.1)
>>> opt.step([np.array([1.0, -2.0, 0.0])])
True
>>> w.round(6).tolist()
[-0.1, 0.1, 0.0]
"""

from adamlab.optim.adabound import AdaBound, AdaBoundW, AMSBound, adabound_update
from adamlab.optim.adafactor import Adafactor, adafactor_update
from adamlab.optim.adam import Adam, AdamW, AMSGrad, adam_update
from adamlab.optim.adamax import Adamax, adamax_update
from adamlab.optim.clipping import clip_by_value, global_norm
from adamlab.optim.layout import flat_view, pack
from adamlab.optim.nadam import NAdam, nadam_update
from adamlab.optim.optimizer import NonFiniteGradientError, Optimizer
from adamlab.optim.radam import RAdam, radam_update

__all__ = [
    "AdaBound",
    "Adafactor",
    "AdaBoundW",
    "AMSBound",
    "Adamax",
    "NAdam",
    "RAdam",
    "Adam",
    "AdamW",
    "AMSGrad",
    "NonFiniteGradientError",
    "Optimizer",
    "adabound_update",
    "adafactor_update",
    "adam_update",
    "adamax_update",
    "clip_by_value",
    "flat_view",
    "global_norm",
    "nadam_update",
    "pack",
    "radam_update",
]
