"""Fused update kernels: one compiled pass over memory per optimizer step.

Importing this package imports numba, so :mod:`adamlab.optim` imports it only
on the first fused step. Each kernel family lives in its own module and comes
in two compiled forms from one element-wise body: a serial loop for arrays
below :data:`PARALLEL_THRESHOLD` elements, and a parallel loop over blocks of
:data:`BLOCK` elements above it. Both are compiled with numba's NumPy error
model and without fast-math, so each element sees exactly the operations of
the NumPy reference function, in the same order and dtype: the results are
bit-identical to it.

Compiled code is cached on disk (``cache=True``): in ``__pycache__`` next to
these files, or under ``NUMBA_CACHE_DIR`` when that is set.
"""

from adamlab.optim.kernels.common import BLOCK, PARALLEL_THRESHOLD

__all__ = ["BLOCK", "PARALLEL_THRESHOLD"]
