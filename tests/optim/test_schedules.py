"""Schedules: values against closed forms and torch.optim.lr_scheduler, state
round trips, composition, reduce-on-plateau on a scripted metric, the spec
parser and the multi-group rule."""

import math

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim import schedules as S

torch = pytest.importorskip("torch")


def values(schedule, n, base=1.0):
    return [schedule.at(t, base) for t in range(n)]


def test_closed_forms():
    b = 0.5
    w = S.LinearWarmup(4, start_factor=0.2)
    assert values(w, 6, b) == pytest.approx(
        [b * (0.2 + 0.8 * t / 4) for t in range(4)] + [b, b]
    )
    c = S.Cosine(total_steps=10, warmup_steps=2, min_lr=0.01)
    for t in range(14):
        if t < 2:
            want = b * t / 2
        else:
            p = min((t - 2) / 8, 1.0)
            want = 0.01 + (b - 0.01) * (1 + math.cos(math.pi * p)) / 2
        assert c.at(t, b) == pytest.approx(want, rel=1e-15)
    assert values(S.StepDecay(3, 0.5), 7, b) == pytest.approx(
        [b, b, b, b / 2, b / 2, b / 2, b / 4]
    )
    assert values(S.MultiStepDecay([2, 5], 0.1), 6, b) == pytest.approx(
        [b, b, b * 0.1, b * 0.1, b * 0.1, b * 0.01]
    )
    assert values(S.Exponential(0.9), 4, b) == pytest.approx(
        [b * 0.9**t for t in range(4)]
    )
    inv = S.InverseSqrt(warmup_steps=4)
    assert values(inv, 17, b)[::4] == pytest.approx(
        [0.0, b, b / math.sqrt(2), b * math.sqrt(4 / 12), b / 2]
    )
    assert values(S.Hyperbolic(0.1), 3, 0.9) == pytest.approx(
        [0.9, 0.9 / 1.1, 0.9 / 1.2]
    )
    assert values(S.SineCycle(20), 11, 0.9)[::5] == pytest.approx([0.45, 0.9, 0.45])
    assert values(S.Constant(), 3, b) == [b, b, b]


def test_epoch_counting():
    s = S.StepDecay(2, 0.5, steps_per_epoch=10)
    assert [s.at(t, 1.0) for t in (0, 19, 20, 39, 40)] == [1, 1, 0.5, 0.5, 0.25]


def torch_lrs(make_scheduler, n, lr=0.5, momentum=False):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.Adam([p], lr=lr)
    sched = make_scheduler(opt)
    lrs, betas = [], []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"][0])
        opt.step()
        sched.step()
    return (lrs, betas) if momentum else lrs


def our_lrs(schedule, n, lr=0.5):
    w = np.zeros(1)
    opt = optim.Adam([w], lr=lr)
    schedule.attach(opt, "lr")
    lrs, betas = [], []
    for _ in range(n):
        lrs.append(opt.param_groups[0]["lr"])
        betas.append(opt.param_groups[0]["betas"][0])
        opt.step([np.ones(1)])
    return lrs, betas


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal", ["cos", "linear"])
def test_one_cycle_vs_torch(three_phase, anneal):
    lr_sched = torch.optim.lr_scheduler
    ref_lr, ref_b = torch_lrs(
        lambda o: lr_sched.OneCycleLR(
            o,
            max_lr=0.5,
            total_steps=50,
            three_phase=three_phase,
            anneal_strategy=anneal,
        ),
        50,
        momentum=True,
    )
    lrs, betas = our_lrs(S.OneCycle(50, three_phase=three_phase, anneal=anneal), 50)
    np.testing.assert_allclose(lrs, ref_lr, rtol=1e-12)
    np.testing.assert_allclose(betas, ref_b, rtol=1e-12)


def test_torch_step_kinds():
    lr_sched = torch.optim.lr_scheduler
    cases = [
        (lambda o: lr_sched.StepLR(o, 7, 0.3), S.StepDecay(7, 0.3)),
        (
            lambda o: lr_sched.MultiStepLR(o, [5, 12], 0.2),
            S.MultiStepDecay([5, 12], 0.2),
        ),
        (lambda o: lr_sched.ExponentialLR(o, 0.95), S.Exponential(0.95)),
        (
            lambda o: lr_sched.CosineAnnealingWarmRestarts(o, 6, 2, eta_min=0.01),
            S.CosineRestarts(6, 2, min_lr=0.01),
        ),
    ]
    for make, ours in cases:
        lrs, _ = our_lrs(ours, 40)
        np.testing.assert_allclose(lrs, torch_lrs(make, 40), rtol=1e-12, atol=1e-15)


