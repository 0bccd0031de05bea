"""The comparison report: one self-contained HTML file, its figures and raw data.

:func:`write_report` writes into a folder:

- ``report.html``: summary table, failed runs with their errors, the figures
  embedded as base64 ``data:`` URIs, every run, the settings. Rendered by
  jinja2 with autoescaping, so optimizer names, errors and settings are
  escaped; it loads nothing from a network (its Content-Security-Policy allows
  only inline styles and data images).
- the figures as PNG files (``loss.png``, ``accuracy.png`` or ``rmse.png``,
  ``norms.png``, ``effective_lr.png``);
- ``runs/NN_label_seedK.json``: each run's outcome (result keys and tracker
  records), ``records.csv`` (every record, with ``optimizer`` and ``seed``
  columns), ``runs.csv`` (one row per run) and ``summary.json``.

An existing ``report.html`` is replaced only with ``overwrite=True``.
"""

from __future__ import annotations

import base64
import datetime
import math
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from adamlab.fileio import atomic_write_text
from adamlab.track import plots
from adamlab.track.records import records_to_csv, to_json
from adamlab.track.summary import metric_name, run_rows, summarize

REPORT_NAME = "report.html"
RUN_FILE = re.compile(r"^\d{2,}_.*_seed\d+\.json$")

CAPTIONS = {
    "loss": "Training and validation loss per epoch",
    "accuracy": "Validation accuracy per epoch",
    "rmse": "Validation RMSE per epoch (original units)",
    "norms": "Gradient norm, update norm and update/parameter ratio per recorded step",
    "effective_lr": "Effective per-element learning rate (mean, median) per step",
}


def check_destination(
    folder: str | os.PathLike, overwrite: bool, *, create: bool = True
) -> Path:
    """The report's path in ``folder``; refuse an existing one unless
    ``overwrite``. With ``create`` the folder is created if missing (without,
    it is only checked, so a caller can validate before writing anything)."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"--out {folder} exists and is not a folder")
    path = folder / REPORT_NAME
    if path.exists() and not overwrite:
        raise FileExistsError(
            f"{path} exists; pass --overwrite to replace it, or choose another --out"
        )
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(label: str) -> str:
    """A file-name-safe form of a label."""
    return re.sub(r"[^A-Za-z0-9.=-]+", "_", label).strip("_") or "run"


def _fmt(value: Any, digits: int = 4) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return "–"
        if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
            return f"{value:.3e}"
        return f"{value:.{digits}f}"
    return str(value)


def groups_of(outcomes: Sequence[dict[str, Any]]) -> dict[str, list[dict]]:
    """Finished runs by label, for :mod:`adamlab.track.plots`."""
    groups: dict[str, list[dict]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome["label"], [])
        if outcome["status"] == "ok":
            groups[outcome["label"]].append(
                {
                    "history": outcome["result"]["history"],
                    "records": outcome.get("records") or [],
                }
            )
    return groups


def render_html(
    outcomes: Sequence[dict[str, Any]],
    images: dict[str, bytes],
    *,
    title: str = "adamlab comparison",
    settings: dict[str, Any] | None = None,
) -> str:
    """The report's HTML text (figures given as PNG bytes by file stem)."""
    import jinja2

    import adamlab

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("adamlab.track", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    settings = dict(settings or {})
    metric = metric_name(outcomes)
    summary = []
    for row in summarize(outcomes):
        summary.append(
            {
                "optimizer": row["optimizer"],
                "runs": row["runs"],
                "failed": row["failed"],
                "mean": _fmt(row[f"{metric}_mean"]),
                "std": _fmt(row[f"{metric}_std"]),
                "min": _fmt(row[f"{metric}_min"]),
                "max": _fmt(row[f"{metric}_max"]),
                "best_epoch": _fmt(row["best_epoch_mean"], 1),
                "seconds_per_epoch": _fmt(row["seconds_per_epoch"], 3),
                "state_bytes": _fmt(row["state_bytes"]),
            }
        )
    runs = [
        {
            "optimizer": r["optimizer"],
            "seed": r["seed"],
            "status": r["status"],
            "metric": _fmt(r[metric]),
            "best_epoch": _fmt(r["best_epoch"]),
            "seconds_per_epoch": _fmt(r["seconds_per_epoch"], 3),
            "sha": r["final_params_sha256"][:16],
            "error": r["error"],
        }
        for r in run_rows(outcomes)
    ]
    seeds = len({o["seed"] for o in outcomes})
    return template.render(
        title=title,
        task=settings.get("task", ""),
        model=settings.get("model", ""),
        seeds=seeds,
        split_seed=settings.get("split_seed", ""),
        n_runs=len(outcomes),
        n_failed=sum(o["status"] != "ok" for o in outcomes),
        version=adamlab.__version__,
        generated=datetime.datetime.now().isoformat(timespec="seconds"),
        metric_label=metric.removeprefix("test_").replace("_", " "),
        summary=summary,
        failures=[r for r in runs if r["status"] != "ok"],
        images=[
            {
                "file": f"{stem}.png",
                "caption": CAPTIONS.get(stem, stem),
                "data": base64.b64encode(data).decode("ascii"),
            }
            for stem, data in images.items()
        ],
        runs=runs,
        settings=[(k, _fmt(v)) for k, v in settings.items()],
    )


def write_report(
    folder: str | os.PathLike,
    outcomes: Sequence[dict[str, Any]],
    *,
    title: str = "adamlab comparison",
    settings: dict[str, Any] | None = None,
    overwrite: bool = False,
    band: str = "minmax",
) -> Path:
    """Write the report, figures and raw data into ``folder``; return the
    report's path. See the module docstring for the files."""
    from adamlab.fileio import atomic_write_bytes

    path = check_destination(folder, overwrite)
    folder = path.parent
    figures = plots.standard_figures(groups_of(outcomes), band=band)
    images = {stem: plots.png_bytes(fig) for stem, fig in figures.items()}
    for stem, data in images.items():
        atomic_write_bytes(folder / f"{stem}.png", data)

    runs_dir = folder / "runs"
    runs_dir.mkdir(exist_ok=True)
    for stale in runs_dir.glob("*_seed*.json"):
        if RUN_FILE.match(stale.name):
            stale.unlink()
    all_records = []
    for outcome in outcomes:
        name = f"{outcome['index']:02d}_{safe_name(outcome['label'])}"
        atomic_write_text(
            runs_dir / f"{name}_seed{outcome['seed']}.json",
            to_json(outcome, indent=1) + "\n",
        )
        for record in outcome.get("records") or []:
            all_records.append(
                {"optimizer": outcome["label"], "seed": outcome["seed"], **record}
            )
    atomic_write_text(folder / "records.csv", records_to_csv(all_records))
    atomic_write_text(folder / "runs.csv", records_to_csv(run_rows(outcomes)))
    atomic_write_text(
        folder / "summary.json", to_json(summarize(outcomes), indent=1) + "\n"
    )
    html = render_html(outcomes, images, title=title, settings=settings)
    atomic_write_text(path, html)
    return path
