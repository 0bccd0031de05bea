"""Recurrent networks: the three cells, a per-step wrapper and a model factory.

Importing this module registers the layer kinds ``"rnn"``, ``"lstm"``,
``"gru"`` and ``"time_distributed"`` with :data:`adamlab.nn.layer.LAYER_KINDS`,
so :func:`adamlab.nn.serialize.layer_from_config` can rebuild them.

* :class:`~adamlab.nn.rnn.RNN`, :class:`~adamlab.nn.lstm.LSTM`,
  :class:`~adamlab.nn.gru.GRU`: the layers (formulas in their docstrings;
  shapes, torch-compatible parameter layout, initialisation and truncated
  backpropagation through time in :mod:`adamlab.nn.recurrent_base`).
* :class:`TimeDistributed`: applies a 2-D layer (e.g. ``Linear``) to every time
  step of a ``(batch, time, features)`` input.
* :func:`recurrent_model`: ``Sequential([cell, output Linear])``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import DTypeLike, NDArray

from adamlab.nn.gru import GRU
from adamlab.nn.layer import Layer
from adamlab.nn.linear import Linear
from adamlab.nn.lstm import LSTM
from adamlab.nn.recurrent_base import Recurrent
from adamlab.nn.rnn import RNN
from adamlab.nn.sequential import Sequential

__all__ = [
    "CELLS",
    "GRU",
    "LSTM",
    "RNN",
    "Recurrent",
    "TimeDistributed",
    "recurrent_model",
]

#: The recurrent layer classes by the name ``recurrent_model`` accepts.
CELLS: dict[str, type[Recurrent]] = {"rnn": RNN, "lstm": LSTM, "gru": GRU}


class TimeDistributed(Layer):
    """Apply a layer to every time step: ``(batch, time, f) -> (batch, time, g)``.

    The leading axes are flattened into one batch axis, the wrapped layer runs
    once on ``(batch * time, f)``, and the result is reshaped back; its
    gradients are therefore summed over batch and time, as they should be for
    weights shared across steps. The wrapper owns no parameters of its own:
    it publishes the wrapped layer's, under the wrapped layer's name (so a
    wrapped ``Linear`` named ``"output"`` still has ``"output.weight"``).

    Parameters
    ----------
    layer : Layer or dict
        The layer to apply (or its ``config()``, as read back from JSON).
    """

    kind = "time_distributed"

    def __init__(self, layer: Layer | Mapping[str, Any]) -> None:
        if isinstance(layer, Mapping):
            from adamlab.nn.serialize import layer_from_config

            layer = layer_from_config(layer)
        if not isinstance(layer, Layer):
            raise TypeError(
                f"layer must be an adamlab.nn Layer or its config, got "
                f"{type(layer).__name__}"
            )
        super().__init__(layer.name)
        self.layer = layer
        self._input_shape: tuple[int, ...] | None = None

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        return self.layer.param_shapes()

    def bind(self, params: dict[str, NDArray], grads: dict[str, NDArray]) -> None:
        self.layer.bind(params, grads)
        self.params, self.grads = self.layer.params, self.layer.grads

    def init_params(self, rng: np.random.Generator) -> None:
        self.layer.init_params(rng)

    def forward(self, x: NDArray) -> NDArray:
        x = np.asarray(x)
        if x.ndim < 2:
            raise ValueError(
                f"input to layer {self.name!r} must have shape (batch, time, ...), "
                f"got {x.shape}"
            )
        self._input_shape = x.shape
        y = self.layer.forward(x.reshape(-1, *x.shape[2:]))
        return y.reshape(*x.shape[:2], *y.shape[1:])

    def backward(self, grad_out: NDArray) -> NDArray:
        if self._input_shape is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        grad_out = np.asarray(grad_out)
        lead = self._input_shape[:2]
        if grad_out.shape[:2] != lead:
            raise ValueError(
                f"grad_out for layer {self.name!r} must start with shape {lead}, "
                f"got {grad_out.shape}"
            )
        dx = self.layer.backward(grad_out.reshape(-1, *grad_out.shape[2:]))
        return dx.reshape(self._input_shape)

    def config(self) -> dict[str, Any]:
        return {"kind": self.kind, "layer": self.layer.config()}


def recurrent_model(
    cell: str = "lstm",
    n_in: int = 1,
    hidden: int = 32,
    n_out: int = 1,
    *,
    return_sequences: bool = False,
    truncate: int | None = None,
    dtype: DTypeLike = np.float64,
    seed: int = 0,
) -> Sequential:
    """Return ``Sequential([cell, Linear output])`` for sequence prediction.

    Parameters
    ----------
    cell : {"lstm", "rnn", "gru"}
        The recurrent layer; it is named after the cell, so its parameters are
        ``"lstm.weight_ih"``, ``"lstm.weight_hh"``, ``"lstm.bias_ih"``,
        ``"lstm.bias_hh"`` (likewise ``"rnn.*"``, ``"gru.*"``).
    n_in : int
        Features per time step of the input ``(batch, time, n_in)``.
    hidden : int
        Hidden units of the recurrent layer.
    n_out : int
        Outputs per prediction (e.g. the forecast horizon).
    return_sequences : bool
        False: sequence to one, output ``(batch, n_out)`` from the last hidden
        state. True: sequence to sequence, output ``(batch, time, n_out)``
        (the output ``Linear`` is wrapped in :class:`TimeDistributed`).
    truncate : int or None
        Chunk length of truncated backpropagation through time (None: full).
    dtype : {float64, float32, float16}
        Dtype of the parameter buffer.
    seed : int
        Seed of the initialisation (recurrent weights torch-style uniform,
        output ``Linear`` Glorot uniform with zero bias).

    Returns
    -------
    Sequential
        Parameters ``{cell}.*`` then ``output.weight`` (hidden, n_out) and
        ``output.bias``, in one flat buffer.
    """
    if cell not in CELLS:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
    recurrent = CELLS[cell](
        n_in, hidden, return_sequences=return_sequences, truncate=truncate
    )
    output: Layer = Linear(hidden, n_out, name="output")
    if return_sequences:
        output = TimeDistributed(output)
    return Sequential([recurrent, output], dtype=dtype, seed=seed)
