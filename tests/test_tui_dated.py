"""Months that close themselves and changes with an effective date, driven through the app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import DataTable

from civtui.domain.clock import Clock
from civtui.domain.models import MonthClose
from civtui.services.profile import Profile, create_profile
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_data

pytestmark = pytest.mark.tui


def profile_begun(on: dt.date) -> Profile:
    """The demo profile as if `civtui init` had made it on `on`."""
    data = demo_data()
    profile = Profile("demo")
    create_profile(profile, data.all(), data.staff[0].id, Clock.pinned(on))
    return profile


async def test_the_app_closes_every_ended_month_when_it_starts(home: Path) -> None:
    app = app_on(profile_begun(dt.date(2026, 9, 15)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        closed = app.store.all(MonthClose)
        villages = {v.village_code for v in closed}
        assert {c.month for c in closed} == {dt.date(2026, 9, 1), dt.date(2026, 10, 1)}
        assert len(closed) == 2 * len(villages) and all(c.taken_at.date() == TODAY for c in closed)


async def test_a_death_learned_late_is_dated_in_the_form_and_kept_out_of_the_report(
    home: Path,
) -> None:
    """Pilot: on 11-22 the assistant learns that an elder died on 10-20. October has
    closed (its 月报 stands); its figure today no longer counts her, nor does November."""
    from textual.widgets import Input, Select, Static

    from civtui.domain.choices import Category, Frequency, PersonStatus
    from civtui.domain.models import PersonEvent
    from civtui.services import reports
    from screens.person_form import PersonForm
    from screens.reports import CoverageScreen
    from tests.conftest import make_person

    profile = profile_begun(dt.date(2026, 9, 15))
    app = app_on(profile)
    elder = make_person(
        dt.date(1940, 3, 1),
        name="孙阿婆",
        village_code=demo_data().villages[0].id,
        categories=[Category.LIVING_ALONE],
    )

    def monthly_total(month: dt.date) -> reports.CoverageRow:
        rows = reports.coverage(app.store, month, TODAY)
        return next(
            r
            for r in rows
            if r.village_code == elder.village_code
            and r.rate_kind is Frequency.MONTHLY
            and r.group is None
        )

    app.store.save(elder)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        october, november = dt.date(2026, 10, 1), dt.date(2026, 11, 1)
        before_oct, before_nov = monthly_total(october), monthly_total(november)
        assert before_oct.closed and not before_oct.changed_since
        app.push_screen(PersonForm(elder))
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PersonForm)
        effective = form.query_one("#field-effective_on")
        assert not effective.display  # nothing dated has changed yet
        status = form.query_one("#in-status", Select)
        status.value = PersonStatus.DECEASED
        await pilot.pause()
        assert effective.display
        day = form.query_one("#in-effective_on", Input)
        assert day.value == TODAY.isoformat()  # today unless told otherwise
        # Changed back: nothing dated to save, and what was typed cannot refuse the save.
        day.value = "上个月"
        status.value = PersonStatus.ACTIVE
        await pilot.pause()
        assert not effective.display and day.value == TODAY.isoformat()
        status.value = PersonStatus.DECEASED
        await pilot.pause()
        day.value = "12-01"  # in the future
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is form
        said = str(form.query_one("#err-effective_on", Static).content)
        assert "生效日期不能晚于今天" in said
        day.value = "2026.10.20"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is not form
        (event,) = app.store.all(PersonEvent, "person_id = ?", [elder.id])
        assert (event.effective_on, event.status) == (dt.date(2026, 10, 20), PersonStatus.DECEASED)
        # October's report stands; today's records count one fewer due in October (she
        # left during the month unvisited), and November no longer has her.
        after_oct, after_nov = monthly_total(october), monthly_total(november)
        assert (after_oct.required, after_oct.contacted) == (
            before_oct.required,
            before_oct.contacted,
        )
        assert after_oct.now == (before_oct.required - 1, before_oct.contacted)
        assert after_nov.required == before_nov.required - 1 and after_nov.now is None

        app.push_screen(CoverageScreen())
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        assert "本月未结束" in str(screen.query_one("#coverage-month", Static).content)
        await pilot.press("left_square_bracket")
        await pilot.pause()
        heading = str(screen.query_one("#coverage-month", Static).content)
        assert "2026年10月 月报" in heading
        table = screen.query_one("#report", DataTable)
        shown = [table.get_row_at(i) for i in range(table.row_count)]
        total = next(
            r
            for r in shown
            if str(r[0]) == after_oct.village and [str(c) for c in r[1:3]] == ["月探访率", "合计"]
        )
        assert [str(c) for c in total[4:6]] == [str(before_oct.required), str(before_oct.contacted)]
        assert str(total[8]) == f"{before_oct.contacted}/{before_oct.required - 1}"
        await pilot.press("right_square_bracket", "right_square_bracket")  # no further than now
        await pilot.pause()
        assert screen.month == november


async def test_the_coverage_screen_shows_a_closed_month_through_its_report_rows(
    home: Path,
) -> None:
    """Pilot: the in-app report showed a closed month through today's rows, so a row its
    月报 kept vanished and one it never had came in at 0/0."""
    from civtui.domain.choices import DERIVED_CATEGORIES, Category
    from civtui.domain.models import Person, PersonEvent
    from screens.reports import CoverageScreen
    from tests.conftest import make_person

    village = demo_data().villages[0].id
    app = app_on(profile_begun(dt.date(2026, 9, 15)))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        (october,) = [
            c
            for c in app.store.all(MonthClose)
            if c.village_code == village and c.month.month == 10
        ]
        # Learned on 11-22: this elder has held a category since September (dated back)
        # that no adult of the village had, so today's October has a row the report lacks.
        kept = {f["category"] for f in october.figures if f["group"] == "adult"}
        new = next(
            c
            for c in (
                Category.SERIOUS_ILLNESS,
                Category.TEKUN,
                Category.DIBIAN,
                Category.SEVERE_DISABILITY,
                Category.EMPTY_NEST,
            )
            if c.value not in kept
        )
        elder = make_person(
            dt.date(1950, 3, 1),
            name="钱阿公",
            village_code=village,
            registered_on=dt.date(2026, 1, 5),
        )
        ill = elder.model_copy(update={"categories": [new]})
        app.store.save_many([elder, *PersonEvent.between(elder, ill, dt.date(2026, 9, 1)), ill])
        # And the one adult of a category the report counted loses it, dated back too, so
        # today's October has no such row: the report's row stays, with its figures.
        adults = [
            p
            for p in app.store.all(Person, order_by="id")
            if p.village_code == village and not p.is_child(TODAY) and p.id != elder.id
        ]
        gone, holder = next(
            (Category(f["category"]), held[0])
            for f in october.figures
            if f["group"] == "adult" and f["category"] and f["category"] != new.value
            for held in [[p for p in adults if f["category"] in p.categories]]
            if len(held) == 1 and Category(f["category"]) not in DERIVED_CATEGORIES
        )
        left = holder.model_copy(
            update={"categories": [c for c in holder.categories if c is not gone]}
        )
        app.store.save_many([*PersonEvent.between(holder, left, dt.date(2026, 9, 1)), left])
        app.push_screen(CoverageScreen())
        await pilot.pause()
        await pilot.press("left_square_bracket")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, CoverageScreen)
        mine = [r for r in screen.rows if r.village_code == village]
        assert [r.figure() for r in mine if not r.only_now] == october.figures
        table = screen.query_one("#report", DataTable)
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        apart = [r for r in shown if "月报中无" in r[3]]
        assert apart and all(r[4:7] == ["", "", ""] for r in apart)
        # Every row of the report is drawn, with the report's figures, in its order.
        name = next(v.name for v in demo_data().villages if v.id == village)
        drawn = [r[4:6] for r in shown if r[0] == name and "月报中无" not in r[3]]
        assert drawn == [[str(f["required"]), str(f["contacted"])] for f in october.figures]
        kept_row = [r for r in shown if r[0] == name and r[2] == "成人" and r[3] == gone.label()]
        assert len(kept_row) == 1, kept_row
        # (Today's October has nobody there: the row is the report's alone.)
        [row] = [r for r in mine if r.category is gone and r.group == "adult"]
        assert row.required == 1 and (row.now is None or row.now[0] == 0), row
