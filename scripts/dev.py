#!/usr/bin/env python3
"""Set up a virtual environment and run civtui's demo or its whole check suite.

    python3 scripts/dev.py demo   # install, create the demo profile if missing, open the app
    python3 scripts/dev.py test   # install with dev tools, then ruff, mypy and pytest

Needs only Python >= 3.11 and the package index; everything else is installed
into .venv beside this repository.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Exact versions the suite was last run with: snapshots depend on Textual's rendering,
#: so a fresh machine must get the same libraries, not whatever is newest that day.
CONSTRAINTS = ROOT / "scripts" / "constraints.txt"
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def sh(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


def install(extras: str) -> None:
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        venv.create(VENV, with_pip=True)
    python = BIN / "python"
    sh(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--constraint",
        CONSTRAINTS,
        "--editable",
        f".[{extras}]",
    )


def demo() -> int:
    install("dev")
    civtui = BIN / "civtui"
    if sh(civtui, "--profile", "demo", "status", check=False) != 0:
        sh(civtui, "demo")
    return sh(civtui, "--profile", "demo", check=False)


def test() -> int:
    install("dev")
    python = BIN / "python"
    sh(python, "-m", "ruff", "check", ".")
    sh(python, "-m", "ruff", "format", "--check", ".")
    sh(python, "-m", "mypy")
    return sh(python, "-m", "pytest", "-n", "auto", "--dist", "loadfile", check=False)


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may meet an old python3)
        sys.exit("civtui needs Python 3.11 or newer")
    commands = {"demo": demo, "test": test}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        return commands[sys.argv[1]]()
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
