"""Checkpoints: a training callback that saves everything a run needs to resume.

A checkpoint is a safe file (:mod:`adamlab.safefile`, kind ``"checkpoint"``)
holding the run's description (:class:`adamlab.train.RunConfig`, when known),
the model's description and parameters, the optimizer's class and
``state_dict`` (schedules and step counts included), the trainer's state (the
epoch, the data-order generator, the epoch in progress with its order and
position, the history, the best-validation weights and epoch) and the state of
every other callback that has ``state_dict``/``load_state_dict`` (the tracker's
records and epoch, for one) or else a ``records`` list of dicts.

Files are named ``ckpt-EEEEEE-BBBBBBB.npz``: ``E`` completed epochs and ``B``
the position of the next batch in the epoch under way (0 at an epoch's end), so
name order is time order. Each is written to a temporary name, synced and
renamed; after each save only the newest ``keep`` files remain. A killed run
therefore always leaves the previous checkpoint whole.

:meth:`Checkpoint.resume` restores the newest readable checkpoint; a corrupt
or truncated newest file is renamed ``*.corrupt`` (``*.corrupt-1``, ... when
that name is taken) with a :class:`CheckpointWarning` and the previous one is
used. A checkpoint of another run (another model shape, another optimizer,
other options) is refused with a ``ValueError`` naming the first difference,
never silently loaded.

Limitations
-----------
Only the training options may differ between the saved run and the resumed
one in ``epochs`` (to train longer); any other difference is refused.
Checkpoints taken every N steps land after an optimizer step, so with
``accumulate > 1`` they never split a group of micro-batches.
"""

from __future__ import annotations

import math
import os
import re
import warnings
from pathlib import Path
from typing import Any

from adamlab import safefile
from adamlab.train.callbacks import Callback, next_multiple

KIND = "checkpoint"
FORMAT = 1
_NAME = re.compile(r"^ckpt-(\d{6})-(\d{7})\.npz$")


class CheckpointWarning(UserWarning):
    """A checkpoint was unreadable and an older one is used instead."""


def prepare_directory(directory: str | os.PathLike) -> Path:
    """Create ``directory`` if needed and check that files can be written in it.

    Raises ``ValueError`` naming the folder and why it cannot hold checkpoints.
    """
    path = Path(directory)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        blocker = next(
            (p for p in [path, *path.parents] if p.exists() and not p.is_dir()), path
        )
        raise ValueError(
            f"cannot write checkpoints to {path}: {blocker} is a file, not a folder"
        ) from None
    except OSError as error:
        raise ValueError(
            f"cannot create the checkpoint folder {path}: {error.strerror or error}"
        ) from None
    probe = path / f".write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise ValueError(
            f"cannot write checkpoints to {path}: {error.strerror or error}"
        ) from None
    return path


def checkpoint_files(directory: str | os.PathLike) -> list[Path]:
    """Checkpoint files in ``directory``, oldest first."""
    path = Path(directory)
    if not path.is_dir():
        return []
    return sorted(p for p in path.iterdir() if _NAME.match(p.name))


def _set_aside(path: Path) -> Path:
    """Rename ``path`` to the first free ``NAME.corrupt``, ``NAME.corrupt-1``..."""
    aside = path.with_name(path.name + ".corrupt")
    number = 0
    while aside.exists() or aside.is_symlink():
        number += 1
        aside = path.with_name(f"{path.name}.corrupt-{number}")
    path.replace(aside)
    return aside


def records_state(records: list[dict[str, Any]]) -> list[list[list[Any]]]:
    """Records (dicts) as a checkpoint keeps them: each as its ``[key,
    value]`` pairs, since a record's keys may hold ``/``
    (``grad_norm/hidden.weight``), which a safe file's dict keys may not."""
    return [[[key, value] for key, value in row.items()] for row in records]


def records_from_state(rows: list[Any]) -> list[dict[str, Any]]:
    """The records :func:`records_state` kept (or kept as dicts, as older
    checkpoints did)."""
    return [dict(row) for row in rows]


class _Records:
    """A callback whose only state is a ``records`` list."""

    def __init__(self, callback: Any) -> None:
        self.callback = callback

    def state_dict(self) -> dict[str, Any]:
        return {"records": records_state(self.callback.records)}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.callback.records[:] = records_from_state(state["records"])


def _components(trainer: Any) -> dict[str, Any]:
    """Callbacks with their own state, by a stable key: those with
    ``state_dict``/``load_state_dict``, else those with a ``records`` list."""
    out: dict[str, Any] = {}
    for index, callback in enumerate(trainer.callbacks.callbacks):
        if isinstance(callback, Checkpoint):
            continue
        key = f"{index}:{type(callback).__name__}"
        if callable(getattr(callback, "state_dict", None)) and callable(
            getattr(callback, "load_state_dict", None)
        ):
            out[key] = callback
        elif isinstance(getattr(callback, "records", None), list):
            out[key] = _Records(callback)
    return out


