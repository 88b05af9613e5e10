"""Each TUI flow driven end to end with the pilot; assertions are on the database."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Select, Static, TextArea

from civtui.app import CivtuiApp
from civtui.domain.barthel import ITEMS
from civtui.domain.choices import NeedStatus, NeedType, RiskLevel
from civtui.domain.models import Assessment, ChildCheck, ElderNeed, NeedStatusChange, Person, Visit
from civtui.services.profile import Profile
from db import queries
from screens import textual_compat
from screens.assessment_form import AssessmentForm
from screens.child_check_form import ChildCheckForm
from screens.confirm import ConfirmModal
from screens.dashboard import DashboardScreen
from screens.help import HelpScreen
from screens.need_form import NeedForm, NeedStatusForm
from screens.panels import WorkListPanel
from screens.pending import PendingScreen
from screens.person import PersonScreen
from screens.person_form import PersonForm
from screens.roster import RosterScreen
from screens.setup import SetupScreen
from screens.visit_form import VisitForm
from tests.conftest import CTX, TODAY
from tests.tui_helpers import app, app_on, counted, demo_data

pytestmark = pytest.mark.tui

__all__ = ["app"]  # the fixture, re-exported for pytest


class Keyboard:
    """Presses keys through the pilot and counts every one of them."""

    def __init__(self, pilot: Pilot[None]) -> None:
        self.pilot = pilot
        self.count = 0

    async def press(self, *keys: str) -> None:
        self.count += len(keys)
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def type(self, text: str) -> None:
        await self.press(*text)


def new_rows(app: CivtuiApp, kind: type[Any], before: set[str]) -> list[Any]:
    return [r for r in app.store.all(kind) if r.id not in before]


def ids(app: CivtuiApp, kind: type[Any]) -> set[str]:
    return {r.id for r in app.store.all(kind)}


async def set_select(pilot: Pilot[None], selector: str, value: object) -> None:
    pilot.app.screen.query_one(selector, Select).value = value
    await pilot.pause()


async def open_person(pilot: Pilot[None], person: Person) -> None:
    app = pilot.app
    assert isinstance(app, CivtuiApp)
    app.push_screen(PersonScreen(person.id))
    await pilot.pause()


def elder(app: CivtuiApp) -> Person:
    return next(p for p in app.store.all(Person) if p.age_on(TODAY) >= 70)


def child(app: CivtuiApp) -> Person:
    return next(p for p in app.store.all(Person) if p.is_child(TODAY))


async def test_routine_visit_from_dashboard_takes_at_most_2_keys(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        first = app.store.get(Person, screen.query_one(WorkListPanel).work[0].person_id)
        assert first is not None
        # A child's routine contact is a child check; anyone else's is a visit.
        kind: type[Visit | ChildCheck] = ChildCheck if first.is_child(TODAY) else Visit
        before = ids(app, kind)
        pending_before = app.store.pending_count()
        keys = Keyboard(pilot)
        await keys.press("v")
        assert isinstance(app.screen, ChildCheckForm if kind is ChildCheck else VisitForm)
        await keys.press("ctrl+s")
        assert isinstance(app.screen, DashboardScreen)
        [saved] = new_rows(app, kind, before)
        assert saved.person_id == first.id
        assert saved.mode.zh == "上门" and saved.health.zh == "良好"
        assert app.store.pending_count() == pending_before + 1
        assert app.store.changes()[-1].record_id == saved.id
        assert keys.count <= 2
        # The person is no longer due, so the work list moved on.
        await counted(pilot)
        assert first.id not in [w.person_id for w in screen.query_one(WorkListPanel).work]


async def test_routine_home_visit_for_an_elder_saves_the_defaults(app: CivtuiApp) -> None:
    old = elder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, old)
        before = ids(app, Visit)
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        [visit] = new_rows(app, Visit, before)
        assert (visit.person_id, visit.visit_date, visit.mode.zh, visit.living_condition.zh) == (
            old.id,
            TODAY,
            "上门",
            "良好",
        )
        assert visit.visitor == demo_data().staff[0].name
        assert isinstance(app.screen, PersonScreen)
        timeline = app.screen.query_one("#timeline", DataTable)
        assert str(timeline.get_row_at(0)[1]) == "探访"


async def test_high_risk_child_check_needs_the_report(app: CivtuiApp) -> None:
    kid = child(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, kid)
        keys = Keyboard(pilot)
        await keys.press("v")
        form = app.screen
        assert isinstance(form, ChildCheckForm)
        assert not form.query_one("#field-reported_at").display  # hidden until high risk
        await set_select(pilot, "#in-risk_level", RiskLevel.HIGH)
        assert form.query_one("#field-reported_at").display
        before = ids(app, ChildCheck)
        await keys.press("ctrl+s")
        assert app.screen is form, "a high-risk check without its report must not save"
        error = form.query_one("#err-reported_at", Static)
        assert "强制报告" in str(error.content)
        assert form.focused is form.query_one("#in-reported_at")
        assert ids(app, ChildCheck) == before
        await keys.type("2026-11-22 09:30")
        await keys.press("tab")
        await keys.type("镇民政办")
        await keys.press("ctrl+s")
        assert isinstance(app.screen, PersonScreen)
        [check] = new_rows(app, ChildCheck, before)
        assert check.risk_level is RiskLevel.HIGH
        assert check.reported_to == "镇民政办"
        assert check.reported_at == dt.datetime.fromisoformat("2026-11-22T09:30+08:00")


async def test_need_goes_from_pending_to_resolved(app: CivtuiApp) -> None:
    old = elder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, old)
        keys = Keyboard(pilot)
        await keys.press("n")
        assert isinstance(app.screen, NeedForm)
        await set_select(pilot, "#in-need_type", NeedType.MEALS)
        await keys.press("tab", "tab")
        await keys.type("每天送午餐")
        before = ids(app, ElderNeed)
        await keys.press("ctrl+s")
        [need] = new_rows(app, ElderNeed, before)
        assert (need.status, need.description) == (NeedStatus.PENDING, "每天送午餐")

        for step, note in ((NeedStatus.IN_PROGRESS, ""), (NeedStatus.RESOLVED, "已安排助餐")):
            # The cursor is on the newest timeline row: this need or its latest step.
            await keys.press("u")
            form = app.screen
            assert isinstance(form, NeedStatusForm)
            await set_select(pilot, "#in-to_status", step)
            if note:
                form.query_one("#in-note", Input).focus()
                await keys.type(note)
            await keys.press("ctrl+s")
            assert isinstance(app.screen, PersonScreen)
        final = app.store.get(ElderNeed, need.id)
        assert final is not None and final.status is NeedStatus.RESOLVED
        assert final.resolution_note == "已安排助餐"
        steps = app.store.all(NeedStatusChange, "need_id = ?", [need.id], order_by="rowid")
        assert [s.to_status for s in steps] == [
            NeedStatus.PENDING,
            NeedStatus.IN_PROGRESS,
            NeedStatus.RESOLVED,
        ]
        logged = [c for c in app.store.changes() if c.record_id in {need.id, steps[-1].id}]
        assert {c.table_name for c in logged} == {"elder_needs", "need_status_changes"}


async def new_need_then_its_status_form(pilot: Pilot[None], person: Person) -> NeedStatusForm:
    """Raise a bathing need for `person` from their page, then open its status form."""
    await open_person(pilot, person)
    await pilot.press("n")
    await set_select(pilot, "#in-need_type", NeedType.BATHING)
    await pilot.press("ctrl+s")
    await pilot.pause()
    await pilot.press("u")
    await pilot.pause()
    form = pilot.app.screen
    assert isinstance(form, NeedStatusForm)
    return form


async def test_need_status_refuses_a_jump(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_need_then_its_status_form(pilot, elder(app))
        offered = {value for _, value in form.query_one("#in-to_status", Select)._options}
        assert NeedStatus.RESOLVED not in offered  # 待处理 cannot jump to 已解决
        await set_select(pilot, "#in-to_status", NeedStatus.REFERRED)
        await pilot.press("ctrl+s")  # 转介 needs a destination
        await pilot.pause()
        assert app.screen is form
        assert "转介至" in str(form.query_one("#err-referred_to", Static).content)


async def test_assessment_shows_running_total_and_saves_level(app: CivtuiApp) -> None:
    old = elder(app)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_person(pilot, old)
        await pilot.press("a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, AssessmentForm)
        total = form.query_one("#barthel-total", Static)
        assert str(total.content).startswith("0/10")
        await set_select(pilot, "#in-feeding", 10)
        assert "1/10" in str(total.content) and "总分 10" in str(total.content)
        for item in ITEMS[1:]:
            await set_select(pilot, f"#in-{item.field}", item.scores[0])
        assert "10/10" in str(total.content) and "重度依赖" in str(total.content)
        before = ids(app, Assessment)
        await pilot.press("ctrl+s")
        await pilot.pause()
        [saved] = new_rows(app, Assessment, before)
        assert (saved.total, saved.level.zh) == (10, "重度依赖")
        row = app.store.db.execute(
            "SELECT total, level FROM assessments WHERE id = ?", [saved.id]
        ).fetchone()
        assert tuple(row) == (10, "severe")


async def test_new_person_with_existing_id_or_lookalike_is_flagged(app: CivtuiApp) -> None:
    existing = elder(app)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("n")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PersonForm)
        keys = Keyboard(pilot)
        await keys.type("王新人")
        await keys.press("tab")
        await keys.type(existing.id_number)
        before = ids(app, Person)
        await keys.press("ctrl+s")
        assert app.screen is form
        assert existing.name in str(form.query_one("#err-id_number", Static).content)
        assert ids(app, Person) == before

        # Same name and birth date, another ID number: a warning that can be overridden.
        id_input = form.query_one("#in-id_number", Input)
        seq = int(existing.id_number[14:17])
        twin = existing.id_number[:14] + f"{(seq + 2) % 1000:03d}"
        from civtui.domain.resident_id import check_char

        id_input.value = twin + check_char(twin)
        name_input = form.query_one("#in-name", Input)
        name_input.value = existing.name
        await keys.press("ctrl+s")
        assert isinstance(app.screen, ConfirmModal)
        await keys.press("n")
        assert app.screen is form and ids(app, Person) == before
        await keys.press("ctrl+s")
        await keys.press("y")
        assert isinstance(app.screen, DashboardScreen)
        [added] = new_rows(app, Person, before)
        assert added.name == existing.name and added.id_number != existing.id_number


async def test_search_by_pinyin_initials_and_id_tail(app: CivtuiApp) -> None:
    person = elder(app)
    from pypinyin import lazy_pinyin

    initials = "".join(s[0] for s in lazy_pinyin(person.name))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        assert roster.focused is roster.query_one("#search", Input)
        await pilot.press(*initials)
        await pilot.pause()
        shown = {r.id for r in roster.shown}
        assert person.id in shown
        assert all(initials in r.search_key for r in roster.shown)
        table = roster.query_one("#people", DataTable)
        assert table.row_count == len(roster.shown)
        # Masked in the list.
        assert person.id_number not in str(table.get_row(person.id))
        await pilot.press(*["backspace"] * len(initials), *person.id_number[-6:])
        await pilot.pause()
        assert [r.id for r in roster.shown] == [person.id]
        await pilot.press("enter", "enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)


async def test_chinese_name_search(app: CivtuiApp) -> None:
    person = elder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        roster.query_one("#search", Input).insert_text_at_cursor(person.name)
        await pilot.pause()
        assert person.id in {r.id for r in roster.shown}
        assert all(person.name in r.name for r in roster.shown)


async def test_person_view_masks_id_until_asked(app: CivtuiApp) -> None:
    person = elder(app)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, person)
        profile = app.screen.query_one("#profile", Static)
        assert person.masked_id in str(profile.content)
        assert person.id_number not in str(profile.content)
        await pilot.press("i")
        await pilot.pause()
        assert person.id_number in str(profile.content)


async def test_escape_asks_before_discarding_typed_input(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        before = ids(app, Visit)
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        form.query_one("#in-notes", TextArea).focus()
        await pilot.press(*"abc")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await pilot.pause()
        assert app.screen is form
        assert form.query_one("#in-notes", TextArea).text == "abc"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        assert ids(app, Visit) == before


async def test_escape_on_untouched_form_leaves_at_once(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("v", "escape")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)


async def test_bad_visit_date_is_shown_next_to_the_field(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        date = form.query_one("#in-visit_date", Input)
        date.value = (TODAY + dt.timedelta(days=3)).isoformat()
        before = ids(app, Visit)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        assert "晚于今天" in str(form.query_one("#err-visit_date", Static).content)
        date.value = "2026-13-01"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "有效日期" in str(form.query_one("#err-visit_date", Static).content)
        assert ids(app, Visit) == before


async def test_a_save_the_file_refuses_keeps_the_input(
    app: CivtuiApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlite3 import SQLITE_BUSY

    from db.connection import OperationalError

    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        form.query_one("#in-notes", TextArea).text = "老人说屋顶漏雨"
        before = ids(app, Visit)
        real = app.store.save_many

        def locked(records: object) -> list[int]:
            # An import in another window holds the file: SQLite says SQLITE_BUSY.
            busy = OperationalError("database is locked")
            busy.sqlite_errorcode = SQLITE_BUSY  # type: ignore[attr-defined]
            raise busy

        monkeypatch.setattr(app.store, "save_many", locked)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form and ids(app, Visit) == before
        assert form.query_one("#in-notes", TextArea).text == "老人说屋顶漏雨"
        assert any("正被其他程序占用" in str(n.message) for n in app._notifications)
        monkeypatch.setattr(app.store, "save_many", real)
        await pilot.press("ctrl+s")  # a moment later
        await pilot.pause()
        assert app.screen is not form and len(ids(app, Visit)) == len(before) + 1


async def test_a_full_disk_is_not_taken_for_a_busy_file(app: CivtuiApp) -> None:
    """Told apart by SQLite's code: a full disk says "not saved, check the disk"."""
    async with app.run_test(size=(100, 30)) as pilot:
        await open_person(pilot, elder(app))
        await pilot.press("v")
        await pilot.pause()
        form = app.screen
        typed = "屋顶漏雨 [/] a=b \\[bold]" + "长" * 1_900
        form.query_one("#in-notes", TextArea).text = typed
        before = ids(app, Visit)
        (pages,) = app.store.db.execute("PRAGMA page_count").fetchone()
        app.store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full
        await pilot.press("ctrl+s")
        await pilot.pause()
        app.store.db.execute("PRAGMA max_page_count = 1073741823")
        assert app.screen is form and ids(app, Visit) == before
        assert form.query_one("#in-notes", TextArea).text == typed
        said = [str(n.message) for n in app._notifications]
        assert any("请检查磁盘空间" in m for m in said), said
        assert not any("正被其他程序占用" in m for m in said)


