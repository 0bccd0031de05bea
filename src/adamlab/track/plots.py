"""Figures from recorded runs: curves per epoch and tracker signals per step.

Every function takes ``groups``: a mapping from a label (an optimizer, say) to
a list of runs, each a dict with a ``history`` (rows per epoch, as in a run's
result) and optionally ``records`` (the tracker's rows). One label with one run
draws that run; several runs under a label draw their mean with a band over
them (min to max, or mean ± one standard deviation). The figures read these
dicts only; they never reach into a training loop.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas
directly, so importing this module neither selects a backend for pyplot nor
opens a window.

Limitations
-----------
Runs under one label are aligned by position: epoch ``k`` (or the ``k``-th
record) of each run; runs of different lengths are cut to the shortest.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

BANDS = ("minmax", "std")

#: Labels and whether a log scale suits them, for the keys the plots know.
LABELS = {
    "train_loss": ("training loss", True),
    "val_loss": ("validation loss", True),
    "val_accuracy": ("validation accuracy", False),
    "val_rmse": ("validation RMSE", True),
    "grad_norm": ("gradient norm", True),
    "update_norm": ("update norm", True),
    "update_ratio": ("update / parameter norm", True),
    "effective_lr_mean": ("mean effective learning rate", True),
    "effective_lr_p50": ("median effective learning rate", True),
    "lr": ("learning rate", True),
}

Groups = Mapping[str, Sequence[Mapping[str, Any]]]


def _figure(n_panels: int) -> tuple[Any, list[Any]]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(5.0 * n_panels, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    axes = [fig.add_subplot(1, n_panels, i + 1) for i in range(n_panels)]
    return fig, axes


def _series(
    runs: Sequence[Mapping[str, Any]], source: str, key: str, x_key: str
) -> tuple[np.ndarray, np.ndarray] | None:
    """x values and a (runs, points) array of ``key``, aligned by position."""
    rows_per_run = [
        [row for row in run.get(source) or [] if key in row] for run in runs
    ]
    rows_per_run = [rows for rows in rows_per_run if rows]
    if not rows_per_run:
        return None
    n = min(len(rows) for rows in rows_per_run)
    x = np.array(
        [float(row.get(x_key, i + 1)) for i, row in enumerate(rows_per_run[0][:n])]
    )
    y = np.array(
        [[float(row[key]) for row in rows[:n]] for rows in rows_per_run], dtype=float
    )
    return x, y


def _draw(ax: Any, x: np.ndarray, y: np.ndarray, label: str, band: str) -> None:
    with np.errstate(invalid="ignore"):
        if y.shape[0] == 1:
            ax.plot(x, y[0], label=label, linewidth=1.6)
            return
        mean = np.nanmean(y, axis=0) if np.isfinite(y).any() else y[0]
        if band == "std":
            spread = np.nanstd(y, axis=0)
            low, high = mean - spread, mean + spread
        else:
            low, high = np.nanmin(y, axis=0), np.nanmax(y, axis=0)
    (line,) = ax.plot(x, mean, label=f"{label} (n={y.shape[0]})", linewidth=1.6)
    ax.fill_between(x, low, high, color=line.get_color(), alpha=0.2, linewidth=0)


def _panel(
    ax: Any, groups: Groups, source: str, key: str, x_key: str, band: str
) -> bool:
    drawn = False
    for label, runs in groups.items():
        series = _series(runs, source, key, x_key)
        if series is None:
            continue
        _draw(ax, series[0], series[1], str(label), band)
        drawn = True
    title, log = LABELS.get(key, (key, False))
    ax.set_title(title)
    ax.set_xlabel(x_key)
    if x_key == "epoch":
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(True, alpha=0.3)
    if drawn:
        finite = [line.get_ydata() for line in ax.get_lines() if len(line.get_ydata())]
        values = np.concatenate([np.asarray(v, dtype=float) for v in finite])
        if log and np.all(values[np.isfinite(values)] > 0):
            ax.set_yscale("log")
        ax.legend(fontsize="small")
    else:
        ax.text(
            0.5,
            0.5,
            f"no {key} recorded",
            ha="center",
            va="center",
            transform=ax.transAxes,
        )
    return drawn


def _check_band(band: str) -> None:
    if band not in BANDS:
        raise ValueError(f"band must be one of {BANDS}, got {band!r}")


def plot_keys(
    groups: Groups,
    keys: Sequence[str],
    *,
    source: str = "history",
    band: str = "minmax",
) -> Any:
    """One panel per key of ``source`` ("history" per epoch, "records" per
    step), every label overlaid; returns the Figure."""
    _check_band(band)
    if source not in ("history", "records"):
        raise ValueError(f"source must be 'history' or 'records', got {source!r}")
    x_key = "epoch" if source == "history" else "step"
    fig, axes = _figure(len(keys))
    for ax, key in zip(axes, keys):
        _panel(ax, groups, source, key, x_key, band)
    return fig


def loss_figure(groups: Groups, *, band: str = "minmax") -> Any:
    """Training and validation loss per epoch."""
    return plot_keys(groups, ["train_loss", "val_loss"], band=band)


def metric_key(groups: Groups) -> str:
    """``val_accuracy`` if the runs report it, else ``val_rmse``."""
    for runs in groups.values():
        for run in runs:
            for row in run.get("history") or []:
                if "val_accuracy" in row:
                    return "val_accuracy"
                if "val_rmse" in row:
                    return "val_rmse"
    return "val_accuracy"


def metric_figure(groups: Groups, *, band: str = "minmax") -> Any:
    """Validation accuracy (classification) or RMSE (regression) per epoch."""
    return plot_keys(groups, [metric_key(groups)], band=band)


def norms_figure(groups: Groups, *, band: str = "minmax") -> Any:
    """Gradient norm, update norm and update/parameter ratio per recorded step."""
    return plot_keys(
        groups,
        ["grad_norm", "update_norm", "update_ratio"],
        source="records",
        band=band,
    )


def effective_lr_figure(groups: Groups, *, band: str = "minmax") -> Any:
    """Mean and median effective per-element learning rate per recorded step."""
    return plot_keys(
        groups, ["effective_lr_mean", "effective_lr_p50"], source="records", band=band
    )


def standard_figures(groups: Groups, *, band: str = "minmax") -> dict[str, Any]:
    """The report's figures by file stem: loss, metric, norms, effective_lr."""
    metric = metric_key(groups)
    return {
        "loss": loss_figure(groups, band=band),
        metric.removeprefix("val_"): metric_figure(groups, band=band),
        "norms": norms_figure(groups, band=band),
        "effective_lr": effective_lr_figure(groups, band=band),
    }


def png_bytes(fig: Any) -> bytes:
    """The figure as PNG bytes."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def save_png(fig: Any, path: str | os.PathLike) -> Path:
    """Write the figure as a PNG file, atomically; return the path."""
    from adamlab.fileio import atomic_write_bytes

    return atomic_write_bytes(path, png_bytes(fig))
