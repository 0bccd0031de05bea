"""Schedules from command-line text: ``KIND[:key=value,...]``.

``schedule_from_spec("cosine:warmup_steps=500,min_lr=1e-5",
defaults={"total_steps": 10000})`` builds :class:`Cosine`. Values are read as
integers, floats, ``true``/``false``, lists in brackets or parentheses
(``milestones=[30,60]``; compare's overrides write tuples in parentheses) or
plain words. ``defaults`` fills parameters the spec leaves out, where the kind
takes them (the CLI passes ``total_steps`` and ``steps_per_epoch``). Kind names
accept ``-`` for ``_``. Errors list the valid kinds, or the kind's keys.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from typing import Any

from adamlab.optim.schedules.base import KINDS, Schedule

ALIASES = {
    "warmup": "linear_warmup",
    "onecycle": "one_cycle",
    "inv_sqrt": "inverse_sqrt",
}

# The momentum schedules of AdaptiveAdam, by name, as ordinary kinds.
MOMENTUM_KINDS: dict[str, tuple[str, dict[str, Any]]] = {
    "constant": ("constant", {}),
    "decay": ("hyperbolic", {"rate": 0.1}),
    "cyclic": ("sine", {"period": 20.0}),
}


def _parse_value(text: str) -> Any:
    text = text.strip()
    if text[:1] + text[-1:] in ("[]", "()"):
        inner = text[1:-1].strip()
        return [_parse_value(t) for t in inner.split(",")] if inner else []
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("none", "null"):
        return None
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _split_items(text: str) -> list[str]:
    """Split on commas outside brackets and parentheses."""
    items, depth, current = [], 0, []
    for ch in text:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [i for i in items if i.strip()]


def parse_spec(spec: str) -> tuple[str, dict[str, Any]]:
    """``"kind:a=1,b=x"`` -> ``("kind", {"a": 1, "b": "x"})`` (no validation)."""
    if not isinstance(spec, str) or not spec.strip():
        raise ValueError(f"schedule spec must be 'KIND[:key=value,...]', got {spec!r}")
    kind, _, rest = spec.strip().partition(":")
    kind = kind.strip().lower().replace("-", "_")
    options: dict[str, Any] = {}
    for item in _split_items(rest):
        key, eq, value = item.partition("=")
        if not eq or not key.strip():
            raise ValueError(
                f"schedule spec {spec!r}: expected key=value, got {item.strip()!r}"
            )
        options[key.strip().replace("-", "_")] = _parse_value(value)
    return kind, options


def _accepted(cls: type[Schedule]) -> list[str]:
    signature = inspect.signature(cls.__init__)
    return [n for n in signature.parameters if n != "self"]


def _build(
    kind: str, options: dict[str, Any], defaults: Mapping[str, Any] | None, spec: str
) -> Schedule:
    cls = KINDS.get(ALIASES.get(kind, kind))
    if cls is None or cls.kind == "sequential":
        valid = ", ".join(sorted(k for k in KINDS if k != "sequential"))
        raise ValueError(
            f"unknown schedule kind {kind!r} in {spec!r}; valid kinds: {valid}"
        )
    accepted = _accepted(cls)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"{cls.kind} schedule does not take {', '.join(unknown)}; valid keys: "
            f"{', '.join(accepted) or '(none)'}"
        )
    for key, value in (defaults or {}).items():
        if key in accepted and key not in options and value is not None:
            options[key] = value
    signature = inspect.signature(cls.__init__)
    missing = [
        n
        for n, p in signature.parameters.items()
        if n != "self" and p.default is inspect.Parameter.empty and n not in options
    ]
    if missing:
        raise ValueError(
            f"{cls.kind} schedule needs {', '.join(missing)} (e.g. "
            f"'{cls.kind}:{missing[0]}=...'); valid keys: {', '.join(accepted)}"
        )
    return cls(**options)


def schedule_from_spec(
    spec: str, defaults: Mapping[str, Any] | None = None
) -> Schedule:
    """Build a schedule from ``KIND[:key=value,...]`` (for ``--lr-schedule``)."""
    kind, options = parse_spec(spec)
    return _build(kind, options, defaults, spec)


def momentum_schedule_from_spec(
    spec: str, defaults: Mapping[str, Any] | None = None
) -> Schedule:
    """Build a beta1 schedule (for ``--momentum-schedule``).

    Besides every schedule kind, it knows AdaptiveAdam's names: ``constant``,
    ``decay`` (``b / (1 + 0.1 t)``, kind ``hyperbolic``) and ``cyclic`` (``b * (1
    + sin(t pi / 10)) / 2``, kind ``sine``). Add ``steps_per_epoch=N`` to count
    epochs. Values outside [0, 1) are refused when attached.
    """
    kind, options = parse_spec(spec)
    if kind in MOMENTUM_KINDS:
        kind, preset = MOMENTUM_KINDS[kind]
        options = {**preset, **options}
    elif kind not in KINDS and ALIASES.get(kind) not in KINDS:
        names = sorted({*MOMENTUM_KINDS, *(k for k in KINDS if k != "sequential")})
        raise ValueError(
            f"unknown momentum schedule kind {kind!r} in {spec!r}; valid kinds: "
            f"{', '.join(names)}"
        )
    return _build(kind, options, defaults, spec)
