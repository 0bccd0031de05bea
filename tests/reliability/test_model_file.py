"""Trained model files: `adamlab evaluate` reproduces training's test metric,
the Python API predicts, and a file crafted to run code is refused."""

from __future__ import annotations

import io
import json
import zipfile

import numpy as np
import pytest

from adamlab import safefile
from adamlab.train import load_model, read_model_file


def test_evaluate_reproduces_the_test_metric(tmp_path, cli):
    model_path, result_path = tmp_path / "m.npz", tmp_path / "r.json"
    status, out, err = cli(
        "train", "--task", "digits", "--hidden", "8", "--epochs", "3", "--quiet",
        "--save-model", model_path, "--json", result_path,
    )  # fmt: skip
    assert status == 0, err
    trained = json.loads(result_path.read_text())
    status, out, err = cli("evaluate", model_path, "--json", tmp_path / "e.json")
    assert status == 0, err
    again = json.loads((tmp_path / "e.json").read_text())
    assert again["test_accuracy"] == trained["test_accuracy"]
    assert again["test_loss"] == trained["test_loss"]
    assert f"test_accuracy {trained['test_accuracy']:.4f}" in out
    assert "training reported" not in out

    saved = read_model_file(model_path)
    assert saved.best_epoch == trained["best_epoch"]
    assert saved.metrics["test_accuracy"] == trained["test_accuracy"]
    assert saved.task["kind"] == "multiclass" and saved.task["n_features"] == 64

    # The Python API: a model ready for predict, with the tested weights.
    from adamlab.train.experiment import RunConfig, load_data

    data = load_data(RunConfig.from_dict(saved.config))
    model = load_model(model_path)
    accuracy = float(
        np.mean(np.argmax(model.predict(data.X_test), axis=1) == data.y_test)
    )
    assert accuracy == trained["test_accuracy"]
    digest = __import__("hashlib").sha256(model.param_buffer.tobytes()).hexdigest()
    assert digest == trained["final_params_sha256"]


def test_evaluate_regression_and_mismatched_task(tmp_path, cli):
    model_path = tmp_path / "s.npz"
    status, _, err = cli(
        "train", "--task", "sunspots", "--hidden", "4", "--epochs", "2", "--quiet",
        "--save-model", model_path, "--json", tmp_path / "r.json",
    )  # fmt: skip
    assert status == 0, err
    trained = json.loads((tmp_path / "r.json").read_text())
    status, out, err = cli("evaluate", model_path, "--json", tmp_path / "e.json")
    again = json.loads((tmp_path / "e.json").read_text())
    assert status == 0 and again["test_rmse"] == trained["test_rmse"]
    assert again["test_mae"] == trained["test_mae"]
    status, out, err = cli("evaluate", model_path, "--task", "digits")
    assert status == 2
    assert "the model was trained for kind='regression'; task digits has" in err


def test_crafted_model_file_is_refused(tmp_path, cli):
    marker = tmp_path / "marker"
    good = safefile.dumps({"format": 1, "model": {"w": np.zeros(2)}}, kind="model")
    with zipfile.ZipFile(io.BytesIO(good)) as src:
        entries = {n: src.read(n) for n in src.namelist()}

    class Evil:
        def __reduce__(self):
            return (marker.write_text, ("pwned",))

    buf = io.BytesIO()
    np.save(buf, np.array([Evil()], dtype=object), allow_pickle=True)
    entries["model/w.npy"] = buf.getvalue()
    path = tmp_path / "evil.npz"
    with zipfile.ZipFile(path, "w") as dst:
        for name, data in entries.items():
            dst.writestr(name, data)
    with pytest.raises(safefile.SafeFileError, match="pickled object array"):
        load_model(path)
    status, _, err = cli("evaluate", path)
    assert status == 2 and "pickled object array; refused" in err
    assert "Traceback" not in err
    assert not marker.exists()


def test_checkpoint_is_not_a_model(tmp_path, cli):
    safefile.save(tmp_path / "c.npz", {"x": 1}, kind="checkpoint")
    status, _, err = cli("evaluate", tmp_path / "c.npz")
    assert status == 2
    assert "is a checkpoint file, expected a model file" in err


def test_model_file_predicts_from_raw_units(tmp_path):
    from adamlab.train import RunConfig, build, read_model_file, save_model

    for config in (
        RunConfig(task="breast-cancer", hidden=(8,), epochs=2),
        RunConfig(task="sunspots", model="gru", hidden=(4,), epochs=2),
    ):
        trainer = build(config)
        result = trainer.fit()
        path = tmp_path / f"{config.task}.npz"
        save_model(
            path,
            trainer.model,
            params=trainer.best_params,
            config=config,
            data=trainer.data,
            metrics=result,
            best_epoch=result["best_epoch"],
        )
        saved = read_model_file(path)
        data = trainer.data
        trainer.model.param_buffer[...] = trainer.best_params
        if data.kind == "binary":
            # Undo the standardization by hand: raw = scaled * scale + mean.
            raw = data.X_test * data.feature_scale + data.feature_mean
            expected = (trainer.model.predict(data.X_test)[:, 0] > 0).astype(int)
            labels = saved.predict(raw)
            names = np.asarray(data.class_names)
            np.testing.assert_array_equal(labels, names[expected])
        else:
            raw = data.X_test[..., 0] * data.target_scale + data.target_mean
            expected = data.to_original_units(trainer.model.predict(data.X_test))
            np.testing.assert_allclose(saved.predict(raw), expected, rtol=1e-10)


