"""The optimizer contract on Adam: groups, state, saving, validation, faults.

Expected values come from FAULTS.md (computed there in float64) or from the
update formula restated in the test.
"""

import json
import math
import warnings

import numpy as np
import pytest

from adamlab import optim


def test_first_step_restated():
    # Step 1: m = (1-b1) g, v = (1-b2) g^2, so the step is lr * g / (|g| + eps').
    g = np.array([1e-3, -2.0, 5.0])
    w = np.zeros(3)
    lr, eps = 0.01, 1e-8
    optim.Adam([w], lr=lr, eps=eps).step([g])
    expected = -lr * g / (np.abs(g) + eps)
    np.testing.assert_allclose(w, expected, rtol=1e-12)


def test_group_added_mid_training_gets_fresh_state():  # F07
    a = np.array([1.0])
    opt = optim.Adam([a], lr=0.1)
    for _ in range(3):
        opt.step([np.array([1.0])])
    b = np.array([0.0])
    opt.add_param_group({"params": [b]})
    opt.step([np.array([1.0]), np.array([-2.0])])
    assert a[0] == pytest.approx(0.600000004, abs=1e-9)
    assert b[0] == pytest.approx(0.0999999995, abs=1e-10)
    assert opt.state[1]["step"] == 1


def test_empty_group_does_not_break_stepping_or_saving():
    a = np.ones(2)
    opt = optim.Adam([a])
    opt.add_param_group({"params": []})
    opt.step([np.ones(2)])
    state = opt.state_dict()
    opt.load_state_dict(state)
    assert opt.state[0]["step"] == 1


def test_float16_state_stays_float32_through_load():  # F08
    p = np.zeros(1, dtype=np.float16)
    opt = optim.Adam([p], lr=1e-3)
    assert opt.state[0]["exp_avg"].dtype == np.float32
    saved = opt.state_dict()
    saved["state"][0].update(
        step=10**6,
        beta1_product=0.0,
        exp_avg=np.array([1e-6], np.float32),
        exp_avg_sq=np.array([1e-12], np.float32),
    )
    opt.load_state_dict(saved)
    opt.step([np.zeros(1, dtype=np.float16)])
    # Restated in float64: m = 0.9e-6, v = 0.999e-12, bias corrections ~ 1.
    m, v = 0.9 * 1e-6, 0.999 * 1e-12
    expected = -1e-3 * m / (math.sqrt(v) + 1e-8)
    assert expected == pytest.approx(-8.9153057e-4, rel=1e-6)
    assert float(p[0]) == pytest.approx(float(np.float16(expected)), rel=1e-3)


def test_float16_zero_gradient_leaves_parameter_unchanged():
    p = np.array([1.5, -2.25, 6e-5], dtype=np.float16)
    before = p.copy()
    opt = optim.Adam([p], lr=1e-3)
    for _ in range(3):
        opt.step([np.zeros(3, dtype=np.float16)])
    np.testing.assert_array_equal(p, before)


def test_hyperparameters_round_trip_exactly_through_json():  # F01
    betas = (0.9, 0.9999)
    opt = optim.Adam([np.zeros(2)], lr=3e-4, betas=betas, eps=1e-7)
    groups = json.loads(json.dumps(opt.state_dict()["param_groups"]))
    assert tuple(groups[0]["betas"]) == betas
    assert groups[0]["lr"] == 3e-4
    other = optim.Adam([np.zeros(2)])
    state = opt.state_dict()
    state["param_groups"] = groups
    other.load_state_dict(state)
    assert other.param_groups[0]["betas"] == betas
    assert other.param_groups[0]["betas"][1] != 0.99609375


