"""Classical forecasts on a series task's test part, for comparison with networks.

persistence
    Predict the last value of the window for every step of the horizon:
    ``y_hat[t + k] = y[t]``.
linear_ar
    A linear autoregressive model with the same window, fitted by ordinary
    least squares on the training windows (with an intercept):
    ``y_hat[t + k] = c_k + sum_j a_kj * y[t - window + 1 + j]``. With a
    horizon above 1 each step ``k`` has its own coefficients (the "direct"
    strategy), rather than feeding predictions back.

Both are computed in the series' original units from the stored series, so
they do not depend on the dtype or scaling of the network's arrays.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from adamlab.data.metrics import mae, rmse
from adamlab.data.taskdata import TaskData

BASELINES = ("persistence", "linear_ar")


def _series(task: TaskData):
    if task.series is None:
        raise ValueError(
            f"baselines need a series task, got {task.name!r} ({task.kind})"
        )
    return task.series


def persistence_forecast(task: TaskData) -> NDArray[np.float64]:
    """Test-part forecast ``(n_test, horizon)`` repeating each window's last value."""
    series = _series(task)
    inputs, _ = series.windows("test")
    return np.repeat(inputs[:, -1:], series.horizon, axis=1)


def linear_ar_forecast(task: TaskData) -> NDArray[np.float64]:
    """Test-part forecast ``(n_test, horizon)`` of the least-squares AR model."""
    series = _series(task)
    inputs, targets = series.windows("train")
    design = np.column_stack([np.ones(len(inputs)), inputs])
    coef, *_ = np.linalg.lstsq(design, targets, rcond=None)  # (1 + window, horizon)
    test_inputs, _ = series.windows("test")
    return np.column_stack([np.ones(len(test_inputs)), test_inputs]) @ coef


def baseline_forecasts(task: TaskData) -> dict[str, NDArray[np.float64]]:
    """Each baseline's test-part forecast in original units, by name."""
    return {
        "persistence": persistence_forecast(task),
        "linear_ar": linear_ar_forecast(task),
    }


def baselines(task: TaskData) -> dict[str, dict[str, float]]:
    """Test RMSE and MAE of each baseline, in the series' original units.

    Returns
    -------
    dict
        ``{"persistence": {"test_rmse": ..., "test_mae": ...},
        "linear_ar": {...}}``, the ``baselines`` entry of a run's results.
    """
    _, truth = _series(task).windows("test")
    return {
        name: {"test_rmse": rmse(pred, truth), "test_mae": mae(pred, truth)}
        for name, pred in baseline_forecasts(task).items()
    }
