"""A saved record opened, corrected, deleted and traced; no key loses typed input;
the 待跟进 list. Driven with the pilot; assertions are on the database and what is shown."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static, TextArea

from civtui.app import CivtuiApp
from civtui.domain.choices import Condition, Frequency
from civtui.domain.models import Person, Visit
from civtui.domain.policy import RateReport
from db import queries
from screens.confirm import ConfirmModal, ReasonModal
from screens.dashboard import DashboardScreen
from screens.followups import FollowUpScreen
from screens.panels import CoveragePanel, WorkListPanel
from screens.person import PersonScreen
from screens.record import RecordScreen
from screens.roster import RosterScreen
from screens.visit_form import VisitForm
from tests.conftest import CTX, TODAY
from tests.test_tui_flows import Keyboard, elder, open_person
from tests.tui_helpers import app, counted

pytestmark = pytest.mark.tui

__all__ = ["app"]  # the fixture, re-exported for pytest

#: A note longer than any line at 80 columns, without spaces, so wrapping cannot hide a part.
LONG_NOTE = (
    "老人说屋顶东北角漏雨已有两个月，下雨时用脸盆接水；儿子在宁波打工，每月回来一次；"
    "邻居王阿姨每天送一次饭；建议联系村委会安排修缮，并申请适老化改造补贴，下次探访时复查。"
)


def shown_text(widget: Widget) -> str:
    """Everything a widget and the labels inside it render, every line, spaces taken out."""
    parts = [widget, *widget.query(Static)] if not isinstance(widget, Static) else [widget]
    text = ""
    for part in parts:
        # The whole widget, padding included: rendered into its content size alone, a
        # padded widget's lines lose their last cells (a line's last character, cut).
        text += "".join(strip.text for strip in part.render_lines(part.outer_size.region))
    return text.replace(" ", "")


def visit_for(person: Person, **fields: object) -> Visit:
    data: dict[str, object] = {
        "person_id": person.id,
        "visit_date": TODAY,
        "visitor": "王晓丽",
        **fields,
    }
    return Visit.model_validate(data, context=CTX)


async def open_first_row(pilot: Pilot[None]) -> RecordScreen:
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, RecordScreen)
    return screen


async def test_open_a_saved_visit_and_read_its_whole_note(app: CivtuiApp) -> None:
    old = elder(app)
    visit = visit_for(old, notes=LONG_NOTE)
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        record = await open_first_row(pilot)
        assert record.record.id == visit.id
        fields = record.query_one("#record-fields")
        assert LONG_NOTE in shown_text(fields)
        assert "居住状况" in shown_text(fields) and "精神状态" in shown_text(fields)
        history = shown_text(record.query_one("#record-history", Static))
        assert "新增" in history and app.store.device_id[:8] in history


#: A name with rich markup, a formula and an escape: shown as typed, never obeyed.
HOSTILE_NAME = "[/]王=秀英\x1b[2J"


def hostile_elder(app: CivtuiApp) -> Person:
    """An elder of the demo profile, renamed to `HOSTILE_NAME`."""
    old = elder(app).model_copy(update={"name": HOSTILE_NAME})
    app.store.save(old)
    return old


async def test_correct_the_health_of_a_saved_visit_in_6_keys_and_see_the_history(
    app: CivtuiApp,
) -> None:
    old = hostile_elder(app)
    visit = visit_for(old, notes="一切正常")
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        keys = Keyboard(pilot)
        await keys.press("enter", "e")
        form = app.screen
        assert isinstance(form, VisitForm) and form.editing is not None
        # A correction starts after the day; 健康状况 is two fields on.
        await keys.press("tab", "tab")
        assert form.focused is form.query_one("#in-health", Select)
        # One digit takes the second choice (一般) and moves on: every key is counted.
        await keys.press("2")
        assert form.query_one("#in-health", Select).value is Condition.FAIR
        assert form.focused is form.query_one("#in-mood", Select)
        await keys.press("ctrl+s")
        assert keys.count <= 6, keys.count
        record = app.screen
        assert isinstance(record, RecordScreen)
        saved = app.store.get(Visit, visit.id)
        assert saved is not None and saved.health is Condition.FAIR
        assert saved.notes == "一切正常" and saved.visitor == visit.visitor
        # Only the changed field was written and logged.
        assert app.store.changes()[-1].fields == {"health": "fair"}
        history = shown_text(record.query_one("#record-history", Static))
        assert "修改健康状况：良好→一般" in history
        assert "王晓丽" in shown_text(record.query_one("#record-fields"))
        assert "[/]王=秀英" in shown_text(record.query_one("#record-title", Static))


async def test_a_digit_past_the_last_choice_says_how_and_changes_nothing(
    app: CivtuiApp,
) -> None:
    old = hostile_elder(app)
    visit = visit_for(old)
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        await pilot.press("enter", "e", "tab", "tab", "9")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VisitForm)
        health = form.query_one("#in-health", Select)
        assert health.value is Condition.GOOD and form.focused is health
        assert any("数字键" in str(n.message) for n in app._notifications)


def monthly_contacted(rates: dict[Frequency, RateReport]) -> int:
    """月探访率's 已访, as the dashboard shows it."""
    return rates[Frequency.MONTHLY].total.contacted


