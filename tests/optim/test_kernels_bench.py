"""The benchmark's plumbing (not its timings): rows, contenders, ratios, floor."""

from __future__ import annotations

import argparse
import json
import re

import numpy as np
import pytest

from adamlab import bench
from adamlab.optim.kernels import PARALLEL_THRESHOLD
from adamlab.optim.kernels.floor import floor_step


def test_summarize_quartiles():
    out = bench.summarize([5.0, 1.0, 3.0, 2.0, 4.0])
    assert out["median_s"] == 3.0
    assert (out["q1_s"], out["q3_s"]) == (2.0, 4.0)
    assert (out["min_s"], out["max_s"], out["repeats"]) == (1.0, 5.0, 5)


def test_bench_steps_rows_and_ratios():
    rows = bench.bench_steps(
        ["adam", "adabound"],
        sizes=[1_000],
        float64_sizes=[],
        tensors=(3, 10),
        budget_s=0.001,
    )
    assert [(r["optimizer"], r["size"], r["tensors"]) for r in rows] == [
        ("adam", 1_000, 1),
        ("adabound", 1_000, 1),
        ("adam", 30, 3),
        ("adabound", 30, 3),
    ]
    assert all(r["fused"] for r in rows)
    adam, adabound = rows[0], rows[1]
    assert set(adam["timings"]) == {
        "adamlab",
        "numpy",
        "torch_foreach",
        "torch_fused",
        "floor",
    }
    assert set(adabound["timings"]) == {"adamlab", "floor"}
    t = adam["timings"]
    assert adam["ratios"]["adamlab_over_floor"] == pytest.approx(
        t["adamlab"]["median_s"] / t["floor"]["median_s"]
    )
    assert adam["ratios"]["numpy_over_adamlab"] == pytest.approx(
        t["numpy"]["median_s"] / t["adamlab"]["median_s"]
    )
    json.dumps(rows)


def test_torch_columns_skipped_without_torch(monkeypatch):
    monkeypatch.setattr(bench, "_torch", lambda: None)
    rows = bench.bench_steps(
        ["adam"], sizes=[100], float64_sizes=[], tensors=None, budget_s=0.001
    )
    assert set(rows[0]["timings"]) == {"adamlab", "numpy", "floor"}
    assert "adamlab_over_torch_fused" not in rows[0]["ratios"]


def test_unknown_optimizer_is_refused():
    with pytest.raises(ValueError, match="optimizer must be one of"):
        bench.bench_steps(["sgd"], sizes=[10], float64_sizes=[], tensors=None)


@pytest.mark.parametrize("n", [1_000, PARALLEL_THRESHOLD + 3])
@pytest.mark.parametrize("count", [2, 3])
def test_floor_kernel_adds_gradient_to_every_array(n, count):
    rng = np.random.default_rng(n + count)
    p, g = rng.standard_normal(n), rng.standard_normal(n)
    states = [rng.standard_normal(n) for _ in range(count)]
    expected = [p + g] + [s + g for s in states]
    floor_step(p, g, states)
    for got, want in zip([p, *states], expected):
        np.testing.assert_array_equal(got, want)


def test_bench_command_writes_json(tmp_path, capsys):
    from adamlab.cli import bench_cmd

    parser = argparse.ArgumentParser()
    bench_cmd.add_parser(parser.add_subparsers(dest="command"))
    out = tmp_path / "bench.json"
    args = parser.parse_args(
        [
            "bench",
            "--optimizers",
            "adam,nadam",
            "--sizes",
            "1e3",
            "--float64-sizes",
            "",
            "--no-tensors",
            "--budget",
            "0.001",
            "--no-fixed-cost",
            "--no-digits",
            "--json",
            str(out),
        ]
    )
    assert bench_cmd.run(args) == 0
    result = json.loads(out.read_text())
    assert [r["optimizer"] for r in result["steps"]] == ["adam", "nadam"]
    assert result["config"]["sizes"] == [1000]
    assert "numba" in result["versions"]
    assert "adamlab" in capsys.readouterr().out


def _bench_parser():
    from adamlab.cli import bench_cmd

    parser = argparse.ArgumentParser()
    bench_cmd.add_parser(parser.add_subparsers(dest="command"))
    return parser


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--sizes", "-5", "positive whole numbers"),
        ("--sizes", "0", "positive whole numbers"),
        ("--sizes", "1.5", "positive whole numbers"),
        ("--sizes", "1e4,abc", "positive whole numbers"),
        ("--sizes", "nan", "positive whole numbers"),
        ("--sizes", "1e20", "at most 1e[+]09"),
        ("--float64-sizes", "-1", "positive whole numbers"),
        ("--budget", "-1", "finite number of seconds above 0"),
        ("--budget", "0", "finite number of seconds above 0"),
        ("--budget", "nan", "finite number of seconds above 0"),
        ("--budget", "inf", "finite number of seconds above 0"),
        ("--epochs", "0", "at least 1"),
        ("--epochs", "2.5", "at least 1"),
        ("--json", "/nonexistent-folder/x.json", "does not exist"),
    ],
)
def test_bench_options_are_checked_when_parsed(option, value, message, capsys):
    from adamlab.cli.main import main

    with pytest.raises(SystemExit) as exit_info:
        main(["bench", option, value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("adamlab bench: error: argument " + option)
    assert value in err
    assert re.search(message, err)


def test_bench_unknown_optimizer_is_a_usage_error(capsys):
    from adamlab.cli.main import main

    assert main(["bench", "--optimizers", "adam,nope"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("adamlab bench: error: --optimizers must name")
    assert "'nope'" in err


def test_bench_library_refuses_bad_counts_and_budget():
    with pytest.raises(ValueError, match="sizes must be at least 1, got 0"):
        bench.bench_steps(["adam"], sizes=[0], float64_sizes=[], tensors=None)
    with pytest.raises(ValueError, match="whole numbers, got 1.5"):
        bench.bench_steps(["adam"], sizes=[1.5], float64_sizes=[], tensors=None)
    with pytest.raises(ValueError, match="budget_s must be a finite number"):
        bench.bench_steps(["adam"], sizes=[10], budget_s=float("nan"))


def test_explicit_options_win_over_quick(monkeypatch):
    from adamlab.cli import bench_cmd

    seen = {}

    def fake_run_bench(**kwargs):
        seen.update(kwargs)
        return {
            "steps": [],
            "fixed_cost": None,
            "digits": None,
            "versions": {"numpy": np.__version__},
        }

    monkeypatch.setattr(bench, "run_bench", fake_run_bench)
    parser = _bench_parser()
    args = parser.parse_args(["bench", "--quick", "--sizes", "123", "--budget", "3"])
    assert bench_cmd.run(args) == 0
    assert seen["sizes"] == [123] and seen["budget_s"] == 3.0
    assert seen["float64_sizes"] == [100_000] and seen["digits_epochs"] == 5
    args = parser.parse_args(["bench", "--quick"])
    bench_cmd.run(args)
    assert seen["sizes"] == [10_000, 1_000_000] and seen["budget_s"] == 0.2


def test_bench_says_when_torch_is_missing(monkeypatch, capsys):
    from adamlab.cli import bench_cmd

    monkeypatch.setattr(bench, "_torch", lambda: None)
    args = _bench_parser().parse_args(
        [
            "bench",
            "--sizes",
            "100",
            "--float64-sizes",
            "",
            "--no-tensors",
            "--budget",
            "0.001",
            "--no-fixed-cost",
            "--no-digits",
        ]
    )
    assert bench_cmd.run(args) == 0
    out = capsys.readouterr().out
    assert out.count("torch is not installed") == 1