async def test_a_need_moved_on_by_a_sync_is_not_moved_from_its_old_status(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        form = await new_need_then_its_status_form(pilot, elder(app))
        # Meanwhile a sync brings the need already resolved by the township.
        need = form.need
        now = app.clock.now()
        moved, step = need.advance(NeedStatus.IN_PROGRESS, at=now, staff="乡镇")
        resolved, last = moved.advance(NeedStatus.RESOLVED, at=now, staff="乡镇", note="已上门")
        app.store.save_many([moved, step, resolved, last])
        await set_select(pilot, "#in-to_status", NeedStatus.IN_PROGRESS)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form  # 已解决 cannot go back to 处理中
        assert "已解决" in str(form.query_one("#err-to_status", Static).content)
        kept = app.store.get(ElderNeed, need.id)
        assert kept is not None and kept.status is NeedStatus.RESOLVED


async def test_an_edit_keeps_what_a_sync_brought_while_the_form_was_open(
    app: CivtuiApp,
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        person = elder(app).revise(context=CTX, disability_grade=2)
        app.store.save(person)
        await open_person(pilot, person)
        await pilot.press("e")
        await pilot.pause()
        form = app.screen
        # Meanwhile a sync brings another device's new phone number for the same person.
        app.store.save(person.revise(context=CTX, phone="13905809999"))
        form.query_one("#in-address", Input).value = "东港路8号"
        form.query_one("#in-disability_grade", Input).value = ""  # emptied on purpose
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not form
        saved = app.store.get(Person, person.id)
        assert saved is not None
        assert (saved.phone, saved.address) == ("13905809999", "东港路8号")
        assert saved.disability_grade is None


async def test_pending_screen_lists_unsynced_changes(app: CivtuiApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("v", "ctrl+s")
        await pilot.pause()
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, PendingScreen)
        table = screen.query_one("#changes", DataTable)
        assert table.row_count == app.store.pending_count()
        # Newest first: the change just made is the first row.
        newest = [str(cell) for cell in table.get_row_at(0)]
        assert newest[1] in {"探访", "儿童随访"} and newest[3] == "新增" and newest[5] == "待同步"


async def test_help_lists_every_screen_key_and_palette_navigates(app: CivtuiApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        await pilot.pause()
        helpscreen = app.screen
        assert isinstance(helpscreen, HelpScreen)
        rows = [
            [str(cell) for cell in helpscreen.query_one("#keys", DataTable).get_row_at(i)]
            for i in range(helpscreen.query_one("#keys", DataTable).row_count)
        ]
        # The page F1 was pressed on first, in plain words (the tooltip, not the footer's word).
        assert rows[0] == ["本页：首页", "v", "为选中的人记录探访或儿童随访"]
        assert any(r[1] == "Ctrl+S" and r[2] == "校验并保存" for r in rows)
        keys = [r[1] for r in rows]
        # Keys as the keyboard says them, each listed once.
        assert not {"question_mark", "slash", "plus"} & {k for r in keys for k in r.split(" / ")}
        assert keys.count("Ctrl+P") == 1
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"名册")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)


async def test_textuals_own_palette_commands_speak_the_apps_language(home: Path) -> None:
    from tests.tui_helpers import demo_profile

    profile = demo_profile(home)
    for lang, expected, absent in (("zh", "配色主题", "Theme"), ("en", "Theme", "配色主题")):
        app = app_on(profile, lang=lang)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            titles = [c.title for c in app.get_system_commands(app.screen)]
            assert expected in titles and absent not in titles
            if lang == "zh":
                assert {"退出", "按键", "截图"} <= set(titles)
                assert not any(c.help.isascii() for c in app.get_system_commands(app.screen))
                await pilot.press("ctrl+p")
                await pilot.pause()
                assert app.screen.query_one(Input).placeholder.startswith("输入要做的事")


async def test_english_labels_everywhere(home: Path) -> None:
    from tests.tui_helpers import demo_profile

    app = app_on(demo_profile(home), lang="en")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert str(screen.query_one("#coverage-title", Static).content) == "Coverage this month"
        descriptions = {b.description for b in textual_compat.bindings_of(screen)}
        assert "Record visit" in descriptions and "记录探访" not in descriptions
        await pilot.press("v")
        await pilot.pause()
        labels = [str(label.content) for label in app.screen.query(".field-label").results(Label)]
        assert "Date" in labels and "Mode" in labels
        # What is wrong is said in English too, next to its field.
        day = next(w for w in app.screen.query(Input) if str(w.id).endswith("_date"))
        day.value = "2027-01-05"  # a visit or a child check: the first person due decides
        await pilot.press("ctrl+s")
        await pilot.pause()
        said = str(app.screen.query_one(f"#err-{str(day.id)[3:]}", Static).content)
        assert said == "2027-01-05 is after today; use today or an earlier day"


async def test_no_profile_opens_setup_and_creates_one(home: Path) -> None:
    app = app_on(Profile("default"))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        await pilot.press(*"3309")
        await pilot.press("tab")
        await pilot.press(*"海星村")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SetupScreen)
        assert "12位" in str(app.screen.query_one("#err-village_code", Static).content)
        assert "不能为空" in str(app.screen.query_one("#err-staff", Static).content)
        app.screen.query_one("#in-village_code", Input).value = "330902112201"
        app.screen.query_one("#in-staff", Input).value = "王晓丽"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        assert Profile("default").exists()
        assert [v["name"] for v in queries.summary(app.store)["villages"]] == ["海星村"]


