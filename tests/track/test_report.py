"""The report: escaping, self-containment, files, and refusing to overwrite."""

import base64
import re

import pytest

from adamlab.track import plots
from adamlab.track.records import read_csv, read_json
from adamlab.track.report import check_destination, render_html, write_report
from adamlab.track.summary import summarize

PNG = b"\x89PNG\r\n\x1a\n"


def test_summary_statistics(fake_outcomes):
    rows = {r["optimizer"]: r for r in summarize(fake_outcomes)}
    accs = [o["result"]["test_accuracy"] for o in fake_outcomes[:2]]
    mean = sum(accs) / 2
    std = (sum((a - mean) ** 2 for a in accs) / 1) ** 0.5
    assert rows["adam"]["test_accuracy_mean"] == pytest.approx(mean)
    assert rows["adam"]["test_accuracy_std"] == pytest.approx(std)
    assert rows["adam"]["test_accuracy_min"] == min(accs)
    assert rows["adam:lr=-1"]["failed"] == 1 and rows["adam:lr=-1"]["runs"] == 1
    assert rows["adam:lr=-1"]["errors"] == [fake_outcomes[-1]["error"]]


def test_names_and_errors_are_escaped(fake_outcomes):
    crafted = "<script>alert('x')</script>"
    for outcome in fake_outcomes[:2]:
        outcome["label"] = crafted
    html = render_html(fake_outcomes, {"loss": PNG}, settings={"task": "<i>digits</i>"})
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "<b>" not in html
    assert "&lt;i&gt;digits&lt;/i&gt;" in html


def test_report_is_self_contained(fake_outcomes, tmp_path):
    path = write_report(tmp_path / "out", fake_outcomes, settings={"task": "digits"})
    html = path.read_text()
    # Nothing fetched: no scripts, links, or remote sources.
    assert not re.search(r"<(script|link|iframe)\b", html, re.I)
    assert not re.search(r"(src|href)\s*=\s*\"(?!data:)", html, re.I)
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 4
    assert all(base64.b64decode(i).startswith(PNG) for i in images)
    folder = path.parent
    for name in ("loss.png", "accuracy.png", "norms.png", "effective_lr.png"):
        assert (folder / name).read_bytes().startswith(PNG)
    rows = read_csv(folder / "records.csv")
    assert len(rows) == 4 * 5 and rows[0]["optimizer"] == "adam"
    run = read_json(folder / "runs" / "00_adam_seed1.json")
    assert run["records"] == fake_outcomes[1]["records"]
    assert len(read_csv(folder / "runs.csv")) == 5


def test_existing_report_needs_overwrite(fake_outcomes, tmp_path):
    write_report(tmp_path, fake_outcomes)
    with pytest.raises(FileExistsError, match="pass --overwrite"):
        check_destination(tmp_path, overwrite=False)
    with pytest.raises(FileExistsError):
        write_report(tmp_path, fake_outcomes)
    write_report(tmp_path, fake_outcomes[:2], overwrite=True)
    assert len(list((tmp_path / "runs").glob("*.json"))) == 2


def test_plots_overlay_with_bands(fake_outcomes):
    from adamlab.track.report import groups_of

    groups = groups_of(fake_outcomes)
    fig = plots.loss_figure(groups, band="std")
    ax = fig.axes[0]
    # Two labels with runs: two lines, each with a band (n=2 in the legend).
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["adam (n=2)", "amsgrad (n=2)"]
    mean = [
        (a["train_loss"] + b["train_loss"]) / 2
        for a, b in zip(
            fake_outcomes[0]["result"]["history"], fake_outcomes[1]["result"]["history"]
        )
    ]
    assert ax.get_lines()[0].get_ydata() == pytest.approx(mean)
    assert len(ax.collections) == 2
    assert plots.png_bytes(plots.norms_figure(groups)).startswith(PNG)
    with pytest.raises(ValueError, match="band must be one of"):
        plots.loss_figure(groups, band="iqr")


def test_single_seed_std_is_nan_and_epoch_time_is_the_median(fake_outcomes):
    import math

    from adamlab.track.summary import run_rows

    outcome = fake_outcomes[0]
    # A slow first epoch (kernel loading) must not skew the per-epoch time.
    for row, seconds in zip(outcome["result"]["history"], [0.35, 0.007, 0.009, 0.008]):
        row["seconds"] = seconds
    (row,) = summarize([outcome])
    assert math.isnan(row["test_accuracy_std"])
    assert row["seconds_per_epoch"] == pytest.approx(0.0085)
    assert run_rows([outcome])[0]["seconds_per_epoch"] == pytest.approx(0.0085)
