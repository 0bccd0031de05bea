"""What a run shows on the terminal: a progress bar, epoch lines, a summary.

:class:`EpochDisplay` is a training callback owned by the command line; the
library itself never prints.
"""

from __future__ import annotations

import math
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from adamlab.train.callbacks import Callback

METRIC_ORDER = ("train_loss", "val_loss", "val_accuracy", "val_rmse", "lr")


def format_value(value: Any) -> str:
    """Numbers short and aligned, others as they are."""
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.4f}"
    return str(value)


def epoch_line(row: dict[str, Any], epochs: int) -> str:
    """One compact line for one history row."""
    parts = [f"epoch {row['epoch']:>{len(str(epochs))}}/{epochs}"]
    for key in METRIC_ORDER:
        if row.get(key) is not None:
            parts.append(f"{key} {format_value(row[key])}")
    parts.append(f"{row['seconds']:.2f}s")
    if row.get("skipped_steps"):
        parts.append(f"skipped_steps {row['skipped_steps']}")
    return "  ".join(parts)


class EpochDisplay(Callback):
    """Prints an epoch line per epoch and, on a terminal, a progress bar."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.progress: Progress | None = None
        self.task_id: Any = None

    def on_train_start(self, trainer: Any) -> None:
        if self.quiet or not self.console.is_terminal:
            return
        self.progress = Progress(
            TextColumn("[bold]training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("epochs"),
            console=self.console,
            transient=True,
        )
        self.progress.start()
        self.task_id = self.progress.add_task(
            "train", total=trainer.epochs, completed=trainer.epoch
        )

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, Any]) -> None:
        if self.quiet:
            return
        self.console.print(
            epoch_line(metrics, trainer.epochs), highlight=False, soft_wrap=True
        )
        if self.progress is not None:
            self.progress.update(self.task_id, completed=epoch)

    def on_train_end(self, trainer: Any, result: dict[str, Any]) -> None:
        self.close()

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def summary_line(result: dict[str, Any]) -> str:
    """The final one-line summary of a run."""
    parts = [f"{result['task']} / {result['model']} / {result['optimizer']}"]
    if "test_accuracy" in result:
        parts.append(f"test_accuracy {result['test_accuracy']:.4f}")
    if "test_rmse" in result:
        parts.append(f"test_rmse {format_value(result['test_rmse'])}")
        parts.append(f"test_mae {format_value(result['test_mae'])}")
    parts.append(f"best_epoch {result['best_epoch']}")
    parts.append(f"train_seconds {result['train_seconds']:.2f}")
    return "  ".join(parts)


def baseline_lines(result: dict[str, Any]) -> list[str]:
    """A small table of test RMSE/MAE: the network, then each baseline.

    Empty for results without ``baselines`` (classification runs).
    """
    baselines = result.get("baselines")
    if not baselines or "test_rmse" not in result:
        return []
    rows = [(result["model"], result["test_rmse"], result["test_mae"])]
    rows += [(name, v["test_rmse"], v["test_mae"]) for name, v in baselines.items()]
    width = max(len("test part"), *(len(name) for name, _, _ in rows))
    lines = [f"{'test part':<{width}}  {'rmse':>10}  {'mae':>10}"]
    for name, rmse, mae in rows:
        lines.append(
            f"{name:<{width}}  {format_value(float(rmse)):>10}  "
            f"{format_value(float(mae)):>10}"
        )
    return lines
