"""`adamlab compare`'s --out checks and summary table; `adamlab bench` with
nothing to measure."""

import io
import os

import pytest
from rich.console import Console

from adamlab.cli.compare_cmd import print_summary
from adamlab.cli.main import main

TINY = ["--task", "digits", "--hidden", "8", "--batch-size", "128", "--epochs", "1"]
ONE_RUN = [*TINY, "--optimizers", "adam", "--seeds", "1", "--workers", "1"]


def users_folder(folder):
    (folder / "runs").mkdir(parents=True)
    (folder / "records.csv").write_text("mine,1\n")
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "runs" / "mine.json").write_text("{}\n")


def test_own_files_are_refused_before_training(tmp_path, capsys):
    users_folder(tmp_path)
    assert main(["compare", *ONE_RUN, "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err == (
        f"adamlab compare: error: {tmp_path}/records.csv exists; pass --overwrite "
        "to replace it, or choose another --out\n"
    )
    assert sorted(os.listdir(tmp_path)) == ["notes.txt", "records.csv", "runs"]
    assert (tmp_path / "records.csv").read_text() == "mine,1\n"


def test_overwrite_replaces_only_compares_files(tmp_path, capsys):
    users_folder(tmp_path)
    argv = ["compare", *ONE_RUN, "--quiet", "--overwrite", "--out", str(tmp_path)]
    assert main(argv) == 0
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"
    assert (tmp_path / "runs" / "mine.json").read_text() == "{}\n"
    assert (tmp_path / "records.csv").read_text().startswith("optimizer,seed,")
    assert sorted(os.listdir(tmp_path / "runs")) == ["00_adam_seed0.json", "mine.json"]
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".")]


def test_empty_out_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["compare", *ONE_RUN, "--out", ""]) == 2
    assert capsys.readouterr().err == (
        "adamlab compare: error: --out must name a folder, got an empty path ''\n"
    )
    assert os.listdir(tmp_path) == []


def test_out_under_a_file_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "my.csv").write_text("a,b\n")
    assert main(["compare", *ONE_RUN, "--out", "my.csv/sub"]) == 2
    assert capsys.readouterr().err == (
        "adamlab compare: error: --out my.csv/sub is under my.csv, which exists "
        "and is not a folder\n"
    )
    assert os.listdir(tmp_path) == ["my.csv"]


ROW = {
    "runs": 2,
    "failed": 0,
    "metric": "test_accuracy",
    "test_accuracy_mean": 0.93456,
    "test_accuracy_std": 0.0123,
    "test_accuracy_min": 0.91,
    "test_accuracy_max": 0.95,
    "best_epoch_mean": 123.5,
    "seconds_per_epoch": 0.0123,
    "state_bytes": 206848,  # 202.0 KiB
    "errors": [],
}
LONG = "adam:betas=(0.9,0.99):amsgrad=true:weight_decay=0.1"


def printed(labels, **console_options):
    stream = io.StringIO()
    console = Console(file=stream, width=80, color_system=None, **console_options)
    print_summary(console, [{**ROW, "optimizer": label} for label in labels])
    return stream.getvalue().splitlines()


def test_table_is_never_cut_when_not_a_terminal():
    lines = printed(["adam:lr=1e308", LONG, "amsgrad"])
    for label in ("adam:lr=1e308", LONG, "amsgrad"):
        (line,) = [x for x in lines if x.startswith(label + " ")]
        assert "0.9346" in line and line.endswith(" 202.0 KiB")


def test_table_on_a_terminal_breaks_labels_between_overrides_only():
    lines = printed(["adam:lr=1e308", LONG], force_terminal=True)
    assert max(map(len, lines)) <= 80
    # A row's first line holds its label's first piece and the numbers; each
    # following line holding one word only continues the label.
    starts = [i for i, x in enumerate(lines) if x.startswith("adam:")]
    assert len(starts) == 2
    for label, start in zip(("adam:lr=1e308", LONG), starts, strict=True):
        assert lines[start].endswith(" 202.0 KiB")
        pieces = [lines[start].split()[0]]
        for line in lines[start + 1 :]:
            if len(line.split()) != 1:
                break
            pieces.append(line.strip())
        assert "".join(pieces) == label
        assert all(p.endswith(":") for p in pieces[:-1])


def test_bench_with_nothing_to_measure_is_refused(capsys):
    argv = ["bench", "--no-tensors", "--no-fixed-cost", "--no-digits"]
    assert main([*argv, "--sizes", "", "--float64-sizes", ""]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("adamlab bench: error: nothing to measure: ")
    assert captured.err.count("\n") == 1


def test_bench_json_destination_is_checked_before_timing(capsys, tmp_path):
    # A symlink that loops would only fail when the results are written,
    # after minutes of timing.
    loop = tmp_path / "loop.json"
    loop.symlink_to(loop)
    with pytest.raises(SystemExit) as stop:
        main(["bench", "--quick", "--json", str(loop)])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "Too many levels of symbolic links" in captured.err
    assert str(loop) in captured.err
