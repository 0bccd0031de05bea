"""Series preparation: windows, chronological split, no leakage, train-only scaling."""

import numpy as np
import pandas as pd
import pytest

from adamlab.data import load_task
from adamlab.data.series import apply_missing_policy, build_series_task


def _task(values, window, horizon=1, **kw):
    values = np.asarray(values, dtype=np.float64)
    return build_series_task(
        "hand",
        values,
        np.arange(len(values)),
        source="hand",
        window=window,
        horizon=horizon,
        **kw,
    )


def test_hand_worked_windows_and_split():
    # 20 values, window 3: 17 windows -> 11 train, 3 val, 3 test (15% rounds to 3).
    task = _task(np.arange(20.0), window=3)
    s = task.series
    assert s.train_starts.tolist() == list(range(11))
    assert s.val_starts.tolist() == [11, 12, 13]
    assert s.test_starts.tolist() == [14, 15, 16]
    inputs, targets = s.windows("train")
    np.testing.assert_array_equal(inputs[0], [0, 1, 2])
    np.testing.assert_array_equal(targets[:, 0], np.arange(3, 14))
    np.testing.assert_array_equal(task.y_test_original[:, 0], [17, 18, 19])
    np.testing.assert_array_equal(s.windows("val")[1][:, 0], [14, 15, 16])

    # Scaling fitted on values 0..13 only: mean 6.5, std sqrt((14^2 - 1) / 12).
    assert task.target_mean == pytest.approx(6.5, rel=1e-15)
    assert task.target_scale == pytest.approx(np.sqrt(195 / 12), rel=1e-15)
    np.testing.assert_allclose(
        task.X_train[0], (np.array([0, 1, 2]) - 6.5) / np.sqrt(195 / 12)
    )
    np.testing.assert_allclose(task.to_original_units(task.y_test), [[17], [18], [19]])
    assert task.feature_names == ("t-3", "t-2", "t-1")
    assert (task.n_features, task.n_outputs) == (3, 1)


def test_horizon_drops_windows_that_straddle_a_boundary():
    # 20 values, window 3, horizon 2: 16 windows; 12 / 2 / 2 before dropping.
    task = _task(np.arange(20.0), window=3, horizon=2)
    s = task.series
    assert s.train_starts.tolist() == list(range(11))  # start 11 would reach 15
    assert s.val_starts.tolist() == [12]  # start 13 would reach 17
    assert s.test_starts.tolist() == [14, 15]
    np.testing.assert_array_equal(task.y_test_original, [[17, 18], [18, 19]])
    assert task.y_train.shape == (11, 2) and task.n_outputs == 2
    assert task.target_mean == pytest.approx(np.arange(15.0).mean())


@pytest.mark.parametrize("horizon", [1, 3])
def test_no_leakage_and_chronological_order(horizon):
    task = load_task("sunspots", window=10, horizon=horizon)
    s = task.series
    last_train = s.train_starts.max() + s.window + s.horizon - 1
    first_val_target = s.val_starts.min() + s.window
    last_val = s.val_starts.max() + s.window + s.horizon - 1
    first_test_target = s.test_starts.min() + s.window
    assert last_train < first_val_target
    assert last_val < first_test_target
    for part in ("train", "val", "test"):
        assert np.all(np.diff(s.target_times(part)) > 0)
    assert s.target_times("train")[-1] < s.target_times("val")[0]
    assert s.target_times("val")[-1] < s.target_times("test")[0]
    # Scaling uses the values before the first validation target, nothing later.
    fit = s.values[:first_val_target]
    assert task.target_mean == pytest.approx(fit.mean(), rel=1e-12)
    assert task.target_scale == pytest.approx(fit.std(), rel=1e-12)


def test_sunspots_defaults_match_statsmodels():
    from statsmodels.datasets import sunspots

    raw = sunspots.load_pandas().data
    task = load_task("sunspots")
    np.testing.assert_array_equal(task.series.values, raw["SUNACTIVITY"].to_numpy())
    assert task.series.window == 12
    assert (task.n_train, task.n_val, task.n_test) == (207, 45, 45)
    assert task.series.target_times("test")[-1] == 2008.0
    np.testing.assert_allclose(
        task.to_original_units(task.y_test), task.y_test_original, rtol=1e-12
    )


def test_sequence_shape_and_dtype():
    task = load_task("sunspots", sequence=True, dtype="float32")
    assert task.X_train.shape == (207, 12, 1) and task.X_train.dtype == np.float32
    assert task.y_train.shape == (207, 1) and task.y_train.dtype == np.float32
    assert task.n_features == 1
    flat = load_task("sunspots", dtype="float32")
    np.testing.assert_array_equal(task.X_val[:, :, 0], flat.X_val)


def test_series_too_short():
    with pytest.raises(ValueError, match=r"has 10 values, too short for window=12 "):
        _task(np.arange(10.0), window=12)
    with pytest.raises(ValueError, match=r"at least \d+ are needed"):
        _task(np.arange(15.0), window=12)


def test_constant_series_is_refused():
    values = np.r_[np.full(30, 5.0), np.arange(10.0)]
    with pytest.raises(ValueError, match="constant .* over its training part"):
        _task(values, window=4)


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("window", 0, "window must be an integer >= 1, got 0"),
        ("horizon", 1.5, "horizon must be an integer >= 1, got 1.5"),
        ("val_fraction", 1.2, r"val_fraction must be a number in \(0, 1\), got 1.2"),
        ("sequence", "yes", "sequence must be True or False, got 'yes'"),
    ],
)
def test_bad_series_options(option, value, message):
    with pytest.raises(ValueError, match=message):
        load_task("sunspots", **{option: value})


