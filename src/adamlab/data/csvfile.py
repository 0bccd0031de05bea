"""The user's own CSV files: a table to classify or a series to forecast.

Every problem with the file raises ValueError with a one-line message that
names the file, the column and the value at fault and says what was expected;
the command line prints it and exits with status 2.

Conventions: the first line is the header, with distinct, non-empty column
names; every other line has one field per column (a line with more or fewer is
refused, naming its line number in the file); a "row" in other messages counts
data rows from 1 (the header is not counted); empty cells and the usual markers
(``NA``, ``NaN``, ``null``...) are missing values.

Limitations
-----------
Feature columns must be numeric: text categories are refused, not encoded.
In a file of several columns blank lines are skipped by the reader, so a row
number counts data rows, not lines of the file; in a one-column file a blank
line is a missing value (blank lines at the end are ignored). The whole file
is read into memory.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from adamlab.data.checks import check_choice
from adamlab.data.series import (
    DEFAULT_TEST_FRACTION,
    DEFAULT_VAL_FRACTION,
    DEFAULT_WINDOW,
    MISSING_HINT,
    apply_missing_policy,
    build_series_task,
    format_time,
)
from adamlab.data.split import MIN_CLASS_COUNT
from adamlab.data.tables import build_classification
from adamlab.data.taskdata import TaskData

TABLE_MISSING = ("error", "drop")


def read_csv(path: str | os.PathLike):
    """Read a CSV file as strings, turning every failure into a clear ValueError.

    Returns
    -------
    pandas.DataFrame
        All cells as strings, NaN where missing; at least one data row.
    """
    import pandas as pd

    shown = os.fspath(path)
    p = Path(path)
    if not p.exists():
        raise ValueError(f"CSV file not found: {shown}")
    if p.is_dir():
        raise ValueError(f"CSV path is a directory, expected a file: {shown}")
    try:
        _check_layout(p, shown)
        frame = pd.read_csv(p, dtype=str, skipinitialspace=True)
        if frame.shape[1] == 1:
            # One column: a blank line is a missing value, not a line to skip.
            frame = pd.read_csv(
                p, dtype=str, skipinitialspace=True, skip_blank_lines=False
            )
            frame = _trim_trailing_blanks(frame)
    except pd.errors.EmptyDataError:
        raise ValueError(
            f"CSV file {shown} is empty; expected a header line and data rows"
        ) from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        reason = " ".join(str(exc).split())
        raise ValueError(f"cannot read {shown} as CSV: {reason}") from None
    if frame.shape[0] == 0:
        raise ValueError(f"CSV file {shown} has a header but no data rows")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _check_layout(path: Path, shown: str) -> None:
    """Refuse an empty or repeated column name and a row of the wrong width.

    Read from the raw lines, as pandas renames a repeated name (``a.1``), names
    an empty one (``Unnamed: 2``) and fills a short row with missing values.
    Blank lines are skipped, as pandas does. A file the ``csv`` module cannot
    parse is left to pandas.
    """
    import csv

    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle, skipinitialspace=True)
        try:
            header = None
            for fields in reader:
                if _blank(fields):
                    continue
                if header is None:
                    header = [name.strip() for name in fields]
                    _check_header(header, shown)
                elif len(fields) != len(header):
                    raise ValueError(
                        f"line {reader.line_num} of {shown} has {len(fields)} "
                        f"field{'s' if len(fields) != 1 else ''} where the header "
                        f"has {len(header)}; expected one value per column (an "
                        "empty cell for a missing value)"
                    )
        except csv.Error:
            return


def _blank(fields: list[str]) -> bool:
    """Whether a line read by ``csv.reader`` is blank (pandas skips it)."""
    return not fields or (len(fields) == 1 and not fields[0].strip())


def _check_header(names: list[str], shown: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(names, start=1):
        if not name:
            raise ValueError(
                f"column {position} of {shown} has an empty name in the header; "
                "every column needs a name"
            )
        if name in seen:
            raise ValueError(
                f"{shown} names the column {name!r} twice in its header (columns "
                f"{seen[name]} and {position}); column names must be distinct"
            )
        seen[name] = position


def _trim_trailing_blanks(frame):
    """Drop blank rows at the end of a one-column file (a final empty line)."""
    filled = np.flatnonzero(frame.iloc[:, 0].notna().to_numpy())
    end = int(filled[-1]) + 1 if filled.size else 0
    return frame.iloc[:end].reset_index(drop=True)


def _require_column(frame, column: object, shown: str, what: str) -> str:
    if not isinstance(column, str) or column not in frame.columns:
        available = ", ".join(repr(c) for c in frame.columns)
        raise ValueError(
            f"{what} {column!r} not found in {shown}; available columns: {available}"
        )
    return column


def _numeric_column(frame, column: str, shown: str) -> NDArray[np.float64]:
    """One column as float64 (NaN where missing); a bad value raises."""
    import pandas as pd

    raw = frame[column]
    numbers = pd.to_numeric(raw.str.strip(), errors="coerce")
    bad = (raw.notna() & numbers.isna()) | np.isinf(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"column {column!r} of {shown} has a non-numeric value "
            f"{raw.iloc[row]!r} at row {row + 1}; expected finite numbers"
        )
    return numbers.to_numpy(dtype=np.float64)


def load_csv_table(
    path: str | os.PathLike,
    target: str,
    *,
    split_seed: int = 0,
    dtype: object = np.float64,
    missing: str = "error",
) -> TaskData:
    """A classification task from a CSV table with one label column.

    Every other column is a numeric feature. The labels (numbers or text) are
    sorted and mapped to 0..K-1 (``class_names`` keeps them); K == 2 gives a
    binary task. The rows get a stratified 60/20/20 split from
    ``split_seed``, and the features are standardized with the training
    rows' mean and standard deviation.

    Parameters
    ----------
    path : str or path-like
        The CSV file; the first line is the header.
    target : str
        Name of the label column.
    split_seed : int
        Seed of the split (default 0).
    dtype : float32 or float64
        Dtype of the features.
    missing : {"error", "drop"}
        What to do with a row that has a missing cell: refuse the file
        (default) or drop the row (the count is in ``n_missing_dropped``).
    """
    shown = os.fspath(path)
    check_choice("missing", missing, TABLE_MISSING)
    frame = read_csv(path)
    _require_column(frame, target, shown, "target column")
    features = [c for c in frame.columns if c != target]
    if not features:
        raise ValueError(
            f"{shown} has only the target column {target!r}; expected at least "
            "one feature column"
        )
    X = np.column_stack([_numeric_column(frame, c, shown) for c in features])
    labels_raw = frame[target].str.strip()

    # Missing cells: refuse, or drop the incomplete rows.
    incomplete = np.isnan(X).any(axis=1) | labels_raw.isna().to_numpy()
    n_dropped = 0
    if incomplete.any():
        row = int(np.flatnonzero(incomplete)[0])
        gaps = [c for c, v in zip(features, X[row], strict=True) if np.isnan(v)]
        where = repr(gaps[0]) if gaps else repr(target)
        if missing == "error":
            raise ValueError(
                f"{shown} has {int(incomplete.sum())} rows with missing values "
                f"(first at row {row + 1}, column {where}); use --missing drop "
                "(missing='drop' in Python) to drop them"
            )
        n_dropped = int(incomplete.sum())
        X, labels_raw = X[~incomplete], labels_raw[~incomplete]
        if X.shape[0] == 0:
            raise ValueError(f"{shown} has no complete row; every row has a gap")

    # Labels: sorted distinct values (numerically when they are numbers).
    names, labels = _encode_labels(labels_raw.to_numpy(dtype=str))
    if len(names) < 2:
        raise ValueError(
            f"target column {target!r} of {shown} has a single class "
            f"({names[0]!r}); expected at least two"
        )
    counts = np.bincount(labels)
    if counts.min() < MIN_CLASS_COUNT:
        k = int(np.argmin(counts))
        raise ValueError(
            f"class {names[k]!r} of target column {target!r} in {shown} has "
            f"{counts[k]} rows; a stratified 60/20/20 split needs at least "
            f"{MIN_CLASS_COUNT} per class"
        )
    if np.all(X == X[0]):
        raise ValueError(
            f"every feature of {shown} is constant; there is nothing to learn from"
        )
    task = build_classification(
        f"csv:{Path(path).name}",
        X,
        labels,
        feature_names=features,
        class_names=names,
        split_seed=split_seed,
        dtype=dtype,
        scaling="standardize",
        description=f"table {shown}, target {target!r}, standardized on train",
    )
    if n_dropped:
        from dataclasses import replace

        task = replace(task, n_missing_dropped=n_dropped)
    return task


def _encode_labels(raw: NDArray[np.str_]) -> tuple[list[str], NDArray[np.int64]]:
    """Distinct labels in sorted order and each row's index among them."""
    distinct = np.unique(raw)
    try:
        order = np.argsort(distinct.astype(np.float64), kind="stable")
        distinct = distinct[order]
    except ValueError:
        pass  # not all numbers: keep the text order from np.unique
    lookup = {label: k for k, label in enumerate(distinct)}
    labels = np.array([lookup[v] for v in raw], dtype=np.int64)
    return [str(v) for v in distinct], labels