async def test_delete_a_wrong_visit_with_a_reason_and_see_the_coverage_change(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await counted(pilot)
        dash = app.screen
        assert isinstance(dash, DashboardScreen)
        coverage = dash.query_one(CoveragePanel)
        contacted = monthly_contacted(coverage.rates)
        person = app.store.get(Person, dash.query_one(WorkListPanel).work[0].person_id)
        assert person is not None
        await pilot.press("v", "ctrl+s")  # the routine contact, saved for the wrong person
        await counted(pilot)
        assert monthly_contacted(coverage.rates) == contacted + 1
        await open_person(pilot, person)  # the new record is the newest row
        assert isinstance(app.screen, PersonScreen)
        record = await open_first_row(pilot)
        wrong = record.record
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ReasonModal)
        await pilot.press("enter")  # no reason yet: nothing is deleted
        await pilot.pause()
        assert isinstance(app.screen, ReasonModal)
        assert app.store.get(type(wrong), wrong.id) is not None
        app.screen.query_one("#reason", Input).insert_text_at_cursor("录错了人")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        assert app.store.get(type(wrong), wrong.id) is None
        row = app.store.db.execute(
            f"SELECT deleted, deleted_reason FROM [{wrong.table}] WHERE id = ?", [wrong.id]
        ).fetchone()
        assert tuple(row) == (1, "录错了人")
        ops = [(c.op, c.fields) for c in app.store.changes() if c.record_id == wrong.id]
        assert ops[-2:] == [("upsert", {"deleted_reason": "录错了人"}), ("delete", {})]
        await pilot.press("escape")
        await pilot.pause()
        back: object = app.screen
        assert back is dash
        await counted(pilot)
        assert monthly_contacted(coverage.rates) == contacted
        fresh = queries.dashboard(app.store, TODAY, 10)
        assert monthly_contacted(fresh.rates) == contacted


async def test_ctrl_q_in_a_dirty_form_asks(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        form.query_one("#in-notes", TextArea).focus()
        await pilot.press(*"abc")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form and form.query_one("#in-notes", TextArea).text == "abc"
        # Switching screens asks too, and leaves the input alone when told no.
        app.action_dashboard()
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        await pilot.press("ctrl+q")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert app._exit_renderables is not None and not app.is_running


async def test_ctrl_q_with_nothing_typed_quits_at_once(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running


async def test_switching_screens_from_a_dirty_form_asks_then_goes(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one("#in-notes", TextArea).text = "屋顶漏雨"
        await pilot.press("ctrl+r")  # the roster opens over the form, which stays as it was
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
        # The dashboard, from the palette, would close the form: asked first.
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"首页")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_a_new_follow_up_appears_in_the_list_and_leaves_it_when_marked_done(
    app: CivtuiApp,
) -> None:
    old = elder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, old)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VisitForm)
        form.query_one("#in-follow_up_needed").focus()
        await pilot.press("space")
        await pilot.press("tab", *"联系村委修屋顶")
        before = app.store.pending_count()
        await pilot.press("ctrl+s")
        await pilot.pause()
        [visit] = [v for v in app.store.all(Visit, "person_id = ?", [old.id]) if v.follow_up_needed]
        assert visit.follow_up_note == "联系村委修屋顶"
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FollowUpScreen)
        listed = [f.record_id for f in screen.shown]
        assert visit.id in listed
        screen.query_one("#items", DataTable).move_cursor(row=listed.index(visit.id))
        keys = Keyboard(pilot)
        await keys.press("x", "y")
        assert keys.count == 2
        assert visit.id not in [f.record_id for f in screen.shown]
        done = app.store.get(Visit, visit.id)
        assert done is not None and done.follow_up_done_on == TODAY
        # Recorded: a change on its way to the server, like any edit.
        assert app.store.pending_count() == before + 2
        assert app.store.changes()[-1].fields == {"follow_up_done_on": TODAY.isoformat()}


