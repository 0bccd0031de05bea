"""Fixtures of the reliability tests: a small run and the command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cli_env() -> dict[str, str]:
    """Environment for ``python3 -m adamlab.cli.main`` in a subprocess."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.setdefault("NUMBA_CACHE_DIR", "/tmp/numba_cache")
    return env


@pytest.fixture
def cli_cmd() -> list[str]:
    """The command line as a subprocess argument list."""
    return [sys.executable, "-m", "adamlab.cli.main"]


@pytest.fixture
def cli(capsys):
    """Run ``adamlab ARGS`` in-process; return (status, stdout, stderr)."""
    from adamlab.cli.main import main

    def call(*args: str) -> tuple[int, str, str]:
        try:
            status = main([str(a) for a in args])
        except SystemExit as exc:  # argparse errors
            status = exc.code
        out, err = capsys.readouterr()
        return status, out, err

    return call
