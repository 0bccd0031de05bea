"""NAdam: Adam with Nesterov momentum and a warming momentum schedule.

The math is :func:`nadam_update`, a plain function over arrays that updates them
in place; :class:`NAdam` holds groups, state and counters and calls it. Every
element-wise operation is written out, in place, in the state's dtype, in a
fixed order, so that fused kernels can reproduce it bit for bit.
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
    check_nonnegative,
)


def nadam_momentum(beta1: float, momentum_decay: float, step: int) -> float:
    """The momentum ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))``."""
    return beta1 * (1.0 - 0.5 * 0.96 ** (step * momentum_decay))


def nadam_update(
    param: NDArray,
    grad: NDArray,
    exp_avg: NDArray,
    exp_avg_sq: NDArray,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    mu: float,
    mu_next: float,
    mu_product: float,
    bias_correction2: float,
) -> None:
    """One NAdam step on one array, in place.

    Scalars arrive as Python floats (float64) and are cast once to the state's
    dtype; the element-wise work runs in that dtype. A float16 parameter is
    updated through a float32 copy and rounded back.

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg, exp_avg_sq
        First and second moments, updated in place.
    mu, mu_next
        The momenta ``mu_t`` and ``mu_{t+1}`` (see :func:`nadam_momentum`).
    mu_product
        ``prod_{i<=t} mu_i``, already including ``mu``.
    bias_correction2
        ``1 - beta2**t``.
    """
    dtype = exp_avg.dtype
    cast = dtype.type
    work, g = working_arrays(param, grad, dtype, maximize)

    # Weight decay: decoupled shrinks the parameter, L2 adds to the gradient.
    shrink = 1.0 - lr * weight_decay if decoupled_weight_decay else None
    apply_weight_decay(work, g, weight_decay, shrink)

    # Moments: m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2.
    exp_avg *= cast(beta1)
    exp_avg += cast(1.0 - beta1) * g
    tmp = np.multiply(g, g, out=np.empty_like(g))
    tmp *= cast(1.0 - beta2)
    exp_avg_sq *= cast(beta2)
    exp_avg_sq += tmp

    # Denominator: sqrt(v / bc2) + eps.
    denom = np.divide(exp_avg_sq, cast(bias_correction2), out=np.empty_like(g))
    np.sqrt(denom, out=denom)
    denom += cast(eps)

    # Gradient term: param -= lr (1 - mu_t) / (1 - prod_{i<=t} mu_i) * g / denom.
    np.divide(g, denom, out=tmp)
    tmp *= cast(lr * (1.0 - mu) / (1.0 - mu_product))
    work -= tmp

    # Momentum term: param -= lr mu_{t+1} / (1 - prod_{i<=t+1} mu_i) * m / denom.
    np.divide(exp_avg, denom, out=tmp)
    tmp *= cast(lr * mu_next / (1.0 - mu_product * mu_next))
    work -= tmp
    write_back(param, work)


class NAdam(Optimizer):
    r"""NAdam (Dozat, 2016): Adam with Nesterov momentum, as torch.optim.NAdam.

    For each parameter, at its step ``t`` (counted from 1), with gradient ``g``:

    1. ``g <- -g`` if ``maximize``; ``g <- g + weight_decay * theta`` (L2), or,
       with ``decoupled_weight_decay``, ``theta <- theta * (1 - lr *
       weight_decay)`` instead;
    2. ``mu_t = beta1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))`` and
       ``mu_{t+1}`` likewise; ``P_t = prod_{i<=t} mu_i`` (``mu_product``);
    3. ``m <- beta1 * m + (1 - beta1) * g``  (``exp_avg``);
    4. ``v <- beta2 * v + (1 - beta2) * g**2``  (``exp_avg_sq``);
    5. ``d = sqrt(v / (1 - beta2**t)) + eps``;
    6. ``theta <- theta - lr * (1 - mu_t) / (1 - P_t) * g / d
       - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / d``.

    The momentum schedule of step 2 (Dozat's, with torch's ``momentum_decay``
    psi = 4e-3) warms the momentum from ``beta1 / 2`` towards ``beta1``. The
    product ``P_t`` of the momenta actually used is the right bias correction
    when the momentum varies; it is kept per parameter in the state under
    ``mu_product``, so a restored optimizer continues exactly. optax.nadam
    instead uses a constant ``beta1`` and differs numerically.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        Learning rate (>= 0). Default 2e-3, as in torch.
    betas
        ``(beta1, beta2)``, each in [0, 1).
    eps
        Added to the denominator (>= 0).
    weight_decay
        L2 penalty coefficient (>= 0), or the decoupled decay rate.
    momentum_decay
        ``psi`` of step 2 (>= 0); 0 gives a constant momentum ``beta1 / 2``.
    maximize
        Ascend instead of descend.
    decoupled_weight_decay
        Decay the parameters as AdamW does instead of adding L2 to ``g``.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    References
    ----------
    T. Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop.
    """

    fused_kernel = "adamlab.optim.kernels.nadam:nadam_group_step"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        maximize: bool = False,
        *,
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
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
        group["momentum_decay"] = check_nonnegative(
            "momentum_decay", group["momentum_decay"]
        )

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        return {"exp_avg": param.shape, "exp_avg_sq": param.shape}

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        return {"mu_product": 1.0}

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        t = state["step"]
        mu = nadam_momentum(beta1, group["momentum_decay"], t)
        mu_next = nadam_momentum(beta1, group["momentum_decay"], t + 1)
        state["mu_product"] *= mu
        nadam_update(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            mu=mu,
            mu_next=mu_next,
            mu_product=state["mu_product"],
            bias_correction2=1.0 - beta2**t,
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter: the effective per-element learning rate and momentum.

        ``effective_lr = lr * mu_{t+1} / (1 - P_t * mu_{t+1}) / d``, the factor
        that multiplies the first moment in the last step's rule (with the
        group's current ``lr``); ``momentum`` is ``mu_t``. Computed in float64.
        """
        out: dict[str, dict[str, Any]] = {}
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for i in group["params"]:
                state = self.state[i]
                t = state["step"]
                v = state["exp_avg_sq"]
                if t == 0:
                    out[self._names[i]] = {
                        "step": 0,
                        "effective_lr": np.zeros(v.shape),
                        "momentum": 0.0,
                        "mu_product": state["mu_product"],
                    }
                    continue
                mu = nadam_momentum(beta1, group["momentum_decay"], t)
                mu_next = nadam_momentum(beta1, group["momentum_decay"], t + 1)
                denom = np.sqrt(v.astype(np.float64) / (1.0 - beta2**t)) + group["eps"]
                scale = group["lr"] * mu_next / (1.0 - state["mu_product"] * mu_next)
                with np.errstate(divide="ignore"):
                    effective = scale / denom
                out[self._names[i]] = {
                    "step": t,
                    "effective_lr": effective,
                    "momentum": mu,
                    "mu_product": state["mu_product"],
                }
        return out
