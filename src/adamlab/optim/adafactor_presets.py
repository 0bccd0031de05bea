"""Adafactor's conventions, named, and the presets that pick them in one word.

The references agree on Adafactor's outline and differ in details: where eps1
enters, what the learning rate means, where momentum is taken, which two
dimensions are factored, and what scales the weight decay. Each detail is an
option of :class:`adamlab.optim.Adafactor`; a preset is a table of those
options. :func:`resolve_options` merges a preset with the options a user gave
and settles the step-size mode, raising ``ValueError`` on a contradiction.
"""

from __future__ import annotations

from typing import Any

from adamlab.optim.validation import check_choice

LR_MODES = ("relative", "capped", "external")
EPS1_MODES = ("add", "clamp")
MOMENTUM_INPUTS = ("update", "gradient")
FACTOR_DIMS = ("last_two", "largest_two")
WEIGHT_DECAY_SCALES = ("step", "lr", "none")

# Every convention option with the paper's choice (Shazeer and Stern 2018,
# Algorithms 4 and 5 with the defaults of their Section 9 and tensor2tensor).
PAPER: dict[str, Any] = {
    "lr": None,
    "lr_mode": "relative",
    "relative_step_warmup": False,
    "decay_rate": -0.8,
    "decay_offset": 0,
    "eps1": 1e-30,
    "eps2": 1e-3,
    "eps1_mode": "add",
    "clip_threshold": 1.0,
    "scale_parameter": True,
    "beta1": None,
    "momentum_input": "update",
    "factor_dims": "last_two",
    "min_dim_size_to_factor": 0,
    "weight_decay": 0.0,
    "weight_decay_scale": "step",
    "maximize": False,
}

PRESETS: dict[str, dict[str, Any]] = {
    "paper": dict(PAPER),
    # transformers.Adafactor: the paper's rule; an explicit lr replaces the
    # relative step (relative_step=False), decay is scaled by the step size.
    "transformers": dict(PAPER),
    # torch.optim.Adafactor (2.13): lr (1e-2) caps the relative step, eps1 is
    # the dtype's machine epsilon used as a clamp, decay is scaled by lr.
    "torch": dict(
        PAPER,
        lr=1e-2,
        lr_mode="capped",
        eps1="machine",
        eps1_mode="clamp",
        weight_decay_scale="lr",
    ),
}

# The step-size mode a preset takes when the user gives an lr but no lr_mode.
_MODE_WITH_LR = {"paper": "external", "transformers": "external", "torch": "capped"}


def resolve_options(preset: str, given: dict[str, Any]) -> dict[str, Any]:
    """Merge ``given`` (options the user set, None meaning unset) into a preset.

    The step-size mode is settled here. Without ``lr_mode``, no ``lr`` means the
    preset's own mode (and lr), and a given ``lr`` means ``"external"`` for the
    paper and transformers presets (transformers' ``relative_step=False``) and
    ``"capped"`` for torch (torch's only mode). Contradictions raise
    ``ValueError`` naming both sides.
    """
    check_choice("preset", preset, tuple(PRESETS))
    options = dict(PRESETS[preset])
    options.update({k: v for k, v in given.items() if v is not None})
    lr, mode = given.get("lr"), given.get("lr_mode")

    if mode is None:
        if lr is None:
            mode = PRESETS[preset]["lr_mode"]
        else:
            mode = _MODE_WITH_LR[preset]
    check_choice("lr_mode", mode, LR_MODES)
    if mode == "relative":
        if lr is not None:
            raise ValueError(
                f"lr={lr!r} conflicts with lr_mode='relative', which computes its "
                "own step size min(1e-2, 1/sqrt(t)); leave lr=None, or pass "
                "lr_mode='capped' (lr caps the relative step, as torch) or "
                "lr_mode='external' (lr is the step size, schedules may drive it)"
            )
        options["lr"] = None
    elif lr is None:
        preset_lr = PRESETS[preset]["lr"]
        if preset_lr is None:
            raise ValueError(
                f"lr_mode={mode!r} needs an lr, got lr=None; give lr, or use "
                "lr_mode='relative' for the paper's relative step"
            )
        options["lr"] = preset_lr
    options["lr_mode"] = mode
    return options


def check_consistent(group: dict[str, Any]) -> None:
    """Raise ``ValueError`` if a group's options contradict each other."""
    mode = group["lr_mode"]
    if mode == "relative" and group["lr"] is not None:
        raise ValueError(
            f"lr={group['lr']!r} conflicts with lr_mode='relative' (the step size "
            "is min(1e-2, 1/sqrt(t)) and would ignore lr); set lr to None, or set "
            "lr_mode to 'capped' or 'external' in the same group"
        )
    if mode != "relative" and group["lr"] is None:
        raise ValueError(f"lr_mode={mode!r} needs an lr, got lr=None")
    if group["relative_step_warmup"] and mode != "relative":
        raise ValueError(
            f"relative_step_warmup=True needs lr_mode='relative', got "
            f"lr_mode={mode!r}: the warmup variant min(1e-6 * t, 1/sqrt(t)) is a "
            "relative step; with an lr, warm up through an lr schedule instead"
        )
    if group["weight_decay_scale"] == "lr" and mode == "relative":
        raise ValueError(
            "weight_decay_scale='lr' conflicts with lr_mode='relative', which has "
            "no lr; use weight_decay_scale='step' (decay scaled by the step size "
            "alpha_t, as transformers) or 'none' (as optax)"
        )
