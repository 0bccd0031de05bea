"""The report as a person sees it: rendered by headless Chromium.

Skipped where no browser exists, except under CI (``CI=true``), where a
missing browser is a failure.
"""

import os
import shutil
import subprocess

import numpy as np
import pytest

from adamlab.track.report import write_report

CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser")


def find_browser():
    for name in CANDIDATES:
        path = shutil.which(name) if not os.path.isabs(name) else name
        if path and os.access(path, os.X_OK):
            return path
    return None


@pytest.fixture(scope="module")
def browser():
    path = find_browser()
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but no Chromium found (install Debian's chromium)")
        pytest.skip("no Chromium browser found (/usr/bin/chromium)")
    return path


def chromium(browser, tmp_path, *args):
    profile = tmp_path / "profile"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        *args,
    ]
    return subprocess.run(
        command, capture_output=True, text=True, timeout=120, check=False
    )


def test_report_renders_with_table_and_images(browser, fake_outcomes, tmp_path):
    import matplotlib.image

    report = write_report(tmp_path / "out", fake_outcomes)
    url = report.resolve().as_uri()
    shot = tmp_path / "shot.png"
    done = chromium(
        browser, tmp_path, f"--screenshot={shot}", "--window-size=1200,2000", url
    )
    assert shot.exists(), done.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (2000, 1200)
    colours = np.unique((pixels * 255).astype(np.uint8).reshape(-1, 3), axis=0)
    assert pixels.std() > 0.05, "the screenshot is (nearly) blank"
    assert len(colours) > 50, f"only {len(colours)} distinct colours"

    dom = chromium(browser, tmp_path, "--dump-dom", url).stdout
    assert '<table id="summary">' in dom and "<tbody>" in dom
    assert dom.count('<img src="data:image/png;base64,') == 4
    assert "amsgrad" in dom and "ValueError: lr must be" in dom
