"""Trained model files: the tested weights with what is needed to use them again.

A model file is a safe file (:mod:`adamlab.safefile`, kind ``"model"``)
holding the model's description (``Sequential.config()``), its weights by
parameter name, the run's options (:class:`adamlab.train.RunConfig` as a dict,
from which the same data split is rebuilt), the task's shape (kind, features,
outputs, class names) and the test metrics training reported.

>>> from adamlab.train import read_model_file  # doctest: +SKIP
>>> labels = read_model_file("digits.npz").predict(raw_rows)  # doctest: +SKIP

:meth:`ModelFile.predict` takes inputs in the data's own units and applies
the stored scaling (``feature_mean``/``feature_scale`` for tables,
``target_mean``/``target_scale`` for series); ``load_model(path).predict``
is the bare network, on inputs prepared as training prepared them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adamlab import safefile

KIND = "model"
FORMAT = 1


@dataclass
class ModelFile:
    """What a model file holds, with the model rebuilt and its weights loaded."""

    model: Any
    config: dict[str, Any] | None = None
    task: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    best_epoch: int | None = None

    def predict(self, X: Any) -> np.ndarray:
        """Predictions for inputs in the data's own units.

        Tables: rows of raw features, standardized here with the training
        split's statistics; returns class labels (``class_names`` when the
        file has them, else class indices). Series: windows of raw past values,
        shape ``(n, window)``, scaled here; returns forecasts in the series'
        units, shape ``(n, horizon)``.
        """
        X = np.asarray(X, dtype=np.float64)
        task = self.task
        dtype = self.model.dtype
        if task.get("kind") == "regression":
            mean, scale = task["target_mean"], task["target_scale"]
            inputs = (X - mean) / scale
            model_kind = (self.config or {}).get("model", "mlp")
            if model_kind != "mlp" and inputs.ndim == 2:
                inputs = inputs[..., None]  # (n, window, 1) for recurrent cells
            return self.model.predict(inputs.astype(dtype)) * scale + mean
        if task.get("feature_mean") is not None:
            X = (X - task["feature_mean"]) / task["feature_scale"]
        out = self.model.predict(X.astype(dtype))
        if task.get("kind") == "binary":
            index = (out[:, 0] > 0).astype(np.int64)
        else:
            index = np.argmax(out, axis=1)
        names = task.get("class_names") or []
        return np.asarray(names)[index] if len(names) else index


def task_info(data: Any) -> dict[str, Any]:
    """The parts of a :class:`adamlab.data.TaskData` a model file keeps."""
    info: dict[str, Any] = {
        "name": data.name,
        "kind": data.kind,
        "n_features": int(data.n_features),
        "n_outputs": int(data.n_outputs),
        "feature_names": list(getattr(data, "feature_names", ())),
        "class_names": list(getattr(data, "class_names", ())),
    }
    for key in ("feature_mean", "feature_scale"):
        value = getattr(data, key, None)
        info[key] = None if value is None else np.asarray(value, dtype=np.float64)
    for key in ("target_mean", "target_scale"):
        value = getattr(data, key, None)
        info[key] = None if value is None else float(np.asarray(value).ravel()[0])
    return info


def save_model(
    path: str | os.PathLike,
    model: Any,
    *,
    params: np.ndarray | None = None,
    config: Any = None,
    data: Any = None,
    metrics: dict[str, Any] | None = None,
    best_epoch: int | None = None,
) -> Path:
    """Write ``model`` (or ``model`` with the flat weights ``params``) to ``path``.

    Parameters
    ----------
    path
        Destination; its folder must exist. Written atomically.
    model
        An :mod:`adamlab.nn` model (``config()``, ``named_parameters()``,
        ``param_buffer``).
    params
        Flat weights to store instead of the model's current ones (the
        trainer's ``best_params``); same shape and dtype as ``param_buffer``.
    config
        The run's :class:`adamlab.train.RunConfig` (or dict), to rebuild the
        data for ``adamlab evaluate``; a ``csv`` path is stored absolute.
    data
        The run's :class:`adamlab.data.TaskData`, for the task's shape.
    metrics
        Test metrics to store (``test_accuracy``, ``test_rmse``...).
    best_epoch
        The epoch whose weights these are.
    """
    weights = {name: p.copy() for name, p in model.named_parameters()}
    if params is not None:
        buffer = model.param_buffer
        params = np.asarray(params)
        if params.shape != buffer.shape or params.dtype != buffer.dtype:
            raise ValueError(
                f"params must have the model's shape {buffer.shape} and dtype "
                f"{buffer.dtype}, got {params.shape} {params.dtype}"
            )
        # Parameters are views of param_buffer in order, without gaps.
        start = 0
        for name, p in model.named_parameters():
            weights[name] = params[start : start + p.size].reshape(p.shape).copy()
            start += p.size
    if config is not None and hasattr(config, "to_dict"):
        config = config.to_dict()
    if isinstance(config, dict) and config.get("csv"):
        # Absolute, so that evaluate finds the file from any folder.
        config = {**config, "csv": str(Path(config["csv"]).resolve())}
    tree = {
        "format": FORMAT,
        "model": {"config": model.config(), "params": weights},
        "config": config,
        "task": {} if data is None else task_info(data),
        "metrics": {
            k: v
            for k, v in (metrics or {}).items()
            if isinstance(v, (int, float, str)) and not isinstance(v, bool)
        },
        "best_epoch": best_epoch,
    }
    return safefile.save(path, tree, kind=KIND)


def read_model_file(path: str | os.PathLike) -> ModelFile:
    """Read a model file; rebuild its model with the saved weights."""
    from adamlab.nn.sequential import Sequential

    tree = safefile.load(path, kind=KIND)
    found = tree.get("format") if isinstance(tree, dict) else None
    if found != FORMAT:
        raise safefile.SafeFileError(
            f"{path}: model format {found!r}, this adamlab reads {FORMAT}"
        )
    try:
        model = Sequential.from_config(tree["model"]["config"])
    except (KeyError, TypeError) as error:
        raise safefile.SafeFileError(
            f"{path}: the model description is incomplete ({error})"
        ) from None
    model.load_state_dict(tree["model"]["params"])
    return ModelFile(
        model=model,
        config=tree.get("config"),
        task=tree.get("task") or {},
        metrics=tree.get("metrics") or {},
        best_epoch=tree.get("best_epoch"),
    )


def load_model(path: str | os.PathLike) -> Any:
    """The trained model saved at ``path``, ready for ``predict``."""
    return read_model_file(path).model
