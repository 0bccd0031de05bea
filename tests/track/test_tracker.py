"""Tracker values against independent float64 computations."""

import math

import numpy as np
import pytest

from adamlab.optim import Adam
from adamlab.track import Tracker
from adamlab.track.records import (
    from_json,
    read_csv,
    read_json,
    records_from_csv,
    records_to_csv,
    to_json,
    write_csv,
    write_json,
)

MASK = (1 << 64) - 1


def stratified_indices(n, limit):
    """The documented sample, restated with Python integers: one element per
    stratum ``[i n // limit, (i + 1) n // limit)``, at SplitMix64(i)'s top 32
    bits scaled to its length."""
    if n <= limit:
        return list(range(n))
    picks = []
    for i in range(limit):
        z = (i + 0x9E3779B97F4A7C15) & MASK
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        first = i * n // limit
        picks.append(first + ((z >> 32) * ((i + 1) * n // limit - first) >> 32))
    return picks


def stratified(array, limit):
    return array[stratified_indices(array.size, limit)]


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    buffer = rng.normal(size=3 * 4 + 4)
    params = [("w", buffer[:12].reshape(3, 4)), ("b", buffer[12:])]
    grad_seq = [[rng.normal(size=(3, 4)), rng.normal(size=4) * 0.1] for _ in range(7)]
    return params, grad_seq


def test_norms_and_adam_effective_lr_match_restatement():
    params, grad_seq = make_problem()
    lr, b1, b2, eps = 1e-2, 0.9, 0.99, 1e-8
    opt = Adam(params, lr=lr, betas=(b1, b2), eps=eps)
    tracker = Tracker.watch(opt, every=3)
    names = [n for n, _ in params]
    arrays = [a for _, a in params]
    m = [np.zeros(a.shape) for a in arrays]
    v = [np.zeros(a.shape) for a in arrays]
    expected = {}
    for t, grads in enumerate(grad_seq, start=1):
        before = [a.copy() for a in arrays]
        tracker.step(grads, loss=float(t))
        for i, g in enumerate(grads):
            m[i] = b1 * m[i] + (1 - b1) * g
            v[i] = b2 * v[i] + (1 - b2) * g * g
        if t == 1 or t % 3 == 0:
            row = {}
            sq = {"grad": 0.0, "update": 0.0, "param": 0.0}
            pooled = []
            for i, name in enumerate(names):
                g = np.linalg.norm(grads[i])
                u = np.linalg.norm(arrays[i] - before[i])
                p = np.linalg.norm(before[i])
                row[f"grad_norm/{name}"] = g
                row[f"update_norm/{name}"] = u
                row[f"update_ratio/{name}"] = u / p
                sq["grad"] += g * g
                sq["update"] += u * u
                sq["param"] += p * p
                bc1, bc2 = 1 - b1**t, 1 - b2**t
                eff = (lr / bc1) / (np.sqrt(v[i] / bc2) + eps)
                row[f"effective_lr_mean/{name}"] = eff.mean()
                row[f"effective_lr_p50/{name}"] = np.median(eff)
                row[f"bias_correction1/{name}"] = bc1
                row[f"bias_correction2/{name}"] = bc2
                pooled.append(eff.ravel())
            row["grad_norm"] = math.sqrt(sq["grad"])
            row["update_norm"] = math.sqrt(sq["update"])
            row["update_ratio"] = math.sqrt(sq["update"] / sq["param"])
            row["effective_lr_mean"] = np.concatenate(pooled).mean()
            row["loss"] = float(t)
            row["lr"] = lr
            row["beta1"] = b1
            expected[t] = row
    assert [r["step"] for r in tracker.records] == [1, 3, 6]
    for record in tracker.records:
        for key, value in expected[record["step"]].items():
            assert record[key] == pytest.approx(value, rel=1e-10), key


def test_callback_records_every_k_steps_in_training():
    from adamlab.train import RunConfig, build

    tracker = Tracker(every=5)
    trainer = build(
        RunConfig(task="digits", epochs=1, hidden=(8,), batch_size=256),
        callbacks=(tracker,),
    )
    trainer.fit()
    steps = [r["step"] for r in tracker.records]
    assert steps == [s for s in range(1, trainer.step + 1) if s == 1 or s % 5 == 0]
    for record in tracker.records:
        assert record["epoch"] == 1
        assert math.isfinite(record["loss"]) and record["grad_norm"] > 0
        assert "grad_norm/hidden.weight" in record
        assert "effective_lr_p90/output.bias" in record


def test_scalar_signals_pass_through_and_arrays_are_summarised():
    class Signals(Adam):
        def diagnostics(self):
            out = super().diagnostics()
            for i, name in enumerate(self.param_names):
                out[name]["bound_fraction"] = 0.25 * (i + 1)
                out[name]["clipped"] = True
                out[name]["odd"] = np.arange(5.0)
                out[name]["note"] = "not a number"
            return out

    params, grad_seq = make_problem()
    opt = Signals(params, lr=1e-3)
    tracker = Tracker.watch(opt, every=1, quantiles=(0.5,))
    opt.param_groups[0]["lr"] = 5e-4
    opt.param_groups[0]["betas"] = (0.8, 0.999)
    tracker.step(grad_seq[0])
    record = tracker.records[0]
    assert record["lr"] == 5e-4 and record["beta1"] == 0.8
    assert record["bound_fraction/w"] == 0.25 and record["bound_fraction/b"] == 0.5
    # Whole model: weighted by parameter size (12 and 4 elements).
    assert record["bound_fraction"] == pytest.approx((0.25 * 12 + 0.5 * 4) / 16)
    assert record["clipped/w"] == 1 and record["clipped"] == 1
    assert record["odd_mean/w"] == 2.0 and record["odd_p50/b"] == 2.0
    assert not any(key.startswith("note") for key in record)


def test_tracker_rejects_bad_arguments():
    with pytest.raises(ValueError, match="every must be >= 1, got 0"):
        Tracker(every=0)
    with pytest.raises(TypeError, match="every must be an integer"):
        Tracker(every=2.5)
    with pytest.raises(ValueError, match=r"quantiles must lie in \(0, 1\), got 1.5"):
        Tracker(quantiles=(0.5, 1.5))
    with pytest.raises(ValueError, match="watches no optimizer"):
        Tracker().before_step(1)


def test_csv_and_json_round_trip(tmp_path):
    records = [
        {"step": 1, "loss": 0.1 + 0.2, "grad_norm/a.b": 1e-300, "name": "x,y"},
        {"step": 10, "loss": math.nan, "extra": -math.inf, "flag": 3},
    ]
    back = records_from_csv(records_to_csv(records))
    assert back[0] == records[0]
    assert back[1]["step"] == 10 and isinstance(back[1]["step"], int)
    assert math.isnan(back[1]["loss"]) and back[1]["extra"] == -math.inf
    assert "grad_norm/a.b" not in back[1]
    write_csv(tmp_path / "r.csv", records)
    assert read_csv(tmp_path / "r.csv")[0] == records[0]

    text = to_json(records)
    assert "NaN" in text and "-Infinity" in text
    again = from_json(text)
    assert again[0] == records[0] and math.isnan(again[1]["loss"])
    write_json(tmp_path / "r.json", {"records": records})
    assert read_json(tmp_path / "r.json")["records"][1]["extra"] == -math.inf


def test_csv_writes_numpy_scalars_as_the_numbers_they_are():
    # NumPy 2's float64 is a float whose repr names its type; its bool and
    # integers are not Python's. Each must read back as the same number.
    records = [
        {
            "a": np.float64(0.1),
            "b": np.float32(0.5),
            "c": np.bool_(True),
            "d": np.int64(-7),
            "e": True,
        }
    ]
    (back,) = records_from_csv(records_to_csv(records))
    assert back == {"a": 0.1, "b": 0.5, "c": 1, "d": -7, "e": 1}
    assert type(back["a"]) is float and type(back["d"]) is int


@pytest.mark.parametrize("flat_params", [True, False])
@pytest.mark.parametrize("flat_grads", [True, False])
def test_norms_agree_for_flat_and_separate_layouts(flat_params, flat_grads):
    rng = np.random.default_rng(3)
    shapes = [(5, 7), (7,), (0,), (7, 2), (2,)]
    sizes = [int(np.prod(s)) for s in shapes]
    values = rng.normal(size=sum(sizes))
    if flat_params:
        buffer = values.copy()
        cuts = np.cumsum([0, *sizes])
        arrays = [buffer[a:b].reshape(s) for a, b, s in zip(cuts, cuts[1:], shapes)]
    else:
        arrays = [values[:n].reshape(s).copy() for n, s in zip(sizes, shapes)]
    names = [f"p{i}" for i in range(len(shapes))]
    grad_seq = []
    for _ in range(3):
        g = rng.normal(size=sum(sizes))
        cuts = np.cumsum([0, *sizes])
        grads = [g[a:b].reshape(s) for a, b, s in zip(cuts, cuts[1:], shapes)]
        grad_seq.append(grads if flat_grads else [x.copy() for x in grads])
    opt = Adam(list(zip(names, arrays)), lr=1e-2)
    tracker = Tracker.watch(opt, every=1)
    for grads in grad_seq:
        before = [a.copy() for a in arrays]
        tracker.step(grads, loss=0.0)
        record = tracker.records[-1]
        total = {"grad": 0.0, "param": 0.0, "update": 0.0}
        for name, b, a, g in zip(names, before, arrays, grads):
            for key, x in (("grad", g), ("param", b), ("update", a - b)):
                norm = float(np.sqrt(np.sum(x.astype(np.float64) ** 2)))
                total[key] += norm * norm
                assert record[f"{key}_norm/{name}"] == pytest.approx(norm, rel=1e-12)
        for key, value in total.items():
            assert record[f"{key}_norm"] == pytest.approx(math.sqrt(value), rel=1e-12)


def test_absent_gradient_and_nan_parameter_give_nan():
    buffer = np.arange(1.0, 9.0)
    params = [("w", buffer[:6].reshape(2, 3)), ("b", buffer[6:])]
    opt = Adam(params, lr=1e-2)
    tracker = Tracker.watch(opt, every=1)
    tracker.step([np.ones((2, 3)), None])
    record = tracker.records[-1]
    assert record["grad_norm/w"] == pytest.approx(math.sqrt(6.0))
    assert math.isnan(record["grad_norm/b"]) and math.isnan(record["grad_norm"])
    assert record["param_norm/b"] == pytest.approx(math.hypot(7.0, 8.0))
    buffer[0] = np.nan
    tracker.step([np.ones((2, 3)), np.ones(2)])
    record = tracker.records[-1]
    assert math.isnan(record["param_norm/w"]) and math.isnan(record["param_norm"])
    assert record["param_norm/b"] == pytest.approx(math.hypot(7.0, 8.0), rel=1e-3)


def test_pooled_quantiles_use_the_stratified_sample_of_the_concatenation():
    sizes = {"a": 1001, "b": 17, "c": 0, "d": 2503}
    rng = np.random.default_rng(5)
    signals = {name: rng.normal(size=n) ** 3 for name, n in sizes.items()}

    class Signals(Adam):
        def diagnostics(self):
            out = super().diagnostics()
            for name in self.param_names:
                out[name]["odd"] = signals[name]
            return out

    params = [(name, np.ones(max(n, 1))) for name, n in sizes.items()]
    opt = Signals(params, lr=1e-3)
    sample = 300
    tracker = Tracker.watch(opt, every=1, quantile_sample=sample)
    tracker.step([np.ones_like(p) for _, p in params])
    record = tracker.records[0]
    pooled = np.concatenate(list(signals.values()))
    expected = np.quantile(stratified(pooled, sample), [0.1, 0.5, 0.9])
    for label, value in zip(("p10", "p50", "p90"), expected):
        assert record[f"odd_{label}"] == pytest.approx(value, rel=1e-12)
    # Means are those of each parameter's sample, pooled weighted by size.
    means = {n: stratified(x, sample).mean() for n, x in signals.items() if x.size}
    pooled_mean = sum(means[n] * signals[n].size for n in means) / pooled.size
    assert record["odd_mean"] == pytest.approx(pooled_mean, rel=1e-12, abs=1e-15)
    a = stratified(signals["a"], sample)
    assert record["odd_p50/a"] == pytest.approx(np.median(a), rel=1e-12)
    assert record["odd_mean/b"] == pytest.approx(signals["b"].mean(), rel=1e-12)
    assert "odd_mean/c" not in record


@pytest.mark.parametrize("quantiles", [(0.1, 0.5, 0.9), (0.75, 0.05, 0.5, 0.3)])
def test_signals_tiling_one_buffer_match_sampled_numpy_quantiles(quantiles):
    # Signals that are consecutive views of one buffer take the one-kernel
    # path; each summary must match np.quantile of the same stratified sample.
    sizes = {"w1": 2600, "b1": 40, "w2": 700, "b2": 3}
    rng = np.random.default_rng(11)
    buffer = np.round(rng.lognormal(size=sum(sizes.values())), 1)  # many ties
    buffer[100:400] = buffer.max()
    views, start = {}, 0
    for name, n in sizes.items():
        views[name] = buffer[start : start + n]
        start += n
    nan_buffer = buffer.copy()
    nan_buffer[2640 + stratified_indices(700, 256)[5]] = np.nan  # sampled, in w2

    class Signals(Adam):
        def diagnostics(self):
            out = super().diagnostics()
            nan_views = np.split(nan_buffer, np.cumsum(list(sizes.values()))[:-1])
            for (name, view), nan_view in zip(views.items(), nan_views):
                out[name]["sig"] = view
                out[name]["bad"] = nan_view
            return out

    params = [(name, np.ones(n)) for name, n in sizes.items()]
    opt = Signals(params, lr=1e-3)
    sample = 256
    tracker = Tracker.watch(opt, every=1, quantiles=quantiles, quantile_sample=sample)
    tracker.step([np.ones(n) for n in sizes.values()])
    record = tracker.records[0]
    labels = [f"p{round(q * 100):02d}" for q in quantiles]

    def expect(array, suffix, mean):
        values = np.quantile(stratified(array, sample), quantiles)
        assert record[f"sig_mean{suffix}"] == pytest.approx(mean, rel=1e-12)
        for label, value in zip(labels, values):
            assert record[f"sig_{label}{suffix}"] == pytest.approx(value, rel=1e-12)

    # Each mean is its sample's; the whole model's weights them by size.
    means = {name: stratified(view, sample).mean() for name, view in views.items()}
    for name, view in views.items():
        expect(view, f"/{name}", means[name])
    pooled = sum(means[name] * n for name, n in sizes.items()) / buffer.size
    expect(buffer, "", pooled)
    assert all(math.isnan(record[f"bad_{label}"]) for label in labels)
    assert all(math.isnan(record[f"bad_{label}/w2"]) for label in labels)
    assert math.isnan(record["bad_mean/w2"]) and math.isnan(record["bad_mean"])
    w1 = np.quantile(stratified(nan_buffer[:2600], sample), quantiles)
    for label, value in zip(labels, w1):
        assert record[f"bad_{label}/w1"] == pytest.approx(value, rel=1e-12)


def test_adam_diagnostics_views_match_per_parameter_formula():
    # The flat computation of effective_lr equals the per-parameter formula.
    params, grad_seq = make_problem(3)
    lr, b1, b2, eps = 3e-3, 0.85, 0.98, 1e-6
    opt = Adam(params, lr=lr, betas=(b1, b2), eps=eps, amsgrad=True)
    for grads in grad_seq[:4]:
        opt.step(grads)
    diagnostics = opt.diagnostics()
    for index, (name, array) in enumerate(params):
        state = opt.state[index]
        v_max = state["max_exp_avg_sq"]
        bc1, bc2 = 1 - b1**4, 1 - b2**4
        expected = (lr / bc1) / (np.sqrt(v_max) / math.sqrt(bc2) + eps)
        entry = diagnostics[name]
        assert entry["step"] == 4
        assert entry["effective_lr"].shape == array.shape
        np.testing.assert_allclose(entry["effective_lr"], expected, rtol=1e-14)
        assert entry["bias_correction1"] == pytest.approx(bc1, rel=1e-14)
        assert entry["bias_correction2"] == pytest.approx(bc2, rel=1e-14)


@pytest.mark.parametrize("per_parameter", [True, False])
@pytest.mark.parametrize("quantiles", [(0.1, 0.5, 0.9), (0.9, 0.25)])
@pytest.mark.parametrize(
    ("dtype", "options"),
    [
        (np.float64, {"amsgrad": True}),
        (np.float32, {}),
        (np.float64, {"eps_mode": "hat"}),
    ],
)
def test_fast_flat_path_records_what_the_general_path_records(
    per_parameter, quantiles, dtype, options, monkeypatch
):
    # Two identical runs: gradients in one buffer (the fast path: one kernel
    # call for the norms and the signals' summaries, Adam's effective lr
    # computed in it from its source where the form allows) and gradients as
    # separate arrays (the general path, through optimizer.diagnostics()).
    from adamlab.optim.layout import pack
    from adamlab.track import norms

    rng = np.random.default_rng(8)
    shapes = [(40, 30), (30,), (30, 3), (3,)]
    grad_seq = [[rng.normal(size=s).astype(dtype) for s in shapes] for _ in range(4)]
    fast_calls = []
    for kernel in ("_record", "_record_source"):
        original = getattr(norms, kernel)
        monkeypatch.setattr(
            norms,
            kernel,
            lambda *a, _f=original, _m=kernel[1:]: fast_calls.append(_m) or _f(*a),
        )
    records = []
    for flat_grads in (True, False):
        _, params = pack(
            [
                np.linspace(-1, 1, int(np.prod(s)), dtype=dtype).reshape(s)
                for s in shapes
            ]
        )
        opt = Adam(list(zip("abcd", params)), lr=1e-2, **options)
        tracker = Tracker.watch(
            opt,
            every=2,
            quantiles=quantiles,
            per_parameter=per_parameter,
            quantile_sample=500,
        )
        for grads in grad_seq:
            tracker.step(pack(grads)[1] if flat_grads else grads, loss=1.0)
        records.append(tracker.records)
    # Steps 1, 2 and 4 of the flat run; the effective lr from its source
    # where the denominator has the default form.
    sourced = options.get("eps_mode", "outside") == "outside"
    assert fast_calls == ["record_source" if sourced else "record"] * 3
    for fast, general in zip(*records):
        assert list(fast) == list(general)
        for key, value in general.items():
            assert fast[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key
            assert type(fast[key]) is type(value), key
