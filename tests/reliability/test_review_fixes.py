"""Fixes from a fresh user's review: missing values in CSV tables, model
files used from another folder, checkpoint folders of another run, resuming
with fewer epochs, and evaluating with another split seed."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest


def table_csv(path, gap_row=None):
    """A two-class table of 40 rows; data row ``gap_row`` (1-based) has a gap."""
    rng = np.random.default_rng(0)
    lines = ["a,b,label"]
    for i in range(40):
        a, b = rng.normal(size=2)
        cell = "" if gap_row == i + 1 else f"{a:.4f}"
        lines.append(f"{cell},{b:.4f},{'yes' if a + b > 0 else 'no'}")
    path.write_text("\n".join(lines) + "\n")
    return path


def series_csv(path, gap_row=None, n=80):
    """A one-column series of ``n`` rows; data row ``gap_row`` is blank."""
    values = np.sin(np.arange(n) / 5.0) * 10 + 20
    lines = ["y"] + [
        "" if gap_row == i + 1 else f"{v:.4f}" for i, v in enumerate(values)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_table_missing_drop_through_the_command_line(tmp_path, cli):
    path = table_csv(tmp_path / "t.csv", gap_row=7)
    base = ("train", "--csv", path, "--target", "label", "--hidden", "4")
    status, _, err = cli(*base, "--epochs", "1", "--quiet")
    assert status == 2 and "Traceback" not in err
    assert "1 rows with missing values (first at row 7, column 'a')" in err
    assert "use --missing drop (missing='drop' in Python)" in err
    status, _, err = cli(*base, "--epochs", "1", "--quiet", "--missing", "drop")
    assert status == 0, err


def test_blank_line_in_a_one_column_series_is_missing(tmp_path):
    from adamlab.data import load_csv_series

    path = series_csv(tmp_path / "s.csv", gap_row=50)
    with pytest.raises(ValueError) as info:
        load_csv_series(path, "y")
    message = str(info.value)
    assert "1 missing values (first at row 50)" in message
    assert "--missing interpolate" in message
    assert "missing='interpolate'" in message
    task = load_csv_series(path, "y", missing="drop")
    assert task.n_missing_dropped == 1 and len(task.series.values) == 79
    task = load_csv_series(path, "y", missing="interpolate")
    assert task.n_missing_filled == 1
    # Blank lines at the end of the file are not values.
    path.write_text(path.read_text() + "\n\n")
    assert load_csv_series(path, "y", missing="drop").n_missing_dropped == 1


def test_series_row_numbers_match_table_row_numbers(tmp_path):
    from adamlab.data import load_csv_series

    path = tmp_path / "d.csv"
    dates = [f"2000-01-{d:02d}" for d in range(1, 31)] + [
        f"2000-02-{d:02d}" for d in range(1, 29)
    ]
    rows = [f"{d},{'' if i == 9 else i}" for i, d in enumerate(dates)]
    path.write_text("date,y\n" + "\n".join(reversed(rows)) + "\n")
    # Reversed: the gap (10th date) is data row 58 - 9 = 49 of the file.
    with pytest.raises(ValueError, match=r"first at row 49\)"):
        load_csv_series(path, "y", date_column="date")


def test_co2_message_names_both_spellings():
    from adamlab.data import load_co2

    with pytest.raises(ValueError, match="--missing interpolate.*in Python"):
        load_co2(missing="error")


def test_evaluate_from_another_folder_and_with_a_new_csv(tmp_path, cli):
    path = table_csv(tmp_path / "t.csv")
    model = tmp_path / "m.npz"
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        status, _, err = cli(
            "train", "--csv", "t.csv", "--target", "label", "--hidden", "4",
            "--epochs", "2", "--quiet", "--save-model", model,
        )  # fmt: skip
        assert status == 0, err
    finally:
        os.chdir(here)
    from adamlab.train import read_model_file

    assert read_model_file(model).config["csv"] == str(path.resolve())
    elsewhere = tmp_path / "other"
    elsewhere.mkdir()
    os.chdir(elsewhere)
    try:
        status, out, err = cli("evaluate", model, "--json", "e.json")
        assert status == 0, err
        first = json.loads((elsewhere / "e.json").read_text())
        # A new file: the saved --target is reused.
        table_csv(elsewhere / "new.csv")
        status, out, err = cli("evaluate", model, "--csv", "new.csv")
        assert status == 0, err
        assert f"test_accuracy {first['test_accuracy']:.4f}" in out
    finally:
        os.chdir(here)


def test_evaluate_refuses_another_split_seed(tmp_path, cli):
    model = tmp_path / "m.npz"
    status, _, err = cli(
        "train", "--task", "breast-cancer", "--hidden", "4", "--epochs", "1",
        "--quiet", "--save-model", model,
    )  # fmt: skip
    assert status == 0, err
    status, _, err = cli("evaluate", model, "--split-seed", "3")
    assert status == 2 and "Traceback" not in err
    assert "trained with split seed 0" in err and "overlap" in err
    status, _, err = cli("evaluate", model, "--split-seed", "0")
    assert status == 0, err


def ckpt_args(folder, *more):
    return (
        "train", "--task", "breast-cancer", "--hidden", "4", "--quiet",
        "--checkpoint-dir", folder, *more,
    )  # fmt: skip


def test_fresh_run_refuses_a_folder_of_another_run(tmp_path, cli):
    from adamlab.train.checkpoint import checkpoint_files

    folder = tmp_path / "ck"
    status, _, err = cli(*ckpt_args(folder, "--epochs", "2"))
    assert status == 0, err
    before = checkpoint_files(folder)
    status, _, err = cli(*ckpt_args(folder, "--epochs", "2", "--seed", "5"))
    assert status == 2 and "Traceback" not in err
    assert f"{folder} holds checkpoints of another run (" in err
    assert "seed=0" in err and "use --resume to continue it" in err
    # The same run again without --resume: refused too, suggesting --resume.
    status, _, err = cli(*ckpt_args(folder, "--epochs", "2"))
    assert status == 2 and "holds checkpoints of this run" in err
    assert "--resume" in err
    assert checkpoint_files(folder) == before
    status, _, err = cli(*ckpt_args(folder, "--epochs", "3", "--resume"))
    assert status == 0, err


def test_resume_with_fewer_epochs_is_refused(tmp_path, cli):
    folder = tmp_path / "ck"
    status, _, err = cli(*ckpt_args(folder, "--epochs", "2"))
    assert status == 0, err
    status, _, err = cli(*ckpt_args(folder, "--epochs", "1", "--resume"))
    assert status == 2 and "Traceback" not in err
    assert "has done 2 epochs, more than the 1 asked" in err


def test_pruning_spares_files_of_another_run(tmp_path):
    from adamlab.train import Checkpoint, RunConfig, build
    from adamlab.train.checkpoint import checkpoint_files

    cfg = RunConfig(task="breast-cancer", hidden=(4,), epochs=1)
    build(cfg, callbacks=(Checkpoint(tmp_path, cfg),)).fit()
    foreign = checkpoint_files(tmp_path)
    mine = Checkpoint(tmp_path, cfg, keep=1)
    trainer = build(cfg, callbacks=(mine,))
    for epoch in (7, 8, 9):
        mine.save(trainer, epoch, 0)
    assert checkpoint_files(tmp_path) == [*foreign, mine.path_for(9, 0)]