async def test_language_and_theme_choices_are_remembered(app: CivtuiApp) -> None:
    from civtui.services.profile import load_settings

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        app.theme = "textual-light"
        app.action_switch_language()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        assert str(screen.query_one("#coverage-title", Static).content) == "Coverage this month"
    settings = load_settings()
    assert (settings.lang, settings.theme) == ("en", "textual-light")


async def test_add_a_household_member_from_the_person_view(app: CivtuiApp) -> None:
    head = next(p for p in app.store.all(Person) if p.household_id and p.address)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_person(pilot, head)
        await pilot.press("plus")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PersonForm)
        assert form.query_one("#in-address", Input).value == head.address
        await pilot.press(*"Li")
        form.query_one("#in-name", Input).value = "林小海"
        form.query_one("#in-id_number", Input).value = "330902201503070019"
        before = ids(app, Person)
        await pilot.press("ctrl+s")
        await pilot.pause()
        [added] = new_rows(app, Person, before)
        assert (added.household_id, added.village_code) == (head.household_id, head.village_code)
        assert isinstance(app.screen, PersonScreen)
        assert "林小海" in str(app.screen.query_one("#household", Static).content)


async def test_export_from_the_palette_runs_in_a_worker(app: CivtuiApp, home: Path) -> None:
    from openpyxl import load_workbook

    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        # Found by what one types to export (导出), not only by the ledger's name.
        await pilot.press(*"导出探访")
        await pilot.pause(0.3)
        await pilot.press("enter")
        # It asks where, saying the file leaves the encrypted store; the documents folder
        # is offered, and Enter takes it.
        from screens.path_dialog import PathModal

        for _ in range(20):
            if isinstance(app.screen, PathModal):
                break
            await pilot.pause(0.1)
        asked = app.screen
        assert isinstance(asked, PathModal) and "不加密" in asked.question
        documents = home.parent / "documents" / "civtui-exports"
        assert asked.query_one(Input).value == str(documents)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        # In the documents folder, private; never in the profile's home.
        [path] = documents.glob("探访台账-demo-2026-11.xlsx")
        assert path.stat().st_mode & 0o777 == 0o600 and not (home / "exports").exists()
        # Where it went stays on screen until read, then the dashboard is as it was.
        from screens.confirm import InfoModal

        for _ in range(20):  # shown once the palette has closed
            if isinstance(app.screen, InfoModal):
                break
            await pilot.pause(0.1)
        assert isinstance(app.screen, InfoModal) and str(path.parent) in app.screen.message
        assert "不加密" in app.screen.message  # it leaves the encrypted store, as the CLI says
        # The file's name on a line of its own, whole, however long the folder before it.
        drawn = app.screen._compositor.render_strips()
        assert any(path.name in "".join(s.text for s in strip) for strip in drawn)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, DashboardScreen)
        month = [v for v in app.store.all(Visit) if v.visit_date.strftime("%Y-%m") == "2026-11"]
    book = load_workbook(path)
    # Title row, header row, one row per visit, the 填表人/审核人 line.
    assert book["探访台账"].max_row - 3 == len(month)


