"""Training: the loop, evaluation, callbacks, and runs built from a description.

>>> from adamlab.train import RunConfig, run
>>> result = run(RunConfig(task="digits", epochs=1))  # doctest: +SKIP
>>> sorted(result)[:3]  # doctest: +SKIP
['baselines', 'best_epoch', 'config']
"""

from adamlab.train.callbacks import Callback, CallbackList
from adamlab.train.experiment import RunConfig, build, describe, run
from adamlab.train.loop import NonFiniteLossError, Trainer
from adamlab.train.metrics import evaluate

__all__ = [
    "Callback",
    "CallbackList",
    "NonFiniteLossError",
    "RunConfig",
    "Trainer",
    "build",
    "describe",
    "evaluate",
    "run",
]
