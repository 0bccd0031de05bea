"""The training loop: shuffled mini-batches, validation, history, best weights.

:class:`Trainer` owns everything a run needs to continue after an
interruption: the completed epoch count, the data-order generator, the history
and the best-validation weights. :meth:`Trainer.state_dict` and
:meth:`Trainer.load_state_dict` save and restore them (the model and optimizer
save their own), so a resumed run ends bit for bit where an uninterrupted one
would.
"""

from __future__ import annotations

import hashlib
import math
import time
import warnings
from collections.abc import Iterable
from typing import Any

import numpy as np

from adamlab.train.callbacks import Callback, CallbackList
from adamlab.train.metrics import evaluate, targets_for

NONFINITE_POLICIES = ("skip", "raise", "ignore")


class NonFiniteLossError(FloatingPointError):
    """Raised under ``nonfinite="raise"`` when a batch loss is NaN or inf."""


def _check_positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


class Trainer:
    """Train ``model`` with ``optimizer`` on ``data``, one epoch at a time.

    Parameters
    ----------
    model
        An :mod:`adamlab.nn` model (``loss_and_grad``, ``predict``,
        ``param_buffer``, ``grad_buffer``, ``gradients()``).
    loss
        The loss object matching the task's kind.
    optimizer
        Any :class:`adamlab.optim.Optimizer` over ``model``'s parameters.
    data
        A :class:`adamlab.data.TaskData`.
    epochs, batch_size
        Number of passes over the training split and examples per step.
    seed
        Seed of the data-order generator (reshuffled every epoch).
    accumulate
        Micro-batches whose mean gradient makes one optimizer step.
    nonfinite
        What a NaN or infinite batch loss does: ``"skip"`` the step with a
        warning (counted in the history's ``skipped_steps``), ``"raise"``, or
        ``"ignore"``. Non-finite gradients follow the optimizer's own policy;
        steps it skips are counted here too.
    callbacks
        :class:`adamlab.train.Callback` instances.
    """

    def __init__(
        self,
        model: Any,
        loss: Any,
        optimizer: Any,
        data: Any,
        *,
        epochs: int = 30,
        batch_size: int = 32,
        seed: int = 0,
        accumulate: int = 1,
        nonfinite: str = "skip",
        callbacks: Iterable[Callback] = (),
    ) -> None:
        self.model = model
        self.loss = loss
        self.optimizer = optimizer
        self.data = data
        self.epochs = _check_positive_int("epochs", epochs)
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.accumulate = _check_positive_int("accumulate", accumulate)
        batches = -(-data.n_train // self.batch_size)
        if self.accumulate > batches:
            raise ValueError(
                f"accumulate={self.accumulate} exceeds the {batches} batches of an "
                f"epoch ({data.n_train} examples, batch_size {self.batch_size}); "
                "use a smaller --accumulate or --batch-size"
            )
        if nonfinite not in NONFINITE_POLICIES:
            raise ValueError(
                f"nonfinite must be one of {NONFINITE_POLICIES}, got {nonfinite!r}"
            )
        self.nonfinite = nonfinite
        self.seed = int(seed)
        self.callbacks = CallbackList(callbacks)

        self.rng = np.random.Generator(np.random.PCG64(self.seed))
        self.epoch = 0
        self.step = 0
        self.history: list[dict[str, Any]] = []
        self.best_epoch = 0
        self.best_val_loss = math.inf
        self.best_params = model.param_buffer.copy()
        self.train_seconds = 0.0
        self._y_train = targets_for(data.kind, data.y_train, model.param_buffer.dtype)
        self._accumulated: np.ndarray | None = None
        self._loss_skips = 0
        # The epoch in progress: its data order, the next batch's position, the
        # losses and time so far. Saved by state_dict so that a checkpoint
        # taken after a step resumes in the middle of the epoch.
        self._progress: dict[str, Any] | None = None
        # The first step whose hooks a callback needs, and the hook called
        # before a step (see run_epoch).
        self._step_event: int | float = 1
        self._on_step_start = self.callbacks.on_step_start

    # ------------------------------------------------------------- running

    def fit(self) -> dict[str, Any]:
        """Run the remaining epochs, test the best weights, return the result."""
        self.callbacks.on_train_start(self)
        while self.epoch < self.epochs:
            self.run_epoch()
        result = self.result()
        self.callbacks.on_train_end(self, result)
        return result

    def run_epoch(self) -> dict[str, Any]:
        """One pass over the training split; returns the history row."""
        epoch = self.epoch + 1
        progress = self._progress
        if progress is None:
            self.callbacks.on_epoch_start(self, epoch)
            progress = self._progress = {
                "order": self.rng.permutation(self.data.n_train),
                "position": 0,
                "losses": [],
                "skipped_before": self._skips(),
                "seconds": 0.0,
            }
        started = time.perf_counter() - progress["seconds"]
        # The step hooks are called only from the first step a callback needs
        # (asked again after each call): most steps then cost no call at all.
        hooks = self.callbacks.step_hooks()
        self._on_step_start, on_step_end, next_step_event = hooks
        self._step_event = next_step_event(self.step + 1)
        skipped_before = progress["skipped_before"]
        losses = progress["losses"]
        order = progress["order"]
        grad_buffer = self.model.grad_buffer
        grads = self.model.gradients()
        pending = 0
        for start in range(progress["position"], len(order), self.batch_size):
            progress["position"] = start + self.batch_size
            batch = order[start : start + self.batch_size]
            x = self.data.X_train[batch]
            y = self._y_train[batch]
            value = self.model.loss_and_grad(x, y, self.loss)
            if not math.isfinite(value):
                if self.nonfinite == "raise":
                    raise NonFiniteLossError(
                        f"batch loss is {value} at epoch {epoch}; nothing updated"
                    )
                if self.nonfinite == "skip":
                    self._loss_skips += 1
                    warnings.warn(
                        f"skipped a step with non-finite loss {value} at epoch {epoch}",
                        RuntimeWarning,
                        stacklevel=2,
                    )
                    continue
            losses.append(value)
            if self.accumulate > 1:
                if self._accumulated is None:
                    self._accumulated = np.zeros_like(grad_buffer)
                self._accumulated += grad_buffer
                pending += 1
                if pending < self.accumulate:
                    continue
                np.divide(self._accumulated, pending, out=grad_buffer)
                self._accumulated[...] = 0
                pending = 0
            self._optimizer_step(grads, value, epoch)
            progress["seconds"] = time.perf_counter() - started
            if self.step >= self._step_event:
                on_step_end(self, self.step, value)
                self._step_event = next_step_event(self.step + 1)
        if pending:
            # The epoch's last, shorter window steps with its own mean, as the
            # last, shorter batch does without accumulation.
            np.divide(self._accumulated, pending, out=grad_buffer)
            self._accumulated[...] = 0
            self._optimizer_step(grads, losses[-1], epoch)
            if self.step >= self._step_event:
                on_step_end(self, self.step, losses[-1])
                self._step_event = next_step_event(self.step + 1)
        self._progress = None

        seconds = time.perf_counter() - started
        self.train_seconds += seconds
        val = evaluate(self.model, self.loss, self.data, "val")
        row: dict[str, Any] = {
            "epoch": epoch,
            "train_loss": float(np.mean(losses)) if losses else math.nan,
            "val_loss": val["loss"],
        }
        if "accuracy" in val:
            row["val_accuracy"] = val["accuracy"]
        else:
            row["val_rmse"] = val["rmse"]
        lr = self.optimizer.param_groups[0].get("lr")
        row["lr"] = None if lr is None else float(lr)
        row["seconds"] = seconds
        row["skipped_steps"] = self._skips() - skipped_before
        self.history.append(row)
        self.epoch = epoch
        if val["loss"] < self.best_val_loss:
            self.best_val_loss = val["loss"]
            self.best_epoch = epoch
            self.best_params[...] = self.model.param_buffer
        for schedule in getattr(self.optimizer, "schedules", []):
            report = getattr(schedule, "report", None)
            if report is not None:
                report(val["loss"])
        self.callbacks.on_epoch_end(self, epoch, row)
        return row

    def _optimizer_step(self, grads: list, loss: float, epoch: int) -> None:
        """One optimizer step, with its callbacks and the skip warning."""
        self.step += 1
        if self.step >= self._step_event:
            self._on_step_start(self, self.step)
        if not self.optimizer.step(grads):
            warnings.warn(
                f"skipped a step with a non-finite gradient at epoch {epoch}",
                RuntimeWarning,
                stacklevel=3,
            )

    def _skips(self) -> int:
        return self._loss_skips + getattr(self.optimizer, "skipped_steps", 0)

    # ------------------------------------------------------------- results

    def result(self) -> dict[str, Any]:
        """Test the best-validation weights; return the run's result keys."""
        current = self.model.param_buffer.copy()
        self.model.param_buffer[...] = self.best_params
        try:
            test = evaluate(self.model, self.loss, self.data, "test")
        finally:
            self.model.param_buffer[...] = current
        result: dict[str, Any] = {
            "epochs": self.epochs,
            "history": [dict(row) for row in self.history],
            "best_epoch": self.best_epoch,
            "train_seconds": self.train_seconds,
            "final_params_sha256": hashlib.sha256(
                np.ascontiguousarray(self.best_params).tobytes()
            ).hexdigest(),
            "test_loss": test["loss"],
        }
        if "accuracy" in test:
            result["test_accuracy"] = test["accuracy"]
        else:
            result["test_rmse"] = test["rmse"]
            result["test_mae"] = test["mae"]
        return result

    # -------------------------------------------------------------- saving

    def state_dict(self) -> dict[str, Any]:
        """The loop's own state (not the model's or optimizer's), JSON-able
        apart from ``best_params``."""
        return {
            "epoch": self.epoch,
            "step": self.step,
            "rng": self.rng.bit_generator.state,
            "history": [dict(row) for row in self.history],
            "best_epoch": self.best_epoch,
            "best_val_loss": self.best_val_loss,
            "best_params": self.best_params.copy(),
            "train_seconds": self.train_seconds,
            "loss_skips": self._loss_skips,
            "progress": None
            if self._progress is None
            else _copy_progress(self._progress),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore :meth:`state_dict`'s output."""
        best = np.asarray(state["best_params"])
        if best.shape != self.best_params.shape or best.dtype != self.best_params.dtype:
            raise ValueError(
                f"best_params has shape {best.shape} dtype {best.dtype}, the model "
                f"has {self.best_params.shape} {self.best_params.dtype}"
            )
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        self.rng.bit_generator.state = state["rng"]
        self.history = [dict(row) for row in state["history"]]
        self.best_epoch = int(state["best_epoch"])
        self.best_val_loss = float(state["best_val_loss"])
        self.best_params[...] = best
        self.train_seconds = float(state["train_seconds"])
        self._loss_skips = int(state.get("loss_skips", 0))
        progress = state.get("progress")
        if progress is not None:
            order = np.asarray(progress["order"])
            if order.shape != (self.data.n_train,):
                raise ValueError(
                    f"the saved epoch order has shape {order.shape}; this run's "
                    f"training split has {self.data.n_train} examples"
                )
            progress = _copy_progress(progress)
        self._progress = progress


def _copy_progress(progress: dict[str, Any]) -> dict[str, Any]:
    return {
        "order": np.array(progress["order"], dtype=np.int64),
        "position": int(progress["position"]),
        "losses": [float(v) for v in progress["losses"]],
        "skipped_before": int(progress["skipped_before"]),
        "seconds": float(progress["seconds"]),
    }
