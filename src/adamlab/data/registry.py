"""The named tasks that ship with adamlab, and :func:`load_task`."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from adamlab.data.bundled_series import load_co2, load_sunspots
from adamlab.data.tables import load_breast_cancer, load_digits
from adamlab.data.taskdata import TaskData


@dataclass(frozen=True)
class TaskSpec:
    """A registered task: its loader, kind and a one-line description."""

    loader: Callable[..., TaskData]
    kind: str
    description: str

    def options(self) -> tuple[str, ...]:
        """Keyword options of the loader beyond ``split_seed`` and ``dtype``."""
        params = inspect.signature(self.loader).parameters
        return tuple(p for p in params if p not in ("split_seed", "dtype"))


TASKS: dict[str, TaskSpec] = {
    "digits": TaskSpec(
        load_digits,
        "multiclass",
        "8x8 handwritten digits, 10 classes (scikit-learn, 1797 images)",
    ),
    "breast-cancer": TaskSpec(
        load_breast_cancer,
        "binary",
        "breast cancer diagnosis, 30 features (scikit-learn, 569 rows)",
    ),
    "sunspots": TaskSpec(
        load_sunspots,
        "regression",
        "yearly sunspot numbers 1700-2008, next-year forecast (statsmodels)",
    ),
    "co2": TaskSpec(
        load_co2,
        "regression",
        "Mauna Loa CO2 1958-2001, monthly means, next-month forecast (statsmodels)",
    ),
}


def load_task(
    name: str, *, split_seed: int = 0, dtype: object = np.float64, **options: object
) -> TaskData:
    """Load a bundled task by name; nothing is downloaded.

    Parameters
    ----------
    name : str
        One of :data:`TASKS` (``"digits"``, ``"breast-cancer"``,
        ``"sunspots"``, ``"co2"``).
    split_seed : int
        Seed of the stratified 60/20/20 split of the tables (default 0,
        independent of any training seed). Series are split by time and
        ignore it.
    dtype : float32 or float64
        Dtype of the inputs (and of the scaled regression targets).
    **options
        Task options: for series ``window`` (default 12), ``horizon``
        (default 1), ``sequence`` (default False: inputs ``(n, window)``;
        True: ``(n, window, 1)``), ``val_fraction`` and ``test_fraction``
        (default 0.15 each); for co2 also ``missing`` and ``resample``.
        Tables take none.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the valid ones), an option the
        task does not take, or a bad option value.
    """
    if not isinstance(name, str) or name not in TASKS:
        valid = ", ".join(TASKS)
        raise ValueError(f"unknown task {name!r}; valid tasks: {valid}")
    spec = TASKS[name]
    valid_options = spec.options()
    for option in options:
        if option not in valid_options:
            listed = ", ".join(valid_options) if valid_options else "none"
            raise ValueError(
                f"task {name!r} does not take the option {option!r}; "
                f"its options: {listed}"
            )
    return spec.loader(split_seed=split_seed, dtype=dtype, **options)
