"""Gradient accumulation equals one step on the large batch (linear least
squares with NumPy gradients), and the Accumulator's bookkeeping."""

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.accumulate import Accumulator
from adamlab.optim.layout import pack


def lsq_grads(w, b, x, y):
    """Gradient of mean((x w + b - y)^2) / 2 over the rows of x."""
    r = x @ w + b - y  # (n,)
    return [x.T @ r / len(y), np.array([r.mean()])]


@pytest.mark.parametrize("sizes", [[8, 8, 8, 8], [5, 11, 16]])
def test_equals_large_batch(sizes):
    rng = np.random.default_rng(0)
    n = sum(sizes)
    x = rng.standard_normal((n, 4))
    y = x @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * rng.standard_normal(n)
    _, (w1, b1) = pack([np.zeros(4), np.zeros(1)])
    _, (w2, b2) = pack([np.zeros(4), np.zeros(1)])
    big = optim.Adam([w1, b1], lr=0.05, weight_decay=0.01)
    micro = optim.Adam([w2, b2], lr=0.05, weight_decay=0.01)
    acc = Accumulator(micro, len(sizes))
    bounds = np.cumsum([0, *sizes])
    for _ in range(25):
        big.step(lsq_grads(w1, b1, x, y))
        taken = []
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            taken.append(acc.add(lsq_grads(w2, b2, x[lo:hi], y[lo:hi]), hi - lo))
        assert taken == [False] * (len(sizes) - 1) + [True]
    np.testing.assert_allclose(w2, w1, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(b2, b1, rtol=1e-12, atol=1e-14)
    assert micro.completed_steps == big.completed_steps == 25


def test_flush_none_and_nonfinite():
    w, v = np.zeros(2), np.zeros(2)
    opt = optim.Adam([w, v], lr=0.1, nonfinite="skip")
    acc = Accumulator(opt, 3)
    assert acc.flush() is False  # nothing added
    acc.add([np.array([2.0, 0.0]), None])
    assert acc.flush() is True  # a partial window steps with its mean
    assert opt.state[1]["step"] == 0  # never had a gradient: skipped
    np.testing.assert_allclose(opt.state[0]["exp_avg"], [0.2, 0.0])
    acc.add([np.array([np.nan, 0.0]), np.ones(2)])
    acc.add([np.ones(2), np.ones(2)])
    assert acc.add([np.ones(2), np.ones(2)]) is False  # skipped as non-finite
    assert opt.skipped_steps == 1 and acc.count == 0
    with pytest.raises(ValueError, match="steps must be an integer >= 1"):
        Accumulator(opt, 0)
    with pytest.raises(ValueError, match="expected 2 gradients"):
        acc.add([np.ones(2)])
