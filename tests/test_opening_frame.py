"""The app's first frame comes before the store is imported, and shows nothing of the profile.

Each start runs in a fresh interpreter, as a person's does: in the test process the store's
modules are loaded already and the app opens its profile at once (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench import keyring as bench_keyring
from civtui import i18n
from civtui.domain.clock import Clock
from civtui.services import keys
from civtui.services.profile import (
    Settings,
    first_records,
    load_settings,
    save_settings,
    settings_path,
)
from db import open_store as open_plain
from db.connection import encrypt_copy
from tests.conftest import TODAY, VILLAGE

ROOT = Path(__file__).resolve().parent.parent
#: A staff name that is markup, a key=value and a terminal escape at once.
HOSTILE = "[/]王=[bold]x\x1b[2J"

#: Opens the app headless through the `civtui` command and prints, as JSON, every frame it
#: painted (the screen, whether the store's modules were loaded, whether a store was open)
#: and the screen on top once it has settled.
START = r"""
import json, sys
from textual.app import App

painted = []
real_display, real_run = App._display, App.run

def display(app, screen, renderable):
    real_display(app, screen, renderable)
    if renderable is not None and not app._batch_count:
        store_open = getattr(app, "_store", None) is not None
        painted.append([type(screen).__name__, "db.store" in sys.modules, store_open])

async def settle(pilot):
    for _ in range(100):
        await pilot.pause()
        if type(pilot.app.screen).__name__ not in ("Screen", "OpeningScreen"):
            break
    await pilot.pause()
    settled.append(type(pilot.app.screen).__name__)
    pilot.app.exit()

settled = []
App._display = display
App.run = lambda app, *a, **k: real_run(app, headless=True, size=(100, 30), auto_pilot=settle)
from civtui.cli import main
main(["--profile", "p", "--today", sys.argv[1]], standalone_mode=False)
print(json.dumps({"painted": painted, "settled": settled}))
"""


def plain_profile(home: Path, pin: str | None) -> None:
    """A profile without a key (no keyring in the child), its staff named `HOSTILE`."""
    path = home / "profiles" / "p" / "civtui.db"
    path.parent.mkdir(parents=True)
    clock = Clock.pinned(TODAY)
    village, staff = first_records(
        village_code=VILLAGE,
        village_name="海星村",
        township="海星镇",
        staff_name=HOSTILE,
        role="assistant",
        clock=clock,
    )
    store = open_plain(path, clock, None)
    try:
        store.save_many([village, staff])
        with store.transaction():
            store.set_meta("staff_id", staff.id)
        if pin is not None:
            keys.set_pin(store, pin)
    finally:
        store.close()
    (home / "settings.json").write_text(json.dumps({"auto_sync": False, "profile": "p"}))


def encrypted(home: Path, key_id: str) -> None:
    """The plain profile encrypted with the bench keyring's key, key.json naming `key_id`."""
    path = home / "profiles" / "p" / "civtui.db"
    encrypt_copy(path, path.with_suffix(".enc"), bench_keyring.KEY)
    path.with_suffix(".enc").replace(path)
    info = {"version": 1, "id": key_id, "source": "keyring"}
    path.with_name(keys.KEY_FILE).write_text(json.dumps(info))


