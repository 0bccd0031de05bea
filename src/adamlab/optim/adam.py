"""Adam, AdamW and AMSGrad: one update rule with two switches.

The math is :func:`adam_update`, a plain function over arrays that updates them
in place; the classes hold groups, state and counters and call it. It is also
the readable specification that the fused kernels must reproduce bit for bit,
so every operation is written out in the state's dtype and in a fixed order.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.functional import apply_weight_decay, working_arrays, write_back
from adamlab.optim.layout import flat_view
from adamlab.optim.optimizer import Optimizer
from adamlab.optim.validation import (
    check_adam_family,
    check_bool,
    check_choice,
    check_nonnegative,
)


def adam_update(
    param: NDArray,
    grad: NDArray,
    exp_avg: NDArray,
    exp_avg_sq: NDArray,
    max_exp_avg_sq: NDArray | None,
    *,
    lr: float,
    beta1: float,
    beta2: float,
    eps: float,
    weight_decay: float,
    decoupled_weight_decay: bool,
    maximize: bool,
    bias_correction1: float,
    bias_correction2: float,
    eps_mode: str = "outside",
    eps_root: float = 0.0,
    amsgrad_mode: str = "raw",
    decay_lr: float | None = None,
) -> None:
    """One Adam step on one array, in place.

    Scalars arrive as Python floats (float64) and are cast once to the state's
    dtype; the element-wise work runs in that dtype. A float16 parameter is
    updated through a float32 copy and rounded back.

    Parameters
    ----------
    param, grad
        The parameter (updated) and its gradient (read only).
    exp_avg, exp_avg_sq, max_exp_avg_sq
        First moment, second moment, and AMSGrad's running maximum of the raw
        second moment (None without AMSGrad). Updated in place.
    bias_correction1, bias_correction2
        ``1 - prod(beta1_i)`` and ``1 - beta2**t`` for this parameter's step.
    eps_mode, eps_root, amsgrad_mode
        The conventions of :class:`Adam` (defaults: torch's).
    decay_lr
        What multiplies ``weight_decay`` in the decoupled shrink; None means
        ``lr`` (torch, optax). :class:`Adam` passes ``lr / initial_lr`` under
        ``weight_decay_scale="schedule"`` (Loshchilov and Hutter).
    """
    dtype = exp_avg.dtype
    cast = dtype.type
    work, g = working_arrays(param, grad, dtype, maximize)

    # Weight decay: decoupled shrinks the parameter, L2 adds to the gradient.
    rate = lr if decay_lr is None else decay_lr
    shrink = 1.0 - rate * weight_decay if decoupled_weight_decay else None
    apply_weight_decay(work, g, weight_decay, shrink)

    # Moments: m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2.
    exp_avg *= cast(beta1)
    exp_avg += cast(1.0 - beta1) * g
    np.multiply(g, g, out=g)
    g *= cast(1.0 - beta2)
    exp_avg_sq *= cast(beta2)
    exp_avg_sq += g

    # AMSGrad's running max: over raw v (torch), or over v / bc2 (optax).
    second = exp_avg_sq
    corrected = max_exp_avg_sq is not None and amsgrad_mode == "corrected"
    if corrected:
        v_hat = exp_avg_sq / cast(bias_correction2)
        np.maximum(max_exp_avg_sq, v_hat, out=max_exp_avg_sq)
        second = max_exp_avg_sq
    elif max_exp_avg_sq is not None:
        np.maximum(max_exp_avg_sq, exp_avg_sq, out=max_exp_avg_sq)
        second = max_exp_avg_sq

    denom, scale = adam_denominator(
        second,
        bias_correction2=bias_correction2,
        eps=eps,
        eps_mode=eps_mode,
        eps_root=eps_root,
        corrected=corrected,
    )
    step_size = lr / bias_correction1 * scale

    # Step: param -= step_size * m / denom.
    np.divide(exp_avg, denom, out=denom)
    denom *= cast(step_size)
    work -= denom
    write_back(param, work)


def adam_denominator(
    second: NDArray,
    *,
    bias_correction2: float,
    eps: float,
    eps_mode: str = "outside",
    eps_root: float = 0.0,
    corrected: bool = False,
) -> tuple[NDArray, float]:
    """Adam's denominator as a new array, and the factor it moves into the
    step size (``sqrt(bc2)`` under eps-hat, else 1).

    ``second`` is ``v`` (or AMSGrad's maximum; already divided by ``bc2`` when
    ``corrected``). The forms: ``sqrt(v) * (1 / sqrt(bc2)) + eps`` (torch,
    default); ``sqrt(v / bc2 + eps_root) + eps`` (optax, any ``eps_root`` or
    corrected AMSGrad); ``sqrt(v) + eps`` with ``sqrt(bc2)`` in the step size
    (eps-hat, Keras). Element-wise work in ``second``'s dtype.
    """
    cast = second.dtype.type
    scale = 1.0
    # Every operation writes into ``denom`` so that a 0-d array stays one.
    denom = np.empty_like(second)
    if eps_mode == "hat":
        np.sqrt(second, out=denom)
        scale = math.sqrt(bias_correction2)
    elif corrected or eps_root != 0.0:
        if corrected:
            np.copyto(denom, second)
        else:
            np.divide(second, cast(bias_correction2), out=denom)
        denom += cast(eps_root)
        np.sqrt(denom, out=denom)
    else:
        np.sqrt(second, out=denom)
        denom *= cast(1.0 / math.sqrt(bias_correction2))
    denom += cast(eps)
    return denom, scale


#: The convention switches of :class:`Adam` and their defaults (torch's).
DEFAULT_CONVENTIONS: dict[str, Any] = {
    "eps_mode": "outside",
    "eps_root": 0.0,
    "amsgrad_mode": "raw",
    "weight_decay_scale": "lr",
}


def check_conventions(group: dict) -> None:
    """Check (in place) the convention switches of an Adam-family group.

    Groups of subclasses that do not carry a switch keep its default.
    """
    for key in DEFAULT_CONVENTIONS:
        if key not in group:
            continue
        if key == "eps_root":
            group[key] = check_nonnegative("eps_root", group[key])
        else:
            choices = {
                "eps_mode": ("outside", "hat"),
                "amsgrad_mode": ("raw", "corrected"),
                "weight_decay_scale": ("lr", "schedule"),
            }[key]
            check_choice(key, group[key], choices)
    mode = group.get("eps_mode", "outside")
    if mode == "hat" and group.get("eps_root", 0.0) != 0.0:
        raise ValueError(
            "eps_root applies with eps_mode='outside' only (optax's form); got "
            f"eps_mode='hat' and eps_root={group['eps_root']!r}"
        )
    if mode == "hat" and group.get("amsgrad_mode", "raw") == "corrected":
        raise ValueError(
            "amsgrad_mode='corrected' (optax) needs eps_mode='outside'; got "
            "eps_mode='hat' (Keras takes the max over raw v: use amsgrad_mode='raw')"
        )
    if (
        group.get("weight_decay_scale", "lr") == "schedule"
        and group.get("decoupled_weight_decay", False)
        and group.get("weight_decay", 0.0) != 0.0
        and group.get("initial_lr", 1.0) == 0.0
    ):
        raise ValueError(
            "weight_decay_scale='schedule' divides lr by initial_lr, which is 0; "
            "give a positive lr or use weight_decay_scale='lr'"
        )


def decay_rate(group: dict) -> float | None:
    """The factor of ``weight_decay`` in the decoupled shrink (None: ``lr``)."""
    if group.get("weight_decay_scale", "lr") == "schedule":
        return group["lr"] / group["initial_lr"]
    return None


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2014), with optional AMSGrad and L2 weight decay.

    For each parameter, at its step ``t`` (counted from 1), with gradient ``g``:

    1. ``g <- -g`` if ``maximize``; ``g <- g + weight_decay * theta`` (L2), or,
       with ``decoupled_weight_decay``, ``theta <- theta * (1 - lr *
       weight_decay)`` instead (that is :class:`AdamW`);
    2. ``m <- beta1 * m + (1 - beta1) * g``  (``exp_avg``);
    3. ``v <- beta2 * v + (1 - beta2) * g**2``  (``exp_avg_sq``);
    4. with ``amsgrad``: ``v_max <- max(v_max, v)`` (``max_exp_avg_sq``), and
       ``v_max`` replaces ``v`` below;
    5. ``bc1 = 1 - prod_{i<=t} beta1_i`` (``beta1_product`` keeps the product of
       the beta1 values actually used, so a scheduled beta1 is corrected
       exactly; for a fixed beta1 it is ``1 - beta1**t``), ``bc2 = 1 - beta2**t``;
    6. ``theta <- theta - (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps)``.

    This is Algorithm 1 of the paper with ``eps`` outside the square root of
    the bias-corrected second moment, as in torch.optim.Adam and optax.adam.
    Keras instead uses "eps-hat" (``eps`` added to the uncorrected ``sqrt(v)``).

    AMSGrad (Reddi, Kale and Kumar, 2018) here takes the maximum of the *raw*
    second moment and bias-corrects the maximum afterwards, as torch does;
    optax.amsgrad takes the maximum of the *corrected* ``v_hat`` instead, whose
    denominator is never smaller.

    Conventions. The references differ in three small ways; each is a named
    option whose default is torch's (docs/conventions.md has an example each):

    - ``eps_mode="outside"`` (torch.optim.Adam, optax.adam, the paper's
      Algorithm 1): step 6 as written. ``eps_mode="hat"`` (Keras and
      TensorFlow, the paper's "eps-hat"): ``theta <- theta - lr * sqrt(bc2) /
      bc1 * m / (sqrt(v) + eps)``, i.e. torch with ``eps / sqrt(bc2)``.
      ``eps_root > 0`` (optax's ``eps_root``): ``theta <- theta - (lr / bc1) *
      m / (sqrt(v / bc2 + eps_root) + eps)``, only with ``eps_mode="outside"``.
    - ``amsgrad_mode="raw"`` (torch, Keras): step 4 as written.
      ``amsgrad_mode="corrected"`` (optax.amsgrad): ``v_max <- max(v_max, v /
      bc2)`` and the denominator is ``sqrt(v_max + eps_root) + eps``.
    - ``weight_decay_scale="lr"`` (torch.optim.AdamW, optax.adamw): the
      decoupled shrink is ``1 - lr * weight_decay``. ``"schedule"``
      (Loshchilov and Hutter's Algorithm 2): ``1 - (lr / initial_lr) *
      weight_decay``, the schedule multiplier only, so ``weight_decay`` is the
      per-step decay at full schedule whatever the base lr.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs or group dicts (see :class:`Optimizer`).
    lr
        Learning rate ``alpha`` (>= 0).
    betas
        ``(beta1, beta2)``, each in [0, 1).
    eps
        Added to the denominator (>= 0).
    weight_decay
        L2 penalty coefficient added to the gradient (>= 0).
    amsgrad
        Use AMSGrad's running maximum of the second moment.
    maximize
        Ascend instead of descend.
    decoupled_weight_decay
        Apply ``weight_decay`` as AdamW does (see :class:`AdamW`).
    eps_mode
        ``"outside"`` (torch, optax, default) or ``"hat"`` (Keras, TensorFlow).
    eps_root
        Added to the corrected second moment inside the square root (optax's
        ``eps_root``; default 0).
    amsgrad_mode
        ``"raw"`` (torch, Keras, default) or ``"corrected"`` (optax).
    weight_decay_scale
        ``"lr"`` (torch, optax, default) or ``"schedule"`` (Loshchilov and
        Hutter); used with ``decoupled_weight_decay`` only.
    clip_norm, clip_value, nonfinite
        Gradient clipping and the non-finite policy; see :class:`Optimizer`.

    References
    ----------
    D. P. Kingma and J. Ba, "Adam: A Method for Stochastic Optimization",
    ICLR 2015, arXiv:1412.6980.
    S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and Beyond",
    ICLR 2018, arXiv:1904.09237.
    """

    fused_kernel = "adamlab.optim.kernels.adam:adam_group_step"

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        maximize: bool = False,
        *,
        decoupled_weight_decay: bool = False,
        eps_mode: str = "outside",
        eps_root: float = 0.0,
        amsgrad_mode: str = "raw",
        weight_decay_scale: str = "lr",
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
            "eps_mode": eps_mode,
            "eps_root": eps_root,
            "amsgrad_mode": amsgrad_mode,
            "weight_decay_scale": weight_decay_scale,
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
        check_bool("amsgrad", group["amsgrad"])
        check_conventions(group)

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple]:
        shapes = {"exp_avg": param.shape, "exp_avg_sq": param.shape}
        if group["amsgrad"]:
            shapes["max_exp_avg_sq"] = param.shape
        return shapes

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        return {"beta1_product": 1.0}

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        beta1, beta2 = group["betas"]
        state["beta1_product"] *= beta1
        adam_update(
            param,
            grad,
            state["exp_avg"],
            state["exp_avg_sq"],
            state.get("max_exp_avg_sq"),
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            decoupled_weight_decay=group["decoupled_weight_decay"],
            maximize=group["maximize"],
            bias_correction1=1.0 - state["beta1_product"],
            bias_correction2=1.0 - beta2 ** state["step"],
            eps_mode=group.get("eps_mode", "outside"),
            eps_root=group.get("eps_root", 0.0),
            amsgrad_mode=group.get("amsgrad_mode", "raw"),
            decay_lr=decay_rate(group),
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per parameter: the effective per-element learning rate and corrections.

        ``effective_lr = step_size / denominator``, the factor that multiplies
        the first moment in the update, computed as the update computes both
        (:func:`adam_denominator`, every convention switch). By default that is
        ``(lr / bc1) / (sqrt(v) * (1 / sqrt(bc2)) + eps)``, with AMSGrad's
        maximum in place of ``v``. Zero before the first step.
        """
        out: dict[str, dict[str, Any]] = {}
        for index, group in enumerate(self.param_groups):
            if self._flat_diagnostics(index, group, out):
                continue
            for i in group["params"]:
                state = self.state[i]
                out[self._names[i]] = self._diagnostic_entry(
                    group, state, self._effective(group, state, self._second(state))
                )
        return out

    @staticmethod
    def _second(state: dict) -> NDArray:
        """The second-moment array the denominator reads (AMSGrad's maximum)."""
        return state.get("max_exp_avg_sq", state["exp_avg_sq"])

    @staticmethod
    def _diagnostic_entry(group: dict, state: dict, effective: NDArray) -> dict:
        t = state["step"]
        return {
            "step": t,
            "effective_lr": effective,
            "bias_correction1": 1.0 - state["beta1_product"],
            "bias_correction2": 1.0 - group["betas"][1] ** t,
        }

    @staticmethod
    def _effective(
        group: dict, state: dict, second: NDArray, at: NDArray | None = None
    ) -> NDArray:
        """``step_size / denominator`` over ``second`` (any shape; 1-D with
        ``at``, and then only at positions ``at``) for a parameter in
        ``state``'s step (all of a flat group's, when flat)."""
        t = state["step"]
        if t == 0:
            return np.zeros_like(second if at is None else at, dtype=second.dtype)
        bc1 = 1.0 - state["beta1_product"]
        bc2 = 1.0 - group["betas"][1] ** t
        eps_mode = group.get("eps_mode", "outside")
        eps_root = group.get("eps_root", 0.0)
        corrected = (
            "max_exp_avg_sq" in state and group.get("amsgrad_mode") == "corrected"
        )
        step_size = group["lr"] / bc1
        if eps_mode == "outside" and eps_root == 0.0 and not corrected:
            inverse = 1.0 / math.sqrt(bc2)
            if at is not None:
                return _effective_lr(second, step_size, inverse, group["eps"], at)
            return _effective_lr(
                second.reshape(-1), step_size, inverse, group["eps"]
            ).reshape(second.shape)
        if at is not None:
            second = second[at]
        denom, scale = adam_denominator(
            second,
            bias_correction2=bc2,
            eps=group["eps"],
            eps_mode=eps_mode,
            eps_root=eps_root,
            corrected=corrected,
        )
        with np.errstate(divide="ignore"):
            return np.divide(second.dtype.type(step_size * scale), denom, out=denom)

    def flat_diagnostics(
        self, at: NDArray | None = None
    ) -> list[dict[str, Any]] | None:
        """:meth:`diagnostics` per group over its flat buffers (see
        :meth:`Optimizer.flat_diagnostics`), or None if a group's second
        moments tile no buffer, its parameters' steps differ, or a subclass
        defines its own :meth:`diagnostics`."""
        if type(self).diagnostics is not Adam.diagnostics:
            return None
        out = []
        for index, group in enumerate(self.param_groups):
            entry = self._group_diagnostics(index, group, at)
            if entry is None:
                return None
            out.append(entry)
        return out

    #: The names of :meth:`flat_signal_sources`' values, in their order.
    flat_signal_keys = ("effective_lr", "bias_correction1", "bias_correction2")

    def flat_signal_sources(self) -> tuple | None:
        """The single group's :meth:`flat_diagnostics` (less the step), with
        ``effective_lr`` not computed but described, for the tracker to
        compute at its sample positions inside its own compiled call: the
        values of :attr:`flat_signal_keys` as a tuple, ``(source,
        bias_correction1, bias_correction2)``. ``source`` is ``(buffer,
        scale, inverse, eps)``, meaning ``scale / (sqrt(buffer) * inverse +
        eps)`` element by element in the buffer's dtype (the scalars cast to
        it), as :func:`adamlab.optim.kernels.effective_lr.effective_lr`
        computes it. Every scalar is a Python float, at every call: the
        tracker checks the values' types once for a layout, and a subclass
        that redefines this method must keep them (Python ints or floats, the
        same at every call, the keys in :attr:`flat_signal_keys`). None where
        that is not the formula (another denominator form, before the first
        step), with more than one group, where :meth:`flat_diagnostics`
        would give None, or where a subclass redefines how the diagnostics
        are made."""
        if len(self.param_groups) != 1 or not _own_diagnostics(type(self)):
            return None
        group = self.param_groups[0]
        found = self._group_buffer(0)
        if found is None:
            return None
        state, flat = found
        t = state["step"]
        if (
            t == 0
            or group.get("eps_mode", "outside") != "outside"
            or group.get("eps_root", 0.0) != 0.0
            or ("max_exp_avg_sq" in state and group.get("amsgrad_mode") == "corrected")
        ):
            return None
        bc1 = 1.0 - state["beta1_product"]
        bc2 = 1.0 - group["betas"][1] ** t
        scale = float(group["lr"] / bc1)
        source = (flat, scale, 1.0 / math.sqrt(bc2), float(group["eps"]))
        return source, float(bc1), float(bc2)

    def _group_buffer(self, index: int) -> tuple[dict, NDArray] | None:
        """Group ``index``'s first parameter state and the flat buffer its
        second moments tile (AMSGrad's maximum where kept), or None if they
        tile none or the parameters' steps differ."""
        states = self._group_states[index]
        if not states:
            return None
        first = states[0]
        t = first["step"]
        product = first["beta1_product"]
        for state in states:
            if state["step"] != t or state["beta1_product"] != product:
                return None
        key = "max_exp_avg_sq" if "max_exp_avg_sq" in first else "exp_avg_sq"
        # The group's state buffer, as the fused step uses it, when the
        # parameters tile one buffer (so the state has one dtype); else look.
        flat = None
        if self._flat_params[index] is not None:
            flat = self._flat_state[index].get(key)
        if flat is None:
            flat = flat_view([state[key] for state in states])
        if flat is None:
            return None
        return first, flat

    def _group_diagnostics(
        self, index: int, group: dict, at: NDArray | None = None
    ) -> dict[str, Any] | None:
        """Group ``index``'s diagnostics computed once over the flat buffer its
        second moments tile (the signals of its parameters concatenated; only
        at positions ``at`` if given), or None if they tile none or the
        parameters' steps differ."""
        found = self._group_buffer(index)
        if found is None:
            return None
        first, flat = found
        return self._diagnostic_entry(
            group, first, self._effective(group, first, flat, at)
        )

    def _flat_diagnostics(
        self, index: int, group: dict, out: dict[str, dict[str, Any]]
    ) -> bool:
        """:meth:`diagnostics` of group ``index`` from
        :meth:`_group_diagnostics`, handed out as per-parameter views; False
        (and nothing added) without a flat computation."""
        entry = self._group_diagnostics(index, group)
        if entry is None:
            return False
        effective = entry["effective_lr"]
        start = 0
        for i, state in zip(group["params"], self._group_states[index]):
            second = self._second(state)
            stop = start + second.size
            view = effective[start:stop].reshape(second.shape)
            out[self._names[i]] = dict(entry, effective_lr=view)
            start = stop
        return True


#: The methods through which Adam's diagnostics are made: a class that
#: redefines any of them gets no ``flat_signal_sources``.
_DIAGNOSTIC_METHODS = (
    "diagnostics",
    "flat_diagnostics",
    "_group_diagnostics",
    "_group_buffer",
    "_diagnostic_entry",
    "_effective",
)


@functools.cache
def _own_diagnostics(cls: type) -> bool:
    """Whether ``cls`` makes its diagnostics with Adam's own methods."""
    return all(
        getattr(cls, name) is getattr(Adam, name) for name in _DIAGNOSTIC_METHODS
    )


def _effective_lr(
    v: NDArray, scale: float, inverse: float, eps: float, at: NDArray | None = None
) -> NDArray:
    """``scale / (sqrt(v) * inverse + eps)`` for 1-D ``v`` (only at positions
    ``at`` if given), in its dtype: the compiled kernel's, or NumPy's
    (bit-identical) without numba. The kernel is imported at the first call."""
    kernel = _EFFECTIVE_LR
    if kernel is None:
        kernel = _load_effective_lr()
    if kernel is not False:
        return kernel(v, scale, inverse, eps, at)
    if at is not None:  # pragma: no cover - numba is a dependency
        v = v[at]
    cast = v.dtype.type
    effective = np.sqrt(v)
    effective *= cast(inverse)
    effective += cast(eps)
    with np.errstate(divide="ignore"):
        return np.divide(cast(scale), effective, out=effective)


#: The compiled effective-lr kernel once imported (False without numba); the
#: tracker calls it at every recording, where an import statement costs more.
_EFFECTIVE_LR: Any = None


def _load_effective_lr() -> Any:
    global _EFFECTIVE_LR
    try:
        from adamlab.optim.kernels.effective_lr import effective_lr
    except ImportError:  # pragma: no cover - numba is a dependency
        effective_lr = False
    _EFFECTIVE_LR = effective_lr
    return effective_lr


class AdamW(Adam):
    r"""AdamW (Loshchilov and Hutter, 2019): Adam with decoupled weight decay.

    Before the Adam step of :class:`Adam`, each parameter shrinks:

    ``theta <- theta * (1 - lr * weight_decay)``

    so the decay is not divided by the adaptive denominator as L2 decay is. As in
    torch.optim.AdamW and optax.adamw, the decay is scaled by the full ``lr``
    (the paper scales it by the schedule multiplier only). The default
    ``weight_decay`` is 1e-2, as in torch.

    References
    ----------
    I. Loshchilov and F. Hutter, "Decoupled Weight Decay Regularization",
    ICLR 2019, arXiv:1711.05101.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        maximize: bool = False,
        **options: Any,
    ) -> None:
        options.setdefault("decoupled_weight_decay", True)
        super().__init__(
            params, lr, betas, eps, weight_decay, amsgrad, maximize, **options
        )


class AMSGrad(Adam):
    r"""AMSGrad (Reddi, Kale and Kumar, 2018): ``Adam(..., amsgrad=True)``.

    The denominator uses the running maximum of the raw second moment,
    ``v_max <- max(v_max, v)``, bias-corrected afterwards as torch does (optax
    takes the maximum after correction). See :class:`Adam` for the full rule.

    References
    ----------
    S. J. Reddi, S. Kale and S. Kumar, "On the Convergence of Adam and Beyond",
    ICLR 2018, arXiv:1904.09237.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        maximize: bool = False,
        **options: Any,
    ) -> None:
        options["amsgrad"] = True
        super().__init__(
            params, lr, betas, eps, weight_decay, maximize=maximize, **options
        )
