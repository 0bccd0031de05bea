"""Timing adamlab's optimizer step against its peers (the library of ``adamlab bench``).

Everything runs in one process. For each case (an optimizer, a dtype and a
layout of parameters) every contender is built on its own arrays, warmed up
once (numba compiles, torch allocates state), and then timed in interleaved
rounds: one step of each contender per round, in a rotating order, so that a
slow moment of the machine falls on all of them alike. A case reports each
contender's median step time with its quartiles, and the ratios that the issue
sets targets for.

The contenders:

``adamlab``
    The optimizer on parameters and gradients packed into one buffer each,
    i.e. the flat fast path (one fused numba kernel per step).
``numpy``
    The textbook NumPy formulation of Adam (``m = b1*m + (1-b1)*g`` and so on,
    one temporary per operation), for the Adam variants only.
``torch_foreach`` and ``torch_fused``
    torch.optim with ``foreach=True`` / ``fused=True`` on CPU, where torch has
    that optimizer (no AdaBound; fused for Adam and AdamW only). Skipped when
    torch is not installed.
``floor``
    The bandwidth floor of :mod:`adamlab.optim.kernels.floor`: the same reads
    and writes as the optimizer, with no arithmetic to speak of.

Results are plain data (dicts, lists, numbers and strings); nothing is printed.
"""

from __future__ import annotations

import gc
import math
import platform
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

#: Parameter counts of the single-buffer float32 cases.
SIZES = (10_000, 100_000, 1_000_000, 10_000_000, 50_000_000)
#: Parameter counts of the float64 cases.
FLOAT64_SIZES = (10_000_000,)
#: The many-tensor case: this many tensors of this many parameters, one buffer.
TENSORS = (500, 2_000)
#: Optimizers with a fused kernel, by the name the benchmark reports.
OPTIMIZERS = (
    "adam",
    "adamw",
    "amsgrad",
    "nadam",
    "radam",
    "adamax",
    "adabound",
    "amsbound",
)
CONTENDERS = ("adamlab", "numpy", "torch_foreach", "torch_fused", "floor")
#: Shapes of the tiny model whose per-step fixed cost is measured (1,210 values).
TINY_SHAPES = ((64, 16), (16,), (16, 10), (10,))

LR = 1e-3
#: The fewest interleaved rounds of a step case (see :func:`bench_steps`).
STEP_MIN_ROUNDS = 11


def _adamlab_optimizer(name: str, params: list[NDArray]) -> Any:
    from adamlab import optim
    from adamlab.optim.adabound import AdaBound, AMSBound
    from adamlab.optim.adamax import Adamax
    from adamlab.optim.nadam import NAdam
    from adamlab.optim.radam import RAdam

    table: dict[str, Callable[[], Any]] = {
        "adam": lambda: optim.Adam(params, lr=LR),
        "adamw": lambda: optim.AdamW(params, lr=LR, weight_decay=1e-2),
        "amsgrad": lambda: optim.Adam(params, lr=LR, amsgrad=True),
        "nadam": lambda: NAdam(params, lr=LR),
        "radam": lambda: RAdam(params, lr=LR),
        "adamax": lambda: Adamax(params, lr=LR),
        "adabound": lambda: AdaBound(params, lr=LR),
        "amsbound": lambda: AMSBound(params, lr=LR),
    }
    return table[name]()


def _state_count(name: str) -> int:
    return 3 if name in ("amsgrad", "amsbound") else 2


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_available() -> bool:
    """Whether torch can be imported (without it, its contenders are absent)."""
    return _torch() is not None


