"""Overhead of the tracker recording every 10 steps, relative to plain training.

Runs untracked training, tracked training (a plain :class:`Tracker`) and
tracked training whose step hooks are timed, of the same configuration, in
interleaved triples (the order alternating), and reports the median of each,
the ratio of the medians, the median and quartiles of the triples' own
tracked/untracked ratios (each triple ran back to back, so a machine that
slows down for a while moves all three), and, from the timed runs, the time
spent in the tracker's recording work over the rest of that run (blind to
any cost the tracker leaves in caches, but immune to the machine's drift;
the timing itself is kept out of the paired ratios). Times are the training
loop's own (``train_seconds``: the epochs' batches, without validation) plus,
for a tracked run, the first reading of ``tracker.records`` (where the
tracker turns its rows into dicts). Training runs as ``adamlab train`` runs
it, with one BLAS thread for a small model
(:func:`adamlab.train.defaults.blas_threads`).

Then, unless ``--pairs 0``, the same overhead from epochs interleaved within
one long run (``--pairs`` pairs, each one epoch with the tracker and one
without, in random order, the tracked one's time including its share of the
records' reading at the end): the median of the pairs' ratios. Pairs a few milliseconds
apart see the same machine, so this figure is far less moved by the
machine's drift than the runs' (whose triples lie a second apart); it leaves
out each run's one-time cost (the tracker's first record sets up its layout,
about 0.3 ms, 0.15% of a digits run).

    PYTHONPATH=src python3 benchmarks/tracker_overhead.py --repeats 21
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import random
import statistics
import time

from adamlab.track import Tracker
from adamlab.train import RunConfig, build
from adamlab.train.defaults import blas_threads


class TimedTracker(Tracker):
    """A tracker that also adds up the wall time of its step hooks, which the
    loop calls only at the steps it records (the snapshot before the step,
    the measurement after it)."""

    seconds = 0.0
    # Its hooks redefine the tracker's, so it says that it still asks only
    # for the recording steps (else the loop would call it at every step).
    next_step_event = Tracker.next_step_event

    def on_step_start(self, trainer, step):
        started = time.perf_counter()
        super().on_step_start(trainer, step)
        self.seconds += time.perf_counter() - started

    def on_step_end(self, trainer, step, loss):
        started = time.perf_counter()
        super().on_step_end(trainer, step, loss)
        self.seconds += time.perf_counter() - started


def train_seconds(
    config: RunConfig, tracker: Tracker | None
) -> tuple[float, float, int]:
    """The loop's time with ``tracker`` (or none), the part of it spent in
    the tracker's hooks (0 unless it is a :class:`TimedTracker`), and the
    number of optimizer steps."""
    trainer = build(config, callbacks=() if tracker is None else (tracker,))
    gc.collect()  # no collection left pending by an earlier run lands here
    # As `adamlab train` and `run` train: one BLAS thread for a small model.
    with blas_threads(trainer.model.param_buffer.size):
        trainer.fit()
    # The tracker makes its records' dicts when they are first read: that
    # belongs to its cost, so it is timed here and added to the run's.
    started = time.perf_counter()
    if tracker is not None:
        assert tracker.records
    later = time.perf_counter() - started
    hooks = getattr(tracker, "seconds", 0.0) + later
    return trainer.train_seconds + later, hooks, trainer.step


def epoch_ratios(config: RunConfig, tracker: Tracker, pairs: int) -> list[float]:
    """Tracked/untracked time ratios of ``pairs`` pairs of epochs of one run,
    the tracker listening in one epoch of each pair (chosen at random)."""
    config = dataclasses.replace(config, epochs=2 * pairs + 2)
    trainer = build(config, callbacks=(tracker,))
    listening = {True: [tracker], False: []}
    order = random.Random(0)
    times = []
    with blas_threads(trainer.model.param_buffer.size):
        trainer.callbacks.on_train_start(trainer)
        for tracked in (True, False):  # warm up both ways
            trainer.callbacks.callbacks = listening[tracked]
            trainer.run_epoch()
        assert tracker.records
        gc.collect()
        for _ in range(pairs):
            seconds = {}
            for tracked in order.sample([True, False], 2):
                trainer.callbacks.callbacks = listening[tracked]
                before = trainer.train_seconds
                trainer.run_epoch()
                seconds[tracked] = trainer.train_seconds - before
            times.append((seconds[True], seconds[False]))
    # The records' dicts are made when first read: once, shared out. A full
    # collection of the process's objects (some 0.1 s here) that the earlier
    # runs left pending would otherwise tend to land in this one reading.
    gc.collect()
    started = time.perf_counter()
    assert tracker.records
    later = (time.perf_counter() - started) / pairs
    return [(tracked + later) / untracked for tracked, untracked in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--optimizer", default="adam")
    parser.add_argument(
        "--epochs", type=int, default=None, help="default: the task's (60 for digits)"
    )
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--every", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument(
        "--pairs",
        type=int,
        default=200,
        help="pairs of epochs interleaved within one run (0: none)",
    )
    parser.add_argument(
        "--quantile-sample",
        type=int,
        default=128,
        help="the trackers' quantile_sample (elements summarised per parameter; "
        "128 is the tracker's default)",
    )
    parser.add_argument(
        "--hidden", type=int, nargs="*", default=None, help="hidden layer widths"
    )
    args = parser.parse_args()
    options = {} if args.hidden is None else {"hidden": tuple(args.hidden)}
    if args.epochs is not None:
        options["epochs"] = args.epochs
    config = RunConfig(
        task=args.task, optimizer=args.optimizer, batch_size=args.batch_size, **options
    )
    kinds = {
        "untracked": lambda: None,
        "tracked": lambda: Tracker(args.every, quantile_sample=args.quantile_sample),
        "timed": lambda: TimedTracker(args.every, quantile_sample=args.quantile_sample),
    }
    for make in kinds.values():  # warm up kernels and caches
        train_seconds(config, make())
    times = {kind: [] for kind in kinds}
    inside = []
    for i in range(args.repeats):
        order = list(kinds) if i % 2 == 0 else list(kinds)[::-1]
        for kind in order:
            seconds, hooks, steps = train_seconds(config, kinds[kind]())
            times[kind].append(seconds)
            if kind == "timed":
                inside.append(hooks / (seconds - hooks))
    plain, tracked = times["untracked"], times["tracked"]
    a, b = statistics.median(plain), statistics.median(tracked)
    pairs = [t / p for t, p in zip(tracked, plain)]
    q1, q2, q3 = statistics.quantiles(pairs, n=4)
    h1, h2, h3 = statistics.quantiles(inside, n=4)
    records = 1 + steps // args.every
    print(
        f"{args.task}/{args.optimizer} {config.epochs} epochs batch {args.batch_size}, "
        f"{args.repeats} interleaved repeats, hidden {config.hidden}"
    )
    print(f"untracked median {a:.4f} s, tracked (every {args.every}) median {b:.4f} s")
    print(f"ratio tracked/untracked {b / a:.4f} (overhead {100 * (b / a - 1):+.2f}%)")
    print(
        f"paired ratios: median {q2:.4f} (overhead {100 * (q2 - 1):+.2f}%), "
        f"quartiles {q1:.4f} .. {q3:.4f}"
    )
    print(
        f"time in the tracker's recording work / the rest of the tracked run: median "
        f"{100 * h2:.2f}%, quartiles {100 * h1:.2f}% .. {100 * h3:.2f}%"
    )
    print(
        f"untracked step {1e6 * a / steps:.1f} us; recording work per record "
        f"{1e6 * h2 * a / records:.1f} us"
    )
    if args.pairs > 0:
        tracker = Tracker(args.every, quantile_sample=args.quantile_sample)
        ratios = epoch_ratios(config, tracker, args.pairs)
        e1, e2, e3 = statistics.quantiles(ratios, n=4)
        print(
            f"epochs interleaved in one run ({args.pairs} pairs): median of paired "
            f"ratios {e2:.4f} (overhead {100 * (e2 - 1):+.2f}%), quartiles "
            f"{e1:.4f} .. {e3:.4f}"
        )


if __name__ == "__main__":
    main()
