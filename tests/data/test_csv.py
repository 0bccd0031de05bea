"""The user's CSV files: tables and series, and every error message."""

import numpy as np
import pytest

from adamlab.data import load_csv_series, load_csv_table


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def table_text(n_per_class=6, classes=("cat", "dog")):
    rows = ["a,b,label"]
    for k, label in enumerate(classes):
        for i in range(n_per_class):
            rows.append(f"{i + 10 * k},{(i * 7) % 5 - k},{label}")
    return "\n".join(rows) + "\n"


def one_line(excinfo):
    assert "\n" not in str(excinfo.value)


def test_table_labels_split_and_scaling(tmp_path):
    path = write(tmp_path, table_text(n_per_class=10))
    task = load_csv_table(path, "label", split_seed=2, dtype=np.float32)
    assert (task.kind, task.n_outputs, task.n_features) == ("binary", 1, 2)
    assert task.class_names == ("cat", "dog")
    assert task.feature_names == ("a", "b")
    assert (task.n_train, task.n_val, task.n_test) == (12, 4, 4)
    assert np.bincount(task.y_test).tolist() == [2, 2]
    raw = task.X_train.astype(np.float64) * task.feature_scale + task.feature_mean
    np.testing.assert_allclose(task.feature_mean, raw.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(task.feature_scale, raw.std(axis=0), rtol=1e-6)
    again = load_csv_table(path, "label", split_seed=2, dtype=np.float32)
    np.testing.assert_array_equal(task.X_val, again.X_val)


def test_numeric_labels_sorted_as_numbers_and_multiclass(tmp_path):
    path = write(tmp_path, table_text(classes=("10", "9", "-1")))
    task = load_csv_table(path, "label")
    assert task.class_names == ("-1", "9", "10")
    assert (task.kind, task.n_outputs) == ("multiclass", 3)


def test_table_missing_values_policy(tmp_path):
    text = table_text(n_per_class=8).replace("\n3,", "\n,", 1)
    path = write(tmp_path, text)
    with pytest.raises(
        ValueError,
        match=r"1 rows with missing values \(first at row 4, column 'a'\); use "
        r"--missing drop \(missing='drop' in Python\)",
    ) as excinfo:
        load_csv_table(path, "label")
    one_line(excinfo)
    task = load_csv_table(path, "label", missing="drop")
    assert task.n_missing_dropped == 1
    assert task.n_train + task.n_val + task.n_test == 15


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", r"CSV file .*data\.csv is empty; expected a header"),
        ("\n\n", r"is empty"),
        ("a,b,label\n", r"has a header but no data rows"),
        (
            "a,b,label\n1,2,x\n1,2,3,4,5\n",
            r"line 3 of .*data\.csv has 5 fields where the header has 3; expected",
        ),
        (
            "a,b,label\n1,2,x\n3,4,x\n5,abc,y\n",
            r"column 'b' of .*data\.csv has a non-numeric value 'abc' at row 3; ",
        ),
        ("a,b,label\n1,inf,x\n", r"non-numeric value 'inf' at row 1"),
        ("label\nx\ny\n", r"has only the target column 'label'; expected at least"),
    ],
)
def test_table_file_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=message) as excinfo:
        load_csv_table(path, "label")
    one_line(excinfo)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(ValueError, match=r"CSV file not found: .*nope\.csv"):
        load_csv_table(tmp_path / "nope.csv", "label")
    with pytest.raises(ValueError, match=r"CSV file not found: .*nope\.csv"):
        load_csv_series(tmp_path / "nope.csv", "y")
    with pytest.raises(ValueError, match="is a directory, expected a file"):
        load_csv_table(tmp_path, "label")


def test_unreadable_bytes(tmp_path):
    path = tmp_path / "binary.csv"
    path.write_bytes(b"a,b\n\xff\xfe\xfa,\x00\x81\n")
    with pytest.raises(ValueError, match=r"cannot read .*binary\.csv as CSV") as exc:
        load_csv_table(path, "a")
    one_line(exc)


def test_missing_column_lists_the_available_ones(tmp_path):
    path = write(tmp_path, table_text())
    with pytest.raises(
        ValueError,
        match=r"target column 'y' not found in .*; available columns: 'a', 'b', "
        r"'label'",
    ):
        load_csv_table(path, "y")
    with pytest.raises(ValueError, match=r"column 'c' not found in .*: 'a', 'b'"):
        load_csv_series(path, "c")


def test_single_class_target(tmp_path):
    path = write(tmp_path, table_text(classes=("only",)))
    with pytest.raises(
        ValueError, match=r"target column 'label' of .* has a single class \('only'\)"
    ):
        load_csv_table(path, "label")


def test_too_few_rows_in_a_class(tmp_path):
    text = table_text(n_per_class=8) + "1,2,bird\n"
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=r"class 'bird' .* has 1 rows; a stratified"):
        load_csv_table(path, "label")


def test_constant_features(tmp_path):
    rows = ["a,b,label"] + [f"1,2,{'xy'[i % 2]}" for i in range(20)]
    path = write(tmp_path, "\n".join(rows) + "\n")
    with pytest.raises(ValueError, match="every feature of .* is constant"):
        load_csv_table(path, "label")


