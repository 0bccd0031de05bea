"""AdaBound, AMSBound and AdaBoundW: against the authors' package and restatements.

- AdaBound and AMSBound match the authors' ``adabound`` package (0.0.5, on torch
  2.13) for 300 steps with an lr change at step 150: max |ours - ref| / max |ref|
  <= 1e-10 in float64, <= 1e-5 in float32. Gradients are scaled per element
  over three decades so that some step sizes sit at the lower bound, some at the
  upper and some between (checked through ``diagnostics``).
- AdaBoundW, which the package predates, and ``variant="paper"`` are checked
  against float64 restatements written here.
- FAULTS F04: the bounds follow a scheduled lr; a base lr of 0 is refused; an lr
  of 0 leaves the parameters exactly unchanged.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.adabound import adabound_bounds

torch = pytest.importorskip("torch")
adabound = pytest.importorskip("adabound")

# The package calls torch overloads that torch 2.13 deprecates.
IGNORE_PACKAGE_WARNINGS = pytest.mark.filterwarnings(
    "ignore:This overload of:UserWarning"
)

SHAPES = [(7,), (3, 5), (2, 3, 4), ()]
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def rel_err(ours, ref) -> float:
    ref = np.asarray(ref, dtype=np.float64)
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    return float(np.max(np.abs(np.asarray(ours, dtype=np.float64) - ref)) / scale)


def grad_stream(rng, shapes, dtype, steps):
    """Gradients whose scale differs per element by up to 1000x."""
    scales = [10.0 ** rng.uniform(-2.0, 1.0, size=s) for s in shapes]
    for _ in range(steps):
        yield [
            np.asarray(rng.standard_normal(s) * c, dtype=dtype)
            for s, c in zip(shapes, scales)
        ]


# ---------------------------------------------------------- vs the package

SETTINGS = {"lr": 1e-2, "final_lr": 0.05, "gamma": 1e-2}
SCENARIOS = {
    "lr_change": {},
    "l2": {"weight_decay": 0.05},
    "groups": {"split": True},
    "defaults": {"defaults": True},
}


def run_vs_package(amsbound, dtype, scenario, steps=300, lr_change=150):
    rng = np.random.default_rng(7 + int(amsbound) + 10 * len(scenario))
    options = dict(SCENARIOS[scenario])
    kwargs = {} if options.pop("defaults", False) else dict(SETTINGS)
    kwargs.update(options)
    split = kwargs.pop("split", False)
    arrays = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    if split:
        ours = optim.AdaBound(
            [{"params": arrays[:2]}, {"params": arrays[2:], "lr": 3e-3}],
            amsbound=amsbound,
            **kwargs,
        )
        ref = adabound.AdaBound(
            [{"params": tensors[:2]}, {"params": tensors[2:], "lr": 3e-3}],
            amsbound=amsbound,
            **kwargs,
        )
    else:
        ours = optim.AdaBound(arrays, amsbound=amsbound, **kwargs)
        ref = adabound.AdaBound(tensors, amsbound=amsbound, **kwargs)
    fractions = []
    for step, grads in enumerate(grad_stream(rng, SHAPES, dtype, steps)):
        if step == lr_change:
            for group in ours.param_groups + ref.param_groups:
                group["lr"] *= 0.1
        ours.step(grads)
        for t, g in zip(tensors, grads):
            t.grad = torch.tensor(g)
        ref.step()
        if step % 50 == 49:
            diag = ours.diagnostics()
            fractions.append(
                (
                    sum(d["lower_fraction"] for d in diag.values()),
                    sum(d["upper_fraction"] for d in diag.values()),
                )
            )
    for a, t in zip(arrays, tensors):
        assert rel_err(a, t.detach().numpy()) <= TOL[dtype], scenario
    return fractions


@IGNORE_PACKAGE_WARNINGS
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
@pytest.mark.parametrize("amsbound", [False, True], ids=["adabound", "amsbound"])
def test_matches_authors_package(amsbound, scenario, dtype):
    fractions = run_vs_package(amsbound, dtype, scenario)
    if scenario == "lr_change":
        # The comparison covered clipping at both bounds.
        assert any(lower > 0 for lower, _ in fractions)
        assert any(upper > 0 for _, upper in fractions)


@IGNORE_PACKAGE_WARNINGS
def test_amsbound_class_equals_flag():
    rng = np.random.default_rng(3)
    a = [rng.standard_normal(5)]
    b = [a[0].copy()]
    t = [torch.tensor(a[0].copy(), requires_grad=True)]
    one = optim.AMSBound(a, lr=1e-2)
    two = optim.AdaBound(b, lr=1e-2, amsbound=True)
    ref = adabound.AdaBound(t, lr=1e-2, amsbound=True)
    for (g,) in grad_stream(rng, [(5,)], np.float64, 50):
        one.step([g])
        two.step([g])
        t[0].grad = torch.tensor(g)
        ref.step()
    np.testing.assert_array_equal(a[0], b[0])
    assert rel_err(a[0], t[0].detach().numpy()) <= 1e-12
    assert "max_exp_avg_sq" in one.state[0]


# ------------------------------------------------- float64 restatements


def restated(theta, grads_seq, lrs, *, variant, decoupled, wd, ams, final_lr, gamma):
    """AdaBound restated in float64 scalars-and-arrays form, one step at a time."""
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    theta = theta.astype(np.float64).copy()
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    vmax = np.zeros_like(theta)
    lr0 = lrs[0]
    for t, (g, lr) in enumerate(zip(grads_seq, lrs), start=1):
        g = g.astype(np.float64)
        if decoupled:
            theta = theta - wd * (lr / lr0) * theta
        else:
            g = g + wd * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        vmax = np.maximum(vmax, v)
        second = vmax if ams else v
        fl = final_lr * lr / lr0
        lo = fl * (1 - 1 / (gamma * t + 1))
        hi = fl * (1 + 1 / (gamma * t))
        if variant == "code":
            raw = (
                lr * math.sqrt(1 - beta2**t) / (1 - beta1**t) / (np.sqrt(second) + eps)
            )
            eta = np.clip(raw, lo, hi)
        else:
            eta = np.clip(lr / (np.sqrt(second) + eps), lo, hi) / math.sqrt(t)
        theta = theta - eta * m
    return theta


@pytest.mark.parametrize("ams", [False, True])
@pytest.mark.parametrize(
    "variant,decoupled,wd",
    [
        ("paper", False, 0.0),
        ("paper", False, 0.05),
        ("code", True, 1e-3),
        ("paper", True, 1e-3),
    ],
)
def test_matches_float64_restatement(variant, decoupled, wd, ams):
    rng = np.random.default_rng(11)
    shape = (4, 6)
    theta0 = rng.standard_normal(shape)
    grads = list(g for (g,) in grad_stream(rng, [shape], np.float64, 300))
    lrs = [1e-2] * 150 + [1e-3] * 150
    cls = optim.AdaBoundW if decoupled else optim.AdaBound
    x = theta0.copy()
    opt = cls(
        [x],
        lr=1e-2,
        final_lr=0.05,
        gamma=1e-2,
        weight_decay=wd,
        amsbound=ams,
        variant=variant,
    )
    for g, lr in zip(grads, lrs):
        opt.param_groups[0]["lr"] = lr
        opt.step([g])
    expected = restated(
        theta0,
        grads,
        lrs,
        variant=variant,
        decoupled=decoupled,
        wd=wd,
        ams=ams,
        final_lr=0.05,
        gamma=1e-2,
    )
    assert rel_err(x, expected) <= 1e-10


def test_adaboundw_constant_lr_is_the_pull_request_rule():
    """With a constant lr: theta <- theta - eta * m - weight_decay * theta (PR #14)."""
    rng = np.random.default_rng(5)
    theta = rng.standard_normal(8)
    x = theta.copy()
    wd = 2e-3
    opt = optim.AdaBoundW([x], lr=1e-2, weight_decay=wd)
    plain = theta.copy()
    ref = optim.AdaBound([plain], lr=1e-2)
    for (g,) in grad_stream(rng, [(8,)], np.float64, 100):
        before = plain.copy()
        ref.step([g])  # the AdaBound step with no decay, on the reference copy
        step = before - plain
        plain[...] = before - step - wd * before
        opt.step([g])
    assert rel_err(x, plain) <= 1e-12


def test_adaboundw_without_decay_is_adabound():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(6), None
    b = a.copy()
    one = optim.AdaBoundW([a], weight_decay=0.0)
    two = optim.AdaBound([b])
    for (g,) in grad_stream(rng, [(6,)], np.float64, 40):
        one.step([g])
        two.step([g])
    np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ F04


def test_f04_bounds_follow_scheduled_lr():
    x = np.zeros(1)
    opt = optim.AdaBound([x], lr=1e-3, final_lr=0.1, gamma=1e-3)
    g = [np.ones(1)]

    # t = 1: bounds [9.99001e-5, 100.1], the update 9.99999684e-4 is not clipped.
    opt.step(g)
    assert -x[0] == pytest.approx(9.99999684e-4, rel=1e-9)
    lower, upper = adabound_bounds(
        final_lr=0.1, lr=1e-3, initial_lr=1e-3, gamma=1e-3, step=1
    )
    assert lower == pytest.approx(9.99001e-5, rel=1e-6)
    assert upper == pytest.approx(100.1, rel=1e-12)
    assert opt.diagnostics()["param0"]["bound_fraction"] == 0.0

    for _ in range(998):
        opt.step(g)
    # A scheduler sets lr = 1e-4 from step 1000: bounds [0.005, 0.02].
    opt.param_groups[0]["lr"] = 1e-4
    before = x.copy()
    opt.step(g)
    assert opt.state[0]["step"] == 1000
    assert before[0] - x[0] == pytest.approx(0.005, rel=1e-12)  # not 0.05
    diag = opt.diagnostics()["param0"]
    assert diag["lower_bound"] == pytest.approx(0.005, rel=1e-12)
    assert diag["upper_bound"] == pytest.approx(0.02, rel=1e-12)
    assert diag["bound_fraction"] == 1.0
    assert diag["lower_fraction"] == 1.0
    assert diag["effective_lr"][0] == pytest.approx(0.005, rel=1e-12)


@pytest.mark.parametrize("cls", [optim.AdaBound, optim.AMSBound, optim.AdaBoundW])
def test_f04_base_lr_zero_is_refused(cls):
    with pytest.raises(ValueError, match=r"initial_lr .* is 0\.0"):
        cls([np.zeros(3)], lr=0.0)
    opt = cls([np.zeros(3)], lr=1e-3)
    with pytest.raises(ValueError, match="initial_lr"):
        opt.add_param_group({"params": [np.zeros(2)], "lr": 0.0})


@pytest.mark.parametrize("variant", ["code", "paper"])
@pytest.mark.parametrize(
    "cls,wd", [(optim.AdaBound, 0.1), (optim.AMSBound, 0.1), (optim.AdaBoundW, 0.1)]
)
def test_f04_scheduled_lr_zero_leaves_params_unchanged(cls, wd, variant):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 4))
    opt = cls([x], lr=1e-2, weight_decay=wd, variant=variant)
    stream = grad_stream(rng, [(3, 4)], np.float64, 20)
    for _ in range(10):
        opt.step(next(stream))
    opt.param_groups[0]["lr"] = 0.0
    frozen = x.copy()
    m_before = opt.state[0]["exp_avg"].copy()
    for _ in range(10):
        opt.step(next(stream))
    np.testing.assert_array_equal(x, frozen)
    assert not np.array_equal(opt.state[0]["exp_avg"], m_before)  # moments move