def load_csv_series(
    path: str | os.PathLike,
    column: str,
    *,
    date_column: str | None = None,
    missing: str = "error",
    window: int = DEFAULT_WINDOW,
    horizon: int = 1,
    sequence: bool = False,
    val_fraction: float = DEFAULT_VAL_FRACTION,
    test_fraction: float = DEFAULT_TEST_FRACTION,
    dtype: object = np.float64,
    split_seed: int = 0,
) -> TaskData:
    """A forecasting task from one numeric column of a CSV file.

    Without ``date_column`` the rows are taken in file order. With it, the
    dates are parsed, must be distinct, and the rows are sorted by date
    (interpolation is then linear in time rather than in row position).
    The rest follows :func:`adamlab.data.series.build_series_task`.

    Parameters
    ----------
    path : str or path-like
        The CSV file; the first line is the header.
    column : str
        The series to forecast.
    date_column : str, optional
        A column of dates or times.
    missing : {"error", "interpolate", "drop"}
        Policy for missing values (see
        :func:`adamlab.data.series.apply_missing_policy`); the default refuses
        them and says which option to pass.
    window, horizon, sequence, val_fraction, test_fraction, dtype
        As in :func:`adamlab.data.series.build_series_task`.
    split_seed : int
        Accepted for a uniform interface and ignored: series are split by time.
    """
    import pandas as pd

    shown = os.fspath(path)
    check_choice("missing", missing, ("error", "interpolate", "drop"))
    frame = read_csv(path)
    _require_column(frame, column, shown, "column")
    values = _numeric_column(frame, column, shown)
    source = f"column {column!r} of {shown}"

    order = np.arange(len(values))
    if date_column is None:
        times: NDArray = np.arange(len(values), dtype=np.int64)
    else:
        _require_column(frame, date_column, shown, "date column")
        raw = frame[date_column]
        parsed = pd.to_datetime(raw, errors="coerce", format="mixed")
        bad = parsed.isna().to_numpy()
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise ValueError(
                f"date column {date_column!r} of {shown} has a value that is not "
                f"a date, {raw.iloc[row]!r}, at row {row + 1}"
            )
        times = parsed.to_numpy(dtype="datetime64[ns]")
        order = np.argsort(times, kind="stable")
        times, values = times[order], values[order]
        repeated = np.flatnonzero(times[1:] == times[:-1])
        if repeated.size:
            raise ValueError(
                f"date column {date_column!r} of {shown} repeats the date "
                f"{format_time(times[repeated[0]])}; expected one row "
                "per date"
            )

    gaps = np.flatnonzero(np.isnan(values[np.argsort(order)]))
    if missing == "error" and gaps.size and gaps.size < values.size:
        raise ValueError(
            f"{source} has {gaps.size} missing values (first at row "
            f"{int(gaps[0]) + 1}); choose a policy: {MISSING_HINT}"
        )
    values, times, n_filled, n_dropped = apply_missing_policy(
        values, times, missing, source
    )
    return build_series_task(
        f"csv:{Path(path).name}",
        values,
        times,
        source=source,
        window=window,
        horizon=horizon,
        sequence=sequence,
        val_fraction=val_fraction,
        test_fraction=test_fraction,
        dtype=dtype,
        n_missing_filled=n_filled,
        n_missing_dropped=n_dropped,
        description=f"series {column!r} of {shown}, missing={missing!r}",
    )