def test_missing_interpolate_is_linear_in_time():
    times = np.array([0.0, 1.0, 4.0, 5.0, 6.0, 7.0])
    values = np.array([np.nan, 0.0, np.nan, 8.0, np.nan, np.nan])
    out, t, filled, dropped = apply_missing_policy(values, times, "interpolate", "s")
    # 4 is 3/4 of the way from time 1 to time 5: 0 + 0.75 * 8 = 6.
    np.testing.assert_array_equal(out, [0.0, 6.0, 8.0])
    np.testing.assert_array_equal(t, [1.0, 4.0, 5.0])
    assert (filled, dropped) == (1, 3)  # the unobserved ends are trimmed


def test_missing_drop_and_error():
    values = np.array([1.0, np.nan, 3.0, np.nan])
    out, t, filled, dropped = apply_missing_policy(values, np.arange(4), "drop", "s")
    np.testing.assert_array_equal(out, [1.0, 3.0])
    np.testing.assert_array_equal(t, [0, 2])
    assert (filled, dropped) == (0, 2)
    with pytest.raises(
        ValueError, match=r"s has 2 missing values \(first at 1\); choose a policy"
    ):
        apply_missing_policy(values, np.arange(4), "error", "s")
    with pytest.raises(ValueError, match="missing must be one of"):
        apply_missing_policy(values, np.arange(4), "zero", "s")


@pytest.fixture(scope="module")
def co2_weekly():
    from statsmodels.datasets import co2

    return co2.load_pandas().data["co2"]


def test_co2_interpolates_then_takes_monthly_means(co2_weekly):
    task = load_task("co2")
    assert task.n_missing_filled == int(co2_weekly.isna().sum()) == 59
    assert task.n_missing_dropped == 0
    # Independent: pandas' time interpolation, then calendar-month means.
    expected = co2_weekly.interpolate(method="time").resample("MS").mean()
    np.testing.assert_allclose(task.series.values, expected.to_numpy(), rtol=1e-12)
    assert task.series.times[0] == np.datetime64("1958-03-01")
    assert len(task.series.values) == 526


def test_co2_error_policy_names_the_count_and_the_options():
    with pytest.raises(ValueError, match=r"co2 \(weekly\) has 59 missing values.*"):
        load_task("co2", missing="error")
    with pytest.raises(ValueError, match="missing='interpolate'"):
        load_task("co2", missing="error")


def test_co2_weekly_and_drop(co2_weekly):
    weekly = load_task("co2", resample="weekly")
    assert len(weekly.series.values) == len(co2_weekly)
    dropped = load_task("co2", resample="weekly", missing="drop")
    assert dropped.n_missing_dropped == 59
    np.testing.assert_array_equal(dropped.series.values, co2_weekly.dropna())
    monthly = load_task("co2", missing="drop")
    expected = co2_weekly.resample("MS").mean().dropna()
    np.testing.assert_allclose(monthly.series.values, expected.to_numpy())
    assert monthly.n_missing_dropped == 59 + 5
    assert pd.Timestamp(monthly.series.times[-1]) == pd.Timestamp("2001-12-01")


def _first_fit_by_scan(window, horizon, val_fraction, test_fraction):
    """The shortest series window_starts accepts, trying every length from 1."""
    from adamlab.data.series import window_starts

    length = 1
    while window_starts(length, window, horizon, val_fraction, test_fraction) is None:
        length += 1
    return length


def _first_fit_vectorized(window, horizon, val_fraction, test_fraction, up_to):
    """The same from the module's rules, for every window count at once."""
    n = np.arange(1, up_to + 1, dtype=np.int64)
    n_test = np.rint(test_fraction * n)  # round half to even, like round()
    n_val = np.rint(val_fraction * n)
    n_train = n - n_val - n_test
    ok = (n_train - horizon + 1 >= 2) & (n_val - horizon + 1 >= 1) & (n_test >= 1)
    return int(n[np.argmax(ok)]) + window + horizon - 1


@pytest.mark.parametrize(
    "fractions", [(0.15, 0.15), (0.1, 0.3), (0.25, 0.25), (0.05, 0.02), (0.45, 0.5)]
)
def test_min_length_matches_a_brute_force_search(fractions):
    from adamlab.data.series import min_length

    val_fraction, test_fraction = fractions
    for window in (1, 3, 12):
        for horizon in range(1, 40):
            expected = _first_fit_by_scan(window, horizon, *fractions)
            assert min_length(window, horizon, *fractions) == expected, (
                window,
                horizon,
            )


def test_min_length_of_a_huge_horizon_is_immediate():
    import time

    from adamlab.data.series import min_length, window_starts

    start = time.perf_counter()
    need = min_length(12, 100_000, 0.15, 0.15)
    assert time.perf_counter() - start < 0.5  # the one-at-a-time search took 46 s
    assert need == _first_fit_vectorized(12, 100_000, 0.15, 0.15, up_to=10**6)
    assert need == 766675  # the figure the old search printed
    assert window_starts(need - 1, 12, 100_000, 0.15, 0.15) is None
    with pytest.raises(ValueError, match=r"horizon=100000: at least 766675 are"):
        load_task("sunspots", horizon=100_000)
