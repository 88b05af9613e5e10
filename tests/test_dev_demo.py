"""`scripts/dev.py demo`: pip runs only when what it installs from changed, and an existing
demo profile is opened (its passphrase asked by the app), never taken for a missing one."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from civtui.services.profile import DEMO_PROFILE, Profile
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parent.parent


def _dev() -> ModuleType:
    spec = importlib.util.spec_from_file_location("civtui_dev_script", ROOT / "scripts" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


dev = _dev()


def test_install_runs_pip_only_when_pyproject_constraints_or_extras_change(
    tmp_path: Path,
) -> None:
    pyproject, constraints = tmp_path / "pyproject.toml", tmp_path / "constraints.txt"
    pyproject.write_text('[project]\nname = "civtui"\n', encoding="utf-8")
    constraints.write_text("textual==8.0.0\n", encoding="utf-8")
    stamp = tmp_path / ".venv" / "civtui-install.json"
    stamp.parent.mkdir()
    sources = (pyproject, constraints)
    digest = dev.sources_digest(sources)
    assert dev.install_needed(stamp, digest, "dev")  # a new venv
    dev.note_install(stamp, digest, "dev,server")
    assert not dev.install_needed(stamp, digest, "dev")  # fewer extras: already there
    assert not dev.install_needed(stamp, digest, "server, dev")
    assert dev.install_needed(stamp, digest, "dev,docs")  # a new extra
    constraints.write_text("textual==8.0.1\n", encoding="utf-8")
    changed = dev.sources_digest(sources)
    assert changed != digest and dev.install_needed(stamp, changed, "dev")
    # A different install since forgets the extras of the old one.
    dev.note_install(stamp, changed, "dev")
    assert dev.install_needed(stamp, changed, "server")
    # A damaged stamp means install again, not a crash.
    for damaged in ("", "{", "[]", '{"digest": 1}', "\xff"):
        stamp.write_text(damaged, encoding="utf-8")
        assert dev.install_needed(stamp, changed, "dev"), damaged


def test_same_bytes_under_other_names_are_another_install(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"x")
    b.write_bytes(b"")
    moved_a, moved_b = tmp_path / "c", tmp_path / "d"
    moved_a.write_bytes(b"")
    moved_b.write_bytes(b"x")
    assert dev.sources_digest((a, b)) != dev.sources_digest((moved_a, moved_b))


@pytest.fixture
def steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """What demo() runs, with install() and the civtui commands stood in for; the check
    for the demo profile runs for real, in this Python, against the test's CIVTUI_HOME."""
    bin_dir = tmp_path / "venv-bin"
    bin_dir.mkdir()
    # A wrapper, not a link: a link to a venv's python loses the venv (and civtui's deps).
    python = bin_dir / "python"
    python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n', encoding="utf-8")
    python.chmod(0o755)
    ran: list[list[str]] = []

    def sh(*args: object, check: bool = True) -> int:
        ran.append([Path(str(args[0])).name, *map(str, args[1:])])
        return 0

    monkeypatch.setattr(dev, "BIN", bin_dir)
    monkeypatch.setattr(dev, "install", lambda extras: None)
    monkeypatch.setattr(dev, "sh", sh)
    monkeypatch.setenv("CIVTUI_TODAY", TODAY.isoformat())
    return ran


def test_demo_makes_a_missing_profile_then_opens_it(home: Path, steps: list[list[str]]) -> None:
    assert dev.demo() == 0
    assert steps == [["civtui", "demo"], ["civtui", "--profile", "demo"]]


def test_demo_opens_an_existing_profile_without_opening_it_first(
    home: Path, steps: list[list[str]]
) -> None:
    # A profile whose key cannot be had here (no keyring, no passphrase given): the check
    # must not need it, so a wrong passphrase is never taken for "no profile yet".
    folder = Profile(DEMO_PROFILE).folder
    folder.mkdir(parents=True)
    Profile(DEMO_PROFILE).db_path.write_bytes(b"encrypted pages")
    assert dev.demo() == 0
    assert steps == [["civtui", "--profile", "demo"]]
