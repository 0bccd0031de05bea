"""The prepared data of one task: three splits plus what is needed to report.

Every loader in :mod:`adamlab.data` returns a :class:`TaskData`. Its fields are
fixed once it is built (the dataclass is frozen); the arrays themselves stay
writable so that other libraries can wrap them without copying.

Shapes
------
``X_*``
    ``(n, n_features)`` for tables and for series by default; series loaded
    with ``sequence=True`` give ``(n, window, 1)`` for recurrent networks.
    Always in the requested floating dtype.
``y_*``
    ``kind == "multiclass"`` or ``"binary"``: int64 labels ``(n,)`` in
    ``0..n_classes - 1``. ``kind == "regression"``: ``(n, n_outputs)`` targets in
    the requested dtype, standardized like the inputs (``n_outputs`` is the
    forecast horizon, 1 by default).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

KINDS = ("multiclass", "binary", "regression")


@dataclass(frozen=True)
class SeriesInfo:
    """How a series task was cut, kept so that baselines and plots can be rebuilt.

    Attributes
    ----------
    values : ndarray, shape (T,)
        The whole series in original units (float64), after the missing-value
        policy and any resampling.
    times : ndarray, shape (T,)
        A time label per value: datetime64 for dated series, float years for
        sunspots, or the position 0..T-1 when the file has no date column.
    window : int
        Number of past values each input holds.
    horizon : int
        Number of future values each target holds.
    train_starts, val_starts, test_starts : ndarray of int64
        Start index ``i`` of each window: inputs are ``values[i : i + window]``,
        targets ``values[i + window : i + window + horizon]``.
    """

    values: NDArray[np.float64]
    times: NDArray
    window: int
    horizon: int
    train_starts: NDArray[np.int64]
    val_starts: NDArray[np.int64]
    test_starts: NDArray[np.int64]

    def windows(self, part: str) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Inputs ``(n, window)`` and targets ``(n, horizon)`` of one part.

        Parameters
        ----------
        part : {"train", "val", "test"}
            Which part; values are in original units (float64).
        """
        starts = {
            "train": self.train_starts,
            "val": self.val_starts,
            "test": self.test_starts,
        }
        if part not in starts:
            raise ValueError(f"part must be 'train', 'val' or 'test', got {part!r}")
        idx = starts[part][:, None]
        inputs = self.values[idx + np.arange(self.window)]
        targets = self.values[idx + self.window + np.arange(self.horizon)]
        return inputs, targets

    def target_times(self, part: str) -> NDArray:
        """Time label of the first target of each window of ``part``."""
        starts = {
            "train": self.train_starts,
            "val": self.val_starts,
            "test": self.test_starts,
        }[part]
        return self.times[starts + self.window]


@dataclass(frozen=True)
class TaskData:
    """Train, validation and test arrays of one task, ready for a network.

    Attributes
    ----------
    name : str
        Task name (``"digits"``, ``"sunspots"``, ``"csv:PATH"``...).
    kind : {"multiclass", "binary", "regression"}
        Decides the output layer and loss: softmax cross-entropy over
        ``n_outputs`` classes, one logit with binary cross-entropy, or mean
        squared error on ``n_outputs`` values.
    X_train, y_train, X_val, y_val, X_test, y_test : ndarray
        The three splits (shapes in the module docstring).
    n_features : int
        Inputs per example (per time step for ``sequence=True`` series: 1).
    n_outputs : int
        Network outputs: the number of classes for multiclass, 1 for binary,
        the horizon for regression.
    feature_names : tuple of str
        One name per input feature (for series: ``"t-12"`` ... ``"t-1"``).
    class_names : tuple of str
        Label of each class index (empty for regression).
    feature_mean, feature_scale : ndarray, shape (n_features,), or None
        Tables: the transform applied, ``X = (raw - mean) / scale``, fitted on
        the training split only.
    target_mean, target_scale : float or None
        Series: the standardization of the series, fitted on the training
        part only; :meth:`to_original_units` inverts it.
    y_test_original : ndarray, shape (n_test, horizon), or None
        Series: the test targets in original units (float64).
    n_missing_filled, n_missing_dropped : int
        Series: values filled by interpolation and values dropped under the
        missing-value policy.
    series : SeriesInfo or None
        Series: the full series and window positions, for baselines and plots.
    description : str
        One line about the data and how it was prepared.
    """

    name: str
    kind: str
    X_train: NDArray
    y_train: NDArray
    X_val: NDArray
    y_val: NDArray
    X_test: NDArray
    y_test: NDArray
    n_features: int
    n_outputs: int
    feature_names: tuple[str, ...]
    class_names: tuple[str, ...] = ()
    feature_mean: NDArray[np.float64] | None = None
    feature_scale: NDArray[np.float64] | None = None
    target_mean: float | None = None
    target_scale: float | None = None
    y_test_original: NDArray[np.float64] | None = None
    n_missing_filled: int = 0
    n_missing_dropped: int = 0
    series: SeriesInfo | None = field(default=None, repr=False)
    description: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")

    @property
    def n_train(self) -> int:
        return int(self.X_train.shape[0])

    @property
    def n_val(self) -> int:
        return int(self.X_val.shape[0])

    @property
    def n_test(self) -> int:
        return int(self.X_test.shape[0])

    def to_original_units(self, y: NDArray) -> NDArray[np.float64]:
        """Undo the series standardization: ``y * target_scale + target_mean``.

        Parameters
        ----------
        y : array_like
            Predictions or targets in the scaled units the network sees.

        Returns
        -------
        ndarray of float64
            The same values in the units of the original series.
        """
        if self.target_mean is None or self.target_scale is None:
            raise ValueError(
                f"task {self.name!r} is {self.kind}, not a series task; "
                "it has no target scaling to undo"
            )
        return np.asarray(y, dtype=np.float64) * self.target_scale + self.target_mean
