"""Keys that mean one thing: no app-wide key is one a text field uses, letters are shown as
pressed and answer with Shift too, and F1 starts with the keys of the page it was pressed on."""

from __future__ import annotations

import string

import pytest
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, TextArea

from civtui.app import CivtuiApp
from screens.confirm import ConfirmModal
from screens.help import HelpScreen
from screens.pending import PendingScreen
from screens.roster import RosterScreen
from screens.visit_form import VisitForm
from tests.test_tui_flows import elder
from tests.tui_helpers import app

pytestmark = pytest.mark.tui

__all__ = ["app"]  # the fixture, re-exported for pytest

#: Editing keys of readline and of other editors that a text field may take up, beside what
#: Textual's Input and TextArea bind today.
EDITING_KEYS = {
    "ctrl+u", "ctrl+d", "ctrl+k", "ctrl+w", "ctrl+a", "ctrl+e", "ctrl+f", "ctrl+b", "ctrl+h",
    "ctrl+y", "ctrl+z", "ctrl+x", "ctrl+c", "ctrl+v", "home", "end", "delete", "backspace",
    "left", "right", "up", "down", "enter", "tab", "space",
}  # fmt: skip


def field_keys() -> set[str]:
    keys = set(EDITING_KEYS)
    for widget in (Input, TextArea):
        for binding in widget.BINDINGS:
            assert isinstance(binding, Binding)
            keys |= {k.strip() for k in binding.key.split(",")}
    # Every character a field takes as typed text, by Textual's names for the symbols.
    keys |= set(string.ascii_letters + string.digits)
    keys |= {"question_mark", "slash", "plus", "minus", "full_stop", "comma", "space"}
    return keys


def test_no_app_wide_key_is_one_a_text_field_uses() -> None:
    clashes = {
        (binding.id, key)
        for binding in CivtuiApp.BINDINGS
        if isinstance(binding, Binding)
        for key in (k.strip() for k in binding.key.split(","))
        if key in field_keys()
    }
    assert clashes == set()


async def help_rows(pilot: Pilot[None]) -> list[list[str]]:
    await pilot.press("f1")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, HelpScreen)
    table = screen.query_one("#keys", DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_ctrl_u_in_a_search_field_clears_it_and_the_page_stays(app: CivtuiApp) -> None:
    """Ctrl+U was both 待同步 and clear-the-field; what was typed after it went nowhere."""
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r", *"zhang")
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        await pilot.press("ctrl+u", *"12")
        await pilot.pause()
        assert app.screen is roster
        assert roster.query_one("#search", Input).value == "12"
        # The app-wide keys work from inside the field, and F1 names them.
        rows = await help_rows(pilot)
        everywhere = {r[1]: r[2] for r in rows if r[0] == "任何页面"}
        assert "Ctrl+T" in everywhere and "Ctrl+O" in everywhere
        assert not {"Ctrl+U", "Ctrl+D", "?"} & set(everywhere)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+t")
        await pilot.pause()
        assert isinstance(app.screen, PendingScreen)


async def test_a_question_shows_its_keys_as_pressed_and_takes_them_with_shift(
    app: CivtuiApp,
) -> None:
    answers: list[bool | None] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for key in ("Y", "N", "y"):
            app.push_screen(ConfirmModal("放弃输入？", "放弃", "继续"), answers.append)
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, ConfirmModal)
            assert str(modal.query_one("#yes", Button).label) == "放弃 (y)"
            assert str(modal.query_one("#no", Button).label) == "继续 (n)"
            await pilot.press(key)
            await pilot.pause()
    assert answers == [True, False, True]


async def test_f1_on_a_form_shows_the_forms_keys_first_in_words(app: CivtuiApp) -> None:
    person = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(VisitForm(person))
        await pilot.pause()
        rows = await help_rows(pilot)
        first = [r for r in rows if r[0] == "本页：表单"]
        # The form's rows lead, then the rest, each page once.
        assert rows[: len(first)] == first
        keys = {r[1]: r[2] for r in first}
        assert keys["Ctrl+S"] == "校验并保存"
        assert {"Tab / Shift+Tab", "Space", "Enter", "日期"} <= set(keys)
        assert "2026/11/20" in keys["日期"] and "11-20" in keys["日期"]
        assert "表单" not in {r[0] for r in rows[len(first) :]}
        assert any(r[0] == "任何页面" and r[1] == "F1" for r in rows)
        # Letters as pressed, the footer's short words said in full.
        assert ["基本信息", "u", "更新需求"] in rows and [
            "基本信息",
            "i",
            "显示/隐藏身份证号",
        ] in rows
        assert not any(r[1] in {"X", "Y", "U", "K"} for r in rows)


async def test_f1_covers_dialogs_and_the_coverage_reports_month_keys(app: CivtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.action_coverage()
        await pilot.pause()
        rows = await help_rows(pilot)
        page = [r for r in rows if r[0].startswith("本页：")]
        assert {r[1] for r in page} >= {"[", "]", "Esc"}
        where = {(r[0], r[1]) for r in rows}
        assert ("未保存的输入", "Del") in where
        assert ("选择要保留的值", "u") in where and ("选择要保留的值", "k") in where
        assert ("待跟进", "z / Ctrl+Z") in where


async def test_f1_lists_the_adl_digits_on_the_adl_form_only(app: CivtuiApp) -> None:
    """The 1–4 row (a digit per ADL item) was listed as a key of every form."""
    from screens.assessment_form import AssessmentForm

    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(VisitForm(old))
        await pilot.pause()
        on_visit = await help_rows(pilot)
        assert not [r for r in on_visit if r[1] == "1–4" and r[0].startswith("本页")]
        assert on_visit[0][0] == "本页：表单"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(AssessmentForm(old))
        await pilot.pause()
        on_adl = await help_rows(pilot)
        here = [r for r in on_adl if r[0].startswith("本页")]
        assert ["本页：能力评估", "1–4"] in [r[:2] for r in here]
        assert ["本页：表单", "Ctrl+S"] in [r[:2] for r in here]
