"""``adamlab evaluate``: test a saved model again, on its task or on another."""

from __future__ import annotations

import argparse
from typing import Any

from adamlab.cli import options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "evaluate",
        help="report the test metrics of a model saved with --save-model",
        description=(
            "Load a model file written by `adamlab train --save-model`, rebuild "
            "its task's split (or the one given) and report the test metrics."
        ),
        epilog="example: adamlab evaluate digits.npz  (or --task NAME, --csv PATH)",
    )
    parser.add_argument(
        "path", type=options.path, metavar="MODEL", help="model file (.npz)"
    )
    group = parser.add_argument_group("data (default: the task the model saw)")
    group.add_argument(
        "--task", metavar="NAME", help=f"bundled task: {', '.join(options.TASK_NAMES)}"
    )
    group.add_argument(
        "--csv", type=options.path, metavar="PATH", help="a CSV file instead"
    )
    group.add_argument(
        "--target", metavar="COLUMN", help="CSV label column (default: the saved one)"
    )
    group.add_argument(
        "--column", metavar="NAME", help="CSV series column (default: the saved one)"
    )
    group.add_argument("--date-column", metavar="NAME", help="CSV date column")
    group.add_argument(
        "--missing",
        choices=("error", "interpolate", "drop"),
        help="missing values: error, drop, or (series only) interpolate",
    )
    group.add_argument(
        "--split-seed", type=int, help="seed of the split (default: the saved one)"
    )
    out = parser.add_argument_group("output")
    out.add_argument(
        "--json", type=options.path, metavar="PATH", help="write the metrics as JSON"
    )
    out.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one line"
    )


def _run_options(saved: dict[str, Any] | None, args: argparse.Namespace) -> Any:
    """The run options that rebuild the data: the saved ones, as overridden.

    ``--csv`` alone keeps the saved ``--target``/``--column`` (and date
    column and missing policy); ``--task`` drops them. A ``--split-seed``
    other than the saved one on the saved table is refused: its test part
    would overlap the rows the model was trained on.
    """
    from pathlib import Path

    from adamlab.train.experiment import RunConfig

    values = dict(saved or {})
    options.check_data_source(args)
    if not values and args.task is None and args.csv is None:
        raise ValueError(
            f"{args.path} does not record its task; give --task NAME or --csv PATH"
        )
    if args.csv is not None:
        same_data = bool(values.get("csv")) and (
            Path(args.csv).resolve() == Path(values["csv"]).resolve()
        )
    elif args.task is not None:
        same_data = not values.get("csv") and args.task == values.get("task")
    else:
        same_data = True
    if args.task is not None:
        for key in ("csv", "target", "column", "date_column", "missing"):
            values[key] = None
        values["task"] = args.task
        if args.csv is None:
            from adamlab.data import TASKS

            spec = TASKS.get(args.task)
            if spec is not None and spec.kind != "regression":
                # A table takes no series options; the shape check below
                # still refuses a model trained on a series.
                values["window"] = None
                values.pop("horizon", None)
    if args.target is not None:
        values["column"] = None
    if args.column is not None:
        values["target"] = None
    for key in ("csv", "target", "column", "date_column", "missing"):
        value = getattr(args, key)
        if value is not None:
            values[key] = value
    saved_seed = values.get("split_seed", 0)
    if (
        args.split_seed is not None
        and args.split_seed != saved_seed
        and same_data
        and saved
        and values.get("column") is None
        and values.get("task") not in _series_tasks()
    ):
        raise ValueError(
            f"--split-seed {args.split_seed}: the model was trained with split "
            f"seed {saved_seed}, so another seed's test rows overlap its "
            f"training rows; use --split-seed {saved_seed} or other data"
        )
    if args.split_seed is not None:
        values["split_seed"] = args.split_seed
    csv = values.get("csv")
    if csv and args.csv is None and not Path(csv).exists():
        raise ValueError(
            f"{args.path} was trained on {csv}, which is not found; give --csv PATH"
        )
    return RunConfig.from_dict(values)


def _series_tasks() -> set[str]:
    from adamlab.data import TASKS

    return {name for name, spec in TASKS.items() if spec.kind == "regression"}


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from adamlab.fileio import atomic_write_json
    from adamlab.train.experiment import build_loss, load_data
    from adamlab.train.metrics import evaluate
    from adamlab.train.model_file import read_model_file

    console = Console(highlight=False)
    if args.json:
        options.check_output("--json", args.json)
    saved = read_model_file(args.path)
    config = _run_options(saved.config, args)
    data = load_data(config)
    data = saved.match_data(data)  # columns by name, known classes
    task = saved.task
    for key in ("kind", "n_features", "n_outputs"):
        if key in task and task[key] != getattr(data, key):
            raise ValueError(
                f"the model was trained for {key}={task[key]!r}; task "
                f"{config.task_name} has {key}={getattr(data, key)!r}"
            )
    test = evaluate(saved.model, build_loss(data.kind), data, "test")
    result = {
        "task": config.task_name,
        "model_file": str(args.path),
        "test_loss": test["loss"],
    }
    for key in ("accuracy", "rmse", "mae"):
        if key in test:
            result[f"test_{key}"] = test[key]
    parts = [f"{result['task']}"]
    for key in ("test_accuracy", "test_rmse", "test_mae", "test_loss"):
        if key in result:
            parts.append(f"{key} {result[key]:.4f}")
            trained = saved.metrics.get(key)
            if isinstance(trained, float) and trained != result[key]:
                parts.append(f"(training reported {trained:.4f})")
    console.print("  ".join(parts), soft_wrap=True)
    if args.json:
        options.write_output("--json", args.json, atomic_write_json, result)
    return 0
