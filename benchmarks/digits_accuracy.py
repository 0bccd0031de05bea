"""Test accuracy over seeds for each optimizer, beside scikit-learn's MLP.

Each run uses ``--seed s --split-seed s`` for s = 0..4 and otherwise the
defaults of ``adamlab train`` (hidden 128, relu, 60 epochs, batch 32).
scikit-learn's ``MLPClassifier(solver="adam")`` gets the same hidden layer and
activation and the same training split (its own defaults otherwise).

    python benchmarks/digits_accuracy.py [--task digits] [--optimizers adam,adamw]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from rich.console import Console
from rich.table import Table

from adamlab.data import load_task
from adamlab.optim.registry import OPTIMIZERS
from adamlab.train import RunConfig, run


def sklearn_accuracy(task: str, seed: int, config: RunConfig) -> float:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    data = load_task(task, split_seed=seed)
    model = MLPClassifier(
        hidden_layer_sizes=config.hidden,
        activation=config.activation,
        solver="adam",
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(data.X_train, data.y_train)
    return float(model.score(data.X_test, data.y_test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="digits")
    parser.add_argument("--optimizers", default=",".join(OPTIMIZERS))
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()

    table = Table("optimizer", "mean test accuracy", "std", "min", title=args.task)
    config = RunConfig(task=args.task)
    for name in args.optimizers.split(","):
        accs = [
            run(RunConfig(task=args.task, optimizer=name, seed=s, split_seed=s))[
                "test_accuracy"
            ]
            for s in range(args.seeds)
        ]
        table.add_row(
            name, f"{np.mean(accs):.4f}", f"{np.std(accs):.4f}", f"{min(accs):.4f}"
        )
    sk = [sklearn_accuracy(args.task, s, config) for s in range(args.seeds)]
    table.add_row(
        "scikit-learn MLPClassifier(adam)",
        f"{np.mean(sk):.4f}",
        f"{np.std(sk):.4f}",
        f"{min(sk):.4f}",
    )
    Console().print(table)


if __name__ == "__main__":
    main()
