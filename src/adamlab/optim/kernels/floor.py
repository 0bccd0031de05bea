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
def _floor_block(p, g, s1, s2, s3, n_state):
    for i in range(p.size):
        gi = g[i]
        p[i] = p[i] + gi
        s1[i] = s1[i] + gi
        if n_state >= 2:
            s2[i] = s2[i] + gi
        if n_state >= 3:
            s3[i] = s3[i] + gi


@serial
def floor_serial(p, g, s1, s2, s3, n_state):
    """Floor kernel on one thread."""
    _floor_block(p, g, s1, s2, s3, n_state)


@parallel
def floor_parallel(p, g, s1, s2, s3, n_state):
    """Floor kernel over blocks of ``BLOCK`` elements in parallel."""
    n = p.size
    blocks = (n + BLOCK - 1) // BLOCK
    for b in prange(blocks):
        lo = b * BLOCK
        hi = min(lo + BLOCK, n)
        _floor_block(p[lo:hi], g[lo:hi], s1[lo:hi], s2[lo:hi], s3[lo:hi], n_state)


def floor_step(param: NDArray, grad: NDArray, states: list[NDArray]) -> None:
    """Touch ``param``, ``grad`` and 1 to 3 ``states`` as a fused step would.

    All arrays are 1-D, of one size and one dtype (float32 or float64).
    """
    if not 1 <= len(states) <= 3:
        raise ValueError(f"floor_step takes 1 to 3 state arrays, got {len(states)}")
    padded = list(states) + [states[0]] * (3 - len(states))
    kernel = floor_parallel if param.size >= PARALLEL_THRESHOLD else floor_serial
    kernel(param, grad, padded[0], padded[1], padded[2], len(states))
