"""A laptop whose clock runs ahead cannot beat an edit that reaches the server after it."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from civtui.domain.choices import GuardianSituation
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.hlc import Stamp
from civtui.domain.models import ChildCheck, ContactRecord, Person, Visit
from db import Store
from db.history import record_history
from sync.protocol import Code, Reason
from sync.server import storage
from tests.conftest import CTX, TODAY, make_person
from tests.sync_harness import Server, device, server
from tests.sync_model import VILLAGE_A, Laptop, Templates
from tests.test_sync_machine import (
    NAMES,
    PHONES,
    SyncMachine,
    in_process,
    settle_and_check,
    templates,
)

__all__ = ["in_process", "server", "templates"]


def phone(srv: Server, person: Person) -> str:
    return str(srv.records()[("persons", person.id)][0]["phone"])


def test_a_clock_minutes_ahead_loses_to_a_later_edit(server: Server, home: Path) -> None:
    now = dt.datetime.now(CHINA_TZ)
    # Four minutes ahead: under the warning's threshold, so no one is told.
    ahead = device(server, "ahead", clock=Clock(now + dt.timedelta(minutes=4)))
    right = device(server, "right", clock=Clock())  # the real time, running
    person = make_person()
    right.store.save(person)
    right.sync()
    ahead.sync()
    ahead.store.save(person.revise(context=CTX, phone="13905801111"))
    assert ahead.sync().warnings == []
    # Later, in real time, without having seen that edit: this one reaches the server last.
    right.store.save(person.revise(context=CTX, phone="13905802222"))
    report = right.sync()
    assert phone(server, person) == "13905802222"
    assert report.conflicts == 1  # the earlier value is kept as the conflict's loser
    ahead.sync()
    assert ahead.store.get(Person, person.id).phone == "13905802222"  # type: ignore[union-attr]


def test_a_clock_far_ahead_keeps_its_own_changes_in_order(server: Server, home: Path) -> None:
    fast = device(server, "fast", clock=Clock(dt.datetime.now(CHINA_TZ) + dt.timedelta(days=30)))
    person = make_person()
    fast.store.save(person)
    fast.store.save(person.revise(context=CTX, phone="13905801111"))
    fast.store.save(person.revise(context=CTX, phone="13905802222"))
    report = fast.sync()
    assert [w.code for w in report.warnings] == ["clock_ahead"]
    assert phone(server, person) == "13905802222"


# -- the rule, in the state machine's world (tests.sync_model): one clock the server reads,
# each laptop's off it by its skew, so "real time" is the world's.

DAY_MS = 86_400_000


def _phone_on_server(machine: SyncMachine, person: Person) -> Any:
    return machine.server.records()[("persons", person.id)].data["phone"]


def _shared_person(machine: SyncMachine, *, child: bool = False) -> Person:
    maker = machine.lap(0)
    person = machine.new_person(maker, VILLAGE_A, None, child, NAMES[1])
    maker.store.save(person)
    machine.made_now(maker, person)
    settle_and_check(machine)
    return person


def _set_phone(lap: Laptop, person: Person, phone: str | None) -> None:
    lap.tick()
    held = lap.store.get(Person, person.id)
    assert held is not None
    lap.store.save(held.revise(context={"today": lap.today}, phone=phone))


def test_an_ahead_laptop_loses_to_an_edit_made_just_before_its_push(
    templates: Templates, in_process: Path
) -> None:
    """A laptop 3 days ahead edited offline; another laptop edited 0.1 s before
    the ahead one pushed and synced after it. The ahead laptop's stamp, held only to the
    server's time when it arrived, beat the later edit. The server now reads an ahead
    laptop's stamps back by how far its clock is ahead when it pushes."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine)
        ahead, right = machine.laptops[0], machine.laptops[1]
        ahead.skew_ms = 3 * DAY_MS
        _set_phone(ahead, person, PHONES[0])  # offline, two hours before its push
        machine.world.ms += 2 * 3_600_000 - 100
        _set_phone(right, person, PHONES[1])  # later in real time
        machine.world.ms += 100
        warned = machine.lap(0).sync(machine.server)
        assert [w.code for w in warned.warnings] == [Code.CLOCK_AHEAD]
        machine.world.ms += 1000
        report = machine.lap(1).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[1]
        assert report.conflicts == 1  # the ahead laptop's value is kept as the loser
        settle_and_check(machine)
    finally:
        machine.close()


