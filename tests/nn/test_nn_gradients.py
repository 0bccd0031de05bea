"""Layer, loss and model gradients vs float64 central differences and torch."""

import numpy as np
import pytest
import torch

from adamlab import nn
from adamlab.nn.gradcheck import check_layer, check_loss, check_model

RNG = np.random.default_rng(1234)
X = RNG.standard_normal((5, 4))


def _layers():
    return [
        nn.Linear(4, 3, name="lin"),
        nn.Linear(4, 3, name="lin_he", init="he"),
        nn.Tanh(),
        nn.Sigmoid(),
        nn.Softmax(),
        nn.Identity(),
    ]


@pytest.mark.parametrize("layer", _layers(), ids=lambda layer: layer.kind)
def test_layer_gradients_finite_differences(layer):
    results = check_layer(layer, X * 2)
    assert results, "at least the input gradient is checked"
    for key, result in results.items():
        assert result.passed, (key, result.max_rel_error)


def test_relu_gradient_away_from_the_kink():
    x = X.copy()
    x[np.abs(x) < 1e-3] = 0.5  # central differences need |x| > h at a kink
    for key, result in check_layer(nn.ReLU(), x).items():
        assert result.passed, (key, result.max_rel_error)


def _targets(loss):
    rng = np.random.default_rng(7)
    out = rng.standard_normal((6, 3)) * 3
    if isinstance(loss, nn.SoftmaxCrossEntropy):
        return out, rng.integers(0, 3, 6)
    if isinstance(loss, nn.BinaryCrossEntropy):
        return rng.uniform(0.05, 0.95, (6, 3)), rng.uniform(0, 1, (6, 3))
    if isinstance(loss, nn.BinaryCrossEntropyWithLogits):
        return out, rng.uniform(0, 1, (6, 3))
    return out, rng.standard_normal((6, 3))


LOSSES = [
    nn.SoftmaxCrossEntropy(),
    nn.BinaryCrossEntropyWithLogits(),
    nn.BinaryCrossEntropy(),
    nn.MeanSquaredError(),
]


@pytest.mark.parametrize("loss", LOSSES, ids=repr)
def test_loss_gradients_finite_differences(loss):
    out, y = _targets(loss)
    result = check_loss(loss, out, y)
    assert result.passed, result.max_rel_error


def test_soft_label_cross_entropy_gradient():
    rng = np.random.default_rng(3)
    z = rng.standard_normal((4, 5))
    y = rng.dirichlet(np.ones(5), 4)
    y[0] = [0, 0, 1, 0, 0]  # one-hot row, zeros included
    assert check_loss(nn.SoftmaxCrossEntropy(), z, y).passed


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("hidden", [(6,), (5, 4)])
def test_model_gradient_finite_differences(activation, hidden):
    model = nn.mlp(4, hidden=hidden, n_out=3, activation=activation, seed=3)
    y = np.array([0, 2, 1, 1, 0])
    result = check_model(model, X, y, nn.SoftmaxCrossEntropy())
    assert result.passed, result.max_rel_error


# -- torch autograd on the same weights --------------------------------------

TORCH_ACT = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}


def _torch_forward(model, x, activation):
    params = {
        name: torch.tensor(p.copy(), requires_grad=True)
        for name, p in model.named_parameters()
    }
    h = torch.tensor(x)
    linears = [layer for layer in model.layers if isinstance(layer, nn.Linear)]
    for i, layer in enumerate(linears):
        h = h @ params[f"{layer.name}.weight"] + params[f"{layer.name}.bias"]
        if i < len(linears) - 1:
            h = TORCH_ACT[activation](h)
    return h, params


