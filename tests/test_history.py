"""Issue #15: a record's history names the fields another laptop changed, when and from which
laptop, as sync brings them; fields this laptop had not sent yet are not among them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from textual.widgets import Static

from civtui.app import make_app
from civtui.domain.choices import Condition, Mood
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person, Visit
from civtui.services.profile import Profile
from db import Store
from db.history import record_history
from db.store import Remote
from screens.record import RecordScreen
from tests.conftest import CTX, TODAY, make_person
from tests.sync_harness import device, server
from tests.test_tui_records import shown_text

__all__ = ["server"]  # the fixture

#: 2026-11-22 10:30 China time, as a stamp's wall-clock part.
AT_MS = int(dt.datetime(2026, 11, 22, 10, 30, tzinfo=CHINA_TZ).timestamp() * 1000)


def a_visit(person: Person, **fields: object) -> Visit:
    data: dict[str, object] = {
        "person_id": person.id,
        "visit_date": TODAY,
        "visitor": "王晓丽",
        **fields,
    }
    return Visit.model_validate(data, context=CTX)


def pulled(visit: Visit, device_id: str = "laptop-b", ms: int = AT_MS, **fields: object) -> Remote:
    """The visit as another laptop's edit leaves it on the server."""
    row = {**visit.row(), **fields}
    return Remote(
        table="visits",
        record_id=visit.id,
        fields=row,
        deleted=False,
        hlc=f"{ms:013d}-0000-{device_id}",
        device_id=device_id,
    )


def test_a_pulled_edit_is_a_step_with_its_fields_old_and_new(store: Store) -> None:
    person = make_person()
    visit = a_visit(person, safety_hazards=[])
    store.save_many([person, visit])
    with store.transaction():
        store.apply_remote(
            [pulled(visit, health="fair", safety_hazards=["fire"], notes="屋顶漏雨")], {}
        )
    steps = record_history(store, "visits", visit.id)
    [step] = [s for s in steps if s.pulled]
    assert step.op == "update" and not step.local
    assert step.device_id == "laptop-b"
    assert step.at == dt.datetime(2026, 11, 22, 10, 30, tzinfo=CHINA_TZ)
    assert step.fields == {"health": "fair", "safety_hazards": ["fire"], "notes": "屋顶漏雨"}
    assert step.before == {"health": "good", "safety_hazards": [], "notes": ""}
    # No "remote" line without fields beside it: the step says it all.
    assert [s.op for s in steps] == ["insert", "update"]


def test_fields_kept_for_an_unsent_local_edit_are_not_changed_by_the_other_laptop(
    store: Store,
) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    # This laptop changed the mood and has not sent it; the other laptop changed mood and health.
    store.save(visit.model_copy(update={"mood": Mood.LOW}))
    with store.transaction():
        store.apply_remote(
            [pulled(visit, health="poor", mood="fair")],
            {("visits", visit.id): frozenset({"mood"})},
        )
    [step] = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert step.fields == {"health": "poor"}
    assert store.get(Visit, visit.id).mood is Mood.LOW  # type: ignore[union-attr]


def test_a_pull_that_changes_nothing_here_adds_no_step(store: Store) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    with store.transaction():
        store.apply_remote([pulled(visit, device_id=store.device_id)], {})
    assert not [s for s in record_history(store, "visits", visit.id) if s.pulled]


def test_pulled_new_records_and_deletes_are_steps(store: Store) -> None:
    person = make_person()
    store.save(person)
    visit = a_visit(person)
    with store.transaction():
        store.apply_remote([pulled(visit)], {})
    gone = Remote(**{**pulled(visit, ms=AT_MS + 60_000).model_dump(), "deleted": True})
    with store.transaction():
        store.apply_remote([gone], {})
    steps = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert [(s.op, s.device_id) for s in steps] == [("insert", "laptop-b"), ("delete", "laptop-b")]
    assert steps[1].at - steps[0].at == dt.timedelta(minutes=1)


