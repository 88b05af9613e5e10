"""At 80×24: 存在问题 ticked and written, 备注 typed and read whole on several lines,
a likely duplicate asked about before it is saved, an ADL assessment in at most 15 keys.

Keys are counted without the text typed (a note, a problem in words), as the issue counts."""

from __future__ import annotations

import datetime as dt

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, SelectionList, Static, TextArea

from civtui.app import CivtuiApp
from civtui.domain.barthel import ITEMS
from civtui.domain.choices import Finding
from civtui.domain.models import Assessment, ChildCheck, Person, Visit
from screens.assessment_form import AssessmentForm
from screens.child_check_form import ChildCheckForm
from screens.confirm import ConfirmModal
from screens.form import ModelForm
from screens.person import PersonScreen
from screens.record import RecordScreen
from screens.visit_form import VisitForm
from tests.conftest import CTX, TODAY
from tests.test_tui_flows import Keyboard, child, elder, ids, new_rows, open_person
from tests.test_tui_records import LONG_NOTE, shown_text
from tests.tui_helpers import app

pytestmark = pytest.mark.tui

__all__ = ["app"]  # the fixture, re-exported for pytest

#: Markup, a formula that would start a program, a key=value: text, whatever it looks like.
HOSTILE = "[/]=cmd|' /C calc'!A0 [bold]x[/bold] a=b"


def no_visit_today(app: CivtuiApp) -> Person:
    """An elder with no visit today: a new one is no likely duplicate."""
    old = elder(app)
    for visit in app.store.all(Visit, "person_id = ? AND visit_date = ?", [old.id, TODAY]):
        app.store.delete(Visit, visit.id)
    return old


async def focus_field(pilot: Pilot[None], form: ModelForm, name: str) -> int:
    """Tab to field `name`; returns how many Tabs it took."""
    target = form.query_one(f"#in-{name}")
    tabs = 0
    while form.focused is not target:
        await pilot.press("tab")
        await pilot.pause()
        tabs += 1
        assert tabs < 20, name
    return tabs


async def test_an_adl_assessment_takes_one_digit_an_item_and_at_most_15_keys(
    app: CivtuiApp,
) -> None:
    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        before = ids(app, Assessment)
        keys = Keyboard(pilot)
        await keys.press("a")
        form = app.screen
        assert isinstance(form, AssessmentForm)
        # Each item's choices are numbered, the highest score first.
        digits = ["1", "2", "1", "2", "1", "1", "2", "3", "2", "3"]
        for digit in digits:
            await keys.press(digit)
        total = str(form.query_one("#barthel-total", Static).content)
        assert total.startswith("10/10")
        await keys.press("ctrl+s")
        assert keys.count <= 15, keys.count
        assert isinstance(app.screen, PersonScreen)
        [saved] = new_rows(app, Assessment, before)
        expected = {
            item.field: sorted(item.scores, reverse=True)[int(d) - 1]
            for item, d in zip(ITEMS, digits, strict=True)
        }
        assert {item.field: getattr(saved, item.field) for item in ITEMS} == expected
        assert saved.total == sum(expected.values())
        assert saved.assessed_on == TODAY


async def test_a_digit_no_item_has_is_refused_and_typed_dates_keep_their_digits(
    app: CivtuiApp,
) -> None:
    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, AssessmentForm)
        first = form.query_one(f"#in-{ITEMS[0].field}")
        assert form.focused is first
        await pilot.press("9")  # 进食 has two choices
        await pilot.pause()
        assert form.focused is first and "feeding" not in form.values()
        # In the date field a digit is a digit of the date.
        await pilot.press("shift+tab")
        await pilot.pause()
        await pilot.press("end", "1")
        await pilot.pause()
        assert form.values()["assessed_on"] == f"{TODAY.isoformat()}1"


async def test_findings_ticked_and_written_are_saved_and_shown_as_text(app: CivtuiApp) -> None:
    old = no_visit_today(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        before = ids(app, Visit)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VisitForm)
        await focus_field(pilot, form, "findings")
        # The first problem listed is 血压偏高; Space ticks it.
        await pilot.press("space")
        await pilot.pause()
        assert form.query_one("#in-findings", SelectionList).selected == [Finding.HIGH_BP]
        await pilot.press("tab")
        await pilot.pause()
        await pilot.press(*HOSTILE)
        await pilot.press("tab")
        await pilot.pause()
        assert isinstance(form.focused, TextArea)
        # 备注 takes several lines: Enter starts a new one, and is not a save.
        await pilot.press(*"屋顶漏雨", "enter", *"已联系村委")
        await pilot.press("ctrl+s")
        await pilot.pause()
        [saved] = new_rows(app, Visit, before)
        assert saved.findings == [Finding.HIGH_BP]
        assert saved.findings_note == HOSTILE
        assert saved.notes == "屋顶漏雨\n已联系村委"
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("enter")
        await pilot.pause()
        record = app.screen
        assert isinstance(record, RecordScreen) and record.record.id == saved.id
        fields = shown_text(record.query_one("#record-fields"))
        assert "血压偏高" in fields and HOSTILE.replace(" ", "") in fields