@pytest.mark.parametrize("cls", [optim.Adam, optim.AdamW, optim.AMSGrad])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_state_dict_round_trip_continues_bit_for_bit(cls, dtype):
    rng = np.random.default_rng(0)
    shapes = [(4, 3), (3,)]
    grads = [[rng.standard_normal(s).astype(dtype) for s in shapes] for _ in range(20)]
    start = [rng.standard_normal(s).astype(dtype) for s in shapes]

    straight = [a.copy() for a in start]
    opt = cls(straight, lr=1e-2)
    for g in grads:
        opt.step(g)

    first = [a.copy() for a in start]
    opt1 = cls(first, lr=1e-2)
    for g in grads[:10]:
        opt1.step(g)
    saved = json.loads(json.dumps(_jsonable(opt1.state_dict())))
    resumed = [a.copy() for a in first]
    opt2 = cls(resumed, lr=1e-2)
    opt2.load_state_dict(_from_jsonable(saved, opt1.state_dict()))
    for g in grads[10:]:
        opt2.step(g)
    for a, b in zip(straight, resumed):
        np.testing.assert_array_equal(a, b)


def _jsonable(state):
    out = {"param_groups": state["param_groups"], "schedules": state["schedules"]}
    out["state"] = {
        str(i): {
            k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in e.items()
        }
        for i, e in state["state"].items()
    }
    out["counters"] = state["counters"]
    return out


def _from_jsonable(saved, like):
    state = {}
    for i, entry in saved["state"].items():
        ref = like["state"][int(i)]
        state[int(i)] = {
            k: (
                np.asarray(v, dtype=ref[k].dtype)
                if isinstance(ref[k], np.ndarray)
                else v
            )
            for k, v in entry.items()
        }
    return dict(saved, state=state)


