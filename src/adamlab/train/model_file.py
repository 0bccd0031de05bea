"""Trained model files: the tested weights with what is needed to use them again.

A model file is a safe file (:mod:`adamlab.safefile`, kind ``"model"``)
holding the model's description (``Sequential.config()``), its weights by
parameter name, the run's options (:class:`adamlab.train.RunConfig` as a dict,
from which the same data split is rebuilt, with the CSV's label or series
column), the task's shape (kind, feature and class names, outputs, a series'
window) and the test metrics training reported. Format 1 throughout: a key
added later (``window``) is optional, and a file without the names skips the
checks that need them.

>>> from adamlab.train import read_model_file  # doctest: +SKIP
>>> labels = read_model_file("digits.npz").predict(raw_rows)  # doctest: +SKIP

:meth:`ModelFile.predict` takes inputs in the data's own units and applies
the stored scaling (``feature_mean``/``feature_scale`` for tables,
``target_mean``/``target_scale`` for series); ``load_model(path).predict``
is the bare network, on inputs prepared as training prepared them.
:meth:`ModelFile.match_data` checks other data against the saved feature
columns (reordered by name) and classes, for ``adamlab evaluate``.
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

        Tables: rows of raw features, shape ``(n, n_features)``, standardized
        here with the training split's statistics; returns class labels
        (``class_names`` when the file has them, else class indices). Series:
        windows of raw past values, shape ``(n, window)`` (recurrent networks
        also take ``(n, window, 1)``), scaled here; returns forecasts in the
        series' units, shape ``(n, horizon)``. Another shape, a value that is
        not a number, NaN or infinity raises ValueError naming it.
        """
        X = self._check_inputs(X)
        task = self.task
        dtype = self.model.dtype
        if task.get("kind") == "regression":
            mean, scale = task["target_mean"], task["target_scale"]
            inputs = (X - mean) / scale
            if self._recurrent() and inputs.ndim == 2:
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

    def match_data(self, data: Any) -> Any:
        """``data`` checked against the columns and classes the model learned.

        For a table model evaluated on a table (``adamlab evaluate --csv``):
        the feature columns must be the saved ``feature_names``; the same
        columns in another order are put back in the saved order by name
        (inputs, names and scaling), so they evaluate like the original file.
        The classes must be among the saved ``class_names``; data with only
        some of them gets the saved class indices (and the model's kind). A
        missing or extra column or an unknown class raises ValueError naming
        them. Series, and files that do not record the names (written without
        ``data``), pass unchanged; the caller still compares kind and shapes.

        Returns
        -------
        TaskData
            ``data``, or a copy with columns reordered or classes renumbered.
        """
        from dataclasses import replace

        tables = ("binary", "multiclass")
        task = self.task
        if task.get("kind") not in tables or data.kind not in tables:
            return data
        saved = [str(name) for name in task.get("feature_names") or ()]
        found = [str(name) for name in data.feature_names]
        if saved and found != saved:
            missing = [name for name in saved if name not in found]
            extra = [name for name in found if name not in saved]
            if missing or extra or len(found) != len(saved):
                parts = [f"missing {_listed(missing)}"] if missing else []
                parts += [f"extra {_listed(extra)}"] if extra else []
                raise ValueError(
                    f"{data.name} does not have the model's feature columns "
                    f"({'; '.join(parts) or 'a repeated name'}); the model was "
                    f"trained on {_listed(saved)}"
                )
            order = [found.index(name) for name in saved]
            data = replace(
                data,
                X_train=data.X_train[:, order],
                X_val=data.X_val[:, order],
                X_test=data.X_test[:, order],
                feature_names=tuple(saved),
                feature_mean=None
                if data.feature_mean is None
                else data.feature_mean[order],
                feature_scale=None
                if data.feature_scale is None
                else data.feature_scale[order],
            )
        classes = [str(name) for name in task.get("class_names") or ()]
        found = [str(name) for name in data.class_names]
        if classes and found != classes:
            unknown = [name for name in found if name not in classes]
            if unknown:
                raise ValueError(
                    f"{data.name} has classes the model does not know: "
                    f"{_listed(unknown)}; the model's classes are {_listed(classes)}"
                )
            index = np.array([classes.index(name) for name in found], dtype=np.int64)
            data = replace(
                data,
                kind=task["kind"],
                n_outputs=int(task.get("n_outputs", len(classes))),
                class_names=tuple(classes),
                y_train=index[data.y_train],
                y_val=index[data.y_val],
                y_test=index[data.y_test],
            )
        return data

    def _recurrent(self) -> bool:
        return (self.config or {}).get("model", "mlp") != "mlp"

    def _check_inputs(self, X: Any) -> np.ndarray:
        """``X`` as float64 if its shape fits the model and it is finite."""
        task = self.task
        if task.get("kind") == "regression":
            if self._recurrent():
                from adamlab.data.series import DEFAULT_WINDOW

                # Files written before "window" was kept: the run's option.
                width = task.get("window") or (self.config or {}).get("window")
                width = width or DEFAULT_WINDOW
            else:
                width = task.get("n_features")
            what = f"n windows of the last {width} values"
        else:
            width = task.get("n_features") or _input_width(self.model)
            what = f"n rows of {width} features"
        expected = f"(n, {width})" if width is not None else "(n, n_features)"
        try:
            array = np.asarray(X, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"X must be numbers of shape {expected} ({what}); {error}"
            ) from None
        shape_ok = array.ndim == 2 or (
            array.ndim == 3 and array.shape[2] == 1 and self._recurrent()
        )
        if not shape_ok or (width is not None and array.shape[1] != width):
            raise ValueError(
                f"X must have shape {expected} ({what}), got shape {array.shape}"
            )
        bad = ~np.isfinite(array)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            row, column = where[:2]
            names = task.get("feature_names") or []
            if task.get("kind") != "regression" and column < len(names):
                column = f"{column} ({names[column]!r})"
            raise ValueError(
                f"X has a non-finite value, {float(array[where])}, at row {row}, "
                f"column {column}; expected finite numbers"
            )
        return array


def _listed(names: list[str], limit: int = 8) -> str:
    """Names quoted and joined, the first ``limit`` of a long list."""
    shown = ", ".join(repr(name) for name in names[:limit])
    more = len(names) - limit
    return shown if more <= 0 else f"{shown} and {more} more"


def _input_width(model: Any) -> int | None:
    """Inputs per example of the model's first layer, if it says."""
    layers = model.config().get("layers") or [{}]
    width = layers[0].get("n_in")
    return int(width) if isinstance(width, int) else None


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
    series = getattr(data, "series", None)
    if series is not None:
        info["window"] = int(series.window)
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
