"""Command-line options shared by ``train``, ``compare`` and ``evaluate``.

This module imports nothing heavy, so ``adamlab --help`` answers at once. The
names listed here mirror the registries (``adamlab.data.TASKS``,
``adamlab.optim.registry.OPTIMIZERS``); a test keeps them in step.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from typing import Any

TASK_NAMES = ("digits", "breast-cancer", "sunspots", "co2")
OPTIMIZER_NAMES = (
    "adam",
    "adamw",
    "amsgrad",
    "adabound",
    "amsbound",
    "adaboundw",
    "nadam",
    "radam",
    "adamax",
    "adaptive-adam",
    "adafactor",
)
MODEL_NAMES = ("mlp", "rnn", "lstm", "gru")


def floats(text: str) -> tuple[float, ...]:
    """Parse ``"0.9,0.999"`` into floats."""
    try:
        return tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated numbers, got {text!r}"
        ) from None


def ints(text: str) -> tuple[int, ...]:
    """Parse ``"64"`` or ``"128,64"`` into positive integers."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def seed(text: str) -> int:
    """Parse a seed: an integer in [0, 2**32)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(
            f"expected an integer in [0, 2**32), got {value}"
        )
    return value


def path(text: str) -> str:
    """A file or folder path: any non-empty string (an empty one would mean ".")."""
    if not text:
        raise argparse.ArgumentTypeError("expected a path, got an empty string")
    return text


def check_output(flag: str | None, path: str) -> None:
    """Refuse output ``path`` of option ``flag`` before any work, creating
    nothing: a folder, a missing folder, and what
    :func:`adamlab.fileio.check_destination` refuses. The message names
    ``flag`` unless it is None (argparse names it already)."""
    from pathlib import Path

    from adamlab.fileio import check_destination

    name = "" if flag is None else f"{flag} "
    if not path or Path(path).is_dir():
        raise ValueError(f"{name}{path!r}: expected a file path, got a folder")
    folder = Path(path).parent
    if not folder.is_dir():
        raise ValueError(f"{name}{path}: the folder {folder} does not exist")
    try:
        check_destination(path)
    except ValueError as error:
        raise ValueError(str(error) if flag is None else f"{flag}: {error}") from None


def write_output(flag: str, path: str, write: Any, *values: Any, **keywords: Any):
    """``write(path, *values, **keywords)``; an ``OSError`` as one line naming
    ``flag`` and ``path``."""
    try:
        write(path, *values, **keywords)
    except OSError as error:
        reason = error.strerror or str(error)
        raise ValueError(f"{flag} {path}: cannot write it: {reason}") from error


def check_data_source(args: argparse.Namespace) -> None:
    """Refuse ``--task`` given together with ``--csv``."""
    if args.task is not None and args.csv is not None:
        raise ValueError(
            f"--task {args.task} and --csv {args.csv} exclude each other: give one"
        )


def positive_int(text: str) -> int:
    """Parse an integer >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected an integer >= 1, got {value}")
    return value


@dataclass(frozen=True)
class HyperFlag:
    """One optimizer hyperparameter flag and the keyword it feeds."""

    flag: str
    keyword: str
    type: Any
    help: str
    metavar: str = "X"


