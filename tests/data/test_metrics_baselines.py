"""rmse, mae and the baselines against hand-worked and independent computations."""

import numpy as np
import pytest

from adamlab.data import baselines, linear_ar_forecast, mae, persistence_forecast, rmse
from adamlab.data.series import build_series_task


def test_rmse_and_mae_by_hand():
    pred, true = [1.0, 2.0, 3.0], [1.0, 4.0, 0.0]
    assert rmse(pred, true) == pytest.approx(np.sqrt(13 / 3), rel=1e-15)
    assert mae(pred, true) == pytest.approx(5 / 3, rel=1e-15)


def test_metrics_refuse_mismatched_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(2,\)"):
        rmse([1, 2, 3], [1, 2])


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


def test_persistence_by_hand():
    values = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4]
    task = _task(values, window=3)
    # 17 windows: 11 train, 3 val, 3 test with targets at positions 17, 18, 19.
    assert task.series.test_starts.tolist() == [14, 15, 16]
    pred = persistence_forecast(task)
    np.testing.assert_array_equal(pred[:, 0], [values[16], values[17], values[18]])
    diffs = np.array([3 - 2, 8 - 3, 4 - 8], dtype=float)
    result = baselines(task)["persistence"]
    assert result["test_rmse"] == pytest.approx(np.sqrt(np.mean(diffs**2)), rel=1e-14)
    assert result["test_mae"] == pytest.approx(np.mean(np.abs(diffs)), rel=1e-14)


def test_persistence_repeats_the_last_value_over_the_horizon():
    task = _task(np.arange(40.0) ** 1.5, window=4, horizon=3)
    pred = persistence_forecast(task)
    last = task.series.values[task.series.test_starts + 3]
    np.testing.assert_array_equal(pred, np.repeat(last[:, None], 3, axis=1))


def test_linear_ar_recovers_an_exact_ar2_process():
    # y_t = 2 + 0.5 y_{t-1} - 0.3 y_{t-2}, started off equilibrium, no noise.
    y = [1.0, 7.0]
    for _ in range(60):
        y.append(2 + 0.5 * y[-1] - 0.3 * y[-2])
    y = np.array(y) + 1e-3 * np.sin(np.arange(62))  # keep the design full rank
    task = _task(y, window=2)
    truth = task.y_test_original[:, 0]
    pred = linear_ar_forecast(task)[:, 0]
    # Independent: solve the normal equations on the training windows.
    starts = task.series.train_starts
    A = np.column_stack([np.ones(len(starts)), y[starts], y[starts + 1]])
    coef = np.linalg.solve(A.T @ A, A.T @ y[starts + 2])
    t = task.series.test_starts
    expected = coef[0] + coef[1] * y[t] + coef[2] * y[t + 1]
    np.testing.assert_allclose(pred, expected, rtol=1e-9)
    assert rmse(pred, truth) < 1e-2


def test_linear_ar_matches_statsmodels_autoreg_on_noise():
    from statsmodels.tsa.ar_model import AutoReg

    rng = np.random.default_rng(0)
    y = np.cumsum(rng.normal(size=120)) + rng.normal(size=120)
    window = 5
    task = _task(y, window=window)
    first_val_target = int(task.series.val_starts[0]) + window
    fit = AutoReg(y[:first_val_target], lags=window, trend="c").fit()
    # params: const, then lag 1 (most recent) ... lag `window`.
    c, lags = fit.params[0], fit.params[1:]
    t = task.series.test_starts
    expected = c + sum(lags[k] * y[t + window - 1 - k] for k in range(window))
    np.testing.assert_allclose(linear_ar_forecast(task)[:, 0], expected, rtol=1e-9)
    result = baselines(task)["linear_ar"]
    truth = y[t + window]
    assert result["test_rmse"] == pytest.approx(
        np.sqrt(np.mean((expected - truth) ** 2)), rel=1e-9
    )


def test_baselines_are_in_original_units_whatever_the_dtype():
    y = 1000.0 + 50.0 * np.sin(np.arange(80) / 3.0)
    a = baselines(_task(y, window=6, dtype=np.float32))
    b = baselines(_task(y, window=6, dtype=np.float64))
    assert a == b
    assert a["persistence"]["test_mae"] > 1.0  # original units, not scaled


def test_baselines_refuse_a_table_task():
    from adamlab.data import load_task

    with pytest.raises(ValueError, match="baselines need a series task"):
        baselines(load_task("breast-cancer"))
