"""Settings shared by the kernel families, and the numba decorators they use."""

from __future__ import annotations

from itertools import repeat

import numba

#: Arrays with at least this many elements take the parallel kernel. Below it
#: the cost of waking the threads exceeds the work (measured with
#: ``benchmarks/bench_step.py``: on 2 cores the two cross near 1e5 float32).
PARALLEL_THRESHOLD = 100_000

#: Elements per parallel work item. Fixed, so the split of work (and of any
#: reduction) does not depend on the number of threads.
BLOCK = 1 << 14

#: Options of every kernel: cached on disk, NumPy's error model (division by
#: zero gives inf/nan, no exception checks that block vectorization), and no
#: fast-math, so no operation is reordered or contracted into an FMA.
OPTIONS = {"cache": True, "error_model": "numpy", "fastmath": False}

serial = numba.njit(**OPTIONS)
parallel = numba.njit(parallel=True, **OPTIONS)
inline = numba.njit(inline="always", **OPTIONS)


def write_scalars(states: list[dict], values: dict) -> None:
    """Set the same per-parameter scalars in every state dict (a C-speed loop)."""
    any(map(dict.update, states, repeat(values, len(states))))
