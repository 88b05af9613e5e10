"""The 待跟进 screen: every open item, the most overdue first; filters, search, Enter to the
record, `x` after a question naming the person and the item, and undo until the app closes.
Driven with the pilot; assertions are on the store and on what is listed."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Select, Static

from civtui.app import CivtuiApp
from civtui.domain.models import Person, Village, Visit
from db import queries
from db.followups import open_follow_ups
from screens.confirm import ConfirmModal
from screens.dashboard import DashboardScreen
from screens.followups import FollowUpScreen
from screens.panels import FollowUpPanel
from screens.record import RecordScreen
from tests.conftest import CTX, TODAY, make_person
from tests.test_tui_flows import Keyboard
from tests.tui_helpers import app

pytestmark = pytest.mark.tui

__all__ = ["app"]  # the fixture, re-exported for pytest

#: A note that would be markup if it were read as markup, and a search that would be a
#: regular expression or markup if it were read as one.
HOSTILE_NOTE = "[bold red]修屋顶[/] \x1b[31m(联系村委)"


def oldest_due(app: CivtuiApp) -> dt.date:
    rules = queries.rules(app.store)
    items = open_follow_ups(
        app.store,
        TODAY,
        adl_valid_months=rules.adl_valid_months,
        adl_min_age=rules.adl_min_age,
    )
    return min(item.due for item in items)


def overdue_visit(app: CivtuiApp, *, name: str, seq: int, note: str) -> Visit:
    """A visit whose follow-up is a day more overdue than anything open so far."""
    day = oldest_due(app) - dt.timedelta(days=1)
    person = make_person(
        dt.date(1940, 3, 4), seq, name=name, registered_on=day - dt.timedelta(days=30)
    )
    app.store.save(person)
    visit = Visit.model_validate(
        {
            "person_id": person.id,
            "visit_date": day,
            "visitor": "王晓丽",
            "follow_up_needed": True,
            "follow_up_note": note,
        },
        context=CTX,
    )
    app.store.save(visit)
    return visit


async def open_list(pilot: Pilot[None]) -> FollowUpScreen:
    await pilot.pause()
    await pilot.press("f")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, FollowUpScreen)
    return screen


def listed(screen: FollowUpScreen) -> list[str]:
    return [item.record_id for item in screen.shown]


def row_text(screen: FollowUpScreen, row: int) -> list[str]:
    return [str(cell) for cell in screen.query_one("#items", DataTable).get_row_at(row)]


async def test_every_open_item_is_listed_most_overdue_first(app: CivtuiApp) -> None:
    visit = overdue_visit(app, name="甲测", seq=901, note=HOSTILE_NOTE)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        rules = queries.rules(app.store)
        every = open_follow_ups(
            app.store,
            TODAY,
            adl_valid_months=rules.adl_valid_months,
            adl_min_age=rules.adl_min_age,
        )
        # Not the dashboard's 7 rows: everything (the demo has fewer than the layout limit).
        assert len(every) > 20
        assert len(screen.shown) == len(every)
        overdue = [item.overdue(TODAY) for item in screen.shown]
        assert overdue == sorted(overdue, reverse=True)
        assert listed(screen)[0] == visit.id
        # The note is shown as text: its markup as typed, its escape as a visible sign.
        note = row_text(screen, 0)[3]
        assert note.startswith("[bold red]修屋顶[/] ") and "\x1b" not in note
        assert row_text(screen, 0)[2] == f"{overdue[0]}天"
        # The dashboard shows the most urgent few, the same first item.
        await pilot.press("escape")
        await pilot.pause()
        dash = app.screen
        assert isinstance(dash, DashboardScreen)
        head = dash.query_one(FollowUpPanel).follow_ups
        assert 0 < len(head) <= 5
        assert head[0].record_id == visit.id


async def test_filters_by_kind_and_village(app: CivtuiApp) -> None:
    other = Village(id="330902112202", name="渔港村", township="金塘镇")
    app.store.save(other)
    visit = overdue_visit(app, name="乙测", seq=903, note="送助听器")
    moved = app.store.get(Person, visit.person_id)
    assert moved is not None
    app.store.save(moved.revise(context=CTX, village_code=other.id))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-kind", Select).value = "need"
        await pilot.pause()
        assert screen.shown and {item.kind for item in screen.shown} == {"need"}
        screen.query_one("#filter-kind", Select).value = Select.NULL
        screen.query_one("#filter-village", Select).value = other.id
        await pilot.pause()
        assert listed(screen) == [visit.id]
        count = str(screen.query_one("#followups-count", Static).render())
        assert "共 1 项" in count
        # Both at once: the one visit follow-up in 渔港村 is not a need.
        screen.query_one("#filter-kind", Select).value = "need"
        await pilot.pause()
        assert listed(screen) == []


async def test_search_finds_by_initials_and_by_what_is_to_be_done(app: CivtuiApp) -> None:
    visit = overdue_visit(app, name="竺测试", seq=905, note=HOSTILE_NOTE)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        await pilot.press("slash", *"zcs")
        await pilot.pause()
        assert screen.focused is screen.query_one("#search", Input)
        assert listed(screen) == [visit.id]
        await pilot.press("ctrl+u", *"[bold")  # cleared by the field, then hostile text
        await pilot.pause()
        assert listed(screen) == [visit.id]
        await pilot.press("ctrl+u", *"(.*")
        await pilot.pause()
        assert listed(screen) == []
        # Enter goes back to the list; Enter there opens the record.
        await pilot.press("ctrl+u", *"zcs", "enter")
        await pilot.pause()
        assert isinstance(screen.focused, DataTable) and screen.focused.id == "items"
        await pilot.press("enter")
        await pilot.pause()
        record = app.screen
        assert isinstance(record, RecordScreen) and record.record.id == visit.id


async def test_x_asks_naming_the_person_and_the_item_and_n_changes_nothing(
    app: CivtuiApp,
) -> None:
    visit = overdue_visit(app, name="丙测", seq=907, note="修屋顶")
    before = app.store.pending_count()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        await pilot.press("x")
        await pilot.pause()
        modal = app.screen
        assert isinstance(modal, ConfirmModal)
        assert "丙测" in modal.question and "修屋顶" in modal.question
        # The safe answer has focus, and a stray Enter does nothing.
        assert modal.focused is modal.query_one("#no", Button)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("x", "n")
        await pilot.pause()
        assert app.screen is screen
        stored = app.store.get(Visit, visit.id)
        assert stored is not None and stored.follow_up_open
        assert app.store.pending_count() == before


async def test_x_on_a_need_says_how_to_close_it_instead(app: CivtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        screen.query_one("#filter-kind", Select).value = "need"
        await pilot.pause()
        screen.query_one("#items", DataTable).focus()
        await pilot.press("x")
        await pilot.pause()
        assert app.screen is screen
        assert any("需求请用 u" in n.message for n in app._notifications)


async def test_undo_reopens_the_follow_up_in_the_store_until_the_app_closes(
    app: CivtuiApp,
) -> None:
    second = overdue_visit(app, name="戊测", seq=911, note="送药")
    first = overdue_visit(app, name="丁测", seq=909, note="修屋顶")  # older still
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_list(pilot)
        assert listed(screen)[:2] == [first.id, second.id]
        await pilot.press("x", "y")
        await pilot.pause()
        # Shift held answers too.
        await pilot.press("x", "Y")
        await pilot.pause()
        for visit in (first, second):
            done = app.store.get(Visit, visit.id)
            assert done is not None and done.follow_up_done_on == TODAY
        assert not {first.id, second.id} & set(listed(screen))
        # Left and come back: undo still reaches both, the last marked first.
        await pilot.press("escape")
        await pilot.pause()
        screen = await open_list(pilot)
        await pilot.press("z")
        await pilot.pause()
        again = app.store.get(Visit, second.id)
        assert again is not None and again.follow_up_open and again.follow_up_done_on is None
        assert listed(screen)[screen.query_one("#items", DataTable).cursor_row] == second.id
        await pilot.press("ctrl+z")
        await pilot.pause()
        again = app.store.get(Visit, first.id)
        assert again is not None and again.follow_up_open
        assert listed(screen)[:2] == [first.id, second.id]
        # Nothing left to undo: said, and the store is left alone.
        await pilot.press("z")
        await pilot.pause()
        assert any("没有可撤销" in n.message for n in app._notifications)
        # Undone like any edit: the reopening is on its way to the server.
        last = app.store.changes()[-1]
        assert last.record_id == first.id and last.fields == {"follow_up_done_on": None}


async def test_closing_the_most_overdue_follow_up_takes_at_most_4_keys(app: CivtuiApp) -> None:
    visit = overdue_visit(app, name="己测", seq=913, note="联系村医")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        keys = Keyboard(pilot)
        await keys.press("f", "x", "y")
        assert keys.count <= 4
        done = app.store.get(Visit, visit.id)
        assert done is not None and done.follow_up_done_on == TODAY
