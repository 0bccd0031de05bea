"""Every bad input ends in one clear line: ValueError/TypeError naming the
argument and value in the library; exit status 2 and no traceback on the
command line."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from adamlab.optim.registry import OPTIMIZERS, make_optimizer
from adamlab.train import RunConfig, Trainer, build, save_model

TRAIN = ("train", "--epochs", "1", "--hidden", "4", "--quiet")


def write(path: Path, rows: list[str]) -> Path:
    path.write_text("\n".join(rows) + "\n")
    return path


@pytest.fixture
def files(tmp_path):
    f = {}
    f["nonnum"] = write(tmp_path / "nonnum.csv", ["a,b,label", "1,2,x", "3,oops,y"])
    f["missing"] = write(tmp_path / "missing.csv", ["a,b,label", "1,2,x", "3,,y"])
    f["empty"] = write(tmp_path / "empty.csv", ["a,b,label"])
    rows = [f"1,1,{'xy'[i % 2]}" for i in range(40)]
    f["constant"] = write(tmp_path / "constant.csv", ["a,b,label", *rows])
    f["series"] = write(tmp_path / "series.csv", ["v"] + ["3.0"] * 60)
    f["blocker"] = write(tmp_path / "blocker", ["x"])
    (tmp_path / "report").mkdir()
    f["report"] = write(tmp_path / "report" / "report.html", ["<html>"])
    f["garbage"] = write(tmp_path / "garbage.npz", ["not a model"])
    return f


CASES = [
    (("--lr", "-1"), "lr must be a finite number >= 0, got -1.0"),
    (("--betas", "1.2,0.9"), "beta1 must be in [0, 1), got 1.2"),
    (("--eps", "nan"), "eps must not be NaN"),
    (("--clip-norm", "-1"), "clip_norm must be a finite number > 0, got -1.0"),
    (("--optimizer", "nope"), "unknown optimizer 'nope'; choose one of:"),
    (("--task", "nope"), "unknown task 'nope'; valid tasks:"),
    (("--csv", "{nonnum}", "--target", "label"), "non-numeric value 'oops' at row 2"),
    (("--csv", "{missing}", "--target", "label"), "missing values (first at row 2"),
    (("--csv", "{empty}", "--target", "label"), "has a header but no data rows"),
    (("--csv", "{constant}", "--target", "label"), "every feature of"),
    (("--csv", "{series}", "--column", "v"), "is constant (3) over its training"),
    (("--csv", "{tmp}/nothere.csv", "--target", "label"), "CSV file not found"),
    (("--csv", "{tmp}", "--target", "label"), "is a directory, expected a file"),
    (
        ("--checkpoint-dir", "{blocker}/ck"),
        "cannot write checkpoints to {blocker}/ck: {blocker} is a file, not a folder",
    ),
    (("--resume",), "--resume needs --checkpoint-dir DIR"),
    (("--checkpoint-every", "3"), "--checkpoint-every needs --checkpoint-dir DIR"),
    (("--save-model", "{tmp}/no/m.npz"), "the folder {tmp}/no does not exist"),
]


@pytest.mark.parametrize("extra, message", CASES)
def test_train_bad_input(cli, files, tmp_path, extra, message):
    names = {k: str(v) for k, v in files.items()} | {"tmp": str(tmp_path)}
    args = [a.format(**names) for a in extra]
    status, out, err = cli(*TRAIN, *args)
    assert status == 2
    assert message.format(**names) in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_train_resume_from_all_corrupt_checkpoints(cli, tmp_path):
    (tmp_path / "ckpt-000001-0000000.npz").write_bytes(b"PK garbage")
    status, _, err = cli(*TRAIN, "--checkpoint-dir", tmp_path, "--resume")
    assert status == 2 and "no readable checkpoint in" in err
    assert "Traceback" not in err.split("error:")[-1]


def test_train_resume_with_another_model_is_refused(cli, tmp_path):
    assert cli(*TRAIN, "--checkpoint-dir", tmp_path)[0] == 0
    status, _, err = cli(
        "train",
        "--epochs",
        "1",
        "--hidden",
        "5",
        "--checkpoint-dir",
        tmp_path,
        "--resume",
    )
    assert status == 2
    assert "hidden[0]=4 in the checkpoint, 5 in this run" in err


@pytest.mark.parametrize(
    "args, message",
    [
        (("{tmp}/nothing.npz",), "No such file or directory"),
        (("{garbage}",), "garbage.npz is not an adamlab file (not a .npz archive)"),
        (("{tmp}",), "Is a directory"),
    ],
)
def test_evaluate_bad_input(cli, files, tmp_path, args, message):
    names = {k: str(v) for k, v in files.items()} | {"tmp": str(tmp_path)}
    status, _, err = cli("evaluate", *[a.format(**names) for a in args])
    assert status == 2 and message in err and "Traceback" not in err


def test_compare_refuses_an_existing_report(cli, files):
    pytest.importorskip("adamlab.cli.compare_cmd")
    folder = files["report"].parent
    status, _, err = cli("compare", "--out", folder, "--optimizers", "adam,amsgrad")
    assert status == 2
    assert f"{files['report']} exists; pass --overwrite to replace it" in err
    assert files["report"].read_text() == "<html>\n"


def test_no_traceback_in_a_real_process(cli_cmd, cli_env, files, tmp_path):
    for args in (
        [*TRAIN, "--csv", str(files["nonnum"]), "--target", "label"],
        ["evaluate", str(files["garbage"])],
    ):
        done = subprocess.run(
            cli_cmd + args, env=cli_env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 2
        assert "Traceback" not in done.stderr
        assert done.stderr.startswith(f"adamlab {args[0]}: error: ")


# -------------------------------------------------------------- library


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_bad_input(name):
    p = np.zeros(3)
    with pytest.raises(ValueError, match="empty parameter list"):
        make_optimizer(name, [])
    with pytest.raises(TypeError, match="got a single array"):
        make_optimizer(name, p)
    with pytest.raises(
        TypeError, match=r"\['params'\]\[0\] must be float16, float32 .*int64"
    ):
        make_optimizer(name, [np.zeros(3, dtype=np.int64)])
    with pytest.raises(ValueError, match="lr must be a finite number >= 0, got -1"):
        make_optimizer(name, [p], lr=-1.0)
    with pytest.raises(ValueError, match="does not take bogus"):
        make_optimizer(name, [p], bogus=1)
    opt = make_optimizer(name, [p])
    with pytest.raises(ValueError, match=r"has shape \(4,\), expected the param"):
        opt.step([np.zeros(4)])
    with pytest.raises(ValueError, match="has dtype float32, expected the param"):
        opt.step([np.zeros(3, np.float32)])
    with pytest.raises(ValueError, match="expected 1 gradients, one per parameter"):
        opt.step([])
    with pytest.raises(TypeError, match="must be a NumPy array or None, got list"):
        opt.step([[0.0, 0.0, 0.0]])


def test_state_dict_mismatch_is_named():
    a = make_optimizer("adam", [np.zeros(3)])
    b = make_optimizer("adam", [np.zeros(4)])
    with pytest.raises(ValueError, match=r"expected shape \(4,\) .*has shape \(3,\)"):
        b.load_state_dict(a.state_dict())
    c = make_optimizer("adam", [np.zeros(3)], amsgrad=True)
    with pytest.raises(ValueError, match="max_exp_avg_sq"):
        c.load_state_dict(a.state_dict())
    d = make_optimizer("amsgrad", [np.zeros(3)])
    with pytest.raises(ValueError, match="state_dict is of Adam, this optimizer is"):
        d.load_state_dict(a.state_dict())


def test_trainer_and_model_file_bad_input(tmp_path):
    trainer = build(RunConfig(task="digits", hidden=(4,), epochs=1))
    args = (trainer.model, trainer.loss, trainer.optimizer, trainer.data)
    with pytest.raises(ValueError, match="epochs must be >= 1, got 0"):
        Trainer(*args, epochs=0)
    with pytest.raises(TypeError, match="batch_size must be an integer, got 2.5"):
        Trainer(*args, batch_size=2.5)
    with pytest.raises(ValueError, match="nonfinite must be one of"):
        Trainer(*args, nonfinite="maybe")
    with pytest.raises(ValueError, match=r"params must have the model's shape"):
        save_model(tmp_path / "m.npz", trainer.model, params=np.zeros(3))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model(tmp_path / "no" / "m.npz", trainer.model)
    with pytest.raises(ValueError, match="hidden sizes must be positive integers"):
        RunConfig(hidden=(0,))
