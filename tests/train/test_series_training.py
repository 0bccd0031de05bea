"""Series runs: defaults resolved per task and model, forecasts, the plot."""

import numpy as np
import pytest

from adamlab.data import baselines, load_task
from adamlab.track.prediction_plot import prediction_png, write_prediction_plot
from adamlab.train import RunConfig, build
from adamlab.train.defaults import DEFAULTS, SERIES_WINDOW, blas_threads, data_kind
from adamlab.train.experiment import forecasts_on_test

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("model", ["rnn", "lstm", "gru"])
def test_recurrent_series_defaults_fill_the_config(model):
    config = RunConfig(task="sunspots", model=model)
    table = DEFAULTS[("series", model)]
    assert config.hidden == table.hidden
    assert config.epochs == table.epochs
    assert config.batch_size == table.batch_size
    assert config.window == SERIES_WINDOW == 12
    assert config.hyperparameters == {"lr": table.lr}
    # The resolved values are what the result's config shows.
    shown = config.to_dict()
    assert shown["hidden"] == list(table.hidden)
    assert shown["hyperparameters"]["lr"] == table.lr
    assert RunConfig.from_dict(shown) == config


def test_table_defaults_keep_the_optimizers_lr():
    config = RunConfig(task="digits")
    table = DEFAULTS[("table", "mlp")]
    assert (config.hidden, config.epochs, config.batch_size) == (
        table.hidden,
        table.epochs,
        table.batch_size,
    )
    assert table.lr is None
    assert config.hyperparameters == {}
    assert config.window is None


def test_given_values_win_over_defaults():
    config = RunConfig(
        task="sunspots",
        model="gru",
        hidden=(7,),
        epochs=3,
        batch_size=5,
        window=4,
        hyperparameters={"lr": 0.5},
    )
    assert (config.hidden, config.epochs, config.batch_size, config.window) == (
        (7,),
        3,
        5,
        4,
    )
    assert config.hyperparameters == {"lr": 0.5}


def test_adafactor_keeps_its_own_lr():
    config = RunConfig(task="sunspots", model="lstm", optimizer="adafactor")
    assert "lr" not in config.hyperparameters


def test_data_kind():
    assert data_kind("sunspots", None, None) == "series"
    assert data_kind("co2", None, None) == "series"
    assert data_kind("digits", None, None) == "table"
    assert data_kind("breast-cancer", None, None) == "table"
    assert data_kind("digits", "a.csv", "label") == "table"
    assert data_kind("digits", "a.csv", None) == "series"


def test_horizon_is_checked():
    with pytest.raises(ValueError, match="horizon must be >= 1, got 0"):
        RunConfig(task="sunspots", horizon=0)
    with pytest.raises(TypeError, match="horizon must be an integer, got 1.5"):
        RunConfig(task="sunspots", horizon=1.5)


def test_forecasts_on_test_match_the_reported_errors():
    config = RunConfig(
        task="sunspots", model="gru", hidden=(3,), epochs=2, horizon=2, seed=1
    )
    trainer = build(config)
    result = trainer.fit()
    parts = forecasts_on_test(trainer, label="gru")
    task = load_task("sunspots", horizon=2)
    # Times: the year of each test window's first target; the series ends in
    # 2008, so the last one-step target of the last window is 2007.
    n_test = task.n_test
    assert parts["times"].shape == (n_test,)
    assert float(parts["times"][-1]) == 2007.0
    truth = parts["truth"]
    np.testing.assert_array_equal(truth, task.y_test_original)
    assert set(parts["forecasts"]) == {"gru", "persistence", "linear_ar"}
    err = parts["forecasts"]["gru"] - truth
    assert float(np.sqrt(np.mean(err**2))) == pytest.approx(
        result["test_rmse"], rel=1e-12
    )
    assert float(np.mean(np.abs(err))) == pytest.approx(result["test_mae"], rel=1e-12)
    expected = baselines(task)
    for name in ("persistence", "linear_ar"):
        err = parts["forecasts"][name] - truth
        assert float(np.sqrt(np.mean(err**2))) == pytest.approx(
            expected[name]["test_rmse"], rel=1e-12
        )
    # The tested weights are restored afterwards: the model is unchanged.
    before = trainer.model.param_buffer.copy()
    forecasts_on_test(trainer)
    np.testing.assert_array_equal(trainer.model.param_buffer, before)


def test_forecasts_need_a_series():
    trainer = build(RunConfig(task="breast-cancer", epochs=1))
    with pytest.raises(ValueError, match="plot need a series task"):
        forecasts_on_test(trainer)


def test_prediction_png(tmp_path):
    times = np.arange(1990.0, 2000.0)
    truth = np.linspace(0.0, 9.0, 10)
    data = prediction_png(
        times, truth[:, None], {"lstm": truth + 1, "linear_ar": truth - 1}
    )
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    dates = np.datetime64("2001-01") + np.arange(10)
    path = write_prediction_plot(tmp_path / "p.png", dates, truth, {"gru": truth})
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    with pytest.raises(ValueError, match="lstm has 9 values, the times 10"):
        prediction_png(times, truth, {"lstm": truth[1:]})
    with pytest.raises(ValueError, match=r"shape \(10, 2\); pass one forecast"):
        prediction_png(times, truth, {"lstm": np.zeros((10, 2))})
    with pytest.raises(ValueError, match="forecasts is empty"):
        prediction_png(times, truth, {})


def test_blas_threads_limits_small_models_only():
    from threadpoolctl import threadpool_info

    def blas_threads_now():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    before = blas_threads_now()
    with blas_threads(1000):
        assert blas_threads_now() == {1}
    assert blas_threads_now() == before
    with blas_threads(10**9):
        assert blas_threads_now() == before
