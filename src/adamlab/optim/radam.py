"""RAdam: Adam with the variance of its adaptive rate rectified.

The math is :func:`radam_update`, a plain function over arrays that updates them
in place, and :func:`radam_rectification`, the scalar schedule that decides
whether a step is adaptive; :class:`RAdam` holds groups, state and counters.
Every element-wise operation is written out, in place, in the state's dtype, in
a fixed order, so that fused kernels can reproduce it bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.functional import apply_weight_decay, working_arrays, write_back
from adamlab.optim.optimizer import Optimizer
from adamlab.optim.validation import (
    check_adam_family,
    check_real,
)


def radam_rectification(
    beta2: float, step: int, rectify_threshold: float = 5.0
) -> tuple[float, float | None]:
    """``(rho_t, r_t)`` at step ``t``; ``r_t`` is None when the step is not adaptive.

    ``rho_inf = 2 / (1 - beta2) - 1``,
    ``rho_t = rho_inf - 2 t beta2**t / (1 - beta2**t)``, and, when
    ``rho_t > rectify_threshold``,
    ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2)
    rho_t))``.
    """
    rho_inf = 2.0 / (1.0 - beta2) - 1.0
    beta2_t = beta2**step
    rho_t = rho_inf - 2.0 * step * beta2_t / (1.0 - beta2_t)
    if not rho_t > rectify_threshold:
        return rho_t, None
    ratio = (
        (rho_t - 4.0)
        * (rho_t - 2.0)
        * rho_inf
        / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_t)
    )
    return rho_t, math.sqrt(ratio)


def radam_update(
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
    rectification: float | None,
    bias_correction1: float,
    bias_correction2: float,
) -> None:
    """One RAdam step on one array, in place.

    Scalars arrive as Python floats (float64) and are cast once to the state's
    dtype; the element-wise work runs in that dtype. A float16 parameter is
    updated through a float32 copy and rounded back.

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg, exp_avg_sq
        First and second moments, updated in place.
    rectification
        ``r_t`` from :func:`radam_rectification`, or None for an un-adapted
        (momentum-only) step.
    bias_correction1, bias_correction2
        ``1 - prod(beta1_i)`` and ``1 - beta2**t``.
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
    np.multiply(g, g, out=g)
    g *= cast(1.0 - beta2)
    exp_avg_sq *= cast(beta2)
    exp_avg_sq += g

    # Step: adaptive and rectified, or plain bias-corrected momentum.
    if rectification is None:
        np.multiply(exp_avg, cast(lr / bias_correction1), out=g)
    else:
        np.sqrt(exp_avg_sq, out=g)
        g += cast(eps)
        np.divide(exp_avg, g, out=g)
        g *= cast(lr * rectification * math.sqrt(bias_correction2) / bias_correction1)
    work -= g
    write_back(param, work)


