"""Small pieces of math shared by the element-wise update functions.

Each update function (``adam_update``, ``nadam_update``, ...) starts and ends
the same way: work in the state's dtype (a float16 parameter through a float32
copy), on a private copy of the gradient, negated under ``maximize``; apply
weight decay, L2 or decoupled; write a float16 parameter back. These helpers
do those steps once, with the same operations in the same order as the fused
kernels, which reproduce them bit for bit.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def working_arrays(
    param: NDArray, grad: NDArray, dtype: np.dtype, maximize: bool
) -> tuple[NDArray, NDArray]:
    """``(work, g)``: the parameter in ``dtype`` (itself when it already is one)
    and a new copy of the gradient in ``dtype``, negated if ``maximize``."""
    work = param if param.dtype == dtype else param.astype(dtype)
    g = grad.astype(dtype, copy=True)
    if maximize:
        np.negative(g, out=g)
    return work, g


def apply_weight_decay(
    work: NDArray, g: NDArray, weight_decay: float, shrink: float | None
) -> None:
    """Weight decay in place: ``work *= shrink`` when decoupled (``shrink`` is
    the caller's ``1 - rate * weight_decay``), else L2, ``g += weight_decay *
    work``. Nothing when ``weight_decay`` is 0."""
    if weight_decay == 0.0:
        return
    cast = work.dtype.type
    if shrink is not None:
        work *= cast(shrink)
    else:
        g += cast(weight_decay) * work


def write_back(param: NDArray, work: NDArray) -> None:
    """Copy the updated working array into ``param`` if it is a separate copy."""
    if work is not param:
        param[...] = work
