"""Dated events follow their record: a person's status or category event whose change lost
a conflict is retired with it, on the server and every laptop, so a month's
figures use only the winning history."""

from __future__ import annotations

from pathlib import Path

import pytest

from civtui.domain.choices import Category, PersonStatus
from civtui.domain.models import Person, PersonEvent
from tests.sync_model import VILLAGE_A, Laptop, Templates
from tests.test_sync_machine import NAMES, SyncMachine, in_process, settle_and_check, templates

__all__ = ["in_process", "templates"]


def _events_on_server(machine: SyncMachine, person: Person) -> dict[str, bool]:
    """The person's events on the server: id -> deleted."""
    return {
        key[1]: record.deleted
        for key, record in machine.server.records().items()
        if key[0] == PersonEvent.table and record.data["person_id"] == person.id
    }


def _live_events(lap: Laptop, person: Person) -> set[str]:
    return set(lap.live(PersonEvent, "person_id = ?", [person.id]))


def _revise(machine: SyncMachine, lap: Laptop, person: Person, **fields: object) -> set[str]:
    """Save the laptop's copy of the person with `fields`; the ids of the events it made."""
    lap.tick()
    before = _live_events(lap, person)
    held = lap.store.get(Person, person.id)
    assert held is not None
    lap.store.save(held.revise(context={"today": lap.today}, **fields))
    made = _live_events(lap, person) - before
    machine.made |= {(PersonEvent.table, i) for i in made}
    return made


@pytest.mark.parametrize("winner_first", [True, False], ids=["winner-first", "loser-first"])
def test_a_status_event_whose_change_lost_is_retired(
    templates: Templates, in_process: Path, winner_first: bool
) -> None:
    """Two laptops set different statuses unseen: the losing side's dated event stayed live
    on the server beside the winning one's, and a month's figures counted both."""
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[2])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        first, second = machine.laptops[0], machine.laptops[1]
        lost = _revise(machine, first, person, status=PersonStatus.DECEASED)
        machine.world.ms += 60_000
        kept = _revise(machine, second, person, status=PersonStatus.MOVED_OUT)  # later: it wins
        for lap in (second, first) if winner_first else (first, second):
            machine.world.ms += 1000
            lap.tick()
            lap.sync(machine.server)
        assert machine.server.records()[("persons", person.id)].data["status"] == "moved_out"
        events = _events_on_server(machine, person)
        assert len(lost) == len(kept) == 1
        assert [events[i] for i in lost] == [True]  # retired (deleted)
        assert [events[i] for i in kept] == [False]
        settle_and_check(machine)
        for lap in machine.laptops:
            assert _live_events(lap, person) == kept, lap.name
    finally:
        machine.close()


def test_a_category_event_whose_change_lost_is_retired(
    templates: Templates, in_process: Path
) -> None:
    machine = SyncMachine(templates, in_process)
    try:
        maker = machine.lap(0)
        person = machine.new_person(maker, VILLAGE_A, None, False, NAMES[3])
        maker.store.save(person)
        machine.made_now(maker, person)
        settle_and_check(machine)
        first, second = machine.laptops[0], machine.laptops[1]
        base = list(person.categories)
        lost = _revise(machine, first, person, categories=[*base, Category.EMPTY_NEST])
        machine.world.ms += 60_000
        kept = _revise(machine, second, person, categories=[*base, Category.SERIOUS_ILLNESS])
        for lap in (first, second):
            machine.world.ms += 1000
            lap.tick()
            lap.sync(machine.server)
        events = _events_on_server(machine, person)
        assert [events[i] for i in lost] == [True]
        assert [events[i] for i in kept] == [False]
        settle_and_check(machine)
        for lap in machine.laptops:
            assert _live_events(lap, person) == kept, lap.name
    finally:
        machine.close()
