"""The report is written whole or not at all, and touches only its own files."""

import os

import pytest

from adamlab.track import report
from adamlab.track.report import check_destination, write_report

# The files write_report writes for the fake outcomes (a classification task),
# spelled out by hand.
OWN_FILES = {
    "report.html",
    "records.csv",
    "runs.csv",
    "summary.json",
    "loss.png",
    "accuracy.png",
    "norms.png",
    "effective_lr.png",
    "runs/00_adam_seed0.json",
    "runs/00_adam_seed1.json",
    "runs/01_amsgrad_seed0.json",
    "runs/01_amsgrad_seed1.json",
    "runs/02_adam_lr=-1_seed0.json",
}


@pytest.fixture
def fast_figures(monkeypatch):
    """Stand-in figures, so the many reports below are quick to write."""
    stems = ("loss", "accuracy", "norms", "effective_lr")
    monkeypatch.setattr(
        report.plots, "standard_figures", lambda groups, band: dict.fromkeys(stems)
    )
    monkeypatch.setattr(report.plots, "png_bytes", lambda fig: b"\x89PNG\r\n")


def snapshot(folder):
    """Every file and folder under ``folder`` (hidden ones too), with bytes."""
    state = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            state[os.path.relpath(os.path.join(root, name), folder) + "/"] = None
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                state[os.path.relpath(path, folder)] = handle.read()
    return state


def users_folder(folder, records=True):
    """A folder with the user's own files (``records.csv`` among them with
    ``records``) and no report."""
    (folder / "runs").mkdir(parents=True)
    if records:
        (folder / "records.csv").write_text("mine,1\n")
    (folder / "notes.txt").write_text("my notes\n")
    (folder / "runs" / "mine.json").write_text("{}\n")


def test_writes_exactly_its_files(fake_outcomes, tmp_path):
    write_report(tmp_path / "out", fake_outcomes)
    files = {k for k, v in snapshot(tmp_path / "out").items() if v is not None}
    assert files == OWN_FILES


def interrupt_after(monkeypatch, module, name, calls):
    """Make ``module.name`` raise KeyboardInterrupt on call number ``calls``."""
    real = getattr(module, name)
    count = {"n": 0}

    def patched(*args, **kwargs):
        count["n"] += 1
        if count["n"] == calls:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, patched)


@pytest.mark.parametrize("calls", [1, 4, 9, 13])
def test_interrupted_writing_leaves_the_folder_as_it_was(
    fake_outcomes, tmp_path, monkeypatch, fast_figures, calls
):
    folder = tmp_path / "out"
    write_report(folder, fake_outcomes[:2])
    (folder / "notes.txt").write_text("my notes\n")
    before = snapshot(folder)
    interrupt_after(monkeypatch, report, "_write", calls)
    with pytest.raises(KeyboardInterrupt):
        write_report(folder, fake_outcomes, overwrite=True)
    assert snapshot(folder) == before


@pytest.mark.parametrize("calls", [1, 2, 5, 11, 20, 24])
def test_interrupted_moving_into_place_is_undone(
    fake_outcomes, tmp_path, monkeypatch, fast_figures, calls
):
    # The earlier report has a run file (seed 5) the new one removes, and
    # files the new one replaces; every os.replace of the move is a chance.
    folder = tmp_path / "out"
    write_report(folder, fake_outcomes[:2])
    stale = fake_outcomes[0] | {"seed": 5}
    write_report(folder, [*fake_outcomes[:2], stale], overwrite=True)
    assert (folder / "runs" / "00_adam_seed5.json").exists()
    (folder / "notes.txt").write_text("my notes\n")
    before = snapshot(folder)
    interrupt_after(monkeypatch, os, "replace", calls)
    with pytest.raises(KeyboardInterrupt):
        write_report(folder, fake_outcomes, overwrite=True)
    assert snapshot(folder) == before


def test_interrupted_report_removes_the_folders_it_created(
    fake_outcomes, tmp_path, monkeypatch, fast_figures
):
    interrupt_after(monkeypatch, report, "_write", 3)
    with pytest.raises(KeyboardInterrupt):
        write_report(tmp_path / "new" / "out", fake_outcomes)
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize(
    "existing",
    ["records.csv", "summary.json", "accuracy.png", "runs/00_adam_seed0.json"],
)
def test_any_own_file_needs_overwrite(fake_outcomes, tmp_path, fast_figures, existing):
    users_folder(tmp_path, records=False)
    (tmp_path / existing).write_text("mine\n")
    before = snapshot(tmp_path)
    with pytest.raises(FileExistsError) as error:
        check_destination(tmp_path, False, runs=fake_outcomes)
    assert str(error.value).startswith(f"{tmp_path / existing} exists; pass --over")
    with pytest.raises(FileExistsError):
        write_report(tmp_path, fake_outcomes)
    assert snapshot(tmp_path) == before


def test_rmse_png_is_refused_before_the_runs_only(fake_outcomes, tmp_path):
    # Before the runs it is not known whether the metric figure is accuracy.png
    # or rmse.png; the report of a classification task then draws accuracy.png.
    (tmp_path / "rmse.png").write_text("mine\n")
    with pytest.raises(FileExistsError, match=r"/rmse\.png exists"):
        check_destination(tmp_path, False, runs=fake_outcomes)
    write_report(tmp_path, fake_outcomes)
    assert (tmp_path / "rmse.png").read_text() == "mine\n"
    assert (tmp_path / "accuracy.png").read_bytes().startswith(b"\x89PNG")


def test_first_existing_file_is_named(fake_outcomes, tmp_path):
    users_folder(tmp_path)
    (tmp_path / "loss.png").write_text("mine\n")
    with pytest.raises(FileExistsError, match=r"/records\.csv exists"):
        check_destination(tmp_path, False, runs=fake_outcomes)


def test_earlier_run_file_needs_overwrite(fake_outcomes, tmp_path, fast_figures):
    users_folder(tmp_path, records=False)
    (tmp_path / "runs" / "07_old_seed3.json").write_text("{}\n")
    with pytest.raises(
        FileExistsError, match=r"runs/07_old_seed3\.json exists \(a run of an earlier"
    ):
        write_report(tmp_path, fake_outcomes)
    write_report(tmp_path, fake_outcomes, overwrite=True)
    assert not (tmp_path / "runs" / "07_old_seed3.json").exists()


def test_overwrite_replaces_only_its_own_files(fake_outcomes, tmp_path):
    users_folder(tmp_path)
    write_report(tmp_path, fake_outcomes, overwrite=True)
    after = snapshot(tmp_path)
    assert after["notes.txt"] == b"my notes\n"
    assert after["runs/mine.json"] == b"{}\n"
    assert after["records.csv"].startswith(b"optimizer,seed,")
    files = {k for k, v in after.items() if v is not None}
    assert files == OWN_FILES | {"notes.txt", "runs/mine.json"}


def test_empty_path_is_refused(fake_outcomes, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="got an empty path ''"):
        write_report("", fake_outcomes)
    assert snapshot(tmp_path) == {}


def test_path_under_a_file_is_refused(fake_outcomes, tmp_path):
    (tmp_path / "my.csv").write_text("a,b\n")
    with pytest.raises(NotADirectoryError) as error:
        check_destination(tmp_path / "my.csv" / "sub", False)
    assert str(error.value) == (
        f"--out {tmp_path}/my.csv/sub is under {tmp_path}/my.csv, which exists "
        "and is not a folder"
    )
