"""Convention switches of Adam/AdamW/AMSGrad, each against the library it names.

optax (0.2.x, with jax on CPU in float64) for eps_root, AMSGrad over the
corrected v and AdamW; float64 restatements for Keras's eps-hat and for
Loshchilov and Hutter's schedule-multiplier decay (Keras and the paper's code
are not test dependencies). The defaults stay bit-identical to torch's path,
which tests/optim/test_adam_vs_torch.py checks.
"""

import math

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.schedules import Cosine

STEPS = 60


def sequence(seed=0, n=7, steps=STEPS):
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    # Gradients shrinking over time, so AMSGrad's max matters.
    grads = [rng.standard_normal(n) * (3.0 if t < 10 else 0.3) for t in range(steps)]
    return theta, grads


def run_ours(opt_cls, theta, grads, **kwargs):
    w = theta.copy()
    opt = opt_cls([w], **kwargs)
    for g in grads:
        opt.step([g])
    return w


@pytest.fixture(scope="module")
def optax():
    optax = pytest.importorskip("optax")
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return optax


def run_optax(optax, transform, theta, grads):
    import jax.numpy as jnp

    params = jnp.asarray(theta)
    state = transform.init(params)
    for g in grads:
        updates, state = transform.update(jnp.asarray(g), state, params)
        params = optax.apply_updates(params, updates)
    return np.asarray(params)


def test_default_matches_optax_adam(optax):
    theta, grads = sequence(1)
    ref = run_optax(optax, optax.adam(0.01, 0.9, 0.999, 1e-8), theta, grads)
    ours = run_ours(optim.Adam, theta, grads, lr=0.01)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_eps_root_matches_optax(optax):
    theta, grads = sequence(2)
    ref = run_optax(
        optax, optax.adam(0.01, 0.9, 0.99, eps=1e-3, eps_root=1e-2), theta, grads
    )
    ours = run_ours(
        optim.Adam, theta, grads, lr=0.01, betas=(0.9, 0.99), eps=1e-3, eps_root=1e-2
    )
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    plain = run_ours(optim.Adam, theta, grads, lr=0.01, betas=(0.9, 0.99), eps=1e-3)
    assert np.max(np.abs(plain - ours)) > 1e-4  # the switch does something


def test_amsgrad_corrected_matches_optax(optax):
    theta, grads = sequence(3)
    ref = run_optax(optax, optax.amsgrad(0.01, 0.9, 0.999, eps=1e-8), theta, grads)
    ours = run_ours(optim.AMSGrad, theta, grads, lr=0.01, amsgrad_mode="corrected")
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)
    raw = run_ours(optim.AMSGrad, theta, grads, lr=0.01)
    assert np.max(np.abs(raw - ours)) > 1e-6


def test_adamw_matches_optax(optax):
    theta, grads = sequence(4)
    ref = run_optax(
        optax, optax.adamw(0.01, 0.9, 0.999, 1e-8, weight_decay=0.1), theta, grads
    )
    ours = run_ours(optim.AdamW, theta, grads, lr=0.01, weight_decay=0.1)
    np.testing.assert_allclose(ours, ref, rtol=1e-10, atol=1e-12)


def test_eps_hat_keras_restatement():
    """Keras: theta -= alpha_t m / (sqrt(v) + eps), alpha_t = lr sqrt(bc2) / bc1."""
    theta, grads = sequence(5)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-3
    want = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        alpha = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
        want = want - m * alpha / (np.sqrt(v) + eps)
    ours = run_ours(optim.Adam, theta, grads, lr=lr, eps=eps, eps_mode="hat")
    np.testing.assert_allclose(ours, want, rtol=1e-11, atol=1e-13)
    # eps-hat equals torch's form with eps / sqrt(bc2) on the first step.
    w = run_ours(optim.Adam, theta, grads[:1], lr=lr, eps=eps, eps_mode="hat")
    w2 = run_ours(optim.Adam, theta, grads[:1], lr=lr, eps=eps / math.sqrt(1 - b2))
    np.testing.assert_allclose(w, w2, rtol=1e-13)


def test_schedule_multiplier_decay_restatement():
    """Loshchilov and Hutter: theta -= eta_t (alpha m_hat / d + lambda theta)."""
    theta, grads = sequence(6, steps=30)
    lr0, lam = 0.01, 0.05
    schedule = Cosine(30, warmup_steps=3, min_lr=1e-4)
    w = theta.copy()
    opt = optim.AdamW([w], lr=lr0, weight_decay=lam, weight_decay_scale="schedule")
    schedule.attach(opt, "lr")
    for g in grads:
        opt.step([g])

    want = theta.copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    for t, g in enumerate(grads, start=1):
        eta = schedule.at(t - 1, lr0) / lr0
        want = want * (1 - eta * lam)
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        m_hat = m / (1 - 0.9**t)
        v_hat = v / (1 - 0.999**t)
        want = want - eta * lr0 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(w, want, rtol=1e-11, atol=1e-13)


def test_invalid_combinations():
    w = [np.zeros(2)]
    with pytest.raises(ValueError, match="eps_mode must be one of"):
        optim.Adam(w, eps_mode="inside")
    with pytest.raises(ValueError, match="eps_root applies with eps_mode='outside'"):
        optim.Adam(w, eps_mode="hat", eps_root=1e-8)
    with pytest.raises(ValueError, match="amsgrad_mode='corrected'"):
        optim.AMSGrad(w, eps_mode="hat", amsgrad_mode="corrected")
    with pytest.raises(ValueError, match="weight_decay_scale must be one of"):
        optim.AdamW(w, weight_decay_scale="paper")
    with pytest.raises(ValueError, match="divides lr by initial_lr"):
        optim.AdamW(w, lr=0.0, weight_decay_scale="schedule")
    with pytest.raises(ValueError, match="eps_root must be a finite number >= 0"):
        optim.Adam(w, eps_root=-1.0)


def test_nondefault_conventions_keep_state_round_trip():
    theta, grads = sequence(7)
    kwargs = dict(lr=0.01, amsgrad_mode="corrected", eps_root=1e-6)
    w1 = theta.copy()
    o1 = optim.AMSGrad([w1], **kwargs)
    for g in grads[:20]:
        o1.step([g])
    saved = o1.state_dict()
    w2 = w1.copy()
    o2 = optim.AMSGrad([w2], lr=0.01)
    o2.load_state_dict(saved)
    assert o2.param_groups[0]["amsgrad_mode"] == "corrected"
    for g in grads[20:]:
        o1.step([g])
        o2.step([g])
    np.testing.assert_array_equal(w1, w2)
