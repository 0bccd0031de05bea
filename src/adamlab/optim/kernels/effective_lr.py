"""Adam's effective learning rate over a flat second-moment buffer, one pass.

``out = scale / (sqrt(v) * inverse + eps)`` element by element, in ``v``'s
dtype with the three scalars cast to it: ``scale`` is the step size
``lr / bc1``, and ``sqrt(v) * inverse + eps`` (``inverse = 1 / sqrt(bc2)``)
is the update's default denominator, computed as
:func:`adamlab.optim.adam.adam_denominator` and the fused update compute it.
So the result is bit-identical to the NumPy expression, without its
temporaries and passes.
"""

from __future__ import annotations

import numpy as np
from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import BLOCK, PARALLEL_THRESHOLD, parallel, serial


@serial
def _element(vi, coef):  # pragma: no cover - compiled
    d = np.sqrt(vi)
    d = d * coef[0]
    d = d + coef[1]
    return coef[2] / d


@serial
def _serial(v, coef, out):  # pragma: no cover - compiled
    for i in range(v.size):
        out[i] = _element(v[i], coef)


@serial
def at_positions(v, at, inverse, eps, scale):  # pragma: no cover - compiled
    """The effective lr at positions ``at`` of ``v``, in ``v``'s dtype (also
    called from the tracker's compiled record)."""
    # The scalars are cast to v's dtype on assignment, as np.array(..., dtype)
    # casts them; both arrays are made here, which from Python costs more
    # than the arithmetic at the tracker's thousand positions. Gather first,
    # then compute: the second loop vectorizes, which one loop reading v at
    # scattered positions does not (half the time).
    coef = np.empty(3, dtype=v.dtype)
    coef[0] = inverse
    coef[1] = eps
    coef[2] = scale
    out = np.empty(at.size, dtype=v.dtype)
    for i in range(at.size):
        out[i] = v[at[i]]
    for i in range(out.size):
        out[i] = _element(out[i], coef)
    return out


@parallel
def _parallel(v, coef, out):  # pragma: no cover - compiled
    n = v.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        for i in range(b * BLOCK, min(n, (b + 1) * BLOCK)):
            out[i] = _element(v[i], coef)


def effective_lr(
    v: NDArray, scale: float, inverse: float, eps: float, at: NDArray | None = None
) -> NDArray:
    """``scale / (sqrt(v) * inverse + eps)`` for a 1-D float array ``v``, or
    for its elements at the integer positions ``at`` only (``len(at)``
    values: the same as ``effective_lr(v[at], ...)``).

    A zero denominator gives inf, as NumPy's division does (no warning).
    """
    if at is not None:
        return at_positions(v, at, float(inverse), float(eps), float(scale))
    coef = np.array([inverse, eps, scale], dtype=v.dtype)
    out = np.empty_like(v)
    (_parallel if v.size >= PARALLEL_THRESHOLD else _serial)(v, coef, out)
    return out
