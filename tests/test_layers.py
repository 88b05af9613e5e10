"""The layers of docs/architecture.md: the import contract in pyproject.toml, and what loads when."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
PACKAGES = ("civtui", "screens", "db", "sync")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """`lint-imports` on the packages under `root`, with the contract in its pyproject.toml."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


def test_the_contract_holds() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


@pytest.mark.slow  # a copy of the code and a lint-imports process per edge
@pytest.mark.parametrize(
    ("module", "back_edge", "contract"),
    [
        # The store reaching up into the app shell.
        ("db/back_edge.py", "import civtui.app\n", "Layers"),
        # The server reaching the screens.
        ("sync/server/back_edge.py", "import screens.dashboard\n", "Layers"),
        # The domain loading the UI toolkit.
        ("civtui/domain/back_edge.py", "import textual.widgets\n", "never load the UI toolkit"),
        # A screen writing to the store past the services.
        ("screens/help.py", "from db import Store\n", "only through civtui.services"),
        # The server loading the laptop's store, directly or through the wire's models.
        ("sync/server/back_edge.py", "import db.outbox\n", "never load the laptop's store"),
        ("sync/server/back_edge.py", "import sync.client\n", "never load the laptop's store"),
    ],
)
def test_a_back_edge_breaks_the_contract(
    tmp_path: Path, module: str, back_edge: str, contract: str
) -> None:
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / module).write_text(back_edge)
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(contract in line for line in broken), result.stdout
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def test_every_screen_is_held_to_the_services() -> None:
    """A new screen module is listed in the `screens-not-db` contract, or this fails."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = project["tool"]["importlinter"]["contracts"]
    (held,) = [c["source_modules"] for c in contracts if c["id"] == "screens-not-db"]
    screens = {f"screens.{p.stem}" for p in (ROOT / "screens").glob("*.py") if p.stem != "__init__"}
    assert set(held) == screens


@pytest.mark.slow  # a fresh interpreter importing the CLI
def test_cli_does_not_load_textual_for_plain_commands() -> None:
    code = "import sys, civtui.cli; print('textual' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow  # a fresh interpreter importing the server
def test_the_server_does_not_load_the_laptops_store() -> None:
    """The server's modules and the wire's models run where no profile (nor SQLCipher) is."""
    code = (
        "import sys, sync.server.app, sync.server.bundle, sync.server.cli, sync.server.township;"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('db', 'sqlcipher3')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
