"""The app lock after idle minutes, automatic backups, and the status bar's word on backups."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail as fail_backend
from textual.widgets import Input, Static, TextArea

from civtui.app import CivtuiApp
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Visit
from civtui.services import backups, keys
from civtui.services.profile import Profile, Settings, create_profile, save_settings
from screens.dashboard import DashboardScreen
from screens.lock import LockScreen, delay_after
from screens.roster import RosterScreen
from screens.visit_form import VisitForm
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_data, demo_profile

PIN = "2580"


def with_pin(profile: Profile) -> None:
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        keys.set_pin(store, PIN)
    finally:
        store.close()


def go_idle(app: CivtuiApp, minutes: float) -> None:
    app.guard.last_input -= minutes * 60
    app.guard.check()


async def type_in(app: CivtuiApp, pilot: object, text: str) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    box = app.screen.query_one("#lock-secret", Input)
    box.value = text
    await pilot.press("enter")
    await pilot.pause()


def wait_over(app: CivtuiApp) -> None:
    """The wait after a wrong entry has passed (it is kept in the profile, by wall clock)."""
    with app.store.transaction():
        app.store.set_meta(keys.FAILED_AT_META, "0")


async def unlock_at_start(app: CivtuiApp, pilot: object) -> None:
    """A profile with a PIN opens on the lock screen; nothing else is shown before it."""
    assert isinstance(app.screen, LockScreen)
    await type_in(app, pilot, PIN)
    assert not isinstance(app.screen, LockScreen)


def message(app: CivtuiApp) -> str:
    return str(app.screen.query_one("#lock-message", Static).render())


@pytest.mark.tui
async def test_idle_app_locks_and_unlocking_keeps_the_form_input(home: Path) -> None:
    profile = demo_profile(home)
    with_pin(profile)
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await unlock_at_start(app, pilot)
        person = next(p for p in app.store.all(Person) if p.age_on(TODAY) >= 70)
        from screens.person import PersonScreen

        app.push_screen(PersonScreen(person.id))
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VisitForm)
        form.query_one("#in-notes", TextArea).text = "老人说屋顶漏雨"
        go_idle(app, 9)  # under the default 10 minutes: still open
        await pilot.pause()
        assert app.screen is form
        go_idle(app, 10)
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        # The form is not on show, and the app's keys do not reach past the lock.
        assert "老人说屋顶漏雨" not in "".join(str(w.render()) for w in app.screen.query(Static))
        await pilot.press("ctrl+r", "ctrl+o", "ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert not any(isinstance(s, RosterScreen) for s in app.screen_stack)
        await type_in(app, pilot, "0000")
        assert isinstance(app.screen, LockScreen)
        assert "不对" in message(app) and "1" in message(app)
        # The right PIN too soon after a wrong one still waits.
        await type_in(app, pilot, PIN)
        assert isinstance(app.screen, LockScreen) and "请等" in message(app)
        lock = app.screen
        assert isinstance(lock, LockScreen)
        wait_over(app)
        await type_in(app, pilot, "1111")
        assert lock.failures == 2 and keys.wait_left(app.store, app.clock.now().timestamp()) > 0
        wait_over(app)
        await type_in(app, pilot, PIN)
        assert app.screen is form
        assert form.query_one("#in-notes", TextArea).text == "老人说屋顶漏雨"
        await pilot.press("ctrl+s")
        await pilot.pause()
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    notes = [v.notes for v in store.all(Visit, "person_id = ?", [person.id])]
    store.close()
    assert "老人说屋顶漏雨" in notes


def test_each_wrong_entry_waits_longer() -> None:
    waits = [delay_after(n) for n in range(1, 12)]
    assert waits[:4] == [2, 4, 8, 16]
    assert waits == sorted(waits) and waits[-1] == 300


@pytest.mark.tui
async def test_a_passphrase_profile_unlocks_with_its_passphrase(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    passphrase = "村口 大樟树 2026"
    monkeypatch.setenv(keys.PASSPHRASE_ENV, passphrase)
    data = demo_data()
    profile = Profile("demo")
    create_profile(profile, data.all()[:40], data.staff[0].id, Clock.pinned(TODAY))
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)  # read once, then gone
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        go_idle(app, 11)
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await type_in(app, pilot, "not it at all")
        assert "不对" in message(app)
        wait_over(app)
        await type_in(app, pilot, passphrase)
        assert isinstance(app.screen, DashboardScreen)


@pytest.mark.tui
async def test_without_a_pin_or_passphrase_nothing_locks_and_a_setting_of_0_never_locks(
    home: Path,
) -> None:
    profile = demo_profile(home)
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        go_idle(app, 60)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)  # a keyring key and no PIN
    with_pin(profile)
    save_settings(Settings(lock_minutes=0))
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await unlock_at_start(app, pilot)
        go_idle(app, 600)
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


@pytest.mark.tui
async def test_automatic_backup_and_the_status_bar(home: Path, tmp_path: Path) -> None:
    profile = demo_profile(home)
    usb = tmp_path / "usb"
    save_settings(Settings(backup_dir=str(usb), backup_every_hours=24, backups_kept=3))
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        [taken] = backups.backups_in(usb, "demo")
        assert backups.check(profile, taken).path == taken
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.refresh_status()
        bar = str(screen.query_one("#statusbar", Static).render())
        assert "备份" not in bar  # just taken: nothing to say
    # Three days later, with the folder (the USB stick) gone, the bar says how old it is.
    save_settings(Settings(backup_dir=None, backup_every_hours=24))
    later = Clock.pinned(TODAY + dt.timedelta(days=3))
    app = CivtuiApp(profile, clock=later)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.refresh_status()
        bar = str(screen.query_one("#statusbar", Static).render())
        assert f"上次备份：{TODAY:%Y-%m-%d}" in bar