def test_bias_corrections_finite_at_a_million_steps():
    p = np.ones(3)
    opt = optim.Adam([p], lr=1e-3)
    state = opt.state_dict()
    state["state"][0]["step"] = 10**6
    state["state"][0]["beta1_product"] = 0.9 ** (10**6)
    opt.load_state_dict(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step([np.full(3, 0.5)])
    assert np.all(np.isfinite(p))
    # With corrections ~1 and fresh moments: m = 0.05, v = 0.00025.
    expected = 1.0 - 1e-3 * 0.05 / (math.sqrt(0.00025) + 1e-8)
    np.testing.assert_allclose(p, expected, rtol=1e-12)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": -1.0}, r"lr must be a finite number >= 0, got -1\.0"),
        ({"eps": -1e-8}, r"eps must be a finite number >= 0"),
        ({"weight_decay": -0.1}, r"weight_decay must be a finite number >= 0"),
        ({"betas": (1.0, 0.999)}, r"beta1 must be in \[0, 1\), got 1\.0"),
        ({"betas": (0.9, -0.1)}, r"beta2 must be in \[0, 1\), got -0\.1"),
        ({"betas": (0.9,)}, r"betas must be a pair"),
        ({"lr": float("nan")}, r"lr must not be NaN"),
    ],
)
def test_bad_hyperparameters_name_the_value(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optim.Adam([np.zeros(2)], **kwargs)


def test_hyperparameters_are_checked_again_at_each_step():
    opt = optim.Adam([np.zeros(2)])
    opt.param_groups[0]["betas"] = (0.9, 1.5)
    with pytest.raises(ValueError, match=r"beta2 must be in \[0, 1\), got 1\.5"):
        opt.step([np.ones(2)])


def test_bad_gradients_name_which_one():
    opt = optim.Adam([("w", np.zeros((2, 3))), ("b", np.zeros(3))])
    with pytest.raises(
        ValueError, match=r"expected 2 gradients, one per parameter, got 1"
    ):
        opt.step([np.zeros((2, 3))])
    with pytest.raises(ValueError, match=r"gradient 1 \(b\) has shape \(4,\)"):
        opt.step([np.zeros((2, 3)), np.zeros(4)])
    with pytest.raises(ValueError, match=r"gradient 0 \(w\) has dtype float32"):
        opt.step([np.zeros((2, 3), np.float32), np.zeros(3)])


def test_bad_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        optim.Adam([])
    with pytest.raises(TypeError, match="wrap it in a list"):
        optim.Adam(np.zeros(3))
    with pytest.raises(TypeError, match="float16, float32 or float64"):
        optim.Adam([np.zeros(3, dtype=np.int64)])
    a = np.zeros(2)
    with pytest.raises(ValueError, match="more than one group"):
        optim.Adam([{"params": [a]}, {"params": [a]}])


def test_load_refuses_mismatch_naming_both_sides():
    opt = optim.Adam([np.zeros(3)])
    other = optim.Adam([np.zeros(4)])
    with pytest.raises(ValueError, match=r"expected shape \(4,\).*has shape \(3,\)"):
        other.load_state_dict(opt.state_dict())
    ams = optim.Adam([np.zeros(3)], amsgrad=True)
    with pytest.raises(ValueError, match="expected keys"):
        ams.load_state_dict(opt.state_dict())


def test_none_gradient_leaves_parameter_and_state_untouched():
    a, b = np.ones(2), np.ones(2)
    opt = optim.Adam([a, b], lr=0.1)
    opt.step([np.ones(2), None])
    np.testing.assert_array_equal(b, 1.0)
    assert opt.state[1]["step"] == 0
    assert not opt.state[1]["exp_avg"].any()


def test_adamw_zero_decay_equals_adam_and_decay_is_decoupled():
    rng = np.random.default_rng(1)
    g = [rng.standard_normal(5) for _ in range(5)]
    a, w = np.ones(5), np.ones(5)
    oa, ow = optim.Adam([a], lr=0.01), optim.AdamW([w], lr=0.01, weight_decay=0.0)
    for x in g:
        oa.step([x])
        ow.step([x])
    np.testing.assert_array_equal(a, w)
    # With zero gradients and fresh state, only the decay moves the parameter.
    p = np.full(3, 2.0)
    optim.AdamW([p], lr=0.1, weight_decay=0.5).step([np.zeros(3)])
    np.testing.assert_allclose(p, 2.0 * (1 - 0.1 * 0.5), rtol=1e-15)


def test_state_is_a_view_of_one_flat_buffer_per_group():
    buffer = np.zeros(10)
    w, b = buffer[:6].reshape(2, 3), buffer[6:]
    opt = optim.Adam([w, b])
    flat = opt.state[0]["exp_avg"].base
    assert flat is opt.state[1]["exp_avg"].base
    assert flat.shape == (10,)


def test_overlapping_views_are_refused_naming_both():
    buf = np.zeros(10)
    with pytest.raises(ValueError, match=r"'param0' and 'param1' share memory"):
        optim.Adam([buf[:3], buf[2:]])
    with pytest.raises(ValueError, match=r"'a' and 'b' share memory"):
        optim.Adam([{"params": [("a", buf[:5])]}, {"params": [("b", buf[4:6])]}])
    opt = optim.Adam([("w", buf[:5])])
    with pytest.raises(ValueError, match=r"'w' and 'v' share memory"):
        opt.add_param_group({"params": [("v", buf.reshape(2, 5)[:, 1])]})
    with pytest.raises(ValueError, match="same array"):
        optim.Adam([buf, buf])


def test_disjoint_views_of_one_buffer_are_accepted_and_updated_once():
    # Strided views whose byte ranges interleave but whose elements do not
    # overlap; adjacent slices; an empty view. Each element must move by the
    # hand-worked first Adam step, -lr * sign(g), exactly once.
    buf = np.zeros(12)
    views = [buf[:6:2], buf[1:6:2], buf[6:9], buf[9:], buf[3:3]]
    opt = optim.Adam(views, lr=0.1)
    opt.step([np.ones(v.shape) for v in views])
    np.testing.assert_allclose(buf, np.full(12, -0.1), rtol=1e-7)


def test_many_packed_parameters_pass_the_overlap_check():
    buf = np.zeros(500 * 20)
    views = [buf[i * 20 : (i + 1) * 20].reshape(4, 5) for i in range(500)]
    opt = optim.Adam(views)
    assert len(opt.param_groups[0]["params"]) == 500


def test_state_dict_of_another_class_is_refused():
    adam = optim.Adam([np.zeros(2)])
    adamw = optim.AdamW([np.zeros(2)])
    with pytest.raises(
        ValueError, match="state_dict is of Adam, this optimizer is AdamW"
    ):
        adamw.load_state_dict(adam.state_dict())
    # Written by hand, without the class name: accepted.
    state = adam.state_dict()
    del state["optimizer"]
    optim.Adam([np.zeros(2)]).load_state_dict(state)
