"""Snapshots of the main screens at 80×24 and 120×40, in Chinese, and the dashboard and the
record view in English.

Update after an intended change with `pytest tests/test_snapshots.py --snapshot-update`
and look at the SVGs before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.screen import Screen

from civtui.app import CivtuiApp
from civtui.domain.choices import RiskLevel
from civtui.domain.models import ElderNeed, Person, Visit
from db import queries
from screens.assessment_form import AssessmentForm
from screens.child_check_form import ChildCheckForm
from screens.need_form import NeedForm, NeedStatusForm
from screens.person import PersonScreen
from screens.person_form import PersonForm
from screens.record import RecordScreen
from screens.visit_form import VisitForm
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_profile, steady

pytestmark = pytest.mark.tui

SIZES = [pytest.param((80, 24), id="80x24"), pytest.param((120, 40), id="120x40")]
Snap = Callable[..., bool]


def first_elder(app: CivtuiApp) -> Person:
    return next(p for p in app.store.all(Person, order_by="id") if p.age_on(TODAY) >= 75)


def first_child(app: CivtuiApp) -> Person:
    return next(p for p in app.store.all(Person, order_by="id") if p.is_child(TODAY))


def open_need(app: CivtuiApp) -> tuple[Person, ElderNeed]:
    need = sorted(queries.open_needs(app.store), key=lambda n: n.id)[0]
    person = app.store.get(Person, need.person_id)
    assert person is not None
    return person, queries.need_history(app.store, need)


def showing(make: Callable[[CivtuiApp], Screen[Any]]) -> Callable[[Pilot[None]], Awaitable[None]]:
    async def run_before(pilot: Pilot[None]) -> None:
        app = pilot.app
        assert isinstance(app, CivtuiApp)
        await pilot.pause()
        app.push_screen(make(app))
        await steady(pilot)

    return run_before


SCREENS: dict[str, Callable[[CivtuiApp], Screen[Any]] | None] = {
    "dashboard": None,
    "person": lambda app: PersonScreen(first_elder(app).id),
    "visit_form": lambda app: VisitForm(first_elder(app)),
    "child_check_form": lambda app: ChildCheckForm(first_child(app), None),
    "need_form": lambda app: NeedForm(first_elder(app)),
    "need_status_form": lambda app: NeedStatusForm(*open_need(app)),
    "assessment_form": lambda app: AssessmentForm(first_elder(app)),
    "person_form": lambda app: PersonForm(None),
}


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("name", list(SCREENS))
def test_screen(snap_compare: Snap, home: Path, name: str, size: tuple[int, int]) -> None:
    app = app_on(demo_profile(home))
    make = SCREENS[name]
    run_before = showing(make) if make else steady
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_roster(snap_compare: Snap, home: Path, size: tuple[int, int]) -> None:
    async def open_roster(pilot: Pilot[None]) -> None:
        # Pressed before `steady`, so the search box's cursor is not caught mid-blink.
        await pilot.press("r")
        await steady(pilot)

    app = app_on(demo_profile(home))
    assert snap_compare(app, terminal_size=size, run_before=open_roster)


@pytest.mark.parametrize("size", SIZES)
def test_child_check_high_risk_asks_for_report(
    snap_compare: Snap, home: Path, size: tuple[int, int]
) -> None:
    app = app_on(demo_profile(home))

    async def run_before(pilot: Pilot[None]) -> None:
        await showing(lambda a: ChildCheckForm(first_child(a), None))(pilot)
        pilot.app.screen.query_one("#in-risk_level").value = RiskLevel.HIGH  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_dashboard_in_english(snap_compare: Snap, home: Path, size: tuple[int, int]) -> None:
    app = app_on(demo_profile(home), lang="en")
    assert snap_compare(app, terminal_size=size, run_before=steady)


@pytest.mark.parametrize("screen", ["dashboard", "visit_form"])
def test_light_theme(snap_compare: Snap, home: Path, screen: str) -> None:
    app = app_on(demo_profile(home))
    make = SCREENS[screen]

    async def run_before(pilot: Pilot[None]) -> None:
        pilot.app.theme = "textual-light"
        await (showing(make) if make else steady)(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


def latest_visit(app: CivtuiApp) -> tuple[Visit, Person]:
    """The first elder's newest visit: a record as the timeline opens it."""
    person = first_elder(app)
    visit = app.store.all(Visit, "person_id = ?", [person.id], order_by="visit_date DESC")[0]
    return visit, person


def one_laptop(app: CivtuiApp) -> CivtuiApp:
    """Give the profile a fixed device id: the record's history names the laptop."""
    store = app.store
    with store.transaction():
        store.db.execute("UPDATE changes SET device_id = 'laptop-a'")
        store.db.execute("UPDATE visits SET device_id = 'laptop-a'")
        store.set_meta("device_id", "laptop-a")
    store.device_id = "laptop-a"
    return app


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_record(snap_compare: Snap, home: Path, size: tuple[int, int], lang: str) -> None:
    app = one_laptop(app_on(demo_profile(home), lang=lang))
    assert snap_compare(
        app, terminal_size=size, run_before=showing(lambda a: RecordScreen(*latest_visit(a)))
    )