#: Optimizer hyperparameter flags. A flag given for an optimizer that does not
#: take its keyword is an error naming both.
HYPER_FLAGS: list[HyperFlag] = [
    HyperFlag("--lr", "lr", float, "learning rate (default: the optimizer's)"),
    HyperFlag("--betas", "betas", floats, "beta1,beta2 (default 0.9,0.999)", "B1,B2"),
    HyperFlag("--eps", "eps", float, "denominator epsilon (default 1e-8)"),
    HyperFlag(
        "--weight-decay",
        "weight_decay",
        float,
        "L2 decay for adam, decoupled decay for adamw (default: the optimizer's)",
    ),
    HyperFlag(
        "--final-lr",
        "final_lr",
        float,
        "adabound/amsbound/adaboundw: SGD rate the bounds close on (default 0.1)",
    ),
    HyperFlag(
        "--bound-gamma",
        "gamma",
        float,
        "adabound/amsbound/adaboundw: speed of the bounds, in (0, 1) (default 1e-3)",
    ),
    HyperFlag(
        "--momentum-decay",
        "momentum_decay",
        float,
        "nadam: momentum schedule psi (default 4e-3)",
    ),
    HyperFlag(
        "--rectify-threshold",
        "rectify_threshold",
        float,
        "radam: rho_t above which steps are adaptive, >= 4 (default 5)",
    ),
    HyperFlag(
        "--eps-mode",
        "eps_mode",
        str,
        "adam family: 'outside' (torch, optax; default) or 'hat' (Keras)",
        "MODE",
    ),
    HyperFlag(
        "--eps-root",
        "eps_root",
        float,
        "adam family: eps inside the square root, as optax's eps_root (default 0)",
    ),
    HyperFlag(
        "--amsgrad-mode",
        "amsgrad_mode",
        str,
        "amsgrad: max over 'raw' v (torch; default) or 'corrected' v (optax)",
        "MODE",
    ),
    HyperFlag(
        "--weight-decay-scale",
        "weight_decay_scale",
        str,
        "adamw: decay times 'lr' (torch, optax; default) or the 'schedule' "
        "multiplier only (Loshchilov and Hutter)",
        "MODE",
    ),
]


def add_data_options(parser: argparse.ArgumentParser) -> None:
    """Task and data options."""
    group = parser.add_argument_group("data")
    # No argparse default: run_config must tell an explicit --task from none.
    group.add_argument(
        "--task",
        metavar="NAME",
        help=f"bundled task: {', '.join(TASK_NAMES)} (default digits)",
    )
    group.add_argument(
        "--csv",
        type=path,
        metavar="PATH",
        help="your own CSV file instead of a bundled task (with --target or --column)",
    )
    group.add_argument(
        "--target", metavar="COLUMN", help="CSV label column: train a classifier"
    )
    group.add_argument(
        "--column", metavar="NAME", help="CSV series column: forecast it"
    )
    group.add_argument(
        "--date-column", metavar="NAME", help="CSV column that orders the series"
    )
    group.add_argument(
        "--missing",
        choices=("error", "interpolate", "drop"),
        help="missing values: error (CSV default), drop, or interpolate (series "
        "only, linear in time)",
    )
    group.add_argument(
        "--window",
        type=positive_int,
        help="series: past values per example (default 12)",
    )
    group.add_argument(
        "--horizon",
        type=positive_int,
        default=1,
        metavar="H",
        help="series: forecast the next H values (default 1)",
    )
    group.add_argument(
        "--split-seed",
        type=seed,
        default=0,
        help="seed of the train/val/test split, independent of --seed (default 0)",
    )


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """Network options."""
    group = parser.add_argument_group("model")
    group.add_argument(
        "--model",
        default="mlp",
        metavar="KIND",
        help=f"network: {', '.join(MODEL_NAMES)} (default mlp; rnn/lstm/gru "
        "for series)",
    )
    group.add_argument(
        "--hidden",
        type=ints,
        metavar="N[,N...]",
        help="hidden layer sizes (default: the task's, 128 for tables; see "
        "adamlab.train.defaults)",
    )
    group.add_argument(
        "--activation",
        default="relu",
        choices=("tanh", "relu", "sigmoid"),
        help="hidden activation of the MLP (default relu)",
    )
    group.add_argument(
        "--truncate",
        type=positive_int,
        metavar="K",
        help="recurrent models: truncated backpropagation every K steps",
    )
    group.add_argument(
        "--dtype",
        default="float64",
        choices=("float32", "float64"),
        help="dtype of parameters and data (default float64)",
    )


