"""Adam's effective learning rate is the factor its update applied to m."""

import numpy as np
import pytest

from adamlab.optim import Adam
from adamlab.optim.layout import pack

CONVENTIONS = [
    {},
    {"amsgrad": True},
    {"eps_mode": "hat"},
    {"eps_root": 1e-10},
    {"amsgrad": True, "amsgrad_mode": "corrected"},
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("options", CONVENTIONS)
@pytest.mark.parametrize("flat", [True, False])
def test_effective_lr_times_m_is_the_step_taken(options, flat, dtype):
    rng = np.random.default_rng(1)
    arrays = [rng.normal(size=(5, 7)).astype(dtype), rng.normal(size=9).astype(dtype)]
    if flat:
        _, arrays = pack(arrays)
    opt = Adam(arrays, lr=3e-2, betas=(0.8, 0.95), eps=1e-3, **options)
    assert all(e["effective_lr"].max() == 0 for e in opt.diagnostics().values())
    for _ in range(4):
        before = [a.astype(np.float64) for a in arrays]
        opt.step([rng.normal(size=a.shape).astype(dtype) for a in arrays])
    diagnostics = opt.diagnostics()
    for i, (name, array) in enumerate(zip(opt.param_names, arrays)):
        taken = before[i] - array.astype(np.float64)
        m = opt.state[i]["exp_avg"].astype(np.float64)
        effective = diagnostics[name]["effective_lr"]
        assert effective.shape == array.shape and effective.dtype == dtype
        # In float32 the difference of two parameters near 1 keeps only the
        # parameters' absolute precision.
        rtol, atol = (1e-12, 1e-15) if dtype == np.float64 else (2e-5, 8e-7)
        np.testing.assert_allclose(taken, m * effective, rtol=rtol, atol=atol)


@pytest.mark.parametrize("options", CONVENTIONS)
def test_flat_diagnostics_at_positions_are_diagnostics_there(options):
    rng = np.random.default_rng(2)
    _, arrays = pack([rng.normal(size=(6, 5)), rng.normal(size=5)])
    opt = Adam(arrays, lr=1e-2, **options)
    at = np.array([34, 0, 7, 29, 30, 7])
    assert opt.flat_diagnostics(at)[0]["effective_lr"].tolist() == [0.0] * 6
    for _ in range(3):
        opt.step([rng.normal(size=a.shape) for a in arrays])
    whole = np.concatenate(
        [e["effective_lr"].ravel() for e in opt.diagnostics().values()]
    )
    (group,) = opt.flat_diagnostics(at)
    np.testing.assert_array_equal(group["effective_lr"], whole[at])
    assert group["bias_correction1"] == opt.diagnostics()["param0"]["bias_correction1"]


def test_flat_signal_sources_describe_the_effective_lr_with_python_floats():
    rng = np.random.default_rng(3)
    _, arrays = pack([rng.normal(size=(4, 3)), rng.normal(size=3)])
    opt = Adam(arrays, lr=0.01, betas=(0.8, 0.95), eps=1e-3)
    assert opt.flat_signal_sources() is None  # before the first step
    for _ in range(3):
        opt.step([rng.normal(size=a.shape) for a in arrays])
    # State scalars of NumPy types (as a checkpoint may load them): the
    # sources still hold Python floats (the tracker checks their types once
    # for a layout).
    for state in opt.state.values():
        state["beta1_product"] = np.float64(state["beta1_product"])
        state["step"] = np.int64(state["step"])
    values = opt.flat_signal_sources()
    assert len(values) == len(opt.flat_signal_keys)
    source, bc1, bc2 = values
    v, scale, inverse, eps = source
    assert [type(x) for x in (scale, inverse, eps, bc1, bc2)] == [float] * 5
    assert bc1 == pytest.approx(1 - 0.8**3, rel=1e-15)
    assert bc2 == pytest.approx(1 - 0.95**3, rel=1e-15)
    assert scale == pytest.approx(0.01 / (1 - 0.8**3), rel=1e-15)
    assert inverse == pytest.approx((1 - 0.95**3) ** -0.5, rel=1e-15)
    assert eps == 1e-3
    second = np.concatenate([s["exp_avg_sq"].ravel() for s in opt.state.values()])
    np.testing.assert_array_equal(v, second)
    # Another denominator form has no such description.
    for options in ({"eps_mode": "hat"}, {"eps_root": 1e-10}):
        other = Adam(arrays, lr=0.01, **options)
        other.step([rng.normal(size=a.shape) for a in arrays])
        assert other.flat_signal_sources() is None
