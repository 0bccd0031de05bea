"""Every optimizer by its command-line name, with a one-line summary.

The command line, the comparison lab and ``adamlab optimizers`` read this table;
adding an optimizer means adding one entry here. Classes are imported only when
asked for, so listing names stays cheap.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Entry:
    """Where an optimizer lives, what it is, and its command-line defaults."""

    module: str
    cls: str
    summary: str
    cli_defaults: tuple[tuple[str, Any], ...] = ()


OPTIMIZERS: dict[str, Entry] = {
    "adafactor": Entry(
        "adamlab.optim.adafactor",
        "Adafactor",
        "factored second moment, relative steps (Shazeer and Stern 2018)",
    ),
    "adam": Entry("adamlab.optim.adam", "Adam", "Adam (Kingma and Ba 2014)"),
    "adamw": Entry(
        "adamlab.optim.adam", "AdamW", "Adam with decoupled weight decay (2019)"
    ),
    "amsgrad": Entry(
        "adamlab.optim.adam", "AMSGrad", "Adam with a running max of v (2018)"
    ),
    "adaptive-adam": Entry(
        "adamlab.optim.adaptive_adam",
        "AdaptiveAdam",
        "Adam with a scheduled beta1: constant, decay or cyclic",
    ),
    "adabound": Entry(
        "adamlab.optim.adabound",
        "AdaBound",
        "Adam with step sizes clipped to bounds that close on SGD (2019)",
    ),
    "amsbound": Entry(
        "adamlab.optim.adabound",
        "AMSBound",
        "AdaBound with AMSGrad's running max of v (2019)",
    ),
    "adaboundw": Entry(
        "adamlab.optim.adabound",
        "AdaBoundW",
        "AdaBound with decoupled weight decay",
    ),
    "nadam": Entry(
        "adamlab.optim.nadam",
        "NAdam",
        "Adam with Nesterov momentum and a momentum schedule (2016)",
    ),
    "radam": Entry(
        "adamlab.optim.radam",
        "RAdam",
        "Adam with its early adaptive rate rectified (2019)",
    ),
    "adamax": Entry(
        "adamlab.optim.adamax",
        "Adamax",
        "Adam with an infinity-norm second moment (2014)",
    ),
}


def optimizer_class(name: str) -> type:
    """The class registered as ``name``; a clear error lists the valid names."""
    entry = OPTIMIZERS.get(name)
    if entry is None:
        valid = ", ".join(sorted(OPTIMIZERS))
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {valid}")
    return getattr(importlib.import_module(entry.module), entry.cls)


def accepted_keywords(cls: type) -> set[str]:
    """Keyword arguments a class's constructor takes, following ``**options``
    up the base classes."""
    names: set[str] = set()
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        params = inspect.signature(init).parameters.values()
        names |= {
            p.name
            for p in params
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        }
        if not any(p.kind is p.VAR_KEYWORD for p in params):
            break
    return names - {"self", "params"}


def make_optimizer(name: str, params: Any, **hyperparameters: Any):
    """Build the optimizer ``name`` over ``params`` with its CLI defaults.

    A hyperparameter the optimizer does not take is a ``ValueError`` naming it
    and the ones it does take.
    """
    entry = OPTIMIZERS.get(name)
    cls = optimizer_class(name)
    accepted = accepted_keywords(cls)
    unknown = sorted(set(hyperparameters) - accepted)
    if unknown:
        raise ValueError(
            f"optimizer {name!r} does not take {', '.join(unknown)}; "
            f"it takes: {', '.join(sorted(accepted))}"
        )
    options = dict(entry.cli_defaults)
    options.update(hyperparameters)
    return cls(params, **options)
