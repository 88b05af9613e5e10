from __future__ import annotations

import datetime as dt
import itertools
import os
from pathlib import Path
from typing import Any, cast

import pytest
from sqlite_utils import Database

from civtui.domain import hlc as hlc_mod
from civtui.domain.choices import NeedStatus, NeedType
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import ElderNeed, Person, Village, Visit
from civtui.services.keys import open_store
from db import Store, connection, queries
from db.migrations import migrations
from db.store import RecordDeletedError, Remote
from tests.conftest import CTX, TODAY, make_person


def rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return list(store.db.execute(sql).fetchall())


def test_save_writes_row_and_change_log_entry(store: Store) -> None:
    person = make_person(name="张三丰")
    seq = store.save(person)
    assert seq is not None
    [change] = [c for c in store.changes() if c.seq == seq]
    assert (change.table_name, change.record_id, change.op) == ("persons", person.id, "upsert")
    assert change.fields["name"] == "张三丰"
    assert change.fields["categories"] == []
    assert change.device_id == store.device_id
    row = rows(store, f"SELECT device_id, hlc, deleted FROM persons WHERE id = '{person.id}'")
    assert row == [(store.device_id, change.hlc, 0)]
    assert store.get(Person, person.id) == person


def test_update_logs_only_the_changed_fields(store: Store) -> None:
    person = make_person()
    store.save(person)
    seq = store.save(person.revise(phone="13905801234", address="海滨路3号"))
    [change] = [c for c in store.changes() if c.seq == seq]
    assert change.fields == {"phone": "13905801234", "address": "海滨路3号"}
    reloaded = store.get(Person, person.id)
    assert reloaded is not None
    assert store.save(reloaded) is None  # unchanged: nothing logged


def test_sequence_numbers_and_stamps_always_increase(tmp_path: Path) -> None:
    ticking = itertools.count()

    class BackwardsClock(Clock):
        # Village laptops' clocks jump back; stamps must still grow.
        def now(self) -> dt.datetime:
            start = dt.datetime(2026, 11, 22, 10, tzinfo=CHINA_TZ)
            return start - dt.timedelta(minutes=next(ticking))

    store = open_store(tmp_path / "c.db", BackwardsClock())
    store.save(Village(id="330902112201", name="海星村"))
    for i in range(3):
        store.save(make_person(seq=101 + 2 * i))
    changes = store.changes()
    assert [c.seq for c in changes] == [1, 2, 3, 4]
    stamps = [hlc_mod.Stamp.parse(c.hlc) for c in changes]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    store.close()
    # The last stamp is kept in the file, so a restart does not go back either.
    reopened = open_store(tmp_path / "c.db", BackwardsClock())
    reopened.save(make_person(seq=201))
    assert hlc_mod.Stamp.parse(reopened.changes()[-1].hlc) > stamps[-1]
    reopened.close()


