"""The safe file format: exact round trips, and refusal of anything else."""

from __future__ import annotations

import io
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

from adamlab import safefile
from adamlab.safefile import SafeFileError


class Evil:
    """Unpickling this writes a marker file: code run on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (Path(self.marker).write_text, ("pwned",))


def tree():
    return {
        "a": np.arange(6, dtype=np.float32).reshape(2, 3),
        "half": np.array([1e-7, 65504.0], dtype=np.float16),
        "ints": np.array([1, -2], dtype=np.int64),
        "nested": {0: {"exp_avg": np.ones(3), "step": 10**6}, 7: {"step": 2}},
        "betas": (0.9, 0.999),
        "values": [0.1, float("nan"), float("inf"), -float("inf"), 1e-310],
        "big": 2**127 + 12345,
        "flag": True,
        "none": None,
        "text": "hé",
        "empty": {},
    }


def test_round_trip_is_exact(tmp_path):
    path = safefile.save(tmp_path / "t.npz", tree(), kind="test")
    back = safefile.load(path, kind="test")
    orig = tree()
    for key in ("a", "half", "ints"):
        assert back[key].dtype == orig[key].dtype
        assert back[key].tobytes() == orig[key].tobytes()
    assert back["nested"][0]["step"] == 10**6
    assert set(back["nested"]) == {0, 7}
    assert back["betas"] == (0.9, 0.999) and isinstance(back["betas"], tuple)
    assert back["values"][0] == 0.1 and np.isnan(back["values"][1])
    assert back["values"][2:4] == [np.inf, -np.inf]
    assert back["values"][4] == 1e-310
    assert back["big"] == 2**127 + 12345
    assert (back["flag"], back["none"], back["text"], back["empty"]) == (
        True,
        None,
        "hé",
        {},
    )


def test_unsupported_values_are_refused(tmp_path):
    with pytest.raises(TypeError, match="got object"):
        safefile.dumps({"x": object()}, kind="test")
    with pytest.raises(TypeError, match="only numeric arrays"):
        safefile.dumps({"x": np.array([Evil(tmp_path / "m")], dtype=object)}, kind="t")
    with pytest.raises(ValueError, match="reserved"):
        safefile.dumps({"__array__": 1}, kind="test")


def test_truncated_file_is_refused(tmp_path):
    raw = safefile.dumps(tree(), kind="test")
    for cut in (0, 10, len(raw) // 2, len(raw) - 5):
        path = tmp_path / f"cut{cut}.npz"
        path.write_bytes(raw[:cut])
        with pytest.raises(
            SafeFileError, match=r"cut\d+\.npz .*(truncated|corrupt|empty)"
        ):
            safefile.load(path)


def test_altered_array_fails_the_checksum(tmp_path):
    arrays = {"a": np.zeros(4)}
    raw = safefile.dumps(arrays, kind="test")
    # Rewrite the archive with one array changed and the old header kept.
    with zipfile.ZipFile(io.BytesIO(raw)) as src:
        entries = {n: src.read(n) for n in src.namelist()}
    buf = io.BytesIO()
    np.save(buf, np.array([0.0, 0.0, 1.0, 0.0]))
    entries["a.npy"] = buf.getvalue()
    path = tmp_path / "altered.npz"
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    with pytest.raises(SafeFileError, match="altered.npz fails its checksum"):
        safefile.load(path)


def test_flipped_byte_is_refused(tmp_path):
    raw = bytearray(safefile.dumps({"a": np.arange(1000.0)}, kind="test"))
    raw[len(raw) // 2] ^= 0xFF
    path = tmp_path / "flip.npz"
    path.write_bytes(bytes(raw))
    with pytest.raises(SafeFileError, match="flip.npz"):
        safefile.load(path)


def test_kind_and_version_mismatch_are_named(tmp_path):
    path = safefile.save(tmp_path / "m.npz", {"x": 1}, kind="model")
    with pytest.raises(SafeFileError, match="is a model file, expected a checkpoint"):
        safefile.load(path, kind="checkpoint")
    with np.load(path) as archive:
        entries = {n: archive[n] for n in archive.files}
    header = json.loads(entries["__header__"].tobytes())
    header["version"] = 99
    entries["__header__"] = np.frombuffer(json.dumps(header).encode(), np.uint8)
    np.savez(tmp_path / "v.npz", **entries)
    with pytest.raises(SafeFileError, match="format version 99; this adamlab reads"):
        safefile.load(tmp_path / "v.npz")


def test_foreign_npz_and_npy_are_refused(tmp_path):
    np.savez(tmp_path / "plain.npz", a=np.zeros(2))
    with pytest.raises(SafeFileError, match="without an adamlab header"):
        safefile.load(tmp_path / "plain.npz")
    np.save(tmp_path / "bare.npy", np.zeros(2))
    with pytest.raises(SafeFileError, match="bare .npy array"):
        safefile.load(tmp_path / "bare.npy")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(SafeFileError, match="not an adamlab file"):
        safefile.load(tmp_path / "text.npz")


def test_missing_file_is_an_oserror(tmp_path):
    with pytest.raises(FileNotFoundError):
        safefile.load(tmp_path / "nothing.npz")


def crafted_file(path: Path, marker: Path, kind: str) -> None:
    """A real safe file plus an object array that runs code when unpickled."""
    good = safefile.dumps({"w": np.zeros(3)}, kind=kind)
    with zipfile.ZipFile(io.BytesIO(good)) as src:
        entries = {n: src.read(n) for n in src.namelist()}
    buf = io.BytesIO()
    np.save(buf, np.array([Evil(marker)], dtype=object), allow_pickle=True)
    entries["w.npy"] = buf.getvalue()
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    # The file really is dangerous: pickle would run the payload.
    assert b"write_text" in entries["w.npy"]


@pytest.mark.parametrize("kind", ["checkpoint", "model"])
def test_crafted_pickle_never_runs(tmp_path, kind):
    marker = tmp_path / "marker"
    path = tmp_path / "evil.npz"
    crafted_file(path, marker, kind)
    with pytest.raises(SafeFileError, match="pickled object array; refused"):
        safefile.load(path)
    assert not marker.exists()
    # The same payload as the header itself.
    buf = io.BytesIO()
    evil = np.array([Evil(marker)], dtype=object)
    np.savez(buf, __header__=evil, __document__=evil)
    (tmp_path / "evil2.npz").write_bytes(buf.getvalue())
    with pytest.raises(SafeFileError, match="evil2.npz .*refused"):
        safefile.load(tmp_path / "evil2.npz")
    assert not marker.exists()
    # A bare pickle, not an archive at all.
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(Evil(marker)))
    with pytest.raises(SafeFileError, match="not an adamlab file"):
        safefile.load(tmp_path / "evil.pkl")
    assert not marker.exists()


def test_written_files_get_the_usual_mode_not_a_private_one(tmp_path):
    import os

    from adamlab.fileio import atomic_write_text

    mask = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "out.json", "{}")
    finally:
        os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o644
