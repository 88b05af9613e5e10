"""The app at 80×24: the language kept, dialogs centred, the timeline
saying risk first, and the open app noticing what another process wrote."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from rich.text import Text
from textual.widgets import DataTable, Static

from civtui import watch
from civtui.app import CivtuiApp
from civtui.cli import main
from civtui.cli.common import Context
from civtui.domain.choices import GuardianSituation, RiskLevel
from civtui.domain.models import ChildCheck, Person
from civtui.services.keys import open_store
from civtui.services.profile import load_settings
from screens.confirm import ReasonModal
from screens.path_dialog import PathModal
from screens.person import PersonScreen
from screens.record import RecordScreen
from screens.reports import CoverageScreen
from tests.conftest import TODAY
from tests.test_snapshots import first_child, latest_visit
from tests.tui_helpers import app_on, demo_profile, steady


def cli(*args: str) -> str:
    """What a command printed; `status` without a profile says so and fails, which is
    enough here: the language is settled before any command runs."""
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args]).output


def test_lang_applies_to_its_own_command_only(home: Path) -> None:
    # Reading English help (or any command with --lang) must not turn the app English.
    assert "Usage" in cli("--lang", "en", "sync", "--help")
    assert "no profile" in cli("--lang", "en", "status")
    assert load_settings().lang == "zh"
    assert not (home / "settings.json").exists() or '"en"' not in (
        home / "settings.json"
    ).read_text(encoding="utf-8")
    assert "no profile" not in cli("status")
    with mock.patch("civtui.cli.run_app") as run_app:
        cli()
    (context,), _ = run_app.call_args
    assert isinstance(context, Context)
    assert context.lang == "zh"
    # The app opened with --lang en is in English for that run, and still saves nothing.
    with mock.patch("civtui.cli.run_app") as run_app:
        cli("--lang", "en")
    (context,), _ = run_app.call_args
    assert context.lang == "en"
    assert load_settings().lang == "zh"


def centred(app: CivtuiApp, size: tuple[int, int]) -> None:
    """The dialog's box sits in the middle of the terminal, the page behind it still seen."""
    box = app.screen.query_one("#confirm-box").region
    width, height = size
    assert abs(box.x - (width - box.right)) <= 1, box
    assert abs(box.y - (height - box.bottom)) <= 1, box
    assert app.screen.styles.background.a < 1


@pytest.mark.tui
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_export_and_delete_dialogs_are_centred(home: Path, size: tuple[int, int]) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=size) as pilot:
        await steady(pilot)
        app.ask_export("visits")
        await steady(pilot)
        assert isinstance(app.screen, PathModal)
        centred(app, size)
        await pilot.press("escape")
        app.push_screen(RecordScreen(*latest_visit(app)))
        await steady(pilot)
        await pilot.press("d")
        await steady(pilot)
        assert isinstance(app.screen, ReasonModal)
        centred(app, size)


def screen_rows(app: CivtuiApp) -> list[str]:
    """The terminal's rows as drawn."""
    strips = app.screen._compositor.render_strips()
    return ["".join(segment.text for segment in strip) for strip in strips]


def status_line(app: CivtuiApp) -> str:
    return str(app.screen.query_one("#statusbar", Static).render())