def test_an_ahead_laptop_still_beats_an_edit_made_before_its_own_in_real_time(
    templates: Templates, in_process: Path
) -> None:
    """The rule is real-time order, whoever arrives first: an edit made before the ahead
    laptop's own (and sent after it) loses, as between any two laptops."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine)
        ahead, right = machine.laptops[0], machine.laptops[1]
        ahead.skew_ms = 3 * DAY_MS
        _set_phone(right, person, PHONES[1])
        machine.world.ms += 3_600_000
        _set_phone(ahead, person, PHONES[0])  # an hour later in real time
        machine.world.ms += 1000
        machine.lap(0).sync(machine.server)
        machine.world.ms += 1000
        machine.lap(1).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[0]
        settle_and_check(machine)
    finally:
        machine.close()


def test_a_laptop_whose_clock_is_set_right_stops_being_ahead_at_once(
    templates: Templates, in_process: Path
) -> None:
    """After its clock was set right, the laptop's hybrid clock remembered the
    stamps of the days it ran ahead, so its new edits stayed 3 days ahead, beat later
    edits and every sync said its clock was fast. A laptop now forgets its own stamps
    when its clock goes back further than `hlc.SET_BACK_MS`."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine)
        ahead, right = machine.laptops[0], machine.laptops[1]
        ahead.skew_ms = 3 * DAY_MS
        _set_phone(ahead, person, PHONES[0])
        machine.world.ms += 1000
        machine.lap(0).sync(machine.server)
        settle_and_check(machine)
        ahead.skew_ms = 0  # set right
        _set_phone(ahead, person, PHONES[2])
        stamp = Stamp.parse(str(ahead.store.get_meta("hlc")))
        assert stamp.wall_ms <= machine.world.now_ms()
        machine.world.ms += 60_000
        _set_phone(right, person, PHONES[1])  # a minute later in real time
        machine.world.ms += 1000
        assert machine.lap(0).sync(machine.server).warnings == []
        machine.world.ms += 1000
        machine.lap(1).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[1]
        settle_and_check(machine)
        assert machine.lap(0).sync(machine.server).warnings == []
    finally:
        machine.close()


def test_a_laptop_set_right_still_orders_its_own_edits(
    templates: Templates, in_process: Path
) -> None:
    """Forgetting its own ahead stamps must not let a laptop's later edit lose to its own
    earlier one, sent in the same push."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine)
        lap = machine.laptops[0]
        lap.skew_ms = 3 * DAY_MS
        _set_phone(lap, person, PHONES[0])
        lap.skew_ms = 0
        machine.world.ms += 1000
        _set_phone(lap, person, PHONES[2])
        machine.lap(0).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[2]
        settle_and_check(machine)
    finally:
        machine.close()


def test_an_edit_made_ahead_and_sent_after_the_clock_is_set_right_counts_as_made_on_arrival(
    templates: Templates, in_process: Path
) -> None:
    """The one case README.md's "Clocks" does not order by real time, pinned as it says:
    the edit made 3 days ahead, sent only after the clock was set right, counts as made
    when it reaches the server, so it beats an edit made elsewhere an hour after it (and
    still loses to one made after it arrived)."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine)
        ahead, right = machine.laptops[0], machine.laptops[1]
        ahead.skew_ms = 3 * DAY_MS
        _set_phone(ahead, person, PHONES[0])  # offline, its clock 3 days ahead
        machine.world.ms += 3_600_000
        _set_phone(right, person, PHONES[1])  # an hour later in real time, not yet sent
        machine.world.ms += 3_600_000
        ahead.skew_ms = 0  # set right; then it pushes the edit made while ahead
        machine.lap(0).sync(machine.server)
        machine.world.ms += 1000
        machine.lap(1).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[0]
        settle_and_check(machine)
        machine.world.ms += 60_000
        _set_phone(right, person, PHONES[2])  # after the arrival: this one wins
        machine.lap(1).sync(machine.server)
        assert _phone_on_server(machine, person) == PHONES[2]
        settle_and_check(machine)
    finally:
        machine.close()


