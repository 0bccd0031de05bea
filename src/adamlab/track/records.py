"""Flat records to and from CSV and JSON, without losing a value.

A record is a flat dict of plain keys to numbers or strings (the tracker's rows,
or a summary's). The CSV header is the union of every record's keys in order of
first appearance; a key absent from a row is an empty cell and stays absent
when read back. Floats are written with ``repr``, so they read back bit for
bit; integers stay integers. JSON has no NaN or infinity: those floats are
written as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"`` and read
back as floats.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from adamlab.fileio import atomic_write_text

_NONFINITE = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def columns(records: Iterable[dict[str, Any]]) -> list[str]:
    """Every key of ``records``, in order of first appearance."""
    seen: dict[str, None] = {}
    for record in records:
        for key in record:
            seen.setdefault(key, None)
    return list(seen)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        return repr(float(value))  # a NumPy float's repr names its type
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def _parse_cell(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def records_to_csv(records: Sequence[dict[str, Any]]) -> str:
    """The CSV text of ``records`` (header: :func:`columns`)."""
    header = columns(records)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for record in records:
        writer.writerow([_cell(record.get(key)) for key in header])
    return buffer.getvalue()


def records_from_csv(text: str) -> list[dict[str, Any]]:
    """Records read from :func:`records_to_csv`'s text."""
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        return []
    out = []
    for row in reader:
        if len(row) != len(header):
            raise ValueError(
                f"CSV row {reader.line_num} has {len(row)} cells, the header has "
                f"{len(header)}"
            )
        out.append({k: _parse_cell(v) for k, v in zip(header, row) if v != ""})
    return out


def _encode(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return (
            "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        )
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if hasattr(value, "tolist"):
        return _encode(value.tolist())
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, dict):
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def to_json(value: Any, *, indent: int | None = None) -> str:
    """JSON text of ``value`` with non-finite floats as strings."""
    return json.dumps(_encode(value), indent=indent, allow_nan=False)


def from_json(text: str) -> Any:
    """The value of :func:`to_json`'s text, non-finite floats restored."""
    return _decode(json.loads(text))


def write_csv(path: str | os.PathLike, records: Sequence[dict[str, Any]]) -> Path:
    """Write ``records`` as CSV, atomically."""
    return atomic_write_text(path, records_to_csv(records))


def read_csv(path: str | os.PathLike) -> list[dict[str, Any]]:
    """Read records written by :func:`write_csv`."""
    return records_from_csv(Path(path).read_text(encoding="utf-8"))


def write_json(path: str | os.PathLike, value: Any) -> Path:
    """Write ``value`` (records, or a run with records) as JSON, atomically."""
    return atomic_write_text(path, to_json(value, indent=1) + "\n")


def read_json(path: str | os.PathLike) -> Any:
    """Read what :func:`write_json` wrote."""
    return from_json(Path(path).read_text(encoding="utf-8"))
