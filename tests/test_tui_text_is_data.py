"""Names, notes and villages are shown as the characters they hold, on every screen.

A name is text, never Textual/Rich markup (`[/]` made the app die at start) and never a
terminal instruction (`\\x1b[2J` cleared the screen, `\\u202e` reversed a line). Each test
puts hostile values into the profile (typed in, imported, or pulled by a sync) and walks
the screens with the pilot: the app stays up, and the literal text is what is on screen.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import DataTable, Input

from civtui.app import CivtuiApp
from civtui.domain.models import Person, Village, Visit, new_id
from civtui.services import crash, reports
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from db import outbox, queries
from db.drafts import Draft
from db.outbox import PulledConflict
from db.store import Remote, Store
from screens.confirm import ConfirmModal, InfoModal, ReasonModal
from screens.conflict import ConflictModal
from screens.dashboard import DashboardScreen
from screens.drafts import DraftModal, describe
from screens.form import ModelForm
from screens.help import HelpScreen
from screens.pending import PendingScreen
from screens.person import PersonScreen
from screens.record import RecordScreen
from screens.reports import CoverageScreen, EligibleScreen
from screens.roster import RosterScreen
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_profile, steady

pytestmark = pytest.mark.tui

#: Each name the testers found, and what it must look like on screen.
MARKUP_NAME = "[/]"
BOLD_NAME = "[bold]x"
LINK_NAME = "[link=https://x]y[/link]"
CLEARING_NAME = "\x1b[2J清屏"
REVERSED_NAME = "\u202e反向"
HOSTILE_VILLAGE = "[red]海星村[/]\x1b]0;pwned\x07"
#: The longest note a visit may carry, full of markup and escapes.
LONG_NOTE = ("[/][bold]注意\x1b[31m红\u202e" * 200)[:2000]

#: What a terminal would obey if it reached it: none of these may be on screen.
RAW = ("\x1b", "\u202e", "\x07")


def screen_text(app: CivtuiApp) -> str:
    """The characters on the terminal now, line by line, as the compositor drew them."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_shown_as_text(app: CivtuiApp, *literal: str) -> None:
    """The app is up, each `literal` is on screen as typed, and nothing raw reaches the tty."""
    assert app.is_running
    shown = screen_text(app)
    for text in literal:
        assert text in shown, f"{text!r} not on screen:\n{shown}"
    for raw in RAW:
        assert raw not in shown


def rename(store: Store, person: Person, name: str) -> Person:
    renamed = person.model_copy(update={"name": name})
    store.save(renamed)
    return renamed


def high_risk_child(store: Store) -> Person:
    row = queries.dashboard(store, TODAY, 200).high_risk[0]
    person = store.get(Person, row.id)
    assert person is not None
    return person


def hostile_profile(home: Path) -> tuple[Profile, dict[str, Person]]:
    """The demo profile with a high-risk child named `[/]`, the work list's head named with
    markup and escapes, a hostile village name and a long hostile note."""
    profile = demo_profile(home)
    store = open_store(profile.db_path)
    try:
        people: dict[str, Person] = {"child": rename(store, high_risk_child(store), MARKUP_NAME)}
        work = queries.dashboard(store, TODAY, 200).work
        others = [store.get(Person, w.person_id) for w in work[:8]]
        names = iter([BOLD_NAME, LINK_NAME, CLEARING_NAME, REVERSED_NAME])
        for person in others:
            if person is None or person.id == people["child"].id:
                continue
            name = next(names, None)
            if name is None:
                break
            people[name] = rename(store, person, name)
        village = store.get(Village, people["child"].village_code)
        assert village is not None
        store.save(village.model_copy(update={"name": HOSTILE_VILLAGE}))
        visit = Visit(
            id=new_id(),
            person_id=people[BOLD_NAME].id,
            visit_date=TODAY - dt.timedelta(days=3),
            visitor="[/]王",
            notes=LONG_NOTE,
            follow_up_needed=True,
            follow_up_note="[link=https://x]跟进[/link]\x1b[2J",
        )
        store.save(visit)
    finally:
        store.close()
    return profile, people