TORCH_LOSSES = {
    "ce": (nn.SoftmaxCrossEntropy(), torch.nn.functional.cross_entropy),
    "bcel": (
        nn.BinaryCrossEntropyWithLogits(),
        torch.nn.functional.binary_cross_entropy_with_logits,
    ),
    "mse": (nn.MeanSquaredError(), torch.nn.functional.mse_loss),
}


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
@pytest.mark.parametrize("loss_name", sorted(TORCH_LOSSES))
def test_model_matches_torch(activation, loss_name):
    loss, torch_loss = TORCH_LOSSES[loss_name]
    rng = np.random.default_rng(11)
    x = rng.standard_normal((8, 4))
    model = nn.mlp(4, hidden=(7, 5), n_out=3, activation=activation, seed=5)
    if loss_name == "ce":
        y = rng.integers(0, 3, 8)
        ty = torch.tensor(y)
    else:
        y = rng.uniform(0, 1, (8, 3))
        ty = torch.tensor(y)

    value = model.loss_and_grad(x, y, loss)
    out, params = _torch_forward(model, x, activation)
    t_value = torch_loss(out, ty)
    t_value.backward()

    assert value == pytest.approx(t_value.item(), rel=1e-12)
    for (name, grad), (t_name, t_param) in zip(
        model.named_gradients(), params.items(), strict=True
    ):
        assert name == t_name
        np.testing.assert_allclose(grad, t_param.grad.numpy(), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    ("layer", "torch_fn"),
    [
        (nn.Tanh(), torch.tanh),
        (nn.ReLU(), torch.relu),
        (nn.Sigmoid(), torch.sigmoid),
        (nn.Softmax(), lambda t: torch.softmax(t, dim=-1)),
    ],
    ids=lambda v: getattr(v, "kind", ""),
)
def test_activation_matches_torch(layer, torch_fn):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((5, 4)) * 3
    g = rng.standard_normal((5, 4))
    y = layer.forward(x)
    dx = layer.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    ty = torch_fn(tx)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_linear_matches_torch():
    model = nn.Sequential([nn.Linear(4, 3, name="fc")], seed=9)
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 4))
    g = rng.standard_normal((6, 3))
    y = model.forward(x)
    dx = model.backward(g)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(model.layers[0].params["weight"].copy(), requires_grad=True)
    tb = torch.tensor(model.layers[0].params["bias"].copy(), requires_grad=True)
    ty = torch.nn.functional.linear(tx, tw.T, tb)
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(y, ty.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(dx, tx.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(model.gradients()[0], tw.grad.numpy(), rtol=1e-13)
    np.testing.assert_allclose(model.gradients()[1], tb.grad.numpy(), rtol=1e-13)


def test_soft_label_ce_and_bce_match_torch():
    rng = np.random.default_rng(5)
    z = rng.standard_normal((4, 3)) * 2
    y = rng.dirichlet(np.ones(3), 4)
    tz = torch.tensor(z, requires_grad=True)
    t_ce = torch.nn.functional.cross_entropy(tz, torch.tensor(y))
    t_ce.backward()
    loss = nn.SoftmaxCrossEntropy()
    assert loss.value(z, y) == pytest.approx(t_ce.item(), rel=1e-13)
    np.testing.assert_allclose(loss.grad(z, y), tz.grad.numpy(), rtol=1e-12)

    p = rng.uniform(0.01, 0.99, (4, 3))
    t = rng.uniform(0, 1, (4, 3))
    tp = torch.tensor(p, requires_grad=True)
    t_bce = torch.nn.functional.binary_cross_entropy(tp, torch.tensor(t))
    t_bce.backward()
    bce = nn.BinaryCrossEntropy()
    assert bce.value(p, t) == pytest.approx(t_bce.item(), rel=1e-13)
    np.testing.assert_allclose(bce.grad(p, t), tp.grad.numpy(), rtol=1e-12)


def test_float32_model_close_to_float64():
    x = RNG.standard_normal((5, 4))
    y = np.array([0, 1, 2, 0, 1])
    m64 = nn.mlp(4, (6,), 3, seed=1)
    m32 = nn.mlp(4, (6,), 3, seed=1, dtype=np.float32)
    loss = nn.SoftmaxCrossEntropy()
    v64 = m64.loss_and_grad(x, y, loss)
    v32 = m32.loss_and_grad(x, y, loss)
    assert m32.grad_buffer.dtype == np.float32
    assert v32 == pytest.approx(v64, rel=1e-5)
    np.testing.assert_allclose(m32.grad_buffer, m64.grad_buffer, rtol=1e-4, atol=1e-6)
