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

Every file is first written into a hidden staging folder inside ``folder``
and moved into place only once all of them are written; if anything fails or
is interrupted before that, the staging folder is removed and ``folder`` is
left as it was (a folder this call created is removed again).

If any of these files exists already (or ``runs/`` holds an earlier
comparison's run file, which the report would remove) the report is refused
unless ``overwrite=True``; with it only these files are replaced, and other
files in the folder are never touched.
"""

from __future__ import annotations

import base64
import datetime
import math
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

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


#: The report's data files, beside ``report.html``.
DATA_NAMES = ("records.csv", "runs.csv", "summary.json")


def run_file(run: dict[str, Any]) -> str:
    """A run's file, relative to the report's folder, from the ``label``,
    ``index`` and ``seed`` of its job or outcome."""
    return f"runs/{run['index']:02d}_{safe_name(run['label'])}_seed{run['seed']}.json"


def report_files(
    runs: Iterable[dict[str, Any]], figures: Iterable[str] = tuple(CAPTIONS)
) -> list[str]:
    """Every file :func:`write_report` writes for these runs (jobs or
    outcomes), relative to the folder: ``report.html``, the data files, one
    PNG per figure stem, one JSON per run. The default figures include both
    ``accuracy`` and ``rmse``, since which one is drawn is known only from the
    finished runs."""
    return [
        REPORT_NAME,
        *DATA_NAMES,
        *(f"{stem}.png" for stem in figures),
        *(run_file(run) for run in runs),
    ]


def check_destination(
    folder: str | os.PathLike,
    overwrite: bool,
    *,
    create: bool = True,
    runs: Iterable[dict[str, Any]] = (),
    figures: Iterable[str] = tuple(CAPTIONS),
) -> Path:
    """The report's path in ``folder``, after checking that the report can be
    written there.

    Refused: an empty path; a path that is, or lies under, something other
    than a folder; and, unless ``overwrite``, a folder already holding any
    file of :func:`report_files` for ``runs`` and ``figures`` or an earlier
    comparison's run file in ``runs/``. With ``create`` the folder is created
    if missing (without, it is only checked, so a caller can validate before
    writing anything).

    Raises
    ------
    ValueError
        For an empty path.
    NotADirectoryError, IsADirectoryError, FileExistsError, PermissionError
        Naming the path and the problem (without ``create``, a folder that
        cannot be written is found by making one there and removing it).
    """
    if not os.fspath(folder):
        raise ValueError("--out must name a folder, got an empty path ''")
    folder = Path(folder)
    ancestor = folder
    while not os.path.lexists(ancestor) and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if os.path.lexists(ancestor) and not ancestor.is_dir():
        where = "exists" if ancestor == folder else f"is under {ancestor}, which exists"
        raise NotADirectoryError(f"--out {folder} {where} and is not a folder")
    runs_dir = folder / "runs"
    if os.path.lexists(runs_dir) and not runs_dir.is_dir():
        raise NotADirectoryError(
            f"{runs_dir} exists and is not a folder; the report writes its runs there"
        )
    names = report_files(runs, figures)
    for name in names:
        target = folder / name
        if target.is_dir():
            raise IsADirectoryError(
                f"{target} is a folder; the report writes a file of that name"
            )
        if os.path.lexists(target) and not overwrite:
            raise FileExistsError(
                f"{target} exists; pass --overwrite to replace it, "
                "or choose another --out"
            )
    if not overwrite:
        stale = _stale_run_files(folder, names)
        if stale:
            raise FileExistsError(
                f"{folder / stale[0]} exists (a run of an earlier comparison, "
                "which the report would remove); pass --overwrite to remove it, "
                "or choose another --out"
            )
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    else:
        _check_writable(folder, ancestor)
    return folder / REPORT_NAME


def _check_writable(folder: Path, ancestor: Path) -> None:
    """Refuse ``folder`` (or its nearest existing ``ancestor``, where it
    would be made) if a folder cannot be made in it: one is made and removed
    at once, which alone shows a read-only file system or one such as
    ``/proc``."""
    place = folder if folder.is_dir() else ancestor
    try:
        os.rmdir(tempfile.mkdtemp(prefix=".adamlab-check-", dir=place))
    except OSError as error:
        reason = error.strerror or str(error)
        raise PermissionError(
            f"--out {folder}: cannot write the report there ({place}: {reason})"
        ) from None


def _stale_run_files(folder: Path, names: Sequence[str]) -> list[str]:
    """Run files of an earlier comparison in ``folder/runs`` that are not in
    ``names``, relative to ``folder``, sorted."""
    runs_dir = folder / "runs"
    if not runs_dir.is_dir():
        return []
    keep = set(names)
    return sorted(
        f"runs/{p.name}"
        for p in runs_dir.iterdir()
        if RUN_FILE.match(p.name) and f"runs/{p.name}" not in keep
    )


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
    report's path. See the module docstring for the files, the staging folder
    and ``overwrite``; with ``overwrite`` an earlier comparison's run files in
    ``runs/`` are removed, so ``runs/`` holds this report's runs."""
    figures = plots.standard_figures(groups_of(outcomes), band=band)
    images = {stem: plots.png_bytes(fig) for stem, fig in figures.items()}
    path = check_destination(
        folder, overwrite, create=False, runs=outcomes, figures=images
    )
    folder = path.parent
    html = render_html(outcomes, images, title=title, settings=settings)
    files: dict[str, bytes] = {
        REPORT_NAME: html.encode("utf-8"),
        "records.csv": records_to_csv(
            [
                {"optimizer": outcome["label"], "seed": outcome["seed"], **record}
                for outcome in outcomes
                for record in outcome.get("records") or []
            ]
        ).encode("utf-8"),
        "runs.csv": records_to_csv(run_rows(outcomes)).encode("utf-8"),
        "summary.json": (to_json(summarize(outcomes), indent=1) + "\n").encode(),
    }
    files.update({f"{stem}.png": data for stem, data in images.items()})
    for outcome in outcomes:
        files[run_file(outcome)] = (to_json(outcome, indent=1) + "\n").encode()

    created: list[Path] = []
    missing = []
    ancestor = folder
    while not os.path.lexists(ancestor):
        missing.append(ancestor)
        ancestor = ancestor.parent
    committed = False
    staging = None
    try:
        for directory in reversed(missing):
            created.append(directory)
            directory.mkdir()
        staging = Path(tempfile.mkdtemp(prefix=".adamlab-report-", dir=folder))
        (staging / "runs").mkdir()
        for name, data in files.items():
            _write(staging / name, data)
        names = report_files(outcomes, images)
        stale = _stale_run_files(folder, names) if overwrite else []
        _commit(staging, folder, names, stale)
        committed = True
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        if not committed:
            for directory in reversed(created):
                try:
                    directory.rmdir()
                except OSError:
                    pass
    return path


def _write(path: Path, data: bytes) -> None:
    """Write and sync one staged file."""
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _commit(staging: Path, folder: Path, names: list[str], stale: list[str]) -> None:
    """Move the staged ``names`` into ``folder`` and the ``stale`` files out of
    it. Replaced and stale files go to ``staging/.old`` first; if anything
    fails or is interrupted, every step done so far is undone."""
    old = staging / ".old"
    (old / "runs").mkdir(parents=True)
    runs_dir = folder / "runs"
    made_runs = not os.path.lexists(runs_dir)
    done: list[tuple[str, bool]] = []
    try:
        runs_dir.mkdir(exist_ok=True)
        for name in stale:
            done.append((name, False))
            os.replace(folder / name, old / name)
        for name in names:
            done.append((name, True))
            if os.path.lexists(folder / name):
                os.replace(folder / name, old / name)
            os.replace(staging / name, folder / name)
    except BaseException:
        for name, new in reversed(done):
            if new and not (staging / name).exists() and (folder / name).exists():
                (folder / name).unlink()
            if os.path.lexists(old / name):
                os.replace(old / name, folder / name)
        if made_runs:
            try:
                runs_dir.rmdir()
            except OSError:
                pass
        raise
