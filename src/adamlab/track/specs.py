"""Optimizer lists with per-optimizer overrides: ``adam,adamw:lr=3e-3,amsgrad``.

Grammar: optimizers are separated by commas; each is a registry name followed
by optional ``:key=value`` overrides (``adamw:lr=3e-3:weight_decay=0.1``). A
tuple value is written in parentheses, ``adam:betas=(0.9,0.99)`` (its commas do
not split optimizers). Values read as an integer, a float, ``true``/``false``,
``none``, a parenthesised tuple of numbers, or else a string. Keys may use
``-`` for ``_`` (``weight-decay``). The label of an entry is its text as given,
so the same optimizer may appear twice with different overrides. Names are
case-sensitive, as in ``adamlab train --optimizer`` (``ADAM`` is refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

WORDS = {"true": True, "false": False, "none": None}


@dataclass(frozen=True)
class OptimizerSpec:
    """One optimizer of a comparison: its label, registry name and overrides."""

    label: str
    name: str
    overrides: dict[str, Any] = field(default_factory=dict)


def split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth < 0:
                raise ValueError(f"unbalanced ')' in optimizer list {text!r}")
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise ValueError(f"unbalanced '(' in optimizer list {text!r}")
    parts.append("".join(current))
    return [p.strip() for p in parts]


def parse_value(text: str) -> Any:
    """An override value: int, float, bool, None, tuple of numbers or string."""
    text = text.strip()
    if text.lower() in WORDS:
        return WORDS[text.lower()]
    if text.startswith("(") and text.endswith(")"):
        items = [p.strip() for p in text[1:-1].split(",") if p.strip()]
        values = tuple(parse_value(p) for p in items)
        if not all(isinstance(v, (int, float)) for v in values):
            raise ValueError(f"a tuple value holds numbers only, got {text!r}")
        return values
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text


def parse_entry(text: str) -> OptimizerSpec:
    """One ``name[:key=value...]`` entry."""
    pieces = _split_colons(text)
    name = pieces[0].strip()
    if not name:
        raise ValueError(f"optimizer entry {text!r} has no optimizer name")
    overrides: dict[str, Any] = {}
    for piece in pieces[1:]:
        key, sep, value = piece.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key or not value.strip():
            raise ValueError(
                f"override {piece!r} of {name!r} must be key=value, e.g. {name}:lr=3e-3"
            )
        if key in overrides:
            raise ValueError(f"override {key!r} given twice for {name!r}")
        overrides[key] = parse_value(value)
    return OptimizerSpec(label=text.strip(), name=name, overrides=overrides)


def _split_colons(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == ":" and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_optimizers(text: str, *, check: bool = True) -> list[OptimizerSpec]:
    """Parse an optimizer list; with ``check``, refuse unknown names and keys.

    Raises
    ------
    ValueError
        Naming the entry: an empty entry, a malformed override, an optimizer
        not in the registry, a keyword the optimizer does not take, or a label
        given twice.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("optimizers must be a comma-separated list, got nothing")
    specs = []
    for entry in split_top_level(text):
        if not entry:
            raise ValueError(f"empty entry in optimizer list {text!r}")
        specs.append(parse_entry(entry))
    labels = [s.label for s in specs]
    twice = sorted({label for label in labels if labels.count(label) > 1})
    if twice:
        raise ValueError(f"optimizer entry {twice[0]!r} is given twice")
    if check:
        from adamlab.optim.registry import accepted_keywords, optimizer_class

        for spec in specs:
            accepted = accepted_keywords(optimizer_class(spec.name))
            unknown = sorted(set(spec.overrides) - accepted)
            if unknown:
                raise ValueError(
                    f"optimizer {spec.name!r} (in {spec.label!r}) does not take "
                    f"{', '.join(unknown)}; it takes: {', '.join(sorted(accepted))}"
                )
    return specs
