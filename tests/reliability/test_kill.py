"""A training process killed (SIGKILL) at random moments and resumed each time
ends with the parameters and metrics of a run that was never interrupted."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time

import numpy as np

from adamlab.train.checkpoint import checkpoint_files
from adamlab.train.model_file import read_model_file

ARGS = [
    "train",
    "--task",
    "digits",
    "--hidden",
    "32",
    "--activation",
    "tanh",
    "--epochs",
    "12",
    "--batch-size",
    "16",
    "--seed",
    "5",
    "--quiet",
]


def newest(folder):
    files = checkpoint_files(folder)
    return files[-1].name if files else None


def test_sigkill_and_resume_is_bit_identical(tmp_path, cli, cli_env, cli_cmd):
    assert (
        cli(
            *ARGS, "--save-model", tmp_path / "ref.npz", "--json", tmp_path / "ref.json"
        )[0]
        == 0
    )

    ck = tmp_path / "ck"
    rng = random.Random(2024)
    resumed = [*ARGS, "--checkpoint-dir", ck, "--checkpoint-every", "6", "--resume"]
    resumed = [str(a) for a in resumed]
    kills = 0
    for _ in range(3):
        before = newest(ck)
        proc = subprocess.Popen(
            cli_cmd + resumed,
            env=cli_env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while newest(ck) == before and proc.poll() is None:
            assert time.monotonic() < deadline, "no checkpoint within 60 s"
            time.sleep(0.01)
        # A random instant after training has made progress: mid-write,
        # between checkpoints, or during validation.
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        proc.stderr.close()
    assert kills >= 2, "the run finished before it could be killed"
    assert newest(ck) is not None

    final = subprocess.run(
        cli_cmd
        + resumed
        + [
            "--save-model",
            str(tmp_path / "out.npz"),
            "--json",
            str(tmp_path / "out.json"),
        ],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert final.returncode == 0, final.stderr
    assert "Traceback" not in final.stderr

    ref = read_model_file(tmp_path / "ref.npz")
    out = read_model_file(tmp_path / "out.npz")
    assert ref.model.param_buffer.tobytes() == out.model.param_buffer.tobytes()
    a = json.loads((tmp_path / "ref.json").read_text())
    b = json.loads((tmp_path / "out.json").read_text())
    for result in (a, b):
        result.pop("train_seconds")
        for row in result["history"]:
            row.pop("seconds")
    assert a["final_params_sha256"] == b["final_params_sha256"]
    assert a["history"] == b["history"]
    assert a["test_accuracy"] == b["test_accuracy"]
    assert np.isfinite(ref.model.param_buffer).all()
