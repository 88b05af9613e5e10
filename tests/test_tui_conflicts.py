"""Two laptops and a real server, driven as people would: both change 王秀英's phone offline,
both sync, and each app says what happened from its own side, in its own language; the
choice made on one laptop is the value everywhere, and the conflict is gone on the other."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Static

from civtui.app import CivtuiApp
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Staff, Village
from civtui.services import conflicts
from civtui.services.keys import open_store
from civtui.services.profile import Profile, create_profile
from db import outbox
from screens.conflict import ConflictModal
from screens.conflicts import ConflictsScreen
from screens.person import PersonScreen
from sync.client import Connection, sync
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Server, server
from tests.tui_helpers import app_on, demo_profile, open_from_pending, pull_conflict, steady

pytestmark = pytest.mark.tui

__all__ = ["server"]

BEFORE, MINE, THEIRS = "13905800001", "13905800002", "13905800003"


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def told(app: CivtuiApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)


def text(modal: ConflictModal, selector: str) -> str:
    return str(modal.query_one(selector, Static).content)


@pytest.fixture
def clash(server: Server, home: Path, monkeypatch: pytest.MonkeyPatch) -> Person:
    """Laptops "a" and "b" of one village hold 王秀英; offline, a sets her phone to MINE,
    then b (an hour later) to THEIRS. Neither has synced since."""
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    token = server.token("王晓丽", [VILLAGE])
    monkeypatch.setenv("CIVTUI_TOKEN", token)
    staff = Staff(name="王晓丽", role="assistant", village_codes=[VILLAGE])
    village = Village(id=VILLAGE, name="海星村", township="金塘镇")
    person = make_person(name="王秀英", phone=BEFORE)
    for name, phone, hour in (("a", MINE, 10), ("b", THEIRS, 11)):
        create_profile(Profile(name), [village, staff], staff.id, Clock.pinned(TODAY))
        store = open_store(Profile(name).db_path, Clock.pinned(TODAY))
        conn = Connection(server.base, token)
        if name == "a":
            store.save(person)
        sync(store, conn)
        store.clock = Clock.pinned(TODAY, hour=hour)
        store.save(person.revise(context=CTX, phone=phone))
        conn.close()
        store.close()
    return person


async def open_dialog(pilot: Pilot[None], person: Person) -> ConflictModal:
    app = pilot.app
    app.push_screen(PersonScreen(person.id))
    await pilot.pause()
    await pilot.press("c")
    await pilot.pause()
    assert isinstance(app.screen, ConflictModal)
    return app.screen


@SCREEN_ON_SQLITE
async def test_each_laptop_is_told_from_its_side_and_one_choice_holds_everywhere(
    clash: Person,
) -> None:
    person = clash
    # a syncs first: its phone is accepted, nothing clashes yet.
    a = app_on(Profile("a"), lang="en")
    async with a.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "Conflict" not in told(a)

    # b's later phone wins; b is told it kept its own value over another device's.
    b = app_on(Profile("b"))
    async with b.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert (
            "冲突：王秀英 · 联系电话（本机的值已保留，另一设备的值未被采用，可在人员页按 c 处理）"
            in told(b)
        )
        modal = await open_dialog(pilot, person)
        assert text(modal, "#conflict-current-label") == "现值（本机的值）"
        assert text(modal, "#conflict-current") == THEIRS
        assert text(modal, "#conflict-lost-label") == "未被采用的值（另一设备的值）"
        assert text(modal, "#conflict-lost") == MINE
        assert str(modal.query_one("#use", Button).label) == "改用另一设备的值 (u)"
        await pilot.press("escape")  # left for now: still open
        await pilot.pause()
        assert len(outbox.open_conflicts(b.store, [person.id])) == 1

    # a learns its value lost, in English, and takes it back.
    a = app_on(Profile("a"), lang="en")
    async with a.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert (
            "Conflict: 王秀英 · Phone (this laptop's value was not kept; press c on the "
            "person's page to choose)" in told(a)
        )
        modal = await open_dialog(pilot, person)
        assert text(modal, "#conflict-current-label") == "Current value (the other device's value)"
        assert text(modal, "#conflict-current") == THEIRS  # the record now, not a stale copy
        assert text(modal, "#conflict-lost-label") == "Value not kept (this laptop's value)"
        assert text(modal, "#conflict-lost") == MINE
        assert str(modal.query_one("#use", Button).label) == "Use this laptop's value (u)"
        await pilot.press("u")
        await pilot.pause()
        assert not isinstance(a.screen, ConflictModal)
        mine = a.store.get(Person, person.id)
        assert mine is not None and mine.phone == MINE
        assert outbox.open_conflicts(a.store, [person.id]) == []
        a.action_sync()  # as `s` on the dashboard does
        await settle(pilot)
        assert a.store.pending_count() == 0

    # On b the conflict is gone after its next sync, and the phone is what a's dialog said.
    b = app_on(Profile("b"))
    async with b.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "1 处冲突已在另一设备上处理，本机已关闭" in told(b)
        assert outbox.open_conflicts(b.store, [person.id]) == []
        theirs = b.store.get(Person, person.id)
        assert theirs is not None and theirs.phone == MINE
        b.push_screen(PersonScreen(person.id))
        await pilot.pause()
        assert not b.screen.query_one("#conflicts", Static).display
        await pilot.press("c")
        await pilot.pause()
        assert not isinstance(b.screen, ConflictModal)


@SCREEN_ON_SQLITE
async def test_an_open_dialog_learns_of_a_resolution_made_elsewhere(
    clash: Person, server: Server
) -> None:
    person = clash
    for name in ("a", "b", "a"):
        app = app_on(Profile(name))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
    a = app_on(Profile("a"))
    async with a.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        modal = await open_dialog(pilot, person)
        assert modal.query_one("#use", Button).display
        # Meanwhile, on laptop b, someone keeps the current value and syncs.
        b = open_store(Profile("b").db_path, Clock.pinned(TODAY))
        [conflict] = outbox.open_conflicts(b, [person.id])
        choice = conflicts.look(b, conflict.id)
        assert choice is not None
        conflicts.resolve(b, choice, take_lost=False, today=TODAY)
        conn = Connection(server.base, os.environ["CIVTUI_TOKEN"])
        sync(b, conn)
        conn.close()
        b.close()
        # a syncs with its dialog still up: the dialog says the choice was made elsewhere.
        a.action_sync()
        await settle(pilot)
        assert a.screen is modal
        assert "这个冲突已在另一设备上处理" in text(modal, "#conflict-note")
        assert not modal.query_one("#use", Button).display
        assert str(modal.query_one("#keep", Button).label) == "关闭 (k)"
        await pilot.press("u")  # nothing to take any more
        await pilot.pause()
        assert a.screen is modal
        await pilot.press("k")
        await pilot.pause()
        assert not isinstance(a.screen, ConflictModal)
        kept = a.store.get(Person, person.id)
        assert kept is not None and kept.phone == THEIRS
        assert outbox.open_conflicts(a.store, [person.id]) == []


@SCREEN_ON_SQLITE
async def test_a_record_changed_under_the_dialog_is_not_overwritten(clash: Person) -> None:
    person = clash
    for name in ("a", "b", "a"):
        app = app_on(Profile(name))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
    a = app_on(Profile("a"))
    async with a.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        modal = await open_dialog(pilot, person)
        assert text(modal, "#conflict-current") == THEIRS
        # Meanwhile the phone is corrected elsewhere in the app (another screen, a sync).
        now = a.store.get(Person, person.id)
        assert now is not None
        a.store.save(now.revise(context=CTX, phone="13905809999"))
        await pilot.press("u")
        await pilot.pause()
        assert a.screen is modal, "refused, and drawn again"
        assert "记录刚刚有了变化" in text(modal, "#conflict-note")
        assert text(modal, "#conflict-current") == "13905809999"
        assert text(modal, "#conflict-current-label") == "现值（之后又修改过）"
        after = a.store.get(Person, person.id)
        assert after is not None and after.phone == "13905809999"
        assert len(outbox.open_conflicts(a.store, [person.id])) == 1
        await pilot.press("u")  # now it is the choice shown
        await pilot.pause()
        taken = a.store.get(Person, person.id)
        assert taken is not None and taken.phone == MINE


@pytest.fixture
def village_clash(server: Server, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Laptops "a" and "b", set up for the village and synced until each has seen the
    other's copy of it, rename it while offline: a to 海星村（东）, then b (an hour later) to
    海星社区. A record no person's page shows."""
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    token = server.token("王晓丽", [VILLAGE])
    monkeypatch.setenv("CIVTUI_TOKEN", token)
    staff = Staff(name="王晓丽", role="assistant", village_codes=[VILLAGE])
    village = Village(id=VILLAGE, name="海星村", township="金塘镇")
    for name in ("a", "b"):
        create_profile(Profile(name), [village, staff], staff.id, Clock.pinned(TODAY))
    for name, renamed, hour in (
        ("a", "", 0),
        ("b", "", 0),
        ("a", "海星村（东）", 10),
        ("b", "海星社区", 11),
    ):
        store = open_store(Profile(name).db_path, Clock.pinned(TODAY))
        conn = Connection(server.base, token)
        sync(store, conn)
        if renamed:
            store.clock = Clock.pinned(TODAY, hour=hour)
            store.save(village.revise(context=CTX, name=renamed))
        conn.close()
        store.close()


