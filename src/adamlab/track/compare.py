"""Running a comparison: every optimizer with every seed, as independent runs.

:func:`plan` turns a base :class:`adamlab.train.RunConfig`, a list of
:class:`adamlab.track.specs.OptimizerSpec` and a seed count into jobs; every
job shares the base config's ``split_seed``, so all runs see the same split.
:func:`run_job` trains one job with a :class:`adamlab.track.Tracker` attached
and returns a plain dict (never raises: a failure becomes ``status: failed``
with its error). :func:`run_jobs` runs the jobs in worker processes, or on an
existing Dask distributed cluster.

Every run is computed with one BLAS and numba thread, in a local worker process
(set by the pool's initializer) as on a Dask worker (set by :func:`run_job`
itself), so a run's numbers do not depend on where it ran.

Limitations
-----------
On a Dask worker, :func:`run_job` limits the worker process's BLAS thread pools
to one thread and leaves them so. Numba's thread count can only be lowered for
numba's own parallel kernels (``numba.set_num_threads``).
"""

from __future__ import annotations

import math
import os
import sys
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace
from typing import Any

#: Optimizer keywords that are fields of RunConfig rather than hyperparameters.
RUN_OPTIONS = ("clip_norm", "clip_value", "nonfinite")

THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
)


def plan(base: Any, specs: Sequence[Any], seeds: int) -> list[dict[str, Any]]:
    """Jobs for every spec and seed ``0 .. seeds-1``: dicts with ``label``,
    ``index`` (the spec's position), ``seed`` and ``config`` (a JSON-able
    RunConfig dict)."""
    if isinstance(seeds, bool) or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"seeds must be an integer >= 1, got {seeds!r}")
    jobs = []
    for index, spec in enumerate(specs):
        hyper = dict(base.hyperparameters)
        run_options = {}
        for key, value in spec.overrides.items():
            if key in RUN_OPTIONS:
                run_options[key] = value
            else:
                hyper[key] = value
        for seed in range(seeds):
            config = replace(
                base,
                optimizer=spec.name,
                hyperparameters=hyper,
                seed=seed,
                **run_options,
            )
            jobs.append(
                {
                    "label": spec.label,
                    "index": index,
                    "seed": seed,
                    "config": config.to_dict(),
                }
            )
    return jobs


def check_runs(jobs: Sequence[dict[str, Any]]) -> None:
    """Before any run starts, load the comparison's data and build its model
    once, then each optimizer over it as its runs will (schedules attached),
    so a bad task, CSV, target, model or combination of options is refused
    once rather than by every run.

    Raises
    ------
    ValueError
        The data's or the model's complaint as it is (it is every run's), or
        the optimizer's naming the job's label.
    """
    from adamlab.train.experiment import (
        RunConfig,
        build_model,
        build_optimizer,
        load_data,
    )

    if not jobs:
        return
    first = RunConfig.from_dict(dict(jobs[0]["config"]))
    model = build_model(first, load_data(first))
    seen = set()
    for job in jobs:
        if job["index"] in seen:
            continue
        seen.add(job["index"])
        try:
            build_optimizer(RunConfig.from_dict(dict(job["config"])), model)
        except (ValueError, TypeError) as error:
            message = " ".join(str(error).split()) or type(error).__name__
            raise ValueError(f"optimizer {job['label']!r}: {message}") from None


def limit_threads(environment: bool = True) -> None:
    """One compute thread: BLAS pools and numba, and (with ``environment``,
    for a worker process of our own) the thread variables of the environment.

    A job run inside someone else's process (a Dask worker thread) leaves the
    environment alone: numba refuses to compile once ``NUMBA_NUM_THREADS``
    differs from the thread count it launched with.
    """
    if environment:
        for name in THREAD_VARIABLES:
            os.environ[name] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=1)
    except ImportError:  # pragma: no cover - a scikit-learn dependency
        pass
    numba = sys.modules.get("numba")
    if numba is not None:
        try:
            numba.set_num_threads(1)
        except (ValueError, RuntimeError):  # pragma: no cover - launched already
            pass


_WARMED: set[str] = set()


def warm_up(config: dict[str, Any], size: int = 20) -> None:
    """Step the run's optimizer twice over a flat buffer of ``size`` elements
    (the model's parameter count), once per process and kernel path, with a
    tracker recording both steps, so loading the optimizer's and the
    tracker's kernels is not timed as the first epoch (the model's own
    kernels still load in it).

    The buffer has the run's dtype and is split into two parameters whose
    gradients also tile one buffer, as a model's do, so the optimizer takes
    the same flat kernel, serial or parallel
    (:data:`adamlab.optim.kernels.PARALLEL_THRESHOLD`), as the run will.
    """
    import numpy as np

    from adamlab.optim.kernels import PARALLEL_THRESHOLD
    from adamlab.optim.registry import make_optimizer

    size = max(int(size), 2)
    key = repr(
        (
            config["optimizer"],
            sorted(config["hyperparameters"].items()),
            config["dtype"],
            size >= PARALLEL_THRESHOLD,
        )
    )
    if key in _WARMED:
        return
    _WARMED.add(key)
    buffer = np.zeros(size, dtype=config["dtype"])
    split = size - 1
    params = [("w", buffer[:split]), ("b", buffer[split:])]
    grad_buffer = np.full(size, 0.5, dtype=buffer.dtype)
    grads = [grad_buffer[:split], grad_buffer[split:]]
    try:
        from adamlab.track.tracker import Tracker

        optimizer = make_optimizer(
            config["optimizer"], params, **config["hyperparameters"]
        )
        # Through a tracker, which loads its own kernels at its first record.
        tracker = Tracker.watch(optimizer, every=1)
        tracker.step(grads)
        tracker.step(grads)
        if not tracker.records:  # (made into records, as the run reads them)
            return
    except Exception:  # noqa: BLE001 - the run itself reports any error
        pass


