"""Weight-decay masks: which parameters decay, as parameter groups.

:func:`decay_groups` splits named parameters into groups whose
``weight_decay`` is the given value or 0. Groups are consecutive runs in the
original order, so the optimizer's gradient order (groups flattened) is the
model's own and a model's gradient buffer can be passed unchanged.

Limitations
-----------
The fused kernels run one call per group. A model whose weights and biases
alternate (``layer1.weight, layer1.bias, layer2.weight, ...``) becomes two
groups per layer, so masking costs the single-vector fast path: each group is
still one contiguous vector, but there are many short ones.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.validation import check_choice, check_nonnegative


def no_decay_mask(
    named_params: Iterable[tuple[str, NDArray]],
    patterns: Sequence[str] = (),
    *,
    no_decay_1d: bool = False,
    match: str = "glob",
) -> list[bool]:
    """For each ``(name, array)``, True if it decays, False if excluded.

    Excluded: names matching any of ``patterns`` (``fnmatch`` globs such as
    ``"*.bias"`` with ``match="glob"``, or regular expressions searched in the
    name with ``match="regex"``), and, with ``no_decay_1d``, every parameter
    with ``ndim <= 1`` or a name ending in ``bias`` (biases, norm scales).
    """
    check_choice("match", match, ("glob", "regex"))
    if isinstance(patterns, str):
        patterns = [patterns]
    compiled = [re.compile(p) for p in patterns] if match == "regex" else []
    mask = []
    for name, array in named_params:
        if not isinstance(name, str):
            raise TypeError(
                f"named_params must hold (name, array) pairs, got name {name!r}"
            )
        if match == "glob":
            excluded = any(fnmatch.fnmatchcase(name, p) for p in patterns)
        else:
            excluded = any(r.search(name) for r in compiled)
        if no_decay_1d and (np.ndim(array) <= 1 or name.endswith("bias")):
            excluded = True
        mask.append(not excluded)
    return mask


def decay_groups(
    named_params: Iterable[tuple[str, NDArray]],
    weight_decay: float,
    exclude: Sequence[str] = (),
    *,
    no_decay_1d: bool = False,
    match: str = "glob",
    **group_options: Any,
) -> list[dict[str, Any]]:
    """Parameter groups with ``weight_decay`` or 0 by :func:`no_decay_mask`.

    >>> import numpy as np
    >>> named = [("w1", np.ones((2, 2))), ("b1", np.ones(2)), ("w2", np.ones((2, 1)))]
    >>> [(len(g["params"]), g["weight_decay"])
    ...  for g in decay_groups(named, 0.1, no_decay_1d=True)]
    [(1, 0.1), (1, 0.0), (1, 0.1)]

    ``group_options`` (e.g. ``lr``) are copied into every group. With nothing
    excluded this is one group, as if no mask were given.
    """
    weight_decay = check_nonnegative("weight_decay", weight_decay)
    named = list(named_params)
    mask = no_decay_mask(named, exclude, no_decay_1d=no_decay_1d, match=match)
    groups: list[dict[str, Any]] = []
    for (name, array), decays in zip(named, mask):
        value = weight_decay if decays else 0.0
        if not groups or groups[-1]["weight_decay"] != value:
            groups.append({"params": [], "weight_decay": value, **group_options})
        groups[-1]["params"].append((name, array))
    return groups
