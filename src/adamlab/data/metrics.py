"""Error measures for forecasts: root mean squared error and mean absolute error."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _pair(prediction: ArrayLike, target: ArrayLike) -> np.ndarray:
    pred = np.asarray(prediction, dtype=np.float64)
    true = np.asarray(target, dtype=np.float64)
    if pred.shape != true.shape:
        raise ValueError(
            f"prediction and target must have the same shape, got {pred.shape} "
            f"and {true.shape}"
        )
    if pred.size == 0:
        raise ValueError("prediction and target are empty")
    return pred - true


def rmse(prediction: ArrayLike, target: ArrayLike) -> float:
    """Root mean squared error over all entries: sqrt(mean((p - y)^2))."""
    diff = _pair(prediction, target)
    return float(np.sqrt(np.mean(diff * diff)))


def mae(prediction: ArrayLike, target: ArrayLike) -> float:
    """Mean absolute error over all entries: mean(|p - y|)."""
    return float(np.mean(np.abs(_pair(prediction, target))))