def test_a_failure_mid_transaction_leaves_neither_row_nor_entry(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.pending_count()

    def broken(*args: object, **kwargs: object) -> int:
        raise connection.OperationalError("disk I/O error (injected)")

    monkeypatch.setattr(Store, "_append_change", broken)
    person = make_person()
    with pytest.raises(connection.OperationalError, match="injected"):
        store.save(person)
    assert store.get(Person, person.id) is None
    assert rows(store, "SELECT count(*) FROM persons") == [(0,)]
    assert store.pending_count() == before


def test_save_many_is_all_or_nothing(store: Store) -> None:
    good = make_person()
    orphan_visit = Visit.model_validate(
        {"person_id": "no-such-person", "visit_date": TODAY, "visitor": "王"}, context=CTX
    )
    before = store.pending_count()
    with pytest.raises(connection.IntegrityError):  # foreign keys are on
        store.save_many([good, orphan_visit])
    assert store.get(Person, good.id) is None
    assert store.pending_count() == before


def test_need_and_its_status_change_are_saved_together(store: Store) -> None:
    person = make_person()
    store.save(person)
    at = dt.datetime(2026, 11, 22, 9, tzinfo=CHINA_TZ)
    need, first = ElderNeed.raise_new(
        at=at,
        staff="王",
        context=CTX,
        person_id=person.id,
        need_type=NeedType.BATHING,
        raised_on=TODAY,
    )
    store.save_many([need, first])
    moved, step = need.advance(NeedStatus.IN_PROGRESS, at=at, staff="王")
    store.save_many([moved, step])
    stored = store.get(ElderNeed, need.id)
    assert stored is not None
    loaded = queries.need_history(store, stored)
    assert loaded.status is NeedStatus.IN_PROGRESS
    assert [h.to_status for h in loaded.history] == [NeedStatus.PENDING, NeedStatus.IN_PROGRESS]
    assert "history" not in {c.name for c in store.db.table("elder_needs").columns}


def test_delete_is_a_logged_tombstone(store: Store) -> None:
    person = make_person()
    store.save(person)
    seq = store.delete(Person, person.id)
    assert store.get(Person, person.id) is None
    assert rows(store, f"SELECT deleted FROM persons WHERE id = '{person.id}'") == [(1,)]
    last = store.changes()[-1]
    assert (last.seq, last.op, last.fields) == (seq, "delete", {})
    with pytest.raises(RecordDeletedError):
        store.save(person.revise(address="新地址"))
    assert store.count(Person) == 0


def test_file_is_private_and_durable(store: Store) -> None:
    if os.name == "posix":
        assert store.path.stat().st_mode & 0o777 == 0o600
        wal = store.path.with_name(store.path.name + "-wal")
        assert wal.stat().st_mode & 0o777 == 0o600
        assert store.path.parent.stat().st_mode & 0o777 == 0o700
    pragma = {
        name: store.db.execute(f"PRAGMA {name}").fetchone()[0]
        for name in ("journal_mode", "synchronous", "foreign_keys")
    }
    assert pragma == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1}


def test_existing_loose_permissions_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "loose.db"
    Database(path).table("x").insert({"a": 1})
    path.chmod(0o644)
    open_store(path).close()
    if os.name == "posix":
        assert path.stat().st_mode & 0o777 == 0o600


