"""Every registered optimizer converges on a quadratic and on Rosenbrock.

Each row of ``CASES`` names an optimizer as the registry does, its
hyperparameters, and a step budget; after the budget every coordinate must lie
within 1e-3 of the minimum. Adding an optimizer means adding a row per problem
(``test_every_registered_optimizer_has_a_case`` fails until it has one).

The budgets are about 1.3-2x the steps each needed when this table was made
(first step within 1e-3, in parentheses), so they state how fast each one is on
these problems and leave room for rounding differences, not for slower math.

Problems (float64):

- quadratic: f(x) = 1/2 sum a_i (x_i - c_i)^2, a = (1, 3, 10, 0.5, 5),
  c = (1, -2, 0.5, 3, -1), from x = 0;
- Rosenbrock: f(x, y) = (1 - x)^2 + 100 (y - x^2)^2, from (-1.2, 1), minimum
  (1, 1).

Notes on the Rosenbrock settings: the decoupled-decay variants run with
``weight_decay=0`` (decay moves the minimum); AMSGrad and AMSBound need a larger
lr because the maximum keeps the huge early second moment; RAdam clips the
gradient norm to 10 because its first four (un-adapted) steps are plain momentum
steps of size ``lr * |g|`` with ``|g|`` about 215 at the start; AdaBound's
bounds close on ``final_lr = 2e-3`` (SGD on Rosenbrock is only stable below
about 2e-3, near the minimum's curvature of 1000) with a slow ``gamma = 1e-4``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest

from adamlab.optim.registry import OPTIMIZERS, make_optimizer

TOL = 1e-3

QUAD_A = np.array([1.0, 3.0, 10.0, 0.5, 5.0])
QUAD_C = np.array([1.0, -2.0, 0.5, 3.0, -1.0])


def quadratic(x: np.ndarray) -> np.ndarray:
    return QUAD_A * (x - QUAD_C)


def rosenbrock(x: np.ndarray) -> np.ndarray:
    g = np.empty(2)
    g[0] = -2.0 * (1.0 - x[0]) - 400.0 * x[0] * (x[1] - x[0] ** 2)
    g[1] = 200.0 * (x[1] - x[0] ** 2)
    return g


PROBLEMS = {
    "quadratic": (quadratic, np.zeros(5), QUAD_C),
    "rosenbrock": (rosenbrock, np.array([-1.2, 1.0]), np.ones(2)),
}


@dataclass(frozen=True)
class Case:
    """One optimizer on one problem: registry name, settings, step budget."""

    optimizer: str
    problem: str
    steps: int
    options: dict[str, Any] = field(default_factory=dict)
    label: str = ""

    @property
    def id(self) -> str:
        return f"{self.optimizer}{self.label}-{self.problem}"


NO_DECAY = {"weight_decay": 0.0}
BOUND = {"final_lr": 2e-3, "gamma": 1e-4}

CASES = [
    # quadratic, lr 0.1 for all
    Case("adam", "quadratic", 300, {"lr": 0.1}),  # (144)
    Case("adamw", "quadratic", 300, {"lr": 0.1, **NO_DECAY}),  # (144)
    Case("amsgrad", "quadratic", 300, {"lr": 0.1}),  # (145)
    Case("nadam", "quadratic", 300, {"lr": 0.1}),  # (110)
    Case("radam", "quadratic", 500, {"lr": 0.1}),  # (298)
    Case("adamax", "quadratic", 300, {"lr": 0.1}),  # (149)
    Case("adabound", "quadratic", 300, {"lr": 0.1}),  # (144)
    Case(
        "adabound", "quadratic", 300, {"lr": 0.1, "variant": "paper"}, "[paper]"
    ),  # (140)
    Case("amsbound", "quadratic", 300, {"lr": 0.1}),  # (145)
    Case("adaboundw", "quadratic", 300, {"lr": 0.1, **NO_DECAY}),  # (144)
    Case("adaptive-adam", "quadratic", 300, {"lr": 0.1}),  # (144)
    Case("adafactor", "quadratic", 2500),  # relative step, no lr (1538)
    # Rosenbrock
    Case("adam", "rosenbrock", 6000, {"lr": 1e-2}),  # (4384)
    Case("adamw", "rosenbrock", 6000, {"lr": 1e-2, **NO_DECAY}),  # (4384)
    Case("amsgrad", "rosenbrock", 3000, {"lr": 0.1}),  # (1582)
    Case("nadam", "rosenbrock", 9000, {"lr": 4e-3}),  # (7018)
    Case("radam", "rosenbrock", 4000, {"lr": 1e-2, "clip_norm": 10.0}),  # (2020)
    Case("adamax", "rosenbrock", 6000, {"lr": 2e-2}),  # (4584)
    Case("adabound", "rosenbrock", 5000, {"lr": 2e-2, **BOUND}),  # (3185)
    Case("amsbound", "rosenbrock", 3000, {"lr": 0.1, **BOUND}),  # (1592)
    Case("adaboundw", "rosenbrock", 5000, {"lr": 2e-2, **BOUND, **NO_DECAY}),
    Case("adaptive-adam", "rosenbrock", 6000, {"lr": 1e-2}),  # (4384)
    Case("adafactor", "rosenbrock", 6000, {"lr": 1e-2, "beta1": 0.9}),  # (3961)
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_converges(case: Case) -> None:
    grad_fn, start, minimum = PROBLEMS[case.problem]
    x = start.copy()
    opt = make_optimizer(case.optimizer, [x], **case.options)
    for _ in range(case.steps):
        opt.step([grad_fn(x)])
    assert np.all(np.isfinite(x)), case.id
    err = np.max(np.abs(x - minimum))
    assert err <= TOL, f"{case.id}: max |x - x*| = {err:.3g} after {case.steps} steps"


def test_every_registered_optimizer_has_a_case() -> None:
    for problem in PROBLEMS:
        covered = {c.optimizer for c in CASES if c.problem == problem}
        missing = sorted(set(OPTIMIZERS) - covered)
        assert not missing, f"add a {problem} row to CASES for {missing}"
