"""`adamlab compare` end to end on digits with tiny settings."""

import json
import re

import pytest

from adamlab.cli.main import main
from adamlab.track.records import read_csv

TINY = ["--task", "digits", "--hidden", "8", "--batch-size", "128"]
# Valid values that fail at run time: the loss overflows in the first epoch.
BLOWS_UP = "adam:lr=1e300:nonfinite=raise"


@pytest.fixture(scope="module")
def compared(tmp_path_factory):
    out = tmp_path_factory.mktemp("cmp") / "report"
    argv = ["compare", *TINY, "--optimizers", "adam,adamw:lr=3e-3"]
    argv += ["--seeds", "2", "--epochs", "2", "--workers", "2", "--out", str(out)]
    return out, argv


def test_compare_writes_report_and_table(compared, capsys):
    out, argv = compared
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "adam" in printed and "adamw:lr=3e-3" in printed and "2/2" in printed
    html = (out / "report.html").read_text()
    assert html.count('src="data:image/png;base64,') == 4
    runs = read_csv(out / "runs.csv")
    assert [(r["optimizer"], r["seed"]) for r in runs] == [
        ("adam", 0),
        ("adam", 1),
        ("adamw:lr=3e-3", 0),
        ("adamw:lr=3e-3", 1),
    ]
    assert all(r["status"] == "ok" and 0 < r["test_accuracy"] <= 1 for r in runs)
    # The same split for every run, the seed and the override applied.
    saved = json.loads((out / "runs" / "01_adamw_lr=3e-3_seed1.json").read_text())
    config = saved["result"]["config"]
    assert config["seed"] == 1 and config["split_seed"] == 0
    assert config["hyperparameters"] == {"lr": 3e-3}
    assert saved["records"][0]["step"] == 1
    assert len(read_csv(out / "records.csv")) > 4


def test_existing_report_is_kept_without_overwrite(compared, capsys):
    out, argv = compared
    before = (out / "report.html").read_bytes()
    assert main(argv) == 2
    assert "pass --overwrite" in capsys.readouterr().err
    assert (out / "report.html").read_bytes() == before


