"""Classification tables: the bundled scikit-learn sets and a shared builder."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from adamlab.data.checks import check_dtype, check_int
from adamlab.data.split import fit_standardizer, stratified_split
from adamlab.data.taskdata import TaskData

# Pixel values of scikit-learn's digits run from 0 to 16.
DIGITS_MAX_PIXEL = 16.0


def build_classification(
    name: str,
    X: NDArray,
    labels: NDArray[np.int64],
    *,
    feature_names: Sequence[str],
    class_names: Sequence[str],
    split_seed: int,
    dtype: object,
    scaling: str = "standardize",
    description: str = "",
) -> TaskData:
    """Split a labelled table and scale its features.

    Parameters
    ----------
    name : str
        Task name for the result.
    X : ndarray, shape (n, n_features)
        Raw features (converted to float64 for the statistics).
    labels : ndarray of int, shape (n,)
        Class index of each row, in ``0..K-1`` with every class present.
    feature_names, class_names : sequence of str
        Names of the columns and of the classes.
    split_seed : int
        Seed of the stratified 60/20/20 split.
    dtype : float32 or float64
        Dtype of the returned features.
    scaling : {"standardize", "digits"}
        ``"standardize"`` subtracts the mean and divides by the standard
        deviation of the training split; ``"digits"`` divides by 16 (pixel
        values 0..16 to [0, 1]), the same for every split.
    description : str
        One line for the result.
    """
    split_seed = check_int("split_seed", split_seed, 0)
    out_dtype = check_dtype(dtype)
    X64 = np.asarray(X, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    train, val, test = stratified_split(X64.shape[0], labels, split_seed)

    # Scale with statistics of the training rows only.
    if scaling == "standardize":
        mean, scale = fit_standardizer(X64[train])
    elif scaling == "digits":
        mean = np.zeros(X64.shape[1])
        scale = np.full(X64.shape[1], DIGITS_MAX_PIXEL)
    else:
        raise ValueError(f"scaling must be 'standardize' or 'digits', got {scaling!r}")

    def part(rows: NDArray[np.int64]) -> tuple[NDArray, NDArray[np.int64]]:
        return ((X64[rows] - mean) / scale).astype(out_dtype), labels[rows]

    X_train, y_train = part(train)
    X_val, y_val = part(val)
    X_test, y_test = part(test)
    n_classes = len(class_names)
    return TaskData(
        name=name,
        kind="binary" if n_classes == 2 else "multiclass",
        X_train=X_train,
        y_train=y_train,
        X_val=X_val,
        y_val=y_val,
        X_test=X_test,
        y_test=y_test,
        n_features=int(X64.shape[1]),
        n_outputs=1 if n_classes == 2 else n_classes,
        feature_names=tuple(feature_names),
        class_names=tuple(class_names),
        feature_mean=mean,
        feature_scale=scale,
        description=description,
    )


def load_digits(*, split_seed: int = 0, dtype: object = np.float64) -> TaskData:
    """scikit-learn's 8x8 handwritten digits: 1797 images, 10 classes.

    Pixels (0..16) are divided by 16 into [0, 1]. The data ship inside
    scikit-learn, so nothing is downloaded.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    return build_classification(
        "digits",
        bunch.data,
        bunch.target,
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        class_names=[str(k) for k in range(10)],
        split_seed=split_seed,
        dtype=dtype,
        scaling="digits",
        description="8x8 handwritten digits (scikit-learn), pixels / 16",
    )


def load_breast_cancer(*, split_seed: int = 0, dtype: object = np.float64) -> TaskData:
    """scikit-learn's Wisconsin breast cancer diagnosis: 569 rows, 30 features.

    Binary (0 = malignant, 1 = benign, scikit-learn's coding); features are
    standardized with the mean and standard deviation of the training split.
    """
    from sklearn.datasets import load_breast_cancer as sk_load_breast_cancer

    bunch = sk_load_breast_cancer()
    return build_classification(
        "breast-cancer",
        bunch.data,
        bunch.target,
        feature_names=[str(f) for f in bunch.feature_names],
        class_names=[str(c) for c in bunch.target_names],
        split_seed=split_seed,
        dtype=dtype,
        scaling="standardize",
        description="breast cancer diagnosis (scikit-learn), standardized on train",
    )
