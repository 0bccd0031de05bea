"""Adamax: Adam with the second moment replaced by an infinity norm.

The math is :func:`adamax_update`, a plain function over arrays that updates
them in place; :class:`Adamax` holds groups, state and counters and calls it.
Every element-wise operation is written out, in place, in the state's dtype, in
a fixed order, so that fused kernels can reproduce it bit for bit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.functional import apply_weight_decay, working_arrays, write_back
from adamlab.optim.optimizer import Optimizer
from adamlab.optim.validation import (
    check_adam_family,
)


def adamax_update(
    param: NDArray,
    grad: NDArray,
    exp_avg: NDArray,
    exp_inf: NDArray,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    maximize: bool,
    bias_correction1: float,
) -> None:
    """One Adamax step on one array, in place.

    Scalars arrive as Python floats (float64) and are cast once to the state's
    dtype; the element-wise work runs in that dtype. A float16 parameter is
    updated through a float32 copy and rounded back.

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg, exp_inf
        First moment and the exponentially weighted infinity norm, updated in
        place.
    bias_correction1
        ``1 - prod(beta1_i)``.
    """
    dtype = exp_avg.dtype
    cast = dtype.type
    work, g = working_arrays(param, grad, dtype, maximize)

    # L2 weight decay adds to the gradient.
    apply_weight_decay(work, g, weight_decay, None)

    # Moments: m = beta1 m + (1 - beta1) g;  u = max(beta2 u, |g| + eps).
    exp_avg *= cast(beta1)
    exp_avg += cast(1.0 - beta1) * g
    np.abs(g, out=g)
    g += cast(eps)
    exp_inf *= cast(beta2)
    np.maximum(exp_inf, g, out=exp_inf)

    # Step: param -= (lr / bc1) * m / u.
    np.divide(exp_avg, exp_inf, out=g)
    g *= cast(lr / bias_correction1)
    work -= g
    write_back(param, work)


class Adamax(Optimizer):
    r"""Adamax (Kingma and Ba, 2014): Adam with an infinity-norm denominator.

    For each parameter, at its step ``t`` (counted from 1), with gradient ``g``:

    1. ``g <- -g`` if ``maximize``; ``g <- g + weight_decay * theta`` (L2);
    2. ``m <- beta1 * m + (1 - beta1) * g``  (``exp_avg``);
    3. ``u <- max(beta2 * u, |g| + eps)``  (``exp_inf``);
    4. ``bc1 = 1 - prod_{i<=t} beta1_i`` (``beta1_product``);
    5. ``theta <- theta - (lr / bc1) * m / u``.

    This is Algorithm 2 (Section 7.1) of the Adam paper, with ``eps`` added to
    ``|g|`` inside the maximum as torch.optim.Adamax and optax.adamax do (the
    paper has no ``eps``; it keeps ``u`` positive). ``u`` needs no bias
    correction.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        Learning rate (>= 0). Default 2e-3, as in torch and the paper.
    betas
        ``(beta1, beta2)``, each in [0, 1).
    eps
        Added to ``|g|`` (>= 0). With ``eps = 0`` an element whose gradient has
        always been 0 divides 0 by 0.
    weight_decay
        L2 penalty coefficient added to the gradient (>= 0).
    maximize
        Ascend instead of descend.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
    ICLR 2015, arXiv:1412.6980.
    """

    fused_kernel = "adamlab.optim.kernels.adamax:adamax_group_step"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
        *,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(
            params,
            defaults,
            clip_norm=clip_norm,
            clip_value=clip_value,
            nonfinite=nonfinite,
        )

    def _validate_group(self, group: dict) -> None:
        check_adam_family(group)

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        return {"exp_avg": param.shape, "exp_inf": param.shape}

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        return {"beta1_product": 1.0}

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        state["beta1_product"] *= beta1
        adamax_update(
            param,
            grad,
            state["exp_avg"],
            state["exp_inf"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            maximize=group["maximize"],
            bias_correction1=1.0 - state["beta1_product"],
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter: ``effective_lr = (lr / bc1) / u``, in float64.

        The factor multiplying ``m`` in the update, with the group's current
        ``lr``; 0 before the first step.
        """
        out: dict[str, dict[str, Any]] = {}
        for group in self.param_groups:
            for i in group["params"]:
                state = self.state[i]
                t = state["step"]
                u = state["exp_inf"].astype(np.float64)
                if t == 0:
                    effective = np.zeros(u.shape)
                else:
                    bc1 = 1.0 - state["beta1_product"]
                    with np.errstate(divide="ignore"):
                        effective = (group["lr"] / bc1) / u
                out[self._names[i]] = {"step": t, "effective_lr": effective}
        return out
