"""The fused Adam kernels against the NumPy reference path, bit for bit.

Every test runs the same optimizer twice on the same random data: once on
parameters packed into one buffer (the flat fast path, one numba kernel call per
group) and once on separate arrays (the general path, ``adam_update`` per
array, the readable specification). Results must agree to the last bit, and
the fast path must be taken exactly when the layout allows it.
"""

from __future__ import annotations

import math
import subprocess
import sys

import numba
import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.kernels import PARALLEL_THRESHOLD
from adamlab.optim.layout import pack

DTYPES = [np.float32, np.float64]


def random_shapes(rng: np.random.Generator, total: int | None = None) -> list:
    shapes = [tuple(int(d) for d in rng.integers(1, 6, size=rng.integers(1, 4)))]
    shapes += [(int(rng.integers(1, 40)),) for _ in range(int(rng.integers(1, 5)))]
    if total is not None:
        shapes.append((total,))
    return shapes


def make_problem(seed: int, dtype, total: int | None = None):
    rng = np.random.default_rng(seed)
    shapes = random_shapes(rng, total)
    params = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grads = [
        [
            (rng.standard_normal(s) * 10.0 ** rng.integers(-4, 2)).astype(dtype)
            for s in shapes
        ]
        for _ in range(4)
    ]
    return params, grads


def run_pair(cls, params, grad_steps, **options):
    """Step a flat copy and a separate-arrays copy; return both optimizers."""
    _, flat = pack([p.copy() for p in params])
    separate = [p.copy() for p in params]
    gbuf, gflat = pack([g.copy() for g in grad_steps[0]])
    fast = cls(flat, **options)
    slow = cls(separate, **options)
    for grads in grad_steps:
        for view, g in zip(gflat, grads):
            view[...] = g
        fast.step(gflat)
        slow.step([g.copy() for g in grads])
    return fast, slow, flat, separate


def assert_same_bits(fast, slow, flat, separate):
    for a, b in zip(flat, separate):
        np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))
    for i, entry in slow.state.items():
        other = fast.state[i]
        assert set(entry) == set(other)
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(
                    value.view(np.uint8), other[key].view(np.uint8), err_msg=key
                )
            else:
                assert other[key] == value, key


CASES = [
    {},
    {"maximize": True},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "maximize": True, "amsgrad": True},
    {"weight_decay": 0.05, "decoupled_weight_decay": True},
    {"amsgrad": True, "betas": (0.8, 0.99)},
    {"amsgrad": True, "amsgrad_mode": "corrected"},
    {"eps_mode": "hat", "amsgrad": True},
    {"eps_root": 1e-6},
    {
        "weight_decay": 0.3,
        "decoupled_weight_decay": True,
        "weight_decay_scale": "schedule",
    },
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_fused_adam_bit_identical(dtype, case):
    params, grads = make_problem(100 + case, dtype)
    options = {"lr": 0.01, **CASES[case]}
    fast, slow, flat, separate = run_pair(optim.Adam, params, grads, **options)
    assert fast.fused_group_steps == len(grads)
    assert slow.fused_group_steps == 0
    assert_same_bits(fast, slow, flat, separate)


@pytest.mark.parametrize("cls", [optim.AdamW, optim.AMSGrad])
@pytest.mark.parametrize("dtype", DTYPES)
def test_fused_variants_bit_identical(cls, dtype):
    params, grads = make_problem(7, dtype)
    fast, slow, flat, separate = run_pair(cls, params, grads, lr=0.003)
    assert fast.fused_group_steps == len(grads)
    assert_same_bits(fast, slow, flat, separate)


@pytest.mark.parametrize("dtype", DTYPES)
def test_parallel_kernel_bit_identical(dtype):
    # One array above the threshold takes the parallel kernel, blocks included.
    params, grads = make_problem(3, dtype, total=PARALLEL_THRESHOLD + 12_345)
    options = {"lr": 0.02, "amsgrad": True, "weight_decay": 0.01}
    fast, slow, flat, separate = run_pair(optim.Adam, params, grads[:2], **options)
    assert fast.fused_group_steps == 2
    assert_same_bits(fast, slow, flat, separate)


def test_parallel_result_independent_of_thread_count():
    params, grads = make_problem(5, np.float32, total=PARALLEL_THRESHOLD * 3)
    before = numba.get_num_threads()
    results = []
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            fast, _, flat, _ = run_pair(optim.Adam, params, grads[:2], lr=0.01)
            results.append(np.concatenate([a.ravel() for a in flat]))
    finally:
        numba.set_num_threads(before)
    for other in results[1:]:
        np.testing.assert_array_equal(results[0].view(np.uint8), other.view(np.uint8))


