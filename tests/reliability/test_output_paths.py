"""Output paths: links are followed, devices and FIFOs written through, empty
and unwritable paths refused before training, --task with --csv refused,
--plot named .png, corrupt checkpoints never overwrite each other, and the
divergence hint names --eps 0."""

from __future__ import annotations

import errno
import json
import os
import socket
import stat
import subprocess
import threading
import warnings
from pathlib import Path

import pytest

from adamlab import fileio

TRAIN = ("train", "--epochs", "1", "--hidden", "4", "--quiet")


class Reader(threading.Thread):
    """Reads a FIFO to its end (a writer blocks until a reader opens it)."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.data = b""

    def run(self) -> None:
        with open(self.path, "rb") as handle:
            self.data = handle.read()


def one_line_error(status, out, err):
    assert status == 2, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err


# ----------------------------------------------------------------- fileio


def test_fifo_is_written_through(tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = Reader(fifo)
    reader.start()
    fileio.atomic_write_json(fifo, {"a": 1})
    reader.join(timeout=10)
    assert json.loads(reader.data) == {"a": 1}
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo"]


def test_symlink_is_followed(tmp_path):
    (tmp_path / "sub").mkdir()
    target = tmp_path / "sub" / "run.json"
    target.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(Path("sub") / "run.json")
    fileio.atomic_write_text(link, "new")
    assert link.is_symlink() and os.readlink(link) == str(Path("sub") / "run.json")
    assert target.read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "sub").iterdir()) == ["run.json"]


def test_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "link.json"
    link.symlink_to("made.json")
    fileio.atomic_write_text(link, "x")
    assert link.is_symlink() and (tmp_path / "made.json").read_text() == "x"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_dev_null_stays_a_device():
    before = os.stat("/dev/null")
    assert stat.S_ISCHR(before.st_mode)
    fileio.atomic_write_text("/dev/null", "discarded")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="no /proc")
def test_descriptor_path_writes_into_the_descriptor(tmp_path):
    read_end, write_end = os.pipe()
    try:
        fileio.atomic_write_text(f"/proc/self/fd/{write_end}", "through the pipe")
        os.close(write_end)
        assert os.read(read_end, 100) == b"through the pipe"
    finally:
        os.close(read_end)
    # A regular file open on a descriptor is appended to, not replaced.
    path = tmp_path / "out.txt"
    with open(path, "w") as handle:
        handle.write("before\n")
        handle.flush()
        inode = os.fstat(handle.fileno()).st_ino
        fileio.atomic_write_text(f"/proc/self/fd/{handle.fileno()}", "after\n")
    assert path.read_text() == "before\nafter\n"
    assert os.stat(path).st_ino == inode


def test_check_destination_creates_nothing(tmp_path):
    fileio.check_destination(tmp_path / "ok.json")
    (tmp_path / "loop").symlink_to("loop")
    (tmp_path / "away").symlink_to(tmp_path / "nowhere" / "x.json")
    with pytest.raises(ValueError, match=r"cannot write .*loop: Too many levels"):
        fileio.check_destination(tmp_path / "loop")
    with pytest.raises(ValueError, match=r"the folder .*nowhere does not exist"):
        fileio.check_destination(tmp_path / "away")
    with pytest.raises(ValueError, match="Is a directory"):
        fileio.check_destination(tmp_path)
    with pytest.raises(ValueError, match="empty string"):
        fileio.check_destination("")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["away", "loop"]


def test_socket_is_refused(tmp_path):
    path = tmp_path / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(ValueError, match=r"s\.sock: it is a socket"):
            fileio.check_destination(path)
    finally:
        server.close()
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_link_into_a_missing_folder_is_refused(tmp_path):
    path = tmp_path / "x.json"
    (tmp_path / "x.json").symlink_to(tmp_path / "gone" / "x.json")
    with pytest.raises(FileNotFoundError, match="gone does not exist"):
        fileio.atomic_write_text(path, "x")


# ----------------------------------------------------------- command line


def test_train_outputs_to_link_fifo_and_dev_null(cli, tmp_path):
    run = tmp_path / "run.json"
    run.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to("run.json")
    status, _, err = cli(*TRAIN, "--json", link)
    assert status == 0, err
    assert link.is_symlink() and json.loads(run.read_text())["task"] == "digits"

    fifo = tmp_path / "model.fifo"
    os.mkfifo(fifo)
    reader = Reader(fifo)
    reader.start()
    status, _, err = cli(*TRAIN, "--save-model", fifo)
    reader.join(timeout=30)
    assert status == 0, err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert reader.data[:2] == b"PK"  # an .npz archive came through the FIFO

    if os.path.exists("/dev/null"):
        status, _, err = cli(*TRAIN, "--json", "/dev/null")
        assert status == 0, err
        assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "link.json",
        "model.fifo",
        "run.json",
    ]


@pytest.mark.skipif(not os.path.exists("/dev/stdout"), reason="no /dev/stdout")
def test_json_to_dev_stdout_redirected_to_a_file(cli_cmd, cli_env, tmp_path):
    out = tmp_path / "out.txt"
    with open(out, "w") as handle:
        subprocess.run(
            [*cli_cmd, *TRAIN, "--json", "/dev/stdout"],
            stdout=handle,
            env=cli_env,
            check=True,
            timeout=300,
        )
    summary, rest = out.read_text().split("\n", 1)
    assert summary.startswith("digits / mlp / adam")
    assert json.loads(rest)["task"] == "digits"


@pytest.mark.parametrize(
    "argv",
    [
        ("train", "--checkpoint-dir", ""),
        ("train", "--json", ""),
        ("train", "--save-model", ""),
        ("train", "--plot", ""),
        ("train", "--csv", "", "--target", "label"),
        ("evaluate", ""),
        ("evaluate", "m.npz", "--json", ""),
        ("evaluate", "m.npz", "--csv", ""),
    ],
)
def test_empty_paths_are_refused(cli, tmp_path, monkeypatch, argv):
    monkeypatch.chdir(tmp_path)
    extra = TRAIN[1:] if argv[0] == "train" else ()
    status, out, err = cli(*argv, *extra)
    one_line_error(status, out, err)
    assert "expected a path, got an empty string" in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        ("loop", r"--json: cannot write \S*loop\.json: Too many levels"),
        ("away", r"--json: cannot write \S*away\.json: the folder \S*nowhere does"),
        ("socket", r"--json: cannot write \S*socket\.json: it is a socket"),
    ],
)
def test_unwritable_json_refused_before_training(cli, tmp_path, make, message):
    import re

    path = tmp_path / f"{make}.json"
    server = socket.socket(socket.AF_UNIX)
    if make == "loop":
        path.symlink_to(path.name)
    elif make == "away":
        path.symlink_to(tmp_path / "nowhere" / "x.json")
    else:
        server.bind(str(path))
    try:
        status, out, err = cli(*TRAIN, "--json", path)
    finally:
        server.close()
    one_line_error(status, out, err)
    assert out == ""  # no summary line: nothing was trained
    assert re.search(message, err), err
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_write_failure_after_training_is_one_line(cli, tmp_path, monkeypatch):
    def full_disk(path, value):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(fileio, "atomic_write_json", full_disk)
    path = tmp_path / "r.json"
    status, out, err = cli(*TRAIN, "--json", path)
    one_line_error(status, out, err)
    assert err.strip() == (
        f"adamlab train: error: --json {path}: cannot write it: No space left on device"
    )


@pytest.mark.skipif(not os.path.isfile("/proc/version"), reason="no /proc/version")
def test_proc_file_error_names_it_not_a_temporary(cli):
    status, out, err = cli(*TRAIN, "--json", "/proc/version")
    one_line_error(status, out, err)
    assert "--json /proc/version: cannot" in err
    assert ".tmp" not in err and "Errno" not in err


def test_task_and_csv_exclude_each_other(cli, tmp_path):
    csv = tmp_path / "t.csv"
    csv.write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    status, out, err = cli(
        *TRAIN, "--task", "digits", "--csv", csv, "--target", "label"
    )
    one_line_error(status, out, err)
    assert f"--task digits and --csv {csv} exclude each other" in err
    assert out == ""


def test_evaluate_task_and_csv_exclude_each_other(cli, tmp_path):
    model = tmp_path / "m.npz"
    status, _, err = cli(*TRAIN, "--save-model", model)
    assert status == 0, err
    csv = tmp_path / "t.csv"
    csv.write_text("a,label\n" + "".join(f"{i},{i % 2}\n" for i in range(40)))
    status, out, err = cli("evaluate", model, "--task", "digits", "--csv", csv)
    one_line_error(status, out, err)
    assert f"--task digits and --csv {csv} exclude each other" in err
    assert out == ""


def test_plot_must_be_named_png(cli, tmp_path):
    base = (*TRAIN, "--task", "sunspots", "--model", "rnn")
    status, out, err = cli(*base, "--plot", tmp_path / "x.txt")
    one_line_error(status, out, err)
    assert f"--plot {tmp_path / 'x.txt'}: expected a .png file name" in err
    assert list(tmp_path.iterdir()) == []
    status, _, err = cli(*base, "--plot", tmp_path / "x.PNG")
    assert status == 0, err
    assert (tmp_path / "x.PNG").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_eps_zero_divergence_hint(cli):
    status, _, err = cli(*TRAIN, "--eps", "0")
    assert status == 0, err
    assert "no epoch had a finite validation loss" in err
    assert "--eps 0 divides by zero" in err and "smaller --lr" not in err


# ------------------------------------------------------------ checkpoints


def test_second_corrupt_checkpoint_keeps_the_first(tmp_path):
    from adamlab.train import Checkpoint, CheckpointWarning, RunConfig, build

    cfg = RunConfig(task="digits", hidden=(4,), epochs=2, batch_size=256, seed=1)
    build(cfg, callbacks=(Checkpoint(tmp_path, cfg, keep=3),)).fit()
    newest = tmp_path / "ckpt-000002-0000000.npz"
    good = newest.read_bytes()
    for garbage in (b"PK first", b"PK second"):
        newest.write_bytes(garbage)
        ck = Checkpoint(tmp_path, cfg, keep=3)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", CheckpointWarning)
            assert ck.resume(build(cfg, callbacks=(ck,))).name.startswith("ckpt-000001")
        newest.write_bytes(good)
    assert "renamed it ckpt-000002-0000000.npz.corrupt-1" in str(caught[0].message)
    assert (tmp_path / "ckpt-000002-0000000.npz.corrupt").read_bytes() == b"PK first"
    assert (tmp_path / "ckpt-000002-0000000.npz.corrupt-1").read_bytes() == (
        b"PK second"
    )