def test_failed_run_is_reported_and_others_finish(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["compare", *TINY, "--optimizers", f"{BLOWS_UP},amsgrad", "--seeds", "1"]
    argv += ["--epochs", "1", "--workers", "1", "--out", str(out)]
    assert main(argv) == 1
    captured = capsys.readouterr()
    assert f"{BLOWS_UP}: NonFiniteLossError: batch loss is nan" in captured.out
    assert "1 of 2 runs failed" in captured.err
    runs = read_csv(out / "runs.csv")
    assert runs[0]["status"] == "failed" and runs[1]["status"] == "ok"
    html = (out / "report.html").read_text()
    assert re.search(r'<table id="failures">.*NonFiniteLossError', html, re.S)


@pytest.mark.parametrize(
    ("optimizers", "message"),
    [
        ("adam:lr", "override 'lr' of 'adam' must be key=value"),
        ("adam,sgd", "unknown optimizer 'sgd'"),
        ("adam:momentum=0.9", "optimizer 'adam' .* does not take momentum"),
    ],
)
def test_override_errors_exit_2(tmp_path, capsys, optimizers, message):
    argv = ["compare", "--optimizers", optimizers, "--out", str(tmp_path / "x")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert re.search(f"adamlab compare: error: {message}", err)
    assert not (tmp_path / "x" / "report.html").exists()


def test_flag_for_an_optimizer_that_does_not_take_it(tmp_path, capsys):
    argv = ["compare", "--optimizers", "adam,adabound", "--final-lr", "0.1"]
    assert main([*argv, "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--final-lr does not apply to optimizer 'adam'" in err
    # The hint names an optimizer that takes it.
    assert "as in adabound:final_lr=..." in err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--task", "nope"], "unknown task 'nope'; valid tasks: digits"),
        (["--csv", "missing.csv", "--target", "y"], "CSV file not found: missing.csv"),
        (
            ["--optimizers", "adafactor", "--lr-schedule", "cosine"],
            "optimizer 'adafactor': an lr schedule needs a number for lr",
        ),
    ],
)
def test_a_run_that_cannot_be_built_is_refused_before_any_runs(
    tmp_path, capsys, monkeypatch, extra, message
):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    argv = ["compare", "--optimizers", "adam", "--seeds", "1", "--epochs", "1"]
    argv += [*extra, "--out", str(out)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"adamlab compare: error: {message}" in err
    assert "[1/1]" not in err  # nothing ran
    assert not out.exists()


def test_an_out_where_nothing_can_be_made_is_refused_before_any_runs(capsys):
    # /proc takes no new folders whatever the permissions say (CI runs as root).
    argv = ["compare", "--optimizers", "adam", "--seeds", "1", "--epochs", "1"]
    assert main([*argv, "--out", "/proc/adamlab-report"]) == 2
    err = capsys.readouterr().err
    assert "adamlab compare: error: --out /proc/adamlab-report: cannot write" in err
    assert "[1/1]" not in err


@pytest.mark.parametrize(
    ("optimizers", "message"),
    [
        ("adam:lr=abc", "optimizer 'adam:lr=abc': lr must be a real number"),
        ("adam:lr=-1", "optimizer 'adam:lr=-1': lr must be a finite number >= 0"),
        ("adam:lr=nan", "optimizer 'adam:lr=nan': lr must not be NaN"),
        ("adam:betas=(0.9,1.5)", r"beta2 must be in \[0, 1\), got 1.5"),
        ("adam:betas=0.9", "optimizer 'adam:betas=0.9': betas must be a pair"),
        ("adam:eps_mode=nope", "eps_mode must be one of"),
        ("adabound:final_lr=-1", "optimizer 'adabound:final_lr=-1': final_lr must"),
        ("radam:rectify_threshold=2", "rectify_threshold must be >= 4"),
        ("ADAM", "unknown optimizer 'ADAM'; choose one of: .*adam"),
    ],
)
def test_bad_values_refused_before_running(tmp_path, capsys, optimizers, message):
    out = tmp_path / "x"
    argv = ["compare", *TINY, "--optimizers", f"amsgrad,{optimizers}", "--quiet"]
    assert main([*argv, "--epochs", "1", "--seeds", "1", "--out", str(out)]) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert re.fullmatch(f"adamlab compare: error: .*{message}.*", err)
    assert "Traceback" not in err and "\n" not in err and captured.out == ""
    assert not out.exists()


def test_global_flag_value_checked_per_optimizer(tmp_path, capsys):
    argv = ["compare", "--optimizers", "adam,amsgrad", "--eps", "-1"]
    code = main([*argv, "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "eps" in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


def test_usage_error_creates_no_folder(tmp_path, capsys):
    out = tmp_path / "x"
    argv = ["compare", "--csv", str(tmp_path / "t.csv"), "--out", str(out)]
    assert main(argv) == 2
    assert "needs --target" in capsys.readouterr().err
    assert not out.exists()


def test_quiet_still_names_failed_runs(tmp_path, capsys):
    out = tmp_path / "r"
    argv = ["compare", *TINY, "--optimizers", f"{BLOWS_UP},amsgrad", "--seeds", "1"]
    argv += ["--epochs", "1", "--workers", "1", "--quiet", "--out", str(out)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert f"{BLOWS_UP} seed 0: failed: NonFiniteLossError" in err
    assert "1 of 2 runs failed" in err and "amsgrad seed" not in err


def test_table_fits_80_columns_without_cutting_numbers():
    import math

    from rich.console import Console

    from adamlab.cli.compare_cmd import summary_table

    row = {
        "runs": 3,
        "failed": 0,
        "metric": "test_rmse",
        "test_rmse_mean": 12345.6789,
        "test_rmse_std": math.nan,
        "test_rmse_min": 0.8612,
        "test_rmse_max": 0.8799,
        "best_epoch_mean": 12.3,
        "seconds_per_epoch": 0.0071,
        "state_bytes": 123456789,
        "errors": [],
    }
    labels = ["adam", "adam:betas=(0.9,0.99):amsgrad=true:weight_decay=0.1"]
    console = Console(width=80, record=True)
    console.print(summary_table([{**row, "optimizer": x} for x in labels], width=80))
    text = console.export_text()
    assert "…" not in text
    assert "12345.7" in text and "0.8612" in text and "0.007" in text
    assert "117.7 MiB" in text and max(map(len, text.splitlines())) <= 80
