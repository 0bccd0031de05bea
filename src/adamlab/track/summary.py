"""The comparison's numbers: one row per optimizer, one row per run.

A run's test metric is that of its best-validation weights (``test_accuracy``
for classification, ``test_rmse`` for regression). The spread over seeds is the
sample standard deviation (ddof=1; NaN, shown as "-", for a single run) and
the min and max.

A run's ``seconds_per_epoch`` is the MEDIAN of its epochs' wall times, so a
first epoch that pays for loading compiled kernels does not skew it; an
optimizer's is the mean of its runs' medians.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any


def metric_name(outcomes: Sequence[dict[str, Any]]) -> str:
    """``test_accuracy`` or ``test_rmse``, whichever the finished runs report."""
    for outcome in outcomes:
        result = outcome.get("result") or {}
        for key in ("test_accuracy", "test_rmse"):
            if key in result:
                return key
    return "test_accuracy"


def run_rows(outcomes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One flat row per run: label, seed, status, metric, epochs, timing, error.

    ``seconds_per_epoch`` is the median of the run's epoch times (from its
    history; total time / epochs when the history has none).
    """
    metric = metric_name(outcomes)
    rows = []
    for outcome in outcomes:
        result = outcome.get("result") or {}
        epochs = result.get("epochs")
        seconds = result.get("train_seconds")
        per_epoch = [
            float(row["seconds"])
            for row in result.get("history") or []
            if isinstance(row.get("seconds"), (int, float))
        ]
        if per_epoch:
            median = statistics.median(per_epoch)
        elif seconds is not None and epochs:
            median = seconds / epochs
        else:
            median = math.nan
        rows.append(
            {
                "optimizer": outcome["label"],
                "seed": outcome["seed"],
                "status": outcome["status"],
                metric: result.get(metric, math.nan),
                "best_epoch": result.get("best_epoch", math.nan),
                "seconds_per_epoch": median,
                "state_bytes": result.get("state_bytes", math.nan),
                "final_params_sha256": result.get("final_params_sha256", ""),
                "error": outcome.get("error") or "",
            }
        )
    return rows


def _stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"mean": math.nan, "std": math.nan, "min": math.nan, "max": math.nan}
    return {
        "mean": statistics.fmean(values),
        "std": statistics.stdev(values) if len(values) > 1 else math.nan,
        "min": min(values),
        "max": max(values),
    }


def summarize(outcomes: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per optimizer label, in first-seen order.

    Keys: ``optimizer``, ``runs``, ``failed``, ``metric`` (the metric's name),
    ``<metric>_mean``, ``_std`` (NaN for fewer than two finished runs),
    ``_min``, ``_max``, ``best_epoch_mean``, ``seconds_per_epoch`` (the mean
    over runs of each run's median epoch time), ``state_bytes`` and ``errors``
    (distinct messages of failed runs).
    """
    metric = metric_name(outcomes)
    order: dict[str, list[dict[str, Any]]] = {}
    for row in run_rows(outcomes):
        order.setdefault(row["optimizer"], []).append(row)
    summary = []
    for label, rows in order.items():
        ok = [r for r in rows if r["status"] == "ok"]
        stats = _stats([float(r[metric]) for r in ok])
        epochs = [float(r["best_epoch"]) for r in ok]
        per_epoch = [float(r["seconds_per_epoch"]) for r in ok]
        state = [r["state_bytes"] for r in ok]
        errors = list(dict.fromkeys(r["error"] for r in rows if r["error"]))
        out: dict[str, Any] = {
            "optimizer": label,
            "runs": len(rows),
            "failed": len(rows) - len(ok),
            "metric": metric,
        }
        out.update({f"{metric}_{k}": v for k, v in stats.items()})
        out["best_epoch_mean"] = statistics.fmean(epochs) if epochs else math.nan
        out["seconds_per_epoch"] = (
            statistics.fmean(per_epoch) if per_epoch else math.nan
        )
        out["state_bytes"] = int(max(state)) if state else math.nan
        out["errors"] = errors
        summary.append(out)
    return summary
