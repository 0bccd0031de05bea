"""Real series that ship inside statsmodels: yearly sunspots and Mauna Loa CO2.

Both are read from files bundled with statsmodels (public domain data), so
nothing is downloaded.
"""

from __future__ import annotations

import numpy as np

from adamlab.data.checks import check_choice
from adamlab.data.series import (
    DEFAULT_TEST_FRACTION,
    DEFAULT_VAL_FRACTION,
    DEFAULT_WINDOW,
    apply_missing_policy,
    build_series_task,
)
from adamlab.data.taskdata import TaskData

CO2_RESAMPLE = ("monthly", "weekly")


def load_sunspots(
    *,
    split_seed: int = 0,
    dtype: object = np.float64,
    window: int = DEFAULT_WINDOW,
    horizon: int = 1,
    sequence: bool = False,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    test_fraction: float = DEFAULT_TEST_FRACTION,
) -> TaskData:
    """Yearly mean sunspot numbers, 1700-2008 (309 values, none missing).

    ``split_seed`` is accepted for a uniform interface and ignored: series
    are split by time. The other options are those of
    :func:`adamlab.data.series.build_series_task`.
    """
    from statsmodels.datasets import sunspots

    frame = sunspots.load_pandas().data
    return build_series_task(
        "sunspots",
        frame["SUNACTIVITY"].to_numpy(dtype=np.float64),
        frame["YEAR"].to_numpy(dtype=np.float64),
        source="sunspots",
        window=window,
        horizon=horizon,
        sequence=sequence,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        dtype=dtype,
        description="yearly sunspot numbers 1700-2008 (statsmodels)",
    )


def load_co2(
    *,
    split_seed: int = 0,
    dtype: object = np.float64,
    window: int = DEFAULT_WINDOW,
    horizon: int = 1,
    sequence: bool = False,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    missing: str = "interpolate",
    resample: str = "monthly",
) -> TaskData:
    """Atmospheric CO2 at Mauna Loa in ppm, weekly 1958-03 to 2001-12.

    The weekly record (2284 weeks) has 59 missing values. They are handled
    by ``missing`` (see :func:`adamlab.data.series.apply_missing_policy`):
    ``"interpolate"`` (the default) fills them linearly in time and reports
    the count as ``n_missing_filled``; ``"error"`` refuses them; ``"drop"``
    removes them. The policy acts on the weekly values; then, with
    ``resample="monthly"`` (the default), each calendar month becomes the
    mean of its weeks (526 months; the first month holds a single week, and
    under ``"drop"`` a month with no week left is dropped too, counted in
    ``n_missing_dropped`` beside the dropped weeks). ``resample="weekly"``
    keeps the weekly values.

    ``split_seed`` is accepted for a uniform interface and ignored.
    """
    import pandas as pd
    from statsmodels.datasets import co2

    check_choice("resample", resample, CO2_RESAMPLE)
    frame = co2.load_pandas().data
    values, times, n_filled, n_dropped = apply_missing_policy(
        frame["co2"].to_numpy(dtype=np.float64),
        frame.index.to_numpy(dtype="datetime64[ns]"),
        missing,
        "co2 (weekly)",
    )
    if resample == "monthly":
        weekly = pd.Series(values, index=pd.DatetimeIndex(times))
        monthly = weekly.resample("MS").mean()
        n_dropped += int(monthly.isna().sum())
        monthly = monthly.dropna()
        values = monthly.to_numpy(dtype=np.float64)
        times = monthly.index.to_numpy(dtype="datetime64[ns]")
    return build_series_task(
        "co2",
        values,
        times,
        source=f"co2 ({resample})",
        window=window,
        horizon=horizon,
        sequence=sequence,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        dtype=dtype,
        n_missing_filled=n_filled,
        n_missing_dropped=n_dropped,
        description=(
            f"Mauna Loa CO2 ppm 1958-2001 (statsmodels), {resample}, "
            f"missing={missing!r}"
        ),
    )
