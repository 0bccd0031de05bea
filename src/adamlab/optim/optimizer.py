"""The optimizer base class: parameter groups, state, the step protocol, saving.

Subclasses supply the algorithm: which state arrays each parameter needs
(:meth:`Optimizer._state_shapes`), which per-parameter scalars
(:meth:`Optimizer._state_scalars`), how a group's hyperparameters are checked
(:meth:`Optimizer._validate_group`), and how one parameter is updated
(:meth:`Optimizer._update`). Everything else, the contract of
``../shared/DESIGN.md``, lives here once:

- ``params`` is a list of arrays, of ``(name, array)`` pairs, or of group dicts;
- ``step(grads)`` updates the arrays in place (a ``None`` gradient skips one);
- gradient clipping and the non-finite policy run before any state changes;
- state is allocated at once, per group and per state key, as views of one flat
  buffer, so a group whose parameters tile one buffer is one long vector for the
  fused kernels;
- ``state_dict`` holds arrays, numbers and strings only, and
  ``load_state_dict`` copies into the existing arrays after checking them.
"""

from __future__ import annotations

import functools
import importlib
import math
from collections.abc import Iterable, Sequence
from operator import is_, itemgetter
from typing import Any

import numpy as np
from numpy.typing import NDArray

from adamlab.optim.clipping import (
    all_finite,
    clip_by_value,
    clip_coefficient,
    first_nonfinite,
    global_norm,
)
from adamlab.optim.layout import flat_view
from adamlab.optim.validation import check_choice, check_positive

NONFINITE_POLICIES = ("ignore", "raise", "skip")
FLOAT_DTYPES = (np.float16, np.float32, np.float64)
FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_STEP = itemgetter("step")


class NonFiniteGradientError(FloatingPointError):
    """Raised by ``step`` under ``nonfinite="raise"`` when a gradient is NaN or inf."""


def state_dtype(param_dtype: np.dtype) -> np.dtype:
    """State dtype for a parameter dtype: float16 parameters keep float32 state."""
    if param_dtype == np.float16:
        return np.dtype(np.float32)
    return np.dtype(param_dtype)


def _as_array(value: object, where: str) -> NDArray:
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{where} must be a NumPy array, got {type(value).__name__}")
    if value.dtype not in FLOAT_DTYPES:
        raise TypeError(
            f"{where} must be float16, float32 or float64, got dtype {value.dtype}"
        )
    if not value.flags.writeable:
        raise ValueError(f"{where} is read-only; the optimizer updates it in place")
    return value


def _split_named(items: Iterable[Any], where: str) -> tuple[list[NDArray], list[str]]:
    """Accept arrays or ``(name, array)`` pairs; return arrays and names."""
    arrays, names = [], []
    for i, item in enumerate(items):
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
            name, array = item
        else:
            name, array = None, item
        arrays.append(_as_array(array, f"{where}[{i}]"))
        names.append(name)
    return arrays, names


@functools.cache
def _fused_kernel(cls: type) -> Any:
    """The kernel function a class's ``fused_kernel`` names, if it applies."""
    owner = next((k for k in cls.__mro__ if "fused_kernel" in k.__dict__), None)
    if owner is None or owner.fused_kernel is None:
        return None
    if cls._update is not owner._update:
        return None
    module, name = owner.fused_kernel.split(":")
    return getattr(importlib.import_module(module), name)


