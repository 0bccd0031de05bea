"""Flat-buffer layout, seeding, descriptions and bad input of adamlab.nn models."""

import json

import numpy as np
import pytest

from adamlab import nn
from adamlab.nn.buffer import allocate_views


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_parameters_are_views_of_one_buffer(dtype):
    model = nn.mlp(5, hidden=(4, 3), n_out=2, dtype=dtype)
    names = [name for name, _ in model.named_parameters()]
    assert names == [
        "hidden1.weight",
        "hidden1.bias",
        "hidden2.weight",
        "hidden2.bias",
        "output.weight",
        "output.bias",
    ]
    shapes = [p.shape for p in model.parameters()]
    assert shapes == [(5, 4), (4,), (4, 3), (3,), (3, 2), (2,)]
    assert model.num_parameters == 5 * 4 + 4 + 4 * 3 + 3 + 3 * 2 + 2
    for buffer, views in (
        (model.param_buffer, model.parameters()),
        (model.grad_buffer, model.gradients()),
    ):
        assert buffer.ndim == 1 and buffer.dtype == dtype
        assert buffer.flags.c_contiguous
        offset = 0
        for view in views:
            assert view.base is buffer
            assert view.flags.c_contiguous
            assert np.shares_memory(view, buffer)
            assert view.dtype == dtype
            start = (view.ctypes.data - buffer.ctypes.data) // buffer.itemsize
            assert start == offset
            offset += view.size
        assert offset == buffer.size
        assert nn.is_flat_layout(buffer, views)


def test_writes_through_views_and_buffer():
    model = nn.mlp(3, hidden=(2,), n_out=2)
    model.param_buffer[:] = np.arange(model.num_parameters)
    w = model.named_parameters()[0][1]
    np.testing.assert_array_equal(w, np.arange(6).reshape(3, 2))
    w[0, 0] = -1.0
    assert model.param_buffer[0] == -1.0


def test_gradients_is_the_same_list_and_backward_overwrites():
    model = nn.mlp(3, hidden=(4,), n_out=2, seed=1)
    grads = model.gradients()
    assert model.gradients() is grads
    assert [g.shape for g in grads] == [p.shape for p in model.parameters()]
    x = np.ones((2, 3))
    y = np.array([0, 1])
    loss = nn.SoftmaxCrossEntropy()
    model.loss_and_grad(x, y, loss)
    first = model.grad_buffer.copy()
    model.loss_and_grad(x, y, loss)
    np.testing.assert_array_equal(model.grad_buffer, first)  # not accumulated
    assert grads[0].base is model.grad_buffer


def test_loss_and_grad_is_mean_over_batch():
    model = nn.mlp(3, hidden=(4,), n_out=2, seed=2)
    x = np.random.default_rng(0).standard_normal((4, 3))
    y = np.array([0, 1, 1, 0])
    loss = nn.SoftmaxCrossEntropy()
    model.loss_and_grad(x, y, loss)
    g_all = model.grad_buffer.copy()
    g_sum = np.zeros_like(g_all)
    for i in range(4):
        model.loss_and_grad(x[i : i + 1], y[i : i + 1], loss)
        g_sum += model.grad_buffer
    np.testing.assert_allclose(g_all, g_sum / 4, rtol=1e-12)


def test_same_seed_same_weights_bit_for_bit():
    a = nn.mlp(6, hidden=(5,), n_out=3, seed=42)
    b = nn.mlp(6, hidden=(5,), n_out=3, seed=42)
    c = nn.mlp(6, hidden=(5,), n_out=3, seed=43)
    assert a.param_buffer.tobytes() == b.param_buffer.tobytes()
    assert a.param_buffer.tobytes() != c.param_buffer.tobytes()
    f32 = nn.mlp(6, hidden=(5,), n_out=3, seed=42, dtype=np.float32)
    np.testing.assert_array_equal(f32.param_buffer, a.param_buffer.astype(np.float32))