def _check_count(value: Any, what: str) -> int:
    """A parameter count: a whole number of at least 1, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        if not (isinstance(value, (float, np.floating)) and float(value).is_integer()):
            raise ValueError(f"{what} must be whole numbers, got {value!r}")
    if value < 1:
        raise ValueError(f"{what} must be at least 1, got {value!r}")
    return int(value)


def _torch_optimizer(torch: Any, name: str, params: list, mode: str) -> Any | None:
    """torch's optimizer for ``name`` with ``foreach``/``fused``, or None."""
    flag = {mode: True}
    table: dict[str, Callable[[], Any]] = {
        "adam": lambda: torch.optim.Adam(params, lr=LR, **flag),
        "adamw": lambda: torch.optim.AdamW(params, lr=LR, weight_decay=1e-2, **flag),
        "amsgrad": lambda: torch.optim.Adam(params, lr=LR, amsgrad=True, **flag),
        "nadam": lambda: torch.optim.NAdam(params, lr=LR, **flag),
        "radam": lambda: torch.optim.RAdam(params, lr=LR, **flag),
        "adamax": lambda: torch.optim.Adamax(params, lr=LR, **flag),
    }
    if name not in table:
        return None
    try:
        return table[name]()
    except (RuntimeError, TypeError, ValueError):
        return None


def _textbook_adam(name: str, params: list[NDArray], grads: list[NDArray]):
    """Adam as textbooks write it in NumPy: one temporary per operation."""
    if name not in ("adam", "adamw", "amsgrad"):
        return None
    b1, b2, eps, wd = 0.9, 0.999, 1e-8, 1e-2
    ms = [np.zeros_like(p) for p in params]
    vs = [np.zeros_like(p) for p in params]
    vmax = [np.zeros_like(p) for p in params]
    t = [0]

    def step() -> None:
        t[0] += 1
        for i, (p, g) in enumerate(zip(params, grads)):
            if name == "adamw":
                p *= 1 - LR * wd
            ms[i] = b1 * ms[i] + (1 - b1) * g
            vs[i] = b2 * vs[i] + (1 - b2) * g * g
            v = vs[i]
            if name == "amsgrad":
                vmax[i] = np.maximum(vmax[i], vs[i])
                v = vmax[i]
            m_hat = ms[i] / (1 - b1 ** t[0])
            v_hat = v / (1 - b2 ** t[0])
            p -= LR * m_hat / (np.sqrt(v_hat) + eps)

    return step


def _contenders(
    name: str, shapes: Sequence[tuple[int, ...]], dtype: np.dtype, seed: int
) -> tuple[dict[str, Callable[[], Any]], Any]:
    """One step function per contender, each on its own copy of the problem.

    Also returns adamlab's optimizer, whose ``fused_group_steps`` shows that
    the fast path was timed.
    """
    from adamlab.optim.kernels.floor import floor_step
    from adamlab.optim.layout import pack

    rng = np.random.default_rng(seed)
    init = [rng.standard_normal(s).astype(dtype) for s in shapes]
    grad_values = [(rng.standard_normal(s) * 1e-3).astype(dtype) for s in shapes]
    out: dict[str, Callable[[], Any]] = {}

    _, params = pack(init)
    _, grads = pack(grad_values)
    opt = _adamlab_optimizer(name, params)
    out["adamlab"] = lambda: opt.step(grads)

    textbook = _textbook_adam(name, [p.copy() for p in init], grad_values)
    if textbook is not None:
        out["numpy"] = textbook

    torch = _torch()
    if torch is not None:
        for mode in ("foreach", "fused"):
            tparams = [torch.tensor(p, requires_grad=True) for p in init]
            for tp, g in zip(tparams, grad_values):
                tp.grad = torch.tensor(g)
            topt = _torch_optimizer(torch, name, tparams, mode)
            if topt is not None:
                out[f"torch_{mode}"] = topt.step

    fparam, fgrad = pack(init)[0], pack(grad_values)[0]
    fstates = [np.zeros_like(fparam) for _ in range(_state_count(name))]
    out["floor"] = lambda: floor_step(fparam, fgrad, fstates)
    return out, opt


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    """Median, quartiles, min and max of a list of timings (seconds)."""
    q1, median, q3 = statistics.quantiles(seconds, n=4, method="inclusive")
    return {
        "median_s": median,
        "q1_s": q1,
        "q3_s": q3,
        "min_s": min(seconds),
        "max_s": max(seconds),
        "repeats": len(seconds),
    }