def _contact(kind: type[ContactRecord], person: Person, day: dt.date) -> ContactRecord:
    """A visit or child check on `person` dated `day`, made as the laptop's form makes it."""
    fields: dict[str, Any] = {"person_id": person.id, kind.contact_day: day}
    if kind is Visit:
        fields["visitor"] = "王[/b]=1"
    else:
        fields |= {"checker": "李[/b]=1", "guardian_situation": GuardianSituation.ONE_AWAY}
    return kind.model_validate(fields, context={"today": day})


# Every record whose contact day the server checks: a new contact record type with a day
# of its own must be added here, and the check (`contact_day`) covers it by its field.
CONTACTS: list[type[ContactRecord]] = [Visit, ChildCheck]


@pytest.mark.parametrize("kind", CONTACTS, ids=[k.table for k in CONTACTS])
def test_a_contact_dated_in_the_future_by_the_servers_calendar_is_refused(
    templates: Templates, in_process: Path, kind: type[ContactRecord]
) -> None:
    """A laptop 2 days ahead recorded a visit dated its today; the server took it,
    and it reached laptops that could not have entered such a date. The server now refuses
    it, per change, with the date and its own today; the same check covers child checks."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine, child=kind is ChildCheck)
        ahead = machine.laptops[0]
        ahead.skew_ms = 2 * DAY_MS
        ahead.tick()
        contact = _contact(kind, person, ahead.today)
        ahead.store.save(contact)
        report = machine.lap(0).sync(machine.server)
        server_today = dt.datetime.fromtimestamp(machine.world.now_ms() / 1000, CHINA_TZ).date()
        assert ahead.today > server_today
        assert report.rejected_reasons == [
            Reason.of(
                Code.FUTURE_DATE,
                table=kind.table,
                field=kind.contact_day,
                date=ahead.today.isoformat(),
                today=server_today.isoformat(),
            )
        ]
        assert (kind.table, contact.id) not in machine.server.records()
        machine.tainted.add((kind.table, contact.id))  # refused by design: not a lost change
        settle_and_check(machine)
        assert machine.lap(1).store.get(kind, contact.id) is None  # never reached the others
        # Today's contact, from a laptop whose clock is right, is taken.
        right = machine.lap(1)
        today_s = _contact(kind, person, right.today)
        right.store.save(today_s)
        assert right.sync(machine.server).rejected == 0
        assert (kind.table, today_s.id) in machine.server.records()
    finally:
        machine.close()


# -- what the ahead laptop's own history shows: the time the server read its stamps at.


def _own_notes(store: Store, visit: Visit) -> list[tuple[str, dt.datetime, str | None]]:
    """The notes each of the laptop's own steps of `visit` set, when the history says it was
    made, and its status, in the history's order."""
    return [
        (str(step.fields["notes"]), step.at, step.status)
        for step in record_history(store, "visits", visit.id)
        if step.local and "notes" in step.fields
    ]


def _server_notes_ms(srv: Server, visit: Visit) -> int:
    """The wall-clock part of the visit's notes stamp as the server holds it."""
    with srv.engine.connect() as conn:
        stamps = conn.execute(
            select(storage.records.c.stamps).where(storage.records.c.record_id == visit.id)
        ).scalar_one()
    return int(json.loads(stamps)["notes"][0].split("-", 1)[0])


