#!/usr/bin/env python3
"""Build the laptop app as one folder that runs without Python: dist/laptop/civtui/civtui.

    .venv/bin/python scripts/build_laptop.py [--dist DIR] [--work DIR]

Run it with the venv's Python (PyInstaller is in the dev extra); `python3 scripts/dev.py
build-laptop` installs the venv and runs it. Why PyInstaller and one-folder mode, how long it
takes and how big it is: docs/laptop-build.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: The laptop's entry point: what `civtui` (the console script) runs.
ENTRY = ROOT / "civtui" / "__main__.py"

#: Loaded by name at run time, so PyInstaller's import scan cannot see them: Textual's
#: widgets (textual.widgets.__getattr__), Rich's per-Unicode-version width tables, the
#: keyring backends (entry points) and SQLCipher's own `sqlite3` module. The CLI's
#: subcommands (also loaded by name) come from civtui.cli.SUBCOMMANDS: see hidden_imports.
COLLECT_SUBMODULES = [
    "textual.widgets",
    "rich._unicode_data",
    "keyring.backends",
    "sqlcipher3",
]
#: Files read at run time beside the modules: the .tcss stylesheets, Textual's own CSS and
#: pypinyin's dictionaries (JSON).
COLLECT_DATA = ["civtui", "screens", "textual", "pypinyin"]
#: keyring finds its backends through the installed distribution's entry points.
COPY_METADATA = ["keyring", "civtui"]
#: The township server is not part of a laptop: without its libraries the folder is smaller,
#: and `civtui server` says they are not installed (the server runs from the wheel).
EXCLUDE = [
    "fastapi",
    "uvicorn",
    "starlette",
    "sqlalchemy",
    "alembic",
    "psycopg",
    "psycopg_binary",
    "pytest",
    "hypothesis",
    "schemathesis",
    "mypy",
    "tkinter",
]


def hidden_imports() -> list[str]:
    """The modules of the CLI's subcommands, which it imports by name when one runs."""
    sys.path.insert(0, str(ROOT))
    from civtui.cli import SUBCOMMANDS

    modules = {target.partition(":")[0] for target in SUBCOMMANDS.values()}
    return sorted(modules - set(EXCLUDE))


def pyinstaller_args(dist: Path, work: Path) -> list[str]:
    args = [
        str(ENTRY),
        "--name",
        "civtui",
        "--onedir",  # one-file mode unpacks ~100 MB to a temp folder on every start
        "--console",
        # UTF-8 mode: piped or redirected output (`civtui status --json > f`) is UTF-8 on a
        # Chinese Windows too, not the console's GBK code page (docs/windows.md).
        "--python-option",
        "X utf8",
        "--noconfirm",
        "--clean",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
        "--specpath",
        str(work),
        "--paths",
        str(ROOT),
    ]
    for name in hidden_imports():
        args += ["--hidden-import", name]
    for name in COLLECT_SUBMODULES:
        args += ["--collect-submodules", name]
    for name in COLLECT_DATA:
        args += ["--collect-data", name]
    for name in COPY_METADATA:
        args += ["--copy-metadata", name]
    for name in EXCLUDE:
        args += ["--exclude-module", name]
    return args


def program_name() -> str:
    return "civtui.exe" if os.name == "nt" else "civtui"


def build(dist: Path, work: Path) -> Path:
    """Run PyInstaller; the built program's path."""
    started = time.monotonic()
    command = [sys.executable, "-m", "PyInstaller", *pyinstaller_args(dist, work)]
    subprocess.run(command, check=True, cwd=ROOT)
    program = dist / "civtui" / program_name()
    if not program.exists():
        raise SystemExit(f"PyInstaller made no {program}")
    print(f"built {program} in {time.monotonic() - started:.0f} s", flush=True)
    return program


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def ensure_tmux() -> bool:
    """Whether tmux is here (the smoke test's terminal); installs it on Debian if root."""
    if shutil.which("tmux") is None and shutil.which("apt-get") and os.geteuid() == 0:
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-qq", "tmux"], check=False, env=apt)
    return shutil.which("tmux") is not None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist" / "laptop")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "laptop")
    options = parser.parse_args()
    program = build(options.dist, options.work)
    print(f"{folder_size(program.parent) / 2**20:.0f} MiB in {program.parent}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
