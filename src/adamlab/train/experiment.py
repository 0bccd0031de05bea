"""One run from one description: data, model, loss, optimizer, trainer, result.

:class:`RunConfig` holds every option of a run with its default; the command
line, the comparison lab and checkpoints all build runs through :func:`build`
and :func:`run`, so a run means the same thing wherever it starts.
"""

from __future__ import annotations

import dataclasses
import platform
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import adamlab

MODELS = ("mlp", "rnn", "lstm", "gru")
ACTIVATIONS = ("tanh", "relu", "sigmoid")
DTYPES = ("float32", "float64")


@dataclass
class RunConfig:
    """Every option of a training run, with the defaults of ``adamlab train``.

    ``hidden``, ``epochs``, ``batch_size`` and ``window`` left at ``None``
    take the defaults of the task's kind and model, filled in at construction
    by :func:`adamlab.train.defaults.resolve` (chosen on validation data only,
    never on test data; the table and how it was chosen are there).
    ``hyperparameters`` holds the optimizer options given explicitly, plus the
    default ``lr`` where that table has one; every other option keeps the
    optimizer's own default. ``horizon`` is the number of future values a
    series model forecasts (1 for tables).
    """

    task: str = "digits"
    csv: str | None = None
    target: str | None = None
    column: str | None = None
    date_column: str | None = None
    missing: str | None = None
    window: int | None = None
    horizon: int = 1
    model: str = "mlp"
    hidden: tuple[int, ...] | None = None
    activation: str = "relu"
    truncate: int | None = None
    optimizer: str = "adam"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    epochs: int | None = None
    batch_size: int | None = None
    dtype: str = "float64"
    seed: int = 0
    split_seed: int = 0
    clip_norm: float | None = None
    clip_value: float | None = None
    nonfinite: str = "skip"
    accumulate: int = 1
    lr_schedule: str | None = None
    momentum_schedule: str | None = None
    no_decay_1d: bool = False

    def __post_init__(self) -> None:
        from adamlab.train.defaults import resolve

        resolve(self)
        if self.model not in MODELS:
            raise ValueError(
                f"model must be one of {', '.join(MODELS)}, got {self.model!r}"
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"activation must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.activation!r}"
            )
        if self.dtype not in DTYPES:
            raise ValueError(
                f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}"
            )
        self.hidden = tuple(int(h) for h in self.hidden)
        if not self.hidden or min(self.hidden) < 1:
            raise ValueError(
                f"hidden sizes must be positive integers, got {self.hidden}"
            )
        if isinstance(self.horizon, bool) or not isinstance(self.horizon, int):
            raise TypeError(f"horizon must be an integer, got {self.horizon!r}")
        if self.horizon < 1:
            raise ValueError(f"horizon must be >= 1, got {self.horizon}")
        if self.target is not None and self.column is not None:
            raise ValueError(
                "--target (a table's label column) and --column (a series column) "
                "exclude each other; give one"
            )
        if self.csv is not None and self.target is None and self.column is None:
            raise ValueError(
                f"--csv {self.csv} needs --target COLUMN (a table) or --column NAME "
                "(a series)"
            )
        if self.csv is None:
            given = [
                flag
                for flag, value in (
                    ("--target", self.target),
                    ("--column", self.column),
                    ("--date-column", self.date_column),
                )
                if value is not None
            ]
            if given:
                raise ValueError(
                    f"{given[0]} applies to your own CSV file: add --csv PATH "
                    f"(the bundled task {self.task!r} has its own columns)"
                )
        if self.model != "mlp" and self.csv is not None and self.target is not None:
            raise ValueError(
                f"model {self.model!r} needs a series (--csv with --column); "
                "--target makes a table: use --model mlp"
            )
        if self.truncate is not None and self.model == "mlp":
            raise ValueError(
                "--truncate applies to recurrent models (--model rnn, lstm or gru), "
                "not to mlp"
            )

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able copy of every option."""
        out = dataclasses.asdict(self)
        out["hidden"] = list(self.hidden)
        return out

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> RunConfig:
        """Rebuild from :meth:`to_dict`, refusing unknown keys by name."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown run option(s) {unknown}; valid: {sorted(names)}")
        return cls(**values)

    @property
    def task_name(self) -> str:
        """The task as reported: the bundled name or ``csv:PATH``."""
        return f"csv:{self.csv}" if self.csv else self.task