def series_text(values, dates=None):
    if dates is None:
        return "y\n" + "\n".join(values) + "\n"
    return "date,y\n" + "\n".join(f"{d},{v}" for d, v in zip(dates, values)) + "\n"


def test_series_in_file_order(tmp_path):
    values = [str(float(v)) for v in np.sin(np.arange(40) / 2.0)]
    path = write(tmp_path, series_text(values))
    task = load_csv_series(path, "y", window=4, sequence=True)
    np.testing.assert_array_equal(task.series.values, np.array(values, dtype=float))
    np.testing.assert_array_equal(task.series.times, np.arange(40))
    assert task.X_train.shape[1:] == (4, 1)


def test_series_sorted_by_date_and_interpolated_in_time(tmp_path):
    dates = [f"2020-01-{d:02d}" for d in range(1, 31)]
    values = [str(2.0 * d) for d in range(1, 31)]
    values[5] = ""  # 2020-01-06
    order = list(reversed(range(30)))  # newest first in the file
    path = write(
        tmp_path, series_text([values[i] for i in order], [dates[i] for i in order])
    )
    with pytest.raises(ValueError, match=r"1 missing values .*missing='interpolate'"):
        load_csv_series(path, "y", date_column="date", window=3)
    task = load_csv_series(
        path, "y", date_column="date", window=3, missing="interpolate"
    )
    np.testing.assert_array_equal(task.series.values, 2.0 * np.arange(1, 31))
    assert task.n_missing_filled == 1
    assert task.series.times[0] == np.datetime64("2020-01-01")
    dropped = load_csv_series(path, "y", date_column="date", window=3, missing="drop")
    assert dropped.n_missing_dropped == 1 and len(dropped.series.values) == 29


def test_series_date_errors(tmp_path):
    path = write(
        tmp_path, series_text(["1", "2", "3"], ["2020-01-01", "soon", "2020-01-03"])
    )
    with pytest.raises(ValueError, match=r"'date' of .* not a date, 'soon', at row 2"):
        load_csv_series(path, "y", date_column="date")
    path = write(tmp_path, series_text(["1", "2"], ["2020-01-01", "2020-01-01"]))
    with pytest.raises(
        ValueError, match=r"repeats the date 2020-01-01; expected one row per date"
    ):
        load_csv_series(path, "y", date_column="date")
    with pytest.raises(ValueError, match=r"date column 'when' not found"):
        load_csv_series(path, "y", date_column="when")


def test_series_errors(tmp_path):
    path = write(tmp_path, series_text([str(v) for v in range(10)]))
    with pytest.raises(
        ValueError,
        match=r"column 'y' of .*data\.csv has 10 values, too short for window=12 "
        r"and horizon=1: at least \d+ are needed",
    ) as excinfo:
        load_csv_series(path, "y")
    one_line(excinfo)
    path = write(tmp_path, series_text(["1", "2", "x3"]))
    with pytest.raises(ValueError, match=r"non-numeric value 'x3' at row 3"):
        load_csv_series(path, "y")
    path = write(tmp_path, series_text(["4"] * 40))
    with pytest.raises(ValueError, match=r"is constant \(4\) over its training"):
        load_csv_series(path, "y", window=3)
    with pytest.raises(ValueError, match="missing must be one of"):
        load_csv_series(path, "y", missing="zero")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A short row was reported as a missing value in column 'label'.
        (
            "a,b,label\n1,2,x\n\n3,4\n",
            r"line 4 of .*data\.csv has 2 fields where the header has 3; expected "
            r"one value per column \(an empty cell for a missing value\)",
        ),
        ("a,b,label\n1,2,x\n5\n", r"line 3 of .*data\.csv has 1 field where"),
        # pandas would rename the second 'a' to 'a.1' and call an empty name
        # 'Unnamed: 1'.
        (
            "a,b,a,label\n1,2,3,x\n",
            r"data\.csv names the column 'a' twice in its header \(columns 1 and 3\)"
            r"; column names must be distinct",
        ),
        ("a, b ,b,label\n1,2,3,x\n", r"names the column 'b' twice .*columns 2 and 3"),
        (
            "a,,b,label\n1,2,3,x\n",
            r"column 2 of .*data\.csv has an empty name in the header; every column "
            "needs a name",
        ),
        ("a,b,label,\n1,2,x,\n", r"column 4 of .*data\.csv has an empty name"),
    ],
)
def test_header_and_row_width_errors(tmp_path, text, message):
    path = write(tmp_path, text)
    for load in (
        lambda: load_csv_table(path, "label"),
        lambda: load_csv_series(path, "a"),
    ):
        with pytest.raises(ValueError, match=message) as excinfo:
            load()
        one_line(excinfo)


def test_blank_and_quoted_lines_are_not_short_rows(tmp_path):
    rows = table_text(n_per_class=6).splitlines()
    # A blank line, a line of spaces and a quoted label are ordinary.
    rows[3:3] = ["", "   "]
    rows.insert(8, '3,4,"cat"')
    path = write(tmp_path, "\n".join(rows) + "\n\n")
    task = load_csv_table(path, "label")
    assert task.n_train + task.n_val + task.n_test == 13
    assert task.feature_names == ("a", "b")
