"""The laptop build without Python (scripts/build_laptop.py): built once, then used as a laptop.

What a frozen app loses first are the files and modules loaded by name: stylesheets, the CLI's
subcommands, SQLCipher's extension, keyring backends, pypinyin's dictionaries, openpyxl,
calamine's compiled reader. Each step below goes through one of them, in the built folder with
no Python of ours on the path.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import ModuleType

import openpyxl
import pytest

from tests.install_helpers import PASSPHRASE, ROOT, clean_env

pytestmark = pytest.mark.slow


def _build_script() -> ModuleType:
    """scripts/build_laptop.py, loaded from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_laptop", ROOT / "scripts/build_laptop.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def needed(what: str) -> None:
    """Missing tools fail in CI (the build must be proved there) and skip elsewhere."""
    if os.environ.get("CI"):
        pytest.fail(f"the laptop build test needs {what} in CI")
    pytest.skip(f"{what} not available")


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if importlib.util.find_spec("PyInstaller") is None:
        needed("PyInstaller (the dev extra)")
    folder = tmp_path_factory.mktemp("laptop")
    command = [sys.executable, str(ROOT / "scripts" / "build_laptop.py"),
               "--dist", str(folder / "dist"), "--work", str(folder / "work")]  # fmt: skip
    built = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return folder / "dist" / "civtui" / "civtui"


def laptop_env(home: Path, **extra: str) -> dict[str, str]:
    """A laptop with no keyring: the profile's key comes from the passphrase."""
    return clean_env(
        CIVTUI_HOME=str(home),
        CIVTUI_PASSPHRASE=PASSPHRASE,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        **extra,
    )


def run(program: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(program), "--lang", "en", *args],
        capture_output=True, text=True, env=env, cwd=program.parent.parent, timeout=180,
    )  # fmt: skip


@pytest.fixture(scope="module")
def demo_home(program: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A laptop's data folder whose demo profile the built program made, for both tests: a
    demo costs ~1.5 s of CPU, and neither test needs a profile the other has not touched."""
    home = tmp_path_factory.mktemp("laptop-home")
    made = run(program, "demo", env=laptop_env(home))
    assert made.returncode == 0, made.stdout[-2000:] + made.stderr[-2000:]
    return home


def test_the_laptop_build_runs_without_python(
    program: Path, demo_home: Path, tmp_path: Path
) -> None:
    env = laptop_env(demo_home)
    version = run(program, "--version", env=env)
    assert version.returncode == 0 and "civtui, version 0.1.0" in version.stdout

    db = demo_home / "profiles" / "demo" / "civtui.db"
    assert not db.read_bytes().startswith(b"SQLite format 3")  # encrypted at rest

    status = run(program, "status", "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["counts"]["persons"] > 0

    # The encrypted profile opens with its passphrase only (SQLCipher is in the folder).
    wrong = run(program, "status", env={**env, "CIVTUI_PASSPHRASE": "not-the-passphrase"})
    assert wrong.returncode != 0
    assert "passphrase" in (wrong.stdout + wrong.stderr).lower()

    # The township server is left out: said so, not a traceback.
    server = run(program, "server", "init", env=env)
    assert server.returncode != 0 and "Traceback" not in server.stderr
    assert "server parts are not installed" in server.stderr

    # An export: openpyxl and the pinyin sort of names, from the frozen folder.
    ledger = tmp_path / "visits.xlsx"
    exported = run(program, "export", "visits", "-o", str(ledger), env=env)
    assert exported.returncode == 0, exported.stderr
    book = openpyxl.load_workbook(ledger, read_only=True)
    assert book.sheetnames and any(book[name].max_row > 1 for name in book.sheetnames)
    book.close()

    # A roster in: the template written by openpyxl, filled in, read back by calamine.
    template = tmp_path / "roster.xlsx"
    made = run(program, "import", "template", "persons", "-o", str(template), env=env)
    assert made.returncode == 0, made.stderr
    roster = openpyxl.load_workbook(template)
    sheet = roster.active
    assert sheet is not None
    sheet.append(["Wang [/b]", "330902194404041017", "13905801234"])
    roster.save(template)
    dry = run(program, "import", "persons", str(template), "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stdout[-2000:] + dry.stderr[-2000:]
    assert json.loads(dry.stdout)["new"] == 1


def test_the_laptop_build_shows_the_dashboard_in_a_terminal(program: Path, demo_home: Path) -> None:
    if not _build_script().ensure_tmux():
        needed("tmux")
    env = laptop_env(demo_home)
    socket = f"civtui-test-{uuid.uuid4().hex[:8]}"  # a tmux server of this test's own
    tmux = [shutil.which("tmux") or "tmux", "-L", socket]
    variables = " ".join(
        f"{name}={shlex.quote(env[name])}"
        for name in ("CIVTUI_HOME", "CIVTUI_PASSPHRASE", "PYTHON_KEYRING_BACKEND")
    )
    command = f"env {variables} {shlex.quote(str(program))} --lang en; sleep 60"
    subprocess.run([*tmux, "new", "-d", "-s", "laptop", "-x", "80", "-y", "24", command],
                   check=True, env=clean_env())  # fmt: skip
    try:
        # The dashboard's own words, the status bar's and the footer's: all drawn, with the
        # stylesheets' layout, means the frame is whole (a first frame may be half drawn).
        wanted = ("Coverage this month", "Work list", "pending", "Sync")
        screen = ""
        deadline = time.monotonic() + 90  # a first start on a loaded 2-core machine is slow
        while time.monotonic() < deadline and not all(word in screen for word in wanted):
            time.sleep(1)
            captured = subprocess.run([*tmux, "capture-pane", "-p", "-t", "laptop"],
                                      capture_output=True, text=True, check=False)  # fmt: skip
            screen = captured.stdout
        assert all(word in screen for word in wanted), screen
        assert len(screen.splitlines()) <= 24 and "Traceback" not in screen
    finally:
        subprocess.run([*tmux, "kill-server"], check=False, capture_output=True)