def _ms(at: dt.datetime) -> int:
    return round(at.timestamp() * 1000)


def _visit(person: Person, notes: str) -> Visit:
    return Visit.model_validate(
        {"person_id": person.id, "visit_date": TODAY, "visitor": "王[/b]=1", "notes": notes},
        context=CTX,
    )


def test_an_edit_sent_while_ahead_is_shown_here_at_the_time_the_server_read_it(
    server: Server, home: Path
) -> None:
    """Its clock three days ahead, the laptop edited the notes and synced; set right, it
    edits them again. Its own history showed the first edit three days ahead, after the
    second, as the newest; the server read the stamp back by the three days, and every
    other laptop shows that time. So does this one now, once the push is answered."""
    lap = device(server, "a", clock=Clock())
    person = make_person()
    visit = _visit(person, "=A1[/b]")
    lap.store.save_many([person, visit])
    lap.sync()
    before = dt.datetime.now(CHINA_TZ)
    lap.store.clock = Clock(before + dt.timedelta(days=3))
    lap.store.save(visit.model_copy(update={"notes": "快[/i]=1"}))
    assert [w.code for w in lap.sync().warnings] == [Code.CLOCK_AHEAD]
    # The laptop works the time out of the answer by the server's own rule: the same.
    assert _ms(_own_notes(lap.store, visit)[1][1]) == _server_notes_ms(server, visit)
    lap.store.clock = Clock()  # set right
    lap.store.save(visit.model_copy(update={"notes": "慢\\[x]"}))
    after = dt.datetime.now(CHINA_TZ)
    shown = _own_notes(lap.store, visit)
    assert [notes for notes, _at, _status in shown] == ["=A1[/b]", "快[/i]=1", "慢\\[x]"], shown
    assert all(before - dt.timedelta(seconds=1) <= at <= after for _n, at, _s in shown[1:]), shown
    assert shown[1][2] == "accepted" and shown[2][2] == "pending"
    lap.store.close()


def test_an_ahead_edit_is_shown_as_made_until_sent_then_as_the_server_read_it(
    server: Server, home: Path
) -> None:
    """An edit made three days ahead and not sent before the clock was set right: the
    laptop cannot know the true time yet, so it shows the time its clock said, pending.
    The server holds the stamp to its own time on arrival, and numbers the laptop's later
    edit of the record after it; once answered, the laptop shows both so, in that order."""
    lap = device(server, "a", clock=Clock())
    person = make_person()
    visit = _visit(person, "=A1[/b]")
    lap.store.save_many([person, visit])
    lap.sync()
    ahead = dt.datetime.now(CHINA_TZ) + dt.timedelta(days=3)
    lap.store.clock = Clock(ahead)
    lap.store.save(visit.model_copy(update={"notes": "快[/i]=1"}))
    lap.store.clock = Clock()  # set right before any sync
    lap.store.save(visit.model_copy(update={"notes": "慢\\[x]"}))
    unsent = _own_notes(lap.store, visit)
    assert [(n, s) for n, _at, s in unsent[1:]] == [("慢\\[x]", "pending"), ("快[/i]=1", "pending")]
    assert unsent[2][1] == ahead.replace(microsecond=ahead.microsecond // 1000 * 1000)
    lap.sync()
    arrived = dt.datetime.now(CHINA_TZ)
    shown = _own_notes(lap.store, visit)
    assert [notes for notes, _at, _status in shown] == ["=A1[/b]", "快[/i]=1", "慢\\[x]"], shown
    assert shown[1][1] == shown[2][1] <= arrived, shown
    assert _ms(shown[2][1]) == _server_notes_ms(server, visit)
    assert {s for _n, _at, s in shown} == {"accepted"}
    lap.store.close()
