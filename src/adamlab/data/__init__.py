"""Real data that ship offline, the user's CSV files, splits and baselines.

Tables (``digits``, ``breast-cancer``, a CSV with a label column) get a
stratified 60/20/20 split from ``split_seed``; series (``sunspots``, ``co2``,
a CSV column) get sliding windows and a chronological 70/15/15 split. All
scaling is fitted on the training part only. See :class:`TaskData` for what a
loader returns.

This package imports nothing from ``adamlab.nn``, ``adamlab.optim`` or
``adamlab.train``.
"""

from adamlab.data.baselines import (
    BASELINES,
    baseline_forecasts,
    baselines,
    linear_ar_forecast,
    persistence_forecast,
)
from adamlab.data.bundled_series import load_co2, load_sunspots
from adamlab.data.csvfile import load_csv_series, load_csv_table
from adamlab.data.metrics import mae, rmse
from adamlab.data.registry import TASKS, TaskSpec, load_task
from adamlab.data.series import DEFAULT_WINDOW, MISSING_POLICIES
from adamlab.data.tables import load_breast_cancer, load_digits
from adamlab.data.taskdata import SeriesInfo, TaskData

__all__ = [
    "BASELINES",
    "DEFAULT_WINDOW",
    "MISSING_POLICIES",
    "TASKS",
    "SeriesInfo",
    "TaskData",
    "TaskSpec",
    "baseline_forecasts",
    "baselines",
    "linear_ar_forecast",
    "load_breast_cancer",
    "load_co2",
    "load_csv_series",
    "load_csv_table",
    "load_digits",
    "load_sunspots",
    "load_task",
    "mae",
    "persistence_forecast",
    "rmse",
]
