"""Default training options per kind of task and model, resolved in one place.

A :class:`adamlab.train.RunConfig` leaves ``hidden``, ``epochs``,
``batch_size`` and ``window`` at ``None`` unless they are given; :func:`resolve`
fills them (and a learning rate, where the table has one) from
:data:`DEFAULTS`, keyed by the kind of data (``"table"`` or ``"series"``) and
the model. The resolved values are stored in the config, so a run's
``config`` shows every option it used.

How the values were chosen
--------------------------
``("table", "mlp")``
    Hidden 128, 60 epochs, batches of 32 and the optimizer's own learning
    rate, chosen on the validation split of ``digits``.
``("series", "rnn" | "lstm" | "gru")``
    A grid over learning rate {1e-3, 3e-3, 1e-2}, hidden size {16, 32, 64}
    and batch size {16, 32}, extended past its edges with (lr 3e-2, hidden
    64, batch 16) and (lr 1e-2, hidden 128, batch 16); Adam, window 12, seeds
    0-4, 120 epochs, on ``sunspots``. Each setting was scored by the mean over
    the seeds of the validation RMSE of each run's best-validation epoch (the
    weights a run tests), and the best setting kept. Its epoch count is the
    smallest whose score is within 1% of its score at 120 epochs, rounded up
    to a multiple of 10. Scores (validation RMSE, sunspot numbers): RNN
    16.39, LSTM 14.34, GRU 13.99. The test part was never looked at. The
    search is rerun by ``python benchmarks/series_accuracy.py --search``.
``("series", "mlp")``
    The table values, not tuned for series.

Limitations
-----------
The series values were tuned on ``sunspots`` only (yearly, ~300 values);
``co2`` and CSV series get them untuned. The LSTM's best setting lies on the
edge of the searched grid (the largest hidden size tried), so a larger one
might score better still. The tuned learning rate was chosen
with Adam and is applied to every optimizer whose ``lr`` is an Adam-style step
size (all but ``adafactor``); give ``--lr`` to compare optimizers at their own
best rates.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

#: Optimizers whose ``lr`` is not an Adam-style step size: the table's lr is
#: not applied to them.
OWN_LR_OPTIMIZERS = ("adafactor",)


@dataclass(frozen=True)
class Defaults:
    """Default options of one kind of task and model.

    ``lr`` is ``None`` where the optimizer's own default learning rate is used.
    """

    hidden: tuple[int, ...]
    epochs: int
    batch_size: int
    lr: float | None = None


_TABLE = Defaults(hidden=(128,), epochs=60, batch_size=32)

#: The defaults, keyed by ``(data kind, model)``; see the module docstring.
DEFAULTS: dict[tuple[str, str], Defaults] = {
    ("table", "mlp"): _TABLE,
    ("series", "mlp"): _TABLE,
    ("series", "rnn"): Defaults(hidden=(64,), epochs=40, batch_size=16, lr=1e-2),
    ("series", "lstm"): Defaults(hidden=(128,), epochs=50, batch_size=16, lr=1e-2),
    ("series", "gru"): Defaults(hidden=(64,), epochs=30, batch_size=16, lr=1e-2),
}

#: Past values per example for series when ``window`` is not given; the same
#: as :data:`adamlab.data.DEFAULT_WINDOW`, which the baselines use too.
SERIES_WINDOW = 12

#: Models with at most this many parameters train with one BLAS thread (see
#: :func:`blas_threads`).
SMALL_MODEL_PARAMETERS = 1_000_000


def data_kind(task: str, csv: str | None, target: str | None) -> str:
    """``"table"`` or ``"series"``: the kind of data a run trains on.

    A CSV with ``target`` is a table and one without is a series; a bundled
    task is a series when its registered kind is ``"regression"``. An unknown
    task name counts as a table here; loading it reports the error.
    """
    if csv is not None:
        return "table" if target is not None else "series"
    from adamlab.data import TASKS

    spec = TASKS.get(task)
    return "series" if spec is not None and spec.kind == "regression" else "table"


def defaults_for(kind: str, model: str) -> Defaults:
    """The :class:`Defaults` of one kind of data and model."""
    found = DEFAULTS.get((kind, model))
    if found is None:
        valid = ", ".join(f"{k}/{m}" for k, m in DEFAULTS)
        raise ValueError(
            f"no defaults for {model!r} on {kind} data; known pairs: {valid}"
        )
    return found


def resolve(config: Any) -> None:
    """Fill the options of ``config`` left at ``None`` with their defaults.

    Sets ``hidden``, ``epochs`` and ``batch_size``; ``window`` for series; and
    ``hyperparameters["lr"]`` when the table has a learning rate, none was
    given, and the optimizer's lr is an Adam-style step. A pair without
    defaults (a recurrent model on a table) is left for the data loader to
    refuse with its own message. ``config`` is changed in place.
    """
    kind = data_kind(config.task, config.csv, config.target)
    found = DEFAULTS.get((kind, config.model), _TABLE)
    if config.hidden is None:
        config.hidden = found.hidden
    if config.epochs is None:
        config.epochs = found.epochs
    if config.batch_size is None:
        config.batch_size = found.batch_size
    if kind == "series" and config.window is None:
        config.window = SERIES_WINDOW
    if (
        found.lr is not None
        and "lr" not in config.hyperparameters
        and config.optimizer not in OWN_LR_OPTIMIZERS
    ):
        config.hyperparameters = {**config.hyperparameters, "lr": found.lr}


@contextlib.contextmanager
def blas_threads(n_parameters: int) -> Iterator[None]:
    """Run the block with one BLAS thread when the model is small.

    The matrices of a small network are too small for threads to pay off,
    and the threads mostly wait for each other. On the 2-core development
    machine (shared with other jobs, load 1.5-3), training with two OpenBLAS
    threads against one took: sunspots LSTM with its defaults 27-50 s against
    4.4 s, the GRU 9-12 s against 0.95 s, 10 epochs of the digits MLP
    0.33-0.44 s against 0.17 s. Larger models keep the library's setting.
    """
    if n_parameters > SMALL_MODEL_PARAMETERS:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        yield