def start(home: Path, **env_added: str) -> dict[str, list[list[object]] | list[str]]:
    env = {**os.environ, "CIVTUI_HOME": str(home), "PYTHONPATH": str(ROOT), **env_added}
    out = subprocess.run(
        [sys.executable, "-c", START, TODAY.isoformat()],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    result: dict[str, list[list[object]] | list[str]] = json.loads(out.stdout.splitlines()[-1])
    return result


@pytest.mark.tui
def test_the_first_frame_comes_before_the_store_and_the_lock_before_the_profile(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    plain_profile(home, pin="2468")
    result = start(home)
    painted = result["painted"]
    assert painted[0] == ["OpeningScreen", False, False]
    screens = [frame[0] for frame in painted]
    assert "LockScreen" in screens
    # Nothing of the profile before the PIN: every frame before the lock's is the opening one.
    before_lock = screens[: screens.index("LockScreen")]
    assert set(before_lock) <= {"OpeningScreen"}
    assert "DashboardScreen" not in screens
    assert result["settled"] == ["LockScreen"]


@pytest.mark.tui
def test_without_a_pin_the_dashboard_follows_the_first_frame(tmp_path: Path) -> None:
    home = tmp_path / "home"
    plain_profile(home, pin=None)
    result = start(home)
    painted = result["painted"]
    assert painted[0] == ["OpeningScreen", False, False]
    assert result["settled"] == ["DashboardScreen"]


@pytest.mark.tui
def test_a_key_in_the_keyring_is_found_after_the_first_frame(tmp_path: Path) -> None:
    home = tmp_path / "home"
    plain_profile(home, pin=None)
    encrypted(home, bench_keyring.KEY_ID)
    result = start(home, PYTHON_KEYRING_BACKEND="bench.keyring.BenchKeyring")
    assert result["painted"][0] == ["OpeningScreen", False, False]
    assert result["settled"] == ["DashboardScreen"]


@pytest.mark.tui
def test_a_key_missing_from_the_keyring_closes_the_app_saying_so(tmp_path: Path) -> None:
    home = tmp_path / "home"
    plain_profile(home, pin=None)
    encrypted(home, "lost")  # the bench keyring has no key by this id
    env = {**os.environ, "CIVTUI_HOME": str(home), "PYTHONPATH": str(ROOT)}
    env["PYTHON_KEYRING_BACKEND"] = "bench.keyring.BenchKeyring"
    out = subprocess.run(
        [sys.executable, "-c", START, TODAY.isoformat()],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    painted = json.loads(out.stdout.splitlines()[-1])["painted"]
    assert {frame[0] for frame in painted} == {"OpeningScreen"}
    said = i18n.said("key.missing", profile="p").in_("zh")
    # As `civtui` says it, wrapped to the terminal's width.
    assert "".join(said.split()) in "".join(out.stderr.split())


def test_the_first_frame_imports_neither_pydantic_nor_the_store() -> None:
    """What `civtui` imports before Textual draws: not pydantic, sqlite-utils or the models."""
    code = (
        "import sys, civtui.cli, civtui.app, screens.opening;"
        "print(sorted(m for m in ('pydantic', 'sqlite_utils', 'db.store', 'civtui.domain.models',"
        " 'civtui.services.keys', 'screens.dashboard') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


def test_settings_read_without_pydantic_keep_their_rules(home: Path) -> None:
    """settings.json is read before the first frame: a damaged file or a value of the wrong
    type gives the defaults, a key it does not know is left out, and text stays text."""
    written = Settings(
        lang="en",
        keymap={"dashboard.visit": "f2"},
        backup_dir=HOSTILE,
        exports_written=[f"/tmp/{HOSTILE}.xlsx"],
        lock_minutes=0,
    )
    save_settings(written)
    assert load_settings() == written
    assert load_settings().model_copy(update={"lang": "zh"}).lang == "zh"
    path = settings_path()
    data = json.loads(path.read_text(encoding="utf-8"))
    path.write_text(json.dumps({**data, "from_a_newer_civtui": 1}), encoding="utf-8")
    assert load_settings() == written
    for damaged in (
        '{"lock_minutes": "10"}',
        '{"auto_sync": 1}',
        '{"keymap": {"a": 2}}',
        '{"exports_written": "x"}',
        '{"lock_minutes": true}',
        "[1]",
        "{",
        "\ufffe",
    ):
        path.write_text(damaged, encoding="utf-8")
        assert load_settings() == Settings(), damaged
    path.write_bytes(b"\xff\xfe{")
    assert load_settings() == Settings()


def test_start_up_freezes_what_it_imported_twice_a_process_at_most(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`civtui` and the first app's store modules freeze; a process that makes app after app
    (as the tests do) must not freeze each app's screens out of the collector."""
    import gc

    from civtui import app as app_module

    frozen: list[int] = []
    monkeypatch.setattr(app_module, "_kept_out", 0)
    monkeypatch.setattr(gc, "freeze", lambda: frozen.append(1))
    for _ in range(5):
        app_module.keep_out_of_collections()
    assert len(frozen) == 2
