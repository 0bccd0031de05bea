"""Loss functions with their gradients, numerically stable at the extremes.

Every loss is an object with

* ``elementwise(out, y) -> NDArray``: the per-sample (or per-element) losses,
* ``value(out, y) -> float``: their mean,
* ``grad(out, y) -> NDArray``: the gradient of that mean with respect to
  ``out``, in ``out``'s dtype,
* ``__call__(out, y) -> (float, NDArray)``: both at once (what
  ``Sequential.loss_and_grad`` uses).

The mean runs over the batch rows for :class:`SoftmaxCrossEntropy` and over all
elements for the other losses (PyTorch's default ``reduction="mean"``).

Conventions
-----------
* ``0 * log 0 = 0`` and ``0 * inf = 0``: a label of 0 on a masked (``-inf``)
  logit contributes nothing, rather than NaN.
* Probabilities are clipped to ``[eps, 1 - eps]`` with ``eps`` the machine
  epsilon of the working dtype (``1 - 1e-9 == 1`` in float32, so a fixed tiny
  ``eps`` would still take ``log(0)``); ``eps`` is never added on top of the
  clip.
* Float16 inputs are computed in float32 and the gradient is cast back.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from adamlab.nn.activations import log_softmax, sigmoid, softmax
from adamlab.nn.layer import training_kernels

_WORKING = (np.dtype(np.float32), np.dtype(np.float64))


def _working(out: ArrayLike) -> tuple[NDArray, np.dtype]:
    out = np.asarray(out)
    if out.dtype in _WORKING:
        return out, out.dtype
    if not np.issubdtype(out.dtype, np.floating):
        out = out.astype(np.float64)
    dtype = out.dtype
    if dtype == np.float16:
        out = out.astype(np.float32)
    return out, dtype


def _matching_target(out: NDArray, y: ArrayLike, argument: str = "y") -> NDArray:
    y = np.asarray(y)
    if y.shape != out.shape:
        raise ValueError(
            f"{argument} must have the shape of out {out.shape}, got {y.shape}"
        )
    return y.astype(out.dtype, copy=False)


def _mul_zero_safe(a: NDArray, b: NDArray) -> NDArray:
    """``a * b`` with ``0 * inf = 0`` and without an invalid-value warning."""
    a, b = np.broadcast_arrays(a, b)
    result = np.zeros(a.shape, dtype=np.result_type(a, b))
    np.multiply(a, b, out=result, where=(a != 0) & (b != 0))
    return result


class Loss:
    """Base class: subclasses define ``elementwise`` and ``_grad_sum``."""

    def elementwise(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        """Return the loss of each sample (or element)."""
        raise NotImplementedError

    def value(self, out: ArrayLike, y: ArrayLike) -> float:
        """Return the mean loss as a Python float."""
        return float(np.mean(self.elementwise(out, y)))

    def grad(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        """Return the gradient of the mean loss with respect to ``out``."""
        raise NotImplementedError

    def __call__(self, out: ArrayLike, y: ArrayLike) -> tuple[float, NDArray]:
        """Return ``(value(out, y), grad(out, y))``."""
        return self.value(out, y), self.grad(out, y)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class SoftmaxCrossEntropy(Loss):
    """Cross-entropy of the softmax of logits.

    For logits ``z`` (batch, C) and integer labels ``t`` (batch,)::

        L_i = -log softmax(z_i)[t_i] = -((z_it - m_i) - log sum_j exp(z_ij - m_i))

    and for soft or one-hot labels ``y`` (batch, C), rows summing to 1::

        L_i = -sum_j y_ij log softmax(z_i)_j        (0 * log 0 = 0)

    with ``m_i`` the row maximum. The gradient of the mean over the batch is
    ``(softmax(z) * sum_j y_ij - y) / batch``.
    """

    def elementwise(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        z, _ = _working(out)
        y_soft = self._targets(z, y)
        logp = log_softmax(z, axis=1)  # (batch, C)
        if y_soft is None:
            labels = np.asarray(y)
            return -logp[np.arange(z.shape[0]), labels]
        return -np.sum(_mul_zero_safe(y_soft, logp), axis=1)

    def grad(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        z, dtype = _working(out)
        y_soft = self._targets(z, y)
        p = softmax(z, axis=1)
        if y_soft is None:
            g = p.copy()
            g[np.arange(z.shape[0]), np.asarray(y)] -= 1
        else:
            g = p * np.sum(y_soft, axis=1, keepdims=True) - y_soft
        return (g / z.shape[0]).astype(dtype, copy=False)

    def __call__(self, out: ArrayLike, y: ArrayLike) -> tuple[float, NDArray]:
        """``(value, grad)`` at once.

        With integer labels and 2-D logits both come from one compiled pass
        (:func:`adamlab.nn.kernels.softmax_ce`), which works each row in
        float64: for float32 logits the numbers can differ from :meth:`value`
        and :meth:`grad` in the last bits. Other targets use those two methods.
        """
        z, dtype = _working(out)
        labels = np.asarray(y)
        if (
            z.ndim == 2
            and labels.ndim == 1
            and labels.shape[0] == z.shape[0]
            and labels.dtype.kind in "iu"
        ):
            value, g = training_kernels().softmax_ce(z, labels)
            return value, g.astype(dtype, copy=False)
        return self.value(out, y), self.grad(out, y)

    @staticmethod
    def _targets(z: NDArray, y: ArrayLike) -> NDArray | None:
        if z.ndim != 2:
            raise ValueError(
                f"out (logits) must be 2-D (batch, classes), got {z.shape}"
            )
        y = np.asarray(y)
        if y.ndim == 1:
            if not np.issubdtype(y.dtype, np.integer):
                raise TypeError(
                    f"class labels y must be integers, got dtype {y.dtype}; "
                    "pass soft labels as a (batch, classes) array"
                )
            if y.shape[0] != z.shape[0]:
                raise ValueError(
                    f"y must have {z.shape[0]} labels (one per row of out), "
                    f"got {y.shape[0]}"
                )
            # One pass: seen unsigned, a negative label is beyond any class.
            unsigned = y.view(y.dtype.str.replace("i", "u"))
            if y.size and unsigned.max() >= z.shape[1]:
                raise ValueError(
                    f"class labels y must be in [0, {z.shape[1]}), "
                    f"got values in [{y.min()}, {y.max()}]"
                )
            return None
        return _matching_target(z, y)


class BinaryCrossEntropyWithLogits(Loss):
    """Binary cross-entropy of ``sigmoid(x)`` against targets ``z`` in [0, 1].

    ``L = max(x, 0) - x z + log1p(exp(-|x|))`` for finite ``x``. For ``x = +inf``
    the loss is ``(1 - z) * inf`` and for ``x = -inf`` it is ``z * inf``, with
    ``0 * inf = 0`` (so ``(+inf, 1)`` and ``(-inf, 0)`` give 0, not NaN). The
    gradient of the mean over all elements is ``(sigmoid(x) - z) / n``.
    """

    def elementwise(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        x, _ = _working(out)
        z = _matching_target(x, y)
        finite = np.isfinite(x)
        xf = np.where(finite, x, 0)
        loss = np.maximum(xf, 0) - xf * z + np.log1p(np.exp(-np.abs(xf)))
        inf = np.array(np.inf, dtype=x.dtype)
        loss = np.where(x == np.inf, _mul_zero_safe(1 - z, inf), loss)
        loss = np.where(x == -np.inf, _mul_zero_safe(z, inf), loss)
        return np.where(np.isnan(x), np.nan, loss).astype(x.dtype, copy=False)

    def grad(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        x, dtype = _working(out)
        z = _matching_target(x, y)
        return ((sigmoid(x) - z) / max(x.size, 1)).astype(dtype, copy=False)


class BinaryCrossEntropy(Loss):
    """Binary cross-entropy of probabilities ``p`` against targets ``y``.

    ``p_c = clip(p, eps, 1 - eps)`` and ``L = -(y log p_c + (1 - y) log(1 - p_c))``,
    where ``eps`` defaults to ``finfo(dtype).eps`` of the working dtype and is
    used only for the clip (never added again inside the log).

    Parameters
    ----------
    eps : float, optional
        Clip margin; ``None`` (default) uses the dtype's machine epsilon.

    Notes
    -----
    ``1 - p_c`` is formed in the working dtype (as the caller's probability
    would be), so float32 ``p = 1e-7, y = 0`` gives ``-log(float32(1 - 1e-7))
    = 1.1920929e-7``. The gradient is ``(p_c - y) / (p_c (1 - p_c)) / n``,
    evaluated at the clipped ``p_c``, so it stays finite at 0 and 1. For
    training, prefer logits with :class:`BinaryCrossEntropyWithLogits`.
    """

    def __init__(self, eps: float | None = None) -> None:
        if eps is not None and not (0 < eps < 0.5):
            raise ValueError(f"eps must be in (0, 0.5) or None, got {eps!r}")
        self.eps = eps

    def _clipped(self, out: ArrayLike) -> tuple[NDArray, np.dtype]:
        p, dtype = _working(out)
        eps = np.finfo(dtype).eps if self.eps is None else self.eps
        return np.clip(p, eps, 1 - np.asarray(eps, dtype=p.dtype)), dtype

    def elementwise(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        p, _ = self._clipped(out)
        y = _matching_target(p, y)
        return -(y * np.log(p) + (1 - y) * np.log(1 - p))

    def grad(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        p, dtype = self._clipped(out)
        y = _matching_target(p, y)
        return ((p - y) / (p * (1 - p)) / max(p.size, 1)).astype(dtype, copy=False)

    def __repr__(self) -> str:
        return f"BinaryCrossEntropy(eps={self.eps!r})"


class MeanSquaredError(Loss):
    """``L = mean((out - y)**2)`` over all elements; gradient ``2 (out - y) / n``."""

    def elementwise(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        o, _ = _working(out)
        y = _matching_target(o, y)
        return (o - y) ** 2

    def grad(self, out: ArrayLike, y: ArrayLike) -> NDArray:
        o, dtype = _working(out)
        y = _matching_target(o, y)
        return (2 * (o - y) / max(o.size, 1)).astype(dtype, copy=False)
