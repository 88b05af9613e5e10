"""Dated events follow their record: a person's status or category event whose change lost
a conflict is retired with it, on the server and every laptop, so a month's
figures use only the winning history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest

from civtui.domain.choices import Category, Frequency, PersonStatus
from civtui.domain.models import Person, PersonEvent
from civtui.services import conflicts, reports
from db import Store, open_store, outbox
from sync import township as pulled
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


def _revise(
    machine: SyncMachine, lap: Laptop, person: Person, on: dt.date | None = None, **fields: object
) -> set[str]:
    """Save the laptop's copy of the person with `fields`, dated `on` (default today); the
    ids of the events it made."""
    lap.tick()
    before = _live_events(lap, person)
    held = lap.store.get(Person, person.id)
    assert held is not None
    lap.store.save(held.revise(context={"today": lap.today}, **fields), effective_on=on)
    made = _live_events(lap, person) - before
    machine.made |= {(PersonEvent.table, i) for i in made}
    return made


def _shared_person(machine: SyncMachine, name: str) -> Person:
    """A new person made on the first laptop and settled on the server and every laptop."""
    maker = machine.lap(0)
    person = machine.new_person(maker, VILLAGE_A, None, False, name)
    maker.store.save(person)
    machine.made_now(maker, person)
    settle_and_check(machine)
    return person


def _sync_in_turn(machine: SyncMachine, laps: tuple[Laptop, ...]) -> None:
    for lap in laps:
        machine.world.ms += 1000
        lap.tick()
        lap.sync(machine.server)


def _take_lost(lap: Laptop, person: Person) -> None:
    """`U` on the person's open conflict on `lap`: the value that lost becomes theirs."""
    (open_,) = [c for c in outbox.open_conflicts(lap.store) if c.record_id == person.id]
    shown = conflicts.look(lap.store, open_.id)
    assert shown is not None and shown.can_take_lost
    lap.tick()
    conflicts.resolve(lap.store, shown, take_lost=True, today=lap.today)


@pytest.mark.parametrize("winner_first", [True, False], ids=["winner-first", "loser-first"])
def test_a_status_event_whose_change_lost_is_retired(
    templates: Templates, in_process: Path, winner_first: bool
) -> None:
    """Two laptops set different statuses unseen: the losing side's dated event stayed live
    on the server beside the winning one's, and a month's figures counted both."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine, NAMES[2])
        first, second = machine.laptops[0], machine.laptops[1]
        lost = _revise(machine, first, person, status=PersonStatus.DECEASED)
        machine.world.ms += 60_000
        kept = _revise(machine, second, person, status=PersonStatus.MOVED_OUT)  # later: it wins
        _sync_in_turn(machine, (second, first) if winner_first else (first, second))
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
        person = _shared_person(machine, NAMES[3])
        first, second = machine.laptops[0], machine.laptops[1]
        base = list(person.categories)
        lost = _revise(machine, first, person, categories=[*base, Category.EMPTY_NEST])
        machine.world.ms += 60_000
        kept = _revise(machine, second, person, categories=[*base, Category.SERIOUS_ILLNESS])
        _sync_in_turn(machine, (first, second))
        events = _events_on_server(machine, person)
        assert [events[i] for i in lost] == [True]
        assert [events[i] for i in kept] == [False]
        settle_and_check(machine)
        for lap in machine.laptops:
            assert _live_events(lap, person) == kept, lap.name
    finally:
        machine.close()


def _total_required(store: Store, month: dt.date, today: dt.date) -> int:
    """The village's 应访 (all groups, monthly rate) in `month`, as its coverage reports it."""
    (total,) = [
        row.required
        for row in reports.coverage(store, month, today)
        if row.village_code == VILLAGE_A
        and row.rate_kind is Frequency.MONTHLY
        and row.group is None
        and row.category is None
    ]
    return total


def _empty_nest_required(store: Store, month: dt.date, today: dt.date) -> int:
    """The village's 应访 among 空巢 adults in `month` (0 when the report has no such row)."""
    return sum(
        row.required
        for row in reports.coverage(store, month, today)
        if row.village_code == VILLAGE_A
        and row.rate_kind is Frequency.MONTHLY
        and row.category is Category.EMPTY_NEST
    )


def _figures(
    machine: SyncMachine,
    month: dt.date,
    folder: Path,
    read: Callable[[Store, dt.date, dt.date], int] = _total_required,
) -> dict[str, int]:
    """`read` (a figure) on every laptop, and on the township's report of the server."""
    today = machine.laptops[0].today
    found = {lap.name: read(lap.store, month, today) for lap in machine.laptops}
    # The township's reports run the laptops' rules on the server's records, pulled into
    # a store of their own (`civtui server report`).
    store = open_store(
        folder / f"township-{len(list(folder.iterdir()))}.db", machine.world.clock(0)
    )
    try:
        pulled.load(machine.server.engine, store, {VILLAGE_A})
        found["township"] = read(store, month, today)
    finally:
        store.close()
    return found


