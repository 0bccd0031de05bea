"""Numerically stable activation functions and the activation layers.

The functions never overflow in ``exp`` and never take ``log(0)``: each
exponent is of ``-|x|`` (at most 1), so no RuntimeWarning is raised for any
finite or infinite input.

* ``sigmoid(x) = 1 / (1 + e^{-x})`` as ``1/(1+e)`` for ``x >= 0`` and
  ``e/(1+e)`` for ``x < 0``, with ``e = exp(-|x|)``.
* ``log_sigmoid(x) = -(max(-x, 0) + log1p(exp(-|x|)))``.
* ``softmax(z) = exp(z - m) / sum(exp(z - m))`` and
  ``log_softmax(z) = (z - m) - log(sum(exp(z - m)))`` with ``m`` the row
  maximum (taken as 0 for a row whose maximum is not finite, so a row masked
  entirely with ``-inf`` gives NaN rather than a warning).

The sigmoid derivative is formed as ``sigmoid(x) * sigmoid(-x)``, which stays
accurate in both tails; ``s * (1 - s)`` would give 0 at ``x = 40``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from adamlab.nn.layer import Layer, training_kernels


def sigmoid(x: ArrayLike) -> NDArray:
    """Return the logistic sigmoid of ``x``, stable for all inputs."""
    x = np.asarray(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(
        _float_dtype(x), copy=False
    )


def log_sigmoid(x: ArrayLike) -> NDArray:
    """Return ``log(sigmoid(x))`` without forming ``sigmoid(x)``."""
    x = np.asarray(x)
    return -(np.maximum(-x, 0) + np.log1p(np.exp(-np.abs(x))))


def softmax(z: ArrayLike, axis: int = -1) -> NDArray:
    """Return the softmax of ``z`` along ``axis``."""
    shifted = _shift(np.asarray(z), axis)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(z: ArrayLike, axis: int = -1) -> NDArray:
    """Return ``log(softmax(z))`` along ``axis`` as ``(z - m) - log sum exp(z - m)``."""
    shifted = _shift(np.asarray(z), axis)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _shift(z: NDArray, axis: int) -> NDArray:
    m = z.max(axis=axis, keepdims=True)
    finite = np.isfinite(m)
    if not finite.all():
        m = np.where(finite, m, 0)
    # z - m <= 0; it overflows only to -inf (e.g. -1e308 - 1e308), whose exp is
    # the correct 0, so that overflow is expected and silenced.
    with np.errstate(over="ignore"):
        return z - m


def _float_dtype(x: NDArray) -> np.dtype:
    return x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)


class _Activation(Layer):
    """An element-wise (or row-wise) layer without parameters."""

    def __init__(self, name: str | None = None) -> None:
        super().__init__(self.kind if name is None else name)
        self._cache: NDArray | None = None

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}

    def _cached(self) -> NDArray:
        if self._cache is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        return self._cache


class Identity(_Activation):
    """``y = x``."""

    kind = "identity"

    def forward(self, x: NDArray) -> NDArray:
        self._cache = x
        return x

    def backward(self, grad_out: NDArray) -> NDArray:
        self._cached()
        return grad_out


class Tanh(_Activation):
    """``y = tanh(x)``; ``dy/dx = 1 - y**2``."""

    kind = "tanh"

    def forward(self, x: NDArray) -> NDArray:
        self._cache = np.tanh(x)
        return self._cache

    def backward(self, grad_out: NDArray) -> NDArray:
        y = self._cached()
        return grad_out * (1 - y * y)

    def train_forward(self, x: NDArray) -> NDArray:
        self._cache = np.tanh(x, out=self._scratch("out", x.shape, x.dtype))
        return self._cache

    def train_backward(self, grad_out: NDArray, input_grad: bool = True) -> NDArray:
        # backward's operations in place: grad_out * (1 - y * y).
        y = self._cached()
        slope = np.multiply(y, y, out=self._scratch("slope", y.shape, y.dtype))
        np.subtract(1, slope, out=slope)
        return np.multiply(grad_out, slope, out=grad_out)


class ReLU(_Activation):
    """``y = max(x, 0)``; the derivative at 0 is taken as 0."""

    kind = "relu"

    def forward(self, x: NDArray) -> NDArray:
        # np.maximum keeps a NaN input NaN, so a broken batch shows in the loss.
        self._cache = x > 0
        return np.maximum(x, x.dtype.type(0))

    def backward(self, grad_out: NDArray) -> NDArray:
        mask = self._cached()
        return np.multiply(grad_out, mask, dtype=grad_out.dtype)

    def train_forward(self, x: NDArray) -> NDArray:
        mask = self._cache = self._scratch("mask", x.shape, np.dtype(np.bool_))
        out = self._scratch("out", x.shape, x.dtype)
        kernels = training_kernels()
        if x.ndim == 2 and kernels.fits(x):
            kernels.relu_forward(x, out, mask)
            return out
        np.greater(x, 0, out=mask)
        return np.maximum(x, x.dtype.type(0), out=out)

    def train_backward(self, grad_out: NDArray, input_grad: bool = True) -> NDArray:
        mask = self._cached()
        return np.multiply(grad_out, mask, out=grad_out, dtype=grad_out.dtype)


class Sigmoid(_Activation):
    """``y = sigmoid(x)``; ``dy/dx = sigmoid(x) * sigmoid(-x)``."""

    kind = "sigmoid"

    def forward(self, x: NDArray) -> NDArray:
        y = sigmoid(x)
        self._cache = sigmoid(-x)
        self._y = y
        return y

    def backward(self, grad_out: NDArray) -> NDArray:
        y_neg = self._cached()
        return grad_out * (self._y * y_neg)


class Softmax(_Activation):
    """Row-wise softmax over the last axis.

    ``dL/dz = y * (g - sum(g * y))`` for upstream gradient ``g``. For training a
    classifier prefer logits with :class:`~adamlab.nn.losses.SoftmaxCrossEntropy`.
    """

    kind = "softmax"

    def forward(self, x: NDArray) -> NDArray:
        self._cache = softmax(x, axis=-1)
        return self._cache

    def backward(self, grad_out: NDArray) -> NDArray:
        y = self._cached()
        return y * (grad_out - np.sum(grad_out * y, axis=-1, keepdims=True))


#: Activation layers by name, as accepted by :func:`adamlab.nn.mlp`.
ACTIVATIONS: dict[str, type[_Activation]] = {
    "tanh": Tanh,
    "relu": ReLU,
    "sigmoid": Sigmoid,
}