async def test_enter_on_a_follow_up_opens_its_record(app: CivtuiApp) -> None:
    old = hostile_elder(app)
    visit = visit_for(old, follow_up_needed=True, follow_up_note="送助听器")
    app.store.save(visit)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FollowUpScreen)
        table = screen.query_one("#items", DataTable)
        table.move_cursor(row=[f.record_id for f in screen.shown].index(visit.id))
        await pilot.press("enter")
        await pilot.pause()
        record = app.screen
        assert isinstance(record, RecordScreen) and record.record.id == visit.id
        await pilot.press("x")  # done from the record itself
        await pilot.pause()
        # Asked first, naming the person and the item, as the 待跟进 list asks.
        question = app.screen
        assert isinstance(question, ConfirmModal)
        asked = shown_text(question)
        assert "把[/]王=秀英" in asked and "「探访跟进：送助听器」" in asked
        await pilot.press("escape")  # not now: nothing changes
        await pilot.pause()
        assert app.screen is record
        still = app.store.get(Visit, visit.id)
        assert still is not None and still.follow_up_done_on is None
        await pilot.press("x", "y")
        await pilot.pause()
        marked = app.store.get(Visit, visit.id)
        assert marked is not None and marked.follow_up_done_on == TODAY
        # Undone on the record's own page, and marked again.
        await pilot.press("z")
        await pilot.pause()
        reopened = app.store.get(Visit, visit.id)
        assert reopened is not None and reopened.follow_up_done_on is None
        assert isinstance(record, RecordScreen) and record.record == reopened
        await pilot.press("x", "y")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert visit.id not in [f.record_id for f in screen.shown]
        # Undone from the list, though it was marked on the record's page.
        await pilot.press("z")
        await pilot.pause()
        assert visit.id in [f.record_id for f in screen.shown]


async def test_history_shows_what_sync_brought_from_another_laptop(app: CivtuiApp) -> None:
    from db.store import Remote

    old = elder(app)
    visit = visit_for(old)
    app.store.save(visit)
    stamp = f"{int(dt.datetime(2026, 11, 22, 9, tzinfo=dt.UTC).timestamp() * 1000) + 1:013d}"
    with app.store.transaction():
        app.store.apply_remote(
            [
                Remote(
                    table="visits",
                    record_id=visit.id,
                    fields={"mood": "low"},
                    deleted=False,
                    hlc=f"{stamp}-0000-laptop-b",
                    device_id="laptop-b",
                )
            ],
            {},
        )
    async with app.run_test(size=(120, 40)) as pilot:
        await open_person(pilot, old)
        record = await open_first_row(pilot)
        history = shown_text(record.query_one("#record-history", Static))
        assert "另一台电脑laptop-b" in history and "同步带来" in history


async def test_ctrl_q_on_a_half_filled_setup_asks(home: Path) -> None:
    from civtui.services.profile import Profile
    from tests.tui_helpers import app_on

    app = app_on(Profile("default"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"330902")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query_one("#in-village_code", Input).value == "330902"


async def test_the_follow_up_list_opens_from_the_command_palette(app: CivtuiApp) -> None:
    old = hostile_elder(app)
    visit = visit_for(old, follow_up_needed=True, follow_up_note="送[/]米=面油")
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"待跟进")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, FollowUpScreen)
        assert visit.id in [f.record_id for f in screen.shown]
        row = screen.query_one("#items", DataTable).get_row(f"visit:{visit.id}")
        # The name and note as typed: markup shown, the escape drawn as its picture.
        assert [str(row[1]), str(row[3])] == ["[/]王=秀英␛[2J", "送[/]米=面油"]


async def test_a_person_page_lays_its_timeline_out_once_and_again_on_a_new_width(
    app: CivtuiApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Opening a page lays the timeline out once (the resize Textual sends as it is shown
    laid all the records out a second time), and a window made narrower lays it out again
    to the new width, every record still a row the cursor reaches."""
    from screens import layout

    person = elder(app)
    for i in range(30):
        visit = {
            "person_id": person.id,
            "visit_date": TODAY - dt.timedelta(days=i),
            "visitor": "王[/]",
        }
        app.store.save(
            Visit.model_validate({**visit, "notes": f"第{i}次 [b]探访[/b] =1+1"}, context=CTX)
        )
    widths: list[int] = []
    fill = layout.fill

    def counted_fill(*args: object, **kwargs: object) -> None:
        widths.append(int(kwargs["width"]))  # type: ignore[call-overload]
        fill(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(layout, "fill", counted_fill)
    async with app.run_test(size=(120, 40)) as pilot:
        await counted(pilot)
        app.push_screen(PersonScreen(person.id))
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PersonScreen)
        assert len(widths) == 1
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert len(widths) == 2 and widths[1] < widths[0]
        table = screen.query_one("#timeline", DataTable)
        assert table.row_count == len(screen.entries) >= 30
        # Each row as high as its summary's lines, nothing measured to find it.
        for index, row in enumerate(table.ordered_rows):
            assert row.height == str(table.get_row_at(index)[2]).count("\n") + 1
        table.move_cursor(row=table.row_count - 1)
        assert table.cursor_row == len(screen.entries) - 1
