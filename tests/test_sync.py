"""Sync against a real server process on 127.0.0.1 (SQLite, and PostgreSQL when available)."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person, Village, Visit
from civtui.services import conflicts, demo
from civtui.services.keys import open_store
from civtui.services.profile import Profile, create_profile
from db import outbox
from sync import client as client_module
from sync import protocol, stored
from sync.client import SyncError
from sync.protocol import Code, Reason
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import (
    CLEAN_ENV,
    OTHER_VILLAGE,
    Device,
    Server,
    device,
    free_port,
    rows,
    server,
    tls,
)

__all__ = ["server"]  # the fixture


def phone_of(d: Device, person_id: str) -> str | None:
    person = d.store.get(Person, person_id)
    assert person is not None
    return person.phone


def assert_same(a: Device, b: Device, srv: Server) -> None:
    """Both devices hold the same rows, and they are what the server holds."""
    server_rows = srv.records()
    for table in ("villages", "persons", "visits", "child_checks", "elder_needs", "assessments"):
        left = rows(a.store, table)
        assert left == rows(b.store, table), table
        for record_id, row in left.items():
            data, deleted = server_rows[(table, record_id)]
            assert bool(row["deleted"]) == deleted
            for name, value in data.items():
                stored = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
                assert row[name] in (value, stored), (table, name)


# -- two devices --------------------------------------------------------------


def test_two_devices_converge_and_keep_the_losing_value(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    person = make_person(name="林阿婆", phone="13905800001")
    a.store.save(person)
    a.sync()
    b.sync()
    assert b.store.get(Person, person.id) == person

    # Both edit the phone while offline; b's edit is later.
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    b.store.clock = Clock.pinned(TODAY, hour=11)
    b.store.save(person.revise(context=CTX, phone="13905800003", address="码头路1号"))
    report_a = a.sync()
    report_b = b.sync()
    assert report_a.conflicts == 0 and report_b.conflicts == 1
    a.sync()

    assert phone_of(a, person.id) == phone_of(b, person.id) == "13905800003"
    assert a.store.get(Person, person.id) == b.store.get(Person, person.id)
    assert_same(a, b, server)
    for d in (a, b):
        [conflict] = outbox.open_conflicts(d.store, [person.id])
        assert (conflict.field, conflict.kept_value, conflict.lost_value) == (
            "phone",
            "13905800003",
            "13905800002",
        )


def test_choosing_the_losing_value_syncs_everywhere(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    person = make_person(name="林阿婆")
    a.store.save(person)
    a.sync(), b.sync()
    a.store.save(person.revise(context=CTX, address="旧地址"))
    b.store.clock = Clock.pinned(TODAY, hour=11)
    b.store.save(person.revise(context=CTX, address="新地址"))
    a.sync(), b.sync(), a.sync()
    [conflict] = outbox.open_conflicts(a.store, [person.id])
    a.store.clock = Clock.pinned(TODAY, hour=12)
    choice = conflicts.look(a.store, conflict.id)
    assert choice is not None
    conflicts.resolve(a.store, choice, take_lost=True, today=TODAY)
    a.sync(), b.sync()
    assert b.store.get(Person, person.id).address == "旧地址"  # type: ignore[union-attr]
    assert_same(a, b, server)


def test_pull_never_overwrites_unsent_field(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    person = make_person()
    a.store.save(person)
    a.sync(), b.sync()
    b.store.save(person.revise(context=CTX, address="b的地址", phone="13905809999"))
    b.sync()
    # a edits the phone but has not pushed it yet when the pull arrives.
    a.store.save(person.revise(context=CTX, phone="13905801111"))
    page = client_module.Connection(server.base, a.token).call(
        "POST", protocol.PATH_PULL, protocol.PullRequest(cursor=0), protocol.PullResponse
    )
    outbox.apply_page(a.store, [stored.remote(r) for r in page.records], [], page.cursor)
    mine = a.store.get(Person, person.id)
    assert mine is not None
    assert mine.phone == "13905801111"  # the unsent field stayed
    assert mine.address == "b的地址"  # the rest came in


def test_delete_is_a_tombstone_an_edit_does_not_resurrect(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    person = make_person()
    a.store.save(person)
    a.sync(), b.sync()
    a.store.delete(Person, person.id)
    b.store.clock = Clock.pinned(TODAY, hour=11)
    b.store.save(person.revise(context=CTX, address="还住这里"))
    a.sync()
    report = b.sync()
    assert report.conflicts == 1
    a.sync()
    for d in (a, b):
        assert d.store.get(Person, person.id) is None
    assert server.records()[("persons", person.id)][1] is True
    [conflict] = outbox.open_conflicts(b.store, [person.id])
    assert conflict.lost_value == "还住这里"


def test_clock_days_ahead_does_not_win_forever(server: Server, home: Path) -> None:
    now = dt.datetime.now(CHINA_TZ)
    fast = device(server, "fast", clock=Clock(now + dt.timedelta(days=3)))
    right = device(server, "right", clock=Clock(now + dt.timedelta(minutes=30)))
    person = make_person()
    fast.store.save(person)
    report = fast.sync()
    [warning] = report.warnings
    assert warning.code is Code.CLOCK_AHEAD and warning.params["ahead_s"] > 2 * 24 * 3600
    right.sync()
    right.store.save(person.revise(context=CTX, address="后来的修改"))
    right.sync()
    fast.sync()
    assert fast.store.get(Person, person.id).address == "后来的修改"  # type: ignore[union-attr]


# -- nothing lost, nothing doubled ------------------------------------------------


def demo_device(server: Server, name: str, persons: int = 60) -> Device:
    data = demo.generate(persons, seed=11, today=TODAY)
    d = device(server, name, villages=[v.id for v in data.villages])
    d.store.save_many([r for r in data.all() if not (r.table == "villages" and r.id == VILLAGE)])
    return d


def assert_fully_synced(d: Device, srv: Server) -> None:
    assert d.store.pending_count() == 0
    changes = d.store.changes(status=None)
    assert {c.status for c in changes} == {"accepted"}
    # Each change was applied exactly once: one server version each.
    with srv.engine.connect() as conn:
        given = conn.execute(
            text("SELECT count(DISTINCT version), max(version) FROM change_results")
        ).one()
    assert tuple(given) == (len(changes), srv.version())
    server_rows = srv.records()
    for table in ("persons", "visits", "child_checks", "elder_needs", "need_status_changes"):
        local = rows(d.store, table)
        assert set(local) == {rid for (t, rid) in server_rows if t == table}, table


def test_repeated_batch_is_applied_once(server: Server, home: Path) -> None:
    d = demo_device(server, "a", persons=20)
    conn = d.connect()
    batch = outbox.next_batch(d.store, 50)
    request = client_module.push_request(d.store.device_id, batch)
    first = conn.call("POST", protocol.PATH_PUSH, request, protocol.PushResponse)
    version = server.version()
    again = conn.call("POST", protocol.PATH_PUSH, request, protocol.PushResponse)
    assert again.results == first.results
    given = sorted(r.version for r in first.results if r.version is not None)
    assert len(set(given)) == len(batch)
    assert server.version() == version == given[-1]
    d.sync()
    assert_fully_synced(d, server)


def test_a_batchs_seqs_travel_only_where_a_run_starts(server: Server, home: Path) -> None:
    d = demo_device(server, "a", persons=10)
    batch = outbox.next_batch(d.store, 20)
    gapped = batch[:5] + batch[8:12]
    request = client_module.push_request(d.store.device_id, gapped)
    wire = json.loads(gzip.decompress(protocol.encode(request)))
    assert [i for i, c in enumerate(wire["changes"]) if "seq" in c] == [0, 5]
    assert protocol.PushRequest.model_validate(wire) == request
    assert [c.seq for c in request.changes] == [c.seq for c in gapped]
    # The server numbers them the same way: every change is acknowledged by its own seq.
    answer = d.connect().call("POST", protocol.PATH_PUSH, request, protocol.PushResponse)
    assert [r.seq for r in answer.results] == [c.seq for c in gapped]


@settings(max_examples=200, deadline=None)
@given(
    seqs=st.lists(st.integers(1, 40), max_size=30),
    fields=st.dictionaries(st.sampled_from(["note", "visit_date", "tags"]), st.text(max_size=5)),
)
def test_the_wire_leaves_out_exactly_the_seqs_of_a_run(
    seqs: list[int], fields: dict[str, Any]
) -> None:
    """Any numbering a batch may have: the seq travels where it is not one more than the
    one before, and the batch reads back as it was sent."""
    changes = [
        protocol.Change(
            seq=seq,
            table="visits",
            record_id=f"v{i}",
            op="upsert",
            fields=fields,
            hlc="1795312800000-0000",
        )
        for i, seq in enumerate(seqs)
    ]
    request = protocol.PushRequest(device_id="laptop-1", changes=changes, acked_through=3)
    wire = json.loads(gzip.decompress(protocol.encode(request)))
    runs = [i for i in range(1, len(seqs)) if seqs[i] == seqs[i - 1] + 1]
    assert [i for i, c in enumerate(wire["changes"]) if "seq" not in c] == runs
    everything = request.model_dump(mode="json", exclude_defaults=True)
    for i in runs:
        del everything["changes"][i]["seq"]
    assert wire == everything
    assert protocol.PushRequest.model_validate(wire) == request


def test_a_profile_restored_from_an_older_copy_loses_nothing(server: Server, home: Path) -> None:
    a = device(server, "a")
    person = make_person()
    a.store.save(person)
    a.sync()
    copy = a.keep_copy()  # the USB copy made last week
    first = Visit.model_validate(
        {"person_id": person.id, "visit_date": "2026-11-02", "visitor": "王"}, context=CTX
    )
    a.store.save(first)
    a.sync()
    # The laptop dies; the copy goes onto a new one: its change numbers start again, and
    # with its clock (pinned here) behind, so do its stamps: only the content differs.
    a.restore(copy)
    old_id = a.store.device_id
    second = first.revise(context=CTX, id="visit-after-restore", visit_date="2026-11-20")
    a.store.save(second)
    report = a.sync()
    assert report.new_device_id not in (None, old_id)
    assert Reason.of(Code.NEW_DEVICE) in client_module.summary(report)
    assert a.store.pending_count() == 0
    on_server = server.records()
    assert ("visits", first.id) in on_server and ("visits", second.id) in on_server
    assert a.store.get(Visit, first.id) is not None  # what it wrote after the copy came back
    b = device(server, "b")
    b.sync()
    assert set(rows(b.store, "visits")) == {first.id, second.id}
    # The new id sticks: the next change goes through without another renewal.
    a.store = open_store(a.store.path, Clock.pinned(TODAY))
    assert a.store.device_id == report.new_device_id
    a.store.save(second.revise(context=CTX, notes="补记"))
    assert a.sync().new_device_id is None and a.store.pending_count() == 0


def test_a_restored_copy_with_nothing_to_push_gets_its_own_later_changes_back(
    server: Server, home: Path
) -> None:
    a = device(server, "a")
    person = make_person()
    a.store.save(person)
    a.sync()
    copy = a.keep_copy()
    a.store.save(person.revise(context=CTX, phone="13905801111"))
    a.sync()
    a.restore(copy)
    old_id = a.store.device_id
    report = a.sync()  # nothing pending: only the pull can tell
    assert report.new_device_id not in (None, old_id)
    assert phone_of(a, person.id) == "13905801111"
    a.store.save(Visit.model_validate(
        {"person_id": person.id, "visit_date": "2026-11-20", "visitor": "王"}, context=CTX
    ))  # fmt: skip
    assert a.sync().rejected == 0 and a.store.pending_count() == 0
    assert len([k for k in server.records() if k[0] == "visits"]) == 1


# A backup and its restore are shown on the SQLite file; what the server does is the same.
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_server_restored_from_a_backup_gets_back_what_it_lost(server: Server, home: Path) -> None:
    a, b = device(server, "a"), device(server, "b")
    person = make_person()
    a.store.save(person)
    a.sync(), b.sync()
    backup = server.backup()

    def visit(day: str, who: str) -> Visit:
        data = {"person_id": person.id, "visit_date": day, "visitor": who}
        return Visit.model_validate(data, context=CTX)

    lost_a, lost_b = visit("2026-11-02", "王"), visit("2026-11-03", "李")
    a.store.save(lost_a)
    b.store.save(lost_b)
    # A laptop that syncs once more and is then lost: its changes are gone with the backup.
    gone = device(server, "gone")
    gone.sync()
    gone.store.save_many([visit(f"2026-11-0{d}", "张") for d in (4, 5, 6)])
    gone.sync(), a.sync(), b.sync(), a.sync()  # acknowledged; b's cursor well past the backup's
    server.restore(backup)
    assert ("visits", lost_a.id) not in server.records()
    # a has nothing to push: its pull shows the server holds less than it acknowledged.
    report = a.sync()
    assert report.resent == 1 and Reason.of(Code.RESENT, count=1) in client_module.summary(report)
    # b has a new change: the push shows the gap before it.
    after = visit("2026-11-20", "李")
    b.store.save(after)
    assert b.sync().resent == 1
    on_server = server.records()
    assert {("visits", v.id) for v in (lost_a, lost_b, after)} <= set(on_server)
    # Versions given out again after the restore still reach b, whose cursor was past them.
    late = visit("2026-11-21", "王")
    a.store.save(late)
    a.sync(), b.sync()
    assert b.store.get(Visit, late.id) is not None
    c = device(server, "c")
    c.sync()
    assert {lost_a.id, lost_b.id, after.id, late.id} <= set(rows(c.store, "visits"))
    assert a.store.pending_count() == b.store.pending_count() == 0


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_cursor_past_a_restored_server_misses_nothing_written_after(
    server: Server, home: Path
) -> None:
    """Found by the state machine: a laptop whose cursor had passed the backup's last version
    skipped what another laptop wrote after the restore, which reused those numbers."""
    a, b = device(server, "a"), device(server, "b")
    person = make_person()
    a.store.save(person)
    a.sync(), b.sync()
    backup = server.backup()

    def visits(who: str, days: range) -> list[Visit]:
        made = [
            Visit.model_validate(
                {"person_id": person.id, "visit_date": f"2026-11-{d:02d}", "visitor": who},
                context=CTX,
            )
            for d in days
        ]
        return made

    a.store.save_many(visits("王", range(2, 6)))
    a.sync(), b.sync()  # b's cursor is now past the backup's last version
    server.restore(backup)
    c = device(server, "c")
    c.sync()
    written_after = visits("李", range(10, 16))
    c.store.save_many(written_after)
    c.sync()  # before a or b is back: with numbers counted on from the backup, the same ones
    b.sync()
    assert {v.id for v in written_after} <= set(rows(b.store, "visits"))


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_server_restored_to_a_newer_copy_after_an_older_one_misses_nothing(
    server: Server, home: Path
) -> None:
    """Found by the state machine in random mode: the server came back from an older copy,
    a laptop synced (its cursor past every version of a newer copy), and the server came
    back from the newer copy, whose person lay below that cursor. Each server process now
    begins an epoch, and a laptop whose epoch the restored database lacks pulls from 0."""
    a, b = device(server, "a"), device(server, "b")
    a.sync(), b.sync()
    copy = server.backup()
    older = copy.replace(copy.with_name("server-older.db"))
    person = make_person(name="[/]林=阿婆")
    b.store.save(person)
    b.sync()
    copy = server.backup()
    newer, newer_top = copy.replace(copy.with_name("server-newer.db")), server.version()
    server.restore(older)
    a.store.save(make_person(name="王秀英"))
    a.sync()
    assert outbox.cursor(a.store) > newer_top
    said = a.store.get_meta(outbox.SERVER_EPOCH)
    server.restore(newer)
    a.sync()
    assert person.id in rows(a.store, "persons")
    assert a.store.get_meta(outbox.SERVER_EPOCH) not in (None, said)
    before = outbox.cursor(a.store)
    a.sync()  # the same epoch: the pull starts at the cursor
    assert outbox.cursor(a.store) == before == server.version()


def test_an_epoch_says_where_the_histories_still_agree(tmp_path: Path) -> None:
    """`epochs.start`: the cursor in the epoch now; no later than where each later epoch
    began in an earlier one (and before the first, for a laptop that never asked); 0 in
    one the database does not list (a restore lost it)."""
    from sync.server import epochs, storage

    engine = storage.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    storage.migrate(engine)

    def top(version: int) -> None:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE counters SET value = :v WHERE name = 'version'"), {"v": version}
            )

    top(100)
    first = epochs.begin(engine)
    top(300)
    second = epochs.begin(engine)  # began at 300: the first's history up to there
    top(500)
    assert epochs.start(engine, second, 450, second) == (second, 450)
    assert epochs.start(engine, second, 900, second) == (second, 500)
    assert epochs.start(engine, first, 250, second) == (second, 250)
    assert epochs.start(engine, first, 450, second) == (second, 300)
    assert epochs.start(engine, None, 450, second) == (second, 100)
    assert epochs.start(engine, "0" * 32, 450, second) == (second, 0)
    assert epochs.start(engine, second, 450, "f" * 32) is None  # not this database's process
    engine.dispose()


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_a_server_restored_from_before_a_laptops_first_sync_gets_all_of_it(
    server: Server, home: Path
) -> None:
    """Found by the state machine: to a server restored from a copy that never knew the
    laptop, its next change looked like a new device's first, and everything it had sent
    before the restore was never sent again."""
    a = device(server, "a")  # its token is made on the server now
    backup = server.backup()
    person = make_person()
    a.store.save(person)
    a.sync()
    server.restore(backup)
    later = Visit.model_validate(
        {"person_id": person.id, "visit_date": "2026-11-20", "visitor": "王"}, context=CTX
    )
    a.store.save(later)
    report = a.sync()
    assert report.resent >= 1
    on_server = server.records()
    assert {("persons", person.id), ("visits", later.id)} <= set(on_server)


def test_client_killed_after_the_server_committed(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    d = demo_device(server, "a")
    real = outbox.record_acks
    calls = {"n": 0}

    def dies_on_second_batch(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt("laptop lid closed")
        real(*args, **kwargs)

    monkeypatch.setattr(outbox, "record_acks", dies_on_second_batch)
    monkeypatch.setattr(client_module, "PUSH_BATCH", 40)
    with pytest.raises(KeyboardInterrupt):
        d.sync()
    assert d.store.pending_count() > 0
    monkeypatch.setattr(outbox, "record_acks", real)
    d.sync()
    assert_fully_synced(d, server)


def test_server_stopped_after_commit_before_answering(server: Server, home: Path) -> None:
    d = demo_device(server, "a")
    server.stop()
    server.start(fault="crash-after-push-commit:1")
    with pytest.raises(client_module.OfflineError):
        d.sync()
    assert server.wait_exit() == 17
    committed = server.version()
    assert committed > 0 and d.store.pending_count() > 0  # server has them, laptop unsure
    server.start(environ=CLEAN_ENV)  # back as it ran: it serves the next test too
    d.sync()
    assert_fully_synced(d, server)


def test_connection_dropped_while_pulling(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = demo_device(server, "a")
    source.sync()
    monkeypatch.setattr(client_module, "PULL_PAGE", 100)
    reader = device(
        server,
        "b",
        villages=[r[0] for r in source.store.db.execute("SELECT id FROM villages ORDER BY id")],
    )
    server.stop()
    server.start(fault="crash-in-pull:2")
    with pytest.raises(SyncError):
        reader.sync()
    server.wait_exit()
    partial = outbox.cursor(reader.store)
    assert 0 < partial < server.version()
    server.start(environ=CLEAN_ENV)
    reader.sync()
    for table in ("persons", "visits", "child_checks", "elder_needs", "assessments"):
        assert rows(reader.store, table) == rows(source.store, table), table


# -- access and hostile input ---------------------------------------------------


def raw_push(srv: Server, token: str, body: bytes, *, gz: bool = True) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if gz:
        headers["Content-Encoding"] = "gzip"
    return httpx.post(
        f"{srv.base}/v1/push", content=body, headers=headers, timeout=30, verify=tls()
    )


def valid_push(d: Device) -> bytes:
    person = make_person()
    d.store.save(person)
    batch = outbox.next_batch(d.store, 100)
    request = client_module.push_request(d.store.device_id, batch)
    return request.model_dump_json().encode()


def test_wrong_and_revoked_tokens_write_nothing(server: Server, home: Path) -> None:
    d = device(server, "a")
    body = gzip.compress(valid_push(d))
    assert raw_push(server, "civ_nope_nope", body).status_code == 401
    assert raw_push(server, "", body).status_code == 401
    token_id = d.token.split("_")[1]
    from sync.server import tokens

    assert tokens.revoke(server.engine, token_id)
    response = raw_push(server, d.token, body)
    assert response.status_code == 401
    assert response.json()["detail"] == {"code": "token_invalid", "params": {}}
    with pytest.raises(client_module.TokenRefusedError):
        d.sync()
    assert server.count("records") == 0 and server.version() == 0
    assert d.store.pending_count() == 3  # kept for a later sync with a new token


def test_another_villages_record_is_rejected_and_not_visible(server: Server, home: Path) -> None:
    mine = device(server, "mine")
    theirs = device(server, "theirs", villages=[OTHER_VILLAGE])
    outsider = make_person(name="外村人", village_code=OTHER_VILLAGE)
    theirs.store.save(outsider)
    theirs.sync()
    # mine tries to write into the other village, and to move its own person there.
    mine.store.save(Village(id=OTHER_VILLAGE, name="渔港村"))
    mine.store.save(outsider.revise(context=CTX, village_code=OTHER_VILLAGE, name="冒名"))
    own = make_person(name="本村人", seq=105)
    mine.store.save(own)
    report = mine.sync()
    assert report.rejected_reasons == [Reason.of(Code.OUTSIDE_VILLAGES, village=OTHER_VILLAGE)] * 2
    mine.store.save(own.revise(context=CTX, village_code=OTHER_VILLAGE))
    assert mine.sync().rejected == 1
    assert server.records()[("persons", outsider.id)][0]["name"] == "外村人"
    assert server.records()[("persons", own.id)][0]["village_code"] == VILLAGE
    # A pull never hands over another village's rows.
    fresh = device(server, "fresh")
    fresh.sync()
    assert fresh.store.get(Person, outsider.id) is None


def test_rejected_change_does_not_block_the_rest(server: Server, home: Path) -> None:
    d = device(server, "a")
    good = make_person()
    d.store.save(good)
    visit = Visit.model_validate(
        {"person_id": good.id, "visit_date": TODAY, "visitor": "王"}, context=CTX
    )
    d.store.save(visit)
    # A change the server must refuse, between two good ones: an unknown field.
    d.store.db.execute(
        "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, created_at) "
        "VALUES ('persons', ?, 'upsert', '{\"shoe_size\": 42}', ?, ?, '2026-11-22')",
        [good.id, d.store.changes()[-1].hlc, d.store.device_id],
    )
    later = make_person(seq=103)
    d.store.save(later)
    report = d.sync()
    assert report.rejected_reasons == [
        Reason.of(Code.UNKNOWN_FIELDS, table="persons", fields=["shoe_size"])
    ]
    assert {("persons", good.id), ("visits", visit.id), ("persons", later.id)} <= set(
        server.records()
    )


@pytest.mark.parametrize(
    ("body", "gz", "status"),
    [
        (b"{not json", True, 422),
        (b'{"device_id": "d", "changes": [{"seq": "one"}]}', True, 422),
        (
            b'{"device_id": "d", "changes": [{"seq": 1, "table": "persons", "record_id": "x",'
            b' "op": "upsert", "fields": {}, "hlc": "nope"}]}',
            True,
            422,
        ),
        (b'{"device_id": "d", "changes": [], "extra": 1}', True, 422),
        (b"\x1f\x8b not really gzip", False, 422),
        (b"plain but claims gzip", True, 400),
    ],
)
def test_malformed_input_is_refused_and_writes_nothing(
    server: Server, home: Path, body: bytes, gz: bool, status: int
) -> None:
    d = device(server, "a")
    payload = gzip.compress(body) if gz and body != b"plain but claims gzip" else body
    response = raw_push(server, d.token, payload, gz=gz)
    assert response.status_code == status
    assert server.count("records") == 0 and server.count("devices") == 0


def test_gzip_bomb_and_oversized_body_are_refused(server: Server, home: Path) -> None:
    d = device(server, "a")
    bomb = gzip.compress(b"[" + b" " * (protocol.MAX_DECOMPRESSED_BYTES + 10) + b"]")
    assert len(bomb) < protocol.MAX_COMPRESSED_BYTES
    assert raw_push(server, d.token, bomb).status_code == 413
    huge = b"x" * (protocol.MAX_COMPRESSED_BYTES + 1)
    assert raw_push(server, d.token, huge).status_code == 413
    assert server.count("records") == 0 and server.version() == 0


def test_openapi_describes_the_real_bodies(server: Server) -> None:
    spec = httpx.get(f"{server.base}/openapi.json", timeout=10, verify=tls()).json()
    push = spec["paths"]["/v1/push"]["post"]
    schema = push["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["required"]) == {"device_id", "changes"}
    assert set(spec["paths"]) == {
        "/v1/health",
        "/v1/me",
        "/v1/push",
        "/v1/pull",
        protocol.PATH_BUNDLE_KEY,
        protocol.PATH_APPLIED,
        protocol.PATH_EPOCH,
    }
    assert "PushResponse" in json.dumps(push["responses"]["200"])


# -- the client on its own (no network) -------------------------------------------


def test_plain_http_is_only_for_this_machine() -> None:
    assert client_module.check_url("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
    assert client_module.check_url("http://localhost:8765") == "http://localhost:8765"
    assert client_module.check_url("https://mz.example.gov.cn") == "https://mz.example.gov.cn"
    for url in ("http://10.1.2.3:8765", "http://mz.example.gov.cn", "ftp://x", "mz.example"):
        with pytest.raises(SyncError):
            client_module.check_url(url)


def test_retries_back_off_on_429_and_5xx_then_succeed() -> None:
    answers = iter([503, 429, 502, 200])
    seen: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        code = next(answers)
        seen.append(code)
        body = protocol.Health(status="ok", version="x", server_time_ms=1).model_dump_json()
        return httpx.Response(code, content=body if code == 200 else b"busy")

    pauses: list[float] = []
    conn = client_module.Connection(
        "http://127.0.0.1:9",
        "t",
        transport=httpx.MockTransport(handler),
        sleep=pauses.append,
        backoff=1.0,
    )
    assert conn.health().status == "ok"
    assert seen == [503, 429, 502, 200]
    assert len(pauses) == 3 and all(0 <= p <= 2**i for i, p in enumerate(pauses))


def test_offline_gives_up_with_a_clear_message_and_keeps_everything(
    home: Path,
) -> None:
    port = free_port()  # nothing listens there
    create_profile(Profile("x"), [Village(id=VILLAGE, name="海星村")], "s", Clock.pinned(TODAY))
    store = open_store(Profile("x").db_path, Clock.pinned(TODAY))
    pending = store.pending_count()
    conn = client_module.Connection(f"http://127.0.0.1:{port}", "t", attempts=2, backoff=0.01)
    with pytest.raises(client_module.OfflineError) as failure:
        client_module.sync(store, conn)
    assert failure.value.reason.params["url"] == f"http://127.0.0.1:{port}"
    assert store.pending_count() == pending


KILLER = """
import os, signal, sys
from civtui.domain.clock import Clock
from civtui.services.profile import Profile
from db import open_store, outbox
from sync import client
from tests.conftest import TODAY

