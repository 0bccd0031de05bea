"""Files that leave the process are written whole or not at all.

Each writer puts the bytes in a temporary file in the destination's folder,
flushes and syncs it, then renames it over the destination. A run killed at any
instant leaves either the old file or the new one, never half of either.

A destination that is a symbolic link is followed: the file it names is
replaced and the link stays a link. A destination that exists and is neither a
regular file nor a folder (a device such as ``/dev/null``, a FIFO) is opened
and written directly, with no temporary file and no rename, and so is one that
names an open descriptor (``/dev/stdout``, ``/dev/fd/N``); a regular file
behind such a descriptor is appended to, keeping what the process already wrote
there. A folder is refused.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Any

#: A folder of open descriptors (``/dev/fd`` resolves to one).
_FD_FOLDER = re.compile(r"/proc/(?:self|thread-self|\d+)(?:/task/\d+)?/fd")


def _names_descriptor(path: str) -> bool:
    """Whether ``path`` or a link it leads through is ``/proc/PID/fd/N``."""
    for _ in range(40):
        if not os.path.islink(path):
            return False
        folder = os.path.dirname(os.path.abspath(path))
        if _FD_FOLDER.fullmatch(os.path.realpath(folder)):
            return True
        path = os.path.join(folder, os.readlink(path))
    return False


def _destination(path: Path) -> tuple[Path, str | None]:
    """The file to write for ``path`` and the mode to open it directly in.

    The mode is None for an atomic replace of the returned file (``path``
    with its links followed). ``IsADirectoryError`` for a folder; other
    ``OSError`` (a link loop, a file used as a folder) as ``os.stat`` raises it.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        info = None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    regular = info is None or stat.S_ISREG(info.st_mode)
    if _names_descriptor(str(path)):
        return path, "ab" if regular else "wb"
    if not regular:
        return path, "wb"
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    return path, None


def check_destination(path: str | os.PathLike) -> None:
    """Refuse a destination the writers cannot write, creating nothing.

    Raises ``ValueError`` naming ``path`` and why: an empty path, a folder, a
    socket, a missing folder to hold it, or (as far as permissions tell) a
    folder or device this process may not write. Some refusals only show when writing
    (a full disk, a file system such as ``/proc`` that takes no new files).
    """
    if not str(path):
        raise ValueError("expected a file path, got an empty string")
    try:
        target, direct = _destination(Path(path))
    except OSError as error:
        raise ValueError(f"cannot write {path}: {error.strerror or error}") from None
    if direct is not None:
        if stat.S_ISSOCK(os.stat(target).st_mode):
            raise ValueError(f"cannot write {path}: it is a socket")
        if not os.access(target, os.W_OK):
            raise ValueError(f"cannot write {path}: permission denied")
        return
    folder = target.parent
    if not folder.is_dir():
        raise ValueError(
            f"cannot write {path}: the folder {folder} does not exist or is not a "
            "folder"
        )
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ValueError(
            f"cannot write {path}: no permission to create files in {folder}"
        )


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (see the module); return the path.

    An ``OSError`` while writing names ``path`` as its filename; one raised
    while making the temporary file says so and names its folder.
    """
    path = Path(path)
    target, direct = _destination(path)
    if direct is not None:
        try:
            with open(target, direct) as handle:
                handle.write(data)
        except OSError as error:
            _reraise_naming(error, path)
        return path
    folder = target.parent
    if not folder.is_dir():
        raise FileNotFoundError(
            f"cannot write {path}: the folder {folder} does not exist or is not a "
            "folder"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise OSError(
            error.errno,
            f"cannot create a temporary file in {folder}: {error.strerror}",
            str(path),
        ) from error
    try:
        # mkstemp makes the file private (0600); give it the mode open() would.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as error:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(error, OSError):
            _reraise_naming(error, path)
        raise
    return path


def _reraise_naming(error: OSError, path: Path) -> None:
    """Raise ``error`` again with ``path`` as its filename (a write's has none)."""
    if error.errno is None:
        raise error
    raise OSError(error.errno, error.strerror, str(path)) from error


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, value: Any) -> Path:
    """Write ``value`` as indented JSON to ``path`` atomically.

    NaN and infinities are written as null rather than as invalid JSON.
    """
    text = json.dumps(_finite(value), indent=2, allow_nan=False, default=_plain)
    return atomic_write_text(path, text + "\n")


def _finite(value: Any) -> Any:
    """NaN and infinities as null, recursively (JSON has no spelling for them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """NumPy scalars and arrays as plain JSON values."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write a {type(value).__name__} as JSON")
