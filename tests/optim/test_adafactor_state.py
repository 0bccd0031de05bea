"""Adafactor's bookkeeping: settings that contradict, saving, memory, diagnostics."""

import json

import numpy as np
import pytest

from adamlab.optim import Adafactor, Adam

SHAPES = [(6,), (4, 5), (2, 3, 4), ()]


def make_params(seed=0):
    rng = np.random.default_rng(seed)
    return [np.asarray(rng.standard_normal(s)) for s in SHAPES]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lr": 1e-2, "lr_mode": "relative"}, "conflicts with lr_mode='relative'"),
        ({"lr_mode": "external"}, "needs an lr"),
        ({"lr": 1e-2, "relative_step_warmup": True}, "relative_step_warmup=True"),
        (
            {"preset": "torch", "relative_step_warmup": True},
            "relative_step_warmup=True needs lr_mode='relative'",
        ),
        ({"weight_decay_scale": "lr"}, "weight_decay_scale='lr' conflicts"),
        ({"preset": "keras"}, "preset must be one of"),
        ({"lr_mode": "fixed", "lr": 1.0}, "lr_mode must be one of"),
        ({"decay_rate": 0.5}, "decay_rate must be a finite number <= 0"),
        ({"beta1": 1.0}, r"beta1 must be in \[0, 1\)"),
        ({"clip_threshold": 0.0}, "clip_threshold must be"),
        ({"eps1": "tiny"}, "eps1 must be a number >= 0 or 'machine'"),
        ({"eps1_mode": "inside"}, "eps1_mode must be one of"),
        ({"factor_dims": "first_two"}, "factor_dims must be one of"),
        ({"lr": -1.0}, "lr must be a finite number >= 0"),
    ],
)
def test_bad_settings_raise(options, message):
    with pytest.raises(ValueError, match=message):
        Adafactor(make_params(), **options)


def test_bad_types_raise():
    with pytest.raises(TypeError, match="decay_offset must be an integer"):
        Adafactor(make_params(), decay_offset=1.5)
    with pytest.raises(TypeError, match="scale_parameter must be True or False"):
        Adafactor(make_params(), scale_parameter=1)


def test_group_lr_in_relative_mode_raises_and_names_the_fix():
    params = make_params()
    with pytest.raises(ValueError, match="lr_mode to 'capped' or 'external'"):
        Adafactor([{"params": params[:2]}, {"params": params[2:], "lr": 1e-3}])
    opt = Adafactor(
        [
            {"params": params[:2]},
            {"params": params[2:], "lr": 1e-3, "lr_mode": "external"},
        ]
    )
    assert [g["lr_mode"] for g in opt.param_groups] == ["relative", "external"]


def test_lr_set_mid_run_in_relative_mode_raises_before_any_change():
    params = make_params()
    before = [p.copy() for p in params]
    opt = Adafactor(params)
    opt.param_groups[0]["lr"] = 0.1
    with pytest.raises(ValueError, match="conflicts with lr_mode='relative'"):
        opt.step([np.ones_like(p) for p in params])
    for p, b in zip(params, before):
        assert np.array_equal(p, b)


def test_shape_options_fixed_after_construction():
    params = make_params()
    opt = Adafactor(params)
    opt.param_groups[0]["beta1"] = 0.9
    with pytest.raises(ValueError, match="fix the state's shapes"):
        opt.step([np.ones_like(p) for p in params])


def test_lr_mode_inference():
    assert Adafactor(make_params()).param_groups[0]["lr"] is None
    group = Adafactor(make_params(), lr=1e-3).param_groups[0]
    assert (group["lr_mode"], group["lr"]) == ("external", 1e-3)
    group = Adafactor.torch_preset(make_params()).param_groups[0]
    assert (group["lr_mode"], group["lr"], group["eps1"]) == ("capped", 1e-2, "machine")
    group = Adafactor.torch_preset(make_params(), lr_mode="external").param_groups[0]
    assert (group["lr_mode"], group["lr"]) == ("external", 1e-2)


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"beta1": 0.9, "weight_decay": 0.01},
        {"preset": "torch", "weight_decay": 0.1},
    ],
)
def test_state_dict_round_trip_is_bit_identical(options):
    rng = np.random.default_rng(3)
    params = make_params()
    opt = Adafactor(params, **options)
    for _ in range(10):
        opt.step([np.asarray(rng.standard_normal(p.shape)) for p in params])
    saved = opt.state_dict()
    json.dumps(saved["param_groups"])  # numbers, strings, None only
    twin_params = [p.copy() for p in params]
    twin = Adafactor(twin_params, **options)
    twin.load_state_dict(saved)
    for _ in range(10):
        grads = [np.asarray(rng.standard_normal(p.shape)) for p in params]
        opt.step(grads)
        twin.step([g.copy() for g in grads])
    for a, b in zip(params, twin_params):
        assert a.tobytes() == b.tobytes()
    for i in opt.state:
        for key, value in opt.state[i].items():
            other = twin.state[i][key]
            if isinstance(value, np.ndarray):
                assert value.tobytes() == other.tobytes()
            else:
                assert value == other


def test_state_for_1024_square_is_under_one_percent_of_adam():
    w = np.zeros((1024, 1024), dtype=np.float32)
    ours, adam = Adafactor([w]).state_bytes(), Adam([w.copy()]).state_bytes()
    assert ours == (1024 + 1024) * 4
    assert adam == 2 * 1024 * 1024 * 4
    assert ours <= 0.01 * adam
    with_momentum = Adafactor([w.copy()], beta1=0.9).state_bytes()
    assert with_momentum == ours + 1024 * 1024 * 4


def test_float16_parameters_keep_float32_state():
    w = np.ones((4, 3), dtype=np.float16)
    opt = Adafactor([w])
    opt.step([np.full((4, 3), 0.5, dtype=np.float16)])
    assert opt.state[0]["exp_avg_sq_row"].dtype == np.float32
    assert w.dtype == np.float16 and np.all(w < 1)


def test_diagnostics_effective_lr_reproduces_the_step():
    # Without momentum the step is effective_lr * g element by element.
    rng = np.random.default_rng(4)
    params = make_params()
    opt = Adafactor(params, weight_decay=0.0)
    for _ in range(3):
        opt.step([np.asarray(rng.standard_normal(p.shape)) for p in params])
    before = [p.copy() for p in params]
    grads = [np.asarray(rng.standard_normal(p.shape) * 5) for p in params]
    opt.step(grads)
    diag = opt.diagnostics()
    for name, p, b, g in zip(opt.param_names, params, before, grads):
        d = diag[name]
        assert d["step"] == 4 and d["relative_step"] == 1e-2
        assert d["effective_lr"].shape == p.shape
        np.testing.assert_allclose(b - p, d["effective_lr"] * g, rtol=1e-10, atol=1e-15)
        assert d["clip_rate"] >= 0.0


def test_diagnostics_before_any_step():
    opt = Adafactor(make_params())
    assert opt.diagnostics()["param0"] == {"step": 0}
