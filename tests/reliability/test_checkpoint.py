"""Checkpoints: a run stopped anywhere and resumed ends bit for bit where an
uninterrupted run ends; bad, foreign and corrupt checkpoints are refused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from adamlab.train import Callback, Checkpoint, CheckpointWarning, RunConfig, build
from adamlab.train.checkpoint import checkpoint_files, load_checkpoint


class Crash(Exception):
    """Stands for a process dying."""


class CrashAt(Callback):
    def __init__(self, step: int) -> None:
        self.step = step

    def on_step_end(self, trainer, step, loss):
        if step == self.step:
            raise Crash


class Records(Callback):
    """A callback with a records list, like the tracker."""

    def __init__(self) -> None:
        self.records = []

    def on_step_end(self, trainer, step, loss):
        if step % 5 == 0:
            self.records.append({"step": step, "loss": loss})


def config(**changes) -> RunConfig:
    values = dict(
        task="digits",
        hidden=(8,),
        epochs=3,
        batch_size=64,
        activation="tanh",
        seed=3,
    )
    values.update(changes)
    return RunConfig(**values)


def schedule(trainer, kind):
    if kind is None:
        return
    schedules = pytest.importorskip("adamlab.optim.schedules")
    schedules.attach(trainer.optimizer, schedules.Cosine(total_steps=40), "lr")


def comparable(result):
    out = dict(result)
    out.pop("train_seconds")
    out["history"] = [
        {k: v for k, v in row.items() if k != "seconds"} for row in out["history"]
    ]
    return out


def finish(cfg, directory, crash_steps, every, kind=None):
    """Run ``cfg`` crashing at each of ``crash_steps``, resuming each time."""
    for crash in [*crash_steps, None]:
        callbacks = [Records(), Checkpoint(directory, cfg, every_steps=every)]
        if crash is not None:
            callbacks.append(CrashAt(crash))
        trainer = build(cfg, callbacks=tuple(callbacks))
        schedule(trainer, kind)
        callbacks[1].resume(trainer)
        try:
            result = trainer.fit()
        except Crash:
            continue
        return trainer, result, callbacks[0].records
    raise AssertionError("unreachable")


@pytest.mark.parametrize(
    "changes, crashes, every, kind",
    [
        (dict(optimizer="adam"), [20], None, None),
        (dict(optimizer="amsgrad", accumulate=2), [7, 21], 3, None),
        (dict(optimizer="adabound", clip_norm=0.5), [5, 12, 33], 4, None),
        (dict(optimizer="adam", dtype="float32"), [10], 2, "cosine"),
        (dict(optimizer="nadam"), [17], 17, None),
    ],
)
def test_resumed_run_is_bit_identical(tmp_path, changes, crashes, every, kind):
    cfg = config(**changes)
    records = Records()
    reference = build(cfg, callbacks=(records,))
    schedule(reference, kind)
    expected = reference.fit()

    trainer, result, resumed_records = finish(
        cfg, tmp_path / "ck", crashes, every, kind
    )
    assert comparable(result) == comparable(expected)
    assert (
        trainer.model.param_buffer.tobytes() == reference.model.param_buffer.tobytes()
    )
    assert trainer.best_params.tobytes() == reference.best_params.tobytes()
    a, b = trainer.optimizer.state_dict(), reference.optimizer.state_dict()
    for i in a["state"]:
        for key, value in a["state"][i].items():
            other = b["state"][i][key]
            if isinstance(value, np.ndarray):
                assert value.tobytes() == other.tobytes(), (i, key)
            else:
                assert value == other, (i, key)
    assert a["counters"] == b["counters"]
    assert resumed_records == records.records
    assert len(checkpoint_files(tmp_path / "ck")) == 2


def test_mid_epoch_checkpoint_holds_the_epoch_position(tmp_path):
    cfg = config(epochs=1)
    ck = Checkpoint(tmp_path, cfg, every_steps=5, keep=100)
    build(cfg, callbacks=(ck,)).fit()
    names = [p.name for p in checkpoint_files(tmp_path)]
    # 1077 training examples in batches of 64: 17 steps, saves after 5, 10, 15.
    assert names == [
        "ckpt-000000-0000320.npz",
        "ckpt-000000-0000640.npz",
        "ckpt-000000-0000960.npz",
        "ckpt-000001-0000000.npz",
    ]
    tree = load_checkpoint(tmp_path / names[1])
    progress = tree["trainer"]["progress"]
    assert progress["position"] == 640 and len(progress["losses"]) == 10
    assert sorted(progress["order"].tolist()) == list(range(1077))
    assert tree["optimizer"]["state"]["state"][0]["step"] == 10
    assert tree["config"] == cfg.to_dict() | {"hidden": [8]}


def test_keep_drops_older_checkpoints(tmp_path):
    cfg = config(epochs=4)
    build(cfg, callbacks=(Checkpoint(tmp_path, cfg, keep=3),)).fit()
    assert [p.name[:11] for p in checkpoint_files(tmp_path)] == [
        "ckpt-000002",
        "ckpt-000003",
        "ckpt-000004",
    ]


def test_corrupt_newest_falls_back_with_a_warning(tmp_path):
    cfg = config(epochs=2)
    build(cfg, callbacks=(Checkpoint(tmp_path, cfg),)).fit()
    newest = checkpoint_files(tmp_path)[-1]
    raw = newest.read_bytes()
    newest.write_bytes(raw[: len(raw) // 3])
    ck = Checkpoint(tmp_path, cfg)
    trainer = build(cfg, callbacks=(ck,))
    with pytest.warns(CheckpointWarning, match="ckpt-000002-0000000.npz is unreadable"):
        used = ck.resume(trainer)
    assert used.name == "ckpt-000001-0000000.npz"
    assert trainer.epoch == 1
    assert (tmp_path / "ckpt-000002-0000000.npz.corrupt").exists()
    result = trainer.fit()
    reference = build(cfg).fit()
    assert comparable(result) == comparable(reference)


def test_all_corrupt_is_an_error(tmp_path):
    (tmp_path / "ckpt-000001-0000000.npz").write_bytes(b"garbage")
    ck = Checkpoint(tmp_path, config())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CheckpointWarning)
        with pytest.raises(
            ValueError,
            match="no readable checkpoint in .*garbage|no readable checkpoint",
        ):
            ck.resume(build(config(), callbacks=(ck,)))


def test_empty_folder_resumes_nothing(tmp_path):
    ck = Checkpoint(tmp_path / "new", config())
    assert ck.resume(build(config(), callbacks=(ck,))) is None


@pytest.mark.parametrize(
    "changes, message",
    [
        (dict(hidden=(9,)), r"hidden\[0\]=8 in the checkpoint, 9 in this run"),
        (dict(optimizer="adamw"), "optimizer='adam' in the checkpoint, 'adamw'"),
        (dict(seed=4), "seed=3 in the checkpoint, 4 in this run"),
    ],
)
def test_checkpoint_of_another_run_is_refused(tmp_path, changes, message):
    cfg = config(epochs=1)
    build(cfg, callbacks=(Checkpoint(tmp_path, cfg),)).fit()
    other = config(epochs=1, **changes)
    ck = Checkpoint(tmp_path, other)
    with pytest.raises(ValueError, match=message):
        ck.resume(build(other, callbacks=(ck,)))


def test_model_and_optimizer_mismatch_without_config(tmp_path):
    cfg = config(epochs=1)
    build(cfg, callbacks=(Checkpoint(tmp_path, None),)).fit()
    ck = Checkpoint(tmp_path, None)
    with pytest.raises(
        ValueError, match="model does not match: .*n_out.*8.*9|model does not match"
    ):
        ck.resume(build(config(hidden=(9,)), callbacks=(ck,)))
    ck = Checkpoint(tmp_path, None)
    with pytest.raises(
        ValueError, match="holds Adam state; this run's optimizer is AMSGrad"
    ):
        ck.resume(build(config(optimizer="amsgrad"), callbacks=(ck,)))


def test_more_epochs_continue_a_finished_run(tmp_path):
    short = config(epochs=2)
    build(short, callbacks=(Checkpoint(tmp_path, short),)).fit()
    longer = config(epochs=3)
    ck = Checkpoint(tmp_path, longer)
    trainer = build(longer, callbacks=(ck,))
    ck.resume(trainer)
    assert comparable(trainer.fit()) == comparable(build(longer).fit())


def test_unwritable_folder_is_refused(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(
        ValueError,
        match=f"cannot write checkpoints to {blocker}/ck: {blocker} is a file",
    ):
        Checkpoint(blocker / "ck")
    with pytest.raises(ValueError, match="keep must be >= 1, got 0"):
        Checkpoint(tmp_path, keep=0)
    with pytest.raises(TypeError, match="every_steps must be an integer, got 2.5"):
        Checkpoint(tmp_path, every_steps=2.5)


def test_a_tracker_resumes_with_its_records(tmp_path):
    # The tracker's record keys hold '/' (grad_norm/hidden.weight), which a
    # checkpoint's dict keys may not: its records are kept as pairs.
    from adamlab.track import Tracker

    cfg = config(epochs=2)
    reference = Tracker(5)
    build(cfg, callbacks=(reference,)).fit()
    tracker = None
    for crash in [9, None]:
        tracker = Tracker(5)
        ck = Checkpoint(tmp_path / "ck", cfg, every_steps=4)
        callbacks = (tracker, ck) + (() if crash is None else (CrashAt(crash),))
        trainer = build(cfg, callbacks=callbacks)
        ck.resume(trainer)
        try:
            trainer.fit()
        except Crash:
            continue
    assert "grad_norm/hidden.weight" in tracker.records[0]
    assert [list(r) for r in tracker.records] == [list(r) for r in reference.records]
    np.testing.assert_equal(tracker.records, reference.records)
