"""NaN and inf never reach parameters or optimizer state; dtype edge cases
stay finite."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab.optim.optimizer import NonFiniteGradientError
from adamlab.optim.registry import OPTIMIZERS, make_optimizer
from adamlab.train import NonFiniteLossError, RunConfig, build

NAMES = sorted(OPTIMIZERS)


def snapshot(opt, params):
    sd = opt.state_dict()
    arrays = [p.tobytes() for p in params]
    for entry in sd["state"].values():
        for key in sorted(entry):
            value = entry[key]
            arrays.append(value.tobytes() if isinstance(value, np.ndarray) else value)
    return arrays, sd["counters"]


def warmed(name, nonfinite, dtype=np.float64):
    rng = np.random.default_rng(0)
    params = [rng.normal(size=(3, 4)).astype(dtype), rng.normal(size=5).astype(dtype)]
    opt = make_optimizer(name, params, nonfinite=nonfinite)
    for _ in range(3):
        opt.step([rng.normal(size=p.shape).astype(dtype) for p in params])
    return opt, params


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_gradient_never_reaches_state(name, bad):
    for policy in ("skip", "raise"):
        opt, params = warmed(name, policy)
        before = snapshot(opt, params)
        grads = [np.ones_like(p) for p in params]
        grads[1][2] = bad
        if policy == "skip":
            assert opt.step(grads) is False
            assert opt.skipped_steps == 1
        else:
            with pytest.raises(NonFiniteGradientError, match="gradient of param1"):
                opt.step(grads)
        after = snapshot(opt, params)
        assert after[0] == before[0]
        assert after[1]["completed_steps"] == before[1]["completed_steps"]
        # The next good step is taken and everything stays finite.
        assert opt.step([np.ones_like(p) for p in params]) is True
        assert all(np.isfinite(p).all() for p in params)


def small(**changes):
    values = dict(
        task="digits", hidden=(4,), activation="tanh", epochs=1, batch_size=128, seed=1
    )
    values.update(changes)
    return RunConfig(**values)


def test_training_loop_skips_nonfinite_losses_and_counts_them():
    trainer = build(small())
    trainer.data.X_train[[0, 1, 2]] = np.nan  # poisons the batches holding them
    with pytest.warns(RuntimeWarning, match="skipped a step with non-finite loss nan"):
        result = trainer.fit()
    skipped = result["history"][0]["skipped_steps"]
    assert 1 <= skipped <= 3
    assert np.isfinite(trainer.model.param_buffer).all()
    for entry in trainer.optimizer.state_dict()["state"].values():
        for value in entry.values():
            if isinstance(value, np.ndarray):
                assert np.isfinite(value).all()
    steps = -(-trainer.data.n_train // 128)
    assert trainer.optimizer.completed_steps == steps - skipped


def test_training_loop_raise_policy_changes_nothing():
    trainer = build(small(nonfinite="raise"))
    order = np.random.Generator(np.random.PCG64(1)).permutation(trainer.data.n_train)
    trainer.data.X_train[order[0]] = np.inf  # the first batch
    before = trainer.model.param_buffer.copy()
    with np.errstate(invalid="ignore"):  # inf * 0 in the first layer
        with pytest.raises(NonFiniteLossError, match="batch loss is nan at epoch 1"):
            trainer.fit()
    assert trainer.model.param_buffer.tobytes() == before.tobytes()
    assert trainer.optimizer.completed_steps == 0


@pytest.mark.parametrize("name", NAMES)
def test_float16_tiny_and_zero_gradients_stay_finite(name):
    p = np.full(8, 0.5, dtype=np.float16)
    opt = make_optimizer(name, [p])
    tiny = np.full(8, np.finfo(np.float16).smallest_subnormal, dtype=np.float16)
    for grad in (tiny, np.zeros(8, np.float16), tiny, np.zeros(8, np.float16)):
        opt.step([grad])
        assert np.isfinite(p).all()
        for value in opt.state[0].values():
            if isinstance(value, np.ndarray):
                assert value.dtype != np.float16
                assert np.isfinite(value).all()


def test_float16_zero_gradients_leave_adam_params_unchanged():
    p = np.full(4, 0.5, dtype=np.float16)
    opt = make_optimizer("adam", [p])
    for _ in range(3):
        opt.step([np.zeros(4, np.float16)])
    assert (p == np.float16(0.5)).all()


@pytest.mark.parametrize("name", NAMES)
def test_huge_gradients_under_clipping(name):
    p = np.zeros(100, dtype=np.float32)
    opt = make_optimizer(name, [p], clip_norm=1.0)
    opt.step([np.full(100, 1e20, dtype=np.float32)])  # norm 1e21 overflows naively
    assert opt.last_grad_norm == pytest.approx(1e21, rel=1e-6)
    assert np.isfinite(p).all() and (p < 0).all()


def test_step_counts_past_a_million():
    p = np.zeros(3)
    opt = make_optimizer("adam", [p], lr=1e-3)
    opt.step([np.ones(3)])
    state = opt.state_dict()
    state["state"][0]["step"] = 10**6
    state["state"][0]["exp_avg"][:] = 0.5
    state["state"][0]["exp_avg_sq"][:] = 0.25
    if "beta1_product" in state["state"][0]:
        state["state"][0]["beta1_product"] = 0.0  # 0.9 ** 1e6 underflows to 0
    opt.load_state_dict(state)
    p[:] = 0
    opt.step([np.ones(3)])
    assert opt.state[0]["step"] == 10**6 + 1
    m = 0.9 * 0.5 + 0.1
    v = 0.999 * 0.25 + 0.001
    bc2 = 1 - 0.999 ** (10**6 + 1)
    expected = -1e-3 * m / (np.sqrt(v / bc2) + 1e-8)
    np.testing.assert_allclose(p, expected, rtol=1e-12)
    for name in NAMES:
        q = np.zeros(3)
        other = make_optimizer(name, [q])
        other.step([np.ones(3)])
        sd = other.state_dict()
        sd["state"][0]["step"] = 10**6
        other.load_state_dict(sd)
        for _ in range(3):
            other.step([np.ones(3)])
        assert np.isfinite(q).all(), name