async def open_screen(pilot: Pilot[None], screen: Screen[Any]) -> None:
    pilot.app.push_screen(screen)
    await pilot.pause()
    await pilot.pause()


async def test_markup_name_on_high_risk_list_does_not_crash_start(home: Path) -> None:
    profile = demo_profile(home)
    store = open_store(profile.db_path)
    child = rename(store, high_risk_child(store), MARKUP_NAME)
    store.close()
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert_shown_as_text(app, MARKUP_NAME)
        # `v` opens the child's form, whose title names the child.
        app.screen.query_one("#worklist", DataTable).focus()
        app.push_screen(PersonScreen(child.id))
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ModelForm)
        assert_shown_as_text(app, MARKUP_NAME)


@pytest.mark.slow
async def test_every_screen_shows_hostile_names_and_notes_as_text(home: Path) -> None:
    profile, people = hostile_profile(home)
    child, bold = people["child"], people[BOLD_NAME]
    app = app_on(profile)
    async with app.run_test(size=(140, 45)) as pilot:
        await steady(pilot)
        # Dashboard: the work list, the follow-ups, the high-risk list.
        assert_shown_as_text(app, MARKUP_NAME, BOLD_NAME, LINK_NAME, "␛[2J清屏")

        # Roster, found by a name with markup in it; the village filter lists the village.
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        app.screen.query_one("#search", Input).value = "[link"
        await pilot.pause()
        assert_shown_as_text(app, LINK_NAME)

        # The person page and its timeline, the record page with the 2,000-character note.
        await open_screen(pilot, PersonScreen(bold.id))
        assert_shown_as_text(app, BOLD_NAME, "[link=https://x]跟进[/link]␛[2J")
        visit = next(v for v in app.store.all(Visit) if v.person_id == bold.id)
        await open_screen(pilot, RecordScreen(visit, bold))
        assert_shown_as_text(app, BOLD_NAME, "[/][bold]注意␛[31m红\\u202e", "[/]王")

        # The form that corrects it: its title names the person.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ModelForm)
        assert_shown_as_text(app, BOLD_NAME)
        app.pop_screen()
        await pilot.pause()

        # The child's page, the hostile village, and a child-check form.
        await open_screen(pilot, PersonScreen(child.id))
        assert_shown_as_text(app, MARKUP_NAME, "[red]海星村[/]␛]0;pwned␇")
        await pilot.press("v")
        await pilot.pause()
        assert isinstance(app.screen, ModelForm)
        assert_shown_as_text(app, MARKUP_NAME)
        app.pop_screen()
        await pilot.pause()

        # Dialogs: confirm, reason, info, draft, conflict.
        question = f"{CLEARING_NAME} [/] 确定吗？"
        for modal in (ConfirmModal(question, "[bold]是", "[/]否"), ReasonModal(question)):
            await open_screen(pilot, modal)
            assert_shown_as_text(app, "␛[2J清屏 [/] 确定吗？")
            app.pop_screen()
            await pilot.pause()
        await open_screen(pilot, InfoModal(f"{REVERSED_NAME}\n{LINK_NAME}"))
        assert_shown_as_text(app, "\\u202e反向", LINK_NAME)
        app.pop_screen()
        draft = Draft(1, "visit", {"person_id": child.id}, {}, "2026-11-21T10:00:00")
        await open_screen(pilot, DraftModal(describe(app.store, draft, app.t), draft.saved_at))
        assert_shown_as_text(app, MARKUP_NAME)
        app.pop_screen()
        outbox.apply_page(
            app.store,
            [],
            [
                PulledConflict(
                    id=1,
                    table="persons",
                    record_id=child.id,
                    field="address",
                    kept_value="[bold]海星路1号",
                    lost_value="[/]\x1b[2J别处",
                    kept_device="other",
                    lost_device=app.store.device_id,
                    lost_hlc="1764118800000-0000-other",
                )
            ],
            outbox.cursor(app.store),
        )
        await open_screen(pilot, PersonScreen(child.id))
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConflictModal)
        assert_shown_as_text(app, MARKUP_NAME, "[/]␛[2J别处")
        app.pop_screen()
        await pilot.pause()

        # A notice carrying a server's words.
        app.notify("[/] 服务器说：\x1b[2J[link=https://x]点这里[/link]", severity="error")
        await pilot.pause()
        await pilot.pause()
        notice = [n for n in app._notifications if "服务器说" in n.message]
        assert [(n.message, n.markup) for n in notice] == [
            ("[/] 服务器说：␛[2J[link=https://x]点这里[/link]", False)
        ]
        assert_shown_as_text(app)

        # Pending changes, reports, help.
        for screen in (PendingScreen(), CoverageScreen(), EligibleScreen(), HelpScreen()):
            await open_screen(pilot, screen)
            assert app.is_running
            assert_shown_as_text(app)
        app.pop_screen()
        app.pop_screen()
        app.pop_screen()
        assert isinstance(app.screen, PendingScreen)
        assert_shown_as_text(app, MARKUP_NAME)
        await open_screen(pilot, CoverageScreen())
        assert_shown_as_text(app, "[red]海星村[/]␛]0;pwned␇")
    assert app.return_code in (None, 0)


