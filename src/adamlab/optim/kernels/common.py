"""Settings shared by the kernel families, and the numba decorators they use."""

from __future__ import annotations

from itertools import repeat
from operator import itemgetter

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


@serial
def moments(gi, pi, mi, vi, coef, maximize, decay_mode):  # pragma: no cover
    """Sign, weight decay and both moments of one element, as the reference's
    ``working_arrays``, ``apply_weight_decay`` and moment updates do them.

    ``coef[:5]`` holds beta1, 1 - beta1, beta2, 1 - beta2 and the decay factor
    (the L2 coefficient for ``decay_mode`` 1, the shrink factor for 2).
    Returns the prepared gradient, the (possibly shrunk) parameter and the
    new moments.
    """
    if maximize:
        gi = -gi
    if decay_mode == 1:
        gi = gi + coef[4] * pi
    elif decay_mode == 2:
        pi = pi * coef[4]
    mi = mi * coef[0]
    mi = mi + coef[1] * gi
    sq = gi * gi
    sq = sq * coef[3]
    vi = vi * coef[2]
    vi = vi + sq
    return gi, pi, mi, vi


#: Group keys every element-wise optimizer shares.
BASE_KEYS = frozenset(
    {"params", "param_names", "lr", "initial_lr", "betas", "eps", "weight_decay"}
)


def write_scalars(states: list[dict], values: dict) -> None:
    """Set the same per-parameter scalars in every state dict (a C-speed loop)."""
    any(map(dict.update, states, repeat(values, len(states))))


def uniform(states: list[dict], key: str) -> bool:
    """True if every state holds the same value under ``key``."""
    return len(states) < 2 or len(set(map(itemgetter(key), states))) == 1


def known_keys(group: dict, keys: frozenset) -> bool:
    """True if ``group`` carries no option outside ``keys``.

    A kernel declines a group with an option it does not know (one added to
    the optimizer after the kernel was written), so that option can never be
    silently ignored: the NumPy reference path runs instead.
    """
    return keys.issuperset(group)


def decay_mode(weight_decay: float, decoupled: bool) -> int:
    """0: no weight decay, 1: L2 (added to the gradient), 2: decoupled."""
    if weight_decay == 0.0:
        return 0
    return 2 if decoupled else 1
