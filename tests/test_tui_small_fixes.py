"""Small things, each pinned: dates as people type them, words that fit 80 columns
and speak the app's language, messages that come and go with the fault."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widget import Widget
from textual.widgets import DataTable, Input, Label, Static, TextArea
from textual.widgets.data_table import ColumnKey

from civtui.app import CivtuiApp
from civtui.domain import dates, resident_id
from civtui.domain.choices import Role
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Household, NeedStatusChange, Visit
from civtui.services.profile import Profile, set_up
from db import outbox, queries
from screens import textual_compat
from screens.dashboard import DashboardScreen
from screens.form import TickBox, TickList
from screens.need_form import NeedStatusForm
from screens.setup import SetupScreen
from screens.visit_form import VisitForm
from tests.conftest import TODAY
from tests.test_tui_flows import elder, ids, new_need_then_its_status_form, new_rows, open_person
from tests.tui_helpers import app, app_on, counted, demo_profile

__all__ = ["app"]  # the fixture, re-exported for pytest


@pytest.mark.parametrize(
    "typed",
    [
        "2026-11-20",
        "2026/11/20",
        "2026.11.20",
        "20261120",
        "11-20",
        "11/20",
        "2026-11-20 ",
        "2026年11月20日",
    ],
)
def test_the_date_forms_people_type(typed: str) -> None:
    assert dates.parse_day(typed, TODAY) == dt.date(2026, 11, 20)


@pytest.mark.parametrize("typed", ["2026-13-01", "11-31", "yesterday", "2026 11 20", "112026", ""])
def test_anything_else_is_not_a_date(typed: str) -> None:
    assert dates.parse_day(typed, TODAY) is None


def test_a_report_time_takes_the_same_date_forms() -> None:
    expected = dt.datetime(2026, 11, 22, 9, 30, tzinfo=CHINA_TZ)
    for typed in ("2026/11/22 9:30", "11-22 09:30", "20261122 09:30"):
        assert dates.parse_moment(typed, TODAY) == expected
    assert dates.parse_moment("11-22 25:00", TODAY) is None


@pytest.mark.tui
async def test_a_visit_date_typed_with_slashes_saves_and_a_wrong_one_says_every_form(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        day = form.query_one("#in-visit_date", Input)
        day.value = "11.31"
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = str(form.query_one("#err-visit_date", Static).content)
        assert all(f in said for f in ("2026/11/20", "20261120", "11-20"))
        day.value = "2026/11/20"
        before = ids(app, Visit)
        await pilot.press("ctrl+s")
        await pilot.pause()
        [visit] = new_rows(app, Visit, before)
        assert visit.visit_date == dt.date(2026, 11, 20)


def test_an_empty_id_number_is_said_to_be_missing_not_zero_digits_long() -> None:
    with pytest.raises(resident_id.ResidentIdError) as caught:
        resident_id.parse("  ", TODAY)
    assert "不能为空" in str(caught.value) and "0位" not in str(caught.value)


@pytest.mark.tui
async def test_a_refused_save_focuses_the_first_wrong_field_and_a_fix_clears_its_message(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, VisitForm)
        form.query_one("#in-visit_date", Input).value = "2026-13-01"
        notes = form.query_one("#in-notes", TextArea)
        notes.text = "漏" * 2001  # too long: a second wrong field, after the date
        notes.focus()
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert form.focused is form.query_one("#in-visit_date", Input)
        error = form.query_one("#err-visit_date", Static)
        assert error.has_class("shown")
        await pilot.press("ctrl+a", *"11-20")  # typing the right date takes the message away
        await pilot.pause()
        assert not error.has_class("shown") and str(error.content) == ""
        # The other field's message stays until that field is fixed.
        assert form.query_one("#err-notes", Static).has_class("shown")


@pytest.mark.tui
async def test_a_checkbox_shows_a_tick_only_when_ticked(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        box = app.screen.query_one("#in-follow_up_needed", TickBox)
        assert "✓" not in box.render().plain and "X" not in box.render().plain
        box.value = True
        await pilot.pause()
        assert "✓" in box.render().plain
        hazards = app.screen.query_one("#in-safety_hazards", TickList)
        assert "✓" not in hazards.render_line(0).text and "X" not in hazards.render_line(0).text
        hazards.select_all()
        await pilot.pause()
        assert "✓" in hazards.render_line(0).text


def fully_shown(widget: Widget, width: int) -> bool:
    return widget.region.x >= 0 and widget.region.right <= width


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.tui
async def test_every_person_key_fits_the_footer_at_80_columns(home: Path, lang: str) -> None:
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.pause()
        footer_keys = list(app.screen.query("FooterKey"))
        shown = {str(getattr(k, "key", "")) for k in footer_keys}
        assert {"i", "c", "v", "e"} <= shown
        cut = [str(getattr(k, "key", "")) for k in footer_keys if not fully_shown(k, 80)]
        assert cut == []


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.tui
async def test_dashboard_columns_are_never_cut(home: Path, lang: str) -> None:
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        coverage = screen.query_one("#coverage", DataTable)
        rate = coverage.columns[ColumnKey("rate")]
        widths = sum(c.get_render_width(coverage) for c in coverage.columns.values())
        assert widths <= coverage.scrollable_content_region.width
        for row in range(coverage.row_count):
            assert cell_len(str(coverage.get_row_at(row)[1])) <= rate.width
        work = screen.query_one("#worklist", DataTable)
        categories = work.columns[ColumnKey("categories")]
        widths = sum(c.get_render_width(work) for c in work.columns.values())
        assert widths <= work.scrollable_content_region.width
        for index, line in enumerate(work.ordered_rows):
            text = str(work.get_row_at(index)[4])
            # Wrapped to as many lines as it needs, never cut.
            assert cell_len(text) <= categories.width * line.height, text


@pytest.mark.tui
async def test_the_need_status_form_labels_referred_to(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_need_then_its_status_form(pilot, elder(app))
        assert isinstance(form, NeedStatusForm)
        labels = [str(label.content) for label in form.query(".field-label").results(Label)]
        assert "转介至" in labels and "referred_to" not in labels


@pytest.mark.tui
async def test_after_switching_to_english_the_footer_and_menus_are_english(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.action_switch_language()
        await pilot.pause()
        words = {b.description for b in textual_compat.bindings_of(app)}
        assert "Quit" in words and "退出" not in words
        await pilot.press("v")
        await pilot.pause()
        menus = list(app.screen.query("SelectOverlay"))
        said = {
            b.description for m in menus for b in textual_compat.bindings_of(m) if b.key == "escape"
        }
        assert menus and said == {"Dismiss menu"}


@pytest.mark.tui
async def test_chinese_drop_downs_and_palette_say_it_in_chinese(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await counted(pilot)  # `v` records a visit for the work list's highlighted person
        await pilot.press("v")
        await pilot.pause()
        menus = list(app.screen.query("SelectOverlay"))
        said = {
            b.description for m in menus for b in textual_compat.bindings_of(m) if b.key == "escape"
        }
        assert said == {"关闭列表"}
        await pilot.press("escape")
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"qqqzzz")
        await pilot.pause(1.0)
        from textual.widgets import OptionList

        options = app.screen.query_one(OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("没有找到" in t for t in texts) and not any("No matches" in t for t in texts)


@pytest.mark.tui
async def test_the_person_page_explains_the_star(app: CivtuiApp) -> None:
    old = next(p for p in app.store.all(type(elder(app))) if p.age_on(TODAY) >= 80)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, old)
        profile = str(app.screen.query_one("#profile", Static).content)
        assert "高龄*" in profile and "* 由系统根据年龄或能力评估得出" in profile


@pytest.mark.tui
async def test_an_empty_roster_does_not_claim_everyone_was_visited(home: Path) -> None:
    profile = Profile("default")
    set_up(
        profile,
        village_code="330902112201",
        village_name="海星村",
        township="",
        staff_name="王晓丽",
        role=Role.ASSISTANT,
        clock=Clock.pinned(TODAY),
    )
    app = app_on(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await counted(pilot)
        title = str(app.screen.query_one("#worklist-title", Static).content)
        assert title == "本月没有需要探访的重点对象"


@pytest.mark.tui
async def test_setup_labels_do_not_wrap_at_80_columns(home: Path) -> None:
    app = app_on(Profile("default"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        for label in app.screen.query(".field-label"):
            if label.parent is not None and not label.parent.display:
                continue  # the passphrase rows, shown only where there is no keyring
            assert label.region.height == 1, str(label.render())


@pytest.mark.tui
async def test_pending_lists_households_and_need_steps_by_name(app: CivtuiApp) -> None:
    household = app.store.all(Household)[0]
    step = app.store.all(NeedStatusChange)[0]
    assert queries.change_label(app.store, "households", household.id) in {
        household.head_name,
        household.address,
    }
    need_person = app.store.db.execute(
        "SELECT p.name FROM elder_needs n JOIN persons p ON p.id = n.person_id WHERE n.id = ?",
        [step.need_id],
    ).fetchone()[0]
    assert queries.change_label(app.store, "need_status_changes", step.id) == need_person


@pytest.mark.tui
async def test_offline_sync_says_so_plainly_and_drops_the_old_summary(
    app: CivtuiApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CIVTUI_SERVER", "http://127.0.0.1:8841")  # nothing listens there
    monkeypatch.setenv("CIVTUI_TOKEN", "t" * 32)
    with app.store.transaction():
        app.store.set_meta(outbox.LAST_RESULT, "推送 3 条，拉取 0 条")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()  # the look for the server at start-up
        app.action_sync()
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = [str(n.message) for n in app._notifications]
        assert any("无法连接乡镇服务器" in s for s in said)
        assert not any("ConnectError" in s for s in said)
        assert app.link == "offline"
        status = str(app.screen.query_one("#statusbar", Static).content)
        assert "推送 3 条" not in status


def test_css_parsed_once_a_theme_is_what_textual_parses_and_follows_the_theme() -> None:
    """`share_parsed_css` hands a stylesheet the rules another parsed from the same source
    with the same variables, and parses anew where the variables (a theme) differ."""
    from textual.css.stylesheet import Stylesheet

    textual_compat.share_parsed_css()
    css = "Static.shared-css-probe { color: $probe; background: $probe 50%; }"
    where = ("tests/test_tui_small_fixes.py", "probe")

    def parsed(probe: str) -> Stylesheet:
        sheet = Stylesheet(variables={"probe": probe})
        sheet.add_source(css, read_from=where)
        sheet.parse()
        return sheet

    red, again, green = parsed("#ff0000"), parsed("#ff0000"), parsed("#00ff00")
    assert again.rules == red.rules and again.rules[0] is red.rules[0]
    assert red.rules[0].styles.color.hex == "#FF0000"
    assert green.rules[0].styles.color.hex == "#00FF00"
    # Textual's reparse after a theme change: the new variables' rules, not the kept ones.
    red.set_variables({"probe": "#0000ff"})
    red.reparse()
    assert red.rules[0].styles.color.hex == "#0000FF"
    assert [rule.css for rule in again.rules] == [rule.css for rule in parsed("#ff0000").rules]