def test_init_scales_glorot_and_he():
    n_in, width = 400, 300
    tanh = nn.mlp(n_in, hidden=(width,), n_out=10, activation="tanh", seed=0)
    relu = nn.mlp(n_in, hidden=(width,), n_out=10, activation="relu", seed=0)
    w_tanh = tanh.named_parameters()[0][1]
    w_relu = relu.named_parameters()[0][1]
    glorot = np.sqrt(6 / (n_in + width))
    he = np.sqrt(6 / n_in)
    assert np.abs(w_tanh).max() <= glorot and np.abs(w_tanh).max() > 0.99 * glorot
    assert np.abs(w_relu).max() <= he and np.abs(w_relu).max() > 0.99 * he
    assert w_tanh.var() == pytest.approx(glorot**2 / 3, rel=0.02)
    assert w_relu.var() == pytest.approx(2 / n_in, rel=0.02)
    assert np.all(tanh.named_parameters()[1][1] == 0)  # biases start at zero
    out_w = relu.named_parameters()[2][1]
    assert np.abs(out_w).max() <= np.sqrt(6 / (width + 10))


def test_single_hidden_layer_names_and_layers():
    model = nn.mlp(2, hidden=(3,), n_out=1, activation="relu")
    assert [layer.name for layer in model.layers] == ["hidden", "hidden_act", "output"]
    assert isinstance(model.layers[1], nn.ReLU)
    assert nn.mlp(2, hidden=(), n_out=1).num_parameters == 3


def test_config_round_trip_through_json():
    model = nn.mlp(4, hidden=(5, 3), n_out=2, activation="sigmoid", seed=7)
    cfg = json.loads(json.dumps(model.config()))
    rebuilt = nn.Sequential.from_config(cfg)
    assert rebuilt.config() == model.config()
    assert rebuilt.param_buffer.tobytes() == model.param_buffer.tobytes()
    as32 = nn.model_from_config(nn.model_to_config(model), dtype=np.float32)
    assert as32.dtype == np.float32 and as32.config()["dtype"] == "float32"
    assert nn.layer_from_config(nn.Softmax(name="p").config()).name == "p"


def test_state_dict_round_trip():
    a = nn.mlp(3, hidden=(4,), n_out=2, seed=1)
    b = nn.mlp(3, hidden=(4,), n_out=2, seed=2)
    views = b.parameters()
    b.load_state_dict(a.state_dict())
    assert b.param_buffer.tobytes() == a.param_buffer.tobytes()
    assert all(v.base is b.param_buffer for v in views)
    with pytest.raises(ValueError, match="missing"):
        b.load_state_dict({"hidden.weight": np.zeros((3, 4))})
    bad = a.state_dict()
    bad["output.bias"] = np.zeros(3)
    with pytest.raises(ValueError, match=r"output\.bias.*shape \(2,\)"):
        b.load_state_dict(bad)


def test_predict_equals_forward_and_casts_input():
    model = nn.mlp(3, hidden=(4,), n_out=2, dtype=np.float32)
    x = np.arange(6, dtype=np.float64).reshape(2, 3)
    out = model.predict(x)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, model.forward(x))


def test_allocate_views_layout():
    buffer, views = allocate_views([(2, 3), (3,), (1, 1, 2)], np.float32)
    assert buffer.shape == (11,)
    assert [v.shape for v in views] == [(2, 3), (3,), (1, 1, 2)]
    assert nn.is_flat_layout(buffer, views)
    assert not nn.is_flat_layout(buffer, views[::-1])
    assert not nn.is_flat_layout(buffer, views[:2])