def snapshot(trainer: Any, config: Any = None) -> dict[str, Any]:
    """Everything of ``trainer`` a checkpoint holds, as a safe-file tree."""
    return {
        "format": FORMAT,
        "config": None if config is None else _config_dict(config),
        "model": {
            "config": trainer.model.config(),
            "params": trainer.model.state_dict(),
        },
        "optimizer": {
            "class": type(trainer.optimizer).__name__,
            "state": trainer.optimizer.state_dict(),
        },
        "trainer": trainer.state_dict(),
        "callbacks": {
            key: callback.state_dict() for key, callback in _components(trainer).items()
        },
    }


def _config_dict(config: Any) -> dict[str, Any]:
    return config.to_dict() if hasattr(config, "to_dict") else dict(config)


def _summary(config: Any) -> str:
    """A few options naming a run, for messages (``seed=0 optimizer='adam'``)."""
    if not isinstance(config, dict):
        return "options not recorded"
    keys = ("task", "csv", "model", "optimizer", "seed", "split_seed", "epochs")
    return " ".join(f"{k}={config[k]!r}" for k in keys if config.get(k) is not None)


def _difference(saved: Any, current: Any, path: str) -> str | None:
    """The first place where two JSON-like trees differ, described."""
    if isinstance(saved, (list, tuple)) and isinstance(current, (list, tuple)):
        if len(saved) != len(current):
            return f"{path} has {len(saved)} entries, this run has {len(current)}"
        for i, (a, b) in enumerate(zip(saved, current)):
            found = _difference(a, b, f"{path}[{i}]")
            if found:
                return found
        return None
    if isinstance(saved, dict) and isinstance(current, dict):
        for key in sorted(set(saved) | set(current), key=str):
            found = _difference(
                saved.get(key), current.get(key), f"{path}.{key}" if path else str(key)
            )
            if found:
                return found
        return None
    if saved != current:
        return f"{path}={saved!r} in the checkpoint, {current!r} in this run"
    return None


def check_compatible(tree: dict[str, Any], trainer: Any, config: Any = None) -> None:
    """Refuse a checkpoint of another run, naming the first mismatch."""
    if tree.get("format") != FORMAT:
        raise ValueError(
            f"checkpoint format {tree.get('format')!r}; this adamlab reads {FORMAT}"
        )
    saved_config = tree.get("config")
    if config is not None and saved_config is not None:
        current = _config_dict(config)
        saved = dict(saved_config)
        saved.pop("epochs", None)
        current.pop("epochs", None)
        found = _difference(saved, current, "")
        if found:
            raise ValueError(
                f"the checkpoint is of another run: {found}; resume with the same "
                "options or use another checkpoint folder"
            )
    found = _difference(tree["model"]["config"], trainer.model.config(), "model")
    if found:
        raise ValueError(f"the checkpoint's model does not match: {found}")
    saved_class = tree["optimizer"]["class"]
    current_class = type(trainer.optimizer).__name__
    if saved_class != current_class:
        raise ValueError(
            f"the checkpoint holds {saved_class} state; this run's optimizer is "
            f"{current_class}"
        )
    saved_keys = set(tree.get("callbacks", {}))
    current_keys = set(_components(trainer))
    if saved_keys != current_keys:
        raise ValueError(
            f"the checkpoint holds state of callbacks {sorted(saved_keys)}; this "
            f"run has {sorted(current_keys)}"
        )


def restore(trainer: Any, tree: dict[str, Any], config: Any = None) -> None:
    """Load a checkpoint tree into ``trainer`` (model, optimizer, loop, callbacks).

    Everything is checked before anything is changed where the parts allow it:
    the run, model and optimizer are compared first, then each part validates
    its own state while loading.
    """
    check_compatible(tree, trainer, config)
    trainer.model.load_state_dict(tree["model"]["params"])
    trainer.optimizer.load_state_dict(tree["optimizer"]["state"])
    trainer.load_state_dict(tree["trainer"])
    components = _components(trainer)
    for key, state in tree.get("callbacks", {}).items():
        components[key].load_state_dict(state)


