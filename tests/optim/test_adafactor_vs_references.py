"""Adafactor's presets against torch.optim.Adafactor (2.13) and transformers.

300 steps on random shapes (0-D, 1-D, 3-D, 4-D, tall and wide matrices) with
gradients of varying scale, so that update clipping fires on some steps and
not on others. Both references compute in the parameter's dtype, so the
float32 runs are compared at float32 precision: max |ours - ref| / max |ref|
per array <= 1e-5 (float32) and <= 1e-10 (float64).
"""

import numpy as np
import pytest

from adamlab.optim import Adafactor

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

SHAPES = [(7,), (2, 3, 4), (20, 3), (3, 20), (), (2, 2, 3, 5)]
TOL = {np.float64: 1e-10, np.float32: 1e-5}


def rel_err(ours, ref):
    ref = np.asarray(ref)
    scale = max(np.max(np.abs(ref)), 1e-300)
    return np.max(np.abs(np.asarray(ours, dtype=np.float64) - ref)) / scale


def run(make_ours, make_ref, dtype, *, steps=300, lr_change=None, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [np.asarray(rng.standard_normal(s)).astype(dtype) for s in SHAPES]
    tensors = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    ours, ref = make_ours(arrays), make_ref(tensors)
    for step in range(steps):
        if step == lr_change:
            for group in ours.param_groups + ref.param_groups:
                group["lr"] = group["lr"] * 0.3
        scale = 1.0 + step % 7
        grads = [
            np.asarray(rng.standard_normal(s) * scale).astype(dtype) for s in SHAPES
        ]
        if step % 37 == 5:
            grads[1] = None
        ours.step(grads)
        for t, g in zip(tensors, grads):
            t.grad = None if g is None else torch.tensor(g)
        ref.step()
    for a, t in zip(arrays, tensors):
        assert a.shape == tuple(t.shape)
        assert rel_err(a, t.detach().numpy()) <= TOL[dtype]
    return ours


TORCH_CASES = {
    "defaults": {},
    "lr_weight_decay_maximize": {"lr": 3e-2, "weight_decay": 0.1, "maximize": True},
    "small_cap": {"lr": 1e-3, "eps": (None, 1e-2), "d": 1.5, "beta2_decay": -0.6},
}


def _torch_to_ours(kwargs):
    out = dict(kwargs)
    if "eps" in out:
        eps1, out["eps2"] = out.pop("eps")
        if eps1 is not None:
            out["eps1"] = eps1
    if "d" in out:
        out["clip_threshold"] = out.pop("d")
    if "beta2_decay" in out:
        out["decay_rate"] = out.pop("beta2_decay")
    return out


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(TORCH_CASES))
def test_torch_preset_matches_torch(case, dtype):
    kwargs = TORCH_CASES[case]
    run(
        lambda p: Adafactor.torch_preset(p, **_torch_to_ours(kwargs)),
        lambda t: torch.optim.Adafactor(t, **kwargs),
        dtype,
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_preset_lr_change_and_groups(dtype):
    def ours(p):
        return Adafactor(
            [{"params": p[:3]}, {"params": p[3:], "lr": 2e-3}], preset="torch"
        )

    def ref(t):
        return torch.optim.Adafactor([{"params": t[:3]}, {"params": t[3:], "lr": 2e-3}])

    run(ours, ref, dtype, lr_change=150)


HF_CASES = {
    "defaults": ({}, {}),
    "momentum_decay": (
        {"beta1": 0.9, "weight_decay": 0.1},
        {"beta1": 0.9, "weight_decay": 0.1},
    ),
    "warmup_init": ({"relative_step_warmup": True}, {"warmup_init": True}),
    "no_scale": ({"scale_parameter": False}, {"scale_parameter": False}),
    "external_lr": (
        {"lr": 1e-2, "clip_threshold": 2.0, "decay_rate": -0.5},
        {"lr": 1e-2, "relative_step": False, "clip_threshold": 2.0, "decay_rate": -0.5},
    ),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("case", sorted(HF_CASES))
def test_transformers_preset_matches_transformers(case, dtype):
    ours_kw, ref_kw = HF_CASES[case]
    run(
        lambda p: Adafactor(p, preset="transformers", **ours_kw),
        lambda t: transformers.Adafactor(t, **ref_kw),
        dtype,
    )


def test_transformers_external_lr_driven_mid_run():
    run(
        lambda p: Adafactor.transformers_preset(p, lr=1e-2, beta1=0.5),
        lambda t: transformers.Adafactor(t, lr=1e-2, relative_step=False, beta1=0.5),
        np.float64,
        lr_change=100,
    )


def test_paper_default_equals_transformers_default():
    # The paper preset and transformers' defaults are the same algorithm.
    run(lambda p: Adafactor(p), lambda t: transformers.Adafactor(t), np.float64)