def add_optimizer_options(parser: argparse.ArgumentParser, *, single: bool) -> None:
    """Optimizer choice and hyperparameters."""
    group = parser.add_argument_group("optimizer")
    if single:
        group.add_argument(
            "--optimizer",
            default="adam",
            metavar="NAME",
            help=f"one of: {', '.join(OPTIMIZER_NAMES)} (default adam; "
            "see `adamlab optimizers`)",
        )
    for spec in HYPER_FLAGS:
        group.add_argument(
            spec.flag,
            dest=f"hyper_{spec.keyword}",
            type=spec.type,
            metavar=spec.metavar,
            help=spec.help,
        )
    group.add_argument(
        "--clip-norm", type=float, metavar="X", help="clip the global gradient norm"
    )
    group.add_argument(
        "--clip-value", type=float, metavar="X", help="clip each gradient element"
    )
    group.add_argument(
        "--nonfinite",
        default="skip",
        choices=("skip", "raise", "ignore"),
        help="NaN/inf gradient or loss: skip the step with a warning (default), "
        "raise, or ignore",
    )


def add_schedule_options(parser: argparse.ArgumentParser) -> None:
    """Schedules and weight-decay masks (see adamlab.optim.schedules)."""
    group = parser.add_argument_group("schedules")
    group.add_argument(
        "--lr-schedule",
        metavar="KIND[:K=V,...]",
        help="e.g. cosine:warmup_steps=500,min_lr=1e-5; kinds: constant, "
        "linear_warmup, cosine, cosine_restarts, step, multistep, exponential, "
        "inverse_sqrt, one_cycle, plateau",
    )
    group.add_argument(
        "--momentum-schedule",
        metavar="KIND[:K=V,...]",
        help="beta1 schedule: constant, decay, cyclic (add steps_per_epoch=N to "
        "count epochs) or any --lr-schedule kind",
    )
    group.add_argument(
        "--no-decay-1d",
        action="store_true",
        help="no weight decay for biases and other 1-D parameters",
    )


def add_training_options(parser: argparse.ArgumentParser) -> None:
    """Loop options."""
    group = parser.add_argument_group("training")
    group.add_argument(
        "--epochs",
        type=positive_int,
        help="passes over the data (default: the task's, 60 for tables)",
    )
    group.add_argument(
        "--batch-size",
        type=positive_int,
        help="examples per step (default: the task's, 32 for tables)",
    )
    group.add_argument(
        "--accumulate",
        type=positive_int,
        default=1,
        metavar="K",
        help="average K micro-batches per optimizer step (default 1)",
    )


def hyperparameters(args: argparse.Namespace) -> dict[str, Any]:
    """The optimizer keywords the user gave explicitly."""
    out = {}
    for spec in HYPER_FLAGS:
        value = getattr(args, f"hyper_{spec.keyword}", None)
        if value is not None:
            out[spec.keyword] = value
    return out


def flag_for(keyword: str) -> str:
    """The command-line flag that sets an optimizer keyword."""
    for spec in HYPER_FLAGS:
        if spec.keyword == keyword:
            return spec.flag
    return keyword


def run_config(args: argparse.Namespace, **overrides: Any) -> Any:
    """A :class:`adamlab.train.RunConfig` from parsed arguments.

    ``--task`` defaults to digits; given together with ``--csv`` it is a
    ``ValueError``.
    """
    from adamlab.train.experiment import RunConfig

    check_data_source(args)
    values = dict(
        task="digits" if args.task is None else args.task,
        csv=args.csv,
        target=args.target,
        column=args.column,
        date_column=args.date_column,
        missing=args.missing,
        window=args.window,
        horizon=getattr(args, "horizon", 1),
        model=args.model,
        hidden=args.hidden,
        activation=args.activation,
        truncate=args.truncate,
        optimizer=getattr(args, "optimizer", "adam"),
        hyperparameters=hyperparameters(args),
        epochs=args.epochs,
        batch_size=args.batch_size,
        dtype=args.dtype,
        seed=args.seed,
        split_seed=args.split_seed,
        clip_norm=args.clip_norm,
        clip_value=args.clip_value,
        nonfinite=args.nonfinite,
        accumulate=args.accumulate,
    )
    for name in ("lr_schedule", "momentum_schedule", "no_decay_1d"):
        values[name] = getattr(args, name, None)
    values.update(overrides)
    return RunConfig(**values)