@pytest.mark.parametrize("size", SIZES)
def test_record_delete_asks_why(snap_compare: Snap, home: Path, size: tuple[int, int]) -> None:
    app = one_laptop(app_on(demo_profile(home)))

    async def run_before(pilot: Pilot[None]) -> None:
        await showing(lambda a: RecordScreen(*latest_visit(a)))(pilot)
        await pilot.press("d")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_visit_correction_form(
    snap_compare: Snap, home: Path, size: tuple[int, int], lang: str
) -> None:
    app = app_on(demo_profile(home), lang=lang)

    def correcting(a: CivtuiApp) -> Screen[Any]:
        visit, person = latest_visit(a)
        return VisitForm(person, editing=visit)

    assert snap_compare(app, terminal_size=size, run_before=showing(correcting))


#: The note another device wrote, which the record holds now.
KEPT_NOTE = "独居，每周电话问候一次"
#: A note typed on this laptop that lost to another device's, long enough to wrap.
LOST_NOTE = (
    "老人独居，女儿在宁波打工，每月回来一次；腿脚不便，上下楼需要扶；"
    "助餐由幸福驿家每天中午送到，晚饭邻居帮忙；家里的紧急呼叫设备电池需要更换，"
    "已报镇民政办，等待上门处理。"
)


def edited_elsewhere(app: CivtuiApp) -> CivtuiApp:
    """The latest visit's health and note, changed on laptop B at 15:20 and pulled here."""
    import datetime as dt

    from civtui.domain.clock import CHINA_TZ
    from db.store import Remote

    visit, _ = latest_visit(app)
    at = int(dt.datetime(2026, 11, 22, 15, 20, tzinfo=CHINA_TZ).timestamp() * 1000)
    fields = {**visit.row(), "health": "poor", "notes": "腿脚不便，已联系村医上门"}
    with app.store.transaction():
        app.store.apply_remote(
            [
                Remote(
                    table="visits",
                    record_id=visit.id,
                    fields=fields,
                    deleted=False,
                    hlc=f"{at:013d}-0000-laptop-b",
                    device_id="laptop-b",
                )
            ],
            {},
        )
    return app


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_conflict_dialog(snap_compare: Snap, home: Path, size: tuple[int, int], lang: str) -> None:
    """Opened with c on the person's page, seen from the laptop whose note lost."""
    import json

    app = one_laptop(app_on(demo_profile(home), lang=lang))

    async def run_before(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app, CivtuiApp)
        store = pilot.app.store
        person = first_elder(pilot.app).revise(context={"today": TODAY}, notes=KEPT_NOTE)
        store.save(person)
        store.db.execute(
            "INSERT INTO conflicts (id, table_name, record_id, field, kept_value, lost_value, "
            "kept_device, lost_device, lost_hlc) "
            "VALUES (1, 'persons', ?, 'notes', ?, ?, 'laptop-b', 'laptop-a', '0')",
            [person.id, json.dumps(person.notes), json.dumps(LOST_NOTE)],
        )
        await showing(lambda a: PersonScreen(person.id))(pilot)
        await pilot.press("c")
        await steady(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_record_edited_on_another_laptop(
    snap_compare: Snap, home: Path, size: tuple[int, int], lang: str
) -> None:
    app = edited_elsewhere(one_laptop(app_on(demo_profile(home), lang=lang)))
    assert snap_compare(
        app, terminal_size=size, run_before=showing(lambda a: RecordScreen(*latest_visit(a)))
    )


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("size", SIZES)
def test_draft_offered_at_start(
    snap_compare: Snap, home: Path, size: tuple[int, int], lang: str
) -> None:
    from db import drafts

    app = app_on(demo_profile(home), lang=lang)
    person = first_elder(app)
    args: dict[str, str | None] = {"person_id": person.id, "editing_id": None}
    drafts.keep(app.store, "visit", args, {"notes": "屋顶漏雨，已告知村委"})
    assert snap_compare(app, terminal_size=size, run_before=steady)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_follow_ups(snap_compare: Snap, home: Path, lang: str) -> None:
    """The whole 待跟进 list at 80×24, opened with f from the dashboard."""
    app = app_on(demo_profile(home), lang=lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("f")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_follow_up_done_asks(snap_compare: Snap, home: Path, lang: str) -> None:
    """x on the 待跟进 list names the person and the item before anything is written."""
    app = app_on(demo_profile(home), lang=lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        await pilot.press("f")
        await pilot.pause()
        await pilot.press("x")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_export_dialog(snap_compare: Snap, home: Path, lang: str) -> None:
    """Where a ledger goes: asked in the middle of the page the palette was opened on."""
    app = app_on(demo_profile(home), lang=lang)

    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.pause()
        assert isinstance(pilot.app, CivtuiApp)
        pilot.app.ask_export("visits")
        await steady(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
