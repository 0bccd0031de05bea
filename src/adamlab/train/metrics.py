"""Evaluating a model on one split: loss, and accuracy or RMSE/MAE."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray


def targets_for(kind: str, y: NDArray, dtype: np.dtype) -> NDArray:
    """The targets as the loss expects them for a task ``kind``."""
    if kind == "multiclass":
        return y
    if kind == "binary":
        return y.reshape(-1, 1).astype(dtype)
    return y.reshape(y.shape[0], -1).astype(dtype)


def evaluate(model: Any, loss: Any, data: Any, split: str) -> dict[str, float]:
    """Loss and task metric of ``model`` on ``split`` ("train", "val", "test").

    Classification reports ``accuracy``; regression reports ``rmse`` and
    ``mae`` in the series' original units (the scaling undone).
    """
    X = getattr(data, f"X_{split}")
    y = getattr(data, f"y_{split}")
    out = model.predict(X)
    target = targets_for(data.kind, y, out.dtype)
    metrics = {"loss": float(loss.value(out, target))}
    if data.kind == "multiclass":
        metrics["accuracy"] = float(np.mean(np.argmax(out, axis=1) == y))
    elif data.kind == "binary":
        metrics["accuracy"] = float(np.mean((out[:, 0] > 0) == (y == 1)))
    else:
        pred = data.to_original_units(out.reshape(target.shape))
        true = data.to_original_units(target)
        err = pred - true
        metrics["rmse"] = float(np.sqrt(np.mean(err**2)))
        metrics["mae"] = float(np.mean(np.abs(err)))
    return metrics
