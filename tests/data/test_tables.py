"""Bundled tables: split sizes, stratification, determinism and train-only scaling."""

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from adamlab.data import TASKS, load_task


@pytest.fixture(scope="module")
def digits_raw():
    bunch = load_digits()
    return bunch.data, bunch.target


def test_registry_lists_the_four_tasks_with_descriptions():
    assert list(TASKS) == ["digits", "breast-cancer", "sunspots", "co2"]
    for spec in TASKS.values():
        assert spec.description and "\n" not in spec.description


def test_unknown_task_lists_valid_names():
    with pytest.raises(
        ValueError, match=r"unknown task 'mnist'; valid tasks: digits, "
    ):
        load_task("mnist")


def test_unknown_option_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"'digits' does not take the option 'window'"):
        load_task("digits", window=12)


@pytest.mark.parametrize("dtype", ["float16", "int64", "nonsense"])
def test_bad_dtype(dtype):
    with pytest.raises(ValueError, match="dtype must be float32 or float64"):
        load_task("digits", dtype=dtype)


def test_negative_split_seed_is_refused():
    with pytest.raises(ValueError, match="split_seed must be an integer >= 0, got -1"):
        load_task("breast-cancer", split_seed=-1)


def test_digits_sizes_labels_and_pixel_scaling(digits_raw):
    X_raw, y_raw = digits_raw
    task = load_task("digits", dtype=np.float32)
    assert (task.kind, task.n_outputs, task.n_features) == ("multiclass", 10, 64)
    assert (task.n_train, task.n_val, task.n_test) == (1077, 360, 360)
    assert task.X_train.dtype == np.float32 and task.y_train.dtype == np.int64
    X_all = np.concatenate([task.X_train, task.X_val, task.X_test]).astype(np.float64)
    assert X_all.min() == 0.0 and X_all.max() == 1.0
    # Every row, times 16, is an original image with its own label, each once.
    pixels = np.rint(X_all * 16).astype(np.int64)
    np.testing.assert_allclose(X_all * 16, pixels, atol=1e-5)
    labels = np.concatenate([task.y_train, task.y_val, task.y_test])
    ours = sorted(map(tuple, np.column_stack([pixels, labels]).tolist()))
    theirs = sorted(map(tuple, np.column_stack([X_raw, y_raw]).astype(int).tolist()))
    assert ours == theirs


def test_split_is_stratified(digits_raw):
    _, y_raw = digits_raw
    task = load_task("digits", split_seed=3)
    total = np.bincount(y_raw, minlength=10)
    for y, share in ((task.y_train, 0.6), (task.y_val, 0.2), (task.y_test, 0.2)):
        counts = np.bincount(y, minlength=10)
        assert np.all(np.abs(counts - share * total) <= 1.5)


def test_split_depends_on_split_seed_only():
    a = load_task("breast-cancer", split_seed=1)
    b = load_task("breast-cancer", split_seed=1)
    c = load_task("breast-cancer", split_seed=2)
    d = load_task("breast-cancer")  # default split_seed is 0
    e = load_task("breast-cancer", split_seed=0)
    for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
        np.testing.assert_array_equal(getattr(d, name), getattr(e, name))
    assert not np.array_equal(a.y_train, c.y_train)


def test_breast_cancer_standardized_with_train_statistics_only():
    bunch = load_breast_cancer()
    task = load_task("breast-cancer", split_seed=4)
    assert (task.kind, task.n_outputs, task.n_features) == ("binary", 1, 30)
    assert (task.n_train, task.n_val, task.n_test) == (341, 114, 114)
    assert set(np.unique(task.y_train)) == {0, 1}

    # Undo the transform and find each training row in the raw data.
    raw_train = task.X_train * task.feature_scale + task.feature_mean
    raw_rows = {tuple(np.round(r, 6)) for r in bunch.data}
    assert all(tuple(np.round(r, 6)) in raw_rows for r in raw_train)

    # Independent statistics of those raw training rows.
    mean = raw_train.mean(axis=0)
    std = np.sqrt(((raw_train - mean) ** 2).mean(axis=0))
    np.testing.assert_allclose(task.feature_mean, mean, rtol=1e-9)
    np.testing.assert_allclose(task.feature_scale, std, rtol=1e-9)
    np.testing.assert_allclose(task.X_train.mean(axis=0), 0.0, atol=1e-9)
    np.testing.assert_allclose(task.X_train.std(axis=0), 1.0, rtol=1e-9)
    # The held-out parts were not used: their means are not exactly zero.
    assert np.abs(task.X_test.mean(axis=0)).max() > 1e-3
