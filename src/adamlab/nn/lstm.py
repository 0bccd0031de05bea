"""The long short-term memory (LSTM) recurrent layer."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from adamlab.nn.activations import sigmoid
from adamlab.nn.recurrent_base import Recurrent


class LSTM(Recurrent):
    r"""LSTM layer, torch's ``nn.LSTM`` formulation (no peepholes, no projection).

    For each step :math:`t = 1..T`, from :math:`h_0 = c_0 = 0`, with
    :math:`\sigma` the logistic function and :math:`\odot` the elementwise
    product:

    .. math::

        a_t &= W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}
              = [a^i_t; a^f_t; a^g_t; a^o_t]                          \quad (1)

        i_t &= \sigma(a^i_t), \quad f_t = \sigma(a^f_t), \quad
        g_t = \tanh(a^g_t), \quad o_t = \sigma(a^o_t)                 \quad (2)

        c_t &= f_t \odot c_{t-1} + i_t \odot g_t                       \quad (3)

        h_t &= o_t \odot \tanh(c_t)                                     \quad (4)

    The gate blocks of ``weight_ih`` (4 hidden, n_in), ``weight_hh``
    (4 hidden, hidden), ``bias_ih`` and ``bias_hh`` are stacked in torch's
    order **i, f, g, o** (input, forget, cell candidate, output), so torch's
    weights copy over unchanged. Both the hidden state and the cell state
    carry gradient back through time; truncation cuts both at chunk
    boundaries.

    Reference: S. Hochreiter and J. Schmidhuber, "Long short-term memory",
    Neural Computation 9(8), 1997; the forget gate is from F. A. Gers,
    J. Schmidhuber and F. Cummins, "Learning to forget", 2000.

    Parameters, shapes, initialisation, truncation and limitations are
    described in :class:`adamlab.nn.recurrent_base.Recurrent`. The forget-gate bias
    starts like every other bias (no +1), as in torch.
    """

    kind = "lstm"
    n_gates = 4

    def _forward_steps(self, gi: NDArray) -> NDArray:
        w_hh_t = self.params["weight_hh"].T
        b_hh = self.params["bias_hh"]
        n = self.hidden
        batch, steps, _ = gi.shape
        hs = np.empty((batch, steps, n), dtype=gi.dtype)
        acts = np.empty_like(gi)  # activated gates i, f, g, o
        cs = np.empty_like(hs)
        tanh_cs = np.empty_like(hs)
        h = np.zeros((batch, n), dtype=gi.dtype)
        c = np.zeros_like(h)
        for t in range(steps):
            a = gi[:, t] + h @ w_hh_t + b_hh  # (1)
            act = sigmoid(a)  # (2), then the g block is replaced by tanh
            act[:, 2 * n : 3 * n] = np.tanh(a[:, 2 * n : 3 * n])
            i, f, g, o = (
                act[:, :n],
                act[:, n : 2 * n],
                act[:, 2 * n : 3 * n],
                act[:, 3 * n :],
            )
            c = f * c + i * g  # (3)
            tanh_c = np.tanh(c)
            h = o * tanh_c  # (4)
            acts[:, t], cs[:, t], tanh_cs[:, t], hs[:, t] = act, c, tanh_c, h
        self._steps = {"acts": acts, "cs": cs, "tanh_cs": tanh_cs}
        return hs

    def _backward_steps(self, dhs: NDArray, hs: NDArray) -> tuple[NDArray, NDArray]:
        w_hh = self.params["weight_hh"]
        acts, cs, tanh_cs = (self._steps[k] for k in ("acts", "cs", "tanh_cs"))
        batch, steps, n = hs.shape
        i, f = acts[..., :n], acts[..., n : 2 * n]
        g, o = acts[..., 2 * n : 3 * n], acts[..., 3 * n :]
        c_prev = np.zeros_like(cs)
        c_prev[:, 1:] = cs[:, :-1]

        # Local derivatives of (2)-(4), for all steps at once: the pre-activation
        # gradients are dc * [g i', c_prev f', i g'] and dh * tanh(c) o'
        local = np.empty((batch, steps, 4, n), dtype=acts.dtype)
        local[:, :, 0] = g * i * (1.0 - i)
        local[:, :, 1] = c_prev * f * (1.0 - f)
        local[:, :, 2] = i * (1.0 - g * g)
        local[:, :, 3] = tanh_cs * o * (1.0 - o)
        dc_dh = o * (1.0 - tanh_cs * tanh_cs)  # d c_t / d h_t through (4)

        da = np.empty_like(local)
        dh_next = np.zeros((batch, n), dtype=hs.dtype)
        dc_next = np.zeros_like(dh_next)
        for t in range(steps - 1, -1, -1):
            dh = dhs[:, t] + dh_next
            dc = dc_next + dh * dc_dh[:, t]
            np.multiply(dc[:, None, :], local[:, t, :3], out=da[:, t, :3])
            np.multiply(dh, local[:, t, 3], out=da[:, t, 3])

            # State gradients carried into step t - 1, unless cut there
            if self._cut_before(t):
                dh_next = np.zeros_like(dh)
                dc_next = np.zeros_like(dc)
            else:
                dh_next = da[:, t].reshape(batch, 4 * n) @ w_hh
                dc_next = dc * f[:, t]
        da = da.reshape(batch, steps, 4 * n)
        return da, da
