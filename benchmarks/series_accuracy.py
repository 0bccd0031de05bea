"""Recurrent networks on sunspots with the defaults, against the baselines.

Run: ``PYTHONPATH=src python3 benchmarks/series_accuracy.py``. Trains the RNN,
LSTM and GRU with ``adamlab train``'s defaults for ``--task sunspots`` (Adam,
window 12, the values of :mod:`adamlab.train.defaults`) for seeds 0-4, tests
the best-validation weights, and prints the mean ± standard deviation of the
test RMSE and MAE beside persistence and the linear autoregressive model on the
same test part (the last 15% of the windows). ``--json PATH`` also writes
every run's numbers.

``--search`` instead reruns the search that chose the series defaults: a grid
over learning rate, hidden size and batch size, scored only by the mean over
seeds 0-4 of the validation RMSE of each run's best-validation epoch. It never
reads the test part. It prints the settings best first, with the score each
would have at 30, 60, 90 and 120 epochs (the score can only fall as epochs
grow, since a run tests its best-validation epoch).

Set ``OPENBLAS_NUM_THREADS=1`` or rely on the run's own limit (one BLAS thread
for small models); threads only slow these small matrices down.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from adamlab.train import RunConfig, build, describe
from adamlab.train.defaults import blas_threads

MODELS = ("rnn", "lstm", "gru")
SEEDS = (0, 1, 2, 3, 4)
GRID = {
    "lr": (1e-3, 3e-3, 1e-2),
    "hidden": (16, 32, 64),
    "batch_size": (16, 32),
}
#: Settings past the grid's edges, tried after it: (lr, hidden, batch_size).
EXTRA = ((3e-2, 64, 16), (1e-2, 128, 16))
SEARCH_EPOCHS = 120


def train(config: RunConfig) -> tuple[dict, object]:
    """One run with one BLAS thread; its result keys and trainer."""
    trainer = build(config)
    with blas_threads(trainer.model.param_buffer.size):
        result = trainer.fit()
    return describe(config, trainer, result), trainer


def accuracy(models: tuple[str, ...]) -> dict:
    """Test RMSE/MAE of each model over the seeds, with the defaults."""
    runs: dict[str, list[dict]] = {}
    baselines = None
    for model in models:
        runs[model] = []
        for seed in SEEDS:
            started = time.perf_counter()
            result, _ = train(RunConfig(task="sunspots", model=model, seed=seed))
            baselines = result["baselines"]
            runs[model].append(
                {
                    "seed": seed,
                    "test_rmse": result["test_rmse"],
                    "test_mae": result["test_mae"],
                    "best_epoch": result["best_epoch"],
                    "seconds": time.perf_counter() - started,
                    "config": result["config"],
                }
            )
    return {"runs": runs, "baselines": baselines}


def print_accuracy(report: dict) -> None:
    base = report["baselines"]
    ar = base["linear_ar"]["test_rmse"]
    persistence = base["persistence"]["test_rmse"]
    print("sunspots, window 12, test part = last 15% of windows, seeds 0-4")
    print(
        f"{'model':<12} {'test RMSE':>16} {'test MAE':>16} "
        f"{'vs linear AR':>13} {'vs persistence':>15}"
    )
    for model, runs in report["runs"].items():
        rmse = np.array([r["test_rmse"] for r in runs])
        mae = np.array([r["test_mae"] for r in runs])
        config = runs[0]["config"]
        print(
            f"{model:<12} {rmse.mean():>8.2f} ± {rmse.std():<5.2f} "
            f"{mae.mean():>8.2f} ± {mae.std():<5.2f} "
            f"{100 * (rmse.mean() / ar - 1):>+12.1f}% "
            f"{100 * (rmse.mean() / persistence - 1):>+14.1f}%"
            f"   (hidden {config['hidden'][0]}, lr "
            f"{config['hyperparameters']['lr']:g}, batch {config['batch_size']}, "
            f"epochs {config['epochs']})"
        )
    for name in ("linear_ar", "persistence"):
        print(
            f"{name:<12} {base[name]['test_rmse']:>8.2f}{'':8} "
            f"{base[name]['test_mae']:>8.2f}"
        )


def search(models: tuple[str, ...]) -> dict:
    """Validation RMSE per epoch of every grid setting and seed (no test)."""
    out: dict[str, list[dict]] = {}
    for model in models:
        out[model] = []
        settings = [*itertools.product(*GRID.values()), *EXTRA]
        for lr, hidden, batch in settings:
            curves = []
            for seed in SEEDS:
                config = RunConfig(
                    task="sunspots",
                    model=model,
                    hidden=(hidden,),
                    batch_size=batch,
                    epochs=SEARCH_EPOCHS,
                    seed=seed,
                    hyperparameters={"lr": lr},
                )
                trainer = build(config)
                with blas_threads(trainer.model.param_buffer.size):
                    for _ in range(SEARCH_EPOCHS):
                        trainer.run_epoch()
                curves.append([row["val_rmse"] for row in trainer.history])
            # A run tests its best-validation epoch: score E epochs by the
            # running minimum, averaged over seeds.
            score = np.minimum.accumulate(np.array(curves), axis=1).mean(axis=0)
            out[model].append(
                {"lr": lr, "hidden": hidden, "batch_size": batch, "score": score}
            )
    return out


def print_search(found: dict) -> None:
    for model, rows in found.items():
        print(f"{model}: mean best-validation RMSE over seeds 0-4 (validation only)")
        for row in sorted(rows, key=lambda r: r["score"][-1])[:8]:
            score = row["score"]
            at = "  ".join(f"@{e} {score[e - 1]:.2f}" for e in (30, 60, 90, 120))
            print(
                f"  lr {row['lr']:<6g} hidden {row['hidden']:<3} batch "
                f"{row['batch_size']:<3} {at}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--search", action="store_true")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args()
    models = tuple(args.models.split(","))
    if args.search:
        found = search(models)
        print_search(found)
        report = {
            m: [{**r, "score": r["score"].tolist()} for r in rows]
            for m, rows in found.items()
        }
    else:
        report = accuracy(models)
        print_accuracy(report)
    if args.json:
        from adamlab.fileio import atomic_write_json

        atomic_write_json(args.json, report)


if __name__ == "__main__":
    main()
