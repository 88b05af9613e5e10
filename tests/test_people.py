"""A status or category change with its effective date (生效日期), through services.people."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from civtui.domain.choices import Category, Frequency, PersonStatus
from civtui.domain.errors import FieldError, text
from civtui.domain.models import Person, PersonEvent, Visit
from civtui.services import people, reports
from db import Store, queries, standings
from tests.conftest import TODAY, make_person
from tests.test_standings import agree

ALONE = [Category.LIVING_ALONE]
OCT, NOV = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def monthly(store: Store, month: dt.date) -> tuple[int, int]:
    report = standings.month(store, month, TODAY, queries.rules(store)).rates[Frequency.MONTHLY]
    return report.total.contacted, report.total.required


def refused(store: Store, before: Person, after: Person, on: dt.date) -> tuple[str, str]:
    with pytest.raises(FieldError) as caught:
        people.save(store, before, after, on, TODAY)
    assert caught.value.field == "effective_on"
    return text(caught.value, "zh"), text(caught.value, "en")


def test_the_events_carry_the_day_given_and_the_months_follow(store: Store) -> None:
    elder = make_person(dt.date(1950, 1, 1), categories=ALONE)
    store.save(elder)
    assert monthly(store, OCT) == (0, 1) and monthly(store, NOV) == (0, 1)
    dead = elder.model_copy(update={"status": PersonStatus.DECEASED, "categories": []})
    people.save(store, elder, dead, dt.date(2026, 10, 20), TODAY)
    events = store.all(PersonEvent, order_by="category")
    assert {e.effective_on for e in events} == {dt.date(2026, 10, 20)} and len(events) == 2
    # Left during October unvisited: not counted there; not in scope from November.
    assert monthly(store, OCT) == (0, 0) and monthly(store, NOV) == (0, 0)
    # One transaction wrote the row, its log entry and both events, all to be synced.
    logged = [c.table_name for c in store.changes()]
    assert logged[-3:] == ["persons", "person_events", "person_events"]
    agree(store, OCT)
    agree(store, NOV)


def test_a_visit_before_the_day_still_counts(store: Store) -> None:
    elder = make_person(dt.date(1950, 1, 1), categories=ALONE)
    store.save(elder)
    store.save(Visit(person_id=elder.id, visit_date=dt.date(2026, 10, 5), visitor="王"))
    moved = elder.model_copy(update={"status": PersonStatus.MOVED_OUT})
    people.save(store, elder, moved, dt.date(2026, 10, 20), TODAY)
    assert monthly(store, OCT) == (1, 1) and monthly(store, NOV) == (0, 0)


def test_the_day_must_fit_what_is_known(store: Store) -> None:
    elder = make_person(dt.date(1950, 1, 1), categories=ALONE, registered_on=dt.date(2026, 3, 1))
    store.save(elder)
    moved = elder.model_copy(update={"status": PersonStatus.MOVED_OUT})
    zh, en = refused(store, elder, moved, TODAY + dt.timedelta(days=1))
    assert "不能晚于今天" in zh and "after today" in en
    zh, en = refused(store, elder, moved, dt.date(2026, 2, 28))
    assert "2026-03-01" in zh and "registered" in en
    people.save(store, elder, moved, dt.date(2026, 9, 1), TODAY)
    # Back, but dated before the move: the two would be in the wrong order.
    back = moved.model_copy(update={"status": PersonStatus.ACTIVE})
    zh, en = refused(store, moved, back, dt.date(2026, 8, 31))
    assert "上一次状态变更" in zh and "2026-09-01" in zh and "last change of the status" in en
    # A category change is judged against that category's own history only.
    fewer = moved.model_copy(update={"categories": []})
    people.save(store, moved, fewer, dt.date(2026, 8, 31), TODAY)
    more = fewer.model_copy(update={"categories": ALONE})
    zh, _ = refused(store, fewer, more, dt.date(2026, 8, 30))
    assert "“独居”类别" in zh
    # The same day as the last change is accepted (a mistake put right the same day).
    people.save(store, moved, back, dt.date(2026, 9, 1), TODAY)
    assert store.get(Person, elder.id) == back


def test_a_back_dated_change_leaves_the_closed_report_and_shows_beside_it(store: Store) -> None:
    elders = [make_person(dt.date(1950, 1, 1), 101 + 2 * i, categories=ALONE) for i in range(3)]
    store.save_many(elders)
    store.save(Visit(person_id=elders[0].id, visit_date=dt.date(2026, 10, 3), visitor="王"))
    reports.close_month(store, OCT, TODAY)

    def total() -> reports.CoverageRow:
        return next(r for r in reports.coverage(store, OCT, TODAY) if r.group is None)

    assert (total().required, total().contacted, total().changed_since) == (3, 1, False)
    dead = elders[1].model_copy(update={"status": PersonStatus.DECEASED})
    people.save(store, elders[1], dead, dt.date(2026, 10, 25), TODAY)
    late = Visit(person_id=elders[2].id, visit_date=dt.date(2026, 10, 30), visitor="王")
    store.save(late)
    row = total()
    # 月报 1/3 stands; today's records say 2/2 (one died unvisited, one visited late).
    assert (row.required, row.contacted, row.late, row.now) == (3, 1, 1, (2, 2))
    assert row.changed_since and row.as_json()["now_required"] == 2


def test_the_report_command_closes_months_and_shows_todays_figure_beside(home: Path) -> None:
    import json

    from click.testing import CliRunner, Result

    from civtui.cli import main
    from civtui.domain.clock import Clock
    from civtui.domain.models import MonthClose, Village
    from civtui.services.keys import open_store

    def run(*args: str) -> Result:
        return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args])

    assert run("demo", "--persons", "30").exit_code == 0
    path = Path(json.loads(run("status", "--json").stdout)["path"])
    store = open_store(path, Clock.pinned(TODAY))
    village = store.all(Village)[0]
    elder = make_person(dt.date(1940, 1, 1), 997, village_code=village.id, categories=ALONE)
    store.save(elder)
    store.set_meta("created_at", "2026-09-15T09:00:00+08:00")

    def october_total() -> dict[str, object]:
        result = run("report", "coverage", "--month", "2026-10", "--json")
        assert result.exit_code == 0, result.output
        rows = json.loads(result.stdout)["rows"]
        return next(
            r
            for r in rows
            if r["village"] == village.name and r["rate_kind"] == "monthly" and r["group"] is None
        )

    kept = october_total()  # September and October close on the way
    assert kept["closed"] and kept["now_required"] == kept["required"]
    assert {c.month for c in store.all(MonthClose)} == {dt.date(2026, 9, 1), OCT}
    dead = elder.model_copy(update={"status": PersonStatus.DECEASED})
    people.save(store, elder, dead, dt.date(2026, 10, 20), TODAY)
    store.close()
    after = october_total()
    assert (after["required"], after["contacted"]) == (kept["required"], kept["contacted"])
    assert after["now_required"] == kept["required"] - 1  # type: ignore[operator]
    table = run("report", "coverage", "--month", "2026-10").output
    assert "现" in table and f"{kept['now_contacted']}/{after['now_required']}" in table
