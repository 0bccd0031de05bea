"""``adamlab train``: train one network with one optimizer on one task."""

from __future__ import annotations

import argparse
import warnings
from collections import Counter

from adamlab.cli import options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a network on a bundled task or your CSV",
        description=(
            "Train a NumPy network with one optimizer, validate every epoch, and "
            "test the weights of the best validation epoch."
        ),
        epilog="example: adamlab train --task digits --optimizer adam --epochs 30",
    )
    options.add_data_options(parser)
    options.add_model_options(parser)
    options.add_optimizer_options(parser, single=True)
    options.add_schedule_options(parser)
    options.add_training_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument(
        "--seed", type=options.seed, default=0, help="seed of init and data order"
    )
    out.add_argument("--quiet", action="store_true", help="print only the summary")
    out.add_argument(
        "--json",
        type=options.path,
        metavar="PATH",
        help="write the result keys as JSON",
    )
    out.add_argument(
        "--plot",
        type=options.path,
        metavar="PATH",
        help="series: write a PNG of the test forecast against the truth (the "
        "one-step-ahead column when --horizon > 1)",
    )
    out.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one line"
    )
    add_checkpoint_options(parser)


def add_checkpoint_options(parser: argparse.ArgumentParser) -> None:
    """Checkpoint, resume and model-file options."""
    group = parser.add_argument_group("checkpoints and models")
    group.add_argument(
        "--checkpoint-dir",
        type=options.path,
        metavar="DIR",
        help="save a checkpoint every epoch in DIR",
    )
    group.add_argument(
        "--checkpoint-every",
        type=options.positive_int,
        metavar="N",
        help="also save every N optimizer steps",
    )
    group.add_argument(
        "--keep",
        type=options.positive_int,
        default=2,
        metavar="N",
        help="keep the newest N checkpoints (default 2)",
    )
    group.add_argument(
        "--resume",
        action="store_true",
        help="continue from the newest good checkpoint in --checkpoint-dir",
    )
    group.add_argument(
        "--save-model",
        type=options.path,
        metavar="PATH",
        help="write the tested weights and the model description (for evaluate)",
    )


def _checkpoint_callbacks(args: argparse.Namespace, config: object) -> tuple:
    """The Checkpoint callback the options ask for (checked before training)."""
    if args.checkpoint_dir is None:
        if args.resume or args.checkpoint_every is not None:
            flag = "--resume" if args.resume else "--checkpoint-every"
            raise ValueError(f"{flag} needs --checkpoint-dir DIR")
        return ()
    from adamlab.train.checkpoint import Checkpoint

    return (
        Checkpoint(
            args.checkpoint_dir,
            config,
            every_steps=args.checkpoint_every,
            keep=args.keep,
        ),
    )


def _check_outputs(args: argparse.Namespace) -> None:
    """Refuse output paths that cannot be written, before any training.

    Nothing is created: a folder, a missing folder, a folder or device this
    process may not write, and a ``--plot`` not named ``.png`` are refused.
    """
    for flag in ("json", "plot", "save_model"):
        path = getattr(args, flag)
        if path is None:
            continue
        if flag == "plot" and not path.lower().endswith(".png"):
            raise ValueError(f"--plot {path}: expected a .png file name")
        options.check_output("--" + flag.replace("_", "-"), path)


def _check_plot(path: str | None, config: object) -> None:
    """Refuse ``--plot`` before loading data when the task is not a series."""
    from adamlab.train.defaults import data_kind

    if path is None:
        return
    if data_kind(config.task, config.csv, config.target) != "series":
        raise ValueError(
            f"--plot needs a series task (sunspots, co2 or --csv with --column); "
            f"{config.task_name!r} is a table"
        )


def _write_plot(path: str, trainer: object, config: object) -> None:
    """The test forecast against the truth; the first step of each forecast."""
    from adamlab.track.prediction_plot import write_prediction_plot
    from adamlab.train.experiment import forecasts_on_test

    parts = forecasts_on_test(trainer, label=config.model)
    step = " (one step ahead)" if config.horizon > 1 else ""
    write_prediction_plot(
        path,
        parts["times"],
        parts["truth"][:, 0],
        {name: values[:, 0] for name, values in parts["forecasts"].items()},
        title=f"{config.task_name}: test forecast{step}, {config.model} / "
        f"{config.optimizer}",
        ylabel=config.column or config.task,
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from adamlab.cli.display import EpochDisplay, baseline_lines, summary_line
    from adamlab.fileio import atomic_write_json
    from adamlab.train.defaults import blas_threads
    from adamlab.train.experiment import build, describe

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    config = options.run_config(args)
    display = EpochDisplay(console, quiet=args.quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            _check_outputs(args)
            _check_plot(args.plot, config)
            checkpoints = _checkpoint_callbacks(args, config)
            if checkpoints and not args.resume:
                checkpoints[0].check_fresh()
            trainer = build(config, callbacks=(display, *checkpoints))
            if args.resume and checkpoints[0].resume(trainer) is None:
                errors.print(
                    f"adamlab train: no checkpoint in {args.checkpoint_dir}; "
                    "starting a fresh run",
                    soft_wrap=True,
                )
            with blas_threads(trainer.model.param_buffer.size):
                result = describe(config, trainer, trainer.fit())
        finally:
            display.close()
    counts = Counter(str(w.message).split(" at epoch")[0] for w in caught)
    for message, count in counts.items():
        times = "once" if count == 1 else f"{count} times"
        errors.print(f"adamlab train: warning: {message} ({times})", soft_wrap=True)
    if result["best_epoch"] == 0:
        hint = "Try a smaller --lr."
        if config.hyperparameters.get("eps") == 0:
            hint = "--eps 0 divides by zero where a gradient is 0: try --eps 1e-8."
        errors.print(
            "adamlab train: warning: no epoch had a finite validation loss (the "
            f"run diverged); the initial weights were tested. {hint}",
            soft_wrap=True,
        )
    console.print(summary_line(result), soft_wrap=True)
    for line in baseline_lines(result):
        console.print(line, soft_wrap=True)
    if args.json:
        options.write_output("--json", args.json, atomic_write_json, result)
    if args.plot:
        options.write_output("--plot", args.plot, _write_plot, trainer, config)
    if args.save_model:
        from adamlab.train.model_file import save_model

        options.write_output(
            "--save-model",
            args.save_model,
            save_model,
            trainer.model,
            params=trainer.best_params,
            config=config,
            data=trainer.data,
            metrics=result,
            best_epoch=result["best_epoch"],
        )
    return 0
