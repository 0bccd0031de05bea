"""Adafactor on hand-worked values: FAULTS.md F05 and F06, and the paper default.

F05: the factored estimate over the last two axes of a 3-D parameter (a
recombination that only works for matrices crashes or is wrong there). F06: the
update does not depend on the matrix's orientation, and the row factor matters.
The expected numbers are FAULTS.md's; the other values are worked by hand in the
comments.
"""

import math

import numpy as np
import pytest

from adamlab.optim import Adafactor
from adamlab.optim.adafactor import factored_axes, second_moment_estimate


def one_plain_step(g, **options):
    """Step once from theta = 0 with alpha_t = 1: returns U_hat = -theta."""
    theta = np.zeros_like(g)
    opt = Adafactor(
        [theta], lr=1.0, lr_mode="external", scale_parameter=False, **options
    )
    opt.step([g])
    return -theta, opt


def v_hat(opt, index=0):
    state = opt.state[index]
    param = opt._params[index]
    axes = factored_axes(param.shape, "last_two", 0)
    out = np.empty(param.shape)
    return second_moment_estimate(
        state.get("exp_avg_sq_row"),
        state.get("exp_avg_sq_col"),
        state.get("exp_avg_sq"),
        axes,
        1e-30,
        "add",
        out,
    )


# ----------------------------------------------------------------------- F05


def test_f05_constant_gradient_3d():
    u, opt = one_plain_step(np.full((2, 3, 4), 0.1))
    np.testing.assert_allclose(v_hat(opt), 0.01, rtol=1e-12)
    np.testing.assert_allclose(u, 1.0, rtol=1e-12)
    assert opt.state[0]["exp_avg_sq_row"].shape == (2, 3)
    assert opt.state[0]["exp_avg_sq_col"].shape == (2, 4)


def test_f05_ramp_gradient_3d():
    g = (np.arange(24.0).reshape(2, 3, 4) + 1) / 10
    u, opt = one_plain_step(g)
    v = v_hat(opt)
    np.testing.assert_allclose(
        v[0, 0, :], [0.04938462, 0.06461538, 0.08261538, 0.10338462], rtol=1e-6
    )
    assert v[1, 2, 3] == pytest.approx(5.8846117647, rel=1e-9)
    # RMS(U) < 1: no clipping, so the step is U itself.
    assert u[0, 0, 0] == pytest.approx(0.4499913464, rel=1e-9)
    assert u[1, 2, 3] == pytest.approx(0.9893554121, rel=1e-9)
    diag = opt.diagnostics()["param0"]
    assert diag["update_rms"] == pytest.approx(0.9882130, rel=1e-6)
    assert not diag["clipped"]


def test_f05_one_dimensional_is_unfactored():
    u, opt = one_plain_step(np.array([0.1, 0.2]))
    np.testing.assert_allclose(u, [1.0, 1.0], rtol=1e-12)
    assert set(opt.state[0]) == {"step", "exp_avg_sq"}


def test_four_d_kernel_factored_per_matrix():
    # Each (3, 5) matrix of a (2, 2, 3, 5) kernel is factored on its own: the
    # 2-D rule V = r c / mean(r) restated per matrix.
    rng = np.random.default_rng(1)
    g = rng.standard_normal((2, 2, 3, 5))
    _, opt = one_plain_step(g)
    v = v_hat(opt)
    for i in range(2):
        for j in range(2):
            sq = g[i, j] ** 2 + 1e-30
            r, c = sq.mean(axis=1), sq.mean(axis=0)
            np.testing.assert_allclose(v[i, j], np.outer(r, c) / r.mean(), rtol=1e-12)


# ----------------------------------------------------------------------- F06

G = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])


def test_f06_tall_matrix_values():
    u, opt = one_plain_step(G.copy())
    np.testing.assert_allclose(
        v_hat(opt),
        [
            [1.92307692, 3.07692308],
            [9.61538462, 15.38461538],
            [23.46153846, 37.53846154],
        ],
        rtol=1e-8,
    )
    np.testing.assert_allclose(
        u,
        [[0.72111026, 1.14017543], [0.96747093, 1.01980390], [1.03226633, 0.97929382]],
        rtol=1e-8,
    )
    # The fault drops the row factor; ours must not give its numbers.
    wrong = [[0.29277, 0.46291], [0.87831, 0.92582], [1.46385, 1.38873]]
    assert not np.allclose(u, wrong, rtol=1e-3)


