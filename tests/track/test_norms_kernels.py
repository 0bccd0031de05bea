"""The tracker's summary kernel against np.mean and np.quantile."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adamlab.track.norms import sample_summaries

QS = np.array([0.05, 0.1, 0.5, 0.9, 1.0])


def reference(x, qs=QS):
    """np.quantile's linear method restated: sort, then interpolate between
    the neighbours (from the upper one past halfway), except that equal
    neighbours give themselves where NumPy makes NaN of two infinities."""
    x = np.sort(x)
    out = []
    for q in qs:
        position = q * (x.size - 1)
        low = int(position)
        a, b = x[low], x[min(low + 1, x.size - 1)]
        t = position - low
        if a == b or t == 0.0:
            out.append(a)
        elif t >= 0.5:
            with np.errstate(invalid="ignore"):  # inf - inf, as NumPy
                out.append(b - (b - a) * (1 - t))
        else:
            out.append(a + (b - a) * t)
    return np.array(out)


def summarise(parts, sizes=None):
    values = np.concatenate(parts).astype(np.float64)
    bounds = np.cumsum([0] + [len(p) for p in parts]).astype(np.intp)
    sizes = np.array(sizes or [len(p) for p in parts], dtype=np.float64)
    rows = sample_summaries(values.copy(), bounds, 0, values.size, sizes, QS)
    return rows.reshape(len(parts) + 1, QS.size + 1)


def adversarial(kind, n, rng):
    if kind == "lognormal":
        return rng.lognormal(-5, 3, size=n)
    if kind == "signed":
        return rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, size=n)
    if kind == "ties":
        return rng.choice([-2.0, -0.0, 0.0, 1e-300, 3.0, np.inf], size=n)
    if kind == "equal":
        return np.full(n, 0.125)
    return np.concatenate([rng.normal(size=n // 2), np.full(n - n // 2, 7.5)])


@pytest.mark.parametrize("kind", ["lognormal", "signed", "ties", "equal", "mixed"])
@pytest.mark.parametrize("n", [1, 2, 63, 64, 65, 300, 2000])
def test_quantiles_equal_numpy_on_hard_inputs(kind, n):
    rng = np.random.default_rng(n)
    x = adversarial(kind, n, rng)
    rows = summarise([x])
    expected = reference(x)
    if np.isfinite(x).all():
        np.testing.assert_array_equal(expected, np.quantile(x, QS))
    for row in rows:  # the part and the pooled row: the same data
        np.testing.assert_array_equal(row[1:], expected)
    with np.errstate(invalid="ignore"):
        assert rows[0, 0] == pytest.approx(x.mean(), rel=1e-12, nan_ok=True)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.lists(
            st.floats(allow_nan=False, allow_infinity=False, width=64),
            min_size=1,
            max_size=300,
        ),
        min_size=1,
        max_size=4,
    )
)
def test_parts_and_pooled_rows_match_numpy(parts):
    parts = [np.array(p) for p in parts]
    rows = summarise(parts)
    whole = np.concatenate(parts)
    for part, row in zip(parts, rows):
        np.testing.assert_array_equal(row[1:], reference(part))
    np.testing.assert_array_equal(rows[-1, 1:], reference(whole))


def test_pooled_mean_weights_part_means_by_size_and_nan_marks_quantiles():
    a, b = np.arange(10.0), np.array([1.0, np.nan, 3.0])
    rows = summarise([a, b], sizes=[100, 50])
    assert rows[0, 0] == 4.5 and np.isnan(rows[1, 0]) and np.isnan(rows[2, 0])
    assert np.isnan(rows[1, 1:]).all() and np.isnan(rows[2, 1:]).all()
    np.testing.assert_array_equal(rows[0, 1:], reference(a))
    rows = summarise([a, np.array([1.0, 2.0])], sizes=[100, 50])
    assert rows[2, 0] == pytest.approx((4.5 * 100 + 1.5 * 50) / 150)


def test_negative_nan_marks_quantiles_too():
    # A NaN with its sign bit set sorts below every number by its bits.
    x = np.array([1.0, np.copysign(np.nan, -1.0), 3.0])
    rows = summarise([x])
    assert np.isnan(rows).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_record_source_equals_record_of_the_computed_signal(dtype):
    # The effective lr computed inside the record call from its source must
    # be bit for bit NumPy's expression in v's dtype at the same positions
    # (the scalars cast to it), summarised.
    from adamlab.track.norms import SampleSummaries

    rng = np.random.default_rng(3)
    sizes = (700, 30, 5)
    n = sum(sizes)
    parts = [np.sort(rng.choice(s, min(s, 64), replace=False)) for s in sizes]
    starts = np.cumsum((0,) + sizes[:-1])
    at = np.concatenate([p + a for p, a in zip(parts, starts)])
    at = np.concatenate([at, np.sort(rng.choice(n, 64, replace=False))])
    bounds = np.cumsum([0] + [p.size for p in parts])
    v = (rng.lognormal(-12, 3, n) * rng.integers(0, 2, n)).astype(dtype)
    old, new, grad = (rng.normal(size=n).astype(dtype) for _ in range(3))
    scale, inverse, eps = 1e-3 / 0.271, 1 / np.sqrt(0.0199), 1e-8
    made = [
        SampleSummaries(bounds, bounds[-1], at.size, sizes, (0.1, 0.5), starts, at)
        for _ in range(2)
    ]
    cast = v.dtype.type
    signal = cast(scale) / (np.sqrt(v[at]) * cast(inverse) + cast(eps))
    signal = signal.astype(np.float64)
    expected = made[0].record(old, new, grad, signal[np.newaxis])
    got = made[1].record_source(old, new, grad, (v, scale, inverse, eps))
    np.testing.assert_array_equal(got, expected)
    with pytest.raises(ValueError, match="sample positions"):
        SampleSummaries(
            bounds, bounds[-1], at.size, sizes, (0.5,), starts
        ).record_source(old, new, grad, (v, scale, inverse, eps))
