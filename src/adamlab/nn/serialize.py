"""Model descriptions to and from JSON-able dicts.

A description holds the architecture only (layer kinds, names, sizes, the
dtype and the seed), built from strings, numbers, booleans, None, lists and
dicts, so it can be written as JSON and read back without running code.
Weights travel separately as arrays by parameter name
(:meth:`Sequential.state_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from numpy.typing import DTypeLike

from adamlab.nn.layer import LAYER_KINDS, Layer
from adamlab.nn.sequential import Sequential


def layer_from_config(cfg: Mapping[str, Any]) -> Layer:
    """Rebuild one layer from ``layer.config()``.

    The class is looked up by ``cfg["kind"]`` among all defined layer classes
    (importing :mod:`adamlab.nn` defines the feed-forward and the recurrent
    ones) and called with the remaining entries as keyword arguments.
    """
    if not isinstance(cfg, Mapping) or "kind" not in cfg:
        raise ValueError(f"a layer config must be a dict with a 'kind', got {cfg!r}")
    kind = cfg["kind"]
    if kind not in LAYER_KINDS:
        raise ValueError(
            f"layer kind must be one of {sorted(LAYER_KINDS)}, got {kind!r}"
        )
    args = {key: value for key, value in cfg.items() if key != "kind"}
    return LAYER_KINDS[kind](**args)


def model_to_config(model: Sequential) -> dict[str, Any]:
    """Return ``model.config()``: the JSON-able description of ``model``."""
    return model.config()


def model_from_config(
    cfg: Mapping[str, Any], dtype: DTypeLike | None = None
) -> Sequential:
    """Rebuild a freshly initialised model from :func:`model_to_config`'s output."""
    return Sequential.from_config(cfg, dtype=dtype)
