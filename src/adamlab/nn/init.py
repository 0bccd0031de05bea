"""Weight initialisation schemes for a weight matrix of shape (n_in, n_out).

Draws are made in float64 from the given generator and then cast to the
target array's dtype, so one seed gives the same weights, bit for bit, on every
run and the float32 weights are the float64 ones rounded.

* Glorot (Xavier) uniform, for tanh, sigmoid and linear outputs:
  ``W ~ U(-a, a)`` with ``a = sqrt(6 / (n_in + n_out))`` (1).
* He (Kaiming) uniform, for ReLU: ``W ~ U(-a, a)`` with ``a = sqrt(6 / n_in)`` (2),
  i.e. variance ``2 / n_in``.

References
----------
X. Glorot and Y. Bengio, "Understanding the difficulty of training deep
feedforward neural networks", AISTATS 2010.
K. He, X. Zhang, S. Ren and J. Sun, "Delving Deep into Rectifiers: Surpassing
Human-Level Performance on ImageNet Classification", 2015, arXiv:1502.01852.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray


def glorot_uniform_(weight: NDArray, rng: np.random.Generator) -> None:
    """Fill ``weight`` (n_in, n_out) from U(-a, a), a = sqrt(6 / (n_in + n_out))."""
    n_in, n_out = _fans(weight)
    limit = np.sqrt(6.0 / (n_in + n_out))
    weight[...] = rng.uniform(-limit, limit, size=weight.shape)


def he_uniform_(weight: NDArray, rng: np.random.Generator) -> None:
    """Fill a (n_in, n_out) ``weight`` in place from U(-a, a), a = sqrt(6/n_in)."""
    n_in, _ = _fans(weight)
    limit = np.sqrt(6.0 / n_in)
    weight[...] = rng.uniform(-limit, limit, size=weight.shape)


#: Initialisers by name, as accepted by ``Linear(..., init=name)``.
INITIALIZERS: dict[str, Callable[[NDArray, np.random.Generator], None]] = {
    "glorot": glorot_uniform_,
    "he": he_uniform_,
}

#: The initialiser suited to the activation that follows a linear layer.
INIT_FOR_ACTIVATION = {"tanh": "glorot", "sigmoid": "glorot", "relu": "he"}


def _fans(weight: NDArray) -> tuple[int, int]:
    if weight.ndim != 2:
        raise ValueError(f"weight must be 2-D (n_in, n_out), got shape {weight.shape}")
    return weight.shape[0], weight.shape[1]