def test_migrations_on_an_empty_file_take_no_copy(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    assert [m.name for m in migrations.applied(store.db)] == [
        "m001_initial",
        "m002_person_search",
        "m003_sync_state",
        "m004_sync_runs",
        "m005_contact_months",
        "m006_dashboard_facts",
        "m007_need_counts",
        "m008_held_records",
        "m009_corrections_and_follow_ups",
        "m010_dated_history",
        "m011_conflict_resolutions",
        "m012_pulled_steps_and_drafts",
        "m013_follow_up_indexes",
        "m014_contact_facts_step_by_step",
        "m015_policy_effective_month",
        "m016_contact_findings",
        "m017_change_replaced",
        "m018_person_facts_by_batch",
        "m019_conflict_loss_as_made",
        "m020_device_staff",
        "m021_change_read_back",
    ]
    assert list(tmp_path.glob("*.bak")) == []
    store.close()


def test_migrations_on_an_existing_file_copy_it_first(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    store = open_store(path, clock)
    store.save(Village(id="330902112201", name="海星村"))
    device = store.device_id
    store.close()

    def m999_add_column(db: Database) -> None:
        db.execute("ALTER TABLE villages ADD COLUMN island TEXT")

    extra = migrations._Migration("m999_add_column", m999_add_column)
    monkeypatch.setattr(migrations, "_migrations", [*migrations._migrations, extra])
    store = open_store(path, clock)
    [copy] = tmp_path.glob("old.db.before-m999_add_column-*.bak")
    assert copy.stat().st_mode & 0o777 == 0o600 or os.name != "posix"
    # The safety copy is encrypted with the profile's key, like the profile.
    assert not connection.is_plain(copy) and store.key is not None
    saved = Database(cast(Any, connection.raw_connect(copy, store.key)))
    assert [r["name"] for r in saved.table("villages").rows] == ["海星村"]
    assert "island" not in {c.name for c in saved.table("villages").columns}
    assert "island" in {c.name for c in store.db.table("villages").columns}
    assert store.device_id == device
    assert store.pending_count() == 1
    store.close()
    # Opening again runs nothing and copies nothing more.
    open_store(path, clock).close()
    assert len(list(tmp_path.glob("*.bak"))) == 1


def test_hlc_receive_orders_after_remote_stamp() -> None:
    local = hlc_mod.Stamp(1000, 3, "a")
    remote = hlc_mod.Stamp(5000, 7, "b")
    merged = hlc_mod.receive(local, remote, now_ms=2000, device="a")
    assert merged > remote and merged.device == "a"
    assert hlc_mod.tick(merged, 1500, "a") > merged
    assert str(hlc_mod.Stamp.parse(str(merged))) == str(merged)


def test_a_write_is_stamped_after_what_another_connection_pulled(store: Store) -> None:
    """The app syncs on a connection of its own: a choice made after that pull (taking back
    a value a conflict left out) must be stamped after the values the pull brought."""
    person = make_person()
    store.save(person)
    worker = open_store(store.path, store.clock)
    later = hlc_mod.Stamp(int(store.clock.now().timestamp() * 1000) + 3_600_000, 0, "other")
    fields = {**person.row(), "phone": "13905800003"}
    with worker.transaction():
        worker.apply_remote(
            [
                Remote(
                    table="persons",
                    record_id=person.id,
                    fields=fields,
                    deleted=False,
                    hlc=str(later),
                    device_id="other",
                )
            ],
            {},
        )
    worker.close()
    store.save(person.revise(context=CTX, phone="13905800002"))
    assert hlc_mod.Stamp.parse(store.changes()[-1].hlc) > later


def test_contact_months_follow_every_kind_of_write(store: Store) -> None:
    person = make_person()
    store.save(person)

    def months() -> list[tuple[str, str, str]]:
        return [
            tuple(r)
            for r in store.db.execute(
                "SELECT kind, month, last_day FROM contact_months WHERE person_id = ? ORDER BY month",
                [person.id],
            )
        ]

    first = Visit.model_validate(
        {"person_id": person.id, "visit_date": "2026-10-03", "visitor": "王"}, context=CTX
    )
    second = first.revise(context=CTX, id="v2", visit_date="2026-10-20")
    store.save_many([first, second])
    assert months() == [("visit", "2026-10", "2026-10-20")]
    store.save(second.revise(context=CTX, visit_date="2026-11-02"))  # moved to another month
    assert months() == [("visit", "2026-10", "2026-10-03"), ("visit", "2026-11", "2026-11-02")]
    store.delete(Visit, first.id)  # a tombstone counts for nothing
    assert months() == [("visit", "2026-11", "2026-11-02")]
    with store.transaction():  # what a pull writes goes through the same triggers
        remote = Remote(
            table="visits",
            record_id="v3",
            fields={"person_id": person.id, "visit_date": "2026-09-09", "visitor": "李"},
            deleted=False,
            hlc=store.changes()[-1].hlc,
            device_id="other",
        )
        store.apply_remote([remote], {})
    assert months()[0] == ("visit", "2026-09", "2026-09-09")


def test_hlc_counter_never_outgrows_its_four_digits() -> None:
    # A stopped (or set back) clock and ten thousand saves in a row: a bulk import.
    stamp = None
    texts = []
    for _ in range(10_050):
        stamp = hlc_mod.tick(stamp, 1_000, "dev")
        texts.append(str(stamp))
    assert texts == sorted(texts) and len(set(texts)) == len(texts)
    assert all(len(t.split("-")[1]) == 4 for t in texts)
    assert hlc_mod.receive(hlc_mod.Stamp(5, 9999, "a"), hlc_mod.Stamp(5, 9999, "b"), 0, "a") == (
        hlc_mod.Stamp(6, 0, "a")
    )


def test_a_pulled_page_leaves_unsent_edits_and_pending_deletes_alone(store: Store) -> None:
    from db import outbox

    kept, gone, fresh = make_person(seq=101), make_person(seq=103), make_person(seq=105)
    store.save_many([kept, gone])
    outbox.record_acks(
        store, [outbox.Ack(c.seq, "accepted", None) for c in store.changes()], "t", None
    )
    store.save(kept.revise(context=CTX, phone="13905801111"))  # not pushed yet
    store.delete(Person, gone.id)  # not pushed yet
    stamp = "1763800000000-0000-server"

    def incoming(person: Person, version: int, **fields: object) -> Remote:
        data = {**person.model_dump(mode="json"), **fields}
        return Remote(
            table="persons",
            record_id=person.id,
            fields=data,
            deleted=False,
            hlc=stamp,
            device_id="other",
            version=version,
        )

    outbox.apply_page(
        store,
        [
            incoming(kept, 2, phone="13905802222", address="新地址"),
            incoming(gone, 3, address="别处"),
            incoming(fresh, 4, address="第一次"),
            incoming(fresh, 5, address="同一页里又改了"),  # twice in a page: the later wins
        ],
        [],
        5,
    )
    mine = store.get(Person, kept.id)
    assert mine is not None and (mine.phone, mine.address) == ("13905801111", "新地址")
    assert store.get(Person, gone.id) is None  # the delete is still on its way
    arrived = store.get(Person, fresh.id)
    assert arrived is not None and arrived.address == "同一页里又改了"
    sql = "SELECT record_id, version FROM record_versions WHERE table_name = 'persons'"
    versions = dict(store.db.execute(sql).fetchall())
    # Only pulls say what the laptop has seen; the acknowledgement of `gone` says nothing.
    assert versions == {kept.id: 2, fresh.id: 5}
    assert outbox.cursor(store) == 5
    assert store.pending_count() == 2  # pulling wrote no change-log entries


def test_only_refetchable_sync_work_commits_without_fsync(store: Store) -> None:
    def level() -> int:
        return int(store.db.execute("PRAGMA synchronous").fetchone()[0])

    full, normal = 2, 1
    assert level() == full  # every save survives a power cut
    with store.transaction(durable=False):
        assert level() == normal
    assert level() == full
    # Inside a durable unit, the whole unit stays durable.
    with store.transaction(), store.transaction(durable=False):
        assert level() == full
    with pytest.raises(RuntimeError), store.transaction(durable=False):
        raise RuntimeError
    assert level() == full


def test_need_counts_follow_every_write_and_are_built_for_older_files(
    tmp_path: Path, clock: Clock
) -> None:
    path = tmp_path / "p.db"
    store = open_store(path, clock)
    store.save(Village(id="330902112201", name="海星村"))
    person = make_person()
    store.save(person)
    now = clock.now()

    def counted() -> dict[NeedStatus, int]:
        rows = store.db.execute(
            "SELECT status, count(*) FROM elder_needs WHERE deleted = 0 "
            "AND status NOT IN ('resolved', 'unresolvable') GROUP BY status"
        ).fetchall()
        return {NeedStatus(s): n for s, n in rows}

    needs = []
    for kind in (NeedType.MEALS, NeedType.BATHING, NeedType.MEDICAL):
        need, first = ElderNeed.raise_new(
            at=now, staff="王", context=CTX, person_id=person.id, need_type=kind, raised_on=TODAY
        )
        store.save_many([need, first])
        needs.append(need)
    assert queries.need_counts(store) == counted() == {NeedStatus.PENDING: 3}
    moved, step = needs[0].advance(NeedStatus.IN_PROGRESS, at=now, staff="王")
    done, last = needs[1].advance(NeedStatus.IN_PROGRESS, at=now, staff="王")
    done, last2 = done.advance(NeedStatus.RESOLVED, at=now, staff="王", note="好了")
    store.save_many([moved, step, done, last, last2])
    store.delete(ElderNeed, needs[2].id)
    assert queries.need_counts(store) == counted() == {NeedStatus.IN_PROGRESS: 1}
    # A file from before the counts existed gets them built from its needs.
    store.db.execute("DROP TABLE need_counts")
    for name in ("insert", "update", "delete"):
        store.db.execute(f"DROP TRIGGER need_counts_{name}")
    store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm007_need_counts'")
    store.close()
    store = open_store(path, clock)
    assert queries.need_counts(store) == counted() == {NeedStatus.IN_PROGRESS: 1}
    store.close()


def test_a_migrated_profile_is_used_through_a_fresh_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under SQLCipher the connection that ran the migrations stays slow (every statement
    3-4x the CPU; bench/RESULTS.md), so open_store opens another once they ran."""
    from db import migrations as migrations_module
    from db import store as store_module

    migrated: list[Any] = []
    real = migrations_module.migrate

    def spy(db: Database, *args: Any, **kwargs: Any) -> Any:
        migrated.append(db.conn)
        return real(db, *args, **kwargs)

    monkeypatch.setattr(store_module, "migrate", spy)
    path = tmp_path / "p" / "civtui.db"
    new = store_module.open_store(path, Clock())
    try:
        assert len(migrated) == 1 and new.db.conn is not migrated[0]
        new.save(Village(id="330902112201", name="海星村", township="金塘镇"))
    finally:
        new.close()
    again = store_module.open_store(path, Clock())  # nothing to migrate: opened once
    again.close()
    assert len(migrated) == 1
