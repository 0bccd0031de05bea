"""The training loop: determinism, best-epoch testing, accumulation, history."""

import numpy as np
import pytest

from adamlab import nn, optim
from adamlab.data import TaskData
from adamlab.train import Callback, RunConfig, Trainer, build


def small_task(n=64, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 5))
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(np.int64)
    return TaskData(
        name="toy",
        kind="binary",
        X_train=X,
        y_train=y,
        X_val=X[:16],
        y_val=y[:16],
        X_test=X[16:32],
        y_test=y[16:32],
        n_features=5,
        n_outputs=1,
        feature_names=tuple("abcde"),
    )


def trainer_for(task, *, batch_size, accumulate=1, epochs=2, callbacks=()):
    model = nn.mlp(5, hidden=(4,), n_out=1, activation="tanh", seed=3)
    opt = optim.Adam(model.named_parameters(), lr=1e-2)
    return Trainer(
        model,
        nn.BinaryCrossEntropyWithLogits(),
        opt,
        task,
        epochs=epochs,
        batch_size=batch_size,
        accumulate=accumulate,
        seed=7,
        callbacks=callbacks,
    )


def test_accumulating_micro_batches_equals_one_large_batch():
    task = small_task()
    big = trainer_for(task, batch_size=16)
    small = trainer_for(task, batch_size=4, accumulate=4)
    big.fit()
    small.fit()
    np.testing.assert_allclose(
        small.model.param_buffer, big.model.param_buffer, rtol=1e-12, atol=1e-14
    )
    assert small.step == big.step == 2 * 64 // 16


def test_same_seed_same_run_and_best_epoch_weights_are_tested():
    snapshots = {}

    class Snap(Callback):
        def on_epoch_end(self, trainer, epoch, metrics):
            snapshots[epoch] = trainer.model.param_buffer.copy()

    config = RunConfig(task="digits", epochs=4, hidden=(16,))
    trainer = build(config, callbacks=(Snap(),))
    result = trainer.fit()
    again = build(config).fit()
    assert result["final_params_sha256"] == again["final_params_sha256"]

    losses = [row["val_loss"] for row in result["history"]]
    best = int(np.argmin(losses)) + 1
    assert result["best_epoch"] == best
    model = trainer.model
    model.param_buffer[...] = snapshots[best]
    pred = np.argmax(model.predict(trainer.data.X_test), axis=1)
    assert result["test_accuracy"] == np.mean(pred == trainer.data.y_test)


def test_history_rows_have_the_design_keys():
    result = build(RunConfig(task="breast-cancer", epochs=2, hidden=(8,))).fit()
    keys = {"epoch", "train_loss", "val_loss", "val_accuracy", "lr", "seconds"}
    assert keys | {"skipped_steps"} == set(result["history"][0])


def test_nonfinite_loss_is_skipped_and_counted():
    task = small_task()
    task.X_train[5, 0] = np.nan
    trainer = trainer_for(task, batch_size=64, epochs=1)
    before = trainer.model.param_buffer.copy()
    with pytest.warns(RuntimeWarning, match="non-finite loss"):
        result = trainer.fit()
    assert result["history"][0]["skipped_steps"] == 1
    np.testing.assert_array_equal(trainer.model.param_buffer, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"epochs": 0}, "epochs must be >= 1, got 0"),
        ({"batch_size": 2.5}, "batch_size must be an integer"),
        ({"nonfinite": "maybe"}, "nonfinite must be one of"),
    ],
)
def test_bad_loop_arguments(kwargs, message):
    task = small_task()
    model = nn.mlp(5, hidden=(4,), n_out=1)
    opt = optim.Adam(model.named_parameters())
    with pytest.raises((ValueError, TypeError), match=message):
        Trainer(model, nn.BinaryCrossEntropyWithLogits(), opt, task, **kwargs)


def test_last_short_window_steps_like_the_last_short_batch():
    # 64 examples in batches of 16: windows of 3 micro-batches give one step on
    # 48 examples and one on the last 16, as batches of 48 do without
    # accumulation.
    task = small_task()
    windows = trainer_for(task, batch_size=16, accumulate=3)
    batches = trainer_for(task, batch_size=48)
    windows.fit()
    batches.fit()
    assert windows.step == batches.step == 4
    np.testing.assert_allclose(
        windows.model.param_buffer, batches.model.param_buffer, rtol=1e-12, atol=1e-14
    )


def test_accumulating_more_than_an_epoch_is_refused():
    with pytest.raises(ValueError, match="accumulate=5 exceeds the 4 batches"):
        trainer_for(small_task(), batch_size=16, accumulate=5)
