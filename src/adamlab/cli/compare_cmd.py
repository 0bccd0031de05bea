"""``adamlab compare``: several optimizers × seeds on one task, one report."""

from __future__ import annotations

import argparse
import math
import os

from adamlab.cli import options


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="compare optimizers over seeds; write an HTML report",
        description=(
            "Train every optimizer with seeds 0..N-1 on the same split, in parallel "
            "worker processes (or on a Dask cluster), print a summary table and "
            "write a self-contained HTML report with figures and the raw records. "
            "Per-optimizer overrides follow a colon: adamw:lr=3e-3:weight_decay=0.1; "
            "tuples go in parentheses: adam:betas=(0.9,0.99). Every other option "
            "applies to all runs, as in `adamlab train`."
        ),
        epilog=(
            "example: adamlab compare --task digits "
            "--optimizers adam,adamw:lr=3e-3,amsgrad --seeds 3 --out cmp"
        ),
    )
    options.add_data_options(parser)
    options.add_model_options(parser)
    options.add_optimizer_options(parser, single=False)
    add_schedules = getattr(options, "add_schedule_options", None)
    if add_schedules is not None:
        add_schedules(parser)
    options.add_training_options(parser)
    group = parser.add_argument_group("comparison")
    group.add_argument(
        "--optimizers",
        default="adam,adamw,amsgrad",
        metavar="LIST",
        help="comma-separated optimizers with optional :key=value overrides "
        "(default adam,adamw,amsgrad)",
    )
    group.add_argument(
        "--seeds",
        type=options.positive_int,
        default=3,
        metavar="N",
        help="seeds 0..N-1 per optimizer, for init and data order (default 3)",
    )
    group.add_argument("--out", required=True, metavar="DIR", help="output folder")
    group.add_argument(
        "--overwrite",
        action="store_true",
        help="replace the report's files already in DIR (other files are kept)",
    )
    group.add_argument(
        "--workers",
        type=options.positive_int,
        default=None,
        metavar="N",
        help="worker processes, one compute thread each (default: number of cores)",
    )
    group.add_argument(
        "--cluster",
        metavar="ADDRESS",
        help="submit the runs to a running Dask scheduler (tcp://host:8786) instead",
    )
    group.add_argument(
        "--track-every",
        type=options.positive_int,
        default=10,
        metavar="K",
        help="tracker records every K steps (default 10)",
    )
    group.add_argument(
        "--band",
        choices=("minmax", "std"),
        default="minmax",
        help="band over seeds in the figures: min-max (default) or mean ± std",
    )
    group.add_argument("--title", default=None, help="title of the report")
    group.add_argument("--quiet", action="store_true", help="print only the table")
    group.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one line"
    )


def _format(value: object, digits: int = 4) -> str:
    """A table cell: ``digits`` decimals, fewer for large values (at most six
    significant digits before the decimals run out), ``-`` for NaN."""
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        if math.isfinite(value) and abs(value) >= 100:
            digits = min(digits, max(0, 5 - int(math.log10(abs(value)))))
        return f"{value:.{digits}f}"
    return str(value)


def _bytes(value: object) -> str:
    if (
        not isinstance(value, (int, float))
        or isinstance(value, float)
        and math.isnan(value)
    ):
        return "-"
    value = float(value)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024 or unit == "MiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return str(value)  # pragma: no cover


HEADERS = ("ok", "mean", "std", "min", "max", "best", "s/ep", "state")


def break_label(label: str, width: int) -> str:
    """``label`` on lines of at most ``width`` cells, broken only after a
    ``:``, so one override (``lr=1e308``) is never split; a piece wider than
    ``width`` gets a line of its own."""
    from rich.cells import cell_len

    pieces = label.split(":")
    pieces = [piece + ":" for piece in pieces[:-1]] + pieces[-1:]
    lines = [""]
    for piece in pieces:
        if lines[-1] and cell_len(lines[-1] + piece) > width:
            lines.append(piece)
        else:
            lines[-1] += piece
    return "\n".join(lines)


def _natural_width(table: object) -> int:
    """The width ``table`` takes when nothing constrains it."""
    import io

    from rich.console import Console
    from rich.measure import Measurement

    probe = Console(file=io.StringIO(), width=1 << 20)
    return Measurement.get(probe, probe.options, table).maximum