def test_plateau_vs_torch_on_scripted_metric():
    metric = [5, 4, 4, 4, 4, 3.9999, 3, 3, 3, 3, 3, 3, 2, 2, 2, 2, 2, 2, 2, 2]
    p = torch.zeros(1, requires_grad=True)
    topt = torch.optim.Adam([p], lr=1.0)
    ref = torch.optim.lr_scheduler.ReduceLROnPlateau(
        topt, factor=0.5, patience=2, cooldown=1, min_lr=0.2
    )
    w = np.zeros(1)
    opt = optim.Adam([w], lr=1.0)
    binding = S.ReduceOnPlateau(factor=0.5, patience=2, cooldown=1, min_lr=0.2).attach(
        opt, "lr"
    )
    for m in metric:
        ref.step(m)
        binding.report(m)
        assert opt.param_groups[0]["lr"] == pytest.approx(topt.param_groups[0]["lr"])
    assert opt.param_groups[0]["lr"] == 0.2  # three cuts, floored at min_lr


def test_plateau_hand_worked():
    s = S.ReduceOnPlateau(factor=0.1, patience=1)
    scales = []
    for m in [1.0, 1.0, 1.0, 0.5, 0.5, 0.5, float("nan")]:
        s.report(m)
        scales.append(s.scale)
    assert scales == pytest.approx([1, 1, 0.1, 0.1, 0.1, 0.01, 0.01])


def test_composition_equals_built_in_warmup():
    seq = S.Sequential([S.LinearWarmup(5), S.Cosine(15, min_lr=0.001)], [5])
    built_in = S.Cosine(20, warmup_steps=5, min_lr=0.001)
    assert values(seq, 25, 0.3) == pytest.approx(values(built_in, 25, 0.3), rel=1e-15)


@pytest.mark.parametrize(
    "make",
    [
        lambda: S.Cosine(30, warmup_steps=5, min_lr=1e-4),
        lambda: S.CosineRestarts(4, 1.5, cycle_decay=0.5, warmup_steps=2),
        lambda: S.OneCycle(30, three_phase=True),
        lambda: S.Sequential([S.LinearWarmup(3), S.ReduceOnPlateau(patience=0)], [3]),
        lambda: S.ReduceOnPlateau(patience=1, factor=0.5),
    ],
)
def test_state_round_trip_bit_for_bit(make):
    rng = np.random.default_rng(0)
    grads = [rng.standard_normal(3) for _ in range(20)]

    def build():
        w = np.linspace(-1, 1, 3)
        opt = optim.Adam([w], lr=0.1)
        binding = make().attach(opt, "lr")
        return w, opt, binding

    w1, o1, b1 = build()
    for i, g in enumerate(grads):
        if i == 10:
            saved = o1.state_dict()
        o1.step([g])
        b1.report(float(np.sum(g)) if i % 3 else 1.0)
    w2, o2, b2 = build()
    for i, g in enumerate(grads[:10]):
        o2.step([g])
        b2.report(float(np.sum(g)) if i % 3 else 1.0)
    w3, o3, b3 = build()
    o3.load_state_dict(saved)
    np.testing.assert_array_equal(w3 * 0 + w2, w2)
    w3[...] = w2
    for i, g in enumerate(grads[10:], start=10):
        o3.step([g])
        b3.report(float(np.sum(g)) if i % 3 else 1.0)
    np.testing.assert_array_equal(w3, w1)
    assert o3.param_groups[0]["lr"] == o1.param_groups[0]["lr"]
    assert (
        S.schedule_from_state(saved["schedules"][0]["schedule"]).state_dict()
        == (saved["schedules"][0]["schedule"])
    )


def test_mismatched_state_refused():
    w = np.zeros(2)
    opt = optim.Adam([w])
    S.Cosine(10).attach(opt)
    saved = opt.state_dict()
    opt2 = optim.Adam([np.zeros(2)])
    S.Cosine(20).attach(opt2)
    with pytest.raises(ValueError, match="parameters differ"):
        opt2.load_state_dict(saved)


def test_callable_drives_but_refuses_to_save():
    w = np.zeros(2)
    opt = optim.Adam([w], lr=0.2)
    binding = S.attach(opt, lambda step: 1.0 / (step + 1), "lr")
    opt.step([np.ones(2)])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(TypeError, match="user callable and cannot be saved"):
        opt.state_dict()
    opt.schedules.remove(binding)
    opt.state_dict()


