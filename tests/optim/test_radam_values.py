"""RAdam: the rectification threshold of FAULTS F03, validation, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import optim
from adamlab.optim.radam import radam_rectification

RHO = [1.0, 1.99949975, 2.99866600, 3.99749875, 4.99599800, 5.99416375]
R5, R6 = 0.0173115032, 0.0258211128


def test_f03_rho_t_values():
    for t, rho in enumerate(RHO, start=1):
        assert radam_rectification(0.999, t)[0] == pytest.approx(rho, abs=1e-8)


@pytest.mark.parametrize("threshold,first", [(4.0, 5), (5.0, 6)])
def test_f03_first_adaptive_step(threshold, first):
    adaptive = [radam_rectification(0.999, t, threshold)[1] for t in range(1, 7)]
    assert [r is not None for r in adaptive] == [t >= first for t in range(1, 7)]
    assert adaptive[5] == pytest.approx(R6, abs=1e-10)
    if threshold == 4.0:
        assert adaptive[4] == pytest.approx(R5, abs=1e-10)


@pytest.mark.parametrize("threshold", [4.0, 5.0])
def test_f03_updates_with_constant_gradient(threshold):
    # g = 1: m_hat = 1 and sqrt(bc2) / sqrt(v) = 1, so an adaptive step moves
    # by lr * r_t (up to eps) and an un-adapted one by lr * m_hat = lr.
    x = np.zeros(1)
    opt = optim.RAdam([x], lr=1.0, rectify_threshold=threshold)
    moves = []
    for _ in range(6):
        before = x[0]
        opt.step([np.ones(1)])
        moves.append(before - x[0])
    assert moves[:4] == pytest.approx([1.0] * 4, rel=1e-12)
    if threshold == 4.0:
        assert moves[4] == pytest.approx(R5, rel=1e-6)
    else:
        assert moves[4] == pytest.approx(1.0, rel=1e-12)
    assert moves[5] == pytest.approx(R6, rel=1e-6)


def test_default_threshold_is_torchs():
    assert optim.RAdam([np.zeros(1)]).param_groups[0]["rectify_threshold"] == 5.0


def test_diagnostics_effective_lr_is_the_applied_rate():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(8)
    opt = optim.RAdam([("w", x)], lr=1e-2)
    for t in range(1, 9):
        before = x.copy()
        opt.step([rng.standard_normal(8)])
        diag = opt.diagnostics()["w"]
        applied = (before - x) / opt.state[0]["exp_avg"]
        np.testing.assert_allclose(diag["effective_lr"], applied, rtol=1e-9)
        assert diag["rectified"] == (t >= 6)
        assert diag["rho_t"] == pytest.approx(RHO[t - 1] if t <= 6 else diag["rho_t"])


@pytest.mark.parametrize(
    "kwargs,exc,message",
    [
        ({"rectify_threshold": 3.5}, ValueError, r"rectify_threshold must be >= 4"),
        ({"rectify_threshold": "5"}, TypeError, r"rectify_threshold must be a real"),
        ({"lr": -1.0}, ValueError, r"lr must be a finite number >= 0, got -1\.0"),
        ({"betas": (-0.1, 0.9)}, ValueError, r"beta1 must be in \[0, 1\)"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be"),
    ],
)
def test_invalid_hyperparameters(kwargs, exc, message):
    with pytest.raises(exc, match=message):
        optim.RAdam([np.zeros(2)], **kwargs)
