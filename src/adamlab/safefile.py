"""The safe on-disk format of checkpoints and trained models.

A safe file is a NumPy ``.npz`` archive read with ``allow_pickle=False``. It
holds three kinds of entries:

- ``__header__``: UTF-8 JSON bytes (a ``uint8`` array) with the format name,
  the format ``version``, the file's ``kind`` (``"checkpoint"``, ``"model"``)
  and a ``sha256`` checksum of the content;
- ``__document__``: UTF-8 JSON bytes with everything that is not an array;
- one entry per array, named by its path in the saved tree
  (``optimizer/state/3/exp_avg``).

The tree saved is built from dicts, lists, tuples, strings, numbers, booleans,
None and NumPy arrays, nothing else, so reading a file never runs code: a file
holding an object array (which only pickle can restore) is refused. In the
document an array is ``{"__array__": NAME}``, a tuple ``{"__tuple__": [...]}``,
a dict with integer keys ``{"__intdict__": [[key, value], ...]}`` and a
non-finite float ``{"__float__": "nan" | "inf" | "-inf"}``; everything else
is plain JSON, and Python floats round-trip bit for bit.

The checksum covers the document bytes and, for every array in name order, its
name, dtype, shape and bytes. A truncated or altered file, a file of another
kind or of a newer format version is refused with a :class:`SafeFileError`
(a ``ValueError``) naming what does not match.

Files are written with :func:`adamlab.fileio.atomic_write_bytes`: a temporary
file in the same folder, flushed, synced and renamed into place.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from adamlab.fileio import atomic_write_bytes

FORMAT_NAME = "adamlab-safefile"
FORMAT_VERSION = 1
HEADER = "__header__"
DOCUMENT = "__document__"
_TAGS = ("__array__", "__tuple__", "__intdict__", "__float__")


class SafeFileError(ValueError):
    """A file that is not a readable safe file of the expected kind."""


# ------------------------------------------------------------------ encoding


def _encode(value: Any, path: str, arrays: dict[str, np.ndarray]) -> Any:
    """The JSON-able form of ``value``; arrays go to ``arrays`` by path."""
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject or value.dtype.kind not in "biufc":
            raise TypeError(
                f"{path or 'value'}: only numeric arrays can be saved, got dtype "
                f"{value.dtype}"
            )
        name = path or "value"
        arrays[name] = np.ascontiguousarray(value)
        return {"__array__": name}
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)) and not isinstance(value, np.bool_):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        if math.isfinite(value):
            return value
        return {"__float__": "nan" if math.isnan(value) else repr(value)}
    if isinstance(value, tuple):
        return {
            "__tuple__": [
                _encode(v, f"{path}/{i}", arrays) for i, v in enumerate(value)
            ]
        }
    if isinstance(value, list):
        return [_encode(v, f"{path}/{i}", arrays) for i, v in enumerate(value)]
    if isinstance(value, dict):
        if value and all(
            isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in value
        ):
            return {
                "__intdict__": [
                    [int(k), _encode(v, f"{path}/{k}", arrays)]
                    for k, v in value.items()
                ]
            }
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"{path or 'value'}: dict keys must be all strings or all "
                    f"integers, got {key!r}"
                )
            if key in _TAGS or "/" in key:
                raise ValueError(
                    f"{path or 'value'}: key {key!r} is reserved or holds '/'"
                )
            out[key] = _encode(item, f"{path}/{key}" if path else key, arrays)
        return out
    raise TypeError(
        f"{path or 'value'}: a safe file holds arrays, numbers, strings, booleans, "
        f"None, lists, tuples and dicts, got {type(value).__name__}"
    )


def _decode(value: Any, arrays: dict[str, np.ndarray], where: str) -> Any:
    if isinstance(value, list):
        return [_decode(v, arrays, where) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((tag, inner),) = value.items()
        if tag == "__array__":
            if inner not in arrays:
                raise SafeFileError(
                    f"{where}: the document names a missing array {inner!r}"
                )
            return arrays[inner]
        if tag == "__tuple__":
            return tuple(_decode(v, arrays, where) for v in inner)
        if tag == "__intdict__":
            return {int(k): _decode(v, arrays, where) for k, v in inner}
        if tag == "__float__":
            return float(inner)
    return {k: _decode(v, arrays, where) for k, v in value.items()}


def _checksum(document: bytes, arrays: dict[str, np.ndarray]) -> str:
    digest = hashlib.sha256()
    digest.update(len(document).to_bytes(8, "little"))
    digest.update(document)
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        meta = json.dumps([name, array.dtype.str, list(array.shape)]).encode()
        digest.update(len(meta).to_bytes(8, "little"))
        digest.update(meta)
        digest.update(array.tobytes())
    return digest.hexdigest()


def _json_bytes(value: Any) -> np.ndarray:
    text = json.dumps(value, allow_nan=False, separators=(",", ":"))
    return np.frombuffer(text.encode("utf-8"), dtype=np.uint8)


# ------------------------------------------------------------------- public


def dumps(tree: Any, *, kind: str) -> bytes:
    """The bytes of a safe file of ``kind`` holding ``tree``."""
    if not isinstance(kind, str) or not kind:
        raise ValueError(f"kind must be a non-empty string, got {kind!r}")
    arrays: dict[str, np.ndarray] = {}
    document = _encode(tree, "", arrays)
    reserved = {HEADER, DOCUMENT} & set(arrays)
    if reserved:
        raise ValueError(f"array names {sorted(reserved)} are reserved")
    doc_bytes = _json_bytes(document)
    header = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "kind": kind,
        "sha256": _checksum(doc_bytes.tobytes(), arrays),
    }
    buffer = io.BytesIO()
    np.savez(buffer, **{HEADER: _json_bytes(header), DOCUMENT: doc_bytes}, **arrays)
    return buffer.getvalue()


def save(path: str | os.PathLike, tree: Any, *, kind: str) -> Path:
    """Write ``tree`` to ``path`` as a safe file of ``kind``, atomically."""
    return atomic_write_bytes(path, dumps(tree, kind=kind))


def load(path: str | os.PathLike, *, kind: str | None = None) -> Any:
    """Read a safe file; return the saved tree.

    Raises
    ------
    SafeFileError
        The file is not a safe file, is truncated or corrupt (bad checksum),
        holds an object array, has a newer format version, or is of another
        ``kind`` than the one asked for.
    FileNotFoundError, IsADirectoryError, PermissionError
        The file cannot be opened.
    """
    path = Path(path)
    with open(path, "rb") as handle:
        raw = handle.read()
    return loads(raw, kind=kind, where=str(path))


def loads(raw: bytes, *, kind: str | None = None, where: str = "data") -> Any:
    """Read a safe file's bytes (see :func:`load`)."""
    if raw.startswith(b"\x93NUMPY"):
        raise SafeFileError(f"{where} is a bare .npy array, not an adamlab file")
    if not raw.startswith(b"PK"):
        state = "empty" if not raw else "not a .npz archive"
        raise SafeFileError(f"{where} is not an adamlab file ({state})")
    try:
        archive = np.load(io.BytesIO(raw), allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise SafeFileError(
            f"{where} is not an adamlab file (truncated or not a .npz archive: {error})"
        ) from None
    if not isinstance(archive, np.lib.npyio.NpzFile):
        raise SafeFileError(f"{where} is a bare .npy array, not an adamlab file")
    arrays: dict[str, np.ndarray] = {}
    try:
        with archive:
            names = list(archive.files)
            if HEADER not in names or DOCUMENT not in names:
                raise SafeFileError(
                    f"{where} is a .npz archive without an adamlab header; it was "
                    "not written by adamlab"
                )
            for name in names:
                arrays[name] = archive[name]
    except SafeFileError:
        raise
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise SafeFileError(
                f"{where} holds a pickled object array; refused because loading it "
                "could run code"
            ) from None
        raise SafeFileError(f"{where} is corrupt: {error}") from None
    except (OSError, EOFError, KeyError, zipfile.BadZipFile) as error:
        raise SafeFileError(f"{where} is truncated or corrupt: {error}") from None
    header_arr = arrays.pop(HEADER)
    doc_arr = arrays.pop(DOCUMENT)
    for name, array in [(HEADER, header_arr), (DOCUMENT, doc_arr)] + list(
        arrays.items()
    ):
        if array.dtype.hasobject:
            raise SafeFileError(
                f"{where}: entry {name!r} is an object array; refused because "
                "loading it could run code"
            )
    try:
        header = json.loads(header_arr.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafeFileError(f"{where}: unreadable header ({error})") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT_NAME:
        raise SafeFileError(f"{where}: header does not name the {FORMAT_NAME} format")
    version = header.get("version")
    if version != FORMAT_VERSION:
        raise SafeFileError(
            f"{where} has format version {version!r}; this adamlab reads version "
            f"{FORMAT_VERSION}"
        )
    found = header.get("kind")
    if kind is not None and found != kind:
        raise SafeFileError(f"{where} is a {found} file, expected a {kind} file")
    expected = header.get("sha256")
    actual = _checksum(doc_arr.tobytes(), arrays)
    if expected != actual:
        raise SafeFileError(
            f"{where} fails its checksum (header says sha256 {str(expected)[:16]}..., "
            f"content gives {actual[:16]}...): the file is corrupt"
        )
    try:
        document = json.loads(doc_arr.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SafeFileError(f"{where}: unreadable document ({error})") from None
    return _decode(document, arrays, where)