def time_interleaved(
    contenders: dict[str, Callable[[], Any]],
    *,
    budget_s: float = 1.0,
    min_repeats: int = 5,
    max_repeats: int = 200,
    calls: int = 1,
    settle: int = 1,
) -> dict[str, list[float]]:
    """Time each contender in interleaved rounds; seconds per call, per round.

    Each contender is called once to warm up, which also sizes the number of
    rounds so that the slowest contender gets about ``budget_s`` seconds
    (within ``[min_repeats, max_repeats]``). Each round takes the contenders in
    an order rotated every round; for each, ``settle`` untimed calls come first
    (so the thread pools of the contender before it, torch's OpenMP or numba's,
    have gone back to sleep and the timing is of back-to-back steps), then
    ``calls`` timed consecutive calls.
    """
    names = list(contenders)
    warm = {}
    for name in names:
        start = time.perf_counter()
        contenders[name]()
        warm[name] = time.perf_counter() - start
    slowest = max(warm.values()) * (calls + settle)
    repeats = int(min(max_repeats, max(min_repeats, budget_s / max(slowest, 1e-9))))
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            fn = contenders[name]
            for _ in range(settle):
                fn()
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times[name].append((time.perf_counter() - start) / calls)
    return times


def _ratios(medians: dict[str, float]) -> dict[str, float]:
    ours = medians.get("adamlab")
    out: dict[str, float] = {}
    if not ours:
        return out
    for other in ("torch_fused", "torch_foreach", "floor"):
        if other in medians:
            out[f"adamlab_over_{other}"] = ours / medians[other]
    if "numpy" in medians:
        out["numpy_over_adamlab"] = medians["numpy"] / ours
    return out


def step_cases(
    sizes: Sequence[int] = SIZES,
    float64_sizes: Sequence[int] = FLOAT64_SIZES,
    tensors: tuple[int, int] | None = TENSORS,
) -> list[dict[str, Any]]:
    """The (dtype, layout) cases of the step benchmark, smallest first.

    Raises ValueError for a count that is not a whole number of at least 1.
    """
    sizes = [_check_count(n, "sizes") for n in sizes]
    float64_sizes = [_check_count(n, "float64_sizes") for n in float64_sizes]
    cases = [
        {"dtype": "float32", "size": n, "tensors": 1, "shapes": [(n,)]} for n in sizes
    ]
    cases += [
        {"dtype": "float64", "size": n, "tensors": 1, "shapes": [(n,)]}
        for n in float64_sizes
    ]
    if tensors is not None:
        count, each = (_check_count(x, "tensors") for x in tensors)
        cases.append(
            {
                "dtype": "float32",
                "size": count * each,
                "tensors": count,
                "shapes": [(each,)] * count,
            }
        )
    return cases


