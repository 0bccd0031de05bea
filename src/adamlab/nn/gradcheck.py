"""Gradient checking by central finite differences in float64.

``numerical_gradient`` perturbs each element of ``x`` by ``±h`` and forms::

    df/dx_i ~ (f(x + h e_i) - f(x - h e_i)) / (2 h)            (1)

whose truncation error is ``O(h**2)`` (the one-sided difference is ``O(h)``:
for ``exp`` at 1 with ``h = 1e-4`` the errors are 4.5e-9 and 1.4e-4). The
evaluation runs in float64 by default; in float32 the rounding error of ``f``
divided by ``h`` swamps the result (relative errors of 1e-2 and worse), so a
float32 check cannot confirm a gradient to 1e-6. The default step ``h = 1e-5``
is about ``cbrt(eps)`` of float64, where the ``O(h**2)`` truncation error and
the ``eps * |f| / h`` rounding error are both near 1e-11 for ``f`` of order 1.

Limitations
-----------
At a kink (ReLU at 0) the difference is meaningless when ``|x| < h``; keep
inputs of such layers away from their kinks. Each element costs two calls of
``f``, so the checker is for small layers and models only.

An analytic gradient ``a`` passes against the numerical ``n`` when, for every
element::

    |a_i - n_i| <= rtol * max(|a_i|, |n_i|) + atol                 (2)

and ``max_rel_error`` reports ``max_i |a_i - n_i| / max(|a_i|, |n_i|, atol / rtol)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from adamlab.nn.buffer import allocate_views
from adamlab.nn.layer import Layer
from adamlab.nn.losses import Loss

RTOL = 1e-6
ATOL = 1e-9
STEP = 1e-5  # about cbrt(eps) of float64: balances truncation and rounding


@dataclass(frozen=True)
class GradCheckResult:
    """The comparison of an analytic gradient with a numerical one."""

    analytic: NDArray
    numeric: NDArray
    max_abs_error: float
    max_rel_error: float
    passed: bool

    def __bool__(self) -> bool:
        return self.passed


def numerical_gradient(
    f: Callable[[NDArray], Any],
    x: ArrayLike,
    *,
    h: float = STEP,
    dtype: DTypeLike = np.float64,
    central: bool = True,
) -> NDArray:
    """Return the finite-difference gradient of scalar ``f`` at ``x``.

    Parameters
    ----------
    f : callable
        Maps an array shaped like ``x`` to a scalar.
    x : array_like
        The point; copied and cast to ``dtype``.
    h : float
        Step size (positive).
    dtype : dtype
        Dtype in which ``x`` is perturbed and ``f`` evaluated (float64 default).
    central : bool
        Central differences (1) if True, forward differences otherwise.
    """
    if not h > 0:
        raise ValueError(f"h must be positive, got {h!r}")
    x = np.array(x, dtype=dtype)
    grad = np.zeros(x.shape, dtype=np.float64)
    flat = x.reshape(-1)
    f0 = None if central else float(f(x))
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + x.dtype.type(h)
        f_plus = float(f(x))
        if central:
            flat[i] = orig - x.dtype.type(h)
            f_minus = float(f(x))
            grad.flat[i] = (f_plus - f_minus) / (2 * h)
        else:
            grad.flat[i] = (f_plus - f0) / h
        flat[i] = orig
    return grad


def compare_gradients(
    analytic: ArrayLike, numeric: ArrayLike, *, rtol: float = RTOL, atol: float = ATOL
) -> GradCheckResult:
    """Compare two gradients by criterion (2) of the module docstring."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"analytic has shape {a.shape} but numeric has {n.shape}")
    diff = np.abs(a - n)
    scale = np.maximum(np.abs(a), np.abs(n))
    if a.size == 0:
        return GradCheckResult(a, n, 0.0, 0.0, True)
    rel = diff / np.maximum(scale, atol / rtol)
    passed = bool(np.all(diff <= rtol * scale + atol))
    return GradCheckResult(a, n, float(diff.max()), float(rel.max()), passed)


def check_function(
    f: Callable[[NDArray], Any],
    grad: ArrayLike,
    x: ArrayLike,
    *,
    h: float = STEP,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> GradCheckResult:
    """Check the analytic gradient ``grad`` of scalar ``f`` at ``x``."""
    return compare_gradients(grad, numerical_gradient(f, x, h=h), rtol=rtol, atol=atol)


def check_loss(
    loss: Loss,
    out: ArrayLike,
    y: ArrayLike,
    *,
    h: float = STEP,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> GradCheckResult:
    """Check ``loss.grad`` against differences of ``loss.value`` in ``out``."""
    out = np.array(out, dtype=np.float64)
    return check_function(
        lambda o: loss.value(o, y), loss.grad(out, y), out, h=h, rtol=rtol, atol=atol
    )


def check_layer(
    layer: Layer,
    x: ArrayLike,
    *,
    seed: int = 0,
    h: float = STEP,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, GradCheckResult]:
    """Check a layer's input and parameter gradients in float64.

    The scalar checked is ``sum(w * layer.forward(x))`` for a fixed random
    ``w``. A layer with parameters but none bound is given fresh float64
    buffers and initialised from ``seed``. Returns one result per name:
    ``"input"`` and each parameter key.
    """
    rng = np.random.default_rng(seed)
    x = np.array(x, dtype=np.float64)
    shapes = layer.param_shapes()
    if shapes and not layer.params:
        _, params = allocate_views(list(shapes.values()), np.float64)
        _, grads = allocate_views(list(shapes.values()), np.float64)
        layer.bind(dict(zip(shapes, params)), dict(zip(shapes, grads)))
        layer.init_params(rng)
    w = rng.standard_normal(np.shape(layer.forward(x.copy())))

    def objective(inp: NDArray) -> float:
        return float(np.sum(w * layer.forward(inp)))

    layer.forward(x.copy())
    grad_x = np.array(layer.backward(w), dtype=np.float64)
    analytic = {key: np.array(g, dtype=np.float64) for key, g in layer.grads.items()}
    results = {"input": check_function(objective, grad_x, x, h=h, rtol=rtol, atol=atol)}
    for key, param in layer.params.items():

        def of_param(value: NDArray, param: NDArray = param) -> float:
            saved = param.copy()
            param[...] = value
            try:
                return objective(x.copy())
            finally:
                param[...] = saved

        results[key] = check_function(
            of_param, analytic[key], param, h=h, rtol=rtol, atol=atol
        )
    return results


def check_model(
    model: Any,
    x: ArrayLike,
    y: ArrayLike,
    loss: Loss,
    *,
    h: float = STEP,
    rtol: float = RTOL,
    atol: float = ATOL,
) -> GradCheckResult:
    """Check ``model.grad_buffer`` after ``loss_and_grad`` against differences.

    The model should be float64; differences of a float32 model are too noisy
    for the default tolerances.
    """
    model.loss_and_grad(x, y, loss)
    analytic = model.grad_buffer.copy()
    buffer = model.param_buffer

    def objective(flat: NDArray) -> float:
        saved = buffer.copy()
        buffer[...] = flat
        try:
            return loss.value(model.forward(x), y)
        finally:
            buffer[...] = saved

    return check_function(objective, analytic, buffer, h=h, rtol=rtol, atol=atol)
