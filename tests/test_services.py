"""The use cases the CLI and the screens share, tested once where they live."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from pydantic import ValidationError

from civtui.domain.clock import Clock
from civtui.domain.errors import FieldError
from civtui.domain.models import Person, Staff, Visit
from civtui.services import conflicts, records
from civtui.services.keys import open_store
from civtui.services.profile import Profile, SetupError, current_profile, set_up
from db import Store, outbox
from tests.conftest import CTX, TODAY, make_person


def open_conflict(
    store: Store,
    person: Person,
    field: str,
    lost: object,
    *,
    lost_device: str = "b",
    lost_hlc: str = "0",
) -> conflicts.Choice:
    """A conflict as a pull stores it: the kept value is the record's, `lost` the other one;
    as the dialog opens it."""
    store.db.execute(
        "INSERT INTO conflicts (table_name, record_id, field, kept_value, lost_value, "
        "kept_device, lost_device, lost_hlc) VALUES ('persons', ?, ?, ?, ?, 'a', ?, ?)",
        [
            person.id,
            field,
            json.dumps(getattr(person, field)),
            json.dumps(lost),
            lost_device,
            lost_hlc,
        ],
    )
    [conflict] = outbox.open_conflicts(store, [person.id])
    choice = conflicts.look(store, conflict.id)
    assert choice is not None
    return choice


def phone(store: Store, person: Person) -> str | None:
    found = store.get(Person, person.id)
    assert found is not None
    return found.phone


def test_taking_the_lost_value_writes_it_and_closes_the_conflict(store: Store) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")
    pending = store.pending_count()

    conflicts.resolve(store, choice, take_lost=True, today=TODAY)

    assert phone(store, person) == "13905800002"
    assert outbox.open_conflicts(store, [person.id]) == []
    [change] = store.changes()[pending:]
    assert change.fields == {"phone": "13905800002"}  # only the field taken is logged
    assert outbox.unsent_resolutions(store, 10) == [choice.conflict.id]  # the server is told


def test_keeping_the_value_only_closes_the_conflict(store: Store) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")
    pending = store.pending_count()

    conflicts.resolve(store, choice, take_lost=False, today=TODAY)

    assert phone(store, person) == "13905800001"
    assert outbox.open_conflicts(store, [person.id]) == []
    assert store.pending_count() == pending
    assert outbox.unsent_resolutions(store, 10) == [choice.conflict.id]


def test_the_dialog_reads_the_record_as_it_is_now_and_says_whose_each_value_is(
    store: Store,
) -> None:
    """Seen from the laptop whose value lost: the current value is the record's, not the
    server's kept value of back then, and the lost value is this laptop's own."""
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002", lost_device=store.device_id)
    assert (choice.current, choice.current_from, choice.lost_mine) == (
        "13905800001",
        "theirs",
        True,
    )
    store.save(person.revise(context=CTX, phone="13905800003"))
    again = conflicts.look(store, choice.conflict.id)
    assert again is not None
    assert (again.current, again.current_from) == ("13905800003", "edited")


def test_a_former_device_id_of_this_laptop_still_counts_as_this_laptop(store: Store) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    made = store.changes(status=None)[-1]
    outbox.record_acks(store, [outbox.Ack(made.seq, "accepted", None)], "2026-11-22T10:00:00")
    before = store.device_id
    outbox.start_over_as_new_device(store)
    choice = open_conflict(
        store, person, "phone", "13905800002", lost_device=before, lost_hlc=made.hlc
    )
    assert choice.lost_mine and before in outbox.own_devices(store)


def test_a_former_id_s_value_stamped_after_this_laptop_left_it_is_another_copy_s(
    store: Store,
) -> None:
    """A clone kept the id this laptop gave up and went on writing under it: a value of it
    stamped past this laptop's last change there is not this laptop's."""
    person = make_person(phone="13905800001")
    store.save(person)
    made = store.changes(status=None)[-1]
    outbox.record_acks(store, [outbox.Ack(made.seq, "accepted", None)], "2026-11-22T10:00:00")
    before = store.device_id
    outbox.start_over_as_new_device(store)
    later = f"{int(made.hlc.split('-')[0]) + 60_000:013d}-0000-{before}"
    choice = open_conflict(store, person, "phone", "[/]=138", lost_device=before, lost_hlc=later)
    assert (choice.lost_from, choice.lost_mine) == ("copy", False)


@pytest.mark.parametrize("take_lost", [True, False])
def test_a_record_changed_since_the_dialog_opened_is_refused_and_nothing_is_written(
    store: Store, take_lost: bool
) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")
    store.save(person.revise(context=CTX, phone="13905800003"))  # a sync, or another screen
    pending = store.pending_count()

    with pytest.raises(conflicts.ConflictChangedError):
        conflicts.resolve(store, choice, take_lost=take_lost, today=TODAY)

    assert phone(store, person) == "13905800003"
    assert [c.id for c in outbox.open_conflicts(store, [person.id])] == [choice.conflict.id]
    assert store.pending_count() == pending and outbox.unsent_resolutions(store, 10) == []


def test_a_conflict_closed_meanwhile_is_refused(store: Store) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")
    # Another laptop resolved it; this laptop's sync pulled the resolution.
    store.db.execute("UPDATE conflicts SET resolved = 1 WHERE id = ?", [choice.conflict.id])

    with pytest.raises(conflicts.ConflictClosedError):
        conflicts.resolve(store, choice, take_lost=True, today=TODAY)
    assert phone(store, person) == "13905800001"


def test_a_deleted_record_leaves_only_closing(store: Store) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")
    store.delete(Person, person.id)
    gone = conflicts.look(store, choice.conflict.id)
    assert gone is not None and gone.gone and not gone.can_take_lost
    conflicts.resolve(store, gone, take_lost=False, today=TODAY)
    assert outbox.open_conflicts(store, [person.id]) == []


def test_the_choice_is_one_transaction(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """If closing the conflict fails, the value taken is rolled back with it."""
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "13905800002")

    def refuse(_store: Store, _conflict_id: int) -> None:
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(outbox, "resolve_conflict", refuse)
    with pytest.raises(sqlite3.OperationalError):
        conflicts.resolve(store, choice, take_lost=True, today=TODAY)

    assert phone(store, person) == "13905800001"
    assert [c.id for c in outbox.open_conflicts(store, [person.id])] == [choice.conflict.id]


def test_a_lost_value_the_record_no_longer_accepts_leaves_the_conflict_open(
    store: Store,
) -> None:
    person = make_person(phone="13905800001")
    store.save(person)
    choice = open_conflict(store, person, "phone", "12345")

    with pytest.raises(ValidationError):
        conflicts.resolve(store, choice, take_lost=True, today=TODAY)

    assert phone(store, person) == "13905800001"
    assert len(outbox.open_conflicts(store, [person.id])) == 1


def test_setting_up_names_each_wrong_detail_by_the_field_the_user_typed_it_in(
    home: Path,
) -> None:
    profile = Profile("p")
    with pytest.raises(SetupError) as refused:
        set_up(
            profile,
            village_code="3309021122",
            village_name="",
            township="金塘镇",
            staff_name="",
            role="assistant",
            clock=Clock.pinned(TODAY),
            lang="en",
        )
    assert set(refused.value.problems) == {"village_code", "village_name", "staff"}
    assert "12" in refused.value.problems["village_code"].message
    assert not profile.exists()


def test_setting_up_makes_the_profile_current(home: Path) -> None:
    profile = Profile("p")
    set_up(
        profile,
        village_code="330902112201",
        village_name="海星村",
        township="金塘镇",
        staff_name="王晓丽",
        role="assistant",
        clock=Clock.pinned(TODAY),
    )
    assert current_profile() == profile
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        [staff] = store.all(Staff)
        assert (staff.name, staff.village_codes) == ("王晓丽", ["330902112201"])
        assert store.get_meta("staff_id") == staff.id
    finally:
        store.close()


def test_a_record_todays_rules_refuse_can_still_be_deleted(store: Store) -> None:
    """A visit dated in the future (by a laptop whose clock ran ahead) is a wrong record:
    deleting it must not ask it to pass the rules it breaks."""
    person = make_person()
    store.save(person)
    ahead = {"today": TODAY + dt.timedelta(days=3)}
    visit = Visit.model_validate(
        {"person_id": person.id, "visit_date": TODAY + dt.timedelta(days=2), "visitor": "王"},
        context=ahead,
    )
    store.save(visit)
    with pytest.raises(ValidationError):
        visit.revise(context={"today": TODAY}, notes="")  # what delete used to do
    records.delete(store, visit, "日期录错了", TODAY)
    assert store.get(Visit, visit.id) is None
    with pytest.raises(FieldError):
        records.delete(store, person, "长" * 201, TODAY)


def test_a_new_profile_s_village_typed_full_width_is_its_staff_s_village_too() -> None:
    """`civtui init` and the setup screen: the staff member's villages hold the code as the
    village does, so the server does not refuse the staff record as another village's."""
    from civtui.services.profile import first_records

    village, staff = first_records(
        village_code="３３０９０２１１２２０１",
        village_name="海星村",
        township="",
        staff_name="李=SUM(A1)",
        role="assistant",
        clock=Clock.pinned(TODAY),
    )
    assert village.id == "330902112201"
    assert staff.village_codes == ["330902112201"]
