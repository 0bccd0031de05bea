"""The training path (train_forward / train_backward, nn.kernels) against the
public forward / backward and NumPy / torch restatements."""

from __future__ import annotations

import numpy as np
import pytest

from adamlab import nn
from adamlab.nn import kernels

DTYPES = (np.float16, np.float32, np.float64)


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_loss_and_grad_matches_forward_backward_bit_for_bit(activation, dtype):
    # MSE's gradient comes from the same NumPy code on both paths, so the layer
    # paths must agree exactly, also as the reused buffers shrink and grow.
    model = nn.mlp(6, hidden=(9, 7), n_out=4, activation=activation, dtype=dtype)
    loss = nn.MeanSquaredError()
    rng = np.random.default_rng(1)
    for n in (5, 3, 8, 8):
        x = rng.standard_normal((n, 6))
        x[0, 0] = -0.0
        y = rng.standard_normal((n, 4))
        value = model.loss_and_grad(x, y, loss)
        trained = model.grad_buffer.copy()
        out = model.forward(x)
        assert value == loss.value(out, y)
        model.backward(loss.grad(out, y), input_grad=False)
        np.testing.assert_array_equal(trained, model.grad_buffer)


def test_predict_result_survives_training_steps():
    # forward / predict return fresh arrays, never the training buffers.
    model = nn.mlp(3, hidden=(4,), n_out=2, activation="relu")
    x = np.random.default_rng(0).standard_normal((5, 3))
    out = model.predict(x)
    kept = out.copy()
    model.loss_and_grad(x, np.array([0, 1, 1, 0, 1]), nn.SoftmaxCrossEntropy())
    np.testing.assert_array_equal(out, kept)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_ce_matches_torch(dtype):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    z = (rng.standard_normal((32, 10)) * 5).astype(dtype)
    t = rng.integers(0, 10, 32)
    value, grad = nn.SoftmaxCrossEntropy()(z, t)
    tz = torch.tensor(z.astype(np.float64), requires_grad=True)
    expected = torch.nn.functional.cross_entropy(tz, torch.tensor(t))
    expected.backward()
    tol = 1e-6 if dtype == np.float32 else 1e-13
    assert grad.dtype == dtype
    assert value == pytest.approx(expected.item(), rel=tol)
    np.testing.assert_allclose(grad, tz.grad.numpy(), rtol=tol, atol=tol * 1e-2)


def test_softmax_ce_extremes_match_the_numpy_formulas():
    z = np.array(
        [[-np.inf, 0.0, 0.0], [1e308, -1e308, 0.0], [np.nan, 0.0, 1.0], [1e8, 1e8, 0]]
    )
    t = np.array([1, 0, 1, 1])
    ce = nn.SoftmaxCrossEntropy()
    with np.errstate(all="raise"):
        value, grad = ce(z, t)
    np.testing.assert_allclose(grad, ce.grad(z, t), rtol=1e-15, equal_nan=True)
    assert np.isnan(value)  # the NaN row
    finite = [0, 1, 3]
    fast, _ = ce(z[finite], t[finite])
    assert fast == pytest.approx(ce.value(z[finite], t[finite]), rel=1e-15)


@pytest.mark.parametrize("labels", [[0, 3], [0, -1]])
def test_softmax_ce_rejects_labels_out_of_range(labels):
    with pytest.raises(ValueError, match=r"class labels y must be in \[0, 3\)"):
        nn.SoftmaxCrossEntropy()(np.zeros((2, 3)), np.array(labels))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(32, 128), (21, 10), (1, 5), (0, 4)])
def test_elementwise_kernels_are_numpy_bit_for_bit(dtype, shape):
    rng = np.random.default_rng(3)
    a = rng.standard_normal(shape).astype(dtype)
    if a.size:
        a.flat[:3] = [-0.0, np.nan, 0.0][: a.size]
    row = rng.standard_normal(shape[1]).astype(dtype)

    sums = np.empty(shape[1], dtype)
    kernels.column_sums(a, sums)
    np.testing.assert_array_equal(sums, np.add.reduce(a, axis=0))

    out = a.copy()
    kernels.add_rows(out, row)
    np.testing.assert_array_equal(out, a + row)

    relu, mask = np.empty_like(a), np.empty(shape, bool)
    kernels.relu_forward(a, relu, mask)
    expected = np.maximum(a, dtype(0))
    np.testing.assert_array_equal(relu, expected)
    assert not np.signbit(relu[~np.isnan(relu)]).any()
    np.testing.assert_array_equal(mask, a > 0)