class RAdam(Optimizer):
    r"""RAdam (Liu et al., 2019): Adam whose adaptive rate is variance-rectified.

    For each parameter, at its step ``t`` (counted from 1), with gradient ``g``:

    1. ``g <- -g`` if ``maximize``; ``g <- g + weight_decay * theta`` (L2), or,
       with ``decoupled_weight_decay``, ``theta <- theta * (1 - lr *
       weight_decay)`` instead;
    2. ``m <- beta1 * m + (1 - beta1) * g``  (``exp_avg``);
    3. ``v <- beta2 * v + (1 - beta2) * g**2``  (``exp_avg_sq``);
    4. ``bc1 = 1 - prod_{i<=t} beta1_i`` (``beta1_product``),
       ``bc2 = 1 - beta2**t``;
    5. ``rho_inf = 2 / (1 - beta2) - 1``,
       ``rho_t = rho_inf - 2 t beta2**t / bc2``;
    6. if ``rho_t > rectify_threshold``:
       ``r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf /
       ((rho_inf - 4)(rho_inf - 2) rho_t))`` and
       ``theta <- theta - lr * r_t * (m / bc1) * sqrt(bc2) / (sqrt(v) + eps)``;
    7. otherwise ``theta <- theta - lr * m / bc1``.

    As in torch.optim.RAdam, ``eps`` is added to the raw ``sqrt(v)`` (step 6).
    The threshold decides the first adaptive step: the paper's Algorithm 2 uses
    ``rho_t > 4`` (with beta2 = 0.999, first adaptive step t = 5), the authors'
    code and torch use 5 (first adaptive step t = 6), which is the default here.
    ``r_t`` needs ``rho_t > 4``, so thresholds below 4 are refused.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        Learning rate (>= 0).
    betas
        ``(beta1, beta2)``, each in [0, 1).
    eps
        Added to ``sqrt(v)`` (>= 0).
    weight_decay
        L2 penalty coefficient (>= 0), or the decoupled decay rate.
    rectify_threshold
        Steps with ``rho_t`` above it are adaptive (>= 4; default 5, as torch).
    maximize
        Ascend instead of descend.
    decoupled_weight_decay
        Decay the parameters as AdamW does instead of adding L2 to ``g``.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    References
    ----------
    L. Liu, H. Jiang, P. He, W. Chen, X. Liu, J. Gao and J. Han, "On the Variance
    of the Adaptive Learning Rate and Beyond", ICLR 2020, arXiv:1908.03265.
    """

    fused_kernel = "adamlab.optim.kernels.radam:radam_group_step"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        rectify_threshold: float = 5.0,
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
            "rectify_threshold": rectify_threshold,
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
        threshold = check_real("rectify_threshold", group["rectify_threshold"])
        if not threshold >= 4.0:
            raise ValueError(
                "rectify_threshold must be >= 4 (the rectification term needs "
                f"rho_t > 4; the paper uses 4, torch 5), got {threshold!r}"
            )
        group["rectify_threshold"] = threshold

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        return {"exp_avg": param.shape, "exp_avg_sq": param.shape}

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        return {"beta1_product": 1.0}

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        t = state["step"]
        state["beta1_product"] *= beta1
        _, rectification = radam_rectification(beta2, t, group["rectify_threshold"])
        radam_update(
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
            rectification=rectification,
            bias_correction1=1.0 - state["beta1_product"],
            bias_correction2=1.0 - beta2**t,
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter: the effective per-element learning rate and ``rho_t``.

        ``effective_lr`` is the factor multiplying ``m`` in the last step's rule
        (with the group's current ``lr``): ``lr * r_t * sqrt(bc2) / bc1 /
        (sqrt(v) + eps)`` when that step was adaptive, ``lr / bc1`` everywhere
        otherwise. ``rectified`` says which; ``rectification`` is ``r_t`` (0
        when not adaptive). Computed in float64.
        """
        out: dict[str, dict[str, Any]] = {}
        for group in self.param_groups:
            beta2 = group["betas"][1]
            for i in group["params"]:
                state = self.state[i]
                t = state["step"]
                v = state["exp_avg_sq"]
                if t == 0:
                    out[self._names[i]] = {
                        "step": 0,
                        "effective_lr": np.zeros(v.shape),
                        "rho_t": 0.0,
                        "rectified": False,
                        "rectification": 0.0,
                    }
                    continue
                bc1 = 1.0 - state["beta1_product"]
                bc2 = 1.0 - beta2**t
                rho_t, r_t = radam_rectification(beta2, t, group["rectify_threshold"])
                if r_t is None:
                    effective = np.full(v.shape, group["lr"] / bc1)
                else:
                    denom = np.sqrt(v.astype(np.float64)) + group["eps"]
                    with np.errstate(divide="ignore"):
                        effective = (group["lr"] * r_t * math.sqrt(bc2) / bc1) / denom
                out[self._names[i]] = {
                    "step": t,
                    "effective_lr": effective,
                    "rho_t": rho_t,
                    "rectified": r_t is not None,
                    "rectification": 0.0 if r_t is None else r_t,
                }
        return out
