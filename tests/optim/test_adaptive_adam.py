"""AdaptiveAdam: exact bias correction under a varying beta1 (float64
restatement), and bit-identity of the constant schedule with fixed-beta1 Adam."""

import math

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.adaptive_adam import AdaptiveAdam
from adamlab.optim.registry import optimizer_class
from adamlab.optim.schedules import OneCycle


def beta1_at(kind, beta1, counter):
    if kind == "constant":
        return beta1
    if kind == "decay":
        return beta1 / (1 + 0.1 * counter)
    return beta1 * (1 + math.sin(counter * math.pi / 10)) / 2


def restated(theta, grads, lr, beta1, beta2, eps, kind, steps_per_epoch):
    """Adam with bc1 = 1 - prod(beta1_i), in float64, written out here."""
    theta = theta.astype(np.float64).copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    product = 1.0
    for t, g in enumerate(grads, start=1):
        done = t - 1
        counter = done if steps_per_epoch is None else done // steps_per_epoch
        b1 = beta1_at(kind, beta1, counter)
        product *= b1
        m = b1 * m + (1 - b1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat = m / (1 - product)
        v_hat = v / (1 - beta2**t)
        theta = theta - lr * m_hat / (np.sqrt(v_hat) + eps)
    return theta


@pytest.mark.parametrize("kind", ["constant", "decay", "cyclic"])
@pytest.mark.parametrize("steps_per_epoch", [None, 3])
def test_matches_restatement(kind, steps_per_epoch):
    rng = np.random.default_rng(4)
    theta0 = rng.standard_normal(6)
    grads = [rng.standard_normal(6) for _ in range(45)]
    w = theta0.copy()
    opt = AdaptiveAdam(
        [w], lr=0.01, momentum_schedule=kind, steps_per_epoch=steps_per_epoch
    )
    for g in grads:
        opt.step([g])
    want = restated(theta0, grads, 0.01, 0.9, 0.999, 1e-8, kind, steps_per_epoch)
    np.testing.assert_allclose(w, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("kind", ["constant", "decay", "cyclic"])
def test_first_step_size_whatever_beta1(kind):
    g = np.array([3.0, -1e-3, 0.25])
    for beta1 in (0.0, 0.5, 0.9, 0.999):
        w = np.zeros(3)
        AdaptiveAdam([w], lr=0.1, betas=(beta1, 0.99), momentum_schedule=kind).step([g])
        np.testing.assert_allclose(
            -w, 0.1 * g / (np.abs(g) + 1e-8), rtol=1e-13, err_msg=str(beta1)
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_constant_bit_identical_to_adam(dtype):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(50).astype(dtype)
    b = a.copy()
    ours = AdaptiveAdam([a], lr=3e-3, amsgrad=True)
    plain = optim.Adam([b], lr=3e-3, amsgrad=True)
    for _ in range(30):
        g = rng.standard_normal(50).astype(dtype)
        ours.step([g])
        plain.step([g])
    np.testing.assert_array_equal(a, b)


def test_state_round_trip_and_registry():
    assert optimizer_class("adaptive-adam") is AdaptiveAdam
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal(4) for _ in range(12)]
    w1 = np.ones(4)
    o1 = AdaptiveAdam([w1], momentum_schedule="cyclic", steps_per_epoch=2)
    for g in grads[:5]:
        o1.step([g])
    saved = o1.state_dict()
    w2 = w1.copy()
    o2 = AdaptiveAdam([w2], momentum_schedule="cyclic", steps_per_epoch=2)
    o2.load_state_dict(saved)
    for g in grads[5:]:
        o1.step([g])
        o2.step([g])
    np.testing.assert_array_equal(w1, w2)
    o3 = AdaptiveAdam([np.ones(4)], momentum_schedule="decay")
    with pytest.raises(ValueError, match="schedule state is for kind 'sine'"):
        o3.load_state_dict(saved)


def test_bad_momentum_schedule():
    with pytest.raises(ValueError, match="momentum_schedule must be one of"):
        AdaptiveAdam([np.zeros(2)], momentum_schedule="wobble")
    with pytest.raises(ValueError, match=r"max_momentum must be in \[0, 1\)"):
        AdaptiveAdam([np.zeros(2)], momentum_schedule=OneCycle(10, max_momentum=1.0))
