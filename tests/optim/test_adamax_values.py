"""Adamax: a hand-worked example, validation, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import optim


def test_two_steps_by_hand():
    # g1 = 3, g2 = 1, lr = 0.002, eps = 0.
    # Step 1: m = 0.3, u = 3, bc1 = 0.1: move 0.002 * 0.3 / 0.1 / 3 = 0.002.
    # Step 2: m = 0.27 + 0.1 = 0.37, u = max(0.999 * 3, 1) = 2.997, bc1 = 0.19.
    x = np.zeros(1)
    opt = optim.Adamax([x], eps=0.0)
    opt.step([np.array([3.0])])
    assert x[0] == pytest.approx(-0.002, rel=1e-14)
    opt.step([np.array([1.0])])
    assert x[0] == pytest.approx(-0.002 - 0.002 * 0.37 / 0.19 / 2.997, rel=1e-14)
    assert opt.state[0]["exp_inf"][0] == pytest.approx(2.997, rel=1e-15)
    # A larger gradient replaces the decayed norm: u = |g| + eps.
    opt.step([np.array([-5.0])])
    assert opt.state[0]["exp_inf"][0] == 5.0


def test_defaults_are_torch_defaults():
    group = optim.Adamax([np.zeros(1)]).param_groups[0]
    assert group["lr"] == 2e-3
    assert group["betas"] == (0.9, 0.999)
    assert group["eps"] == 1e-8


def test_diagnostics_effective_lr_is_the_applied_rate():
    rng = np.random.default_rng(2)
    x = rng.standard_normal(7)
    opt = optim.Adamax([("w", x)])
    for _ in range(4):
        opt.step([rng.standard_normal(7)])
    before = x.copy()
    opt.step([rng.standard_normal(7)])
    diag = opt.diagnostics()["w"]
    applied = (before - x) / opt.state[0]["exp_avg"]
    np.testing.assert_allclose(diag["effective_lr"], applied, rtol=1e-9)
    assert diag["step"] == 5


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"lr": -1.0}, ValueError, r"lr must be a finite number >= 0, got -1\.0"),
        ({"betas": (0.9,)}, ValueError, r"betas must be a pair"),
        ({"eps": -1.0}, ValueError, r"eps must be a finite number >= 0"),
        ({"maximize": None}, TypeError, r"maximize must be True or False"),
    ],
)
def test_invalid_hyperparameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        optim.Adamax([np.zeros(2)], **kwargs)


def test_unknown_hyperparameter_in_group_is_refused():
    with pytest.raises(ValueError, match="momentum_decay"):
        optim.Adamax([{"params": [np.zeros(2)], "momentum_decay": 0.1}])
