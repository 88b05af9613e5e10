"""Sync from inside the app: a worker against a real server process, conflicts in the person view."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from civtui.app import CivtuiApp
from civtui.domain.models import Person
from db import outbox
from screens.conflict import ConflictModal
from screens.dashboard import DashboardScreen
from screens.pending import PendingScreen
from screens.person import PersonScreen
from tests.conftest import CTX, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Server, device, restore_copy, server
from tests.tui_helpers import app_on, demo_profile

pytestmark = pytest.mark.tui

__all__ = ["server"]


async def settle(pilot: Pilot[None]) -> None:
    """Let scheduled work start, wait for every worker, then let the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.fixture
def synced_app(server: Server, home: Path, monkeypatch: pytest.MonkeyPatch) -> CivtuiApp:
    profile = demo_profile(home)
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    codes = ["330902112201", "330903103202", "330922101203"]
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("王晓丽", codes))
    return app_on(profile)


@SCREEN_ON_SQLITE
async def test_sync_key_runs_in_a_worker_and_the_status_bar_follows(synced_app: CivtuiApp) -> None:
    app = synced_app
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the automatic check at start-up
        assert app.store.pending_count() == 0, "auto sync pushed everything on start-up"
        status = str(app.screen.query_one("#statusbar", Static).content)
        assert "在线" in status and "待同步 0 条" in status
        # A new visit, then `s`: the worker pushes it while the screen stays usable.
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        assert app.store.pending_count() == 1
        await pilot.press("s")
        await settle(pilot)
        assert app.store.pending_count() == 0
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PendingScreen)
        table = screen.query_one("#changes", DataTable)
        assert table.row_count == 1 and str(table.get_row_at(0)[5]) == "已接收"


