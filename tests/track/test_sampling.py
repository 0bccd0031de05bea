"""The stratified quantile sample: its rule, and that it favours no column."""

import numpy as np
import pytest

from adamlab.track.sampling import sample_indices

MASK = (1 << 64) - 1


def splitmix(i):
    z = (i + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


@pytest.mark.parametrize(("n", "limit"), [(10, 512), (513, 512), (9610, 512), (7, 3)])
def test_indices_follow_the_documented_rule(n, limit):
    expected = list(range(n))
    if n > limit:
        expected = []
        for i in range(limit):
            first = i * n // limit
            length = (i + 1) * n // limit - first
            expected.append(first + ((splitmix(i) >> 32) * length >> 32))
    assert sample_indices(n, limit).tolist() == expected


def test_sample_is_strictly_increasing_one_per_stratum():
    idx = sample_indices(100_003, 2048)
    assert idx.size == 2048 and np.all(np.diff(idx) > 0)
    assert idx[0] >= 0 and idx[-1] < 100_003


def test_sample_of_a_weight_matrix_reaches_every_column():
    # A stride of 8192 / 512 = 16 would see only columns 0, 16, ..., 112 of a
    # 64 x 128 matrix; the stratified sample sees nearly all of them, evenly.
    columns = sample_indices(64 * 128, 512) % 128
    counts = np.bincount(columns, minlength=128)
    assert (counts > 0).sum() >= 120
    assert counts.max() <= 12  # 4 per column on average
