"""Adafactor: a factored second moment, relative steps and update clipping.

The math is :func:`adafactor_update`, a plain function that updates arrays in
place, with its helpers :func:`factored_axes`, :func:`relative_step_size` and
:func:`second_moment_estimate`; the class :class:`Adafactor` holds groups, state
and counters and calls them. The conventions in which the references differ are
named options, and presets pick them in one word
(:mod:`adamlab.optim.adafactor_presets`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.adafactor_presets import (
    EPS1_MODES,
    FACTOR_DIMS,
    LR_MODES,
    MOMENTUM_INPUTS,
    WEIGHT_DECAY_SCALES,
    check_consistent,
    resolve_options,
)
from adamlab.optim.optimizer import Optimizer
from adamlab.optim.validation import (
    check_bool,
    check_choice,
    check_nonnegative,
    check_positive,
    check_real,
    check_unit_interval,
)


def factored_axes(
    shape: tuple[int, ...], factor_dims: str, min_dim_size_to_factor: int
) -> tuple[int, int] | None:
    """The two axes ``(a, b)``, ``a < b``, whose second moment is factored.

    ``"last_two"`` takes the last two axes (torch, transformers, the paper);
    ``"largest_two"`` takes the two largest (optax). Either way the parameter
    keeps a full second moment (None is returned) if it has fewer than two
    axes or if the smaller of the two is below ``min_dim_size_to_factor``.
    """
    if len(shape) < 2:
        return None
    if factor_dims == "last_two":
        a, b = len(shape) - 2, len(shape) - 1
    else:
        order = sorted(range(len(shape)), key=lambda k: (shape[k], k))
        a, b = sorted(order[-2:])
    if min(shape[a], shape[b]) < min_dim_size_to_factor:
        return None
    return a, b


def relative_step_size(
    step: int, lr: float | None, lr_mode: str, relative_step_warmup: bool
) -> float:
    """The step size ``rho_t`` before parameter scaling (step 5 of :class:`Adafactor`).

    ``"relative"``: ``min(1e-2, 1/sqrt(t))``, or ``min(1e-6 * t, 1/sqrt(t))``
    with ``relative_step_warmup``; ``"capped"``: ``min(lr, 1/sqrt(t))``;
    ``"external"``: ``lr``.
    """
    if lr_mode == "external":
        return float(lr)
    if lr_mode == "capped":
        return min(float(lr), 1.0 / math.sqrt(step))
    ceiling = 1e-6 * step if relative_step_warmup else 1e-2
    return min(ceiling, 1.0 / math.sqrt(step))


def second_moment_estimate(
    exp_avg_sq_row: NDArray | None,
    exp_avg_sq_col: NDArray | None,
    exp_avg_sq: NDArray | None,
    axes: tuple[int, int] | None,
    eps1: float,
    eps1_mode: str,
    out: NDArray,
) -> NDArray:
    """Write ``V_hat`` (step 3 of :class:`Adafactor`) into ``out`` and return it.

    Factored: ``V_hat = R C / mean_a(R)``, broadcast over the two axes ``(a,
    b)``, where ``R`` (mean over ``b``) and ``C`` (mean over ``a``) are the row
    and column factors. Full: ``V_hat = v``. With ``eps1_mode="clamp"`` (torch)
    ``mean_a(R)`` is floored at ``eps1`` and ``V_hat`` at ``eps1**2``.
    """
    return np.square(
        second_moment_root(
            exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq, axes, eps1, eps1_mode, out
        ),
        out=out,
    )


def second_moment_root(
    exp_avg_sq_row: NDArray | None,
    exp_avg_sq_col: NDArray | None,
    exp_avg_sq: NDArray | None,
    axes: tuple[int, int] | None,
    eps1: float,
    eps1_mode: str,
    out: NDArray,
) -> NDArray:
    """Write ``sqrt(V_hat)`` into ``out`` and return it.

    With ``eps1_mode="add"`` the factored root is the product of the two roots,
    ``sqrt(R) / sqrt(mean_a(R)) * sqrt(C)``: the product ``R C`` of two tiny
    factors (rows and columns of zero gradient hold about ``eps1 = 1e-30``), or
    the ratio of a tiny row to a large mean, underflows in float32, and a zero
    denominator would turn a zero gradient into 0/0 = NaN. Where the root still
    underflows, :func:`adafactor_update` takes a zero gradient to a zero
    update. With ``"clamp"`` (torch) the estimate is formed, floored at
    ``eps1**2`` and then rooted, as torch does.
    """
    cast = out.dtype.type
    if axes is None:
        np.copyto(out, exp_avg_sq)
        if eps1_mode == "clamp":
            np.maximum(out, cast(eps1 * eps1), out=out)
        return np.sqrt(out, out=out)
    a, b = axes
    row_mean = exp_avg_sq_row.mean(axis=a, keepdims=True)
    if eps1_mode == "clamp":
        np.maximum(row_mean, cast(eps1), out=row_mean)
        row = np.expand_dims(exp_avg_sq_row / row_mean, b)
        np.multiply(row, np.expand_dims(exp_avg_sq_col, a), out=out)
        np.maximum(out, cast(eps1 * eps1), out=out)
        return np.sqrt(out, out=out)
    row = np.expand_dims(np.sqrt(exp_avg_sq_row) / np.sqrt(row_mean), b)
    return np.multiply(row, np.sqrt(np.expand_dims(exp_avg_sq_col, a)), out=out)


def adafactor_update(
    param: NDArray,
    grad: NDArray,
    exp_avg_sq_row: NDArray | None,
    exp_avg_sq_col: NDArray | None,
    exp_avg_sq: NDArray | None,
    exp_avg: NDArray | None,
    *,
    axes: tuple[int, int] | None,
    step_size: float,
    one_minus_beta2: float,
    eps1: float,
    eps1_mode: str,
    clip_threshold: float,
    beta1: float | None,
    momentum_input: str,
    decay: float,
    maximize: bool,
) -> float:
    """One Adafactor step on one array, in place; returns ``RMS(U)`` before clipping.

    The work runs in the state's dtype (float32 for a float16 parameter, which
    is updated through a float32 copy and rounded back).

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg_sq_row, exp_avg_sq_col
        Row and column factors ``R`` and ``C`` when ``axes`` is not None
        (updated in place); otherwise None.
    exp_avg_sq
        The full second moment ``v`` when ``axes`` is None; otherwise None.
    exp_avg
        First moment ``m`` when ``beta1`` is not None; otherwise None.
    axes
        The factored axes ``(a, b)`` (see :func:`factored_axes`) or None.
    step_size
        ``alpha_t``: the relative step times the parameter scale.
    one_minus_beta2
        ``1 - beta2_hat_t``, the weight of the new squared gradient.
    eps1, eps1_mode
        ``"add"``: ``eps1`` is added to ``g**2``; ``"clamp"``: it floors the
        estimate (see :func:`second_moment_estimate`).
    clip_threshold
        ``d``: the update is divided by ``max(1, RMS(U) / d)``.
    beta1, momentum_input
        Momentum coefficient (None: off) and what it averages: ``"update"``,
        the clipped, scaled update; ``"gradient"``, the raw gradient.
    decay
        The parameter is multiplied by ``1 - decay`` before the step
        (decoupled weight decay, already scaled by the caller).
    maximize
        Ascend instead of descend.
    """
    dtype = (exp_avg_sq if axes is None else exp_avg_sq_row).dtype
    cast = dtype.type
    work = param if param.dtype == dtype else param.astype(dtype)
    g = grad.astype(dtype, copy=True)
    if maximize:
        np.negative(g, out=g)
    beta2 = cast(1.0 - one_minus_beta2)
    weight = cast(one_minus_beta2)

    # Squared gradient, with eps1 added as the paper does (step 1).
    sq = np.multiply(g, g, out=np.empty_like(g))
    if eps1_mode == "add":
        sq += cast(eps1)

    # Second moment: factored row and column means, or the full average (step 2).
    if axes is None:
        exp_avg_sq *= beta2
        exp_avg_sq += weight * sq
    else:
        a, b = axes
        exp_avg_sq_row *= beta2
        exp_avg_sq_row += weight * sq.mean(axis=b)
        exp_avg_sq_col *= beta2
        exp_avg_sq_col += weight * sq.mean(axis=a)

    # Normalised update U = x / sqrt(V_hat), x the gradient or its average (step 3).
    denom = second_moment_root(
        exp_avg_sq_row, exp_avg_sq_col, exp_avg_sq, axes, eps1, eps1_mode, sq
    )
    source = g
    if exp_avg is not None and momentum_input == "gradient":
        exp_avg *= cast(beta1)
        exp_avg += cast(1.0 - beta1) * g
        source = exp_avg
    zero = denom == 0
    update = np.divide(source, denom, out=denom, where=~zero)
    update[zero] = 0  # only reached where V_hat underflowed: the gradient is ~0

    # Clip by RMS, then scale by alpha_t (step 4).
    rms = _rms(update)
    update *= cast(step_size / max(1.0, rms / clip_threshold))
    if exp_avg is not None and momentum_input == "update":
        exp_avg *= cast(beta1)
        exp_avg += cast(1.0 - beta1) * update
        update = exp_avg

    # Decoupled weight decay, then the step (step 6).
    if decay != 0.0:
        work *= cast(1.0 - decay)
    work -= update
    if work is not param:
        param[...] = work
    return rms


def _rms(x: NDArray) -> float:
    """Root mean square of ``x``, accumulated in float64."""
    if x.size == 0:
        return 0.0
    flat = x.reshape(-1).astype(np.float64, copy=False)
    return math.sqrt(float(np.dot(flat, flat)) / x.size)


def _check_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return int(value)


class Adafactor(Optimizer):
    r"""Adafactor (Shazeer and Stern, 2018), with every reference's convention.

    For each parameter ``theta`` at its step ``t`` (from 1), with gradient
    ``G`` (negated if ``maximize``):

    1. ``beta2_hat = 1 - s**decay_rate`` with ``s = max(t - decay_offset, 1)``
       (``decay_rate = -0.8``: ``1 - t**-0.8``, zero at the first step);
       ``X = G**2 + eps1`` (``eps1_mode="add"``) or ``X = G**2`` (``"clamp"``);
    2. factored (``exp_avg_sq_row``, ``exp_avg_sq_col``), over axes ``(a, b)``:
       ``R <- beta2_hat R + (1 - beta2_hat) mean_b(X)`` and
       ``C <- beta2_hat C + (1 - beta2_hat) mean_a(X)``; otherwise
       (``exp_avg_sq``) ``v <- beta2_hat v + (1 - beta2_hat) X``;
    3. ``V_hat = R C / mean_a(R)`` (or ``v``), and ``U = G / sqrt(V_hat)``; with
       ``eps1_mode="clamp"``, ``mean_a(R) >= eps1`` and ``V_hat >= eps1**2``;
       with ``beta1`` and ``momentum_input="gradient"``,
       ``m <- beta1 m + (1 - beta1) G`` and ``U = m / sqrt(V_hat)``;
    4. ``U_hat = alpha_t U / max(1, RMS(U) / clip_threshold)``; with ``beta1``
       and ``momentum_input="update"`` (the default),
       ``m <- beta1 m + (1 - beta1) U_hat`` and ``U_hat = m`` (``exp_avg``);
    5. ``alpha_t = max(eps2, RMS(theta)) rho_t`` (``scale_parameter``; else
       ``alpha_t = rho_t``), with ``RMS(theta)`` taken before the decay and
       ``rho_t`` set by ``lr_mode``: ``"relative"`` ``min(1e-2, 1/sqrt(t))``
       (``relative_step_warmup``: ``min(1e-6 t, 1/sqrt(t))``), ``"capped"``
       ``min(lr, 1/sqrt(t))``, ``"external"`` ``lr``;
    6. ``theta <- theta (1 - weight_decay k) - U_hat``, with ``k = alpha_t``
       (``weight_decay_scale="step"``), ``lr`` (``"lr"``) or 1 (``"none"``).

    Equations 1-5 with ``beta1=None`` are Algorithms 4 and 5 of the paper
    (factored for two or more dimensions, over the last two, so a convolution
    kernel or a stack of matrices is factored per matrix; 0-D and 1-D
    parameters keep a full ``v``). For an ``n x m`` matrix the second moment
    takes ``n + m`` numbers instead of ``n m``.

    Conventions (option: paper / transformers / torch):

    - ``lr_mode``: the step size, one option with three values. Without it, no
      lr means the preset's mode (``"relative"``; torch: ``"capped"`` with
      lr 1e-2) and a given lr means ``"external"`` (transformers'
      ``relative_step=False``; torch: ``"capped"``). An external lr is a plain
      group value that schedules may drive; ``relative_step_warmup`` is the
      relative step's own warmup, not an lr schedule.
    - ``eps1_mode``: ``"add"`` (1e-30 added to ``G**2``) / same / ``"clamp"``
      with ``eps1="machine"``, the machine epsilon of the state dtype.
    - ``momentum_input``: ``"update"`` (tensor2tensor, transformers) or
      ``"gradient"`` (an Adam-like average of raw gradients); no bias
      correction either way; torch has no momentum.
    - ``factor_dims``: ``"last_two"`` everywhere but optax, which factors
      ``"largest_two"`` and only when both are >= ``min_dim_size_to_factor``
      (128 there, 0 here).
    - ``weight_decay_scale``: the paper has no decay; ``"step"`` (``alpha_t``,
      transformers) is its default, ``"lr"`` torch's, and optax's decay is
      unscaled (``"none"``).

    optax's adafactor is ``lr_mode="external"``, ``factor_dims="largest_two"``,
    ``min_dim_size_to_factor=128``, ``weight_decay_scale="none"`` on the paper
    preset (not checked against optax, which is not installed here).

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        None for the relative step, else the step size or its cap (``lr_mode``).
    preset
        ``"paper"``, ``"transformers"`` or ``"torch"``: the defaults of every
        option left at None. :meth:`torch_preset` and friends spell it out.
    lr_mode
        ``"relative"``, ``"capped"`` or ``"external"`` (see above).
    relative_step_warmup
        Use ``min(1e-6 t, 1/sqrt(t))`` as the relative step (transformers'
        ``warmup_init``); needs ``lr_mode="relative"``.
    decay_rate, decay_offset
        ``beta2_hat = 1 - max(t - decay_offset, 1)**decay_rate``;
        ``decay_rate <= 0``, ``decay_offset`` an integer >= 0 (restarts the
        decay schedule when fine-tuning from a loaded state).
    eps1, eps2
        Regulariser of the squared gradient (a number, or ``"machine"``) and
        floor of the parameter scale.
    eps1_mode
        ``"add"`` or ``"clamp"``.
    clip_threshold
        ``d`` of the update clipping (> 0).
    scale_parameter
        Multiply the step by ``max(eps2, RMS(theta))``.
    beta1
        Momentum coefficient in [0, 1), or None for no momentum (and no
        ``exp_avg`` state).
    momentum_input
        ``"update"`` or ``"gradient"``.
    factor_dims, min_dim_size_to_factor
        Which two axes are factored, and the smallest size that is.
    weight_decay, weight_decay_scale
        Decoupled decay coefficient (>= 0) and what scales it.
    maximize
        Ascend instead of descend.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    Limitations
    -----------
    ``factor_dims``, ``min_dim_size_to_factor`` and whether ``beta1`` is None
    fix the state's shapes at construction; changing them in a group later
    raises. In ``"relative"`` mode the group's ``lr`` is None, so an lr
    schedule cannot drive it (use ``"external"``). Parameters are updated one
    array at a time (no fused kernel): the factored estimate needs each
    array's shape. ``eps1=0`` with an all-zero gradient gives NaN, as in the
    references.

    References
    ----------
    N. Shazeer and M. Stern, "Adafactor: Adaptive Learning Rates with
    Sublinear Memory Cost", ICML 2018, arXiv:1804.04235.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float | None = None,
        *,
        preset: str = "paper",
        lr_mode: str | None = None,
        relative_step_warmup: bool | None = None,
        decay_rate: float | None = None,
        decay_offset: int | None = None,
        eps1: float | str | None = None,
        eps2: float | None = None,
        eps1_mode: str | None = None,
        clip_threshold: float | None = None,
        scale_parameter: bool | None = None,
        beta1: float | None = None,
        momentum_input: str | None = None,
        factor_dims: str | None = None,
        min_dim_size_to_factor: int | None = None,
        weight_decay: float | None = None,
        weight_decay_scale: str | None = None,
        maximize: bool | None = None,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        given = {
            "lr": lr,
            "lr_mode": lr_mode,
            "relative_step_warmup": relative_step_warmup,
            "decay_rate": decay_rate,
            "decay_offset": decay_offset,
            "eps1": eps1,
            "eps2": eps2,
            "eps1_mode": eps1_mode,
            "clip_threshold": clip_threshold,
            "scale_parameter": scale_parameter,
            "beta1": beta1,
            "momentum_input": momentum_input,
            "factor_dims": factor_dims,
            "min_dim_size_to_factor": min_dim_size_to_factor,
            "weight_decay": weight_decay,
            "weight_decay_scale": weight_decay_scale,
            "maximize": maximize,
        }
        self.preset = preset
        self._last: dict[int, dict[str, Any]] = {}
        self._clip_counts: dict[int, list[int]] = {}
        super().__init__(
            params,
            resolve_options(preset, given),
            clip_norm=clip_norm,
            clip_value=clip_value,
            nonfinite=nonfinite,
        )

    @classmethod
    def torch_preset(cls, params: Iterable[Any], **options: Any) -> Adafactor:
        """``Adafactor(params, preset="torch", ...)``: torch.optim.Adafactor 2.13."""
        return cls(params, preset="torch", **options)

    @classmethod
    def transformers_preset(cls, params: Iterable[Any], **options: Any) -> Adafactor:
        """``Adafactor(params, preset="transformers", ...)``: transformers'."""
        return cls(params, preset="transformers", **options)

    @classmethod
    def paper_preset(cls, params: Iterable[Any], **options: Any) -> Adafactor:
        """``Adafactor(params, preset="paper", ...)``, the default."""
        return cls(params, preset="paper", **options)

    # --------------------------------------------------------------- checks

    def _validate_group(self, group: dict) -> None:
        for key in ("lr", "initial_lr"):
            if group.get(key) is not None:
                group[key] = check_nonnegative(key, group[key])
        group["lr_mode"] = check_choice("lr_mode", group["lr_mode"], LR_MODES)
        check_bool("relative_step_warmup", group["relative_step_warmup"])
        group["decay_rate"] = check_real("decay_rate", group["decay_rate"])
        if not -math.inf < group["decay_rate"] <= 0.0:
            raise ValueError(
                f"decay_rate must be a finite number <= 0 (beta2_hat = 1 - "
                f"t**decay_rate), got {group['decay_rate']!r}"
            )
        group["decay_offset"] = _check_int("decay_offset", group["decay_offset"])
        if group["eps1"] != "machine":
            if isinstance(group["eps1"], str):
                raise ValueError(
                    f"eps1 must be a number >= 0 or 'machine', got {group['eps1']!r}"
                )
            group["eps1"] = check_nonnegative("eps1", group["eps1"])
        group["eps2"] = check_nonnegative("eps2", group["eps2"])
        check_choice("eps1_mode", group["eps1_mode"], EPS1_MODES)
        group["clip_threshold"] = check_positive(
            "clip_threshold", group["clip_threshold"]
        )
        check_bool("scale_parameter", group["scale_parameter"])
        if group["beta1"] is not None:
            group["beta1"] = check_unit_interval("beta1", group["beta1"])
        check_choice("momentum_input", group["momentum_input"], MOMENTUM_INPUTS)
        check_choice("factor_dims", group["factor_dims"], FACTOR_DIMS)
        group["min_dim_size_to_factor"] = _check_int(
            "min_dim_size_to_factor", group["min_dim_size_to_factor"]
        )
        group["weight_decay"] = check_nonnegative("weight_decay", group["weight_decay"])
        check_choice(
            "weight_decay_scale", group["weight_decay_scale"], WEIGHT_DECAY_SCALES
        )
        check_bool("maximize", group["maximize"])
        check_consistent(group)

    # ----------------------------------------------------------------- state

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        shape = param.shape
        axes = factored_axes(
            shape, group["factor_dims"], group["min_dim_size_to_factor"]
        )
        if axes is None:
            shapes = {"exp_avg_sq": shape}
        else:
            a, b = axes
            shapes = {
                "exp_avg_sq_row": shape[:b] + shape[b + 1 :],
                "exp_avg_sq_col": shape[:a] + shape[a + 1 :],
            }
        if group["beta1"] is not None:
            shapes["exp_avg"] = shape
        return shapes

    # -------------------------------------------------------------- stepping

    def _step_group(
        self,
        index: int,
        group: dict,
        params: list[NDArray],
        grads: list[NDArray | None],
        states: list[dict],
    ) -> None:
        for i, param, grad, state in zip(group["params"], params, grads, states):
            if grad is None:
                continue
            state["step"] += 1
            self._last[i] = self._update(param, grad, state, group)
            counts = self._clip_counts.setdefault(i, [0, 0])
            counts[0] += int(self._last[i]["clipped"])
            counts[1] += 1

    def _axes_for(self, param: NDArray, state: dict, group: dict):
        axes = factored_axes(
            param.shape, group["factor_dims"], group["min_dim_size_to_factor"]
        )
        if (axes is None) != ("exp_avg_sq" in state) or (
            (group["beta1"] is None) == ("exp_avg" in state)
        ):
            raise ValueError(
                "factor_dims, min_dim_size_to_factor or beta1 (None or not) "
                "changed after the state was allocated; they fix the state's "
                "shapes: build a new Adafactor to change them"
            )
        return axes

    def _eps1(self, state: dict, group: dict) -> float:
        if group["eps1"] == "machine":
            key = "exp_avg_sq" if "exp_avg_sq" in state else "exp_avg_sq_row"
            return float(np.finfo(state[key].dtype).eps)
        return group["eps1"]

    def _update(
        self, param: NDArray, grad: NDArray, state: dict, group: dict
    ) -> dict[str, Any]:
        t = state["step"]
        axes = self._axes_for(param, state, group)
        rho = relative_step_size(
            t, group["lr"], group["lr_mode"], group["relative_step_warmup"]
        )
        scale = max(group["eps2"], _rms(param)) if group["scale_parameter"] else 1.0
        alpha = scale * rho
        decay_scale = {"step": alpha, "lr": group["lr"], "none": 1.0}
        decay = group["weight_decay"] * decay_scale[group["weight_decay_scale"]]
        one_minus_beta2 = max(t - group["decay_offset"], 1) ** group["decay_rate"]
        rms = adafactor_update(
            param,
            grad,
            state.get("exp_avg_sq_row"),
            state.get("exp_avg_sq_col"),
            state.get("exp_avg_sq"),
            state.get("exp_avg"),
            axes=axes,
            step_size=alpha,
            one_minus_beta2=one_minus_beta2,
            eps1=self._eps1(state, group),
            eps1_mode=group["eps1_mode"],
            clip_threshold=group["clip_threshold"],
            beta1=group["beta1"],
            momentum_input=group["momentum_input"],
            decay=decay,
            maximize=group["maximize"],
        )
        ratio = rms / group["clip_threshold"]
        return {
            "relative_step": rho,
            "param_scale": scale,
            "step_size": alpha,
            "update_rms": rms,
            "clip_ratio": ratio,
            "clipped": ratio > 1.0,
        }

    # ------------------------------------------------------------ inspection

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter, the signals of its last step (empty before the first).

        ``relative_step`` is ``rho_t``; ``param_scale`` is ``max(eps2,
        RMS(theta))`` (1 without ``scale_parameter``); ``step_size`` is
        ``alpha_t``; ``update_rms`` is ``RMS(U)`` before clipping and
        ``clip_ratio`` is ``RMS(U) / d``; ``clipped`` says whether it exceeded
        1, and ``clip_rate`` is the fraction of this parameter's steps (since
        construction or the last load) in which it did. ``effective_lr`` is
        an array of the parameter's shape: ``alpha_t / (max(1, RMS(U) / d)
        sqrt(V_hat))``, the factor by which the step multiplies each gradient
        element (with momentum on the raw gradient, each element of ``m``;
        with momentum on the update, the new gradient's weight in ``m`` is
        ``1 - beta1`` times this).
        """
        out: dict[str, dict[str, Any]] = {}
        for group in self.param_groups:
            for i in group["params"]:
                name = self._names[i]
                state = self.state[i]
                last = self._last.get(i)
                if last is None or state["step"] == 0:
                    out[name] = {"step": state["step"]}
                    continue
                param = self._params[i]
                axes = self._axes_for(param, state, group)
                key = "exp_avg_sq" if axes is None else "exp_avg_sq_row"
                root = np.empty(param.shape, dtype=state[key].dtype)
                second_moment_root(
                    state.get("exp_avg_sq_row"),
                    state.get("exp_avg_sq_col"),
                    state.get("exp_avg_sq"),
                    axes,
                    self._eps1(state, group),
                    group["eps1_mode"],
                    root,
                )
                factor = last["step_size"] / max(1.0, last["clip_ratio"])
                with np.errstate(divide="ignore"):
                    effective = factor / root
                clipped, steps = self._clip_counts.get(i, [0, 0])
                out[name] = {
                    "step": state["step"],
                    **last,
                    "clip_rate": clipped / steps if steps else 0.0,
                    "effective_lr": effective,
                }
        return out

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict`` (see :class:`Optimizer`); diagnostics restart."""
        super().load_state_dict(state_dict)
        self._last.clear()
        self._clip_counts.clear()