async def test_without_a_server_the_app_says_offline_and_keeps_working(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.sync_harness import free_port

    monkeypatch.setenv("CIVTUI_SERVER", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("CIVTUI_TOKEN", "civ_x_y")
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.link == "offline"
        assert "离线" in str(app.screen.query_one("#statusbar", Static).content)
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


@SCREEN_ON_SQLITE
async def test_sync_speaks_english_in_the_english_interface(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    from tests.sync_harness import free_port

    monkeypatch.setattr(random, "uniform", lambda low, high: 0.0)  # no backoff waits
    monkeypatch.setenv("CIVTUI_SERVER", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("CIVTUI_TOKEN", "civ_x_y")
    profile = demo_profile(home)
    app = app_on(profile, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "cannot reach the server" in said and "无法连接" not in said
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    monkeypatch.setenv("CIVTUI_TOKEN", server.token("王晓丽", ["330902112201"]))
    app = app_on(profile, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the start-up sync
        bar = app.screen.query_one("#statusbar", Static)
        status = str(bar.content)
        assert "sent " in status and " got " in status and "上传" not in status
        assert "sent (0 in conflict" in str(bar.tooltip)  # the bar's one line, in full


async def test_without_a_login_the_status_bar_says_so(home: Path) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the automatic try at start-up finds no login
        assert "未登录" in str(app.screen.query_one("#statusbar", Static).content)
        await pilot.press("s")
        await settle(pilot)
        assert "civtui login" in " ".join(str(n.message) for n in app._notifications)


@SCREEN_ON_SQLITE
async def test_after_a_restored_copy_the_app_saves_under_the_new_device_id(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civtui.domain.clock import Clock
    from civtui.services.keys import open_store
    from db.connection import backup
    from sync.client import Connection, sync
    from tests.conftest import TODAY

    profile = demo_profile(home)
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    token = server.token("王晓丽", ["330902112201", "330903103202", "330922101203"])
    monkeypatch.setenv("CIVTUI_TOKEN", token)
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    conn = Connection(server.base, token)
    sync(store, conn)
    backup(store.db, profile.db_path.with_name("copy.db"), store.key)
    later = make_person(name="备份后")
    store.save(later)
    sync(store, conn)
    old = store.device_id
    store.close()
    restore_copy(profile.db_path.with_name("copy.db"), profile.db_path)
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # the start-up sync sees the server ahead of this file
        renewed = app.store.get_meta("device_id")
        assert renewed not in (None, old) and app.store.device_id == renewed
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        [visit] = app.store.changes()
        assert visit.device_id == renewed and visit.hlc.endswith(str(renewed))
        assert app.store.get(Person, later.id) is not None  # written after the copy: back
    conn.close()


@SCREEN_ON_SQLITE
async def test_conflict_is_shown_and_the_other_value_can_be_chosen(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = device(server, "other")
    profile_token = server.token("王晓丽", ["330902112201"])
    person = make_person(name="林阿婆", address="东头")
    other.store.save(person)
    other.sync()
    from civtui.domain.clock import Clock
    from civtui.domain.models import Staff, Village
    from civtui.services.profile import Profile, create_profile
    from tests.conftest import TODAY

    staff = Staff(name="王晓丽", role="assistant", village_codes=["330902112201"])
    create_profile(
        Profile("mine"),
        [Village(id="330902112201", name="海星村", township="金塘镇"), staff],
        staff.id,
        Clock.pinned(TODAY),
    )
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    monkeypatch.setenv("CIVTUI_TOKEN", profile_token)
    app = app_on(Profile("mine"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        mine = app.store.get(Person, person.id)
        assert mine is not None
        # Both change the address; the other device's change is later and wins.
        app.store.save(mine.revise(context=CTX, address="西头"))
        other.store.clock = Clock.pinned(TODAY, hour=11)
        other.store.save(person.revise(context=CTX, address="北头"))
        other.sync()
        app.action_sync()
        await settle(pilot)
        app.push_screen(PersonScreen(person.id))
        await pilot.pause()
        view = app.screen
        assert "西头" in str(view.query_one("#conflicts", Static).content)
        assert "北头" in str(view.query_one("#profile", Static).content)
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConflictModal)
        await pilot.press("u")
        await pilot.pause()
        chosen = app.store.get(Person, person.id)
        assert chosen is not None and chosen.address == "西头"
        assert outbox.open_conflicts(app.store, [person.id]) == []
        assert app.store.pending_count() == 1


@SCREEN_ON_SQLITE
async def test_the_app_opened_after_a_month_ended_closes_it_after_the_pull(
    server: Server, synced_app: CivtuiApp
) -> None:
    """With auto sync on, the months that ended are closed by the first sync, after its pull:
    closed at start-up beside the sync, a month took the old rules although the township
    had changed them while the laptop was away."""
    import datetime as dt

    from civtui.domain.choices import Category, Frequency
    from civtui.domain.clock import Clock
    from civtui.domain.models import MonthClose
    from civtui.services.keys import open_store
    from sync.server import policy
    from tests.conftest import TODAY, VILLAGE

    app = synced_app
    store = open_store(app.profile.db_path, Clock.pinned(TODAY))
    try:
        store.set_meta("created_at", "2026-09-01T09:00:00+08:00")  # October ended here
    finally:
        store.close()
    october = dt.date(2026, 10, 1)
    policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.QUARTERLY, october)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await settle(pilot)  # a close the sync could not do would be queued by now
        closed = app.store.get(MonthClose, MonthClose.key(VILLAGE, october))
        assert closed is not None, "October was not closed"
        aged = [f for f in closed.figures if f["category"] == Category.ADVANCED_AGE.value]
        assert aged and {f["rate"] for f in aged} == {Frequency.QUARTERLY.value}, aged


async def test_the_app_that_cannot_sync_closes_the_ended_months_itself(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Offline for days, as an island is: the months that ended still close, under the
    policy the laptop has."""
    import datetime as dt

    from civtui.domain.clock import Clock
    from civtui.domain.models import MonthClose
    from civtui.services.keys import open_store
    from tests.conftest import TODAY, VILLAGE
    from tests.sync_harness import free_port

    monkeypatch.setenv("CIVTUI_SERVER", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("CIVTUI_TOKEN", "civ_x_y")
    profile = demo_profile(home)
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        store.set_meta("created_at", "2026-09-01T09:00:00+08:00")
    finally:
        store.close()
    app = app_on(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await settle(pilot)
        assert app.link == "offline"
        october = dt.date(2026, 10, 1)
        assert app.store.get(MonthClose, MonthClose.key(VILLAGE, october)) is not None