def test_warmup_from_zero_with_explicit_initial_lr():
    x = np.ones(3)
    opt = optim.AdaBound([{"params": [x], "lr": 0.0, "initial_lr": 1e-3}])
    opt.step([np.ones(3)])
    np.testing.assert_array_equal(x, np.ones(3))
    opt.param_groups[0]["lr"] = 1e-3
    opt.step([np.ones(3)])
    assert np.all(x < 1.0)


# ---------------------------------------------------- state and bookkeeping


@pytest.mark.parametrize(
    "cls,options",
    [
        (optim.AdaBound, {}),
        (optim.AMSBound, {}),
        (optim.AdaBoundW, {}),
        (optim.AdaBound, {"variant": "paper", "weight_decay": 0.01}),
    ],
)
def test_state_dict_round_trip_is_bit_identical(cls, options):
    rng = np.random.default_rng(9)
    shapes = [(5,), (2, 3)]
    a = [rng.standard_normal(s) for s in shapes]
    grads = list(grad_stream(rng, shapes, np.float64, 60))
    opt = cls(a, lr=1e-2, **options)
    for g in grads[:30]:
        opt.step(g)
    opt.param_groups[0]["lr"] = 4e-3  # a scheduled lr, with initial_lr kept
    saved = copy.deepcopy(opt.state_dict())
    assert saved["param_groups"][0]["initial_lr"] == 1e-2
    b = [p.copy() for p in a]
    other = cls(b, lr=0.5, **options)  # built with another base lr
    other.load_state_dict(saved)
    assert other.param_groups[0]["initial_lr"] == 1e-2
    for g in grads[30:]:
        opt.step(g)
        other.step(g)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)