def test_groups_scaled_relative_to_initial_lr():
    a, b, c = np.zeros(2), np.zeros(2), np.zeros(2)
    opt = optim.AdamW(
        [
            {"params": [a]},
            {"params": [b], "lr": 0.05},
            {"params": [c], "weight_decay": 0.0},
        ],
        lr=0.1,
    )
    S.Cosine(4, min_lr=0.02).attach(opt, "lr")
    S.Exponential(0.5).attach(opt, "weight_decay")
    for _ in range(2):
        opt.step([np.ones(2)] * 3)
    lr0 = 0.02 + 0.08 * (1 + math.cos(math.pi / 2)) / 2
    lrs = [g["lr"] for g in opt.param_groups]
    assert lrs == pytest.approx([lr0, lr0 / 2, lr0])
    assert [g["weight_decay"] for g in opt.param_groups] == pytest.approx(
        [0.0025, 0.0025, 0.0]
    )


def test_skipped_steps_do_not_advance():
    w = np.zeros(2)
    opt = optim.Adam([w], lr=1.0, nonfinite="skip")
    S.StepDecay(1, 0.5).attach(opt)
    opt.step([np.array([np.nan, 1.0])])
    assert opt.param_groups[0]["lr"] == 1.0
    opt.step([np.ones(2)])
    assert opt.param_groups[0]["lr"] == 0.5


def test_beta1_out_of_range_and_clashes():
    w = np.zeros(2)
    opt = optim.Adam([w], betas=(0.9, 0.999))
    with pytest.raises(
        ValueError, match=r"scheduled betas\[0\] of group 0 must be in \[0, 1\)"
    ):
        S.attach(opt, lambda t: 1.2, "betas[0]")
    assert opt.param_groups[0]["betas"] == (0.9, 0.999)
    S.OneCycle(10).attach(opt, "lr")
    with pytest.raises(ValueError, match="already driven"):
        S.Constant().attach(opt, "betas[0]")
    with pytest.raises(ValueError, match="key must be one of"):
        S.Constant().attach(opt, "momentum")


def test_spec_parser():
    s = S.schedule_from_spec(
        "cosine:warmup_steps=500,min_lr=1e-5", defaults={"total_steps": 10000}
    )
    assert isinstance(s, S.Cosine)
    assert (s.total_steps, s.warmup_steps, s.min_lr) == (10000, 500, 1e-5)
    m = S.schedule_from_spec("multistep:milestones=[3,6],gamma=0.5")
    assert m.milestones == [3, 6]
    o = S.schedule_from_spec("one-cycle:total_steps=100,three_phase=true")
    assert o.three_phase is True
    d = S.momentum_schedule_from_spec("decay:steps_per_epoch=10")
    assert isinstance(d, S.Hyperbolic) and d.rate == 0.1 and d.steps_per_epoch == 10
    assert isinstance(S.momentum_schedule_from_spec("cyclic"), S.SineCycle)
    with pytest.raises(ValueError, match="valid kinds: .*cosine"):
        S.schedule_from_spec("cosin")
    with pytest.raises(ValueError, match="valid keys: total_steps, warmup_steps"):
        S.schedule_from_spec("cosine:total_steps=5,warmup=2")
    with pytest.raises(ValueError, match="needs total_steps"):
        S.schedule_from_spec("cosine")
    with pytest.raises(ValueError, match="key=value"):
        S.schedule_from_spec("step:3")
    with pytest.raises(ValueError, match="gamma must be in"):
        S.schedule_from_spec("step:step_size=3,gamma=2")


def test_spec_lists_in_parentheses_and_momentum_kind_errors():
    from adamlab.optim.schedules import momentum_schedule_from_spec, schedule_from_spec

    bracket = schedule_from_spec("multistep:milestones=[30,60]")
    paren = schedule_from_spec("multistep:milestones=(30,60)")
    assert paren.state_dict() == bracket.state_dict()
    with pytest.raises(
        ValueError,
        match=r"unknown momentum schedule kind 'nope'.*"
        r"cyclic, decay",
    ):
        momentum_schedule_from_spec("nope")


def test_an_lr_schedule_on_an_optimizer_without_an_lr_is_refused_clearly():
    # Adafactor's default lr is None (relative steps): nothing to scale.
    opt = optim.Adafactor([np.zeros((3, 4))])
    with pytest.raises(ValueError, match="lr schedule needs a number for lr.*lr=None"):
        S.attach(opt, S.Cosine(total_steps=10), "lr")