def load_data(config: RunConfig) -> Any:
    """The run's :class:`adamlab.data.TaskData`."""
    from adamlab import data

    dtype = np.dtype(config.dtype)
    sequence = config.model != "mlp"
    series_options: dict[str, Any] = {}
    if config.window is not None:
        series_options["window"] = config.window
    if config.horizon != 1:
        series_options["horizon"] = config.horizon
    if config.csv is not None:
        if config.target is not None:
            if config.horizon != 1:
                raise ValueError(
                    f"--horizon {config.horizon} applies to series; a table "
                    "(--csv with --target) predicts its target column only"
                )
            table_options: dict[str, Any] = {}
            if config.missing is not None:
                table_options["missing"] = config.missing
            return data.load_csv_table(
                config.csv,
                config.target,
                split_seed=config.split_seed,
                dtype=dtype,
                **table_options,
            )
        if config.missing is not None:
            series_options["missing"] = config.missing
        return data.load_csv_series(
            config.csv,
            config.column,
            date_column=config.date_column,
            dtype=dtype,
            sequence=sequence,
            **series_options,
        )
    spec = data.TASKS.get(config.task)
    if spec is not None and spec.kind == "regression":
        series_options["sequence"] = sequence
        if config.missing is not None:
            series_options["missing"] = config.missing
    elif sequence:
        raise ValueError(
            f"model {config.model!r} needs a series task (sunspots, co2 or --csv "
            f"with --column); task {config.task!r} is a table: use --model mlp"
        )
    elif spec is not None and config.horizon != 1:
        raise ValueError(
            f"--horizon {config.horizon} applies to series (sunspots, co2 or --csv "
            f"with --column); task {config.task!r} is a table"
        )
    return data.load_task(
        config.task, split_seed=config.split_seed, dtype=dtype, **series_options
    )


def build_model(config: RunConfig, task: Any) -> Any:
    """The network for ``task`` described by ``config``."""
    from adamlab import nn

    dtype = np.dtype(config.dtype)
    if config.model == "mlp":
        return nn.mlp(
            task.n_features,
            hidden=config.hidden,
            n_out=task.n_outputs,
            activation=config.activation,
            dtype=dtype,
            seed=config.seed,
        )
    return nn.recurrent_model(
        config.model,
        n_in=task.n_features,
        hidden=config.hidden[0],
        n_out=task.n_outputs,
        truncate=config.truncate,
        dtype=dtype,
        seed=config.seed,
    )


def build_loss(kind: str) -> Any:
    """The loss for a task kind."""
    from adamlab import nn

    return {
        "multiclass": nn.SoftmaxCrossEntropy,
        "binary": nn.BinaryCrossEntropyWithLogits,
        "regression": nn.MeanSquaredError,
    }[kind]()


def build_optimizer(config: RunConfig, model: Any, steps_per_epoch: int = 1) -> Any:
    """The optimizer over ``model``'s named parameters, schedules attached.

    ``--no-decay-1d`` puts biases and other 1-D parameters in groups without
    weight decay (consecutive runs, so the gradient order is kept).
    ``--lr-schedule`` is attached to ``lr`` with ``total_steps`` defaulting to
    the run's optimizer steps; ``--momentum-schedule`` drives ``betas[0]``
    (AdaptiveAdam's own schedule for ``adaptive-adam``), counted in epochs
    unless the spec gives ``steps_per_epoch``.
    """
    from adamlab.optim.registry import make_optimizer
    from adamlab.optim.schedules import (
        attach,
        momentum_schedule_from_spec,
        schedule_from_spec,
    )

    params: list[Any] = model.named_parameters()
    if config.no_decay_1d:
        groups: list[dict[str, Any]] = []
        for name, array in params:
            decay = array.ndim > 1
            if not groups or groups[-1]["_decay"] != decay:
                groups.append({"_decay": decay, "params": []})
            groups[-1]["params"].append((name, array))
        for group in groups:
            if not group.pop("_decay"):
                group["weight_decay"] = 0.0
        params = groups

    hyperparameters = dict(config.hyperparameters)
    momentum = None
    if config.momentum_schedule is not None:
        total = config.epochs * steps_per_epoch if config.epochs else None
        momentum = momentum_schedule_from_spec(
            config.momentum_schedule,
            defaults={"steps_per_epoch": steps_per_epoch, "total_steps": total},
        )
        if config.optimizer == "adaptive-adam":
            hyperparameters["momentum_schedule"] = momentum
            momentum = None
    optimizer = make_optimizer(
        config.optimizer,
        params,
        clip_norm=config.clip_norm,
        clip_value=config.clip_value,
        nonfinite=config.nonfinite,
        **hyperparameters,
    )
    if config.lr_schedule is not None:
        total = config.epochs * steps_per_epoch if config.epochs else None
        schedule = schedule_from_spec(
            config.lr_schedule, defaults={"total_steps": total}
        )
        attach(optimizer, schedule, "lr")
    if momentum is not None:
        attach(optimizer, momentum, "betas[0]")
    return optimizer