def save_checkpoint(path: str | os.PathLike, trainer: Any, config: Any = None) -> Path:
    """Write one checkpoint of ``trainer`` to ``path`` (atomically)."""
    return safefile.save(path, snapshot(trainer, config), kind=KIND)


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Read and verify one checkpoint file; return its tree."""
    tree = safefile.load(path, kind=KIND)
    if not isinstance(tree, dict) or not {"model", "optimizer", "trainer"} <= set(tree):
        raise safefile.SafeFileError(f"{path} lacks the parts of a checkpoint")
    return tree


class Checkpoint(Callback):
    """Save the run to ``directory`` every epoch (and every N steps).

    Parameters
    ----------
    directory
        Folder of the checkpoints; created if missing. A folder that cannot be
        created or written is a ``ValueError`` at construction.
    config
        The run's :class:`adamlab.train.RunConfig` (or its dict), stored so a
        resume with other options is refused.
    every_steps
        Also save after every ``every_steps``-th optimizer step (None: only at
        epoch ends).
    keep
        How many of the newest checkpoints to keep (>= 1).
    """

    def __init__(
        self,
        directory: str | os.PathLike,
        config: Any = None,
        *,
        every_steps: int | None = None,
        keep: int = 2,
    ) -> None:
        for name, value in (("every_steps", every_steps), ("keep", keep)):
            if value is None and name == "every_steps":
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{name} must be >= 1, got {value}")
        self.directory = prepare_directory(directory)
        self.config = config
        self.every_steps = every_steps
        self.keep = keep
        self.saved: list[Path] = []
        self.adopted: list[Path] = []
        self.resumed_from: Path | None = None
        for stale in self.directory.glob(".ckpt-*.tmp"):
            stale.unlink(missing_ok=True)

    # ------------------------------------------------------------- events

    def next_step_event(self, step: int) -> int | float:
        """The next step a checkpoint is due at (never without
        ``every_steps``)."""
        if self.every_steps is None:
            return math.inf
        return next_multiple(step, self.every_steps)

    def on_step_end(self, trainer: Any, step: int, loss: float) -> None:
        if self.every_steps is not None and step % self.every_steps == 0:
            progress = trainer.state_dict()["progress"]
            position = 0 if progress is None else progress["position"]
            self.save(trainer, trainer.epoch, position)

    def on_epoch_end(self, trainer: Any, epoch: int, metrics: dict[str, Any]) -> None:
        self.save(trainer, epoch, 0)

    # ------------------------------------------------------------- saving

    def path_for(self, epoch: int, position: int) -> Path:
        """The file name of the checkpoint at ``epoch`` done, batch ``position``."""
        return self.directory / f"ckpt-{epoch:06d}-{position:07d}.npz"

    def save(self, trainer: Any, epoch: int, position: int) -> Path:
        """Write a checkpoint now; drop all but the newest ``keep``."""
        path = save_checkpoint(self.path_for(epoch, position), trainer, self.config)
        if path not in self.saved:
            self.saved.append(path)
        # Prune only files of this run: those it wrote or resumed from.
        ours = [p for p in checkpoint_files(self.directory) if p in self._ours()]
        for old in ours[: -self.keep]:
            old.unlink(missing_ok=True)
        return path

    def _ours(self) -> set[Path]:
        return {*self.saved, *self.adopted}

    def on_train_start(self, trainer: Any) -> None:
        self.check_fresh()

    def check_fresh(self) -> None:
        """Refuse to start a run over checkpoints it did not resume from.

        A fresh run (no :meth:`resume`, or one that found nothing) in a folder
        that already holds checkpoints would have its own files pruned by the
        older ones' names, or theirs pruned by it; either way a later resume
        would fail. ``ValueError`` says whose checkpoints they are.
        """
        if self.resumed_from is not None:
            return
        found = [p for p in checkpoint_files(self.directory) if p not in self.saved]
        if not found:
            return
        newest = found[-1]
        try:
            saved = load_checkpoint(newest).get("config")
        except safefile.SafeFileError:
            saved = None
        if self.config is not None and saved is not None:
            current = _config_dict(self.config)
            same = dict(saved)
            same.pop("epochs", None)
            current.pop("epochs", None)
            if _difference(same, current, "") is None:
                raise ValueError(
                    f"{self.directory} holds checkpoints of this run (newest "
                    f"{newest.name}); use --resume to continue it, or another "
                    "folder to start over"
                )
        raise ValueError(
            f"{self.directory} holds checkpoints of another run "
            f"({_summary(saved)}); use --resume to continue it, or another folder"
        )

    # ------------------------------------------------------------ resuming

    def resume(self, trainer: Any) -> Path | None:
        """Restore the newest readable checkpoint into ``trainer``.

        Returns its path, or None when the folder holds no checkpoint (the run
        starts fresh). An unreadable file is renamed ``NAME.corrupt`` (or
        ``NAME.corrupt-1``, ``-2``... when that exists) with a
        :class:`CheckpointWarning` and the one before it is tried; if none is
        readable, ``ValueError``. A readable checkpoint of another run is
        refused (``ValueError``), not skipped.
        """
        files = checkpoint_files(self.directory)
        if not files:
            return None
        failures = []
        for path in reversed(files):
            try:
                tree = load_checkpoint(path)
            except safefile.SafeFileError as error:
                failures.append(str(error))
                aside = _set_aside(path)
                warnings.warn(
                    f"checkpoint {path.name} is unreadable ({error}); renamed it "
                    f"{aside.name} and tried the previous one",
                    CheckpointWarning,
                    stacklevel=2,
                )
                continue
            done = int(tree["trainer"].get("epoch", 0))
            asked = getattr(trainer, "epochs", None)
            if isinstance(asked, int) and done > asked:
                raise ValueError(
                    f"checkpoint {path.name} has done {done} epochs, more than "
                    f"the {asked} asked; give --epochs {done} or more to resume it"
                )
            restore(trainer, tree, self.config)
            self.resumed_from = path
            self.adopted = checkpoint_files(self.directory)
            return path
        raise ValueError(
            f"no readable checkpoint in {self.directory}: " + "; ".join(failures)
        )