def bench_steps(
    optimizers: Sequence[str] = ("adam", "adamw"),
    *,
    sizes: Sequence[int] = SIZES,
    float64_sizes: Sequence[int] = FLOAT64_SIZES,
    tensors: tuple[int, int] | None = TENSORS,
    budget_s: float = 1.0,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    """Time one optimizer step per case and contender; one row per case.

    A row holds ``optimizer``, ``dtype``, ``size``, ``tensors``, ``fused``
    (True if every adamlab step took the fused kernel), ``timings``
    (contender -> :func:`summarize`) and ``ratios`` (``adamlab_over_X`` for
    torch_fused, torch_foreach and floor; ``numpy_over_adamlab``, the speed-up
    over the textbook formulation).

    Every case gets at least :data:`STEP_MIN_ROUNDS` rounds, however slow its
    slowest contender (the textbook NumPy step at 5e7 takes about 0.4 s, so
    the budget alone would give the minimum): on a shared machine the
    quartiles of a few rounds span tens of percent.
    """
    if not (isinstance(budget_s, (int, float)) and 0 < budget_s < math.inf):
        raise ValueError(f"budget_s must be a finite number above 0, got {budget_s!r}")
    for name in optimizers:
        if name not in OPTIMIZERS:
            raise ValueError(
                f"optimizer must be one of {', '.join(OPTIMIZERS)}, got {name!r}"
            )
    rows = []
    for case in step_cases(sizes, float64_sizes, tensors):
        for name in optimizers:
            if progress is not None:
                progress(
                    f"{name} {case['dtype']} {case['size']:.0e} x{case['tensors']}"
                )
            contenders, opt = _contenders(
                name, case["shapes"], np.dtype(case["dtype"]), seed
            )
            times = time_interleaved(
                contenders, budget_s=budget_s, min_repeats=STEP_MIN_ROUNDS
            )
            timings = {k: summarize(v) for k, v in times.items()}
            medians = {k: v["median_s"] for k, v in timings.items()}
            rows.append(
                {
                    "optimizer": name,
                    "dtype": case["dtype"],
                    "size": case["size"],
                    "tensors": case["tensors"],
                    "fused": opt.fused_group_steps == opt.completed_steps,
                    "timings": timings,
                    "ratios": _ratios(medians),
                }
            )
            del contenders, times, opt
            gc.collect()
    return rows


def bench_fixed_cost(
    shapes: Sequence[tuple[int, ...]] = TINY_SHAPES,
    *,
    calls: int = 200,
    budget_s: float = 2.0,
    seed: int = 0,
) -> dict[str, Any]:
    """Per-call time of ``step()`` on a tiny model: adamlab Adam against torch's.

    Returns ``timings`` (contender -> :func:`summarize` of seconds per call,
    each round timing ``calls`` calls) and ``ratios``.
    """
    contenders, _ = _contenders("adam", shapes, np.dtype(np.float32), seed)
    contenders.pop("floor", None)
    contenders.pop("numpy", None)
    times = time_interleaved(
        contenders, budget_s=budget_s, min_repeats=10, max_repeats=100, calls=calls
    )
    timings = {k: summarize(v) for k, v in times.items()}
    medians = {k: v["median_s"] for k, v in timings.items()}
    return {
        "parameters": int(sum(int(np.prod(s)) for s in shapes)),
        "shapes": [list(s) for s in shapes],
        "timings": timings,
        "ratios": _ratios(medians),
    }


def _digits_torch(torch: Any, task: Any, hidden: int, epochs: int, batch: int, seed):
    torch.manual_seed(seed)
    x = torch.tensor(task.X_train, dtype=torch.float32)
    y = torch.tensor(task.y_train, dtype=torch.long)
    n_classes = int(max(task.y_train.max(), task.y_test.max())) + 1
    model = torch.nn.Sequential(
        torch.nn.Linear(x.shape[1], hidden),
        torch.nn.ReLU(),
        torch.nn.Linear(hidden, n_classes),
    )
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    start = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(x.shape[0], generator=gen)
        for i in range(0, x.shape[0], batch):
            idx = order[i : i + batch]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        pred = model(torch.tensor(task.X_test, dtype=torch.float32)).argmax(1)
    accuracy = float((pred.numpy() == task.y_test).mean())
    return {"train_seconds": seconds, "test_accuracy": accuracy}


def bench_digits(
    *,
    epochs: int = 100,
    hidden: int = 128,
    batch_size: int = 32,
    seed: int = 0,
    repeats: int = 5,
) -> dict[str, Any]:
    """Train on ``digits`` for ``epochs`` epochs: adamlab, scikit-learn, torch.

    All three use one hidden ReLU layer of ``hidden`` units, Adam with lr 1e-3,
    batches of ``batch_size`` and the same train/test split (adamlab's). adamlab
    trains in float32 through :func:`adamlab.train.run` (its time is the
    training loop's ``train_seconds``, per-epoch validation included);
    scikit-learn's ``MLPClassifier(solver="adam")`` runs with ``alpha=0`` and
    ``tol=0`` so it trains all epochs; torch in float32. After one untimed
    epoch of each (kernels loaded, caches warm), the three are timed in
    ``repeats`` interleaved rounds, in an order rotated every round; the
    medians are reported. Five rounds by default: on a shared machine single
    runs vary by 30% or more, and the median of five moves much less.
    """
    from adamlab.train import RunConfig, run
    from adamlab.train.experiment import load_data

    def config(n_epochs: int) -> RunConfig:
        return RunConfig(
            task="digits",
            optimizer="adam",
            hyperparameters={"lr": LR},
            hidden=(hidden,),
            activation="relu",
            epochs=n_epochs,
            batch_size=batch_size,
            dtype="float32",
            seed=seed,
        )

    task = load_data(config(epochs))
    torch = _torch()

    def ours(n_epochs: int) -> dict[str, float]:
        result = run(config(n_epochs))
        return {
            "train_seconds": float(result["train_seconds"]),
            "test_accuracy": float(result["test_accuracy"]),
        }

    def sklearn(n_epochs: int) -> dict[str, float]:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            activation="relu",
            solver="adam",
            alpha=0.0,
            batch_size=batch_size,
            learning_rate_init=LR,
            max_iter=n_epochs,
            tol=0.0,
            n_iter_no_change=n_epochs + 1,
            random_state=seed,
        )
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            clf.fit(task.X_train, task.y_train)
        seconds = time.perf_counter() - start
        accuracy = float((clf.predict(task.X_test) == task.y_test).mean())
        return {"train_seconds": seconds, "test_accuracy": accuracy}

    contenders: dict[str, Any] = {"adamlab": ours, "sklearn": sklearn}
    if torch is not None:
        contenders["torch"] = lambda n: _digits_torch(
            torch, task, hidden, n, batch_size, seed
        )
    for train in contenders.values():
        train(1)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in contenders}
    names = list(contenders)
    for r in range(max(1, repeats)):
        # The order rotates every round, as in time_interleaved: no contender
        # always follows the same one (torch's thread pool, say).
        shift = r % len(names)
        for name in names[shift:] + names[:shift]:
            runs[name].append(contenders[name](epochs))

    out: dict[str, Any] = {
        "epochs": epochs,
        "hidden": hidden,
        "batch_size": batch_size,
        "repeats": max(1, repeats),
    }
    for name, results in runs.items():
        seconds = [r["train_seconds"] for r in results]
        out[name] = {
            "train_seconds": float(np.median(seconds)),
            "train_seconds_all": seconds,
            "test_accuracy": results[-1]["test_accuracy"],
        }
    ours_s = out["adamlab"]["train_seconds"]
    out["ratios"] = {
        f"adamlab_over_{k}": ours_s / out[k]["train_seconds"]
        for k in ("sklearn", "torch")
        if k in out
    }
    return out


