"""The benchmark suite in its tiny form, so it cannot rot; timings are for people, not asserts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FIGURES = [
    "cold start",
    "first frame",
    "memory",
    "search",
    "dashboard",
    "save",
    "sync bytes",
    "sync local",
    "sync on 2G",
    "server load (sqlite)",
    "bundle bytes",
    "bundle steps",
    # Encryption on, beside off.
    "cold start, encrypted",
    "search, encrypted",
    "dashboard, encrypted",
    "save, encrypted",
    # Every wait a person sees.
    "save a new person",
    "save a visit",
    "open a person (200 records)",
    "saves refused",
    "save a visit, encrypted",
    "ledger export in the app",
    "civtui status",
    "civtui report coverage",
    "import 500 roster rows",
    "re-import of the same 500 rows",
]


@pytest.mark.slow
def test_tiny_benchmark_run_prints_every_figure(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "250"}
    result = subprocess.run(
        [sys.executable, "-m", "bench", "--tiny", "--no-record"],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for figure in FIGURES:
        assert f"│ {figure}" in result.stdout, figure
    if os.environ.get("CIVTUI_TEST_POSTGRES_URL"):
        # One worker process and two, side by side.
        assert "server load (postgresql, 1 worker)" in result.stdout
        assert "server load (postgresql, 2 workers)" in result.stdout
    assert "Python 3." in result.stdout
