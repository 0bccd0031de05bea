"""NAdam: the momentum-product bookkeeping of FAULTS F02, validation, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.nadam import nadam_momentum


def test_f02_momentum_schedule_values():
    # mu_t = beta1 (1 - 0.5 * 0.96 ** (t psi)), beta1 = 0.9, psi = 4e-3.
    expected = [0.4500734736, 0.4501469352, 0.4502203848]
    for t, mu in enumerate(expected, start=1):
        assert nadam_momentum(0.9, 4e-3, t) == pytest.approx(mu, abs=1e-10)


def test_f02_two_steps_from_zero():
    x = np.zeros(1)
    opt = optim.NAdam([x], lr=1.0, momentum_decay=4e-3)
    opt.step([np.ones(1)])
    assert x[0] == pytest.approx(-1.0564517678, abs=1e-9)
    opt.step([np.ones(1)])
    # Right: -1.8401361167. mu_t counted twice: -1.8282924465; product from 0:
    # -1.2303361455.
    assert x[0] == pytest.approx(-1.8401361167, abs=1e-9)
    assert opt.state[0]["mu_product"] == pytest.approx(
        0.4500734736 * 0.4501469352, abs=1e-10
    )


def test_mu_product_is_kept_per_parameter():
    a, b = np.zeros(2), np.zeros(3)
    opt = optim.NAdam([a, b])
    opt.step([np.ones(2), None])
    opt.step([np.ones(2), np.ones(3)])
    assert opt.state[0]["step"] == 2 and opt.state[1]["step"] == 1
    assert opt.state[1]["mu_product"] == nadam_momentum(0.9, 4e-3, 1)
    assert opt.state[0]["mu_product"] == (
        nadam_momentum(0.9, 4e-3, 1) * nadam_momentum(0.9, 4e-3, 2)
    )


def test_defaults_are_torch_defaults():
    group = optim.NAdam([np.zeros(1)]).param_groups[0]
    assert group["lr"] == 2e-3
    assert group["momentum_decay"] == 4e-3
    assert group["betas"] == (0.9, 0.999)


def test_diagnostics_effective_lr():
    rng = np.random.default_rng(0)
    x = rng.standard_normal(6)
    opt = optim.NAdam([("w", x)], lr=1e-2)
    for _ in range(5):
        opt.step([rng.standard_normal(6)])
    diag = opt.diagnostics()["w"]
    v = opt.state[0]["exp_avg_sq"]
    mu6 = 0.9 * (1 - 0.5 * 0.96 ** (6 * 4e-3))
    prod = 1.0
    for t in range(1, 6):
        prod *= 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3))
    expected = 1e-2 * mu6 / (1 - prod * mu6) / (np.sqrt(v / (1 - 0.999**5)) + 1e-8)
    np.testing.assert_allclose(diag["effective_lr"], expected, rtol=1e-12)
    assert diag["step"] == 5
    assert diag["momentum"] == pytest.approx(0.9 * (1 - 0.5 * 0.96 ** (5 * 4e-3)))


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"momentum_decay": -1e-3}, ValueError, r"momentum_decay must be a finite"),
        ({"lr": -1.0}, ValueError, r"lr must be a finite number >= 0, got -1\.0"),
        ({"betas": (0.9, 1.0)}, ValueError, r"beta2 must be in \[0, 1\), got 1\.0"),
        ({"eps": float("nan")}, ValueError, r"eps must not be NaN"),
        ({"decoupled_weight_decay": "yes"}, TypeError, r"decoupled_weight_decay"),
    ],
)
def test_invalid_hyperparameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        optim.NAdam([np.zeros(2)], **kwargs)
