"""Watching optimizers: the tracker, plots, and the comparison report.

>>> from adamlab.track import Tracker
>>> from adamlab.train import RunConfig, run
>>> tracker = Tracker(every=10)
>>> config = RunConfig(task="digits", epochs=1)
>>> result = run(config, callbacks=(tracker,))  # doctest: +SKIP
>>> tracker.records[0]["grad_norm"]  # doctest: +SKIP

:mod:`adamlab.track.compare` runs many runs (worker processes or Dask),
:mod:`adamlab.track.report` writes the HTML report. Plots and reports read
recorded data only.
"""

from adamlab.track.records import (
    read_csv,
    read_json,
    records_from_csv,
    records_to_csv,
    write_csv,
    write_json,
)
from adamlab.track.specs import OptimizerSpec, parse_optimizers
from adamlab.track.tracker import Tracker

__all__ = [
    "OptimizerSpec",
    "Tracker",
    "parse_optimizers",
    "read_csv",
    "read_json",
    "records_from_csv",
    "records_to_csv",
    "write_csv",
    "write_json",
]
