"""Series preparation: missing values, sliding windows, chronological split.

The steps, in order:

1. Missing values follow a policy chosen by the caller (see
   :func:`apply_missing_policy`); nothing is dropped unless asked.
2. Windows: window ``i`` takes ``values[i : i + window]`` as inputs and the
   next ``horizon`` values as targets.
3. Split by time: the windows' first targets are cut into consecutive
   train / validation / test stretches (70/15/15 by default), in that order,
   without shuffling. A window whose targets would cross into the next
   stretch is dropped (only possible with ``horizon > 1``), so no training
   input or target lies at or after the first validation target, and no
   validation value lies at or after the first test target. Later windows
   do read earlier values as inputs (a forecast may look at the known past).
4. Standardize with the mean and standard deviation of the values that the
   training windows cover, ``values[:first_val_target]``, and nothing later.

Limitations
-----------
The split fractions count windows, so with ``horizon > 1`` the validation
and training parts lose ``horizon - 1`` windows each at their ends. Under
``missing="drop"`` the values left are treated as evenly spaced, so a window
may span a gap.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

from adamlab.data.checks import (
    check_choice,
    check_dtype,
    check_fraction,
    check_int,
)
from adamlab.data.taskdata import SeriesInfo, TaskData

MISSING_POLICIES = ("error", "interpolate", "drop")
DEFAULT_WINDOW = 12
DEFAULT_VAL_FRACTION = 0.15
DEFAULT_TEST_FRACTION = 0.15
# How to choose a missing-value policy, for both command-line and Python users.
MISSING_HINT = (
    "use --missing interpolate (linear in time) or --missing drop "
    "(missing='interpolate' or missing='drop' in Python)"
)


def _time_axis(times: NDArray) -> NDArray[np.float64]:
    """Times as float64 numbers for linear interpolation."""
    if np.issubdtype(times.dtype, np.datetime64):
        return times.astype("datetime64[ns]").astype(np.int64).astype(np.float64)
    return np.asarray(times, dtype=np.float64)


def format_time(t: object) -> str:
    """A time label for messages: a date, a date and time, or a number."""
    if isinstance(t, np.datetime64):
        text = str(np.datetime_as_string(t, unit="s"))
        return text.removesuffix("T00:00:00")
    if isinstance(t, np.floating | float) and float(t).is_integer():
        return str(int(t))
    return str(t)


def apply_missing_policy(
    values: NDArray[np.float64],
    times: NDArray,
    missing: str,
    source: str,
) -> tuple[NDArray[np.float64], NDArray, int, int]:
    """Handle the NaNs of a series by the chosen policy.

    Parameters
    ----------
    values : ndarray of float64, shape (T,)
        The series, NaN where a value is missing.
    times : ndarray, shape (T,)
        Time label of each value (datetime64 or numbers), increasing.
    missing : {"error", "interpolate", "drop"}
        ``"error"`` raises ValueError if any value is missing.
        ``"interpolate"`` fills each interior gap linearly in time between
        its neighbours; missing values before the first or after the last
        observed one cannot be interpolated and are dropped.
        ``"drop"`` removes the missing values; the remaining ones are then
        treated as consecutive, so a window may span a gap.
    source : str
        How to name the series in error messages (``"column 'x' of a.csv"``).

    Returns
    -------
    values, times : ndarray
        The series without NaN.
    n_filled, n_dropped : int
        How many values were interpolated and how many dropped.
    """
    check_choice("missing", missing, MISSING_POLICIES)
    mask = np.isnan(values)
    n_missing = int(mask.sum())
    if n_missing == 0:
        return values, times, 0, 0
    if mask.all():
        raise ValueError(f"{source} has no values, only {n_missing} missing ones")
    if missing == "error":
        first = format_time(times[int(np.flatnonzero(mask)[0])])
        raise ValueError(
            f"{source} has {n_missing} missing values (first at {first}); "
            f"choose a policy: {MISSING_HINT}"
        )
    if missing == "drop":
        keep = ~mask
        return values[keep], times[keep], 0, n_missing

    # Interpolate interior gaps linearly in time; trim the unobserved ends.
    observed = np.flatnonzero(~mask)
    lo, hi = int(observed[0]), int(observed[-1]) + 1
    values, times, mask = values[lo:hi], times[lo:hi], mask[lo:hi]
    x = _time_axis(times)
    filled = values.copy()
    filled[mask] = np.interp(x[mask], x[~mask], values[~mask])
    return filled, times, int(mask.sum()), n_missing - int(mask.sum())


def window_starts(
    length: int,
    window: int,
    horizon: int,
    val_fraction: float,
    test_fraction: float,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]] | None:
    """Start indices of the train, validation and test windows, or None.

    Returns None when the series is too short to give at least two training
    windows and one validation and one test window.
    """
    n = length - window - horizon + 1
    if n < 1:
        return None
    n_train, n_val, n_test = _part_sizes(n, val_fraction, test_fraction)

    # Windows whose targets cross a boundary are dropped (horizon > 1 only).
    train = np.arange(0, n_train - horizon + 1, dtype=np.int64)
    val = np.arange(n_train, n_train + n_val - horizon + 1, dtype=np.int64)
    test = np.arange(n_train + n_val, n, dtype=np.int64)
    if len(train) < 2 or len(val) < 1 or len(test) < 1:
        return None
    return train, val, test


def _part_sizes(
    n: int, val_fraction: float, test_fraction: float
) -> tuple[int, int, int]:
    """Numbers of train, validation and test windows among ``n``, before drops."""
    n_test = round(test_fraction * n)
    n_val = round(val_fraction * n)
    return n - n_val - n_test, n_val, n_test


def _fits(n: int, horizon: int, val_fraction: float, test_fraction: float) -> bool:
    """Whether ``n`` windows leave :func:`window_starts` enough in each part."""
    n_train, n_val, n_test = _part_sizes(n, val_fraction, test_fraction)
    return n_train - horizon + 1 >= 2 and n_val - horizon + 1 >= 1 and n_test >= 1


def min_length(
    window: int, horizon: int, val_fraction: float, test_fraction: float
) -> int:
    """The shortest series :func:`window_starts` can cut.

    The smallest window count ``n`` that fits is searched upwards from a lower
    bound computed exactly from the fractions, so the search takes a few
    steps (at most about ``2 / (1 - val_fraction - test_fraction)``) whatever
    the horizon. With ``v``, ``t`` the fractions, ``h`` the horizon and ``e``
    a bound on the relative rounding error of ``v * n``: the validation part
    needs ``round(v * n) >= h``, so ``v * n * (1 + e) >= h - 1/2``; the test
    part ``t * n * (1 + e) >= 1/2``; the training part
    ``n - round(v * n) - round(t * n) >= h + 1``, and as ``round(x) >= x - 1/2``
    that needs ``n * (1 - (v + t) * (1 - e)) >= h``. Past ``2**53`` windows
    (a horizon near ``10**15``) the bound itself is returned.
    """
    v, t = Fraction(val_fraction), Fraction(test_fraction)
    e = Fraction(1, 2**51)  # covers float(n) and the product rounding
    n = max(
        1,
        math.ceil((horizon - Fraction(1, 2)) / (v * (1 + e))),
        math.ceil(Fraction(1, 2) / (t * (1 + e))),
        math.ceil(horizon / (1 - (v + t) * (1 - e))),
    )
    if n > 2**53:
        # Beyond exact float counts (a horizon near 10**15): the bound itself.
        return n + window + horizon - 1
    while not _fits(n, horizon, val_fraction, test_fraction):
        n += 1
    return n + window + horizon - 1


def build_series_task(
    name: str,
    values: NDArray[np.float64],
    times: NDArray,
    *,
    source: str,
    window: int = DEFAULT_WINDOW,
    horizon: int = 1,
    sequence: bool = False,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    dtype: object = np.float64,
    n_missing_filled: int = 0,
    n_missing_dropped: int = 0,
    description: str = "",
) -> TaskData:
    """Cut a complete series (no NaN) into standardized windows.

    Parameters
    ----------
    name : str
        Task name for the result.
    values : ndarray of float64, shape (T,)
        The series in original units, without missing values.
    times : ndarray, shape (T,)
        A time label per value.
    source : str
        How to name the series in error messages.
    window : int
        Past values per input (default 12).
    horizon : int
        Future values per target (default 1: predict the next value).
    sequence : bool
        False: inputs ``(n, window)`` for a multilayer perceptron. True:
        ``(n, window, 1)`` sequences for a recurrent network.
    val_fraction, test_fraction : float
        Shares of the windows in the validation and test stretches
        (default 0.15 each; training gets the rest).
    dtype : float32 or float64
        Dtype of the inputs and scaled targets.
    n_missing_filled, n_missing_dropped : int
        Counts from the missing-value policy, passed through to the result.
    description : str
        One line for the result.
    """
    window = check_int("window", window, 1)
    horizon = check_int("horizon", horizon, 1)
    val_fraction = check_fraction("val_fraction", val_fraction)
    test_fraction = check_fraction("test_fraction", test_fraction)
    if val_fraction + test_fraction >= 1.0:
        raise ValueError(
            "val_fraction + test_fraction must be below 1, got "
            f"{val_fraction} + {test_fraction}"
        )
    if not isinstance(sequence, bool):
        raise ValueError(f"sequence must be True or False, got {sequence!r}")
    out_dtype = check_dtype(dtype)
    values = np.asarray(values, dtype=np.float64)
    if not np.isfinite(values).all():
        raise ValueError(f"{source} has missing or infinite values")

    starts = window_starts(len(values), window, horizon, val_fraction, test_fraction)
    if starts is None:
        need = min_length(window, horizon, val_fraction, test_fraction)
        raise ValueError(
            f"{source} has {len(values)} values, too short for window={window} "
            f"and horizon={horizon}: at least {need} are needed"
        )
    train, val, test = starts

    # Standardize with the values the training windows cover, nothing later.
    first_val_target = int(val[0]) + window
    fit = values[:first_val_target]
    mean = float(fit.mean())
    scale = float(fit.std())
    if scale == 0.0:
        raise ValueError(
            f"{source} is constant ({float(fit[0]):g}) over its training part "
            f"(the first {first_val_target} values); there is nothing to predict"
        )
    info = SeriesInfo(
        values=values,
        times=np.asarray(times),
        window=window,
        horizon=horizon,
        train_starts=train,
        val_starts=val,
        test_starts=test,
    )

    def part(which: str) -> tuple[NDArray, NDArray]:
        inputs, targets = info.windows(which)
        X = ((inputs - mean) / scale).astype(out_dtype)
        if sequence:
            X = X[:, :, None]  # (n, window, 1)
        return X, ((targets - mean) / scale).astype(out_dtype)

    X_train, y_train = part("train")
    X_val, y_val = part("val")
    X_test, y_test = part("test")
    return TaskData(
        name=name,
        kind="regression",
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        X_test=X_test,
        y_test=y_test,
        n_features=1 if sequence else window,
        n_outputs=horizon,
        feature_names=("value",)
        if sequence
        else tuple(f"t-{window - k}" for k in range(window)),
        target_mean=mean,
        target_scale=scale,
        y_test_original=info.windows("test")[1],
        n_missing_filled=n_missing_filled,
        n_missing_dropped=n_missing_dropped,
        series=info,
        description=description,
    )
