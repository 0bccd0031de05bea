"""The Elman recurrent layer with a tanh nonlinearity."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from adamlab.nn.recurrent_base import Recurrent


class RNN(Recurrent):
    r"""Elman recurrent layer (tanh), torch's ``nn.RNN`` formulation.

    For each step :math:`t = 1..T`, from :math:`h_0 = 0`:

    .. math::

        h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})    \quad (1)

    with :math:`W_{ih}` = ``weight_ih`` (hidden, n_in), :math:`W_{hh}` =
    ``weight_hh`` (hidden, hidden), :math:`b_{ih}` = ``bias_ih`` and
    :math:`b_{hh}` = ``bias_hh``. Backpropagation through time uses
    :math:`\partial h_t / \partial a_t = 1 - h_t^2` and carries
    :math:`\partial L/\partial h_{t-1} = (\partial L/\partial a_t) W_{hh}` to
    every earlier step (reference: J. L. Elman, "Finding structure in time",
    Cognitive Science 14, 1990).

    Parameters, shapes, truncation and limitations are described in
    :class:`adamlab.nn.recurrent_base.Recurrent`.
    """

    kind = "rnn"
    n_gates = 1

    def _forward_steps(self, gi: NDArray) -> NDArray:
        w_hh_t = self.params["weight_hh"].T
        b_hh = self.params["bias_hh"]
        batch, steps, _ = gi.shape
        hs = np.empty((batch, steps, self.hidden), dtype=gi.dtype)
        h = np.zeros((batch, self.hidden), dtype=gi.dtype)
        for t in range(steps):
            h = np.tanh(gi[:, t] + h @ w_hh_t + b_hh)  # (1)
            hs[:, t] = h
        return hs

    def _backward_steps(self, dhs: NDArray, hs: NDArray) -> tuple[NDArray, NDArray]:
        w_hh = self.params["weight_hh"]
        da = np.empty_like(hs)
        dh_next = np.zeros_like(hs[:, 0])
        for t in range(hs.shape[1] - 1, -1, -1):
            dh = dhs[:, t] + dh_next
            da[:, t] = dh * (1.0 - hs[:, t] * hs[:, t])
            if self._cut_before(t):
                dh_next = np.zeros_like(dh)
            else:
                dh_next = da[:, t] @ w_hh
        return da, da