def _write_table(path, columns, rows, labels):
    lines = [",".join([*columns, "label"])]
    lines += [
        ",".join([*(f"{v:.3f}" for v in row), label])
        for row, label in zip(rows, labels, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def test_evaluate_checks_columns_and_classes_by_name(tmp_path, cli):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 4))
    labels = np.where(X[:, 0] + 0.5 * X[:, 1] > 0, "yes", "no")
    _write_table(tmp_path / "my.csv", "abcd", X, labels)
    model_path = tmp_path / "mc.npz"
    status, _, err = cli(
        "train", "--csv", tmp_path / "my.csv", "--target", "label", "--epochs", "5",
        "--quiet", "--save-model", model_path, "--json", tmp_path / "r.json",
    )  # fmt: skip
    assert status == 0, err
    trained = json.loads((tmp_path / "r.json").read_text())

    # The same columns in another order are taken by name: same rows, same metric.
    _write_table(tmp_path / "reord.csv", "dcba", X[:, ::-1], labels)
    status, out, err = cli(
        "evaluate", model_path, "--csv", tmp_path / "reord.csv",
        "--json", tmp_path / "e.json",
    )  # fmt: skip
    assert status == 0, err
    again = json.loads((tmp_path / "e.json").read_text())
    assert again["test_accuracy"] == trained["test_accuracy"]
    assert again["test_loss"] == trained["test_loss"]
    assert "training reported" not in out

    wrong = [
        ("xyzw", X, labels, "(missing 'a', 'b', 'c', 'd'; extra 'x', 'y', 'z', 'w')"),
        ("abc", X[:, :3], labels, "(missing 'd'); the model was trained on 'a', "),
        ("abcde", np.c_[X, X[:, :1]], labels, "(extra 'e'); the model was trained"),
        (
            "abcd",
            X,
            np.where(labels == "no", "zz", "aa"),
            "has classes the model does not know: 'aa', 'zz'; the model's classes "
            "are 'no', 'yes'",
        ),
    ]
    for columns, rows, classes, message in wrong:
        path = tmp_path / f"{columns}-{classes[0]}.csv"
        _write_table(path, columns, rows, classes)
        status, out, err = cli("evaluate", model_path, "--csv", path)
        assert status == 2 and message in err, err
        assert len(err.strip().splitlines()) == 1 and out == ""

    # A file written without the names: no check (here, of the relabelled file).
    tree = safefile.load(model_path, kind="model")
    for key in ("feature_names", "class_names"):
        del tree["task"][key]
    safefile.save(tmp_path / "old.npz", tree, kind="model")
    status, out, err = cli("evaluate", tmp_path / "old.npz", "--csv", path)
    assert status == 0, err


def test_match_data_reorders_columns_and_renumbers_classes(tmp_path):
    from adamlab.data import load_csv_table
    from adamlab.train.model_file import ModelFile, task_info

    rng = np.random.default_rng(1)
    X = rng.normal(size=(30, 3))
    labels = np.repeat(["ant", "bee", "cat"], 10)
    _write_table(tmp_path / "abc.csv", "abc", X, labels)
    saved = ModelFile(
        model=None, task=task_info(load_csv_table(tmp_path / "abc.csv", "label"))
    )

    _write_table(tmp_path / "cab.csv", "cab", X[:, [2, 0, 1]], labels)
    original = load_csv_table(tmp_path / "abc.csv", "label")
    matched = saved.match_data(load_csv_table(tmp_path / "cab.csv", "label"))
    assert matched.feature_names == ("a", "b", "c")
    for part in ("X_train", "X_val", "X_test", "feature_mean", "feature_scale"):
        np.testing.assert_array_equal(getattr(matched, part), getattr(original, part))

    # Only 'bee' and 'cat': a binary file, numbered as the model's classes 1, 2.
    keep = labels != "ant"
    _write_table(tmp_path / "bc.csv", "abc", X[keep], labels[keep])
    subset = load_csv_table(tmp_path / "bc.csv", "label")
    assert subset.kind == "binary"
    matched = saved.match_data(subset)
    assert (matched.kind, matched.n_outputs) == ("multiclass", 3)
    assert matched.class_names == ("ant", "bee", "cat")
    np.testing.assert_array_equal(matched.y_test, subset.y_test + 1)


def test_predict_refuses_bad_shapes_and_non_finite_values(tmp_path):
    from adamlab.train import RunConfig, build, save_model

    for config, width, what in (
        (RunConfig(task="breast-cancer", hidden=(4,), epochs=1), 30, "rows of 30"),
        (RunConfig(task="sunspots", hidden=(4,), epochs=1), 12, "windows of the last"),
        (
            RunConfig(task="sunspots", model="gru", hidden=(3,), window=5, epochs=1),
            5,
            "windows of the last 5 values",
        ),
    ):
        trainer = build(config)
        trainer.fit()
        path = tmp_path / f"{config.task}-{config.model}.npz"
        save_model(path, trainer.model, config=config, data=trainer.data)
        saved = read_model_file(path)
        good = np.ones((2, width))
        assert len(saved.predict(good)) == 2
        for bad, shape in (
            (np.ones(width), (width,)),
            (np.ones((2, width + 1)), (2, width + 1)),
            (np.ones((2, width, 2)), (2, width, 2)),
        ):
            with pytest.raises(ValueError) as excinfo:
                saved.predict(bad)
            message = str(excinfo.value)
            assert message.startswith(f"X must have shape (n, {width}) (n {what}")
            assert message.endswith(f"), got shape {shape}")
        if config.model == "gru":
            assert saved.predict(good[:, :, None]).shape == (2, 1)
        for value in (np.nan, np.inf, -np.inf):
            bad = good.copy()
            bad[1, 3] = value
            with pytest.raises(
                ValueError,
                match=f"X has a non-finite value, {value}, at row 1, column 3",
            ):
                saved.predict(bad)
