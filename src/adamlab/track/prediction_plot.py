"""A series forecast against the truth on the test part, as a PNG.

The figure reads plain arrays (times, true values, and one forecast per label),
all in the series' original units; it never reaches into a model or a training
loop. It is drawn with :class:`matplotlib.figure.Figure` on the Agg canvas, so
no backend is selected for pyplot and no window opens.

For a forecast of several steps the caller passes one column: the command line
plots the one-step-ahead forecast (the first column of each test window's
targets), whose time is the window's first target.
"""

from __future__ import annotations

import io
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike

#: Line styles by label; other labels get matplotlib's colour cycle.
STYLES = {
    "truth": {"color": "black", "linewidth": 1.6},
    "persistence": {"color": "tab:gray", "linewidth": 1.0, "linestyle": ":"},
    "linear_ar": {"color": "tab:orange", "linewidth": 1.1, "linestyle": "--"},
}


def _column(name: str, values: ArrayLike, length: int | None) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(
            f"{name} must be one value per time (shape (n,) or (n, 1)), got shape "
            f"{array.shape}; pass one forecast step, e.g. the first column"
        )
    if length is not None and len(array) != length:
        raise ValueError(f"{name} has {len(array)} values, the times {length}")
    return array


def prediction_png(
    times: ArrayLike,
    truth: ArrayLike,
    forecasts: Mapping[str, ArrayLike],
    *,
    title: str = "",
    ylabel: str = "value",
) -> bytes:
    """The PNG bytes of ``truth`` and each forecast against ``times``.

    Parameters
    ----------
    times : array_like, shape (n,)
        Time of each value: numbers (years) or ``datetime64``.
    truth : array_like, shape (n,) or (n, 1)
        The true values, in original units.
    forecasts : mapping of str to array_like, shape (n,) or (n, 1)
        One forecast per label (``"lstm"``, ``"linear_ar"``...), same units.
    title, ylabel : str
        Figure title and y-axis label.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = np.asarray(times)
    if times.ndim != 1 or len(times) == 0:
        raise ValueError(
            f"times must be a non-empty 1-D array, got shape {times.shape}"
        )
    n = len(times)
    truth_values = _column("truth", truth, n)
    if not forecasts:
        raise ValueError("forecasts is empty; give at least one labelled forecast")

    fig = Figure(figsize=(8.0, 3.8), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(times, truth_values, label="truth", **STYLES["truth"])
    for label, values in forecasts.items():
        style = STYLES.get(label, {"linewidth": 1.4})
        ax.plot(times, _column(label, values, n), label=label, **style)
    ax.set_xlabel("time")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def write_prediction_plot(
    path: str | os.PathLike,
    times: ArrayLike,
    truth: ArrayLike,
    forecasts: Mapping[str, ArrayLike],
    *,
    title: str = "",
    ylabel: str = "value",
) -> Path:
    """Write :func:`prediction_png` to ``path`` atomically; return the path."""
    from adamlab.fileio import atomic_write_bytes

    data = prediction_png(times, truth, forecasts, title=title, ylabel=ylabel)
    return atomic_write_bytes(path, data)
