"""Overhead of the tracker recording every 10 steps, relative to plain training.

Runs tracked and untracked training of the same configuration in interleaved
pairs (the order alternating), and reports the median of each and their ratio.
Times are the training loop's own (``train_seconds``: the epochs' batches,
without validation).

    PYTHONPATH=src python3 benchmarks/tracker_overhead.py --repeats 7 --epochs 3
"""

from __future__ import annotations

import argparse
import statistics

from adamlab.track import Tracker
from adamlab.train import RunConfig, build


def train_seconds(config: RunConfig, every: int | None) -> float:
    callbacks = () if every is None else (Tracker(every),)
    trainer = build(config, callbacks=callbacks)
    trainer.fit()
    return trainer.train_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument(
        "--hidden", type=int, nargs="*", default=None, help="hidden layer widths"
    )
    args = parser.parse_args()
    config = RunConfig(
        task=args.task,
        optimizer=args.optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        **({} if args.hidden is None else {"hidden": tuple(args.hidden)}),
    )
    train_seconds(config, args.every)  # warm up kernels and caches
    plain, tracked = [], []
    for i in range(args.repeats):
        order = (None, args.every) if i % 2 == 0 else (args.every, None)
        for every in order:
            seconds = train_seconds(config, every)
            (plain if every is None else tracked).append(seconds)
    a, b = statistics.median(plain), statistics.median(tracked)
    print(
        f"{args.task}/{args.optimizer} {args.epochs} epochs batch {args.batch_size}, "
        f"{args.repeats} interleaved repeats, hidden {config.hidden}"
    )
    print(f"untracked median {a:.4f} s, tracked (every {args.every}) median {b:.4f} s")
    print(f"ratio tracked/untracked {b / a:.4f} (overhead {100 * (b / a - 1):+.2f}%)")


if __name__ == "__main__":
    main()
