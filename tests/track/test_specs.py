"""Parsing optimizer lists with per-optimizer overrides."""

import pytest

from adamlab.track.specs import parse_optimizers, parse_value


def test_names_overrides_and_tuples():
    specs = parse_optimizers(
        "adam, adamw:lr=3e-3:weight-decay=0.1,adam:betas=(0.9,0.99):amsgrad=true"
    )
    assert [s.label for s in specs] == [
        "adam",
        "adamw:lr=3e-3:weight-decay=0.1",
        "adam:betas=(0.9,0.99):amsgrad=true",
    ]
    assert [s.name for s in specs] == ["adam", "adamw", "adam"]
    assert specs[0].overrides == {}
    assert specs[1].overrides == {"lr": 3e-3, "weight_decay": 0.1}
    assert specs[2].overrides == {"betas": (0.9, 0.99), "amsgrad": True}


def test_values():
    assert parse_value("3") == 3 and isinstance(parse_value("3"), int)
    assert parse_value("1e-3") == 1e-3
    assert parse_value("None") is None and parse_value("FALSE") is False
    assert parse_value("paper") == "paper"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "got nothing"),
        ("adam,,amsgrad", "empty entry"),
        ("adam:lr", r"override 'lr' of 'adam' must be key=value, e.g. adam:lr=3e-3"),
        ("adam:lr=", "must be key=value"),
        ("adam:lr=1:lr=2", "override 'lr' given twice"),
        ("adam,adam", "'adam' is given twice"),
        ("adamm", "unknown optimizer 'adamm'; choose one of"),
        ("adam:final_lr=0.1", "optimizer 'adam' .* does not take final_lr; it takes"),
        ("adam:betas=(0.9,0.99", r"unbalanced '\('"),
        ("adam:betas=(a,b)", "tuple value holds numbers only"),
    ],
)
def test_errors_name_the_entry(text, message):
    with pytest.raises(ValueError, match=message):
        parse_optimizers(text)


def test_names_are_case_sensitive():
    with pytest.raises(ValueError, match="unknown optimizer 'ADAM'; choose one of"):
        parse_optimizers("ADAM")


def test_warm_up_takes_the_runs_kernel_path():
    from adamlab.optim.kernels import PARALLEL_THRESHOLD
    from adamlab.track import compare

    config = {"optimizer": "adam", "hyperparameters": {"lr": 1e-3}, "dtype": "float32"}
    compare._WARMED.clear()
    compare.warm_up(config, 10)
    compare.warm_up(config, PARALLEL_THRESHOLD)
    assert len(compare._WARMED) == 2 and all("float32" in k for k in compare._WARMED)
