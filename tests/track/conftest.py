"""Synthetic comparison outcomes: reports and plots tested without training."""

import math

import numpy as np
import pytest


def fake_outcome(label, seed, index, *, epochs=4, failed=False):
    rng = np.random.default_rng(seed + 10 * index)
    if failed:
        return {
            "label": label,
            "index": index,
            "seed": seed,
            "status": "failed",
            "error": "ValueError: lr must be >= 0, got -1.0 <b>bold</b>",
            "result": None,
            "records": [],
            "warnings": {},
            "wall_seconds": 0.1,
        }
    history = []
    for epoch in range(1, epochs + 1):
        history.append(
            {
                "epoch": epoch,
                "train_loss": 2.0 / epoch + 0.05 * rng.random(),
                "val_loss": 2.2 / epoch + 0.05 * rng.random(),
                "val_accuracy": 1 - 0.5 / epoch - 0.02 * rng.random(),
                "lr": 1e-3,
                "seconds": 0.1,
                "skipped_steps": 0,
            }
        )
    records = []
    for step in (1, 10, 20, 30, 40):
        records.append(
            {
                "step": step,
                "epoch": 1 + step // 20,
                "loss": 2.0 / math.sqrt(step),
                "grad_norm": 1.0 / math.sqrt(step) + 0.1 * rng.random(),
                "update_norm": 0.01 + 0.001 * rng.random(),
                "update_ratio": 0.001 * (1 + rng.random()),
                "effective_lr_mean": 1e-3 * (1 + rng.random()),
                "effective_lr_p50": 5e-4 * (1 + rng.random()),
            }
        )
    return {
        "label": label,
        "index": index,
        "seed": seed,
        "status": "ok",
        "error": None,
        "result": {
            "epochs": epochs,
            "history": history,
            "best_epoch": epochs,
            "train_seconds": 0.1 * epochs,
            "test_accuracy": 0.9 + 0.01 * rng.random(),
            "state_bytes": 1024,
            "final_params_sha256": "ab" * 32,
        },
        "records": records,
        "warnings": {},
        "wall_seconds": 0.5,
    }


@pytest.fixture
def fake_outcomes():
    """adam and amsgrad with two seeds each, and one failed run."""
    out = []
    for index, label in enumerate(["adam", "amsgrad"]):
        for seed in range(2):
            out.append(fake_outcome(label, seed, index))
    out.append(fake_outcome("adam:lr=-1", 0, 2, failed=True))
    return out
