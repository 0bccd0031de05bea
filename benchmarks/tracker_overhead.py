"""Overhead of the tracker recording every 10 steps, relative to plain training.

Runs tracked and untracked training of the same configuration in interleaved
pairs (the order alternating) and reports the median of each, their ratio,
the median and quartiles of the pairs' own ratios (each pair ran back to
back, so a machine that slows down for a while moves both), and, measured
inside each tracked run, the time spent in the tracker's step hooks over the
rest of that run (blind to any cost the tracker leaves in caches, but immune
to the machine's drift). Times are the training loop's own
(``train_seconds``: the epochs' batches, without validation).

    PYTHONPATH=src python3 benchmarks/tracker_overhead.py --repeats 21 --epochs 4
"""

from __future__ import annotations

import argparse
import statistics
import time

from adamlab.track import Tracker
from adamlab.train import RunConfig, build


class TimedTracker(Tracker):
    """A tracker that also adds up the wall time spent in its step hooks."""

    seconds = 0.0

    def on_step_start(self, trainer, step):
        started = time.perf_counter()
        super().on_step_start(trainer, step)
        self.seconds += time.perf_counter() - started

    def on_step_end(self, trainer, step, loss):
        started = time.perf_counter()
        super().on_step_end(trainer, step, loss)
        self.seconds += time.perf_counter() - started


def train_seconds(config: RunConfig, every: int | None) -> tuple[float, float, int]:
    """The loop's time, the part of it spent in the tracker's hooks, and the
    number of optimizer steps."""
    tracker = None if every is None else TimedTracker(every)
    trainer = build(config, callbacks=() if tracker is None else (tracker,))
    trainer.fit()
    hooks = 0.0 if tracker is None else tracker.seconds
    return trainer.train_seconds, hooks, trainer.step


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=21)
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
    train_seconds(config, None)
    plain, tracked, inside = [], [], []
    for i in range(args.repeats):
        order = (None, args.every) if i % 2 == 0 else (args.every, None)
        for every in order:
            seconds, hooks, steps = train_seconds(config, every)
            if every is None:
                plain.append(seconds)
            else:
                tracked.append(seconds)
                inside.append(hooks / (seconds - hooks))
    a, b = statistics.median(plain), statistics.median(tracked)
    pairs = [t / p for t, p in zip(tracked, plain)]
    q1, q2, q3 = statistics.quantiles(pairs, n=4)
    h1, h2, h3 = statistics.quantiles(inside, n=4)
    records = 1 + steps // args.every
    print(
        f"{args.task}/{args.optimizer} {args.epochs} epochs batch {args.batch_size}, "
        f"{args.repeats} interleaved repeats, hidden {config.hidden}"
    )
    print(f"untracked median {a:.4f} s, tracked (every {args.every}) median {b:.4f} s")
    print(f"ratio tracked/untracked {b / a:.4f} (overhead {100 * (b / a - 1):+.2f}%)")
    print(
        f"paired ratios: median {q2:.4f} (overhead {100 * (q2 - 1):+.2f}%), "
        f"quartiles {q1:.4f} .. {q3:.4f}"
    )
    print(
        f"time in the tracker's hooks / the rest of the tracked run: median "
        f"{100 * h2:.2f}%, quartiles {100 * h1:.2f}% .. {100 * h3:.2f}%"
    )
    print(
        f"untracked step {1e6 * a / steps:.1f} us; tracker hooks per record "
        f"(with the steps between) {1e6 * h2 * a / records:.1f} us"
    )


if __name__ == "__main__":
    main()