async def test_findings_ticked_on_a_child_check_are_saved_and_shown(app: CivtuiApp) -> None:
    kid = child(app).model_copy(update={"name": "[/]小=明\\e"})
    app.store.save(kid)
    for check in app.store.all(ChildCheck, "person_id = ? AND check_date = ?", [kid.id, TODAY]):
        app.store.delete(ChildCheck, check.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, kid)
        before = ids(app, ChildCheck)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, ChildCheckForm)
        await focus_field(pilot, form, "findings")
        # The child check lists its own problems: 病情未控制 first, 学习困难 second.
        await pilot.press("down", "space")
        await pilot.pause()
        assert form.query_one("#in-findings", SelectionList).selected == [Finding.STUDY]
        await pilot.press("tab")
        await pilot.pause()
        await pilot.press(*HOSTILE)
        await pilot.press("ctrl+s")
        await pilot.pause()
        [saved] = new_rows(app, ChildCheck, before)
        assert saved.findings == [Finding.STUDY] and saved.findings_note == HOSTILE
        assert isinstance(app.screen, PersonScreen)
        await pilot.press("enter")
        await pilot.pause()
        record = app.screen
        assert isinstance(record, RecordScreen) and record.record.id == saved.id
        fields = shown_text(record.query_one("#record-fields"))
        assert "学习困难" in fields and HOSTILE.replace(" ", "") in fields


async def test_the_note_field_shows_a_long_note_whole_at_80_columns(app: CivtuiApp) -> None:
    old = elder(app)
    visit = Visit.model_validate(
        {"person_id": old.id, "visit_date": TODAY, "visitor": "王晓丽", "notes": LONG_NOTE},
        context=CTX,
    )
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        form = VisitForm(old, editing=visit)
        app.push_screen(form)
        await pilot.pause()
        area = form.query_one("#in-notes", TextArea)
        area.focus()
        area.scroll_visible()
        await pilot.pause()
        assert area.size.height >= 3  # wrapped over several rows, not one that scrolls
        assert area.region.right <= 80
        shown = "".join(s.text for s in area.render_lines(area.size.region)).replace(" ", "")
        assert LONG_NOTE in shown
        assert form.values()["notes"] == LONG_NOTE
        assert not form.unsaved_input()


async def test_a_likely_duplicate_is_asked_about_and_enter_or_escape_save_nothing(
    app: CivtuiApp,
) -> None:
    old = no_visit_today(app)
    first = Visit.model_validate(
        {
            "person_id": old.id,
            "visit_date": TODAY,
            "visitor": "王晓丽",
            "findings_note": HOSTILE,
        },
        context=CTX,
    )
    app.store.save(first)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        before = ids(app, Visit)
        keys = Keyboard(pilot)
        await keys.press("v", "ctrl+s")
        dialog = app.screen
        assert isinstance(dialog, ConfirmModal)
        question = shown_text(dialog.query_one("#confirm-question", Static))
        # The earlier record named: its day, who made it, what it found (as text).
        for word in (TODAY.isoformat(), "探访", "王晓丽", HOSTILE.replace(" ", "")):
            assert word in question, (word, question)
        # Enter takes the safe answer: back to the form, its input kept, nothing saved.
        await keys.press("enter")
        assert isinstance(app.screen, VisitForm)
        assert ids(app, Visit) == before
        await keys.press("ctrl+s")
        assert isinstance(app.screen, ConfirmModal)
        await keys.press("escape")
        assert isinstance(app.screen, VisitForm)
        assert ids(app, Visit) == before
        # Saved when the assistant says it is another visit.
        await keys.press("ctrl+s", "y")
        assert isinstance(app.screen, PersonScreen)
        [second] = new_rows(app, Visit, before)
        assert second.visit_date == TODAY and second.id != first.id


async def test_a_visit_on_another_day_or_a_correction_is_not_asked_about(
    app: CivtuiApp,
) -> None:
    old = no_visit_today(app)
    yesterday = TODAY - dt.timedelta(days=1)
    earlier = Visit.model_validate(
        {"person_id": old.id, "visit_date": yesterday, "visitor": "王晓丽"}, context=CTX
    )
    app.store.save(earlier)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        before = ids(app, Visit)
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        [today] = new_rows(app, Visit, before)
        # Correcting the earlier one's day to today is a correction, not a second visit.
        form = VisitForm(old, editing=earlier)
        app.push_screen(form)
        await pilot.pause()
        form.query_one("#in-visit_date", Input).value = TODAY.isoformat()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        saved = app.store.get(Visit, earlier.id)
        assert saved is not None and saved.visit_date == TODAY and today.id != earlier.id


async def test_a_note_holding_terminal_codes_is_drawn_not_obeyed(app: CivtuiApp) -> None:
    old = elder(app)
    note = "第一行[/]\x1b]0;hacked\x07\n第二行 =1+2"
    visit = Visit.model_validate(
        {"person_id": old.id, "visit_date": TODAY, "visitor": "王晓丽", "notes": note},
        context=CTX,
    )
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        form = VisitForm(old, editing=visit)
        app.push_screen(form)
        await pilot.pause()
        area = form.query_one("#in-notes", TextArea)
        area.scroll_visible()
        await pilot.pause()
        drawn = [s.text for s in area.render_lines(area.size.region)]
        text = "".join(drawn)
        assert "\x1b" not in text and "\x07" not in text
        assert "第一行[/]␛]0;hacked" in text and "第二行 =1+2" in text
        # What is saved is what was there: the note is unchanged by being shown.
        assert not form.unsaved_input()