def build(config: RunConfig, callbacks: tuple = ()) -> Any:
    """A ready :class:`adamlab.train.loop.Trainer` for ``config``."""
    from adamlab.train.loop import Trainer

    task = load_data(config)
    model = build_model(config, task)
    batches = -(-task.n_train // config.batch_size)
    steps_per_epoch = max(1, batches // config.accumulate)
    optimizer = build_optimizer(config, model, steps_per_epoch)
    return Trainer(
        model,
        build_loss(task.kind),
        optimizer,
        task,
        epochs=config.epochs,
        batch_size=config.batch_size,
        seed=config.seed,
        accumulate=config.accumulate,
        nonfinite=config.nonfinite,
        callbacks=callbacks,
    )


def versions() -> dict[str, str]:
    """Versions of what computed the numbers."""
    out = {
        "adamlab": adamlab.__version__,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }
    try:
        import numba

        out["numba"] = numba.__version__
    except ImportError:  # pragma: no cover - numba is a dependency
        pass
    return out


def describe(config: RunConfig, trainer: Any, result: dict[str, Any]) -> dict[str, Any]:
    """The result keys of ``../shared/DESIGN.md`` for a finished run."""
    out: dict[str, Any] = {
        "task": config.task_name,
        "model": config.model,
        "optimizer": config.optimizer,
        "seed": config.seed,
        "split_seed": config.split_seed,
        "config": config.to_dict(),
        "versions": versions(),
    }
    out.update(result)
    out["state_bytes"] = int(trainer.optimizer.state_bytes())
    if trainer.data.kind == "regression" and trainer.data.series is not None:
        from adamlab.data import baselines

        out["baselines"] = baselines(trainer.data)
    return out


def forecasts_on_test(trainer: Any, label: str = "network") -> dict[str, Any]:
    """The test part of a series run, in original units, for plots.

    Returns ``{"times": (n,), "truth": (n, horizon), "forecasts": {name:
    (n, horizon)}}``: the forecasts are the network's under ``label`` (with
    the tested, best-validation weights), then each baseline's. ``times`` is
    the time of each window's first target.
    """
    from adamlab.data import baseline_forecasts

    data = trainer.data
    if data.series is None:
        raise ValueError(
            f"task {data.name!r} is a table ({data.kind}); forecasts and their "
            "plot need a series task"
        )
    model = trainer.model
    current = model.param_buffer.copy()
    model.param_buffer[...] = trainer.best_params
    try:
        out = model.predict(data.X_test)
    finally:
        model.param_buffer[...] = current
    network = data.to_original_units(out.reshape(data.n_test, -1))
    forecasts = {label: network, **baseline_forecasts(data)}
    return {
        "times": data.series.target_times("test"),
        "truth": data.series.windows("test")[1],
        "forecasts": forecasts,
    }


def run(config: RunConfig, callbacks: tuple = ()) -> dict[str, Any]:
    """Train and test one run; return its result keys.

    Small models train with one BLAS thread (see
    :func:`adamlab.train.defaults.blas_threads`).
    """
    from adamlab.train.defaults import blas_threads

    trainer = build(config, callbacks)
    with blas_threads(trainer.model.param_buffer.size):
        result = trainer.fit()
    return describe(config, trainer, result)