def test_the_months_figures_count_only_the_winning_status(
    templates: Templates, in_process: Path, tmp_path: Path
) -> None:
    """The losing status's event, dated after the winning one's, would have the person still
    active through October: a figure that counts it requires a visit the winning history
    (moved out on 10 October) does not."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine, NAMES[4])
        today = machine.lap(0).today
        month = today.replace(day=1)
        october = (month - dt.timedelta(days=1)).replace(day=1)
        moved = october.replace(day=10)
        everyone = {lap.name for lap in machine.laptops} | {"township"}
        assert _figures(machine, october, tmp_path) == dict.fromkeys(everyone, 1)
        first, second = machine.laptops[0], machine.laptops[1]
        lost = _revise(machine, first, person, status=PersonStatus.DECEASED)  # dated today
        machine.world.ms += 60_000
        kept = _revise(machine, second, person, on=moved, status=PersonStatus.MOVED_OUT)
        _sync_in_turn(machine, (first, second))
        events = _events_on_server(machine, person)
        assert [events[i] for i in lost] == [True]
        settle_and_check(machine)
        for lap in machine.laptops:
            assert _live_events(lap, person) == kept, lap.name
        # Moved out on 10 October: neither month requires them, anywhere.
        assert _figures(machine, october, tmp_path) == dict.fromkeys(everyone, 0)
        assert _figures(machine, month, tmp_path) == dict.fromkeys(everyone, 0)
    finally:
        machine.close()


def test_taking_the_lost_status_brings_its_dated_history_back(
    templates: Templates, in_process: Path, tmp_path: Path
) -> None:
    """`U` on a status conflict: the value that lost becomes the person's, and the month's
    figures follow its dated history (died on 10 October), not the day it was chosen."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine, NAMES[0])
        today = machine.lap(0).today
        month = today.replace(day=1)
        october = (month - dt.timedelta(days=1)).replace(day=1)
        died = october.replace(day=10)
        everyone = {lap.name for lap in machine.laptops} | {"township"}
        first, second = machine.laptops[0], machine.laptops[1]
        _revise(machine, first, person, on=died, status=PersonStatus.DECEASED)
        machine.world.ms += 60_000
        _revise(machine, second, person, status=PersonStatus.MOVED_OUT)  # later: it wins
        _sync_in_turn(machine, (first, second))
        settle_and_check(machine)
        # Moved out today: October required a visit.
        assert _figures(machine, october, tmp_path) == dict.fromkeys(everyone, 1)
        _take_lost(second, person)
        made = {(PersonEvent.table, i) for i in _live_events(second, person)}
        machine.made |= made
        settle_and_check(machine)
        for lap in machine.laptops:
            held = lap.store.get(Person, person.id)
            assert held is not None and held.status is PersonStatus.DECEASED, lap.name
            assert not any(c.record_id == person.id for c in outbox.open_conflicts(lap.store))
            # The lost change's event is back, dated as it was made; the given-up one retired.
            live = [lap.store.get(PersonEvent, i) for i in _live_events(lap, person)]
            assert [(e.status, e.effective_on) for e in live if e] == [
                (PersonStatus.DECEASED, died)
            ], lap.name
        # Died on 10 October: October required no visit, anywhere.
        assert _figures(machine, october, tmp_path) == dict.fromkeys(everyone, 0)
        assert _figures(machine, month, tmp_path) == dict.fromkeys(everyone, 0)
    finally:
        machine.close()


def test_taking_the_lost_category_brings_its_dated_history_back(
    templates: Templates, in_process: Path, tmp_path: Path
) -> None:
    """`U` on a category conflict: 空巢 held from 10 October, as its change was dated, counts
    in November's figures; 大病, given up, is retired with its event."""
    machine = SyncMachine(templates, in_process)
    try:
        person = _shared_person(machine, NAMES[1])
        month = machine.lap(0).today.replace(day=1)
        since = (month - dt.timedelta(days=1)).replace(day=10)
        everyone = {lap.name for lap in machine.laptops} | {"township"}
        first, second = machine.laptops[0], machine.laptops[1]
        base = list(person.categories)
        _revise(machine, first, person, on=since, categories=[*base, Category.EMPTY_NEST])
        machine.world.ms += 60_000
        _revise(machine, second, person, categories=[*base, Category.SERIOUS_ILLNESS])
        _sync_in_turn(machine, (first, second))
        settle_and_check(machine)
        assert _figures(machine, month, tmp_path, _empty_nest_required) == dict.fromkeys(
            everyone, 0
        )
        _take_lost(second, person)
        machine.made |= {(PersonEvent.table, i) for i in _live_events(second, person)}
        settle_and_check(machine)
        for lap in machine.laptops:
            held = lap.store.get(Person, person.id)
            assert held is not None and set(held.categories) == {*base, Category.EMPTY_NEST}
            live = [lap.store.get(PersonEvent, i) for i in _live_events(lap, person)]
            assert [(e.category, e.held, e.effective_on) for e in live if e] == [
                (Category.EMPTY_NEST, True, since)
            ], lap.name
        assert _figures(machine, month, tmp_path, _empty_nest_required) == dict.fromkeys(
            everyone, 1
        )
    finally:
        machine.close()