async def test_an_export_says_how_far_it_has_written(
    app: CivtuiApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A month of 50,000 people takes a minute to write: the app says how far it is, in
    notices that fade as the next comes, not one 正在导出 that seems stuck."""
    import civtui.app
    from civtui.excel import ledgers

    monkeypatch.setattr(civtui.app, "EXPORT_PROGRESS_S", 0.0)
    monkeypatch.setattr(ledgers, "PROGRESS_EVERY", 5)
    said: list[tuple[str, float | None]] = []
    real_notify = app.notify

    def notify(message: str, **options: Any) -> None:
        said.append((message, options.get("timeout")))
        real_notify(message, **options)

    monkeypatch.setattr(app, "notify", notify)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.export_ledger("visits", tmp_path)
        await app.workers.wait_for_complete()
        await pilot.pause()
    progress = [(m, t) for m, t in said if m.startswith("正在导出探访台账：")]
    assert progress, said
    # Each names how far in rows and per cent, and each fades on its own.
    first, timeout = progress[0]
    assert first.endswith(" 行）") and "%（5/" in first and timeout is not None
    assert list(tmp_path.glob("探访台账-*.xlsx"))


async def test_an_export_goes_where_it_is_told_and_esc_writes_nothing(
    app: CivtuiApp, tmp_path: Path
) -> None:
    from screens.path_dialog import PathModal

    stick = tmp_path / "U盘"
    stick.mkdir()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.ask_export("needs")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        await pilot.press("escape")
        await pilot.pause()
        app.ask_export("needs")
        await pilot.pause()
        app.screen.query_one(Input).value = str(stick / "没有这个文件夹" / "x.xlsx")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)  # refused: no such folder, still asking
        app.screen.query_one(Input).value = str(stick)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    [path] = stick.iterdir()
    assert path.name == "老人需求台账-demo-2026-11.xlsx"
    assert path.stat().st_mode & 0o777 == 0o600


async def test_coverage_and_eligible_reports_in_the_app(app: CivtuiApp) -> None:
    from screens.reports import CoverageScreen, EligibleScreen

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.action_coverage()
        await pilot.pause()
        assert isinstance(app.screen, CoverageScreen)
        table = app.screen.query_one("#report", DataTable)
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert table.row_count > 3 and shown[0][1:4] == ["月探访率", "合计", "合计"]
        assert [r[2:4] for r in shown[1:3]] == [["成人", "小计"], ["儿童", "小计"]]
        # 低保 is an adults' and a children's category: the 人群 column tells its rows apart,
        # so no village lists one category twice under one rate.
        labels = [tuple(r[:4]) for r in shown]
        assert len(labels) == len(set(labels))
        first = shown[0][0]
        dibao = [r[2] for r in shown if r[0] == first and r[1] == "月探访率" and r[3] == "低保"]
        assert dibao == ["成人", "儿童"]
        await pilot.press("escape")
        app.action_eligible()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, EligibleScreen)
        assert screen.query_one("#report", DataTable).row_count == len(screen.hints) > 0
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)
        assert app.screen.person_id == screen.hints[0].person.id


def test_search_narrowing_rules() -> None:
    from civtui.domain import search

    people = search.entries(
        [
            ("a", "张三|zhangsan|zs", "330902195001011230"),
            ("b", "赵四|zhaosi|zs", "330902195001010123"),
        ]
    )
    assert [e.person_id for e in search.match(people, "zha")] == ["a", "b"]
    assert [e.person_id for e in search.match(people, "zhang")] == ["a"]
    assert search.narrows("zh", "zhang") and not search.narrows("zhang", "zh")
    # ID tails do not narrow: "0123" is not among the matches for "012" here.
    assert [e.person_id for e in search.match(people, "123")] == ["b"]
    assert not search.narrows("12", "123")
    assert [e.person_id for e in search.match(people, "1230")] == ["a"]
