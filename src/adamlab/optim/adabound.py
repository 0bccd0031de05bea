"""AdaBound, AMSBound and AdaBoundW: Adam whose step size is clipped to bounds.

The math is :func:`adabound_update`, a plain function over arrays that updates
them in place; the classes hold groups, state and counters and call it. Like
:func:`adamlab.optim.adam.adam_update` it is the specification the fused kernels
reproduce bit for bit: every element-wise operation is written out, in place, in
the state's dtype, in a fixed order.
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
    check_betas,
    check_bool,
    check_choice,
    check_nonnegative,
    check_real,
)

VARIANTS = ("code", "paper")


def adabound_bounds(
    *, final_lr: float, lr: float, initial_lr: float, gamma: float, step: int
) -> tuple[float, float]:
    """The step-size bounds ``(lower, upper)`` at step ``step`` (from 1).

    ``final_lr_t = final_lr * lr / initial_lr``, then
    ``lower = final_lr_t * (1 - 1 / (gamma * t + 1))`` and
    ``upper = final_lr_t * (1 + 1 / (gamma * t))``.
    """
    final_lr_t = final_lr * lr / initial_lr
    lower = final_lr_t * (1.0 - 1.0 / (gamma * step + 1.0))
    upper = final_lr_t * (1.0 + 1.0 / (gamma * step))
    return lower, upper


def adabound_update(
    param: NDArray,
    grad: NDArray,
    exp_avg: NDArray,
    exp_avg_sq: NDArray,
    max_exp_avg_sq: NDArray | None,
    *,
    lr: float,
    initial_lr: float,
    beta1: float,
    beta2: float,
    final_lr: float,
    gamma: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    step: int,
    bias_correction1: float,
    bias_correction2: float,
    variant: str = "code",
) -> None:
    """One AdaBound step on one array, in place.

    Scalars arrive as Python floats (float64) and are cast once to the state's
    dtype; the element-wise work runs in that dtype. A float16 parameter is
    updated through a float32 copy and rounded back.

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg, exp_avg_sq, max_exp_avg_sq
        First moment, second moment, and AMSBound's running maximum of the raw
        second moment (None without AMSBound). Updated in place.
    step
        This parameter's step ``t``, counted from 1.
    bias_correction1, bias_correction2
        ``1 - prod(beta1_i)`` and ``1 - beta2**t``; unused by ``variant="paper"``.
    variant
        ``"code"`` (the authors' implementation) or ``"paper"`` (Algorithm 2);
        see :class:`AdaBound`.
    """
    dtype = exp_avg.dtype
    cast = dtype.type
    work, g = working_arrays(param, grad, dtype, maximize)

    # Weight decay: decoupled shrinks by the schedule multiplier, L2 adds to g.
    shrink = 1.0 - weight_decay * (lr / initial_lr) if decoupled_weight_decay else None
    apply_weight_decay(work, g, weight_decay, shrink)

    # Moments: m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2.
    exp_avg *= cast(beta1)
    exp_avg += cast(1.0 - beta1) * g
    np.multiply(g, g, out=g)
    g *= cast(1.0 - beta2)
    exp_avg_sq *= cast(beta2)
    exp_avg_sq += g

    # Denominator: sqrt(v) + eps, with AMSBound's max over raw v.
    second = exp_avg_sq
    if max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    rate = np.sqrt(second, out=g)
    rate += cast(eps)

    # Step size per element: clip(alpha / denom, lower, upper) [/ sqrt(t)].
    if variant == "code":
        alpha = lr * math.sqrt(bias_correction2) / bias_correction1
    else:
        alpha = lr
    np.divide(cast(alpha), rate, out=rate)
    lower, upper = adabound_bounds(
        final_lr=final_lr, lr=lr, initial_lr=initial_lr, gamma=gamma, step=step
    )
    np.clip(rate, cast(lower), cast(upper), out=rate)
    if variant == "paper":
        rate /= cast(math.sqrt(step))

    # Apply: param -= rate * m.
    rate *= exp_avg
    work -= rate
    write_back(param, work)


class AdaBound(Optimizer):
    r"""AdaBound (Luo, Xiong, Liu and Sun, 2019): Adam with a bounded step size.

    For each parameter, at its step ``t`` (counted from 1), with gradient ``g``:

    1. ``g <- -g`` if ``maximize``; ``g <- g + weight_decay * theta`` (L2), or,
       with ``decoupled_weight_decay``, ``theta <- theta * (1 - weight_decay *
       lr / initial_lr)`` instead (that is :class:`AdaBoundW`);
    2. ``m <- beta1 * m + (1 - beta1) * g``  (``exp_avg``);
    3. ``v <- beta2 * v + (1 - beta2) * g**2``  (``exp_avg_sq``); with
       ``amsbound``, ``v_max <- max(v_max, v)`` (``max_exp_avg_sq``) replaces
       ``v`` below (:class:`AMSBound`);
    4. ``final_lr_t = final_lr * lr / initial_lr``;
    5. ``lower_t = final_lr_t * (1 - 1 / (gamma * t + 1))``,
       ``upper_t = final_lr_t * (1 + 1 / (gamma * t))``;
    6. ``variant="code"`` (default):
       ``eta = clip(lr * sqrt(bc2) / bc1 / (sqrt(v) + eps), lower_t, upper_t)``
       with ``bc1 = 1 - prod_{i<=t} beta1_i`` (``beta1_product``) and
       ``bc2 = 1 - beta2**t``;
       ``variant="paper"``: ``eta = clip(lr / (sqrt(v) + eps), lower_t,
       upper_t) / sqrt(t)``;
    7. ``theta <- theta - eta * m``.

    The default, ``variant="code"``, is the authors' published implementation
    (the ``adabound`` package): bias correction as Adam with "eps-hat" (``eps``
    added to the uncorrected ``sqrt(v)``, as Keras does), and no ``1/sqrt(t)``.
    ``variant="paper"`` is Algorithm 2 of the paper: no bias correction, the
    clipped rate divided by ``sqrt(t)`` (``eps`` is kept in the denominator).

    ``initial_lr`` is the group's lr at construction (AdaBound's base lr). Step 4
    makes the bounds follow the group's current ``lr``, so a schedule that halves
    ``lr`` halves both the bounds and the adaptive rate, as in the authors' code.
    ``initial_lr`` is stored in each group, so it survives ``state_dict``. A base
    lr of 0 is refused (it would divide by zero); to start a warmup at ``lr=0``,
    give the group an explicit ``initial_lr``. An ``lr`` of 0 later leaves the
    parameters unchanged (both bounds are 0).

    Limitations: with ``eps = 0``, an element whose second moment is exactly 0
    has an unclipped rate ``alpha / 0 = inf`` (clipped to the upper bound and
    multiplied by ``m = 0``, so harmless), but if ``lr`` is also 0 the rate is
    ``0 / 0 = NaN`` and that element becomes NaN; keep ``eps > 0`` when an lr
    schedule can reach 0.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        Adam step size ``alpha`` (>= 0; > 0 at construction).
    betas
        ``(beta1, beta2)``, each in [0, 1).
    final_lr
        The SGD learning rate both bounds converge to (>= 0), for ``lr`` equal
        to ``initial_lr``.
    gamma
        Convergence speed of the bounds, in (0, 1).
    eps
        Added to ``sqrt(v)`` (>= 0).
    weight_decay
        L2 penalty coefficient added to the gradient (>= 0), or the decoupled
        decay rate with ``decoupled_weight_decay``.
    amsbound
        Use AMSBound's running maximum of the second moment.
    maximize
        Ascend instead of descend.
    variant
        ``"code"`` (default) or ``"paper"``, as above.
    decoupled_weight_decay
        Apply ``weight_decay`` as :class:`AdaBoundW` does.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    References
    ----------
    L. Luo, Y. Xiong, Y. Liu and X. Sun, "Adaptive Gradient Methods with Dynamic
    Bound of Learning Rate", ICLR 2019, arXiv:1902.09843.
    """

    fused_kernel = "adamlab.optim.kernels.adabound:adabound_group_step"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        final_lr: float = 0.1,
        gamma: float = 1e-3,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsbound: bool = False,
        maximize: bool = False,
        *,
        variant: str = "code",
        decoupled_weight_decay: bool = False,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "final_lr": final_lr,
            "gamma": gamma,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsbound": amsbound,
            "maximize": maximize,
            "variant": variant,
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
        group["lr"] = check_nonnegative("lr", group["lr"])
        initial_lr = check_nonnegative("initial_lr", group["initial_lr"])
        if initial_lr == 0.0:
            raise ValueError(
                "AdaBound needs a base lr > 0: initial_lr (the lr at construction) "
                "is 0.0, and the bounds scale by final_lr * lr / initial_lr; to "
                "warm up from lr=0, pass the group an explicit initial_lr > 0"
            )
        group["initial_lr"] = initial_lr
        group["betas"] = check_betas(group["betas"])
        group["final_lr"] = check_nonnegative("final_lr", group["final_lr"])
        gamma = check_real("gamma", group["gamma"])
        if not 0.0 < gamma < 1.0:
            raise ValueError(f"gamma must be in (0, 1), got {gamma!r}")
        group["gamma"] = gamma
        group["eps"] = check_nonnegative("eps", group["eps"])
        group["weight_decay"] = check_nonnegative("weight_decay", group["weight_decay"])
        check_bool("amsbound", group["amsbound"])
        check_bool("maximize", group["maximize"])
        check_choice("variant", group["variant"], VARIANTS)
        check_bool("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        shapes = {"exp_avg": param.shape, "exp_avg_sq": param.shape}
        if group["amsbound"]:
            shapes["max_exp_avg_sq"] = param.shape
        return shapes

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        return {"beta1_product": 1.0}

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        state["beta1_product"] *= beta1
        adabound_update(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            lr=group["lr"],
            initial_lr=group["initial_lr"],
            beta1=beta1,
            beta2=beta2,
            final_lr=group["final_lr"],
            gamma=group["gamma"],
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            step=state["step"],
            bias_correction1=1.0 - state["beta1_product"],
            bias_correction2=1.0 - beta2 ** state["step"],
            variant=group["variant"],
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter: the clipped step size and how often it sits at a bound.

        ``effective_lr`` is ``eta`` of step 6 (the factor multiplying ``m``) for
        the state after the last step and the group's current ``lr``;
        ``lower_bound`` and ``upper_bound`` are the bounds then;
        ``bound_fraction`` is the fraction of elements whose unclipped rate lies
        outside them, split into ``lower_fraction`` and ``upper_fraction``. All
        are computed in float64. Before the first step every value is 0.
        """
        out: dict[str, dict[str, Any]] = {}
        for group in self.param_groups:
            beta2 = group["betas"][1]
            for i in group["params"]:
                state = self.state[i]
                t = state["step"]
                second = state.get("max_exp_avg_sq", state["exp_avg_sq"])
                entry: dict[str, Any] = {"step": t}
                if t == 0:
                    entry.update(
                        effective_lr=np.zeros(second.shape),
                        lower_bound=0.0,
                        upper_bound=0.0,
                        bound_fraction=0.0,
                        lower_fraction=0.0,
                        upper_fraction=0.0,
                    )
                    out[self._names[i]] = entry
                    continue
                lr = group["lr"]
                if group["variant"] == "code":
                    bc1 = 1.0 - state["beta1_product"]
                    alpha = lr * math.sqrt(1.0 - beta2**t) / bc1
                else:
                    alpha = lr
                denom = np.sqrt(second.astype(np.float64)) + group["eps"]
                with np.errstate(divide="ignore"):
                    raw = alpha / denom
                lower, upper = adabound_bounds(
                    final_lr=group["final_lr"],
                    lr=lr,
                    initial_lr=group["initial_lr"],
                    gamma=group["gamma"],
                    step=t,
                )
                effective = np.clip(raw, lower, upper)
                if group["variant"] == "paper":
                    effective /= math.sqrt(t)
                n = max(raw.size, 1)
                below = float(np.count_nonzero(raw <= lower)) / n
                above = float(np.count_nonzero(raw >= upper)) / n
                entry.update(
                    effective_lr=effective,
                    lower_bound=lower,
                    upper_bound=upper,
                    bound_fraction=below + above if lower < upper else 1.0,
                    lower_fraction=below,
                    upper_fraction=above,
                )
                out[self._names[i]] = entry
        return out


