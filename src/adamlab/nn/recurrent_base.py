"""The shared machinery of the recurrent layers: shapes, loop, truncation.

:class:`Recurrent` holds what the Elman RNN, the LSTM and the GRU have in
common; each cell (:mod:`adamlab.nn.rnn`, :mod:`adamlab.nn.lstm`,
:mod:`adamlab.nn.gru`) supplies only its per-step forward and backward.
:mod:`adamlab.nn.recurrent` gathers them with the model factory.

Layout (torch's, so weights copy straight across)
-------------------------------------------------
For a cell with ``G`` gate blocks, ``hidden`` units and ``n_in`` inputs the
parameters are

=============  ==========================  ===============================
key            shape                       meaning
=============  ==========================  ===============================
``weight_ih``  ``(G * hidden, n_in)``      input-to-gates weights, blocks
                                           stacked in the gate order
``weight_hh``  ``(G * hidden, hidden)``    hidden-to-gates weights
``bias_ih``    ``(G * hidden,)``           bias of the input product
``bias_hh``    ``(G * hidden,)``           bias of the hidden product
=============  ==========================  ===============================

which is exactly ``torch.nn.RNN`` / ``LSTM`` / ``GRU`` with one layer and
``batch_first=True``: ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0`` and
``bias_hh_l0`` copy over unchanged. The two biases are redundant for the RNN
and the LSTM (only their sum matters) but not for the GRU, whose reset gate
multiplies the hidden product *including* ``bias_hh``.

Shapes
------
Input ``x`` is ``(batch, time, n_in)``; a 2-D ``(batch, time)`` input is
accepted when ``n_in == 1`` and read as one feature per step. The output is
the last hidden state ``(batch, hidden)`` when ``return_sequences=False``
(sequence to one) or every hidden state ``(batch, time, hidden)`` when
``return_sequences=True`` (sequence to sequence). Every forward starts from a
zero hidden (and cell) state.

Truncated backpropagation through time
--------------------------------------
With ``truncate=k`` the sequence is seen as chunks of ``k`` steps (the last
chunk may be shorter). The forward pass is unchanged: the state flows from one
chunk into the next. In the backward pass the gradient reaching the state
carried *into* a chunk is dropped, exactly as if the carried state had been
detached (``h.detach()`` in torch) at each chunk boundary. The gradient of the
input is still computed at every step. ``truncate=None`` (or any ``k >= time``)
is full backpropagation through time.

Limitations
-----------
With sequence-to-one output and ``truncate=k < time``, only the last chunk
receives any gradient (the loss sees only the last hidden state); this is what
truncation means, but it makes truncation mostly useful for sequence-to-
sequence training. The initial state is always zero (no stateful mode carrying
state between calls). The time loop is Python (vectorised over the batch only),
and all per-step activations of one forward are kept for the backward pass:
memory grows as ``batch * time * G * hidden``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.nn.layer import Layer


def _check_positive_int(value: object, argument: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{argument} must be an int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{argument} must be a positive int, got {value}")
    return int(value)


class Recurrent(Layer):
    """Base class of the recurrent layers (see the module docstring).

    Parameters
    ----------
    n_in : int
        Features per time step.
    hidden : int
        Hidden units.
    return_sequences : bool, default False
        Return every hidden state ``(batch, time, hidden)`` instead of the last
        one ``(batch, hidden)``.
    truncate : int or None, default None
        Chunk length ``k`` of truncated backpropagation through time; ``None``
        is full backpropagation through time.
    name : str, optional
        Layer name (default: the layer's kind, ``"rnn"``, ``"lstm"`` or
        ``"gru"``); parameters are published as ``f"{name}.weight_ih"`` etc.

    Notes
    -----
    Initialisation follows torch: every parameter is drawn from
    ``uniform(-1/sqrt(hidden), 1/sqrt(hidden))`` with the given generator.
    """

    # No ``kind`` here: only the concrete cells register with LAYER_KINDS.
    n_gates = 1

    def __init__(
        self,
        n_in: int,
        hidden: int,
        *,
        return_sequences: bool = False,
        truncate: int | None = None,
        name: str | None = None,
    ) -> None:
        super().__init__(self.kind if name is None else name)
        self.n_in = _check_positive_int(n_in, "n_in")
        self.hidden = _check_positive_int(hidden, "hidden")
        if not isinstance(return_sequences, (bool, np.bool_)):
            raise TypeError(
                "return_sequences must be a bool, got "
                f"{type(return_sequences).__name__}"
            )
        self.return_sequences = bool(return_sequences)
        self.truncate = (
            None if truncate is None else _check_positive_int(truncate, "truncate")
        )
        self._cache: dict[str, Any] | None = None

    # --- protocol -----------------------------------------------------------

    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        """Return torch's layout (see the module docstring)."""
        rows = self.n_gates * self.hidden
        return {
            "weight_ih": (rows, self.n_in),
            "weight_hh": (rows, self.hidden),
            "bias_ih": (rows,),
            "bias_hh": (rows,),
        }

    def init_params(self, rng: np.random.Generator) -> None:
        """Draw every parameter from ``uniform(-1/sqrt(hidden), 1/sqrt(hidden))``."""
        bound = 1.0 / math.sqrt(self.hidden)
        for key, shape in self.param_shapes().items():
            self.params[key][...] = rng.uniform(-bound, bound, size=shape)

    def config(self) -> dict[str, Any]:
        """Return the kind and every constructor argument (JSON-able)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "n_in": self.n_in,
            "hidden": self.hidden,
            "return_sequences": self.return_sequences,
            "truncate": self.truncate,
        }

    def forward(self, x: NDArray) -> NDArray:
        """Run the cell over ``x`` (batch, time, n_in) from a zero state."""
        if not self.params:
            raise RuntimeError(
                f"layer {self.name!r} has no parameters bound yet (bind it first)"
            )
        w_ih = self.params["weight_ih"]
        x3 = self._as_3d(x, w_ih.dtype)

        # Input products of all steps at once: (batch, time, G * hidden)
        gi = x3 @ w_ih.T + self.params["bias_ih"]
        self._cache = None
        hs = self._forward_steps(gi)  # (batch, time, hidden)

        self._cache = {"x": x3, "hs": hs, "input_shape": np.shape(x)}
        return hs if self.return_sequences else hs[:, -1]

    def backward(self, grad_out: NDArray) -> NDArray:
        """Backpropagate through time; overwrite the grads, return d loss / d x."""
        if self._cache is None:
            raise RuntimeError(f"layer {self.name!r}: backward called before forward")
        x3, hs = self._cache["x"], self._cache["hs"]
        batch, steps, _ = x3.shape
        expected = hs.shape if self.return_sequences else (batch, self.hidden)
        grad_out = np.asarray(grad_out)
        if grad_out.shape != expected:
            raise ValueError(
                f"grad_out for layer {self.name!r} must have shape {expected}, "
                f"got {grad_out.shape}"
            )

        # Gradient arriving at each hidden state from the layer above
        if self.return_sequences:
            dhs = grad_out.astype(hs.dtype, copy=False)
        else:
            dhs = np.zeros_like(hs)
            dhs[:, -1] = grad_out
        dgi, dgh = self._backward_steps(dhs, hs)  # (batch, time, G * hidden) each

        # Parameter gradients: sums over batch and time of outer products
        rows = self.n_gates * self.hidden
        h_prev = np.zeros_like(hs)
        h_prev[:, 1:] = hs[:, :-1]
        dgi2 = dgi.reshape(-1, rows)
        dgh2 = dgh.reshape(-1, rows)
        self.grads["weight_ih"][...] = dgi2.T @ x3.reshape(-1, self.n_in)
        self.grads["weight_hh"][...] = dgh2.T @ h_prev.reshape(-1, self.hidden)
        self.grads["bias_ih"][...] = dgi2.sum(axis=0)
        self.grads["bias_hh"][...] = dgh2.sum(axis=0)

        dx = dgi @ self.params["weight_ih"]  # (batch, time, n_in)
        return dx.reshape(self._cache["input_shape"])

    # --- helpers for the cells ------------------------------------------------

    def _cut_before(self, t: int) -> bool:
        """Whether the gradient into the state carried into step ``t`` is dropped."""
        return self.truncate is not None and t % self.truncate == 0

    def _as_3d(self, x: NDArray, dtype: np.dtype) -> NDArray:
        x = np.asarray(x)
        if x.ndim == 2 and self.n_in == 1:
            x = x[:, :, None]
        if x.ndim != 3 or x.shape[2] != self.n_in or x.shape[1] < 1:
            raise ValueError(
                f"x for layer {self.name!r} must have shape (batch, time, "
                f"{self.n_in}) with time >= 1, got {x.shape}"
            )
        return x.astype(dtype, copy=False)

    def _forward_steps(self, gi: NDArray) -> NDArray:
        """Run the time loop given the input products; return all hidden states.

        A cell keeps what its backward needs in ``self._steps``.
        """
        raise NotImplementedError

    def _backward_steps(self, dhs: NDArray, hs: NDArray) -> tuple[NDArray, NDArray]:
        """Return the gradients of the input and hidden products, per step.

        ``dhs`` (batch, time, hidden) is the gradient arriving at each hidden
        state ``hs`` (batch, time, hidden) from above. The
        results are the gradients of ``x_t W_ih^T + b_ih`` and of
        ``h_{t-1} W_hh^T + b_hh`` (equal for the RNN and the LSTM).
        """
        raise NotImplementedError
