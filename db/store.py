"""The write API and record reads over one profile's SQLite file.

Every write goes through `Store.save`, `Store.save_many` or `Store.delete`, which
write the row and append its change-log entry in one transaction: either both
exist afterwards or neither does.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import typing
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from sqlite_utils import Database

from civtui.domain import hlc
from civtui.domain.batches import chunked
from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.domain.models import ContactRecord, Person, PersonEvent, Record
from civtui.domain.search import search_key
from db.connection import SYNCHRONOUS, DatabaseError, connect
from db.migrations import FACTS_BY_BATCH, migrate, pending, person_facts_by_batch

R = TypeVar("R", bound=Record)

#: Context under which stored rows are loaded: rules about "today" (no future
#: dates, child categories only for children) held when the row was written and
#: must not make an old or pulled row unreadable later.
STORED: dict[str, Any] = {"stored": True}
#: The meta key of the latest stamp pulled from the server (`hlc.local`'s `seen`).
SEEN_STAMP = "hlc_seen"


class RecordDeletedError(ValueError):
    """An edit to a record that has been deleted (it stays a tombstone)."""


class Remote(BaseModel):
    """A record as the server holds it, brought in by a pull. The protocol's PulledRecord is
    this class: what the server sends is written as it arrives."""

    model_config = ConfigDict(frozen=True)

    table: str
    record_id: str
    fields: dict[str, Any]
    deleted: bool
    hlc: str
    device_id: str
    #: The server's version of the record (0: not said).
    version: int = 0
    #: Each field (or the delete, `_deleted`) another change set than the record's own
    #: stamp: its (stamp, device), as the server holds them. Empty from a server that
    #: does not send them: every field is then credited to the record's stamp.
    stamps: dict[str, tuple[str, str]] = Field(default_factory=dict)

    def stamp_of(self, name: str) -> tuple[str, str]:
        """The stamp and device that set field `name` (or `_deleted`) on the server."""
        return self.stamps.get(name) or (self.hlc, self.device_id)


@dataclass(frozen=True)
class Change:
    """One change-log entry."""

    seq: int
    table_name: str
    record_id: str
    op: str
    fields: dict[str, Any]
    hlc: str
    device_id: str
    created_at: str
    status: str
    reason: str | None
    acked_at: str | None
    sync_run: int | None
    #: For an edit, each changed field's value before it (m017); None for a new record, a
    #: delete, or an entry written before it was kept.
    replaced: dict[str, Any] | None = None
    #: Once sent, the wall-clock time the server read its stamp at, where not the stamp's
    #: own (m021: a clock that ran ahead is read back); None otherwise.
    read_ms: int | None = None


@functools.cache
def _json_fields(kind: type[Record]) -> frozenset[str]:
    """Fields held as JSON text in their column (lists of choices).

    Kept per model: asked for every row read, and `typing.get_origin` over every field was
    a third of reading a ledger's 100,000 records."""
    return frozenset(
        name
        for name, info in kind.model_fields.items()
        if typing.get_origin(info.annotation) is list and name not in kind.not_stored
    )


#: Values held as JSON text in their column; a pulled value is of these classes exactly.
_JSON_VALUES = (list, dict)
_to_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_INDEX_NAME = (
    "INSERT INTO person_search (person_id, key) VALUES (?, ?) "
    "ON CONFLICT(person_id) DO UPDATE SET key = excluded.key"
)


def _millis(created_at: str) -> int | None:
    """A change-log time as milliseconds, None if it does not read as one."""
    try:
        return int(dt.datetime.fromisoformat(created_at).timestamp() * 1000)
    except ValueError:
        return None


def _to_column(value: Any) -> Any:
    if isinstance(value, _JSON_VALUES):
        return _to_json(value)
    return value


def _from_column(stored: Any, like: Any) -> Any:
    """A column's value as the wire would carry it, `like` being a value from the wire:
    a list held as JSON text is read back as a list."""
    if isinstance(like, list | dict) and isinstance(stored, str):
        try:
            return json.loads(stored)
        except ValueError:
            return stored
    return stored


