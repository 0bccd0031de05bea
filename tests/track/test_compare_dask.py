"""A Dask cluster and local worker processes give identical metrics."""

import pytest

from adamlab.track.compare import plan, run_jobs
from adamlab.track.records import to_json
from adamlab.track.specs import parse_optimizers
from adamlab.train import RunConfig

distributed = pytest.importorskip("distributed")


def _strip(outcome):
    result = dict(outcome["result"])
    for key in ("train_seconds", "versions"):
        result.pop(key)
    result["history"] = [
        {k: v for k, v in row.items() if k != "seconds"} for row in result["history"]
    ]
    return result, outcome["records"]  # records hold NaN (a zero bias norm)


def test_local_cluster_matches_process_pool(monkeypatch):
    from threadpoolctl import threadpool_limits

    # Not NUMBA_NUM_THREADS: numba refuses to compile anything in this
    # process once it differs from the count its thread pool launched with.
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        monkeypatch.setenv(name, "1")
    base = RunConfig(task="digits", epochs=2, hidden=(8,), batch_size=128)
    jobs = plan(base, parse_optimizers("adam,amsgrad:lr=3e-3"), 1)
    local = run_jobs(jobs, workers=2, track_every=5)
    with threadpool_limits(limits=None):  # restores the test process's pools
        with distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
        ) as cluster:
            remote = run_jobs(jobs, cluster=cluster.scheduler_address, track_every=5)
    assert [o["status"] for o in remote] == ["ok", "ok"]
    for a, b in zip(local, remote):
        assert (a["label"], a["seed"]) == (b["label"], b["seed"])
        assert to_json(_strip(a)) == to_json(_strip(b))  # NaN-safe equality
        assert a["result"]["final_params_sha256"] == b["result"]["final_params_sha256"]