def test_f06_orientation_independent():
    u, _ = one_plain_step(G.copy())
    u_t, _ = one_plain_step(G.T.copy())
    np.testing.assert_allclose(u_t, u.T, rtol=1e-14)


def test_f06_sum_form_equals_mean_form():
    _, opt = one_plain_step(G.copy())
    sq = G**2 + 1e-30
    r_sum, c_sum = sq.sum(axis=1), sq.sum(axis=0)
    np.testing.assert_allclose(
        v_hat(opt), np.outer(r_sum, c_sum) / r_sum.sum(), rtol=1e-12
    )


def test_largest_two_factoring_is_orientation_independent():
    rng = np.random.default_rng(2)
    g = rng.standard_normal((4, 3, 6))
    u, opt = one_plain_step(g, factor_dims="largest_two")
    assert opt.state[0]["exp_avg_sq_row"].shape == (4, 3)  # mean over axis 2
    assert opt.state[0]["exp_avg_sq_col"].shape == (3, 6)  # mean over axis 0
    u_t, _ = one_plain_step(g.transpose(2, 1, 0).copy(), factor_dims="largest_two")
    np.testing.assert_allclose(u_t, u.transpose(2, 1, 0), rtol=1e-13)


def test_factored_axes_choices():
    assert factored_axes((5,), "last_two", 0) is None
    assert factored_axes((2, 3, 4), "last_two", 0) == (1, 2)
    assert factored_axes((200, 3, 130), "largest_two", 128) == (0, 2)
    assert factored_axes((200, 100), "largest_two", 128) is None
    assert factored_axes((200, 100), "last_two", 0) == (0, 1)


# --------------------------------------------------- the paper default, by hand


def test_paper_default_first_step():
    # t = 1: beta2_hat = 0, V_hat = g**2 (+1e-30), U = sign(g), RMS(U) = 1 (not
    # clipped); rho = min(1e-2, 1) = 1e-2; RMS(theta) = sqrt((1 + 4) / 2).
    theta = np.array([1.0, -2.0])
    opt = Adafactor([theta])
    opt.step([np.array([0.1, -0.2])])
    alpha = 1e-2 * math.sqrt(2.5)
    np.testing.assert_allclose(theta, [1.0 - alpha, -2.0 + alpha], rtol=1e-14)
    diag = opt.diagnostics()["param0"]
    assert diag["relative_step"] == 1e-2
    assert diag["step_size"] == pytest.approx(alpha, rel=1e-14)


def test_update_clipping_second_step():
    # t = 2: beta2_hat = 1 - 2**-0.8; v = beta2_hat * 1 + (1 - beta2_hat) * 9 =
    # 1 + 8 * 2**-0.8, so U = 3 / sqrt(v) = 1.2683 in both elements: RMS(U) > 1
    # and clipping brings each element back to exactly 1.
    theta = np.zeros(2)
    opt = Adafactor([theta], lr=0.1, scale_parameter=False)
    opt.step([np.array([1.0, 1.0])])
    opt.step([np.array([3.0, 3.0])])
    np.testing.assert_allclose(theta, [-0.2, -0.2], rtol=1e-14)
    diag = opt.diagnostics()["param0"]
    assert diag["clip_ratio"] == pytest.approx(3 / math.sqrt(1 + 8 * 2**-0.8))
    assert diag["clipped"] and diag["clip_rate"] == 0.5


def test_relative_step_warmup_and_cap():
    theta = np.ones(3)
    opt = Adafactor([theta], relative_step_warmup=True)
    opt.step([np.ones(3)])
    assert opt.diagnostics()["param0"]["relative_step"] == 1e-6
    capped = Adafactor([np.ones(3)], lr=0.5, lr_mode="capped")
    for _ in range(4):
        capped.step([np.ones(3)])
    assert capped.diagnostics()["param0"]["relative_step"] == 0.5  # 1/sqrt(4)
