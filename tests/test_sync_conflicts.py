"""Conflicts people can act on, through a real server: both laptops are told, by person and
field, from their own side; a resolution made on one laptop closes the conflict on all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from civtui.domain.clock import Clock
from civtui.domain.models import Person
from civtui.i18n import Translator
from civtui.services import conflicts
from db import outbox
from sync import client, protocol, words
from sync.protocol import MAX_INT, MAX_PUSH_CHANGES, Code, Reason
from sync.server import storage
from tests.conftest import CTX, TODAY, make_person
from tests.sync_harness import OTHER_VILLAGE, Device, Server, device, server
from tests.test_sync import phone_of, raw_push

__all__ = ["server"]

EN, ZH = Translator("en"), Translator("zh")


def clash(server: Server) -> tuple[Device, Device, Device, Person]:
    """Laptops a and b change 王秀英's phone while offline; b's edit is later and wins.
    Laptop c, of the same village, only watches. Each has synced once since."""
    a, b, c = device(server, "a"), device(server, "b"), device(server, "c")
    person = make_person(name="王秀英", phone="13905800001")
    a.store.save(person)
    for d in (a, b, c):
        d.sync()
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    b.store.clock = Clock.pinned(TODAY, hour=11)
    b.store.save(person.revise(context=CTX, phone="13905800003"))
    return a, b, c, person


def found(report: client.SyncReport) -> list[dict[str, object]]:
    return [dict(r.params) for r in report.found]


def test_both_laptops_are_told_of_the_conflict_by_person_and_field_from_their_side(
    server: Server, home: Path
) -> None:
    a, b, c, person = clash(server)
    first = a.sync()  # accepted: no one else had changed the phone yet
    assert first.found == []
    winner = b.sync()
    loser = a.sync()
    watcher = c.sync()
    expected = {"table": "persons", "id": person.id, "field": "phone", "who": "王秀英"}
    assert found(winner) == [{**expected, "side": "kept_here"}]
    assert found(loser) == [{**expected, "side": "lost_here"}]
    assert found(watcher) == [{**expected, "side": "others"}]

    said = words.say_all(client.summary(loser), ZH)
    assert "冲突：王秀英 · 联系电话（本机的值未被采用，可在人员页按 c 处理）" in said
    english = words.say_all(client.summary(loser), EN)
    assert (
        "Conflict: 王秀英 · Phone (this laptop's value was not kept; press c on the "
        "person's page to choose)" in english
    )
    assert "本机的值已保留，另一设备的值未被采用" in words.say_all(client.summary(winner), ZH)
    # The profile keeps codes and parameters; words are made when it is shown.
    stored = a.store.get_meta(outbox.LAST_RESULT) or ""
    assert {"code": "conflict_found", "params": {**expected, "side": "lost_here"}} in json.loads(
        stored
    )
    assert "本机" not in stored and "words" not in stored
    assert "联系电话" in words.stored_summary(stored, ZH)
    # Told once: the next sync has nothing new to say.
    assert a.sync().found == [] and b.sync().found == []


def test_a_visits_conflict_is_named_by_its_person_and_kind(server: Server, home: Path) -> None:
    from civtui.domain.models import Visit

    a, b = device(server, "a"), device(server, "b")
    person = make_person(name="林阿婆")
    visit = Visit.model_validate(
        {"person_id": person.id, "visit_date": TODAY, "visitor": "王"}, context=CTX
    )
    a.store.save_many([person, visit])
    a.sync(), b.sync()
    a.store.save(visit.revise(context=CTX, notes="腿脚不便"))
    b.store.clock = Clock.pinned(TODAY, hour=11)
    b.store.save(visit.revise(context=CTX, notes="一切正常"))
    a.sync()
    b.sync()
    report = a.sync()
    said = words.say_all(client.summary(report), ZH)
    assert "冲突：林阿婆 · 探访的备注（本机的值未被采用，可在人员页按 c 处理）" in said


def test_a_resolution_on_one_laptop_closes_the_conflict_on_every_laptop(
    server: Server, home: Path
) -> None:
    a, b, c, person = clash(server)
    a.sync(), b.sync(), a.sync(), c.sync()
    for d in (a, b, c):
        assert len(outbox.open_conflicts(d.store, [person.id])) == 1
    # On b (whose value was kept), the person keeps the current value: nothing is written.
    [conflict] = outbox.open_conflicts(b.store, [person.id])
    choice = conflicts.look(b.store, conflict.id)
    assert choice is not None and choice.current == "13905800003"
    conflicts.resolve(b.store, choice, take_lost=False, today=TODAY)
    assert b.store.pending_count() == 0
    told = b.sync()
    assert told.resolutions_sent == 1 and outbox.unsent_resolutions(b.store, 10) == []

    for d in (a, c):
        report = d.sync()
        assert outbox.open_conflicts(d.store, [person.id]) == []
        assert report.closed_elsewhere == 1
        said = words.say_all(client.summary(report), ZH)
        assert "1 处冲突已在另一设备上处理" in said
    # A laptop that joins later never sees it open.
    late = device(server, "late")
    assert late.sync().found == [] and outbox.open_conflicts(late.store, [person.id]) == []
    assert {phone_of(d, person.id) for d in (a, b, c, late)} == {"13905800003"}


def test_the_laptop_whose_value_lost_can_take_it_back_everywhere(
    server: Server, home: Path
) -> None:
    a, b, _, person = clash(server)
    a.sync(), b.sync(), a.sync()
    [conflict] = outbox.open_conflicts(a.store, [person.id])
    choice = conflicts.look(a.store, conflict.id)
    assert choice is not None and choice.lost_mine and choice.current_from == "theirs"
    a.store.clock = Clock.pinned(TODAY, hour=12)
    conflicts.resolve(a.store, choice, take_lost=True, today=TODAY)
    a.sync()
    report = b.sync()
    assert report.closed_elsewhere == 1 and report.found == []
    for d in (a, b):
        assert phone_of(d, person.id) == "13905800002"
        assert outbox.open_conflicts(d.store, [person.id]) == []


def test_a_resolution_sent_twice_or_from_another_village_changes_nothing(
    server: Server, home: Path
) -> None:
    a, b, _, person = clash(server)
    a.sync(), b.sync()
    [conflict] = outbox.open_conflicts(b.store, [person.id])
    outsider = device(server, "x", villages=[OTHER_VILLAGE])
    outsider.sync()
    before = server.version()
    body = protocol.PushRequest(
        device_id=outsider.store.device_id, changes=[], resolved=[conflict.id]
    )
    answer = raw_push(server, outsider.token, body.model_dump_json().encode(), gz=False)
    assert answer.status_code == 200, answer.text
    assert server.version() == before  # not its village: left open
    assert _open_on_server(server) == [conflict.id]

    choice = conflicts.look(b.store, conflict.id)
    assert choice is not None
    conflicts.resolve(b.store, choice, take_lost=False, today=TODAY)
    b.sync()
    after = server.version()
    assert after > before and _open_on_server(server) == []  # closed, under a new version
    again = protocol.PushRequest(device_id=b.store.device_id, changes=[], resolved=[conflict.id])
    raw_push(server, b.token, again.model_dump_json().encode(), gz=False)
    assert server.version() == after  # closed already: no new version


def _open_on_server(srv: Server) -> list[int]:
    from sqlalchemy import select

    with srv.engine.connect() as conn:
        return [
            int(i)
            for (i,) in conn.execute(
                select(storage.conflicts.c.id).where(storage.conflicts.c.resolved_version.is_(None))
            )
        ]


@pytest.mark.parametrize(
    "resolved",
    [[0], [-1], [MAX_INT + 1], list(range(1, MAX_PUSH_CHANGES + 2)), ["x"], [None]],
    ids=["zero", "negative", "2^63", "1001", "text", "null"],
)
def test_resolved_ids_beyond_the_bounds_are_a_422_that_writes_nothing(
    server: Server, home: Path, resolved: list[object]
) -> None:
    d = device(server, "a")
    body = json.dumps({"device_id": "dev-1", "changes": [], "resolved": resolved}).encode()
    response = raw_push(server, d.token, body, gz=False)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == Code.BAD_REQUEST
    assert server.count("devices") == 0


def test_the_summary_names_five_conflicts_then_counts_the_rest() -> None:
    report = client.SyncReport(
        found=[
            Reason.of(
                Code.CONFLICT_FOUND,
                table="persons",
                id=f"p{n}",
                field="address",
                who=f"人{n}",
                side="lost_here",
            )
            for n in range(8)
        ]
    )
    said = client.summary(report)
    assert [r.code for r in said] == [Code.SUMMARY] + [Code.CONFLICT_FOUND] * 5 + [
        Code.CONFLICTS_MORE
    ]
    assert said[-1].params == {"count": 3}
    assert "还有 3 处冲突" in words.say_all(said, ZH) and "3 more conflicts" in words.say_all(
        said, EN
    )


def test_a_household_conflict_points_to_the_persons_page_and_a_staff_one_to_the_list() -> None:
    household = Reason.of(
        Code.CONFLICT_FOUND,
        table="households",
        id="h1",
        field="address",
        who="王大海",
        side="others",
    )
    assert words.say(household, ZH) == (
        "冲突：王大海 · 户的住址（两台其他设备的修改冲突，可在人员页按 c 处理）"
    )
    staff = household.model_copy(
        update={"params": {**household.params, "table": "staff", "field": "name"}}
    )
    assert words.say(staff, ZH) == (
        "冲突：王大海 · 工作人员的姓名（两台其他设备的修改冲突，可在待同步页按 c 处理）"
    )
    assert words.say(staff, EN).endswith("; press c on the Pending page to choose)")
    deleted = household.model_copy(update={"params": {**household.params, "side": "deleted"}})
    assert "按 c" not in words.say(deleted, ZH)


def test_sync_json_carries_the_conflicts_as_codes() -> None:
    from civtui.cli.sync import report_json

    conflict = Reason.of(
        Code.CONFLICT_FOUND, table="persons", id="p1", field="phone", who="王秀英", side="lost_here"
    )
    report = client.SyncReport(
        found=[conflict], warnings=[Reason.of(Code.CLOCK_AHEAD, ahead_s=600)]
    )
    data = json.loads(report_json(report, 0, ZH))
    assert data["found"] == [conflict.model_dump(mode="json")]
    assert data["warnings"][0]["code"] == "clock_ahead"
    assert "冲突：王秀英 · 联系电话（本机的值未被采用" in data["summary"]


def test_a_later_edit_of_the_field_leaves_the_conflict_open_for_a_person_to_decide(
    server: Server, home: Path
) -> None:
    """Decided (sync/README.md, Conflicts): the server does not close a conflict when a later
    edit of its field arrives; the dialog shows that edit as the current value."""
    a, b, _, person = clash(server)
    a.sync(), b.sync(), a.sync()
    fixed = a.store.get(Person, person.id)
    assert fixed is not None
    a.store.clock = Clock.pinned(TODAY, hour=12)
    a.store.save(fixed.revise(context=CTX, phone="13905809999"))
    assert a.sync().found == []  # it had seen the conflict: not a new one
    report = b.sync()
    assert report.closed_elsewhere == 0
    [conflict] = outbox.open_conflicts(b.store, [person.id])
    choice = conflicts.look(b.store, conflict.id)
    assert choice is not None
    assert (choice.current, choice.current_from) == ("13905809999", "edited")
    assert choice.can_take_lost and choice.conflict.lost_value == "13905800002"


# A backup and its restore are shown on the SQLite file; what the server does is the same.
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_change_a_restored_server_lost_goes_again_before_the_pull_and_meets_its_rival(
    server: Server, home: Path
) -> None:
    """A's phone (10:01) was taken, then lost with the server's restore; B, which never saw
    it, set the phone at 10:02. A's sync finds its change lacking and sends it again before
    storing anything of the pull: sent after, it named the version just pulled as its base,
    as if A had seen B's phone, and B's later value lost without a conflict."""
    a = device(server, "a", clock=Clock.pinned(TODAY))
    b = device(server, "b", clock=Clock.pinned(TODAY))
    person = make_person(name="[/]王=秀英", phone="13905800001")
    a.store.save(person)
    a.sync()
    b.sync()
    copy = server.backup()
    a.store.clock = Clock.pinned(TODAY, hour=11)
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    a.sync()
    server.restore(copy)
    b.store.clock = Clock.pinned(TODAY, hour=12)
    b.store.save(person.revise(context=CTX, phone="13905800003"))
    b.sync()
    report = a.sync()
    assert report.resent == 1 and report.conflicts == 1
    assert [r.params["side"] for r in report.found] == ["lost_here"]
    b.sync()
    assert phone_of(a, person.id) == phone_of(b, person.id) == "13905800003"
    assert server.records()[("persons", person.id)][0]["phone"] == "13905800003"
    a.store.close()
    b.store.close()
