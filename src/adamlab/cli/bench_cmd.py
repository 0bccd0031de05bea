"""``adamlab bench``: time the fused step against NumPy, torch and the floor."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence

from adamlab.cli.options import check_output, write_output

DEFAULT_OPTIMIZERS = "adam,adamw"
DEFAULT_BUDGET = 1.0
DEFAULT_EPOCHS = 100
#: The largest parameter count a case may have (a 1e9 float64 case is 24 GB).
MAX_SIZE = 10**9
#: What --quick uses for every option not given explicitly.
QUICK = {
    "sizes": [10_000, 1_000_000],
    "float64_sizes": [100_000],
    "tensors": (50, 2_000),
    "budget": 0.2,
    "epochs": 5,
}


def _int_list(text: str) -> list[int]:
    """Comma-separated parameter counts such as ``1e4,1e6``; empty for none."""
    counts = []
    for item in (x.strip() for x in text.split(",")):
        if not item:
            continue
        try:
            value = float(item)
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and value == int(value) and value >= 1):
            raise argparse.ArgumentTypeError(
                f"parameter counts must be positive whole numbers such as "
                f"1e4,1e6, got {item!r} in {text!r}"
            )
        if value > MAX_SIZE:
            raise argparse.ArgumentTypeError(
                f"parameter counts must be at most {MAX_SIZE:.0e}, got {item!r}"
            )
        counts.append(int(value))
    return counts


def _budget(text: str) -> float:
    """Seconds per contender and case: a finite number above zero."""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(
            f"expected a finite number of seconds above 0, got {text!r}"
        )
    return value


def _epochs(text: str) -> int:
    """Digits epochs: a whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of epochs of at least 1, got {text!r}"
        )
    return value


def _json_path(text: str) -> str:
    """A file path that can be written, checked before minutes of timing."""
    try:
        check_output(None, text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return text


def optimizer_names(text: str, known: Sequence[str]) -> list[str]:
    """The names in ``--optimizers`` (``all`` for every one); ValueError if bad."""
    names = [n.strip() for n in text.split(",") if n.strip()]
    if names == ["all"]:
        return list(known)
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        what = f"unknown {', '.join(map(repr, unknown))}" if unknown else "none"
        raise ValueError(
            f"--optimizers must name some of {', '.join(known)} (or all), "
            f"got {text!r} ({what})"
        )
    return names


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="time one optimizer step against NumPy, torch and the bandwidth floor",
        description=(
            "Time one optimizer step in one process, interleaving the contenders "
            "(adamlab's fused kernel, textbook NumPy, torch foreach and fused, "
            "and a kernel with the same memory traffic and no math), and report "
            "medians with quartiles and the ratios between them. Also the fixed "
            "cost of one step on a tiny model, and 100 epochs of digits against "
            "scikit-learn and torch. torch columns are skipped without torch. "
            "--quick sets small sizes, a 0.2 s budget and 5 epochs; options "
            "given explicitly win over --quick."
        ),
    )
    parser.add_argument(
        "--optimizers",
        default=DEFAULT_OPTIMIZERS,
        help=(
            "comma-separated: adam, adamw, amsgrad, nadam, radam, adamax, "
            f"adabound, amsbound, or all (default {DEFAULT_OPTIMIZERS})"
        ),
    )
    parser.add_argument(
        "--sizes",
        type=_int_list,
        default=None,
        help=(
            "float32 parameter counts, whole numbers from 1 to 1e9 "
            "(default 1e4,1e5,1e6,1e7,5e7; empty string for none)"
        ),
    )
    parser.add_argument(
        "--float64-sizes",
        type=_int_list,
        default=None,
        help="float64 parameter counts (default 1e7; empty string for none)",
    )
    parser.add_argument(
        "--no-tensors",
        action="store_true",
        help="skip the 500 tensors x 2,000 parameters case",
    )
    parser.add_argument(
        "--budget",
        type=_budget,
        default=None,
        help=(
            f"seconds of timing per contender and case, above 0 "
            f"(default {DEFAULT_BUDGET})"
        ),
    )
    parser.add_argument(
        "--no-fixed-cost", action="store_true", help="skip the tiny-model step cost"
    )
    parser.add_argument(
        "--no-digits", action="store_true", help="skip the digits training run"
    )
    parser.add_argument(
        "--epochs",
        type=_epochs,
        default=None,
        help=f"digits epochs, at least 1 (default {DEFAULT_EPOCHS})",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=(
            "small sizes and short budgets, to check that everything runs; "
            "--sizes, --float64-sizes, --budget and --epochs given "
            "explicitly still win"
        ),
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        type=_json_path,
        help="also write results as JSON (its folder must exist)",
    )