class Optimizer:
    """Base of every adamlab optimizer; see the module docstring for the contract.

    Parameters
    ----------
    params
        Arrays, ``(name, array)`` pairs, or group dicts ``{"params": [...], ...}``
        whose other keys override ``defaults`` for that group.
    defaults
        Hyperparameters of the algorithm, under torch's names.
    clip_norm
        If given, gradients are scaled so that their global L2 norm (over all
        parameters) is at most this value, before the moments are updated.
    clip_value
        If given, each gradient element is clipped to ``[-clip_value,
        clip_value]`` before the moments are updated (after ``clip_norm``).
    nonfinite
        What a NaN or infinite gradient does: ``"ignore"`` (it flows into the
        update, as in torch), ``"raise"`` (:class:`NonFiniteGradientError`,
        nothing changed), or ``"skip"`` (the step is skipped and counted in
        ``skipped_steps``; parameters, state and step counts stay untouched).
    """

    #: ``"module:function"`` of the fused kernel reproducing this class's
    #: ``_update`` on a flat group (see :meth:`_fused_step`); None for none.
    fused_kernel: str | None = None

    def __init__(
        self,
        params: Iterable[Any],
        defaults: dict[str, Any],
        *,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        nonfinite: str = "ignore",
    ) -> None:
        if isinstance(params, np.ndarray):
            raise TypeError(
                "params must be a list of arrays, (name, array) pairs or group "
                "dicts, got a single array; wrap it in a list: [array]"
            )
        self.defaults = dict(defaults)
        self.clip_norm = (
            None if clip_norm is None else check_positive("clip_norm", clip_norm)
        )
        self.clip_value = (
            None if clip_value is None else check_positive("clip_value", clip_value)
        )
        self.nonfinite = check_choice("nonfinite", nonfinite, NONFINITE_POLICIES)
        self.param_groups: list[dict[str, Any]] = []
        self.state: dict[int, dict[str, Any]] = {}
        self.schedules: list[Any] = []
        self.completed_steps = 0
        self.skipped_steps = 0
        self.last_grad_norm: float | None = None
        self._params: list[NDArray] = []
        self._names: list[str] = []
        self._group_slices: list[slice] = []
        self._flat_params: list[NDArray | None] = []
        self._flat_state: list[dict[str, NDArray]] = []
        self._grad_cache: tuple[list[Any], list[NDArray | None]] | None = None
        self._flat_grad_cache: tuple[list[Any], list[NDArray | None]] | None = None
        self._group_states: list[list[dict[str, Any]]] = []
        self._validated: dict[int, tuple[Any, ...]] = {}
        #: Group updates done by a fused kernel (read by tests and the benchmark).
        self.fused_group_steps = 0

        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        if all(isinstance(p, dict) for p in params):
            groups = params
        elif any(isinstance(p, dict) for p in params):
            raise TypeError("params must be all group dicts or no group dicts")
        else:
            groups = [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ groups

    def add_param_group(self, group: dict[str, Any]) -> None:
        """Add a group; its parameters start with fresh state and step counts."""
        if not isinstance(group, dict) or "params" not in group:
            raise TypeError("a parameter group must be a dict with a 'params' key")
        items = group["params"]
        if isinstance(items, np.ndarray):
            items = [items]
        where = f"param_groups[{len(self.param_groups)}]['params']"
        arrays, names = _split_named(list(items), where)
        given_names = group.get("param_names")
        if given_names is not None:
            if len(given_names) != len(arrays):
                raise ValueError(
                    f"param_names has {len(given_names)} names for "
                    f"{len(arrays)} parameters"
                )
            names = list(given_names)
        start = len(self._params)
        names = [
            n if n is not None else f"param{start + i}" for i, n in enumerate(names)
        ]
        # No two parameters may share memory (the same array twice, or views
        # that overlap), or a shared element would be updated twice per step.
        # Sorted by first byte, only neighbours whose byte ranges overlap get
        # the exact (costlier) np.shares_memory test, so strided views such as
        # buf[::2] and buf[1::2] pass and a packed model costs O(n log n).
        from numpy.lib.array_utils import byte_bounds

        every, labels = [*self._params, *arrays], [*self._names, *names]
        spans = sorted((*byte_bounds(p), i) for i, p in enumerate(every) if p.size)
        open_spans: list[tuple[int, int]] = []
        for low, high, i in spans:
            open_spans = [(end, j) for end, j in open_spans if end > low]
            for _, j in open_spans:
                if max(i, j) >= start and np.shares_memory(every[i], every[j]):
                    a, b = sorted((i, j))
                    both = f"parameters {labels[a]!r} and {labels[b]!r}"
                    if every[a] is every[b]:
                        raise ValueError(
                            f"{both} are the same array; an array may appear "
                            "once only, not twice nor in more than one group"
                        )
                    raise ValueError(
                        f"{both} share memory (overlapping views of one "
                        "buffer), so shared elements would be updated twice "
                        "per step; pass arrays that do not overlap"
                    )
            open_spans.append((high, i))
        unknown = (
            set(group) - set(self.defaults) - {"params", "param_names", "initial_lr"}
        )
        if unknown:
            raise ValueError(
                f"unknown hyperparameter(s) {sorted(unknown)} for "
                f"{type(self).__name__}; valid: {sorted(self.defaults)}"
            )

        new = {k: v for k, v in self.defaults.items()}
        new.update(
            {k: v for k, v in group.items() if k not in ("params", "param_names")}
        )
        if "lr" in new:
            new.setdefault("initial_lr", new["lr"])
        self._validate_group(new)
        new["params"] = list(range(start, start + len(arrays)))
        new["param_names"] = names

        self.param_groups.append(new)
        self._params.extend(arrays)
        self._names.extend(names)
        self._group_slices.append(slice(start, start + len(arrays)))
        self._flat_params.append(flat_view(arrays))
        self._allocate_state(new, arrays, start)
        self._grad_cache = None
        self._flat_grad_cache = None

    def _allocate_state(self, group: dict, arrays: list[NDArray], start: int) -> None:
        """Zero state for a new group: one flat buffer per (key, dtype), viewed."""
        shapes = [self._state_shapes(p, group) for p in arrays]
        buffers: dict[tuple[str, np.dtype], NDArray] = {}
        sizes: dict[tuple[str, np.dtype], int] = {}
        for p, spec in zip(arrays, shapes):
            for key, shape in spec.items():
                slot = (key, state_dtype(p.dtype))
                sizes[slot] = sizes.get(slot, 0) + math.prod(shape)
        for slot, size in sizes.items():
            buffers[slot] = np.zeros(size, dtype=slot[1])
        offsets = dict.fromkeys(sizes, 0)
        for i, (p, spec) in enumerate(zip(arrays, shapes)):
            entry: dict[str, Any] = {"step": 0}
            entry.update(self._state_scalars(group))
            for key, shape in spec.items():
                slot = (key, state_dtype(p.dtype))
                n = math.prod(shape)
                entry[key] = buffers[slot][offsets[slot] : offsets[slot] + n].reshape(
                    shape
                )
                offsets[slot] += n
            self.state[start + i] = entry
        self._flat_state.append({key: buf for (key, _), buf in buffers.items()})
        self._group_states.append([self.state[start + i] for i in range(len(arrays))])

    # --------------------------------------------------------- for subclasses

    def _state_shapes(self, param: NDArray, group: dict) -> dict[str, tuple[int, ...]]:
        """Names and shapes of the state arrays one parameter needs."""
        return {}

    def _state_scalars(self, group: dict) -> dict[str, Any]:
        """Per-parameter scalar state besides ``step`` (e.g. ``beta1_product``)."""
        return {}

    def _validate_group(self, group: dict) -> None:
        """Check (and normalise in place) one group's hyperparameters."""

    def _update(self, param: NDArray, grad: NDArray, state: dict, group: dict) -> None:
        """Update one parameter in place; ``state["step"]`` is already advanced."""
        raise NotImplementedError

    def _step_group(
        self,
        index: int,
        group: dict,
        params: list[NDArray],
        grads: list[NDArray | None],
        states: list[dict],
    ) -> None:
        """Update one group. Subclasses may override with a fused path."""
        for param, grad, state in zip(params, grads, states):
            if grad is None:
                continue
            state["step"] += 1
            self._update(param, grad, state, group)

    def _fused_step(
        self,
        group: dict,
        flat_param: NDArray,
        flat_grad: NDArray,
        flat_state: dict[str, NDArray],
        states: list[dict],
    ) -> bool:
        """Update a whole group with one kernel call; return False to decline.

        Called only when the group's parameters and gradients each tile one
        contiguous float32/float64 buffer and every parameter has the same step
        count (``states[0]["step"]``, not yet advanced). ``flat_state`` maps each
        state key to its flat buffer, element for element with ``flat_param``.
        An implementation must advance every ``state["step"]`` (and its other
        per-parameter scalars) exactly as the general path would.

        The base implementation calls the kernel named by the class attribute
        ``fused_kernel`` (``"module:function"``, imported on first use), or
        declines when there is none, or when a subclass overrides ``_update``
        of the class that named the kernel (the kernel reproduces that
        ``_update`` only).
        """
        kernel = _fused_kernel(type(self))
        if kernel is None:
            return False
        return kernel(group, flat_param, flat_grad, flat_state, states)

    # -------------------------------------------------------------- stepping

    def _flat_grads(self, grads: list[NDArray | None]) -> list[NDArray | None]:
        """Per group, the 1-D view its gradients tile, or None (cached)."""
        cache = self._flat_grad_cache
        if cache is not None and cache[0] is grads:
            return cache[1]
        flats: list[NDArray | None] = []
        for index, where in enumerate(self._group_slices):
            part = grads[where]
            if self._flat_params[index] is None or any(g is None for g in part):
                flats.append(None)
            else:
                flats.append(flat_view(part))
        self._flat_grad_cache = (grads, flats)
        return flats

    def _revalidate(self, index: int, group: dict) -> None:
        """Validate a group again unless it holds the very objects last checked.

        Checked values are normalised to immutable Python objects, so a group
        whose keys and values are identical (``is``) to the last check needs no
        new one; any assignment (a schedule, a user, ``load_state_dict``) makes
        a new object and triggers the full check.
        """
        snapshot = (*group, *group.values())
        seen = self._validated.get(index)
        if (
            seen is not None
            and len(seen) == len(snapshot)
            and all(map(is_, seen, snapshot))
        ):
            return
        self._validate_group(group)
        self._validated[index] = (*group, *group.values())

    def _flat_step(self, index: int, group: dict, flat_grad: NDArray) -> bool:
        """The flat fast path: one kernel call for the group, if it qualifies."""
        flat_param = self._flat_params[index]
        if flat_param is None or flat_param.dtype not in FUSED_DTYPES:
            return False
        states = self._group_states[index]
        if len(set(map(_STEP, states))) != 1:
            return False
        done = self._fused_step(
            group, flat_param, flat_grad, self._flat_state[index], states
        )
        if done:
            self.fused_group_steps += 1
        return done

    def _checked_grads(self, grads: Sequence[Any]) -> list[NDArray | None]:
        """Check count, shapes and dtypes (cached while the same arrays come back)."""
        cache = self._grad_cache
        if cache is not None and (cache[0] is grads or type(grads) in (list, tuple)):
            # The same arrays again, in the same list or a new one: already checked.
            held = cache[1]
            if len(grads) == len(held) and all(map(is_, grads, held)):
                return held
        if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
            raise TypeError(
                "grads must be a list of arrays (or None) in the order of the "
                f"parameters, got {type(grads).__name__}"
            )
        if len(grads) != len(self._params):
            raise ValueError(
                f"expected {len(self._params)} gradients, one per parameter, "
                f"got {len(grads)}"
            )
        checked: list[NDArray | None] = []
        for i, (g, p) in enumerate(zip(grads, self._params)):
            if g is None:
                checked.append(None)
                continue
            name = self._names[i]
            if not isinstance(g, np.ndarray):
                raise TypeError(
                    f"gradient {i} ({name}) must be a NumPy array or None, "
                    f"got {type(g).__name__}"
                )
            if g.shape != p.shape:
                raise ValueError(
                    f"gradient {i} ({name}) has shape {g.shape}, expected the "
                    f"parameter's shape {p.shape}"
                )
            if g.dtype != p.dtype:
                raise ValueError(
                    f"gradient {i} ({name}) has dtype {g.dtype}, expected the "
                    f"parameter's dtype {p.dtype}"
                )
            checked.append(g)
        self._grad_cache = (grads, checked)
        return checked

    def step(self, grads: Sequence[NDArray | None]) -> bool:
        """Apply one update to every parameter with a gradient.

        Returns True if the step was taken, False if it was skipped under
        ``nonfinite="skip"``.
        """
        grads = self._checked_grads(grads)
        for index, group in enumerate(self.param_groups):
            self._revalidate(index, group)

        scale = 1.0
        flat_grads = self._flat_grads(grads)
        bad = None
        if self.clip_norm is not None:
            present = [g for g in grads if g is not None]
            norm = global_norm(present)
            self.last_grad_norm = norm
            # An infinite norm of finite float64 gradients (beyond 1.8e308) is
            # an overflow of the norm, not a non-finite gradient.
            if not math.isfinite(norm) and self.nonfinite != "ignore":
                bad = first_nonfinite(grads)
        elif self.nonfinite != "ignore":
            # Without clipping one counting pass per buffer finds NaN or inf.
            sums = [f for f in flat_grads if f is not None]
            sums += [
                g
                for index, where in enumerate(self._group_slices)
                if flat_grads[index] is None
                for g in grads[where]
                if g is not None
            ]
            if not all_finite(sums):
                bad = first_nonfinite(grads)
        if bad is not None:
            if self.nonfinite == "raise":
                raise NonFiniteGradientError(
                    f"gradient of {self._names[bad]} holds NaN or inf; "
                    "nothing was updated"
                )
            self.skipped_steps += 1
            return False
        if self.clip_norm is not None:
            scale = clip_coefficient(present, self.clip_norm, norm)

        # Clipping is element-wise, so a group's flat gradient is clipped as one
        # array; the per-parameter copies are made only for the general path.
        clipping = scale != 1.0 or self.clip_value is not None
        if clipping:
            flat_grads = [
                None if f is None else clip_by_value(f, scale, self.clip_value)
                for f in flat_grads
            ]
        for index, group in enumerate(self.param_groups):
            flat_grad = flat_grads[index]
            if flat_grad is not None and self._flat_step(index, group, flat_grad):
                continue
            where = self._group_slices[index]
            group_grads = grads[where]
            if clipping:
                group_grads = [
                    None if g is None else clip_by_value(g, scale, self.clip_value)
                    for g in group_grads
                ]
            states = self._group_states[index]
            # NaN and inf pass through silently, as in the fused kernels (NumPy's
            # error model there): only nonfinite="ignore" lets them in.
            with np.errstate(all="ignore"):
                self._step_group(index, group, self._params[where], group_grads, states)

        self.completed_steps += 1
        for schedule in self.schedules:
            schedule.on_step(self)
        return True

    # ------------------------------------------------------------ inspection

    @property
    def param_names(self) -> list[str]:
        """Names of all parameters, groups flattened, in gradient order."""
        return list(self._names)

    def state_bytes(self) -> int:
        """Bytes held by the optimizer's state arrays."""
        return sum(
            buf.nbytes for buffers in self._flat_state for buf in buffers.values()
        )

    def diagnostics(self) -> dict[str, dict[str, Any]]:
        """Per-parameter signals for the tracker, keyed by parameter name."""
        return {name: {} for name in self._names}

    def flat_diagnostics(
        self, at: NDArray | None = None
    ) -> list[dict[str, Any]] | None:
        """:meth:`diagnostics` per group, computed over the group's flat
        buffers, or None (the default) where the optimizer has no such form.

        Each group's dict maps a signal to a number shared by all the group's
        parameters, or to a 1-D array of the group's parameters' values
        concatenated in order (parameter ``i``'s at its offset in the group's
        flat parameter buffer). With ``at`` (integer positions in that
        concatenation), array signals are computed only there: ``len(at)``
        values, ``signal[at]``. Equal to :meth:`diagnostics`, without a dict
        and a view per parameter: the tracker's fast path.
        """
        return None

    # ---------------------------------------------------------------- saving

    def state_dict(self) -> dict[str, Any]:
        """A copy of the optimizer's state: arrays, numbers and strings only.

        ``{"optimizer": class name, "state": {index: {...}}, "param_groups":
        [...], "schedules": [...], "counters": {...}}``; a state_dict without
        ``"optimizer"`` (written by hand) is accepted by any class.
        """
        state = {
            i: {
                k: (v.copy() if isinstance(v, np.ndarray) else v)
                for k, v in entry.items()
            }
            for i, entry in self.state.items()
        }
        groups = []
        for group in self.param_groups:
            saved = {}
            for key, value in group.items():
                if isinstance(value, (list, tuple)) and key not in ("params",):
                    value = list(value)
                saved[key] = value
            groups.append(saved)
        schedules = []
        for schedule in self.schedules:
            schedules.append(schedule.state_dict())
        return {
            "optimizer": type(self).__name__,
            "state": state,
            "param_groups": groups,
            "schedules": schedules,
            "counters": {
                "completed_steps": self.completed_steps,
                "skipped_steps": self.skipped_steps,
            },
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a ``state_dict``; the next step continues bit for bit.

        Keys, shapes and dtypes are checked first (a mismatch is refused, naming
        both sides); then the saved values are copied into the existing arrays,
        so views held elsewhere stay valid.
        """
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(
            state_dict
        ):
            raise ValueError(
                "state_dict must be a dict with 'state' and 'param_groups' keys"
            )
        saved_class = state_dict.get("optimizer", type(self).__name__)
        if saved_class != type(self).__name__:
            raise ValueError(
                f"state_dict is of {saved_class}, this optimizer is "
                f"{type(self).__name__}; load it into a {saved_class}"
            )
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"state_dict has {len(groups)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}"
            )
        for index, (saved, group) in enumerate(zip(groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"group {index}: state_dict has {len(saved['params'])} "
                    f"parameters, this optimizer has {len(group['params'])}"
                )
            missing = set(group) - set(saved)
            if missing:
                raise ValueError(
                    f"group {index}: state_dict lacks hyperparameter(s) "
                    f"{sorted(missing)} of {type(self).__name__}"
                )
        saved_state = {int(k): v for k, v in state_dict["state"].items()}
        for i, entry in self.state.items():
            name = self._names[i]
            other = saved_state.get(i)
            if other is None or set(other) != set(entry):
                have = sorted(entry)
                got = None if other is None else sorted(other)
                raise ValueError(
                    f"state of parameter {i} ({name}): expected keys {have}, "
                    f"state_dict has {got}"
                )
            for key, value in entry.items():
                new = other[key]
                if isinstance(value, np.ndarray):
                    new_arr = np.asarray(new)
                    if new_arr.shape != value.shape or new_arr.dtype != value.dtype:
                        raise ValueError(
                            f"state '{key}' of parameter {i} ({name}): expected "
                            f"shape {value.shape} dtype {value.dtype}, state_dict "
                            f"has shape {new_arr.shape} dtype {new_arr.dtype}"
                        )
                elif key == "step" and (
                    isinstance(new, bool) or not isinstance(new, (int, np.integer))
                ):
                    raise ValueError(
                        f"state 'step' of parameter {i} ({name}) must be an "
                        f"integer, got {new!r}"
                    )

        candidates = []
        for saved, group in zip(groups, self.param_groups):
            candidate = dict(group)
            for key, value in saved.items():
                if key not in ("params", "param_names"):
                    candidate[key] = value
            self._validate_group(candidate)
            candidates.append(candidate)
        saved_schedules = state_dict.get("schedules", [])
        if len(saved_schedules) != len(self.schedules):
            raise ValueError(
                f"state_dict has {len(saved_schedules)} schedules, this optimizer "
                f"has {len(self.schedules)} attached"
            )

        # Everything checked: copy in, keeping the existing arrays.
        for group, candidate in zip(self.param_groups, candidates):
            group.update(candidate)
        for i, entry in self.state.items():
            for key, value in entry.items():
                new = saved_state[i][key]
                if isinstance(value, np.ndarray):
                    np.copyto(value, new)
                elif key == "step":
                    entry[key] = int(new)
                else:
                    entry[key] = float(new) if isinstance(new, float) else new
        for schedule, saved in zip(self.schedules, saved_schedules):
            schedule.load_state_dict(saved)
        counters = state_dict.get("counters", {})
        self.completed_steps = int(counters.get("completed_steps", 0))
        self.skipped_steps = int(counters.get("skipped_steps", 0))
        self._grad_cache = None
        self._flat_grad_cache = None

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for index, group in enumerate(self.param_groups):
            lines.append(f"  group {index}: {len(group['params'])} parameters")
            for key in sorted(group):
                if key not in ("params", "param_names"):
                    lines.append(f"    {key}: {group[key]!r}")
        lines.append(")")
        return "\n".join(lines)
