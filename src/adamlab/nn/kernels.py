"""numba kernels of the training path, where NumPy's per-call cost dominates.

A training step of a small network on a small batch is mostly fixed cost:
softmax cross-entropy with integer labels takes about fifteen NumPy calls on
a (32, 10) array, each costing more than the arithmetic. :func:`softmax_ce`
does the same work in one compiled call; :func:`add_rows`,
:func:`column_sums` and :func:`relu_forward` replace one or two NumPy calls
each with one cheaper call and give NumPy's numbers bit for bit (the same
operations in the same order). They take float32 or float64 C-contiguous
arrays; :func:`fits` tells whether arrays qualify. This module imports
numba, so :mod:`adamlab.nn` imports it only on first use.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numpy.typing import NDArray

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def fits(*arrays: NDArray) -> bool:
    """True if every array is float32 or float64 and C-contiguous."""
    for a in arrays:
        if a.dtype not in _FLOATS or not a.flags.c_contiguous:
            return False
    return True


@numba.njit(cache=True, error_model="numpy")
def add_rows(out, row):  # pragma: no cover - compiled
    """``out += row`` for 2-D ``out`` and 1-D ``row`` (``np.add`` broadcast)."""
    n, c = out.shape
    for i in range(n):
        for j in range(c):
            out[i, j] = out[i, j] + row[j]


@numba.njit(cache=True, error_model="numpy")
def column_sums(a, out):  # pragma: no cover - compiled
    """``out = a.sum(axis=0)`` for 2-D ``a``, row after row as NumPy adds them
    (the first row copied, then each next row added), so the same numbers."""
    n, c = a.shape
    if n == 0:
        for j in range(c):
            out[j] = 0
        return
    for j in range(c):
        out[j] = a[0, j]
    for i in range(1, n):
        for j in range(c):
            out[j] = out[j] + a[i, j]


@numba.njit(cache=True, error_model="numpy")
def relu_forward(x, out, mask):  # pragma: no cover - compiled
    """``mask = x > 0`` and ``out = np.maximum(x, 0)`` (NaN stays NaN)."""
    n, c = x.shape
    for i in range(n):
        for j in range(c):
            v = x[i, j]
            mask[i, j] = v > 0
            out[i, j] = v if (v > 0 or v != v) else 0


@numba.njit(cache=True, error_model="numpy")
def _softmax_ce_labels(z, labels, grad):  # pragma: no cover - compiled
    n, c = z.shape
    for i in range(n):
        if labels[i] < 0 or labels[i] >= c:
            return math.nan, i
    total = 0.0
    for i in range(n):
        # The row maximum, taken as 0 when it is not finite (as _shift does);
        # a NaN logit makes the row's exponentials, loss and gradient NaN.
        m = -math.inf
        for j in range(c):
            if z[i, j] > m:
                m = np.float64(z[i, j])
        if not math.isfinite(m):
            m = 0.0
        s = 0.0
        for j in range(c):
            s += math.exp(np.float64(z[i, j]) - m)
        t = labels[i]
        total += math.log(s) - (np.float64(z[i, t]) - m)
        # The exponentials again (cheaper than a float64 buffer for them).
        for j in range(c):
            p = math.exp(np.float64(z[i, j]) - m) / s
            if j == t:
                p -= 1.0
            grad[i, j] = p / n
    return total / n, -1


def softmax_ce(z: NDArray, labels: NDArray) -> tuple[float, NDArray]:
    """Mean softmax cross-entropy of logits ``z`` and its gradient.

    Parameters
    ----------
    z : ndarray of float32 or float64, shape (batch, classes)
        Logits.
    labels : ndarray of int, shape (batch,)
        Class indices in ``[0, classes)``.

    Returns
    -------
    value : float
        ``mean_i(log sum_j exp(z_ij - m_i) - (z_it - m_i))``, ``m_i`` the row
        maximum (0 where it is not finite), ``t = labels[i]``.
    grad : ndarray, shape and dtype of ``z``
        ``(softmax(z) - onehot(t)) / batch``.

    Raises
    ------
    ValueError
        If a label is outside ``[0, classes)``.

    Notes
    -----
    Each row is worked in float64 (exponentials, sums, log) and the gradient
    rounded once to ``z``'s dtype, so for float32 logits the numbers can differ
    in the last bits from the float32 NumPy formulas of
    :class:`adamlab.nn.SoftmaxCrossEntropy`'s ``value`` and ``grad``.
    """
    z = np.ascontiguousarray(z)
    grad = np.empty_like(z)
    value, bad = _softmax_ce_labels(z, labels, grad)
    if bad >= 0:
        raise ValueError(
            f"class labels y must be in [0, {z.shape[1]}), "
            f"got values in [{labels.min()}, {labels.max()}]"
        )
    return value, grad
