"""Every optimizer by its command-line name, with a one-line summary.

The command line, the comparison lab and ``adamlab optimizers`` read this table;
adding an optimizer means adding one entry here. Classes are imported only when
asked for, so listing names stays cheap.
"""

from __future__ import annotations

import importlib
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
    "adam": Entry("adamlab.optim.adam", "Adam", "Adam (Kingma and Ba 2014)"),
    "adamw": Entry(
        "adamlab.optim.adam", "AdamW", "Adam with decoupled weight decay (2019)"
    ),
    "amsgrad": Entry(
        "adamlab.optim.adam", "AMSGrad", "Adam with a running max of v (2018)"
    ),
}


def optimizer_class(name: str) -> type:
    """The class registered as ``name``; a clear error lists the valid names."""
    entry = OPTIMIZERS.get(name)
    if entry is None:
        valid = ", ".join(sorted(OPTIMIZERS))
        raise ValueError(f"unknown optimizer {name!r}; choose one of: {valid}")
    return getattr(importlib.import_module(entry.module), entry.cls)


def make_optimizer(name: str, params: Any, **hyperparameters: Any):
    """Build the optimizer ``name`` over ``params`` with its CLI defaults."""
    entry = OPTIMIZERS.get(name)
    cls = optimizer_class(name)
    options = dict(entry.cli_defaults)
    options.update(hyperparameters)
    return cls(params, **options)
