"""Adafactor reaches the minimum of a quadratic and of the Rosenbrock function.

Budgets and settings (documented here, and in the report):

- quadratic 0.5 * sum(a * (X - c)**2) on a (4, 3) matrix (factored), from
  X = 0, condition number 10: the paper defaults (relative step, no lr),
  2000 steps;
- Rosenbrock (1 - x)**2 + 100 (y - x**2)**2 from (-1, 1): external lr 3e-3
  with momentum beta1 = 0.9 on the update, 10000 steps. With the paper
  defaults (no momentum) it stalls near f = 0.02 in the curved valley, because
  the clipped, relative step stays about 1e-2 RMS(theta).

Each must end within 1e-3 of the minimum (0) in function value.
"""

import numpy as np

from adamlab.optim import Adafactor


def test_quadratic_with_paper_defaults():
    a = np.linspace(0.5, 5.0, 12).reshape(4, 3)
    c = np.linspace(-1.0, 1.0, 12).reshape(4, 3)
    x = np.zeros((4, 3))
    opt = Adafactor([x])
    for _ in range(2000):
        opt.step([a * (x - c)])
    assert 0.5 * np.sum(a * (x - c) ** 2) < 1e-3


def test_rosenbrock_with_momentum():
    z = np.array([-1.0, 1.0])
    opt = Adafactor([z], lr=3e-3, beta1=0.9)
    for _ in range(10000):
        x, y = z
        grad = np.array([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)])
        opt.step([grad])
    x, y = z
    assert (1 - x) ** 2 + 100 * (y - x * x) ** 2 < 1e-3
