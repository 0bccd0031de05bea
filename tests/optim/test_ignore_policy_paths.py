"""Under nonfinite="ignore" both paths let NaN and inf through, silently."""

import warnings

import numpy as np
import pytest

from adamlab.optim.layout import pack
from adamlab.optim.registry import make_optimizer

NAMES = ["adam", "adamw", "amsgrad", "nadam", "radam", "adamax", "adabound"]


@pytest.mark.parametrize("name", NAMES)
def test_separate_arrays_match_the_flat_path_without_warnings(name):
    rng = np.random.default_rng(4)
    values = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads = [rng.normal(size=(4, 3)), rng.normal(size=3)]
    grads[0][1, 2] = np.inf
    grads[1][0] = np.nan
    flat_params = pack([v.copy() for v in values])[1]
    separate = [v.copy() for v in values]
    fused = make_optimizer(name, flat_params, nonfinite="ignore")
    numpy_path = make_optimizer(name, separate, nonfinite="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(2):
            assert fused.step(pack(grads)[1])
            assert numpy_path.step([g.copy() for g in grads])
    assert fused.fused_group_steps == 2 and numpy_path.fused_group_steps == 0
    for a, b in zip(flat_params, separate):
        np.testing.assert_array_equal(a, b)  # NaN where NaN, inf where inf