def summary_table(summary: list[dict], width: int | None = None) -> object:
    """The rich table printed at the end.

    No cell is ever wrapped or cut. With ``width`` (a terminal's columns), a
    long optimizer label is broken into lines after a ``:`` to fit the room the
    numbers leave, never inside one override, so a label whose single
    override does not fit makes the table wider than ``width``. Without
    ``width`` every label stays on one line. The table's width is set to what
    its cells need: print it with ``crop=False`` (see :func:`print_summary`)
    and it comes out whole on a console of any width. ``best`` is the mean
    best-validation epoch, ``s/ep`` the mean over seeds of each run's median
    epoch time, ``state`` the optimizer's state size.
    """
    from rich import box
    from rich.table import Table
    from rich.text import Text

    metric = summary[0]["metric"] if summary else "test_accuracy"
    rows = [
        (
            row["optimizer"],
            (
                f"{row['runs'] - row['failed']}/{row['runs']}",
                _format(row[f"{metric}_mean"]),
                _format(row[f"{metric}_std"]),
                _format(row[f"{metric}_min"]),
                _format(row[f"{metric}_max"]),
                _format(row["best_epoch_mean"], 1),
                _format(row["seconds_per_epoch"], 3),
                _bytes(row["state_bytes"]),
            ),
            "red" if row["failed"] else None,
        )
        for row in summary
    ]

    def build(labels: list[str], padding: int = 1) -> Table:
        table = Table(
            title=f"{metric} of the best-validation weights over seeds",
            caption="best: best-validation epoch; s/ep: median seconds per epoch; "
            "means over seeds",
            box=box.SIMPLE_HEAD,
            show_edge=False,
            pad_edge=False,
            padding=(0, padding),
        )
        table.add_column("optimizer", style="bold", no_wrap=True, min_width=9)
        for header in HEADERS:
            table.add_column(header, justify="right", no_wrap=True)
        for label, (_, cells, style) in zip(labels, rows):
            table.add_row(Text(label), *cells, style=style)
        table.width = _natural_width(table)
        return table

    from rich.cells import cell_len

    labels = [label for label, _, _ in rows]
    label_width = max([len("optimizer"), *(cell_len(x) for x in labels)])
    table = build(labels)
    # Too wide for the terminal: break the labels, and if that is not enough,
    # close up the columns' padding to one space between them.
    for padding in (1, 0):
        if width is None or table.width <= width:
            break
        room = width - (_natural_width(build(labels, padding)) - label_width)
        table = build([break_label(label, room) for label in labels], padding)
    return table


def print_summary(console: object, summary: list[dict]) -> None:
    """Print the summary table whole: on a terminal its labels are broken to
    fit the console's width where they can; elsewhere (a file, a pipe) every
    row stays on one line however wide."""
    table = summary_table(summary, console.width if console.is_terminal else None)
    console.print(table, crop=False)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.markup import escape

    from adamlab.optim.registry import accepted_keywords, optimizer_class
    from adamlab.track.compare import check_runs, plan, run_jobs
    from adamlab.track.report import check_destination, write_report
    from adamlab.track.specs import parse_optimizers
    from adamlab.track.summary import summarize

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    # Everything is checked before any run starts and before --out is created.
    specs = parse_optimizers(args.optimizers)
    args.seed = 0
    base = options.run_config(args, optimizer=specs[0].name)
    accepted = {
        spec.name: accepted_keywords(optimizer_class(spec.name)) for spec in specs
    }
    for spec in specs:
        # A flag given for an optimizer that does not take it is an error.
        for keyword in base.hyperparameters:
            if keyword not in accepted[spec.name] and keyword not in spec.overrides:
                takers = [s.name for s in specs if keyword in accepted[s.name]]
                hint = (
                    f"give it per optimizer instead, as in {takers[0]}:{keyword}=..."
                    if takers
                    else "none of the optimizers takes it"
                )
                raise ValueError(
                    f"{options.flag_for(keyword)} does not apply to optimizer "
                    f"{spec.name!r}; {hint}"
                )
    jobs = plan(base, specs, args.seeds)
    # The task or CSV, the model and each optimizer as its runs build them.
    check_runs(jobs)
    # Any of the report's files already in --out is refused before training.
    check_destination(args.out, args.overwrite, create=False, runs=jobs)
    workers = args.workers or os.cpu_count() or 1
    where = (
        f"on Dask cluster {args.cluster}"
        if args.cluster
        else f"in {min(workers, len(jobs))} worker process(es)"
    )
    if not args.quiet:
        errors.print(f"adamlab compare: {len(jobs)} runs {where}")

    done = {"n": 0}

    def on_done(outcome: dict) -> None:
        done["n"] += 1
        if args.quiet:
            if outcome["status"] != "ok":
                errors.print(
                    escape(
                        f"{outcome['label']} seed {outcome['seed']}: "
                        f"failed: {outcome['error']}"
                    ),
                    soft_wrap=True,
                )
            return
        state = "ok" if outcome["status"] == "ok" else f"failed: {outcome['error']}"
        errors.print(
            escape(
                f"  [{done['n']}/{len(jobs)}] {outcome['label']} seed "
                f"{outcome['seed']}: {state}"
            ),
            soft_wrap=True,
        )

    outcomes = run_jobs(
        jobs,
        workers=workers,
        cluster=args.cluster,
        track_every=args.track_every,
        on_done=on_done,
    )
    settings = dict(base.to_dict())
    settings.pop("optimizer")
    settings.pop("seed")
    settings["hyperparameters"] = str(settings["hyperparameters"])
    settings["hidden"] = ",".join(str(h) for h in settings["hidden"])
    settings.update(
        optimizers=args.optimizers,
        seeds=args.seeds,
        track_every=args.track_every,
        executor=where,
    )
    settings["task"] = base.task_name
    title = args.title or f"adamlab compare: {base.task_name}"
    path = write_report(
        args.out,
        outcomes,
        title=title,
        settings=settings,
        overwrite=args.overwrite,
        band=args.band,
    )
    summary = summarize(outcomes)
    print_summary(console, summary)
    for row in summary:
        for message in row["errors"]:
            console.print(
                escape(f"{row['optimizer']}: {message}"), style="red", soft_wrap=True
            )
    console.print(f"report: {path}", soft_wrap=True)
    failed = sum(o["status"] != "ok" for o in outcomes)
    if failed:
        errors.print(f"adamlab compare: {failed} of {len(outcomes)} runs failed")
        return 1
    return 0