class Store:
    """One profile's records. Not thread-safe: open one Store per thread."""

    def __init__(
        self, db: Database, path: Path, clock: Clock, device_id: str, key: bytes | None = None
    ) -> None:
        self.db = db
        self.path = path
        #: The profile's encryption key (None: a plain file); copies made of it use it too.
        self.key = key
        self.clock = clock
        self.device_id = device_id
        last = self.get_meta("hlc")
        self._last_stamp = hlc.Stamp.parse(last) if last else None
        self._column_cache: dict[str, list[str]] = {}
        self._pullable: dict[str, frozenset[str]] = {}
        self._statements: dict[tuple[str, str, tuple[str, ...]], str] = {}
        self._references: dict[str, list[tuple[str, str]]] = {}

    # -- meta ---------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute(
            "INSERT INTO meta(key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )

    def renew_device_id(self) -> str:
        """Take a new device id (see outbox.start_over_as_new_device)."""
        device_id = str(uuid.uuid4())
        with self.transaction():
            self.set_meta("device_id", device_id)
        self.device_id = device_id
        return device_id

    # -- writes -------------------------------------------------------------

    @contextmanager
    def transaction(self, *, durable: bool = True) -> Iterator[None]:
        """One atomic unit of work; nested use joins the outer transaction.

        durable=False is for what sync can fetch again if a power cut loses it (the server's
        acknowledgements, a pulled page and its cursor): still all or nothing, but no fsync,
        which on a slow laptop disk costs more than the work. A later durable commit makes
        it durable too (the WAL is written in order).
        """
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():  # a savepoint inside the outer transaction
                yield
            return
        if not durable:
            self.db.execute("PRAGMA synchronous=NORMAL")
        try:
            # IMMEDIATE, not sqlite-utils' deferred BEGIN: the app syncs on a second
            # connection, and a deferred transaction that read before the sync committed a
            # page could not write afterwards ("database is locked" at once, busy_timeout
            # or not). Taking the write lock first makes it wait its turn instead.
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        finally:
            if not durable:
                self.db.execute(f"PRAGMA synchronous={SYNCHRONOUS}")

    def save(self, record: Record, *, effective_on: dt.date | None = None) -> int | None:
        """Write `record` and its change-log entry; returns the entry's seq, None if unchanged.

        A person whose status or categories change gets the dated events saying so
        (`PersonEvent`), effective `effective_on` (default today), unless the same
        `save_many` brings its own. The caller checks the date (services.people)."""
        with self.transaction():
            return self._write(record, frozenset(), effective_on)

    def save_many(
        self, records: Iterable[Record], *, effective_on: dt.date | None = None
    ) -> list[int]:
        """Write several records in one transaction (a need and its status change, an import)."""
        batch = list(records)
        dated = frozenset(r.person_id for r in batch if isinstance(r, PersonEvent))
        with self.transaction():
            return [seq for r in batch if (seq := self._write(r, dated, effective_on)) is not None]

    def save_new(self, records: Iterable[Record]) -> int:
        """Write records of one kind that the file does not hold yet, in one transaction;
        returns how many were written.

        What `save_many` of the same records writes, row for row: the rows, their change-log
        entries, stamps and search keys. For a batch (an import's hundreds of new people) it
        is a few statements, not several per record: the rows, entries and keys each go in as
        one `executemany`, the file's clock is read once, and people's dashboard facts are
        built for the whole batch (m018) instead of by the insert trigger person by person.
        A batch with a record the file holds already, or one id twice, is `save_many`'s.
        """
        given = list(records)
        if not given:
            return 0
        kind = type(given[0])
        if any(type(r) is not kind for r in given):
            raise ValueError("save_new writes records of one kind at a time")
        with self.transaction():
            ids = [r.id for r in given]
            if len(set(ids)) < len(ids) or self.present((kind.table, i) for i in ids):
                return len(self.save_many(given))
            batch = [self._mark_late(r, None) for r in given]
            rows: list[list[Any]] = []
            entries: list[tuple[Any, ...]] = []
            names: list[tuple[str, str]] = []
            seen, previous_ms = self._stamp_inputs()
            columns: list[str] = []
            for record in batch:
                values = record.row()
                stamp = str(self._stamp_after(seen, previous_ms))
                row = {
                    k: _to_json(v) if v.__class__ in _JSON_VALUES else v for k, v in values.items()
                }
                row.update(updated_at=self._now_text(), device_id=self.device_id, hlc=stamp)
                row["deleted"] = 0
                columns = columns or list(row)
                rows.append(list(row.values()))
                created_at = self._now_text()
                fields = json.dumps(values, ensure_ascii=False, separators=(",", ":"))
                entries.append((kind.table, record.id, fields, stamp, self.device_id, created_at))
                previous_ms = _millis(created_at)
                if kind is Person:
                    names.append((record.id, search_key(str(values["name"]))))
            conn = self.db.conn
            if kind is Person:
                conn.executemany(f"INSERT INTO {FACTS_BY_BATCH} VALUES (?)", [[i] for i in ids])
            conn.executemany(self._statement("insert", kind.table, tuple(columns)), rows)
            if kind is Person:
                for sql in person_facts_by_batch():
                    conn.execute(sql)
            conn.executemany(_INDEX_NAME, names)
            conn.executemany(
                "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, "
                "created_at) VALUES (?, ?, 'upsert', ?, ?, ?, ?)",
                entries,
            )
            self.set_meta("hlc", str(self._last_stamp))
        return len(batch)

    def delete(self, kind: type[Record], record_id: str) -> int:
        """Turn the record into a tombstone and log the delete."""
        with self.transaction():
            existing = self._row(kind.table, record_id)
            if existing is None:
                raise KeyError((kind.table, record_id))
            stamp = self._next_stamp()
            self.db.execute(
                f"UPDATE [{kind.table}] SET deleted = 1, updated_at = ?, device_id = ?, hlc = ? "
                "WHERE id = ?",
                [self._now_text(), self.device_id, str(stamp), record_id],
            )
            return self._append_change(kind.table, record_id, "delete", {}, stamp)

    def _write(
        self, record: Record, dated: frozenset[str], effective_on: dt.date | None = None
    ) -> int | None:
        kind = type(record)
        existing = self._row(kind.table, record.id)
        record = self._mark_late(record, existing)
        values = record.row()
        replaced: dict[str, Any] | None = None
        if existing is None:
            changed = values
        else:
            if existing["deleted"]:
                raise RecordDeletedError(
                    f"这条记录已被删除，不能再修改（{kind.table} {record.id}）"
                )
            old = self._decode(kind, existing)
            changed = {k: v for k, v in values.items() if old.get(k) != v}
            if not changed:
                return None
            replaced = {k: old.get(k) for k in changed}
        stamp = self._next_stamp()
        columns = {k: _to_column(v) for k, v in values.items()}
        columns.update(
            updated_at=self._now_text(), device_id=self.device_id, hlc=str(stamp), deleted=0
        )
        names = ", ".join(f"[{c}]" for c in columns)
        marks = ", ".join("?" for _ in columns)
        updates = ", ".join(f"[{c}] = excluded.[{c}]" for c in columns if c != "id")
        self.db.execute(
            f"INSERT INTO [{kind.table}] ({names}) VALUES ({marks}) "
            f"ON CONFLICT(id) DO UPDATE SET {updates}",
            list(columns.values()),
        )
        if kind is Person and "name" in changed:
            self._index_name(record.id, str(values["name"]))
        seq = self._append_change(kind.table, record.id, "upsert", changed, stamp, replaced)
        if (
            isinstance(record, Person)
            and existing is not None
            and record.id not in dated
            and {"status", "categories"} & changed.keys()
        ):
            before = self.load(Person, existing)
            on = effective_on or self.clock.today()
            for event in PersonEvent.between(before, record, on):
                self._write(event, dated)
        return seq

    def _mark_late(self, record: R, existing: dict[str, Any] | None) -> R:
        """A visit or check dated in a month its village has closed is 补录 (entered late):
        the month's report stands, and the entry is counted beside it, not in it."""
        if not isinstance(record, ContactRecord):
            return record
        day = record.day
        if existing is not None and existing[record.contact_day] == day.isoformat():
            return record
        closed = self.db.execute(
            "SELECT 1 FROM month_reports r JOIN persons p ON p.village_code = r.village_code "
            "WHERE p.id = ? AND r.month = ? AND r.deleted = 0",
            [record.person_id, day.replace(day=1).isoformat()],
        ).fetchone()
        return record.model_copy(update={"late": closed is not None})

    def _index_name(self, person_id: str, name: str) -> None:
        self.db.execute(_INDEX_NAME, [person_id, search_key(name)])

    def _append_change(
        self,
        table: str,
        record_id: str,
        op: str,
        fields: dict[str, Any],
        stamp: hlc.Stamp,
        replaced: dict[str, Any] | None = None,
    ) -> int:
        """Log one change; `replaced`, an edit's fields as they were, is for its history
        only (never sent: the server merges field by field on stamps)."""
        cursor = self.db.execute(
            "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, created_at, "
            "replaced) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                table,
                record_id,
                op,
                json.dumps(fields, ensure_ascii=False, separators=(",", ":")),
                str(stamp),
                self.device_id,
                self._now_text(),
                None
                if replaced is None
                else json.dumps(replaced, ensure_ascii=False, separators=(",", ":")),
            ],
        )
        self.set_meta("hlc", str(stamp))
        seq = cursor.lastrowid
        assert seq is not None
        return seq

    def _next_stamp(self) -> hlc.Stamp:
        seen, previous_ms = self._stamp_inputs()
        return self._stamp_after(seen, previous_ms)

    def _stamp_inputs(self) -> tuple[hlc.Stamp | None, int | None]:
        """What the next stamp is taken after, as the file holds it: the latest stamp pulled,
        and the clock as it read at the previous change."""
        # The app syncs on a connection of its own: the stamps that sync took in are in the
        # file, not in this object. Without them, a choice made after a pull (the value a
        # conflict left out, taken back) could be stamped before the value it replaces.
        stored = self.get_meta("hlc")
        if stored and (self._last_stamp is None or str(self._last_stamp) < stored):
            self._last_stamp = hlc.Stamp.parse(stored)
        seen = self.get_meta(SEEN_STAMP)
        # The clock as it read at the previous change: a jump back from it is a clock set
        # right (`hlc.local`).
        previous = self.db.execute(
            "SELECT created_at FROM changes ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return (hlc.Stamp.parse(seen) if seen else None), (
            None if previous is None else _millis(previous[0])
        )

    def _stamp_after(self, seen: hlc.Stamp | None, previous_ms: int | None) -> hlc.Stamp:
        now_ms = int(self.clock.now().timestamp() * 1000)
        # A stamp taken by a transaction that rolls back is simply never used;
        # stamps only need to grow, not to be contiguous.
        self._last_stamp = hlc.local(self._last_stamp, seen, now_ms, self.device_id, previous_ms)
        return self._last_stamp

    def _now_text(self) -> str:
        return self.clock.now().isoformat(timespec="milliseconds")

    # -- what sync brings in ----------------------------------------------------

    def apply_remote(
        self, records: Sequence[Remote], keep: Mapping[tuple[str, str], frozenset[str]]
    ) -> None:
        """Write records as the server has them, except the fields in `keep` (unsent local edits).

        No change-log entries: these changes came from the server. What each record changed
        here (the fields whose value differs from the row as this laptop held it, old and new)
        goes to `pulled_changes` for its history, a step per stamp that set them (the
        field's own where the server sent it, `Remote.stamps`, else the record's); the
        fields kept local are not among them. Call inside a transaction. A pulled page is
        hundreds of records: the rows they replace are read once per table, and the clock
        is stored once, so the statements are the rows themselves.
        """
        here = self._rows_here(records)
        now = self._now_text()
        steps: list[tuple[str, str, str, str, str, str, str]] = []
        names: list[tuple[str, str]] = []
        # Rows in a row with the same statement go to SQLite as one executemany, in their
        # order: a first pull is thousands of records of a few shapes.
        run: list[Any] = [None, []]

        def write(sql: str, params: list[Any]) -> None:
            if sql != run[0]:
                flush()
                run[0] = sql
            run[1].append(params)

        def flush() -> None:
            if run[1]:
                self.db.conn.executemany(run[0], run[1])
            run[:] = [None, []]

        for rec in records:
            key = (rec.table, rec.record_id)
            skip = keep.get(key, frozenset())
            columns = self._column_set(rec.table)
            wire = rec.fields
            values = {
                k: _to_json(v) if v.__class__ in _JSON_VALUES else v
                for k, v in wire.items()
                if k in columns and k not in skip
            }
            existing = here.get(key)
            was_deleted = bool(existing and existing["deleted"])
            meta = {
                "updated_at": now,
                "device_id": rec.device_id,
                "hlc": rec.hlc,
                "deleted": 1 if rec.deleted or was_deleted else 0,
            }
            if existing is None:
                row = {**values, "id": rec.record_id, **meta}
                write(self._statement("insert", rec.table, tuple(row)), list(row.values()))
                here[key] = row
                # The record itself shows what it was created with, by whoever created it:
                # the earliest of its fields' stamps (a new record is sent whole, and its
                # id is never set again, though on the wire it is left out). A field
                # another change set since is a step of its own, with its new value only:
                # what it replaced never reached this laptop.
                made, by = (rec.hlc, rec.device_id)
                if rec.stamps:
                    made, by = min(map(rec.stamp_of, values), default=(made, by))
                steps.append((rec.table, rec.record_id, "insert", "{}", made, by, now))
                later: dict[tuple[str, str], dict[str, list[Any]]] = {}
                for k in values if rec.stamps else ():
                    if rec.stamp_of(k) != (made, by) and k != "id":
                        later.setdefault(rec.stamp_of(k), {})[k] = [wire[k]]
                for (stamp, writer), fields in later.items():
                    steps.append(
                        (rec.table, rec.record_id, "update", _to_json(fields), stamp, writer, now)
                    )
            else:
                row = {**values, **meta}
                row.pop("id", None)
                write(
                    self._statement("update", rec.table, tuple(row)),
                    [*row.values(), rec.record_id],
                )
                changed = {
                    k: [_from_column(existing.get(k), wire[k]), wire[k]]
                    for k, v in values.items()
                    if k != "id" and existing.get(k) != v
                }
                existing.update(row)
                # One step per change that set them, each by its own stamp: two laptops
                # that edited different fields since this laptop's last pull are two
                # steps, not one credited to whichever wrote last.
                groups: dict[tuple[str, str], dict[str, list[Any]]] = {}
                for k, pair in changed.items():
                    groups.setdefault(rec.stamp_of(k), {})[k] = pair
                deleting = bool(meta["deleted"]) and not was_deleted
                gone = rec.stamp_of("_deleted")
                if deleting:
                    groups.setdefault(gone, {})
                for (stamp, by), fields in groups.items():
                    op = "delete" if deleting and (stamp, by) == gone else "update"
                    steps.append((rec.table, rec.record_id, op, _to_json(fields), stamp, by, now))
            if rec.table == Person.table and "name" in values:
                names.append((rec.record_id, search_key(str(values["name"]))))
        flush()
        # In page order, so a person's latest name is the one indexed.
        self.db.conn.executemany(_INDEX_NAME, names)
        if steps:
            self.db.conn.executemany(
                # The same stamp twice is the same change pulled again.
                "INSERT OR IGNORE INTO pulled_changes (table_name, record_id, op, fields, hlc, "
                "device_id, pulled_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                steps,
            )
        if records:
            # The latest stamp pulled is past them all: stamps as text sort in order. Kept
            # apart from this laptop's own (meta "hlc"), which `hlc.local` may forget when
            # the clock is set right; what was seen from others is never forgotten.
            newest = max(rec.hlc for rec in records)
            seen = self.get_meta(SEEN_STAMP)
            if seen is None or seen < newest:
                self.set_meta(SEEN_STAMP, newest)

    def _statement(self, op: str, table: str, columns: tuple[str, ...]) -> str:
        """The INSERT or UPDATE (by id) of these columns of `table`, made once."""
        key = (op, table, columns)
        sql = self._statements.get(key)
        if sql is None:
            if op == "insert":
                names = ", ".join(f"[{c}]" for c in columns)
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO [{table}] ({names}) VALUES ({marks})"
            else:
                sets = ", ".join(f"[{c}] = ?" for c in columns)
                sql = f"UPDATE [{table}] SET {sets} WHERE id = ?"
            self._statements[key] = sql
        return sql

    def _rows_here(self, records: Sequence[Remote]) -> dict[tuple[str, str], dict[str, Any]]:
        """The rows these records will replace, as this laptop holds them now; a few
        queries per table, whatever the page's size."""
        ids: dict[str, list[str]] = {}
        for rec in records:
            ids.setdefault(rec.table, []).append(rec.record_id)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        for table, wanted in ids.items():
            for chunk in chunked(wanted):
                marks = ", ".join("?" for _ in chunk)
                cursor = self.db.execute(f"SELECT * FROM [{table}] WHERE id IN ({marks})", chunk)
                names = [d[0] for d in cursor.description]
                for values in cursor:
                    row = dict(zip(names, values, strict=True))
                    found[(table, row["id"])] = row
        return found

    def _column_set(self, table: str) -> frozenset[str]:
        """Columns a pulled record may set; the sync bookkeeping columns are the store's."""
        if table not in self._pullable:
            bookkeeping = {"updated_at", "device_id", "hlc", "deleted"}
            self._pullable[table] = frozenset(self._columns(table)) - bookkeeping
        return self._pullable[table]

    def references(self, table: str) -> list[tuple[str, str]]:
        """(column, table it names) of each foreign key of `table`, as the file declares them."""
        if table not in self._references:
            self._references[table] = [
                (str(r[3]), str(r[2]))
                for r in self.db.execute(f"PRAGMA foreign_key_list([{table}])")
            ]
        return self._references[table]

    def present(self, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (table, id) records this file holds, tombstones included."""
        ids: dict[str, list[str]] = {}
        for table, record_id in set(keys):
            ids.setdefault(table, []).append(record_id)
        found: set[tuple[str, str]] = set()
        for table, wanted in ids.items():
            for chunk in chunked(wanted):
                marks = ", ".join("?" for _ in chunk)
                for (record_id,) in self.db.execute(
                    f"SELECT id FROM [{table}] WHERE id IN ({marks})", chunk
                ):
                    found.add((table, str(record_id)))
        return found

    def _columns(self, table: str) -> list[str]:
        if table not in self._column_cache:
            self._column_cache[table] = [
                str(r[1]) for r in self.db.execute(f"PRAGMA table_info([{table}])")
            ]
        return self._column_cache[table]

    # -- reads --------------------------------------------------------------

    def _row(self, table: str, record_id: str) -> dict[str, Any] | None:
        rows = list(self.db.query(f"SELECT * FROM [{table}] WHERE id = ?", [record_id]))
        return rows[0] if rows else None

    @staticmethod
    def _decode(kind: type[Record], row: dict[str, Any]) -> dict[str, Any]:
        data = dict(row)
        for name in _json_fields(kind):
            if isinstance(data.get(name), str):
                data[name] = json.loads(data[name])
        return data

    def load(self, kind: type[R], row: dict[str, Any]) -> R:
        """A stored row as its domain model."""
        return kind.model_validate(self._decode(kind, row), context=STORED)

    def get(self, kind: type[R], record_id: str) -> R | None:
        """The live record with this id; None if missing or deleted."""
        row = self._row(kind.table, record_id)
        if row is None or row["deleted"]:
            return None
        return self.load(kind, row)

    def all(
        self,
        kind: type[R],
        where: str = "",
        params: Sequence[Any] = (),
        order_by: str = "rowid",
    ) -> list[R]:
        """Live records of `kind`, optionally filtered by a SQL condition on its columns."""
        condition = "deleted = 0" + (f" AND ({where})" if where else "")
        sql = f"SELECT * FROM [{kind.table}] WHERE {condition} ORDER BY {order_by}"
        return [self.load(kind, row) for row in self.db.query(sql, list(params))]

    def count(self, kind: type[Record]) -> int:
        row = self.db.execute(f"SELECT count(*) FROM [{kind.table}] WHERE deleted = 0").fetchone()
        return int(row[0])

    # -- the change log -----------------------------------------------------

    def changes(self, status: str | None = "pending") -> list[Change]:
        """Change-log entries in sequence order, by default only those not yet synced."""
        sql = "SELECT * FROM changes" + (" WHERE status = ?" if status else "") + " ORDER BY seq"
        rows = self.db.query(sql, [status] if status else [])
        return [
            Change(
                **{
                    **r,
                    "fields": json.loads(r["fields"]),
                    "replaced": json.loads(r["replaced"]) if r["replaced"] else None,
                }
            )
            for r in rows
        ]

    def pending_count(self) -> int:
        row = self.db.execute("SELECT count(*) FROM changes WHERE status = 'pending'").fetchone()
        return int(row[0])

    def close(self) -> None:
        self.db.close()


def open_store(path: Path, clock: Clock = SYSTEM_CLOCK, key: bytes | None = None) -> Store:
    """Open the profile database at `path` with `key`, creating and migrating it as needed.

    Profiles are opened through civtui.services.keys.open_store, which finds the key.
    """
    try:
        db = connect(path, key)
        if pending(db):
            migrate(db, path, clock.now(), key)
            # Under SQLCipher the connection that ran the migrations stays slow: every later
            # statement on it cost 3-4x the CPU of one on a fresh connection (a new laptop's
            # first pull of 11,000 records: 2.2-2.7 s of CPU instead of 1.3-1.5 s). The
            # cause is inside the library; a new connection does not have it.
            db.close()
            db = connect(path, key)
    except DatabaseError as exc:
        raise type(exc)(f"无法打开数据文件 {path}：{exc}") from exc
    if db.execute("SELECT 1 FROM meta WHERE key = ?", [NAMES_INDEXED]).fetchone() is None:
        index_missing_names(db)
        with db.atomic():
            db.execute("INSERT INTO meta(key, value) VALUES (?, '1')", [NAMES_INDEXED])
    device = db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    if device is None:
        device_id = str(uuid.uuid4())
        with db.atomic():
            db.execute("INSERT INTO meta(key, value) VALUES ('device_id', ?)", [device_id])
    else:
        device_id = str(device[0])
    return Store(db, path, clock, device_id, key)


#: Set once every person has a search key. Every write of a person keeps its key, so
#: looking for people without one is needed once, not at every start: on 50,000 people
#: it read the whole persons table, ≈0.3 s of every start plain and twice that encrypted.
NAMES_INDEXED = "names_indexed"


def index_missing_names(db: Database) -> None:
    """Search keys for people who have none: those of a profile from before the index
    (migration m002 makes the table, the keys are today's code's to compute)."""
    rows = db.execute(
        "SELECT id, name FROM persons p "
        "WHERE NOT EXISTS (SELECT 1 FROM person_search s WHERE s.person_id = p.id)"
    ).fetchall()
    if rows:
        with db.atomic():
            db.conn.executemany(
                "INSERT INTO person_search (person_id, key) VALUES (?, ?)",
                [(pid, search_key(name or "")) for pid, name in rows],
            )
