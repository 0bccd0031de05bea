"""Training: the loop, evaluation, callbacks, and runs built from a description.

>>> from adamlab.train import RunConfig, run
>>> result = run(RunConfig(task="digits", epochs=1))  # doctest: +SKIP
>>> sorted(result)[:3]  # doctest: +SKIP
['baselines', 'best_epoch', 'config']
"""

from adamlab.train.callbacks import Callback, CallbackList
from adamlab.train.checkpoint import Checkpoint, CheckpointWarning
from adamlab.train.experiment import RunConfig, build, describe, run
from adamlab.train.loop import NonFiniteLossError, Trainer
from adamlab.train.metrics import evaluate
from adamlab.train.model_file import load_model, read_model_file, save_model

__all__ = [
    "Callback",
    "CallbackList",
    "Checkpoint",
    "CheckpointWarning",
    "NonFiniteLossError",
    "RunConfig",
    "Trainer",
    "build",
    "describe",
    "evaluate",
    "load_model",
    "read_model_file",
    "run",
    "save_model",
]