def test_two_versions_in_one_page_are_compared_each_with_the_one_before(store: Store) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    first = pulled(visit, health="fair")
    second = pulled(visit, ms=AT_MS + 1000, health="poor")
    with store.transaction():
        store.apply_remote([first, second], {})
    steps = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert [(s.before, s.fields) for s in steps] == [
        ({"health": "good"}, {"health": "fair"}),
        ({"health": "fair"}, {"health": "poor"}),
    ]


@pytest.mark.tui
async def test_laptop_b_sees_what_laptop_a_changed_in_health(server: object, home: Path) -> None:
    a = device(server, "a")  # type: ignore[arg-type]
    b = device(server, "b")  # type: ignore[arg-type]
    person = make_person(name="王秀英")
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    # Laptop A corrects the visit's health at 15:20, syncs; laptop B syncs.
    a.store.clock = Clock(dt.datetime(2026, 11, 22, 15, 20, tzinfo=CHINA_TZ))
    a.store.save(visit.model_copy(update={"health": Condition.POOR}))
    a.sync()
    b.sync()
    [step] = [s for s in record_history(b.store, "visits", visit.id) if s.op == "update"]
    assert step.pulled and step.device_id == a.store.device_id
    assert (step.before, step.fields) == ({"health": "good"}, {"health": "poor"})
    assert step.at == dt.datetime(2026, 11, 22, 15, 20, tzinfo=CHINA_TZ)
    a_device = a.store.device_id
    b.store.close()
    a.store.close()

    # And on laptop B's screen, in both languages.
    for lang, words in [
        ("zh", ["2026-11-2215:20", f"另一台电脑{a_device[:8]}", "健康状况：良好→较差"]),
        ("en", ["2026-11-2215:20", f"anotherlaptop,{a_device[:8]}", "Health:Good→Poor"]),
    ]:
        app = make_app(Profile("b"), lang=lang, clock=Clock.pinned(TODAY))
        async with app.run_test(size=(120, 40)) as pilot:
            stored = app.store.get(Visit, visit.id)
            shown = app.store.get(Person, person.id)
            assert stored is not None and shown is not None
            app.push_screen(RecordScreen(stored, shown))
            await pilot.pause()
            history = shown_text(app.screen.query_one("#record-history", Static))
            for word in words:
                assert word in history, (word, history)


def test_a_first_release_profile_migrated_keeps_pulled_steps(tmp_path: Path, clock: Clock) -> None:
    """m012 on a profile from the first release (m001 only) that already holds a record pulled
    from another laptop: that record shows one line without fields (all this laptop knew of
    it), and the next pull is a step with its fields, which takes that line's place."""
    from db import migrations
    from db.connection import connect
    from db.store import open_store

    path = tmp_path / "old.db"
    old = connect(path)
    migrations.migrations.apply(old, stop_before="m002_person_search")
    person = make_person()
    visit = a_visit(person)
    stamp = f"{AT_MS:013d}-0000-laptop-b"
    old.execute(
        "INSERT INTO villages (id, name, township, updated_at, device_id, hlc) "
        "VALUES (?, '海星村', '金塘镇', '2026-11-01', 'laptop-b', ?)",
        [person.village_code, stamp],
    )
    for table, row in (("persons", person.row()), ("visits", visit.row())):
        columns = {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
            for k, v in row.items()
            if k in {c.name for c in old.table(table).columns}
        }
        columns |= {"updated_at": "2026-11-01", "device_id": "laptop-b", "hlc": stamp}
        old.table(table).insert(columns)
    old.conn.close()

    store = open_store(path, clock)  # migrates, m012 included
    try:
        assert [(s.op, s.fields) for s in record_history(store, "visits", visit.id)] == [
            ("remote", {})
        ]
        with store.transaction():
            store.apply_remote([pulled(visit, ms=AT_MS + 60_000, health="fair")], {})
        [step] = record_history(store, "visits", visit.id)
        assert step.pulled and (step.before, step.fields) == (
            {"health": "good"},
            {"health": "fair"},
        )
    finally:
        store.close()
