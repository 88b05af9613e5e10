"""Building the app on a pinned demo profile, as every screen test does."""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import tempfile
from pathlib import Path

import keyring
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from civtui.app import CivtuiApp, make_app
from civtui.domain.clock import Clock
from civtui.services import demo
from civtui.services.profile import Profile, create_profile
from db import outbox
from db.outbox import PulledConflict
from screens.conflicts import ConflictsScreen
from screens.pending import PendingScreen
from tests.conftest import TODAY, MemoryKeyring

DEMO_PERSONS = 120


@functools.cache
def demo_data() -> demo.DemoData:
    return demo.generate(DEMO_PERSONS, seed=5, today=TODAY)


@functools.cache
def _built_demo() -> tuple[Path, dict[tuple[str, str], str]]:
    """One demo profile per test process, built in a folder of its own with its own keyring.

    Writing 120 people and their records through the store (encrypted, change-logged)
    costs a second or more; every screen test starts from the same one, so each gets a copy.
    """
    folder = Path(tempfile.mkdtemp(prefix="civtui-demo-cache-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    saved_home, saved_keyring = os.environ.get("CIVTUI_HOME"), keyring.get_keyring()
    ring = MemoryKeyring()
    os.environ["CIVTUI_HOME"] = str(folder)
    keyring.set_keyring(ring)
    try:
        data = demo_data()
        create_profile(Profile("demo"), data.all(), data.staff[0].id, Clock.pinned(TODAY))
    finally:
        keyring.set_keyring(saved_keyring)
        if saved_home is None:
            del os.environ["CIVTUI_HOME"]
        else:
            os.environ["CIVTUI_HOME"] = saved_home
    return folder, dict(ring.items)


def demo_profile(home: Path) -> Profile:
    """A fresh demo profile in `home` (the fixture that set CIVTUI_HOME): a copy of one build."""
    folder, secrets = _built_demo()
    shutil.copytree(folder, home, dirs_exist_ok=True)
    for (service, account), secret in secrets.items():
        keyring.set_password(service, account, secret)
    return Profile("demo")


def app_on(profile: Profile, lang: str = "zh") -> CivtuiApp:
    return make_app(profile, lang=lang, clock=Clock.pinned(TODAY))


@pytest.fixture
def app(home: Path) -> CivtuiApp:
    return app_on(demo_profile(home))


async def steady(pilot: Pilot[None]) -> None:
    """Let the app settle and stop cursors blinking, so screenshots are stable."""
    # The look for the server at start-up runs in a worker; the status bar shows its answer.
    # The dashboard's coverage and work list are counted by workers too.
    await counted(pilot)
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()


async def counted(pilot: Pilot[None]) -> None:
    """Wait until the dashboard's counted panels (coverage, the work list) show their figures:
    workers fill them after the first frame, and again after every refresh."""
    from screens.panels import CountedPanel

    for _ in range(100):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        panels = pilot.app.screen.query(CountedPanel)
        if all(panel.counted and not panel.busy for panel in panels):
            break
    await pilot.pause()


async def open_from_pending(pilot: Pilot[None]) -> ConflictsScreen:
    """p on the dashboard, then c: the list of every open conflict."""
    await pilot.press("p")
    await pilot.pause()
    assert isinstance(pilot.app.screen, PendingScreen)
    await pilot.press("c")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConflictsScreen)
    return pilot.app.screen


def pull_conflict(
    app: CivtuiApp,
    conflict_id: int,
    table: str,
    record_id: str,
    field: str,
    *,
    kept: object,
    lost: object,
) -> None:
    """A conflict as a pull brings it: this laptop's value of `field` lost to another's."""
    outbox.apply_page(
        app.store,
        [],
        [
            PulledConflict(
                id=conflict_id,
                table=table,
                record_id=record_id,
                field=field,
                kept_value=kept,
                lost_value=lost,
                kept_device="other",
                lost_device=app.store.device_id,
                lost_hlc="1764118800000-0000-other",
            )
        ],
        outbox.cursor(app.store),
    )
