"""The gated recurrent unit (GRU) layer."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from adamlab.nn.activations import sigmoid
from adamlab.nn.recurrent_base import Recurrent


class GRU(Recurrent):
    r"""GRU layer, torch's ``nn.GRU`` formulation (reset after the hidden product).

    For each step :math:`t = 1..T`, from :math:`h_0 = 0`, with the input and
    hidden products split into gate blocks
    :math:`W_{ih} x_t + b_{ih} = [u^r_t; u^z_t; u^n_t]` and
    :math:`W_{hh} h_{t-1} + b_{hh} = [v^r_t; v^z_t; v^n_t]`:

    .. math::

        r_t &= \sigma(u^r_t + v^r_t)                                  \quad (1)

        z_t &= \sigma(u^z_t + v^z_t)                                  \quad (2)

        n_t &= \tanh(u^n_t + r_t \odot v^n_t)                         \quad (3)

        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}                \quad (4)

    The gate blocks of ``weight_ih`` (3 hidden, n_in), ``weight_hh``
    (3 hidden, hidden), ``bias_ih`` and ``bias_hh`` are stacked in torch's
    order **r, z, n** (reset, update, candidate). Note (3): the reset gate
    multiplies the hidden product *after* it is formed, bias ``b_hn``
    included, i.e. :math:`r \odot (W_{hn} h + b_{hn})`; this is torch's (and
    cuDNN's) variant. The original paper applies the reset before the product,
    :math:`W_{hn} (r \odot h)`, which gives different numbers; the two biases
    are therefore not interchangeable here.

    Reference: K. Cho, B. van Merrienboer, C. Gulcehre, D. Bahdanau,
    F. Bougares, H. Schwenk and Y. Bengio, "Learning phrase representations
    using RNN encoder-decoder for statistical machine translation", 2014,
    arXiv:1406.1078.

    Parameters, shapes, initialisation, truncation and limitations are
    described in :class:`adamlab.nn.recurrent_base.Recurrent`.
    """

    kind = "gru"
    n_gates = 3

    def _forward_steps(self, gi: NDArray) -> NDArray:
        w_hh_t = self.params["weight_hh"].T
        b_hh = self.params["bias_hh"]
        n = self.hidden
        batch, steps, _ = gi.shape
        hs = np.empty((batch, steps, n), dtype=gi.dtype)
        gates = np.empty_like(gi)  # r, z, n activated
        hidden_n = np.empty_like(hs)  # v^n_t, needed for the reset gradient
        h = np.zeros((batch, n), dtype=gi.dtype)
        for t in range(steps):
            v = h @ w_hh_t + b_hh
            rz = sigmoid(gi[:, t, : 2 * n] + v[:, : 2 * n])  # (1), (2)
            r, z = rz[:, :n], rz[:, n:]
            cand = np.tanh(gi[:, t, 2 * n :] + r * v[:, 2 * n :])  # (3)
            h = (1.0 - z) * cand + z * h  # (4)
            gates[:, t, : 2 * n] = rz
            gates[:, t, 2 * n :] = cand
            hidden_n[:, t] = v[:, 2 * n :]
            hs[:, t] = h
        self._steps = {"gates": gates, "hidden_n": hidden_n}
        return hs

    def _backward_steps(self, dhs: NDArray, hs: NDArray) -> tuple[NDArray, NDArray]:
        w_hh = self.params["weight_hh"]
        gates, hidden_n = self._steps["gates"], self._steps["hidden_n"]
        batch, steps, n = hs.shape
        r, z, cand = gates[..., :n], gates[..., n : 2 * n], gates[..., 2 * n :]
        h_prev = np.zeros_like(hs)
        h_prev[:, 1:] = hs[:, :-1]

        # Local derivatives of (1)-(4), for all steps at once
        d_cand = (1.0 - z) * (1.0 - cand * cand)  # d a^n / d h through (4), (3)
        d_z = (h_prev - cand) * z * (1.0 - z)  # d a^z / d h through (4), (2)
        d_r = hidden_n * r * (1.0 - r)  # d a^r / d a^n through (3), (1)

        dgi = np.empty_like(gates)
        dgh = np.empty_like(gates)
        dh_next = np.zeros((batch, n), dtype=hs.dtype)
        for t in range(steps - 1, -1, -1):
            dh = dhs[:, t] + dh_next
            dn = dh * d_cand[:, t]
            np.multiply(dn, d_r[:, t], out=dgh[:, t, :n])
            np.multiply(dh, d_z[:, t], out=dgh[:, t, n : 2 * n])
            np.multiply(dn, r[:, t], out=dgh[:, t, 2 * n :])
            dgi[:, t, 2 * n :] = dn

            # Hidden gradient carried into step t - 1, unless cut there
            if self._cut_before(t):
                dh_next = np.zeros_like(dh)
            else:
                dh_next = dh * z[:, t] + dgh[:, t] @ w_hh
        dgi[..., : 2 * n] = dgh[..., : 2 * n]
        return dgi, dgh
