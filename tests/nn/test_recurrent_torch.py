"""Recurrent layers against torch.nn.RNN / LSTM / GRU (float64, same weights).

Truncated backpropagation through time is checked against torch running the
sequence chunk by chunk with the carried state detached at each boundary.
"""

from __future__ import annotations

import numpy as np
import pytest

from adamlab.nn.buffer import allocate_views
from adamlab.nn.gru import GRU
from adamlab.nn.lstm import LSTM
from adamlab.nn.rnn import RNN

torch = pytest.importorskip("torch")

CELLS = {"rnn": (RNN, "RNN"), "lstm": (LSTM, "LSTM"), "gru": (GRU, "GRU")}
KEYS = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


def bound(layer, seed=0, dtype=np.float64):
    """Bind ``layer`` to fresh flat buffers and initialise it."""
    shapes = list(layer.param_shapes().values())
    _, params = allocate_views(shapes, dtype)
    _, grads = allocate_views(shapes, dtype)
    names = list(layer.param_shapes())
    layer.bind(dict(zip(names, params)), dict(zip(names, grads)))
    layer.init_params(np.random.default_rng(seed))
    return layer


def rel_err(a, b):
    return np.max(np.abs(a - b)) / np.max(np.abs(b))


def torch_reference(cell, layer, x, grad_out, return_sequences, truncate):
    """Outputs and gradients from torch with ``layer``'s weights copied in."""
    module = getattr(torch.nn, CELLS[cell][1])(
        layer.n_in, layer.hidden, batch_first=True
    ).double()
    with torch.no_grad():
        for key in KEYS:
            getattr(module, f"{key}_l0").copy_(torch.from_numpy(layer.params[key]))
    xt = torch.from_numpy(x).requires_grad_()
    steps = x.shape[1]
    chunk = steps if truncate is None else truncate
    state, outs = None, []
    for start in range(0, steps, chunk):
        if isinstance(state, tuple):
            state = tuple(s.detach() for s in state)
        elif state is not None:
            state = state.detach()
        out, state = module(xt[:, start : start + chunk], state)
        outs.append(out)
    y = torch.cat(outs, dim=1)
    if not return_sequences:
        y = y[:, -1]
    (y * torch.from_numpy(grad_out)).sum().backward()
    grads = {key: getattr(module, f"{key}_l0").grad.numpy() for key in KEYS}
    return y.detach().numpy(), xt.grad.numpy(), grads


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
@pytest.mark.parametrize("truncate", [None, 1, 3, 7, 20])
def test_matches_torch(cell, return_sequences, truncate):
    batch, steps, n_in, hidden = 4, 7, 3, 5
    layer = bound(
        CELLS[cell][0](
            n_in, hidden, return_sequences=return_sequences, truncate=truncate
        ),
        seed=1,
    )
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, steps, n_in))
    y = layer.forward(x)
    grad_out = rng.standard_normal(y.shape)
    dx = layer.backward(grad_out)

    y_ref, dx_ref, grads_ref = torch_reference(
        cell, layer, x, grad_out, return_sequences, truncate
    )
    assert y.shape == y_ref.shape
    assert rel_err(y, y_ref) <= 1e-8
    assert rel_err(dx, dx_ref) <= 1e-8
    for key in KEYS:
        assert rel_err(layer.grads[key], grads_ref[key]) <= 1e-8, key


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_truncation_at_least_length_is_full_bptt(cell):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((2, 6, 2))
    grad_out = rng.standard_normal((2, 6, 4))
    results = []
    for truncate in (None, 6, 50):
        layer = bound(CELLS[cell][0](2, 4, return_sequences=True, truncate=truncate))
        layer.forward(x)
        dx = layer.backward(grad_out)
        results.append((dx, {k: v.copy() for k, v in layer.grads.items()}))
    for dx, grads in results[1:]:
        np.testing.assert_array_equal(dx, results[0][0])
        for key in KEYS:
            np.testing.assert_array_equal(grads[key], results[0][1][key])


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_truncation_changes_the_gradient(cell):
    # A cut that does nothing would pass the parity test only by accident.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 6, 2))
    grad_out = rng.standard_normal((2, 6, 3))
    grads = []
    for truncate in (None, 2):
        layer = bound(CELLS[cell][0](2, 3, return_sequences=True, truncate=truncate))
        layer.forward(x)
        layer.backward(grad_out)
        grads.append(layer.grads["weight_hh"].copy())
    assert rel_err(grads[1], grads[0]) > 1e-3


def test_float32_parity_with_torch_lstm():
    layer = bound(LSTM(2, 3, return_sequences=True), seed=5, dtype=np.float32)
    x = np.random.default_rng(6).standard_normal((3, 5, 2))
    y = layer.forward(x)
    assert y.dtype == np.float32
    y_ref, _, _ = torch_reference(
        "lstm", layer, x, np.ones((3, 5, 3)), return_sequences=True, truncate=None
    )
    assert rel_err(y.astype(np.float64), y_ref) <= 1e-5
