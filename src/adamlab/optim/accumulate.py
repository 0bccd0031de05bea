"""Gradient accumulation: one optimizer step per ``k`` micro-batches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.layout import pack
from adamlab.optim.validation import check_positive


class Accumulator:
    """Sum micro-batch gradients and step with their (weighted) mean every ``k``.

    For a loss that is a mean over examples, ``k`` micro-batches of equal size
    give, on average, exactly the large batch's gradient, so ``k`` calls of
    :meth:`add` make one optimizer step equal (to rounding) to one step on the
    large batch. Micro-batches of unequal size are weighted by ``weight``
    (their example counts): the mean is ``sum(w_i g_i) / sum(w_i)``.

    The sums are kept in one contiguous buffer per dtype, viewed per parameter,
    so the mean handed to the optimizer keeps the flat fast path. Clipping,
    the non-finite policy and schedules act on the mean, at the optimizer step.

    Parameters
    ----------
    optimizer
        Any adamlab optimizer.
    steps
        ``k``, the number of micro-batches per optimizer step (>= 1).

    Limitations
    -----------
    A parameter whose gradient is None in every micro-batch of a window gets
    None (it is skipped); one that is None in some micro-batches counts as zero
    there. The partial sums are not in the optimizer's ``state_dict``: save
    checkpoints at window boundaries (or call :meth:`flush` first).
    """

    def __init__(self, optimizer: Any, steps: int) -> None:
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"steps must be an integer >= 1, got {steps!r}")
        self.optimizer = optimizer
        self.steps = steps
        self.count = 0
        self.weight = 0.0
        params = optimizer._params
        self._sums: list[NDArray] = [None] * len(params)  # type: ignore[list-item]
        for dtype in {p.dtype for p in params}:
            where = [i for i, p in enumerate(params) if p.dtype == dtype]
            _, views = pack([np.zeros(params[i].shape, dtype) for i in where])
            for i, view in zip(where, views):
                self._sums[i] = view
        self._seen = [False] * len(params)

    def add(self, grads: Sequence[NDArray | None], weight: float = 1.0) -> bool:
        """Add one micro-batch's gradients; step when ``k`` have been added.

        Returns True when this call made an optimizer step that was taken
        (False when it only accumulated, or the step was skipped as
        non-finite).
        """
        weight = check_positive("weight", weight)
        if len(grads) != len(self._sums):
            raise ValueError(
                f"expected {len(self._sums)} gradients, one per parameter, "
                f"got {len(grads)}"
            )
        for i, (g, total) in enumerate(zip(grads, self._sums)):
            if g is None:
                continue
            if g.shape != total.shape:
                raise ValueError(
                    f"gradient {i} has shape {g.shape}, expected {total.shape}"
                )
            if weight == 1.0:
                total += g
            else:
                total += total.dtype.type(weight) * g
            self._seen[i] = True
        self.count += 1
        self.weight += weight
        if self.count < self.steps:
            return False
        return self.flush()

    def flush(self) -> bool:
        """Step now with the mean of what was added (no-op if nothing was)."""
        if self.count == 0:
            return False
        means: list[NDArray | None] = []
        for total, seen in zip(self._sums, self._seen):
            if seen:
                total /= total.dtype.type(self.weight)
                means.append(total)
            else:
                means.append(None)
        try:
            return self.optimizer.step(means)
        finally:
            self.reset()

    def reset(self) -> None:
        """Drop the partial sums."""
        for total in self._sums:
            total[...] = 0
        self._seen = [False] * len(self._sums)
        self.count = 0
        self.weight = 0.0