async def test_markup_name_arriving_by_sync_keeps_the_app_up(home: Path) -> None:
    profile = demo_profile(home)
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        child = high_risk_child(app.store)
        # The profile's own records went up in an earlier sync; the server now sends a rename.
        sent = [outbox.Ack(c.seq, "accepted", None) for c in app.store.changes()]
        outbox.record_acks(app.store, sent, "2026-11-21T09:00:00")
        fields = {**child.model_dump(mode="json"), "name": MARKUP_NAME}
        pulled = Remote(
            table="persons",
            record_id=child.id,
            fields=fields,
            deleted=False,
            hlc="1764118800000-0000-other",
            device_id="other",
            version=outbox.cursor(app.store) + 1,
        )
        outbox.apply_page(app.store, [pulled], [], pulled.version)
        # What the app does when a sync has finished: every screen reads its data again.
        app._sync_state("online", None)
        await pilot.pause()
        await pilot.pause()
        arrived = app.store.get(Person, child.id)
        assert arrived is not None and arrived.name == MARKUP_NAME
        assert_shown_as_text(app, MARKUP_NAME)
        await pilot.press("r")
        await pilot.pause()
        assert_shown_as_text(app)


class Boom(Screen[None]):
    """A screen that fails while a full record is one of its frame's locals."""

    def __init__(self, person: Person) -> None:
        super().__init__()
        self.person = person

    def on_mount(self) -> None:
        person = self.person
        id_number = person.id_number
        raise RuntimeError(f"boom for {len(id_number)} digits")


async def test_a_crash_shows_no_id_number_and_logs_the_traceback_without_locals(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app = app_on(demo_profile(home))
    with pytest.raises(RuntimeError, match="boom"):
        async with app.run_test(size=(100, 30)) as pilot:
            await steady(pilot)
            person = next(iter(app.store.all(Person)))
            app.push_screen(Boom(person))
            await pilot.pause()
            await pilot.pause()
    said = capsys.readouterr()
    output = said.out + said.err
    assert person.id_number not in output
    assert "id_number =" not in output and "person =" not in output  # no locals shown
    log = crash.log_path()
    assert "RuntimeError" in output and str(log) in output.replace("\n", "")
    text = log.read_text(encoding="utf-8")
    assert "boom for 18 digits" in text and "on_mount" in text
    assert person.id_number not in text
    assert "id_number =" not in text  # a traceback without locals
    if os.name == "posix":
        assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_crash_log_masks_id_numbers_and_phones_in_messages() -> None:
    message = "input_value='330902195005060113' phone 13905801111 count 123456789012345678901"
    shown = crash.masked(message)
    assert "330902195005060113" not in shown and "13905801111" not in shown
    assert "330" + "*" * 15 in shown
    assert "123456789012345678901" in shown  # a longer run of digits is not an ID


def test_reports_hold_the_hostile_village_unchanged(home: Path) -> None:
    """Only what is shown changes: the stored name keeps every character it was given."""
    profile, _people = hostile_profile(home)
    store = open_store(profile.db_path)
    try:
        rows = reports.coverage(store, TODAY.replace(day=1), TODAY)
        assert HOSTILE_VILLAGE in {row.village for row in rows}
    finally:
        store.close()
