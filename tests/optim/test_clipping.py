"""Gradient clipping by global norm and by value (FAULTS F09), on the optimizer
options and the functional helpers. Expected values are hand-worked."""

import math

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.clipping import clip_by_global_norm, global_norm


def test_f09a_huge_float32_norm_without_overflow():
    grads = [np.full(100, 1e20, dtype=np.float32)]
    with np.errstate(over="ignore"):
        assert np.sum(grads[0] ** 2) == np.inf  # the naive sum overflows
    assert global_norm(grads) == pytest.approx(1e21, rel=1e-6)
    clipped, norm = clip_by_global_norm(grads, 1.0)
    assert norm == pytest.approx(1e21, rel=1e-6)
    np.testing.assert_allclose(clipped[0], 0.1, rtol=1e-6)
    assert grads[0][0] == np.float32(1e20)  # inputs untouched


def test_f09a_through_the_optimizer():
    w = np.zeros(100, dtype=np.float32)
    opt = optim.Adam([w], lr=0.1, betas=(0.9, 0.999), clip_norm=1.0)
    assert opt.step([np.full(100, 1e20, dtype=np.float32)])
    assert opt.last_grad_norm == pytest.approx(1e21, rel=1e-6)
    # m = (1 - beta1) * 0.1, v = (1 - beta2) * 0.01 per element.
    np.testing.assert_allclose(opt.state[0]["exp_avg"], 0.01, rtol=1e-6)
    np.testing.assert_allclose(opt.state[0]["exp_avg_sq"], 1e-5, rtol=1e-5)
    np.testing.assert_allclose(w, -0.1, rtol=1e-6)


@pytest.mark.parametrize("policy", ["skip", "raise"])
def test_f09b_inf_gradient_changes_nothing(policy):
    w = np.ones(100, dtype=np.float32)
    opt = optim.Adam([w], lr=0.1, clip_norm=1.0, nonfinite=policy)
    g = np.ones(100, dtype=np.float32)
    g[0] = np.inf
    if policy == "raise":
        with pytest.raises(optim.NonFiniteGradientError, match="param0"):
            opt.step([g])
    else:
        assert opt.step([g]) is False
    np.testing.assert_array_equal(w, 1.0)
    assert not opt.state[0]["exp_avg"].any()
    assert opt.state[0]["step"] == 0
    assert opt.last_grad_norm == math.inf


def test_f09b_ignore_gives_torchs_result():
    torch = pytest.importorskip("torch")
    g = np.ones(5)
    g[0] = np.inf
    t = torch.tensor(g.copy())
    p = torch.zeros(5, dtype=torch.float64, requires_grad=True)
    p.grad = t
    torch.nn.utils.clip_grad_norm_([p], 1.0)
    clipped, _ = clip_by_global_norm([g], 1.0)
    np.testing.assert_array_equal(clipped[0], p.grad.numpy())  # [nan, 0, 0, 0, 0]


def test_norm_across_parameters_and_no_clip_below():
    a, b = np.zeros(2), np.zeros(1)
    opt = optim.Adam([a, b], lr=0.1, clip_norm=10.0)
    opt.step([np.array([3.0, 0.0]), np.array([4.0])])
    assert opt.last_grad_norm == 5.0
    # Below the threshold nothing is scaled: m = 0.1 * g.
    np.testing.assert_allclose(opt.state[0]["exp_avg"], [0.3, 0.0])
    np.testing.assert_allclose(opt.state[1]["exp_avg"], [0.4])


def test_clip_value_after_norm():
    w = np.zeros(3)
    opt = optim.Adam([w], clip_norm=2.0, clip_value=0.5)
    opt.step([np.array([6.0, -8.0, 0.0])])  # norm 10 -> [1.2, -1.6, 0] -> clip
    np.testing.assert_allclose(opt.state[0]["exp_avg"], [0.05, -0.05, 0.0])


def test_float64_norm_beyond_range_still_clips():
    g = np.full(4, 1e308)
    assert global_norm([g]) == math.inf
    clipped, _ = clip_by_global_norm([g], 1.0)
    np.testing.assert_allclose(clipped[0], 0.5)
    w = np.zeros(4)
    opt = optim.Adam([w], clip_norm=1.0, nonfinite="skip")
    assert opt.step([g]) is True  # finite gradients are not skipped
    np.testing.assert_allclose(opt.state[0]["exp_avg"], 0.05)


def test_bad_options():
    with pytest.raises(ValueError, match="clip_norm must be a finite number > 0"):
        optim.Adam([np.zeros(1)], clip_norm=0.0)
    with pytest.raises(ValueError, match="clip_value must be a finite number > 0"):
        optim.Adam([np.zeros(1)], clip_value=-1.0)
    with pytest.raises(ValueError, match="nonfinite must be one of"):
        optim.Adam([np.zeros(1)], nonfinite="warn")
