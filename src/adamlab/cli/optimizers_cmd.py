"""``adamlab optimizers``: every optimizer with one line each."""

from __future__ import annotations

import argparse


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser(
        "optimizers",
        help="list every optimizer with one line each",
        description="List every optimizer adamlab offers, by its command-line name.",
    )


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from adamlab.optim.registry import OPTIMIZERS

    table = Table("name", "what it is", box=None)
    for name, entry in OPTIMIZERS.items():
        table.add_row(name, entry.summary)
    Console().print(table)
    return 0
