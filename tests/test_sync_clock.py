"""A laptop whose clock runs ahead cannot beat an edit that reaches the server after it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person
from tests.conftest import CTX, make_person
from tests.sync_harness import Server, device, server

__all__ = ["server"]


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
