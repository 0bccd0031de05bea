"""The bandwidth floor: a kernel with an optimizer's memory traffic and no math.

It reads the parameters, the gradients and every state array once and writes
the parameters and state back, with one addition per array in place of the
update rule. No element-wise optimizer can move the same bytes faster, so the
ratio of a fused kernel's time to this one's shows how close it runs to the
memory bandwidth. Used by the benchmark only; it changes its arrays.
"""

from __future__ import annotations

from numba import prange
from numpy.typing import NDArray

from adamlab.optim.kernels.common import BLOCK, PARALLEL_THRESHOLD, parallel, serial


@serial
def _floor2_block(p, g, s1, s2):
    for i in range(p.size):
        gi = g[i]
        p[i] = p[i] + gi
        s1[i] = s1[i] + gi
        s2[i] = s2[i] + gi


@serial
def _floor3_block(p, g, s1, s2, s3):
    for i in range(p.size):
        gi = g[i]
        p[i] = p[i] + gi
        s1[i] = s1[i] + gi
        s2[i] = s2[i] + gi
        s3[i] = s3[i] + gi


@serial
def floor2_serial(p, g, s1, s2):
    """Floor kernel with two state arrays, on one thread."""
    _floor2_block(p, g, s1, s2)


@parallel
def floor2_parallel(p, g, s1, s2):
    """Floor kernel with two state arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _floor2_block(p[lo:hi], g[lo:hi], s1[lo:hi], s2[lo:hi])


@serial
def floor3_serial(p, g, s1, s2, s3):
    """Floor kernel with three state arrays, on one thread."""
    _floor3_block(p, g, s1, s2, s3)


@parallel
def floor3_parallel(p, g, s1, s2, s3):
    """Floor kernel with three state arrays, blocks in parallel."""
    n = p.size
    for b in prange((n + BLOCK - 1) // BLOCK):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _floor3_block(p[lo:hi], g[lo:hi], s1[lo:hi], s2[lo:hi], s3[lo:hi])


def floor_step(param: NDArray, grad: NDArray, states: list[NDArray]) -> None:
    """Touch ``param``, ``grad`` and 2 or 3 ``states`` as a fused step would.

    All arrays are 1-D, of one size and one dtype (float32 or float64), and
    distinct (no array may alias another, or the loop would not vectorize).
    """
    big = param.size >= PARALLEL_THRESHOLD
    if len(states) == 2:
        kernel = floor2_parallel if big else floor2_serial
    elif len(states) == 3:
        kernel = floor3_parallel if big else floor3_serial
    else:
        raise ValueError(f"floor_step takes 2 or 3 state arrays, got {len(states)}")
    kernel(param, grad, *states)
