"""No data can stop a pull: the two ways a laptop got stuck for good, against a real
server process, and the server refusing what would have caused the second."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

from civtui.domain.models import Household, Person, Village, Visit
from db import outbox
from sync import client, stored
from sync.protocol import Code, PullRequest, PullResponse, Reason
from sync.server import merge, storage
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import OTHER_VILLAGE, Server, device, server

__all__ = ["server"]


def visits_of(person: Person, count: int) -> list[Visit]:
    return [
        Visit.model_validate(
            {"id": f"v{n:04d}", "person_id": person.id, "visit_date": TODAY, "visitor": "王"},
            context=CTX,
        )
        for n in range(count)
    ]


def test_a_parent_edited_after_a_page_of_its_children_comes_in_whole(
    server: Server, home: Path
) -> None:
    a, b = device(server, "a"), device(server, "b")
    b.sync()  # a laptop that had synced before is hit as much as a new one
    person = make_person()
    a.store.save(person)
    a.store.save_many(visits_of(person, client.PULL_PAGE + 1))
    a.sync()
    # The person's newer version comes after all the visits in the server's order: the
    # first page holds visits of a person the laptop does not have yet.
    a.store.save(person.revise(context=CTX, phone="13905801111"))
    a.sync()
    report = b.sync()
    assert report.pulled > client.PULL_PAGE and report.held == 0
    assert b.store.count(Visit) == client.PULL_PAGE + 1
    arrived = b.store.get(Person, person.id)
    assert arrived is not None and arrived.phone == "13905801111"
    assert outbox.held_records(b.store) == []


def test_a_child_waits_for_its_parent_across_pulls(server: Server, home: Path) -> None:
    # The same, one page at a time: what a laptop holds between pulls is kept, not lost.
    a, b = device(server, "a"), device(server, "b")
    person = make_person()
    a.store.save(person)
    (visit,) = visits_of(person, 1)
    a.store.save(visit)
    a.sync()
    a.store.save(person.revise(context=CTX, phone="13905801111"))
    a.sync()
    conn = b.connect()
    try:
        page = conn.call(
            "POST",
            "/v1/pull",
            PullRequest(cursor=0, limit=3, device_id=b.store.device_id),
            PullResponse,
        )
    finally:
        conn.close()
    assert [r.table for r in page.records][-1] == "visits" and page.has_more
    outbox.apply_page(b.store, *stored.page(page.records, page.conflicts), page.cursor)
    assert [r.record_id for r in outbox.held_records(b.store)] == [visit.id]
    assert b.store.get(Visit, visit.id) is None
    assert b.sync().held == 0
    assert b.store.get(Visit, visit.id) == visit


def test_the_server_refuses_a_household_elsewhere_or_nowhere(server: Server, home: Path) -> None:
    supervisor = device(server, "sup", villages=[VILLAGE, OTHER_VILLAGE])
    supervisor.store.save(Village(id=OTHER_VILLAGE, name="渔港村"))
    over_there = Household(village_code=OTHER_VILLAGE, address="渔港路1号")
    supervisor.store.save(over_there)
    here = Household(village_code=VILLAGE, address="海星路2号")
    supervisor.store.save(here)
    supervisor.store.save(make_person(household_id=over_there.id))
    housed = make_person(seq=103, household_id=here.id)
    supervisor.store.save(housed)
    # A household no one has: written by hand, as the profile's own keys forbid it.
    stray = make_person(seq=105).model_dump(mode="json") | {"household_id": "no-such-household"}
    supervisor.store.db.execute(
        "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, created_at) "
        "VALUES ('persons', ?, 'upsert', ?, ?, ?, '2026-11-22')",
        [stray["id"], json.dumps(stray), supervisor.store.changes()[-1].hlc, "x"],
    )
    report = supervisor.sync()
    assert report.rejected_reasons == [
        Reason.of(
            Code.REFERENCE_ELSEWHERE, table="households", id=over_there.id, village=OTHER_VILLAGE
        ),
        Reason.of(Code.PARENT_MISSING, table="households", id="no-such-household"),
    ]
    # Every laptop of the village pulls what is there, and nothing names what it cannot have.
    village_laptop = device(server, "here")
    assert village_laptop.sync().held == 0
    assert village_laptop.store.get(Person, housed.id) == housed


def put_on_server(srv: Server, table: str, record_id: str, village: str, data: Any) -> None:
    """A row as a server before these checks accepted it."""
    with srv.engine.begin() as conn:
        counter = storage.counters.c
        version = 1 + int(
            conn.execute(select(counter.value).where(counter.name == "version")).scalar_one()
        )
        stamp = f"{merge.now_ms():013d}-0000-old"
        conn.execute(
            insert(storage.records).values(
                table_name=table,
                record_id=record_id,
                village_code=village,
                data=json.dumps({**data, "id": record_id}),
                stamps=json.dumps({name: [stamp, "old", version] for name in data}),
                deleted=False,
                version=version,
                hlc=stamp,
                device_id="old",
                sole_device="old",
            )
        )
        conn.execute(
            update(storage.counters).where(counter.name == "version").values(value=version)
        )


def test_a_laptop_stuck_on_what_the_server_once_accepted_pulls_again(
    server: Server, home: Path
) -> None:
    # What the server took before it checked: a person of this village in a household of
    # another, which no laptop of this village can ever have.
    household = {"village_code": OTHER_VILLAGE, "address": "渔港路1号", "head_name": ""}
    put_on_server(server, "households", "h-elsewhere", OTHER_VILLAGE, household)
    person = make_person(household_id="h-elsewhere")
    put_on_server(server, "persons", person.id, VILLAGE, person.model_dump(mode="json"))
    neighbour = make_person(seq=103)
    put_on_server(server, "persons", neighbour.id, VILLAGE, neighbour.model_dump(mode="json"))
    laptop = device(server, "here")
    report = laptop.sync()  # before: a FOREIGN KEY failure on every try, nothing received
    assert report.held == 1 and laptop.store.get(Person, neighbour.id) == neighbour
    assert [r.record_id for r in outbox.held_records(laptop.store)] == [person.id]
    assert Reason.of(Code.HELD, count=1) in client.summary(report)
    assert laptop.sync().held == 1  # kept, not lost, and never in the way
