"""``adamlab``: the entry point, its subcommands, and how errors reach the user.

Every subcommand module exposes ``add_parser(subparsers)`` and ``run(args) ->
int``. Heavy modules (numpy, numba, scikit-learn) are imported inside ``run``,
so ``adamlab --help`` answers at once. A bad value, file or option ends with a
one-line message and exit status 2, never a traceback (``--debug`` shows it).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

import adamlab

#: Subcommand name -> module under adamlab.cli.
COMMANDS = {
    "train": "adamlab.cli.train_cmd",
    "optimizers": "adamlab.cli.optimizers_cmd",
    "compare": "adamlab.cli.compare_cmd",
    "evaluate": "adamlab.cli.evaluate_cmd",
    "bench": "adamlab.cli.bench_cmd",
}

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, with no usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The full parser, every subcommand included."""
    parser = Parser(
        prog="adamlab",
        description=(
            "The Adam family of optimizers in NumPy: train small networks on "
            "bundled real data, watch what each optimizer does, and compare them."
        ),
        epilog=(
            "examples:\n"
            "  adamlab train --task digits --optimizer adam\n"
            "  adamlab optimizers\n"
            "Run `adamlab COMMAND --help` for a command's options."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--version", action="version", version=f"adamlab {adamlab.__version__}"
    )
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=Parser
    )
    for module_name in COMMANDS.values():
        module = importlib.import_module(module_name)
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_USAGE
    module = importlib.import_module(COMMANDS[args.command])
    debug = getattr(args, "debug", False)
    try:
        return module.run(args)
    except KeyboardInterrupt:
        print("adamlab: interrupted", file=sys.stderr)
        return 130
    except MemoryError as error:
        if debug:
            raise
        detail = " ".join(str(error).split()) or "no detail"
        print(
            f"adamlab {args.command}: error: out of memory ({detail}); use smaller "
            "sizes (--hidden, --batch-size, --window)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except (ValueError, TypeError, OSError, FloatingPointError) as error:
        if debug:
            raise
        message = str(error) or type(error).__name__
        if (
            isinstance(error, OSError)
            and error.filename
            and str(error.filename) not in message
        ):
            message = f"{message}: {error.filename}"
        message = " ".join(message.split())
        print(f"adamlab {args.command}: error: {message}", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
