"""Property tests: random shapes, dtypes, hyperparameters and step counts
through every registered optimizer, checked against stated invariants.

Inputs are bounded as the references bound them: in float32 |g| < 1e18 (g**2
overflows above about 1.8e19) and, where a formula divides by |g|, |g| is
either 0 or above 1e-15 so that g**2 does not underflow.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from adamlab import safefile
from adamlab.optim.registry import OPTIMIZERS, make_optimizer

NAMES = sorted(OPTIMIZERS)
LIMIT = {np.float16: 1e4, np.float32: 1e18, np.float64: 1e18}


def grads_for(shape, dtype, steps, bound=None):
    bound = LIMIT[dtype] if bound is None else bound
    element = st.one_of(
        st.just(0.0),
        st.floats(1e-15, bound).flatmap(lambda v: st.sampled_from([v, -v])),
    )
    return st.lists(
        arrays(
            dtype, shape, elements=element.map(lambda v: float(np.dtype(dtype).type(v)))
        ),
        min_size=steps,
        max_size=steps,
    )


@st.composite
def problems(draw, dtypes=(np.float16, np.float32, np.float64)):
    dtype = draw(st.sampled_from(dtypes))
    shape = draw(array_shapes(min_dims=1, max_dims=3, max_side=4))
    steps = draw(st.integers(1, 6))
    p0 = draw(arrays(dtype, shape, elements=st.floats(-2, 2, width=16)))
    grads = draw(grads_for(shape, dtype, steps))
    lr = draw(st.floats(1e-6, 0.5))
    return dtype, p0, grads, lr


def arrays_of(opt):
    for entry in opt.state.values():
        for key, value in entry.items():
            if isinstance(value, np.ndarray):
                yield key, value


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=25)
@given(problem=problems())
def test_finite_input_keeps_state_finite(name, problem):
    dtype, p0, grads, lr = problem
    p = p0.copy()
    opt = (
        make_optimizer(name, [p], lr=lr)
        if "lr" in _keywords(name)
        else make_optimizer(name, [p])
    )
    for g in grads:
        opt.step([g])
        assert np.isfinite(p).all(), (name, dtype)
        for key, value in arrays_of(opt):
            assert np.isfinite(value).all(), (name, key)


def _keywords(name):
    from adamlab.optim.registry import accepted_keywords, optimizer_class

    return accepted_keywords(optimizer_class(name))


@settings(max_examples=60)
@given(
    dtype=st.sampled_from([np.float32, np.float64]),
    g=arrays(
        np.float64,
        array_shapes(max_dims=2, max_side=5),
        elements=st.one_of(
            st.just(0.0), st.floats(1e-15, 1e17), st.floats(-1e17, -1e-15)
        ),
    ),
    lr=st.floats(1e-6, 1.0),
    eps=st.sampled_from([1e-8, 1e-6, 1e-3, 0.5]),
    beta1=st.floats(0.0, 0.99),
    beta2=st.floats(0.5, 0.9999),
)
def test_adam_first_step_is_lr_g_over_abs_g_plus_eps(dtype, g, lr, eps, beta1, beta2):
    g = g.astype(dtype)
    p = np.zeros(g.shape, dtype)
    opt = make_optimizer("adam", [p], lr=lr, eps=eps, betas=(beta1, beta2))
    opt.step([g])
    g64 = g.astype(np.float64)
    expected = lr * np.abs(g64) / (np.abs(g64) + eps)
    ulp = np.finfo(dtype).eps
    np.testing.assert_allclose(
        np.abs(p.astype(np.float64)), expected, rtol=6 * ulp, atol=0
    )
    assert (np.sign(p) == -np.sign(g)).all()


@settings(max_examples=40)
@given(problem=problems(dtypes=(np.float32, np.float64)), beta2=st.floats(0.0, 0.999))
def test_amsgrad_running_max_never_decreases(problem, beta2):
    dtype, p0, grads, lr = problem
    opt = make_optimizer("amsgrad", [p0.copy()], lr=lr, betas=(0.9, beta2))
    previous = np.zeros(p0.shape)
    for g in grads + [np.zeros_like(g) for g in grads]:
        opt.step([g])
        current = opt.state[0]["max_exp_avg_sq"].astype(np.float64)
        assert (current >= previous).all()
        assert (current >= opt.state[0]["exp_avg_sq"]).all()
        previous = current


@pytest.mark.parametrize(
    "name", [n for n in ("adabound", "amsbound") if n in OPTIMIZERS]
)
@settings(max_examples=30)
@given(
    problem=problems(dtypes=(np.float64,)),
    final_lr=st.floats(1e-3, 1.0),
    gamma=st.floats(1e-4, 0.5),
    start=st.integers(0, 10**6),
)
def test_adabound_step_size_within_its_bounds(name, problem, final_lr, gamma, start):
    dtype, p0, grads, lr = problem
    opt = make_optimizer(name, [p0.copy()], lr=lr, final_lr=final_lr, gamma=gamma)
    if start:
        state = opt.state_dict()
        state["state"][0]["step"] = start
        opt.load_state_dict(state)
    for g in grads:
        opt.step([g])
        t = opt.state[0]["step"]
        # F04: the bounds follow lr / initial_lr, here 1.
        lower = final_lr * (1 - 1 / (gamma * t + 1))
        upper = final_lr * (1 + 1 / (gamma * t))
        eta = next(iter(opt.diagnostics().values()))["effective_lr"]
        assert (eta >= lower * (1 - 1e-12)).all() and (eta <= upper * (1 + 1e-12)).all()


@settings(max_examples=40)
@given(
    g=st.lists(
        arrays(
            np.float64,
            (3, 2),
            elements=st.one_of(st.floats(1e-3, 1e3), st.floats(-1e3, -1e-3)),
        ),
        min_size=1,
        max_size=5,
    ),
    scale=st.floats(1e-2, 1e2),
    amsgrad=st.booleans(),
)
def test_scaling_gradients_leaves_adam_update_unchanged(g, scale, amsgrad):
    eps = 1e-12  # its effect is below eps / (scale * min|g|) = 1e-7 relative
    a, b = np.zeros((3, 2)), np.zeros((3, 2))
    opt_a = make_optimizer("adam", [a], lr=1e-2, eps=eps, amsgrad=amsgrad)
    opt_b = make_optimizer("adam", [b], lr=1e-2, eps=eps, amsgrad=amsgrad)
    for grad in g:
        opt_a.step([grad])
        opt_b.step([grad * scale])
    np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-14)


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=10)
@given(problem=problems(), extra=st.integers(1, 3))
def test_state_round_trip_continues_bit_for_bit(name, problem, extra):
    dtype, p0, grads, lr = problem
    a, b = p0.copy(), p0.copy()
    opt_a = make_optimizer(name, [a])
    for g in grads:
        opt_a.step([g])
    saved = safefile.loads(safefile.dumps(opt_a.state_dict(), kind="state"))
    opt_b = make_optimizer(name, [b])
    b[...] = a
    opt_b.load_state_dict(saved)
    for g in grads[:extra]:
        opt_a.step([g])
        opt_b.step([g])
    assert a.tobytes() == b.tobytes()
    for (key, x), (_, y) in zip(arrays_of(opt_a), arrays_of(opt_b)):
        assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), key


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_adafactor_sparse_gradient_in_float32(dtype):
    # Rows and columns of zero gradient hold ~eps1 = 1e-30 in the factors; their
    # product underflows in float32, so the root must be taken per factor.
    p = np.zeros((2, 3, 4), dtype)
    opt = make_optimizer("adafactor", [p])
    g = np.zeros((2, 3, 4), dtype)
    g[1, 2, 3] = 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step([g])
    assert np.isfinite(p).all()
    # Zero-gradient elements stay put; the one nonzero element moves down.
    assert (p.reshape(-1)[:-1] == 0).all() and p[1, 2, 3] < 0
