"""The fully connected layer ``y = x @ W + b``."""

from __future__ import annotations

import operator
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.nn.init import INITIALIZERS
from adamlab.nn.layer import Layer, training_kernels


def check_size(value: object, argument: str) -> int:
    """Return ``value`` as an int if it is a positive integer, else raise."""
    if isinstance(value, bool):
        raise TypeError(f"{argument} must be a positive int, got {value!r}")
    try:
        size = operator.index(value)
    except TypeError as exc:
        raise TypeError(
            f"{argument} must be a positive int, got {type(value).__name__} {value!r}"
        ) from exc
    if size <= 0:
        raise ValueError(f"{argument} must be a positive int, got {size}")
    return size


class Linear(Layer):
    """Fully connected layer.

    ``y = x @ W + b`` with ``x`` of shape (batch, n_in), ``W`` (``weight``) of
    shape (n_in, n_out) and ``b`` (``bias``) of shape (n_out,). Backward::

        dW = x.T @ g        db = sum_batch g        dx = g @ W.T

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths (positive).
    name : str
        Layer name; parameters are ``f"{name}.weight"`` and ``f"{name}.bias"``.
    init : {"glorot", "he"}
        Weight initialiser (see :mod:`adamlab.nn.init`); the bias starts at 0.
    """

    kind = "linear"

    def __init__(
        self, n_in: int, n_out: int, name: str = "linear", init: str = "glorot"
    ) -> None:
        super().__init__(name)
        self.n_in = check_size(n_in, "n_in")
        self.n_out = check_size(n_out, "n_out")
        if init not in INITIALIZERS:
            raise ValueError(
                f"init must be one of {sorted(INITIALIZERS)}, got {init!r}"
            )
        self.init = init
        self._x: NDArray | None = None

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {"weight": (self.n_in, self.n_out), "bias": (self.n_out,)}

    def init_params(self, rng: np.random.Generator) -> None:
        self._require_bound()
        INITIALIZERS[self.init](self.params["weight"], rng)
        self.params["bias"][...] = 0

    def forward(self, x: NDArray) -> NDArray:
        self._check_input(x)
        self._x = x
        return x @ self.params["weight"] + self.params["bias"]  # (batch, n_out)

    def train_forward(self, x: NDArray) -> NDArray:
        # forward's operations, written into a buffer reused across steps.
        self._check_input(x)
        self._x = x
        weight = self.params["weight"]
        dtype = x.dtype if x.dtype == weight.dtype else np.result_type(x, weight)
        out = self._scratch("out", (x.shape[0], self.n_out), dtype)
        np.matmul(x, weight, out=out)
        bias = self.params["bias"]
        kernels = training_kernels()
        if kernels.fits(out, bias):
            kernels.add_rows(out, bias)
        else:
            np.add(out, bias, out=out)
        return out

    def train_backward(self, grad_out: NDArray, input_grad: bool = True) -> NDArray:
        if self._x is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        bias_grad = self.grads["bias"]
        kernels = training_kernels()
        if kernels.fits(grad_out, bias_grad):
            np.matmul(self._x.T, grad_out, out=self.grads["weight"])
            kernels.column_sums(grad_out, bias_grad)
        else:
            self.backward_params(grad_out)
        if not input_grad:
            return None
        weight = self.params["weight"]
        dtype = grad_out.dtype
        if dtype != weight.dtype:
            dtype = np.result_type(grad_out, weight)
        grad_in = self._scratch("grad_in", (grad_out.shape[0], self.n_in), dtype)
        return np.matmul(grad_out, weight.T, out=grad_in)

    def _check_input(self, x: NDArray) -> None:
        self._require_bound()
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ValueError(
                f"input to layer {self.name!r} must have shape (batch, {self.n_in}), "
                f"got {x.shape}"
            )

    def backward(self, grad_out: NDArray) -> NDArray:
        if self._x is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        if grad_out.shape != (self._x.shape[0], self.n_out):
            raise ValueError(
                f"grad_out for layer {self.name!r} must have shape "
                f"{(self._x.shape[0], self.n_out)}, got {grad_out.shape}"
            )
        self.backward_params(grad_out)
        return grad_out @ self.params["weight"].T  # (batch, n_in)

    def backward_params(self, grad_out: NDArray) -> None:
        np.matmul(self._x.T, grad_out, out=self.grads["weight"])
        np.add.reduce(grad_out, axis=0, out=self.grads["bias"])  # np.sum's loop

    def config(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "n_in": self.n_in,
            "n_out": self.n_out,
            "init": self.init,
        }

    def _require_bound(self) -> None:
        if "weight" not in self.params:
            raise RuntimeError(
                f"layer {self.name!r} has no parameters bound; put it in a "
                "Sequential model (or call bind) first"
            )
