"""``adamlab bench``: time the fused step against NumPy, torch and the floor."""

from __future__ import annotations

import argparse

DEFAULT_OPTIMIZERS = "adam,adamw"


def _int_list(text: str) -> list[int]:
    try:
        return [int(float(x)) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated counts such as 1e4,1e6, got {text!r}"
        ) from exc


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
            "scikit-learn and torch. torch columns are skipped without torch."
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
        help="float32 parameter counts (default 1e4,1e5,1e6,1e7,5e7)",
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
        type=float,
        default=1.0,
        help="seconds of timing per contender and case (default 1.0)",
    )
    parser.add_argument(
        "--no-fixed-cost", action="store_true", help="skip the tiny-model step cost"
    )
    parser.add_argument(
        "--no-digits", action="store_true", help="skip the digits training run"
    )
    parser.add_argument(
        "--epochs", type=int, default=100, help="digits epochs (default 100)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small sizes and short budgets, to check that everything runs",
    )
    parser.add_argument("--json", metavar="PATH", help="also write results as JSON")


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


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from adamlab import bench

    console = Console(width=max(Console().width, 150))
    names = [n.strip() for n in args.optimizers.split(",") if n.strip()]
    if names == ["all"]:
        names = list(bench.OPTIMIZERS)
    unknown = [n for n in names if n not in bench.OPTIMIZERS]
    if unknown or not names:
        console.print(
            f"[red]error:[/red] --optimizers must name some of "
            f"{', '.join(bench.OPTIMIZERS)} (or all), got {args.optimizers!r}"
        )
        return 2
    sizes = args.sizes if args.sizes is not None else list(bench.SIZES)
    f64 = args.float64_sizes
    if f64 is None:
        f64 = list(bench.FLOAT64_SIZES)
    tensors = None if args.no_tensors else bench.TENSORS
    budget, epochs = args.budget, args.epochs
    if args.quick:
        sizes, f64, tensors = [10_000, 1_000_000], [100_000], (50, 2_000)
        budget, epochs = min(budget, 0.2), min(epochs, 5)

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

        atomic_write_json(args.json, result)
        console.print(f"wrote {args.json}")
    return 0