def _table(result: dict) -> object:
    from rich.table import Table

    contenders = ["adamlab", "numpy", "torch_foreach", "torch_fused", "floor"]
    table = Table(
        "optimizer",
        "dtype",
        "params",
        *[f"{c} ms" for c in contenders],
        "vs fused",
        "vs floor",
        "numpy/ours",
        title="one step: median ms ±(interquartile range / median); ratios of medians",
        box=None,
    )
    for row in result["steps"]:
        cells = []
        for name in contenders:
            t = row["timings"].get(name)
            if t is None:
                cells.append("-")
                continue
            spread = (t["q3_s"] - t["q1_s"]) / t["median_s"] * 100
            cells.append(f"{t['median_s'] * 1e3:.3g} ±{spread:.0f}%")
        ratios = row["ratios"]
        size = f"{row['size']:.0e}"
        if row["tensors"] > 1:
            size = f"{row['tensors']}x{row['size'] // row['tensors']}"
        table.add_row(
            row["optimizer"],
            row["dtype"],
            size,
            *cells,
            *(
                f"{ratios[k]:.2f}" if k in ratios else "-"
                for k in (
                    "adamlab_over_torch_fused",
                    "adamlab_over_floor",
                    "numpy_over_adamlab",
                )
            ),
        )
    return table


def _chosen(explicit, quick, default):
    """An option's value: given explicitly, else --quick's, else the default."""
    if explicit is not None:
        return explicit
    return default if quick is None else quick


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from adamlab import bench

    names = optimizer_names(args.optimizers, bench.OPTIMIZERS)
    quick = QUICK if args.quick else {}
    sizes = _chosen(args.sizes, quick.get("sizes"), list(bench.SIZES))
    f64 = _chosen(
        args.float64_sizes, quick.get("float64_sizes"), list(bench.FLOAT64_SIZES)
    )
    tensors = None if args.no_tensors else quick.get("tensors", bench.TENSORS)
    budget = _chosen(args.budget, quick.get("budget"), DEFAULT_BUDGET)
    epochs = _chosen(args.epochs, quick.get("epochs"), DEFAULT_EPOCHS)
    if not (sizes or f64 or tensors or not args.no_fixed_cost or not args.no_digits):
        raise ValueError(
            "nothing to measure: --sizes and --float64-sizes are empty and "
            "--no-tensors, --no-fixed-cost and --no-digits are given; "
            "leave at least one case on"
        )

    console = Console(width=max(Console().width, 150))
    if not bench.torch_available():
        console.print(
            "torch is not installed: the torch columns and the torch digits run "
            "are absent"
        )
    with console.status("benchmarking") as status:
        result = bench.run_bench(
            optimizers=names,
            sizes=sizes,
            float64_sizes=f64,
            tensors=tensors,
            budget_s=budget,
            fixed_cost=not args.no_fixed_cost,
            digits=not args.no_digits,
            digits_epochs=epochs,
            progress=lambda text: status.update(f"benchmarking: {text}"),
        )

    if result["steps"]:
        console.print(_table(result))
    fixed = result["fixed_cost"]
    if fixed is not None:
        parts = [
            f"{k} {v['median_s'] * 1e6:.1f} us" for k, v in fixed["timings"].items()
        ]
        ratio = fixed["ratios"].get("adamlab_over_torch_fused")
        tail = "" if ratio is None else f"  (adamlab / torch fused = {ratio:.2f})"
        console.print(
            f"fixed cost of step(), {fixed['parameters']} parameters in "
            f"{len(fixed['shapes'])} arrays: " + ", ".join(parts) + tail
        )
    digits = result["digits"]
    if digits is not None:
        parts = [
            f"{k} {digits[k]['train_seconds']:.2f} s "
            f"(test accuracy {digits[k]['test_accuracy']:.4f})"
            for k in ("adamlab", "sklearn", "torch")
            if k in digits
        ]
        console.print(f"digits, {digits['epochs']} epochs: " + ", ".join(parts))
    versions = result["versions"]
    console.print(
        "versions: " + ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))
    )
    if args.json:
        from adamlab.fileio import atomic_write_json

        write_output("--json", args.json, atomic_write_json, result)
        console.print(f"wrote {args.json}")
    return 0