class AMSBound(AdaBound):
    r"""AMSBound (Luo et al., 2019): ``AdaBound(..., amsbound=True)``.

    The denominator uses the running maximum of the raw second moment,
    ``v_max <- max(v_max, v)``, as the authors' code does. See :class:`AdaBound`
    for the full rule.

    References
    ----------
    L. Luo, Y. Xiong, Y. Liu and X. Sun, "Adaptive Gradient Methods with Dynamic
    Bound of Learning Rate", ICLR 2019, arXiv:1902.09843.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        final_lr: float = 0.1,
        gamma: float = 1e-3,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
        **options: Any,
    ) -> None:
        options["amsbound"] = True
        super().__init__(
            params,
            lr,
            betas,
            final_lr,
            gamma,
            eps,
            weight_decay,
            maximize=maximize,
            **options,
        )


class AdaBoundW(AdaBound):
    r"""AdaBoundW: AdaBound with decoupled weight decay.

    Before the AdaBound step of :class:`AdaBound` (whose moments then see the
    plain gradient), each parameter shrinks:

    ``theta <- theta * (1 - weight_decay * lr / initial_lr)``

    so the decay is multiplied by the schedule multiplier ``lr / initial_lr``
    (as Loshchilov and Hutter scale it) but not by the learning rate itself.
    With a constant ``lr`` this is the rule of the authors' AdaBoundW pull
    request (Luolc/AdaBound PR #14), which subtracts ``weight_decay * theta``
    each step with no learning rate at all; unlike that rule, a scheduled ``lr``
    scales the decay too, so ``lr = 0`` freezes the parameters. Because the
    decay is not multiplied by ``lr``, ``weight_decay`` is a per-step fraction:
    the default 1e-4 halves an unused weight in about 6900 steps (the pull
    request defaults to 0, which would make this class equal to AdaBound).

    References
    ----------
    L. Luo, Y. Xiong, Y. Liu and X. Sun, "Adaptive Gradient Methods with Dynamic
    Bound of Learning Rate", ICLR 2019, arXiv:1902.09843.
    I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization",
    ICLR 2019, arXiv:1711.05101.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        final_lr: float = 0.1,
        gamma: float = 1e-3,
        eps: float = 1e-8,
        weight_decay: float = 1e-4,
        amsbound: bool = False,
        maximize: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("decoupled_weight_decay", True)
        super().__init__(
            params,
            lr,
            betas,
            final_lr,
            gamma,
            eps,
            weight_decay,
            amsbound,
            maximize,
            **options,
        )