def test_fast_path_not_taken_for_separate_arrays_or_missing_grads():
    params, grads = make_problem(11, np.float32)
    _, flat = pack([p.copy() for p in params])
    _, gflat = pack(grads[0])
    opt = optim.Adam(flat, lr=0.01)
    opt.step([g.copy() for g in grads[0]])  # gradients not in one buffer
    assert opt.fused_group_steps == 0
    with_none = list(gflat)
    with_none[0] = None
    opt.step(with_none)  # a missing gradient: the general path
    assert opt.fused_group_steps == 0
    opt.step(gflat)  # step counts now differ: still the general path
    assert opt.fused_group_steps == 0
    assert [opt.state[i]["step"] for i in range(len(params))] == [2] + [3] * (
        len(params) - 1
    )


def test_float16_takes_general_path():
    params, grads = make_problem(13, np.float16)
    _, flat = pack(params)
    _, gflat = pack(grads[0])
    opt = optim.Adam(flat, lr=0.01)
    opt.step(gflat)
    assert opt.fused_group_steps == 0


def test_steps_and_products_advance_on_fast_path():
    params, grads = make_problem(17, np.float64)
    fast, slow, _, _ = run_pair(optim.Adam, params, grads, betas=(0.7, 0.9))
    for i in slow.state:
        assert fast.state[i]["step"] == len(grads)
        assert fast.state[i]["beta1_product"] == slow.state[i]["beta1_product"]


def test_mixed_groups_and_clipping_match_reference():
    params, grads = make_problem(19, np.float32)
    half = len(params) // 2 or 1

    def groups(arrays):
        return [
            {"params": arrays[:half], "lr": 0.01},
            {"params": arrays[half:], "lr": 0.002, "weight_decay": 0.1},
        ]

    _, flat_a = pack([p.copy() for p in params[:half]])
    _, flat_b = pack([p.copy() for p in params[half:]])
    flat = flat_a + flat_b
    separate = [p.copy() for p in params]
    options = {"clip_norm": 0.5, "clip_value": 0.3}
    fast = optim.Adam(groups(flat), **options)
    slow = optim.Adam(groups(separate), **options)
    _, ga = pack([g for g in grads[0][:half]])
    _, gb = pack([g for g in grads[0][half:]])
    gflat = ga + gb
    for step_grads in grads:
        for view, g in zip(gflat, step_grads):
            view[...] = g
        fast.step(gflat)
        slow.step([g.copy() for g in step_grads])
    assert fast.fused_group_steps == 2 * len(grads)
    assert_same_bits(fast, slow, flat, separate)


def test_load_state_dict_continues_on_fast_path():
    params, grads = make_problem(23, np.float32)
    fast, slow, flat, separate = run_pair(optim.Adam, params, grads[:2], lr=0.01)
    saved = slow.state_dict()
    _, again = pack([p.copy() for p in separate])
    resumed = optim.Adam(again, lr=0.01)
    resumed.load_state_dict(saved)
    _, gflat = pack(grads[2])
    resumed.step(gflat)
    slow.step([g.copy() for g in grads[2]])
    assert resumed.fused_group_steps == 1
    assert_same_bits(resumed, slow, again, separate)


def test_subclass_with_own_update_declines_fast_path():
    class Halved(optim.Adam):
        def _update(self, param, grad, state, group):
            super()._update(param, grad * param.dtype.type(0.5), state, group)

    params, grads = make_problem(29, np.float32)
    _, flat = pack([p.copy() for p in params])
    _, gflat = pack(grads[0])
    opt = Halved(flat, lr=0.01)
    opt.step(gflat)
    assert opt.fused_group_steps == 0


def test_unknown_group_option_declines_fast_path():
    params, grads = make_problem(31, np.float32)
    _, flat = pack([p.copy() for p in params])
    _, gflat = pack(grads[0])
    opt = optim.Adam(flat, lr=0.01)
    opt.param_groups[0]["someone_elses_switch"] = 1
    opt.step(gflat)
    assert opt.fused_group_steps == 0


def test_importing_optim_does_not_import_numba():
    code = "import sys, adamlab.optim; print('numba' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


def test_fresh_gradient_list_each_step_keeps_fast_path():
    params, grads = make_problem(37, np.float64)
    fast, slow, flat, separate = run_pair(optim.Adam, params, grads[:1], lr=0.01)
    _, gflat = pack(grads[1])
    fast.step(list(gflat))  # a new list object holding the same arrays
    fast.step(tuple(gflat))
    slow.step([g.copy() for g in grads[1]])
    slow.step([g.copy() for g in grads[1]])
    assert fast.fused_group_steps == 3
    assert_same_bits(fast, slow, flat, separate)


def test_global_norm_independent_of_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    rng = np.random.default_rng(41)
    arrays = [rng.standard_normal(n) for n in (70_000, 200_003, 5)]
    norms = []
    for threads in (1, 2, 4):
        with threadpoolctl.threadpool_limits(threads):
            norms.append(optim.global_norm(arrays))
    assert norms[0] == norms[1] == norms[2]
    exact = math.sqrt(math.fsum(float(x) ** 2 for a in arrays for x in a))
    assert norms[0] == pytest.approx(exact, rel=1e-13)
