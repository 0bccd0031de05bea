"""Recurrent layers: construction, shapes, configs, stability, the model factory."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest

from adamlab import nn
from adamlab.nn.buffer import allocate_views, is_flat_layout
from adamlab.nn.recurrent import CELLS, TimeDistributed, recurrent_model
from adamlab.nn.serialize import layer_from_config, model_from_config


def bound(layer, seed=0, dtype=np.float64):
    shapes = layer.param_shapes()
    _, params = allocate_views(list(shapes.values()), dtype)
    _, grads = allocate_views(list(shapes.values()), dtype)
    layer.bind(dict(zip(shapes, params)), dict(zip(shapes, grads)))
    layer.init_params(np.random.default_rng(seed))
    return layer


@pytest.mark.parametrize(("cell", "gates"), [("rnn", 1), ("lstm", 4), ("gru", 3)])
def test_parameter_shapes_follow_torch(cell, gates):
    layer = CELLS[cell](3, 5)
    assert layer.name == cell
    assert layer.param_shapes() == {
        "weight_ih": (5 * gates, 3),
        "weight_hh": (5 * gates, 5),
        "bias_ih": (5 * gates,),
        "bias_hh": (5 * gates,),
    }


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_init_is_seeded_uniform_within_torch_bound(cell):
    a = bound(CELLS[cell](2, 16), seed=7)
    b = bound(CELLS[cell](2, 16), seed=7)
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
        assert np.all(np.abs(a.params[key]) <= 1 / math.sqrt(16))
    assert np.std(a.params["weight_hh"]) > 0.1


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_output_shapes_and_2d_input(cell, return_sequences):
    layer = bound(CELLS[cell](1, 4, return_sequences=return_sequences))
    x = np.random.default_rng(0).standard_normal((5, 6))
    y = layer.forward(x)
    assert y.shape == ((5, 6, 4) if return_sequences else (5, 4))
    np.testing.assert_array_equal(y, layer.forward(x[:, :, None]))
    assert layer.backward(np.ones_like(y)).shape == (5, 6, 1)
    layer.forward(x)
    assert layer.backward(np.ones_like(y)).shape == (5, 6)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_backward_overwrites_gradients(cell):
    layer = bound(CELLS[cell](2, 3))
    x = np.random.default_rng(1).standard_normal((2, 4, 2))
    y = layer.forward(x)
    layer.backward(np.ones_like(y))
    first = {key: g.copy() for key, g in layer.grads.items()}
    layer.backward(np.ones_like(y))
    for key, g in layer.grads.items():
        np.testing.assert_array_equal(g, first[key])


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_large_preactivations_raise_no_warning(cell):
    layer = bound(CELLS[cell](2, 3, return_sequences=True))
    for p in layer.params.values():
        p *= 1e4
    x = np.random.default_rng(2).standard_normal((3, 5, 2)) * 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layer.forward(x)
        dx = layer.backward(np.ones_like(y))
    assert np.all(np.isfinite(y)) and np.all(np.abs(y) <= 1)
    assert np.all(np.isfinite(dx))
    for g in layer.grads.values():
        assert np.all(np.isfinite(g))


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_config_round_trip(cell):
    layer = CELLS[cell](2, 3, return_sequences=True, truncate=4, name="enc")
    cfg = json.loads(json.dumps(layer.config()))
    assert cfg == {
        "kind": cell,
        "name": "enc",
        "n_in": 2,
        "hidden": 3,
        "return_sequences": True,
        "truncate": 4,
    }
    again = layer_from_config(cfg)
    assert type(again) is type(layer)
    assert again.config() == layer.config()


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n_in": 0, "hidden": 3}, ValueError, "n_in must be a positive int, got 0"),
        ({"n_in": 2, "hidden": -1}, ValueError, "hidden must be a positive int"),
        ({"n_in": 2.5, "hidden": 3}, TypeError, "n_in must be an int, got float"),
        ({"n_in": True, "hidden": 3}, TypeError, "n_in must be an int, got bool"),
        ({"n_in": 2, "hidden": 3, "truncate": 0}, ValueError, "truncate must be"),
        ({"n_in": 2, "hidden": 3, "truncate": "4"}, TypeError, "truncate must be"),
        (
            {"n_in": 2, "hidden": 3, "return_sequences": "yes"},
            TypeError,
            "return_sequences must be a bool, got str",
        ),
        ({"n_in": 2, "hidden": 3, "name": "a.b"}, ValueError, "name must be"),
    ],
)
@pytest.mark.parametrize("cell", sorted(CELLS))
def test_bad_arguments(cell, kwargs, error, message):
    with pytest.raises(error, match=message):
        CELLS[cell](**kwargs)


@pytest.mark.parametrize("cell", sorted(CELLS))
def test_bad_calls(cell):
    layer = CELLS[cell](2, 3)
    with pytest.raises(RuntimeError, match="no parameters bound"):
        layer.forward(np.zeros((1, 2, 2)))
    bound(layer)
    with pytest.raises(RuntimeError, match="backward called before forward"):
        layer.backward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"must have shape \(batch, time, 2\)"):
        layer.forward(np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match=r"time >= 1, got \(1, 0, 2\)"):
        layer.forward(np.zeros((1, 0, 2)))
    layer.forward(np.zeros((4, 5, 2)))
    with pytest.raises(ValueError, match=r"grad_out .* must have shape \(4, 3\)"):
        layer.backward(np.zeros((4, 5, 3)))


def test_time_distributed_linear_matches_per_step_linear():
    inner = bound(nn.Linear(3, 2, name="output"), seed=4)
    wrapped = TimeDistributed(inner)
    assert wrapped.name == "output"
    assert wrapped.param_shapes() == {"weight": (3, 2), "bias": (2,)}
    x = np.random.default_rng(5).standard_normal((4, 6, 3))
    y = wrapped.forward(x)
    np.testing.assert_allclose(y, x @ inner.params["weight"] + inner.params["bias"])
    g = np.random.default_rng(6).standard_normal(y.shape)
    dx = wrapped.backward(g)
    np.testing.assert_allclose(dx, g @ inner.params["weight"].T)
    np.testing.assert_allclose(inner.grads["weight"], np.einsum("bti,bto->io", x, g))
    np.testing.assert_allclose(inner.grads["bias"], g.sum(axis=(0, 1)))
    with pytest.raises(TypeError, match="layer must be an adamlab.nn Layer"):
        TimeDistributed(3)


@pytest.mark.parametrize("cell", sorted(CELLS))
@pytest.mark.parametrize("return_sequences", [False, True])
def test_recurrent_model_factory(cell, return_sequences):
    model = recurrent_model(
        cell, n_in=2, hidden=4, n_out=3, return_sequences=return_sequences, seed=9
    )
    assert isinstance(model, nn.Sequential)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        f"{cell}.weight_ih",
        f"{cell}.weight_hh",
        f"{cell}.bias_ih",
        f"{cell}.bias_hh",
        "output.weight",
        "output.bias",
    ]
    assert is_flat_layout(model.param_buffer, model.parameters())
    x = np.random.default_rng(8).standard_normal((5, 7, 2))
    y = model.forward(x)
    assert y.shape == ((5, 7, 3) if return_sequences else (5, 3))

    again = model_from_config(json.loads(json.dumps(model.config())))
    np.testing.assert_array_equal(again.param_buffer, model.param_buffer)
    np.testing.assert_array_equal(again.forward(x), y)


def test_recurrent_model_float32_and_bad_cell():
    model = recurrent_model("gru", hidden=3, dtype=np.float32, seed=0)
    assert model.forward(np.zeros((2, 4, 1))).dtype == np.float32
    with pytest.raises(ValueError, match="cell must be one of .* got 'lstmx'"):
        recurrent_model("lstmx")


def test_package_exports():
    assert (
        nn.LSTM is CELLS["lstm"] and nn.GRU is CELLS["gru"] and nn.RNN is CELLS["rnn"]
    )
    assert nn.recurrent_model is recurrent_model
    assert {"rnn", "lstm", "gru", "time_distributed"} <= set(nn.LAYER_KINDS)
