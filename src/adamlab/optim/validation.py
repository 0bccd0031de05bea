"""Checks for hyperparameters, shared by every optimizer.

Each check names the hyperparameter, the value it got and what it expected, so a
user reads one line and knows what to change. They run at construction and again
at the start of every step, because a group is a plain dict that cannot check
assignments itself.
"""

from __future__ import annotations

import math
from numbers import Real


def check_real(name: str, value: object) -> float:
    """Return ``value`` as a float, or raise ``TypeError`` if it is not a number."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value):
        raise ValueError(f"{name} must not be NaN")
    return value


def check_nonnegative(name: str, value: object) -> float:
    """A finite number >= 0 (learning rates, eps, weight decay)."""
    value = check_real(name, value)
    if not 0.0 <= value < math.inf:
        raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    return value


def check_positive(name: str, value: object) -> float:
    """A finite number > 0."""
    value = check_real(name, value)
    if not 0.0 < value < math.inf:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return value


def check_unit_interval(name: str, value: object) -> float:
    """A number in [0, 1): the decay rates of moving averages."""
    value = check_real(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must be in [0, 1), got {value!r}")
    return value


def check_betas(value: object, names: tuple[str, str] = ("beta1", "beta2")):
    """A pair of decay rates, each in [0, 1). Returns a tuple of Python floats."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise ValueError(f"betas must be a pair (beta1, beta2), got {value!r}")
    return tuple(check_unit_interval(n, b) for n, b in zip(names, value))


def check_choice(name: str, value: object, choices: tuple[str, ...]) -> str:
    """One of a fixed set of strings."""
    if value not in choices:
        valid = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {valid}, got {value!r}")
    return value


def check_bool(name: str, value: object) -> bool:
    """A real boolean (not a truthy number or string)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


def check_adam_family(group: dict) -> None:
    """Check and normalise, in place, what the Adam family shares: ``lr``,
    ``initial_lr``, ``betas``, ``eps``, ``weight_decay``, ``maximize`` and, where
    the group has it, ``decoupled_weight_decay``."""
    for name in ("lr", "initial_lr", "eps", "weight_decay"):
        group[name] = check_nonnegative(name, group[name])
    group["betas"] = check_betas(group["betas"])
    check_bool("maximize", group["maximize"])
    if "decoupled_weight_decay" in group:
        check_bool("decoupled_weight_decay", group["decoupled_weight_decay"])