def run_job(job: dict[str, Any], track_every: int = 10) -> dict[str, Any]:
    """Train one job; return its outcome (never raises).

    The outcome holds ``label``, ``index``, ``seed``, ``status`` ("ok" or
    "failed"), ``error`` (a one-line message, or None), ``result`` (the run's
    result keys, or None), ``records`` (the tracker's rows), ``warnings``
    (message -> count) and ``wall_seconds``.
    """
    limit_threads(environment=False)
    from adamlab.track.tracker import Tracker
    from adamlab.train.experiment import RunConfig, build, describe

    outcome: dict[str, Any] = {
        "label": job["label"],
        "index": job["index"],
        "seed": job["seed"],
        "status": "failed",
        "error": None,
        "result": None,
        "records": [],
        "warnings": {},
    }
    started = time.perf_counter()
    tracker = Tracker(track_every)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RuntimeWarning)
            config = RunConfig.from_dict(dict(job["config"]))
            trainer = build(config, callbacks=(tracker,))
            warm_up(job["config"], trainer.model.param_buffer.size)
            outcome["result"] = describe(config, trainer, trainer.fit())
        outcome["status"] = "ok"
        for w in caught:
            message = str(w.message).split(" at epoch")[0]
            outcome["warnings"][message] = outcome["warnings"].get(message, 0) + 1
    except Exception as error:  # noqa: BLE001 - reported, not hidden
        text = " ".join(str(error).split()) or "(no message)"
        outcome["error"] = f"{type(error).__name__}: {text}"
        outcome["traceback"] = traceback.format_exc()
    outcome["records"] = tracker.records
    outcome["wall_seconds"] = time.perf_counter() - started
    return outcome


def _failed(job: dict[str, Any], message: str) -> dict[str, Any]:
    return {
        "label": job["label"],
        "index": job["index"],
        "seed": job["seed"],
        "status": "failed",
        "error": message,
        "result": None,
        "records": [],
        "warnings": {},
        "wall_seconds": math.nan,
    }


def run_jobs(
    jobs: Sequence[dict[str, Any]],
    *,
    workers: int | None = None,
    cluster: str | None = None,
    track_every: int = 10,
    on_done: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Run every job; return their outcomes in the order of ``jobs``.

    Parameters
    ----------
    workers
        Local worker processes (default ``os.cpu_count()``), each with one
        compute thread. Ignored with ``cluster``.
    cluster
        Address of a running Dask distributed scheduler
        (``tcp://host:8786``); the jobs are submitted there instead.
    on_done
        Called with each outcome as it finishes (for progress displays).
    """
    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be an integer >= 1, got {workers!r}")
    if cluster is not None:
        return _run_dask(jobs, cluster, track_every, on_done)
    return _run_local(jobs, min(workers, max(len(jobs), 1)), track_every, on_done)


def _run_local(
    jobs: Sequence[dict[str, Any]],
    workers: int,
    track_every: int,
    on_done: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    import multiprocessing

    outcomes: list[dict[str, Any] | None] = [None] * len(jobs)
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=_start_worker
    )
    try:
        futures = {
            pool.submit(run_job, job, track_every): i for i, job in enumerate(jobs)
        }
        for future in as_completed(futures):
            i = futures[future]
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - a worker died
                outcome = _failed(jobs[i], f"{type(error).__name__}: {error}")
            outcomes[i] = outcome
            if on_done is not None:
                on_done(outcome)
    except BaseException:
        # Interrupted (Ctrl-C reaches the workers' group too, but they ignore
        # it): drop the queued runs and stop the running ones rather than wait.
        pool.shutdown(wait=False, cancel_futures=True)
        for child in multiprocessing.active_children():
            child.terminate()
        raise
    pool.shutdown(wait=True)
    return [o for o in outcomes if o is not None]


def _start_worker() -> None:
    """A worker process's start: one compute thread, and Ctrl-C left to the
    parent, which stops the workers itself."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    limit_threads()


def _run_dask(
    jobs: Sequence[dict[str, Any]],
    address: str,
    track_every: int,
    on_done: Callable[[dict[str, Any]], None] | None,
) -> list[dict[str, Any]]:
    try:
        from distributed import Client
        from distributed import as_completed as dask_completed
    except ImportError:
        raise ValueError(
            "--cluster needs Dask distributed: pip install 'dask[distributed]'"
        ) from None
    outcomes: list[dict[str, Any] | None] = [None] * len(jobs)
    batch = uuid.uuid4().hex
    with Client(address, timeout="20s") as client:
        futures = [
            client.submit(run_job, job, track_every, key=f"adamlab-{batch}-{i}")
            for i, job in enumerate(jobs)
        ]
        where = {future.key: i for i, future in enumerate(futures)}
        for future in dask_completed(futures):
            i = where[future.key]
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - a worker died
                outcome = _failed(jobs[i], f"{type(error).__name__}: {error}")
            outcomes[i] = outcome
            if on_done is not None:
                on_done(outcome)
    return [o for o in outcomes if o is not None]
