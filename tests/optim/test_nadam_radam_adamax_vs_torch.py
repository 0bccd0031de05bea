"""NAdam, RAdam and Adamax against torch.optim 2.13, 300 steps, lr change mid-run.

The comparison is max |ours - torch| / max |torch| per array: <= 1e-10 in
float64 and <= 1e-5 in float32. torch keeps NAdam's ``mu_product`` and the step
counts as tensors of its default dtype, so the float64 runs set torch's default
dtype to float64 (restored afterwards); otherwise torch's own bookkeeping would
round ``mu_product`` to float32.

Each optimizer is also checked for a state-dict round trip in the middle of a
run: the restored copy continues bit for bit.
"""

from __future__ import annotations

import copy
import zlib

import numpy as np
import pytest

from adamlab import optim

torch = pytest.importorskip("torch")

SHAPES = [(7,), (3, 5), (2, 3, 4), ()]
TOL = {np.float64: 1e-10, np.float32: 1e-5}

VARIANTS = {
    "nadam": (optim.NAdam, "NAdam"),
    "radam": (optim.RAdam, "RAdam"),
    "adamax": (optim.Adamax, "Adamax"),
}
SCENARIOS = {
    "lr_change": {},
    "maximize": {"maximize": True},
    "l2": {"weight_decay": 0.1},
    "decoupled": {"weight_decay": 0.1, "decoupled_weight_decay": True},
    "groups": {"split": True},
    "added_group": {"add_at": 120},
    "momentum_decay": {"momentum_decay": 2e-2},
}
APPLIES = {
    "nadam": set(SCENARIOS),
    "radam": set(SCENARIOS) - {"momentum_decay"},
    "adamax": set(SCENARIOS) - {"momentum_decay", "decoupled"},
}
CASES = [
    (name, scenario)
    for name in VARIANTS
    for scenario in sorted(SCENARIOS)
    if scenario in APPLIES[name]
]


@pytest.fixture
def torch_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def rel_err(ours, ref) -> float:
    ref = np.asarray(ref, dtype=np.float64)
    scale = max(float(np.max(np.abs(ref))), 1e-300)
    return float(np.max(np.abs(np.asarray(ours, dtype=np.float64) - ref)) / scale)


def make_pair(rng, dtype):
    arrays = [np.asarray(rng.standard_normal(s), dtype=dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return arrays, tensors


def run(name, scenario, dtype, steps=300, lr_change=150):
    ours_cls, torch_name = VARIANTS[name]
    torch_cls = getattr(torch.optim, torch_name)
    options = dict(SCENARIOS[scenario])
    split = options.pop("split", False)
    add_at = options.pop("add_at", None)
    kwargs = {"lr": 1e-2, **options}
    rng = np.random.default_rng(
        zlib.crc32(f"{name}-{scenario}-{dtype.__name__}".encode())
    )
    arrays, tensors = make_pair(rng, dtype)
    extra_a, extra_t = make_pair(rng, dtype)
    if split:
        ours = ours_cls(
            [{"params": arrays[:2]}, {"params": arrays[2:], "lr": 3e-3}], **kwargs
        )
        ref = torch_cls(
            [{"params": tensors[:2]}, {"params": tensors[2:], "lr": 3e-3}], **kwargs
        )
    else:
        ours = ours_cls(arrays, **kwargs)
        ref = torch_cls(tensors, **kwargs)
    params, tparams = list(arrays), list(tensors)
    for step in range(steps):
        if step == add_at:
            ours.add_param_group({"params": extra_a, "lr": 2e-3})
            ref.add_param_group({"params": extra_t, "lr": 2e-3})
            params += extra_a
            tparams += extra_t
        if step == lr_change:
            for group in ours.param_groups + ref.param_groups:
                group["lr"] *= 0.1
        grads = [np.asarray(rng.standard_normal(p.shape), dtype=dtype) for p in params]
        if step % 37 == 5:
            grads[1] = None  # a None gradient skips its parameter
        ours.step(grads)
        for t, g in zip(tparams, grads):
            t.grad = None if g is None else torch.tensor(g)
        ref.step()
    for a, t in zip(params, tparams):
        assert rel_err(a, t.detach().numpy()) <= TOL[dtype], (name, scenario)


@pytest.mark.parametrize("name,scenario", CASES, ids=[f"{n}-{s}" for n, s in CASES])
def test_matches_torch_float64(name, scenario, torch_float64):
    run(name, scenario, np.float64)


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_matches_torch_float32(name):
    run(name, "lr_change", np.float32)
    run(name, "l2", np.float32)


def test_state_keys_match_torch(torch_float64):
    for name, (ours_cls, torch_name) in VARIANTS.items():
        ours = ours_cls([np.ones(3)])
        ours.step([np.ones(3)])
        t = torch.ones(3, requires_grad=True)
        ref = getattr(torch.optim, torch_name)([t])
        t.grad = torch.ones(3)
        ref.step()
        assert set(ref.state[t]) <= set(ours.state[0]), name
    nadam = optim.NAdam([np.ones(2)])
    nadam.step([np.ones(2)])
    assert isinstance(nadam.state[0]["mu_product"], float)


@pytest.mark.parametrize(
    "cls,options",
    [
        (optim.NAdam, {}),
        (optim.NAdam, {"decoupled_weight_decay": True, "weight_decay": 0.01}),
        (optim.RAdam, {}),
        (optim.RAdam, {"rectify_threshold": 4.0, "weight_decay": 0.01}),
        (optim.Adamax, {"weight_decay": 0.01}),
    ],
)
def test_state_dict_round_trip_is_bit_identical(cls, options):
    rng = np.random.default_rng(8)
    shapes = [(5,), (2, 3)]
    a = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) for s in shapes] for _ in range(40)]
    opt = cls(a, lr=1e-2, **options)
    for g in grads[:3]:  # RAdam: still in its un-adapted steps when saved
        opt.step(g)
    opt.param_groups[0]["lr"] = 5e-3
    saved = copy.deepcopy(opt.state_dict())
    b = [p.copy() for p in a]
    other = cls(b, lr=1.0)
    other.load_state_dict(saved)
    for g in grads[3:]:
        opt.step(g)
        other.step(g)
    for p, q in zip(a, b):
        np.testing.assert_array_equal(p, q)
    assert other.state[0]["step"] == opt.state[0]["step"] == 40


@pytest.mark.parametrize("cls", [optim.NAdam, optim.RAdam, optim.Adamax])
def test_float16_params_step_in_float32(cls):
    rng = np.random.default_rng(4)
    x16 = rng.standard_normal(10).astype(np.float16)
    x32 = x16.astype(np.float32)
    opt16 = cls([x16], lr=1e-2)
    opt32 = cls([x32], lr=1e-2)
    assert all(
        v.dtype == np.float32
        for v in opt16.state[0].values()
        if isinstance(v, np.ndarray)
    )
    for _ in range(8):
        g = rng.standard_normal(10).astype(np.float16)
        opt16.step([g])
        opt32.step([g.astype(np.float32)])
        x32[...] = x32.astype(np.float16)
        np.testing.assert_array_equal(x16, x32.astype(np.float16))