real = outbox.record_acks
calls = {"n": 0}

def record_then_die(*args, **kwargs):
    calls["n"] += 1
    if calls["n"] == 2:
        os.kill(os.getpid(), signal.SIGKILL)  # no cleanup, no rollback handlers: a real crash
    real(*args, **kwargs)

outbox.record_acks = record_then_die
client.PUSH_BATCH = 40
# The key comes from the test: this process does not share its keyring.
store = open_store(Profile("a").db_path, Clock.pinned(TODAY), bytes.fromhex(sys.argv[3]))
conn = client.Connection(sys.argv[1], sys.argv[2], attempts=1)
client.sync(store, conn)
"""


def test_client_process_killed_mid_sync(server: Server, home: Path) -> None:
    import subprocess
    import sys

    d = demo_device(server, "a")
    key = d.store.key
    assert key is not None
    d.store.close()
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, server.base, d.token, key.hex()],
        capture_output=True,
        check=False,
    )
    assert killed.returncode == -9, killed.stderr.decode()
    d.store = open_store(Profile("a").db_path, Clock.pinned(TODAY))
    assert d.store.pending_count() > 0 and server.version() > 0
    d.sync()
    assert_fully_synced(d, server)


def test_a_device_id_belongs_to_one_token(server: Server, home: Path) -> None:
    a = device(server, "a")
    a.sync()
    impostor = server.token("别人", [VILLAGE])
    body = protocol.PushRequest(device_id=a.store.device_id, changes=[]).model_dump_json()
    response = raw_push(server, impostor, gzip.compress(body.encode()))
    assert response.status_code == 403
    assert response.json()["detail"]["code"] == Code.DEVICE_TAKEN


def test_a_new_token_after_a_revoked_one_syncs_the_same_laptop(server: Server, home: Path) -> None:
    # What the app says to do when a token is revoked: get a new one and log in again.
    from sync.server import tokens

    a = device(server, "a")
    person = make_person()
    a.store.save(person)
    a.sync()
    assert tokens.revoke(server.engine, a.token.split("_")[1])
    a.token = server.token("员工a", [VILLAGE])
    a.store.save(person.revise(context=CTX, phone="13905801111"))
    report = a.sync()
    assert report.accepted == 1 and a.store.pending_count() == 0
    assert server.records()[("persons", person.id)][0]["phone"] == "13905801111"


def test_pull_does_not_echo_a_devices_own_records(server: Server, home: Path) -> None:
    a = device(server, "a")
    b = device(server, "b")
    a.store.save(make_person())
    first = a.sync()
    assert first.pushed == 3 and first.pulled == 0  # nothing but its own records: no echo
    b.sync()
    assert b.store.count(Person) == 1
    # Once another device writes a field, the record is no longer a's alone: a gets it.
    person = b.store.all(Person)[0]
    b.store.save(person.revise(context=CTX, address="b改的"))
    b.sync()
    assert a.sync().pulled >= 1
    assert a.store.get(Person, person.id).address == "b改的"  # type: ignore[union-attr]