# -- bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "pattern"),
    [
        ({"activation": "gelu"}, ValueError, r"activation must be one of .*'gelu'"),
        ({"n_in": 0}, ValueError, r"n_in must be a positive int, got 0"),
        ({"n_out": -3}, ValueError, r"n_out must be a positive int, got -3"),
        ({"hidden": (4, 0)}, ValueError, r"hidden\[1\] must be a positive int, got 0"),
        ({"hidden": (2.5,)}, TypeError, r"hidden\[0\] must be a positive int"),
        ({"hidden": 8}, TypeError, r"hidden must be a sequence of ints"),
        ({"n_in": True}, TypeError, r"n_in must be a positive int"),
        ({"dtype": np.int32}, ValueError, r"dtype must be float16, float32 or float64"),
        ({"dtype": "bogus"}, TypeError, r"dtype must be float16, float32 or float64"),
        ({"seed": -1}, ValueError, r"seed must be a non-negative int, got -1"),
    ],
)
def test_mlp_bad_arguments(kwargs, error, pattern):
    args = {"n_in": 3, "hidden": (4,), "n_out": 2, **kwargs}
    with pytest.raises(error, match=pattern):
        nn.mlp(**args)


def test_wrong_input_width_names_layer_and_shapes():
    model = nn.mlp(3, hidden=(4,), n_out=2)
    with pytest.raises(
        ValueError, match=r"'hidden' must have shape \(batch, 3\), got \(2, 5\)"
    ):
        model.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match=r"shape \(batch, 3\), got \(3,\)"):
        model.forward(np.zeros(3))


def test_bad_layers_and_labels():
    with pytest.raises(ValueError, match="distinct.*'a'"):
        nn.Sequential([nn.Linear(2, 2, name="a"), nn.Tanh(name="a")])
    with pytest.raises(TypeError, match=r"layers\[0\] must be an adamlab.nn Layer"):
        nn.Sequential(["linear"])
    with pytest.raises(ValueError, match="at least one layer"):
        nn.Sequential([])
    with pytest.raises(ValueError, match="name must be a non-empty string"):
        nn.Linear(2, 2, name="a.b")
    with pytest.raises(ValueError, match="init must be one of"):
        nn.Linear(2, 2, init="zeros")
    with pytest.raises(RuntimeError, match="no parameters bound"):
        nn.Linear(2, 2).forward(np.zeros((1, 2)))
    with pytest.raises(RuntimeError, match="backward called before forward"):
        nn.Tanh().backward(np.zeros((1, 2)))
    ce = nn.SoftmaxCrossEntropy()
    with pytest.raises(ValueError, match=r"class labels y must be in \[0, 3\)"):
        ce.value(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(TypeError, match="class labels y must be integers"):
        ce.value(np.zeros((2, 3)), np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="y must have 2 labels"):
        ce.value(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"y must have the shape of out \(2, 1\)"):
        nn.MeanSquaredError().value(np.zeros((2, 1)), np.zeros(2))
    with pytest.raises(ValueError, match="eps must be in"):
        nn.BinaryCrossEntropy(eps=0.0)
    with pytest.raises(ValueError, match="layer kind must be one of .*'conv'"):
        nn.layer_from_config({"kind": "conv", "name": "c"})
    with pytest.raises(ValueError, match="kind 'sequential'"):
        nn.Sequential.from_config({"kind": "other"})


def test_nn_does_not_import_higher_layers():
    import subprocess
    import sys

    code = (
        "import sys, adamlab.nn; "
        "bad = [m for m in sys.modules if m.split('.')[:2] in "
        "(['adamlab','optim'], ['adamlab','data'], ['adamlab','train'], "
        "['adamlab','track'], ['adamlab','cli']) or m == 'torch']; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_recurrent_kinds_rebuild_from_json_in_a_fresh_process():
    # Importing adamlab.nn alone must register the recurrent layer kinds.
    import subprocess
    import sys

    recurrent = pytest.importorskip("adamlab.nn.recurrent")
    cfg = recurrent.recurrent_model("gru", n_in=2, hidden=3, n_out=1).config()
    code = (
        "import json, sys; from adamlab import nn; "
        "cfg = json.loads(sys.stdin.read()); "
        "print(json.dumps(nn.Sequential.from_config(cfg).config()))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=json.dumps(cfg),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(json.dumps(cfg))
