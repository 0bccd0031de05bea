"""Adam's effective-lr kernel against the NumPy expression it replaces."""

import math

import numpy as np
import pytest

from adamlab.optim.kernels.effective_lr import effective_lr


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [0, 1, 1000, 150_000])
def test_bit_identical_to_numpy(dtype, size):
    rng = np.random.default_rng(size)
    v = (rng.lognormal(-8, 3, size=size)).astype(dtype)
    v[: size // 10] = 0.0
    scale, bc2, eps = 1e-3 / (1 - 0.9**7), 1 - 0.999**7, 1e-8
    cast = np.dtype(dtype).type
    with np.errstate(divide="ignore"):
        denom = np.sqrt(v) * cast(1 / math.sqrt(bc2)) + cast(eps)
        expected = cast(scale) / denom
    got = effective_lr(v, scale, 1 / math.sqrt(bc2), eps)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))


def test_zero_denominator_gives_inf():
    got = effective_lr(np.zeros(3), 1e-3, 1.0, 0.0)
    assert np.isposinf(got).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_at_positions_equals_gathering_first(dtype):
    rng = np.random.default_rng(3)
    v = rng.lognormal(-6, 2, size=5000).astype(dtype)
    at = rng.integers(0, v.size, size=700)
    got = effective_lr(v, 2e-3, 1.7, 1e-8, at)
    expected = effective_lr(v[at], 2e-3, 1.7, 1e-8)
    np.testing.assert_array_equal(got.view(np.uint8), expected.view(np.uint8))
