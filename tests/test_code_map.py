"""Every test file is on the map of the code (tests/code_map.py), once, and the map
selects what it says: `-m store` collects the store's tests and nothing else."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from tests.code_map import LAYERS

TESTS = Path(__file__).resolve().parent


def test_every_test_file_is_on_the_map_once() -> None:
    files = {p.stem.removeprefix("test_") for p in TESTS.glob("test_*.py")}
    filed = Counter(name for _, names in LAYERS.values() for name in names)
    assert sorted(files - set(filed)) == []
    assert sorted(set(filed) - files) == []
    assert [name for name, n in filed.items() if n > 1] == []


@pytest.mark.slow  # a second pytest collecting three files: ~5 s of CPU
def test_a_layer_marker_selects_that_layers_files() -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-m",
            "store",
            "-p",
            "no:xdist",
            # Two layers' files: the marker must keep one and drop the other.
            "tests/test_store.py",
            "tests/test_kept_keys.py",
            "tests/test_resident_id.py",
        ],
        cwd=TESTS.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    collected = {line.split("::")[0] for line in run.stdout.splitlines() if "::" in line}
    assert collected == {"tests/test_store.py", "tests/test_kept_keys.py"}
