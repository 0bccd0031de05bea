"""Recurrent gradients against central finite differences (float64).

Full backpropagation through time is checked with ``gradcheck.check_layer``.
Truncated backpropagation through time is not the gradient of the loss, so it
is checked against finite differences of a surrogate: the loss computed chunk
by chunk from a plain restatement of the cell equations (written here, not
taken from the layers), with the state carried into each chunk frozen at its
value for the unperturbed parameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from adamlab.nn.buffer import allocate_views
from adamlab.nn.gradcheck import (
    check_layer,
    check_model,
    compare_gradients,
    numerical_gradient,
)
from adamlab.nn.gru import GRU
from adamlab.nn.losses import MeanSquaredError
from adamlab.nn.lstm import LSTM
from adamlab.nn.recurrent import recurrent_model
from adamlab.nn.rnn import RNN

CELLS = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


def bound(layer, seed=0):
    shapes = layer.param_shapes()
    _, params = allocate_views(list(shapes.values()), np.float64)
    _, grads = allocate_views(list(shapes.values()), np.float64)
    layer.bind(dict(zip(shapes, params)), dict(zip(shapes, grads)))
    layer.init_params(np.random.default_rng(seed))
    return layer


# --- an independent restatement of the three cells (forward only) -----------


def _sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def ref_step(cell, p, x_t, h, c):
    n = p["weight_hh"].shape[1]
    u = x_t @ p["weight_ih"].T + p["bias_ih"]
    v = h @ p["weight_hh"].T + p["bias_hh"]
    if cell == "rnn":
        return np.tanh(u + v), c
    if cell == "lstm":
        a = u + v
        i, f = _sig(a[:, :n]), _sig(a[:, n : 2 * n])
        g, o = np.tanh(a[:, 2 * n : 3 * n]), _sig(a[:, 3 * n :])
        c = f * c + i * g
        return o * np.tanh(c), c
    r = _sig(u[:, :n] + v[:, :n])
    z = _sig(u[:, n : 2 * n] + v[:, n : 2 * n])
    cand = np.tanh(u[:, 2 * n :] + r * v[:, 2 * n :])
    return (1 - z) * cand + z * h, c


def ref_run(cell, p, x, h, c):
    hs = []
    for t in range(x.shape[1]):
        h, c = ref_step(cell, p, x[:, t], h, c)
        hs.append(h)
    return np.stack(hs, axis=1), h, c


def truncated_objective(cell, p0, x0, w, k, return_sequences):
    """f(params, x) = sum(w * outputs) with the chunk-entry states frozen at p0, x0."""
    batch, steps, _ = x0.shape
    n = p0["weight_hh"].shape[1]
    h, c = np.zeros((batch, n)), np.zeros((batch, n))
    frozen = []
    for start in range(0, steps, k):
        frozen.append((h.copy(), c.copy()))
        _, h, c = ref_run(cell, p0, x0[:, start : start + k], h, c)

    def f(p, x):
        outs = [
            ref_run(cell, p, x[:, start : start + k], *frozen[j])[0]
            for j, start in enumerate(range(0, steps, k))
        ]
        hs = np.concatenate(outs, axis=1)
        return float(np.sum(w * (hs if return_sequences else hs[:, -1])))

    return f


# --- tests ---------------------------------------------------------------------


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_full_bptt_matches_finite_differences(cell, return_sequences):
    layer = CELLS[cell](2, 3, return_sequences=return_sequences)
    x = np.random.default_rng(10).standard_normal((3, 5, 2))
    results = check_layer(layer, x, seed=11)
    assert set(results) == {"input", "weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    for key, result in results.items():
        assert result.passed, (key, result.max_rel_error)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("truncate", [2, 3])
def test_truncated_bptt_matches_frozen_state_differences(
    cell, return_sequences, truncate
):
    rng = np.random.default_rng(12)
    layer = bound(
        CELLS[cell](2, 3, return_sequences=return_sequences, truncate=truncate), 13
    )
    x = rng.standard_normal((3, 7, 2))
    y = layer.forward(x)
    w = rng.standard_normal(y.shape)
    dx = layer.backward(w)
    p0 = {key: value.copy() for key, value in layer.params.items()}

    # The restatement reproduces the layer's forward pass
    hs_ref, _, _ = ref_run(cell, p0, x, np.zeros((3, 3)), np.zeros((3, 3)))
    np.testing.assert_allclose(y, hs_ref if return_sequences else hs_ref[:, -1])

    f = truncated_objective(cell, p0, x, w, truncate, return_sequences)
    result = compare_gradients(dx, numerical_gradient(lambda xx: f(p0, xx), x))
    assert result.passed, ("input", result.max_rel_error)
    for key in p0:

        def of_param(value, key=key):
            return f({**p0, key: value}, x)

        result = compare_gradients(
            layer.grads[key], numerical_gradient(of_param, p0[key])
        )
        assert result.passed, (key, result.max_rel_error)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_model_gradient(cell, return_sequences):
    model = recurrent_model(
        cell, n_in=2, hidden=3, n_out=2, return_sequences=return_sequences, seed=3
    )
    rng = np.random.default_rng(14)
    x = rng.standard_normal((4, 5, 2))
    y = rng.standard_normal((4, 5, 2) if return_sequences else (4, 2))
    result = check_model(model, x, y, MeanSquaredError())
    assert result.passed, result.max_rel_error


def test_faults_f16_scalar_rnn_hand_values():
    # FAULTS.md F16: h_t = tanh(w_x x_t + w_h h_{t-1} + b), loss (h_3 - 0.3)^2 / 2
    layer = bound(RNN(1, 1, return_sequences=True))
    layer.params["weight_ih"][...] = 0.5
    layer.params["weight_hh"][...] = 0.8
    layer.params["bias_ih"][...] = 0.1
    layer.params["bias_hh"][...] = 0.0
    x = np.array([[[1.0], [-0.5], [0.25]]])
    hs = layer.forward(x)
    np.testing.assert_allclose(
        hs.ravel(), [0.5370495670, 0.2725715390, 0.4161753673], rtol=1e-9
    )
    loss = 0.5 * (hs[0, -1, 0] - 0.3) ** 2
    assert loss == pytest.approx(0.006748357986, rel=1e-9)

    grad_out = np.zeros_like(hs)
    grad_out[0, -1, 0] = hs[0, -1, 0] - 0.3
    layer.backward(grad_out)
    assert layer.grads["weight_ih"][0, 0] == pytest.approx(0.02894027613, rel=1e-9)
    assert layer.grads["weight_hh"][0, 0] == pytest.approx(0.06438384358, rel=1e-9)
    # b appears once in the formula; torch's two biases each receive its gradient
    assert layer.grads["bias_ih"][0] == pytest.approx(0.2076811472, rel=1e-9)
    assert layer.grads["bias_hh"][0] == pytest.approx(0.2076811472, rel=1e-9)
    # Neither the last-step-only value nor the 1/(1 - h^2) mistake
    assert abs(layer.grads["weight_hh"][0, 0] - 0.02618146905) > 0.03
    assert abs(layer.grads["weight_hh"][0, 0] - 0.1035145218) > 0.03
