"""Stratified splits and standardization fitted on the training split only."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

# Fractions of the stratified split: 60% train, 20% validation, 20% test.
VAL_FRACTION = 0.2
TEST_FRACTION = 0.2
# Smallest class a 60/20/20 stratified split can spread over three parts.
MIN_CLASS_COUNT = 5


def stratified_split(
    n: int, y: NDArray, split_seed: int
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Row indices of a stratified 60/20/20 train / validation / test split.

    The test part is drawn first (20% of all rows), then the validation part
    (a quarter of the rest). Both draws use ``split_seed`` alone, so the split
    does not depend on any training seed.

    Parameters
    ----------
    n : int
        Number of rows.
    y : ndarray, shape (n,)
        Class labels to stratify on.
    split_seed : int
        Seed of the split (``random_state`` of scikit-learn's
        ``train_test_split``).

    Returns
    -------
    train, val, test : ndarray of int64
        Row indices of each part, each in the order the split returns them.
    """
    from sklearn.model_selection import train_test_split

    idx = np.arange(n)
    rest, test = train_test_split(
        idx, test_size=TEST_FRACTION, stratify=y, random_state=split_seed
    )
    val_of_rest = VAL_FRACTION / (1.0 - TEST_FRACTION)
    train, val = train_test_split(
        rest, test_size=val_of_rest, stratify=y[rest], random_state=split_seed
    )
    return train.astype(np.int64), val.astype(np.int64), test.astype(np.int64)


def fit_standardizer(
    X_train: NDArray,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and scale of each column of the training rows (float64).

    The scale is the population standard deviation (``ddof=0``); a column that
    is constant on the training rows gets scale 1, so it maps to 0 instead of
    dividing by zero (scikit-learn's ``StandardScaler`` does the same).
    """
    X64 = np.asarray(X_train, dtype=np.float64)
    mean = X64.mean(axis=0)
    scale = X64.std(axis=0)
    scale[scale == 0.0] = 1.0
    return mean, scale
