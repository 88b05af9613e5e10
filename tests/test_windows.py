"""The code paths that differ on Windows, run here with the platform simulated (docs/windows.md).

Only what the standard library lets a Linux run pretend: `sys.platform` and `os.name` as the
code reads them. What needs Windows itself (Credential Manager, the console) is in the doc.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import stat
import sys
from pathlib import Path
from types import ModuleType

import pytest

from civtui.app import hangup_signals
from db.connection import create_private
from tests.install_helpers import ROOT


def test_hangup_signals_on_windows_are_none(monkeypatch: pytest.MonkeyPatch) -> None:
    # asyncio's Windows loop has no add_signal_handler: asking it for one would end the app.
    assert hangup_signals("win32") == ()
    monkeypatch.setattr(sys, "platform", "win32")
    assert hangup_signals() == ()


def test_hangup_signals_elsewhere_keep_drafts_on_sighup_and_sigterm(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for platform in ("linux", "darwin"):
        assert hangup_signals(platform) == (signal.SIGHUP, signal.SIGTERM)
    monkeypatch.setattr(sys, "platform", "linux")
    assert hangup_signals() == (signal.SIGHUP, signal.SIGTERM)


def test_profile_file_mode_is_left_to_the_folder_acl_on_windows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows a file's mode bits are only read-only or not: access is the ACL of the
    user's own AppData folder, so chmod must not be relied on (nor make the file read-only)."""
    path = tmp_path / "profile" / "civtui.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    path.chmod(0o644)  # a copied file, readable by others
    monkeypatch.setattr(os, "name", "nt")
    create_private(path)
    monkeypatch.undo()
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert os.access(path, os.W_OK)


def test_profile_file_made_private_on_posix_even_if_copied_readable(tmp_path: Path) -> None:
    path = tmp_path / "profile" / "civtui.db"
    path.parent.mkdir()
    path.write_bytes(b"")
    path.chmod(0o644)
    create_private(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_laptop_build_program_is_an_exe_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    script = _build_script()
    assert script.program_name() == "civtui"
    monkeypatch.setattr(os, "name", "nt")
    assert script.program_name() == "civtui.exe"


def _build_script() -> ModuleType:
    """scripts/build_laptop.py, loaded from its file (scripts/ is not a package)."""
    spec = importlib.util.spec_from_file_location("build_laptop", ROOT / "scripts/build_laptop.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
