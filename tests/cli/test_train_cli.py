"""``adamlab train`` on a user's table, and the resolved defaults in --json."""

import json
import re

import pytest

from adamlab.cli.main import main


def table_csv(path, n=60):
    rows = ["a,b,kind"]
    for i in range(n):
        a = (i * 37) % 11 - 5
        b = (i * 13) % 7 - 3
        rows.append(f"{a},{b},{'high' if a + 0.5 * b > 0 else 'low'}")
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv_target_trains_the_mlp(tmp_path, capsys):
    data = table_csv(tmp_path / "table.csv")
    out_path = tmp_path / "run.json"
    status = main(
        ["train", "--csv", str(data), "--target", "kind", "--epochs", "3"]
        + ["--hidden", "8", "--quiet", "--json", str(out_path)]
    )
    captured = capsys.readouterr()
    assert status == 0, captured.err
    result = json.loads(out_path.read_text())
    assert result["model"] == "mlp"
    assert 0.0 <= result["test_accuracy"] <= 1.0
    assert "baselines" not in result and "test_rmse" not in result
    assert len(result["history"]) == 3
    assert "test_accuracy" in captured.out
    assert "persistence" not in captured.out


def test_json_config_holds_every_resolved_default(tmp_path, capsys):
    data = table_csv(tmp_path / "table.csv")
    out_path = tmp_path / "run.json"
    status = main(
        ["train", "--csv", str(data), "--target", "kind", "--epochs", "1"]
        + ["--quiet", "--json", str(out_path)]
    )
    assert status == 0, capsys.readouterr().err
    config = json.loads(out_path.read_text())["config"]
    from adamlab.train.defaults import DEFAULTS

    table = DEFAULTS[("table", "mlp")]
    assert config["hidden"] == list(table.hidden)
    assert config["batch_size"] == table.batch_size
    assert config["epochs"] == 1
    assert config["horizon"] == 1
    assert None not in (config["hidden"], config["batch_size"], config["epochs"])


def test_help_lists_the_series_options(capsys):
    try:
        main(["train", "--help"])
    except SystemExit as stop:
        assert stop.code == 0
    out = capsys.readouterr().out
    for flag in ("--horizon", "--plot", "--window", "--column", "--target"):
        assert flag in out


def run_cli(argv):
    """Exit status of ``adamlab`` (argparse's own errors exit by SystemExit)."""
    try:
        return main(argv)
    except SystemExit as stop:
        return stop.code


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--hidden", "100000000000", "--epochs", "1"], "out of memory"),
        (["--accumulate", "40"], r"accumulate=40 exceeds the 34 batches of an epoch"),
        (["--json", "."], r"--json '\.': expected a file path, got a folder"),
        (["--target", "x"], r"--target applies to your own CSV file: add --csv"),
        (["--truncate", "3"], r"--truncate applies to recurrent models"),
        (["--split-seed", "99999999999999999999"], r"in \[0, 2\*\*32\)"),
        (["--seed", "-1"], r"in \[0, 2\*\*32\)"),
    ],
)
def test_more_bad_train_inputs(capsys, argv, message):
    code = run_cli(["train", *argv])
    err = capsys.readouterr().err
    assert code == 2
    assert re.search(message, err), err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_diverged_run_says_so(capsys):
    argv = ["train", "--lr", "1e308", "--epochs", "1", "--hidden", "8", "--quiet"]
    code = run_cli(argv)
    err = capsys.readouterr().err
    assert code == 0
    assert "no epoch had a finite validation loss" in err
