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
    options.add_training_options(parser)
    out = parser.add_argument_group("output")
    out.add_argument("--seed", type=int, default=0, help="seed of init and data order")
    out.add_argument("--quiet", action="store_true", help="print only the summary")
    out.add_argument("--json", metavar="PATH", help="write the result keys as JSON")
    out.add_argument(
        "--debug", action="store_true", help="show tracebacks instead of one line"
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from adamlab.cli.display import EpochDisplay, summary_line
    from adamlab.fileio import atomic_write_json
    from adamlab.train.experiment import build, describe

    console = Console(highlight=False)
    errors = Console(stderr=True, highlight=False)
    config = options.run_config(args)
    display = EpochDisplay(console, quiet=args.quiet)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            trainer = build(config, callbacks=(display,))
            result = describe(config, trainer, trainer.fit())
        finally:
            display.close()
    counts = Counter(str(w.message).split(" at epoch")[0] for w in caught)
    for message, count in counts.items():
        errors.print(f"adamlab train: warning: {message} ({count} times)")
    console.print(summary_line(result), soft_wrap=True)
    if args.json:
        atomic_write_json(args.json, result)
    return 0