def test_float16_params_step_in_float32():
    rng = np.random.default_rng(4)
    x16 = rng.standard_normal(10).astype(np.float16)
    x32 = x16.astype(np.float32)
    opt16 = optim.AdaBound([x16], lr=1e-2)
    opt32 = optim.AdaBound([x32], lr=1e-2)
    assert opt16.state[0]["exp_avg"].dtype == np.float32
    for _ in range(5):
        g = rng.standard_normal(10).astype(np.float16)
        opt16.step([g])
        opt32.step([g.astype(np.float32)])
        # Same float32 math, rounded to float16 after each step.
        x32[...] = x32.astype(np.float16)
        np.testing.assert_array_equal(x16, x32.astype(np.float16))


def test_diagnostics_effective_lr_is_the_applied_rate():
    rng = np.random.default_rng(6)
    x = rng.standard_normal(20)
    opt = optim.AdaBound([("w", x)], lr=1e-2, final_lr=0.05, gamma=1e-2)
    stream = grad_stream(rng, [(20,)], np.float64, 40)
    for _ in range(39):
        opt.step(next(stream))
    before = x.copy()
    opt.step(next(stream))
    diag = opt.diagnostics()["w"]
    applied = (before - x) / opt.state[0]["exp_avg"]
    np.testing.assert_allclose(diag["effective_lr"], applied, rtol=1e-9)
    assert diag["step"] == 40
    assert 0.0 <= diag["bound_fraction"] <= 1.0
    assert diag["bound_fraction"] == pytest.approx(
        diag["lower_fraction"] + diag["upper_fraction"]
    )
    fresh = optim.AdaBound([np.zeros(2)]).diagnostics()["param0"]
    assert fresh["bound_fraction"] == 0.0
    np.testing.assert_array_equal(fresh["effective_lr"], np.zeros(2))


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"gamma": 0.0}, ValueError, r"gamma must be in \(0, 1\), got 0\.0"),
        ({"gamma": 1.5}, ValueError, r"gamma must be in \(0, 1\), got 1\.5"),
        ({"final_lr": -0.1}, ValueError, r"final_lr must be a finite number >= 0"),
        ({"lr": -1.0}, ValueError, r"lr must be a finite number >= 0, got -1\.0"),
        ({"betas": (1.0, 0.999)}, ValueError, r"beta1 must be in \[0, 1\), got 1\.0"),
        ({"eps": -1e-8}, ValueError, r"eps must be a finite number >= 0"),
        ({"weight_decay": -1.0}, ValueError, r"weight_decay must be"),
        ({"variant": "keras"}, ValueError, r"variant must be one of 'code', 'paper'"),
        ({"amsbound": 1}, TypeError, r"amsbound must be True or False, got 1"),
        ({"gamma": "fast"}, TypeError, r"gamma must be a real number"),
    ],
)
def test_invalid_hyperparameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        optim.AdaBound([np.zeros(2)], **kwargs)


def test_invalid_value_set_later_is_caught_at_step():
    opt = optim.AdaBound([np.zeros(2)])
    opt.param_groups[0]["gamma"] = -1.0
    with pytest.raises(ValueError, match="gamma"):
        opt.step([np.ones(2)])
