"""The optimizer's non-finite gradient check against ``np.isfinite``."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.clipping import all_finite
from adamlab.optim.kernels import PARALLEL_THRESHOLD
from adamlab.optim.kernels.finite import count_nonfinite


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [0, 1, 1000, PARALLEL_THRESHOLD + 12_345])
def test_count_matches_isfinite(dtype, size):
    rng = np.random.default_rng(size)
    a = rng.standard_normal(size).astype(dtype)
    assert count_nonfinite(a) == 0
    if size:
        where = rng.integers(0, size, 5)
        a[where] = [np.nan, np.inf, -np.inf, np.nan, np.inf]
        assert count_nonfinite(a) == int((~np.isfinite(a)).sum())


def test_all_finite_is_exact_where_a_sum_overflows():
    big = np.full(10, np.finfo(np.float32).max, dtype=np.float32)
    assert all_finite([big])
    assert not all_finite([big, np.array([0.0, np.nan])])
    # float16 and non-contiguous arrays take the NumPy path.
    assert all_finite([np.ones(4, np.float16), np.ones((4, 4))[:, 0]])
    assert not all_finite([np.array([1.0, np.inf], np.float16)])
    assert not all_finite([np.array([[1.0, 2.0], [np.nan, 0.0]])[:, 0]])


def test_skip_policy_still_skips_and_steps():
    p = np.ones(PARALLEL_THRESHOLD + 7, np.float32)
    opt = optim.Adam([p], lr=0.1, nonfinite="skip")
    g = np.ones_like(p)
    g[-1] = np.nan
    assert not opt.step([g])
    np.testing.assert_array_equal(p, 1.0)
    g[-1] = 1.0
    assert opt.step([g])
    assert np.all(p < 1.0)
