"""``adamlab train`` on series: bad inputs, a CSV series, --json, --plot, --horizon.

Runs in process through ``adamlab.cli.main.main``; every bad input must end
with one line on stderr naming the problem, exit status 2 and no traceback.
"""

import json
import math

import numpy as np
import pytest

from adamlab.cli.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def series_values(n=60):
    t = np.arange(n)
    noise = np.random.default_rng(0).standard_normal(n)
    return 20.0 + 10.0 * np.sin(t / 4.0) + noise


@pytest.fixture
def files(tmp_path):
    values = series_values()
    days = np.datetime64("2001-01-01") + np.arange(len(values))
    (tmp_path / "series.csv").write_text(
        "day,value,note\n"
        + "".join(f"{d},{x:.4f},a\n" for d, x in zip(days, values, strict=True))
    )
    (tmp_path / "short.csv").write_text(
        "value\n" + "".join(f"{x}\n" for x in range(10))
    )
    (tmp_path / "gap.csv").write_text(
        "day,value\n"
        + "".join(
            f"{i},\n" if i == 20 else f"{i},{x:.3f}\n" for i, x in enumerate(values)
        )
    )
    (tmp_path / "words.csv").write_text(
        "value\n"
        + "".join("abc\n" if i == 7 else f"{x:.3f}\n" for i, x in enumerate(values))
    )
    rows = ["a,b,label"] + [f"{i},{(i * 7) % 5},cat" for i in range(40)]
    (tmp_path / "oneclass.csv").write_text("\n".join(rows) + "\n")
    return tmp_path


def run_cli(capsys, *argv):
    status = main(["train", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["--csv", "{d}/nope.csv", "--column", "value"],
            r"CSV file not found: .*nope\.csv",
        ),
        (
            ["--csv", "{d}/series.csv", "--column", "price"],
            r"column 'price' not found in .*series\.csv; available columns: "
            r"'day', 'value', 'note'",
        ),
        (
            ["--csv", "{d}/words.csv", "--column", "value"],
            r"column 'value' of .*words\.csv has a non-numeric value 'abc' at row 8",
        ),
        (
            ["--csv", "{d}/gap.csv", "--column", "value"],
            r"column 'value' of .*gap\.csv has 1 missing values \(first at row 21\); "
            r"choose a policy",
        ),
        (
            ["--csv", "{d}/short.csv", "--column", "value"],
            r"has 10 values, too short for window=12 and horizon=1: at least 16 "
            r"are needed",
        ),
        (
            ["--csv", "{d}/oneclass.csv", "--target", "label", "--model", "mlp"],
            r"target column 'label' of .*oneclass\.csv has a single class \('cat'\)",
        ),
        (
            ["--task", "digits", "--horizon", "3", "--model", "mlp"],
            r"--horizon 3 applies to series .* task 'digits' is a table",
        ),
        (
            ["--task", "digits", "--plot", "{d}/digits.png", "--model", "mlp"],
            r"--plot needs a series task .* 'digits' is a table",
        ),
        (
            ["--task", "sunspots", "--model", "rnn", "--plot", "{d}/no/dir/x.png"],
            r"--plot .*x\.png: the folder .*dir does not exist",
        ),
    ],
)
def test_bad_inputs_one_line_exit_2(files, capsys, argv, message):
    import re

    argv = [a.format(d=files) for a in argv]
    if "--model" not in argv:
        argv += ["--model", "rnn"]
    status, out, err = run_cli(capsys, *argv, "--epochs", "1", "--quiet")
    assert status == 2
    assert out == ""
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("adamlab train: error: ")
    assert re.search(message, lines[0]), lines[0]


def test_missing_policy_lets_the_gap_through(files, capsys):
    status, out, err = run_cli(
        capsys,
        *["--csv", str(files / "gap.csv"), "--column", "value", "--model", "gru"],
        *["--missing", "interpolate", "--epochs", "1", "--hidden", "3", "--quiet"],
    )
    assert status == 0, err
    assert "test_rmse" in out


def test_csv_series_rnn_json_and_plot(files, capsys):
    result_path = files / "run.json"
    plot_path = files / "forecast.png"
    status, out, err = run_cli(
        capsys,
        *["--csv", str(files / "series.csv"), "--column", "value"],
        *["--date-column", "day", "--model", "rnn", "--hidden", "4"],
        *["--epochs", "2", "--batch-size", "8", "--window", "6", "--quiet"],
        *["--json", str(result_path), "--plot", str(plot_path)],
    )
    assert status == 0, err
    result = json.loads(result_path.read_text())
    assert result["task"] == f"csv:{files / 'series.csv'}"
    assert result["model"] == "rnn"
    assert len(result["history"]) == 2
    for key in ("test_rmse", "test_mae"):
        assert math.isfinite(result[key]) and result[key] > 0
    assert set(result["baselines"]) == {"persistence", "linear_ar"}

    # The persistence baseline restated by hand on the test part: windows of 6,
    # 60 values -> 54 windows; 70/15/15 by time -> the last 8 are the test part.
    values = np.array([float(f"{x:.4f}") for x in series_values()])
    targets = values[6:][-8:]
    last = values[5:-1][-8:]
    expected = float(np.sqrt(np.mean((targets - last) ** 2)))
    assert result["baselines"]["persistence"]["test_rmse"] == pytest.approx(
        expected, rel=1e-12
    )

    # Every option is in the config, the ones given and the defaults resolved.
    config = result["config"]
    assert config["window"] == 6 and config["horizon"] == 1
    assert config["hidden"] == [4] and config["epochs"] == 2
    assert config["batch_size"] == 8 and config["column"] == "value"

    # The terminal shows the network beside both baselines.
    table = out.splitlines()[1:]
    assert [line.split()[0] for line in table] == [
        "test",
        "rnn",
        "persistence",
        "linear_ar",
    ]
    assert f"{result['baselines']['linear_ar']['test_rmse']:.4f}" in out

    data = plot_path.read_bytes()
    assert data.startswith(PNG_SIGNATURE)
    assert len(data) > 10_000
    assert not list(files.glob(".forecast.png.*"))  # no temporary file left


def test_horizon_forecasts_several_steps(files, capsys):
    result_path = files / "h3.json"
    plot_path = files / "h3.png"
    status, _, err = run_cli(
        capsys,
        *["--csv", str(files / "series.csv"), "--column", "value", "--model"],
        *["lstm", "--hidden", "3", "--epochs", "1", "--window", "5"],
        *["--horizon", "3", "--quiet", "--json", str(result_path)],
        *["--plot", str(plot_path)],
    )
    assert status == 0, err
    result = json.loads(result_path.read_text())
    assert result["config"]["horizon"] == 3
    # Persistence over three steps, restated: every step repeats the last input.
    values = np.array([float(f"{x:.4f}") for x in series_values()])
    n = 60 - 5 - 3 + 1
    n_test = round(0.15 * n)
    starts = np.arange(n - n_test, n)
    truth = values[starts[:, None] + 5 + np.arange(3)]
    last = values[starts + 4][:, None]
    expected = float(np.sqrt(np.mean((truth - last) ** 2)))
    assert result["baselines"]["persistence"]["test_rmse"] == pytest.approx(
        expected, rel=1e-12
    )
    assert plot_path.read_bytes().startswith(PNG_SIGNATURE)
