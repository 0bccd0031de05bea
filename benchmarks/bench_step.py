"""The optimizer-step benchmark of ``adamlab bench``, as a script.

Same options and output as the command (it parses its arguments with the
command's parser), for checkouts where the ``adamlab`` entry point is not
installed:

    PYTHONPATH=src python3 benchmarks/bench_step.py --optimizers all --json bench.json
    PYTHONPATH=src python3 benchmarks/bench_step.py --quick
"""

from __future__ import annotations

import argparse
import sys

from adamlab.cli import bench_cmd


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_step.py")
    subparsers = parser.add_subparsers(dest="command")
    bench_cmd.add_parser(subparsers)
    args = parser.parse_args(["bench", *(sys.argv[1:] if argv is None else argv)])
    return bench_cmd.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