async def open_selected(pilot: Pilot[None]) -> ConflictModal:
    """Enter on the list: the dialog of the conflict under the cursor."""
    await pilot.press("enter")
    await pilot.pause()
    assert isinstance(pilot.app.screen, ConflictModal)
    return pilot.app.screen


def rows(screen: ConflictsScreen) -> list[list[str]]:
    table = screen.query_one("#conflicts", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


@SCREEN_ON_SQLITE
async def test_a_conflict_no_persons_page_shows_is_settled_from_the_pending_page(
    village_clash: None,
) -> None:
    a = app_on(Profile("a"), lang="en")
    async with a.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # accepted: no one else had renamed it yet

    b = app_on(Profile("b"))
    async with b.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert (
            "冲突：海星社区 · 村(社区)的村(社区)名称（本机的值已保留，另一设备的值未被采用，"
            "可在待同步页按 c 处理）" in told(b)
        )
        await pilot.press("p")
        await pilot.pause()
        title = str(b.screen.query_one("#pending-title", Static).content)
        assert "同步冲突 1 处，按 c 处理" in title
        await pilot.press("escape")
        await pilot.pause()
        listed = await open_from_pending(pilot)
        assert str(listed.query_one("#conflicts-title", Static).content) == "未处理的同步冲突（1）"
        assert rows(listed) == [
            ["海星社区", "村(社区)的村(社区)名称", "海星村（东）", "另一设备的值"]
        ]
        modal = await open_selected(pilot)
        assert text(modal, "#conflict-heading") == "同步冲突：海星社区 · 村(社区)的村(社区)名称"
        assert text(modal, "#conflict-current-label") == "现值（本机的值）"
        await pilot.press("escape")  # left open for now
        await pilot.pause()
        assert b.screen is listed and len(rows(listed)) == 1

    # a, whose name lost, takes it back from the list, in English.
    a = app_on(Profile("a"), lang="en")
    async with a.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "press c on the Pending page to choose" in told(a)
        listed = await open_from_pending(pilot)
        assert rows(listed) == [
            ["海星社区", "Village: Village name", "海星村（东）", "this laptop's value"]
        ]
        modal = await open_selected(pilot)
        assert text(modal, "#conflict-lost-label") == "Value not kept (this laptop's value)"
        await pilot.press("u")
        await pilot.pause()
        assert a.screen is listed
        assert rows(listed) == []
        assert str(listed.query_one("#conflicts-title", Static).content) == "No open sync conflicts"
        renamed = a.store.get(Village, VILLAGE)
        assert renamed is not None and renamed.name == "海星村（东）"
        a.action_sync()
        await settle(pilot)
        assert a.store.pending_count() == 0

    # On b the conflict is closed by its next sync, and the name is the one a chose.
    b = app_on(Profile("b"))
    async with b.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert outbox.open_conflicts(b.store) == []
        village = b.store.get(Village, VILLAGE)
        assert village is not None and village.name == "海星村（东）"
        listed = await open_from_pending(pilot)
        assert rows(listed) == []


def pulled_conflict(app: CivtuiApp, conflict_id: int, person: Person, field: str) -> None:
    """A conflict on `person`'s `field` as a pull brings it: this laptop's value lost."""
    kept = getattr(person, field)
    lost = "[/]\x1b[2J别处=1+2"
    pull_conflict(app, conflict_id, "persons", person.id, field, kept=kept, lost=lost)


async def test_shift_u_and_shift_k_choose_as_u_and_k_do(home: Path) -> None:
    """The dialog shows (u) and (k); with Shift held or Caps Lock on they still choose."""
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        first = app.store.all(Person, order_by="id")[0]
        person = first.revise(context=CTX, name="[/]王=秀英\\e", address="海星路[b]1号")
        app.store.save(person)
        pulled_conflict(app, 1, person, "address")
        await open_dialog(pilot, person)
        await pilot.press("U")
        await pilot.pause()
        assert not isinstance(app.screen, ConflictModal)
        taken = app.store.get(Person, person.id)
        assert taken is not None and taken.address == "[/]\x1b[2J别处=1+2"
        assert outbox.open_conflicts(app.store, [person.id]) == []

        app.pop_screen()
        await pilot.pause()
        pulled_conflict(app, 2, taken, "notes")
        await open_dialog(pilot, taken)
        await pilot.press("K")
        await pilot.pause()
        assert not isinstance(app.screen, ConflictModal)
        kept = app.store.get(Person, person.id)
        assert kept is not None and kept.notes == taken.notes
        assert outbox.open_conflicts(app.store, [person.id]) == []
