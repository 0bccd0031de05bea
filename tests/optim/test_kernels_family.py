"""Fused NAdam, RAdam, Adamax and AdaBound kernels against their NumPy references.

As in ``test_kernels_adam.py``: the same random problem runs on a packed
buffer (one kernel call per step) and on separate arrays (the reference
function per array); parameters and state must agree bit for bit, on the
serial kernel and on the parallel one.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_kernels_adam import assert_same_bits, make_problem, run_pair

from adamlab.optim.adabound import AdaBound, AdaBoundW, AMSBound
from adamlab.optim.adamax import Adamax
from adamlab.optim.kernels import PARALLEL_THRESHOLD
from adamlab.optim.nadam import NAdam
from adamlab.optim.radam import RAdam

CASES = [
    (NAdam, {}),
    (NAdam, {"weight_decay": 0.1, "maximize": True}),
    (NAdam, {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    (RAdam, {}),
    # beta2 = 0.9: rho_t passes the threshold at step 6, so both branches run.
    (RAdam, {"weight_decay": 0.1, "betas": (0.9, 0.9)}),
    (
        RAdam,
        {
            "weight_decay": 0.1,
            "decoupled_weight_decay": True,
            "maximize": True,
            "betas": (0.8, 0.9),
        },
    ),
    (Adamax, {}),
    (Adamax, {"weight_decay": 0.1, "maximize": True}),
    (AdaBound, {}),
    (AdaBound, {"final_lr": 1e-4, "gamma": 0.1}),
    (AMSBound, {"weight_decay": 0.1}),
    (AdaBoundW, {"weight_decay": 0.1, "maximize": True, "variant": "paper"}),
]


def repeat_grads(grads, times):
    return [grads[i % len(grads)] for i in range(times)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fused_family_bit_identical(case, dtype):
    cls, options = CASES[case]
    params, grads = make_problem(200 + case, dtype)
    grads = repeat_grads(grads, 8)
    fast, slow, flat, separate = run_pair(cls, params, grads, lr=0.01, **options)
    assert fast.fused_group_steps == len(grads)
    assert slow.fused_group_steps == 0
    assert_same_bits(fast, slow, flat, separate)


@pytest.mark.parametrize("cls", [NAdam, RAdam, Adamax, AMSBound])
def test_fused_family_parallel_kernel(cls):
    params, grads = make_problem(300, np.float32, total=PARALLEL_THRESHOLD + 777)
    fast, slow, flat, separate = run_pair(cls, params, grads[:2], lr=0.01)
    assert fast.fused_group_steps == 2
    assert_same_bits(fast, slow, flat, separate)