@pytest.mark.tui
async def test_the_open_app_shows_what_another_process_wrote(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `civtui sync` or import in another terminal commits on its own connection; the
    open dashboard's 待同步 count follows within the watch's interval, without a key."""
    monkeypatch.setattr(watch, "WATCH_SECONDS", 0.05)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        before = app.store.pending_count()
        assert f"待同步 {before} 条" in status_line(app)
        other = open_store(app.profile.db_path, app.clock)
        try:
            person = other.all(Person, order_by="id")[0]
            other.save(person.revise(context={"today": TODAY}, notes="[/]另一终端=写入"))
        finally:
            other.close()
        for _ in range(40):
            await pilot.pause(0.05)
            if f"待同步 {before + 1} 条" in status_line(app):
                break
        assert f"待同步 {before + 1} 条" in status_line(app)


@pytest.mark.tui
async def test_the_open_app_shows_a_sync_another_process_recorded(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`civtui sync` in another terminal records its time as the last sync; the open
    dashboard's 从未同步 turns into that time within the watch's interval, without a key."""
    from db import outbox

    monkeypatch.setattr(watch, "WATCH_SECONDS", 0.05)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        assert "从未同步" in status_line(app)
        other = open_store(app.profile.db_path, app.clock)
        try:
            person = other.all(Person, order_by="id")[0]
            with other.transaction():
                # What the sync client writes once the server answered (sync/client.py).
                other.set_meta(outbox.LAST_SYNC, "2026-11-22T09:30:00")
            other.save(person.revise(context={"today": TODAY}, name="[/]王=秀英\\e"))
        finally:
            other.close()
        for _ in range(40):
            await pilot.pause(0.05)
            if "2026-11-22 09:30" in status_line(app):
                break
        line = status_line(app)
        assert "2026-11-22 09:30" in line and "从未同步" not in line


def cell_style(table: DataTable[object], row: int, column: int) -> str:
    cell = table.get_row_at(row)[column]
    assert isinstance(cell, Text)
    return str(cell.style)


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_timeline_says_a_high_risk_check_first(home: Path, lang: str) -> None:
    """At 80 columns a high-risk child check reads differently from a routine one: its risk
    and whom it was reported to lead the line, the row stands out, and nothing is cut."""
    app = app_on(demo_profile(home), lang=lang)
    kid = first_child(app)
    reported_to = "[/]镇民政办=110"
    app.store.save(
        ChildCheck(
            person_id=kid.id,
            check_date=TODAY,
            checker="[b]王=",
            guardian_situation=GuardianSituation.BOTH_AWAY,
            risk_level=RiskLevel.HIGH,
            reported_at=dt.datetime(2026, 11, 22, 9, 30),
            reported_to=reported_to,
        ).revise(context={"today": TODAY})
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        app.push_screen(PersonScreen(kid.id))
        await steady(pilot)
        table = app.screen.query_one("#timeline", DataTable)
        high, routine = RiskLevel.HIGH.label(lang), RiskLevel.LOW.label(lang)
        risk = "风险" if lang == "zh" else "risk "
        shown = screen_rows(app)
        # The newest row (today's check) and a routine one below it.
        assert f"{risk}{high}" in shown[3], shown
        assert "bold red" in cell_style(table, 0, 2)
        assert cell_style(table, 1, 2) == ""
        assert str(table.get_row_at(1)[2]).startswith(f"{risk}{routine}")
        # The summary wraps: all of it is on the screen, the hostile text as typed.
        assert reported_to in "".join(row.split("▕")[-1].strip() for row in shown)


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_long_status_line_is_one_line_cut_with_an_ellipsis(home: Path, lang: str) -> None:
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        # What a sync says while it runs, ending in a hostile server word.
        app.sync_activity = "推送 300/1200 · pushing 300 of 1200 [/]=尾部"
        app.refresh_screens()
        await steady(pilot)
        bar = app.screen.query_one("#statusbar", Static)
        assert bar.region.height == 1
        row = screen_rows(app)[bar.region.y]
        # Cut where it must be, and seen to be cut; the whole line, as typed, in its tooltip.
        assert row.rstrip().endswith("…") and "尾部" not in row
        assert status_line(app).endswith("[/]=尾部")
        assert str(bar.tooltip).endswith("[/]=尾部")


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_an_open_month_has_no_empty_now_column(home: Path, lang: str) -> None:
    """现 compares a closed month's 月报 with today's records; an open month has no 月报, so
    the column (always empty there) and its legend are not shown."""
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        app.action_coverage()
        await steady(pilot)
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        table = screen.query_one("#report", DataTable)
        headings = [str(column.label) for column in table.columns.values()]
        assert app.t("report.now") not in headings
        assert app.t("screen.late") in headings
        assert not screen.query_one("#coverage-legend", Static).display
        # Every column is on the screen: the widest row ends inside 80 columns.
        assert table.virtual_size.width <= 80


def test_a_screens_css_names_only_ids_of_its_own() -> None:
    """Textual applies a screen's CSS_PATH to the whole app once the screen has been shown:
    a rule that starts at an id a screen of another sheet also composes (#search, #filters,
    #conflicts) must name its screen, or that screen looks different once this one was
    opened. Screens that share a sheet (the dialogs' confirm.tcss) share its ids."""
    import re

    screens = Path(__file__).resolve().parent.parent / "screens"
    modules = [*screens.glob("*.py"), screens.parent / "civtui" / "app.py"]
    code = {m.stem: m.read_text("utf-8") for m in modules}
    own = {m: set(re.findall(r"""CSS_PATH = ["']([\w.]+)["']""", c)) for m, c in code.items()}
    uses = {m: set(re.findall(r"^from screens\.(\w+) import", c, re.M)) for m, c in code.items()}
    # A module's widgets are drawn under its own sheet, the sheets of the screens it builds
    # on (a form on form.tcss) and of those that compose it (the dashboard's panels).
    sheets = {
        m: own[m]
        | {s for u in uses[m] for s in own.get(u, ())}
        | {s for other in code if m in uses[other] for s in own[other]}
        for m in code
    }
    composed: dict[str, set[str]] = {}
    for m, c in code.items():
        for found in re.findall(r"""\bid=["']([\w-]+)["']""", c):
            composed.setdefault(found, set()).add(m)
    shared = []
    for sheet in screens.glob("*.tcss"):
        text = re.sub(r"/\*.*?\*/", "", sheet.read_text("utf-8"), flags=re.S)
        for selectors in re.findall(r"([^{}]+)\{", text):
            for selector in selectors.split(","):
                first = (selector.split() or [""])[0]
                if not first.startswith("#"):
                    continue
                by = composed.get(first[1:].split(":")[0], set())
                elsewhere = sorted(m for m in by if sheet.name not in sheets[m])
                if elsewhere:
                    shared.append(f"{sheet.name}: {selector.strip()} (also in {elsewhere})")
    assert not shared, shared