def versions() -> dict[str, str]:
    """Versions of everything the figures depend on, and the machine."""
    import os

    import numba

    import adamlab

    out = {
        "adamlab": getattr(adamlab, "__version__", "unknown"),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpus": str(os.cpu_count()),
        "numba_threads": str(numba.get_num_threads()),
    }
    torch = _torch()
    if torch is not None:
        out["torch"] = torch.__version__
        out["torch_threads"] = str(torch.get_num_threads())
    return out


def run_bench(
    *,
    optimizers: Sequence[str] = ("adam", "adamw"),
    sizes: Sequence[int] = SIZES,
    float64_sizes: Sequence[int] = FLOAT64_SIZES,
    tensors: tuple[int, int] | None = TENSORS,
    budget_s: float = 1.0,
    fixed_cost: bool = True,
    digits: bool = True,
    digits_epochs: int = 100,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The whole benchmark as one JSON-able dict.

    Keys: ``config`` (every option), ``versions``, ``steps`` (rows of
    :func:`bench_steps`), ``fixed_cost`` (:func:`bench_fixed_cost`, or None)
    and ``digits`` (:func:`bench_digits`, or None).
    """
    config = {
        "optimizers": list(optimizers),
        "sizes": [int(n) for n in sizes],
        "float64_sizes": [int(n) for n in float64_sizes],
        "tensors": None if tensors is None else [int(x) for x in tensors],
        "budget_s": budget_s,
        "fixed_cost": fixed_cost,
        "digits": digits,
        "digits_epochs": digits_epochs,
        "seed": seed,
    }
    steps = bench_steps(
        optimizers,
        sizes=sizes,
        float64_sizes=float64_sizes,
        tensors=tensors,
        budget_s=budget_s,
        seed=seed,
        progress=progress,
    )
    fixed = None
    if fixed_cost:
        if progress is not None:
            progress("fixed cost of one step, tiny model")
        fixed = bench_fixed_cost(seed=seed)
    digits_result = None
    if digits:
        if progress is not None:
            progress(f"digits, {digits_epochs} epochs")
        digits_result = bench_digits(epochs=digits_epochs, seed=seed)
    return {
        "config": config,
        "versions": versions(),
        "steps": steps,
        "fixed_cost": fixed,
        "digits": digits_result,
    }
