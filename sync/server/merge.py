"""Applying pushed changes and answering pulls: the server side of sync.

Each field of each record carries the stamp that last set it: (HLC, device,
server version). An incoming value wins when its stamp is later; when the two
writes were concurrent (the device had not seen the other value), the losing
value is kept in `conflicts`. Deletes are tombstones, and an edit never brings
a deleted record back.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

from pydantic import ValidationError
from pydantic_core import from_json
from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)

from civtui.domain.batches import chunked
from civtui.domain.clock import CHINA_TZ
from civtui.domain.hlc import MAX_COUNTER, Stamp, tick
from civtui.domain.models import RECORD_TYPES, SYNCED_TYPES, Record, Synced, sync_spec
from sync import protocol
from sync.protocol import (
    Change,
    ChangeResult,
    Code,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
    Status,
)
from sync.server import storage
from sync.server.storage import (
    change_results,
    conflicts,
    counters,
    devices,
    former_ids,
    records,
    tokens,
)
from sync.server.tokens import Identity

_STORED = {"stored": True}
#: The device name in the stamps of what the server writes itself.
SERVER_DEVICE = "server"


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class DeviceOwnedError(PermissionError):
    """A device id already used with another staff member's token."""


class SequenceReusedError(ValueError):
    """A device sent a change under a seq the server already applied for a different change.

    Only a device restored from an older copy of its database does that; answering such a
    change as "already applied" would drop it without a word."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"seq {seq} was already applied for another change")
        self.seq = seq


class SequenceGapError(ValueError):
    """A known device sent changes that start after a gap: the server has lost some of its
    changes (restored from a backup). The device sends everything after `applied_through`."""

    def __init__(self, applied_through: int) -> None:
        super().__init__(f"the server holds this device's changes up to {applied_through}")
        self.applied_through = applied_through


class Rejected(Exception):  # noqa: N818 - a verdict, not a failure of the server
    """A change the server refuses, and the reason the device is told."""

    def __init__(self, code: Code, **params: Any) -> None:
        super().__init__(code.value)
        self.reason = Reason.of(code, **params)


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass
class _Row:
    """A record as the server holds it, while a push works on it.

    Its data and stamps stay JSON text until something reads them: most rows a push
    loads are the people its visits belong to, wanted only for their village.
    """

    table: str
    record_id: str
    village: str | None
    data_json: str
    stamps_json: str
    deleted: bool
    exists: bool
    #: Set once the push changed it: (version, stamp, device) of the last change.
    written: tuple[int, str, str] | None = None
    #: Another device's value was on it, though its stamps may name one device only: a
    #: laptop may still hold that value (`_sole_writer`).
    shared: bool = False

    @cached_property
    def data(self) -> dict[str, Any]:
        value: dict[str, Any] = from_json(self.data_json)
        return value

    @cached_property
    def stamps(self) -> dict[str, list[Any]]:
        value: dict[str, list[Any]] = from_json(self.stamps_json)
        return value


def _by_key(conn: Connection, columns: str, keys: list[tuple[str, str]]) -> Iterator[Any]:
    """`columns` of the records with these (table, record id) keys.

    Straight through the driver, as `_bulk` writes: SQLAlchemy names and binds each id of
    an IN list anew at every execution."""
    if not keys:
        return
    if conn.dialect.name == "postgresql":
        # One probe of the primary key per key, whatever the planner believes of the table.
        # `table_name = ? AND record_id IN (...)` let it choose by its statistics, and on a
        # table that grew since they were taken (a new server's first syncs: autovacuum
        # analyses a minute later) it read every row of the kind and filtered the ids,
        # a cost that grew with the table, paid by each push under the version lock. The
        # lateral subquery (kept apart by OFFSET 0) can only be an index lookup.
        sql = (
            f"SELECT {columns} FROM unnest(%s::text[], %s::text[]) AS k(t, id) "
            f"CROSS JOIN LATERAL (SELECT {columns} FROM records "
            "WHERE table_name = k.t AND record_id = k.id OFFSET 0) AS r"
        )
        tables, ids = zip(*keys, strict=True)
        yield from conn.exec_driver_sql(sql, (list(tables), list(ids)))
        return
    # Not `(table_name, record_id) IN (...)`: SQLite answers that with a full scan.
    by_table: dict[str, list[str]] = {}
    for table, record_id in keys:
        by_table.setdefault(table, []).append(record_id)
    for table, wanted in by_table.items():
        for chunk in chunked(wanted):
            sql = (
                f"SELECT {columns} FROM records "
                f"WHERE table_name = ? AND record_id IN ({_marks(len(chunk))})"
            )
            yield from conn.exec_driver_sql(sql, (table, *chunk))


def _native(conn: Connection, sql: str) -> str:
    """`sql`, written with ? placeholders, in the driver's own: only that differs between
    SQLite (?) and psycopg (%s)."""
    return sql if conn.dialect.paramstyle == "qmark" else sql.replace("?", "%s")


class _WorkingSet:
    """The records one push reads and writes, loaded in bulk and written back in bulk.

    Statements, not rows, are what cost time on the server: a batch of a thousand
    changes is read with a few queries and written with a few more.
    """

    def __init__(self, conn: Connection, former: FormerIds | None = None) -> None:
        self.conn = conn
        self.rows: dict[tuple[str, str], _Row] = {}
        self.places: dict[tuple[str, str], str | None] = {}
        self.conflicts: list[dict[str, Any]] = []
        #: The ids the pushing laptop gave up (none for the server's own writes).
        self.former = former or FormerIds("", frozenset())

    def preload(self, keys: set[tuple[str, str]]) -> None:
        wanted = [k for k in keys if k not in self.rows]
        read = "table_name, record_id, village_code, data, stamps, deleted, sole_device"
        for table, record_id, village, data, stamps, deleted, sole in _by_key(
            self.conn, read, wanted
        ):
            self.rows[(table, record_id)] = _Row(
                table, record_id, village, data, stamps, bool(deleted), True, shared=sole is None
            )
        for table, record_id in wanted:
            self.rows.setdefault(
                (table, record_id), _Row(table, record_id, None, "{}", "{}", False, False)
            )

    def load(self, table: str, record_id: str) -> _Row:
        key = (table, record_id)
        if key not in self.rows:
            self.preload({key})
        return self.rows[key]

    def preload_places(self, keys: set[tuple[str, str]]) -> None:
        """Where the parents of a push's records live: village only, no data."""
        wanted = [k for k in keys if k not in self.rows and k not in self.places]
        read = "table_name, record_id, village_code"
        for table, record_id, village in _by_key(self.conn, read, wanted):
            self.places[(table, record_id)] = village

    def place(self, table: str, record_id: str) -> tuple[bool, str | None]:
        """Whether the record is on the server (or written in this push), and its village."""
        key = (table, record_id)
        row = self.rows.get(key)
        if row is not None:
            return row.exists or row.written is not None, row.village
        if key not in self.places:
            self.preload_places({key})
        if key in self.places:
            return True, self.places[key]
        return False, None

    def flush(self) -> None:
        new: list[tuple[Any, ...]] = []
        old: list[tuple[Any, ...]] = []
        for row in self.rows.values():
            if row.written is None:
                continue
            version, stamp, device = row.written
            values = (
                row.village,
                protocol.compact_json(row.data),
                protocol.compact_json(row.stamps),
                row.deleted,
                version,
                stamp,
                device,
                _sole_writer(row),
                row.table,
                row.record_id,
            )
            (old if row.exists else new).append(values)
        if new:
            _insert(self.conn, "records", _RECORD_COLUMNS, new)
        if old:
            _bulk(self.conn, _UPDATE_RECORD, old)
        # A loss the server holds already (put back by a laptop after a restore, then made
        # again by the losing change sent again) is the same conflict: a second one would
        # stay open beside it, or open again what a person closed.
        held = _losses_held(self.conn, self.conflicts)
        self.conflicts = [c for c in self.conflicts if _loss(c) not in held]
        if self.conflicts:
            _insert_conflicts(self.conn, self.conflicts)


def _insert_conflicts(conn: Connection, made: list[dict[str, Any]]) -> None:
    """Insert new conflicts, each given its id here.

    Numbered as versions are, at least their version (the wall clock): a server restored
    from a copy would otherwise give new conflicts ids its laptops hold for others, which
    they would store over those, and a resolution of one of those would close the new one.
    Pushes write one at a time (`_lock_version`)."""
    last = conn.execute(select(func.max(conflicts.c.id))).scalar() or 0
    for conflict in made:
        last = max(last + 1, conflict["version"])
        conflict["id"] = last
    conn.execute(insert(conflicts), made)


_WRITTEN = "village_code, data, stamps, deleted, version, hlc, device_id, sole_device"
_RECORD_COLUMNS = f"{_WRITTEN}, table_name, record_id"
_UPDATE_RECORD = (
    "UPDATE records SET "
    + ", ".join(f"{column} = ?" for column in _WRITTEN.split(", "))
    + " WHERE table_name = ? AND record_id = ?"
)
_RESULT_COLUMNS = "device_id, seq, status, reason, version, fingerprint"


def _insert(conn: Connection, table: str, columns: str, rows: list[tuple[Any, ...]]) -> None:
    """Insert `rows` (values in the order of `columns`) in one go.

    On PostgreSQL by COPY: an INSERT per row, even pipelined by executemany, cost the
    server about 50 µs of its own CPU per row in the driver (two rows per pushed change:
    the record and its result), and every push does it while holding the version lock
    (`_lock_version`), so it was time no other push could use. COPY streams the rows in
    one statement. On SQLite, an executemany of one prepared INSERT."""
    if conn.dialect.name == "postgresql":
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    marks = _marks(len(columns.split(", ")))
    _bulk(conn, f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _bulk(conn: Connection, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """`sql`, written with ? placeholders, once per row, straight through the driver.

    A push writes thousands of rows in a few statements; SQLAlchemy's handling of each
    row's parameters took a third of the time the writes themselves did."""
    conn.exec_driver_sql(_native(conn, sql), rows)


def _loss(conflict: Mapping[str, Any]) -> tuple[str, str, str, str, str]:
    """What a conflict is, whatever its id: the losing change's value of one field, named
    by its record, field, device and stamp. The same loss made again (its change sent again
    to a server restored from a copy) is the same conflict.

    The stamp as its laptop made it (`lost_made`, where the server read it back), not as
    read back (`lost_hlc`): an ahead laptop's stamp is read back by how far its clock runs
    ahead as each push leaves, which may differ between the first send and the one after a
    restore; as made, it is the same at every send."""
    return (
        str(conflict["table_name"]),
        str(conflict["record_id"]),
        str(conflict["field"]),
        str(conflict["lost_device"]),
        str(conflict.get("lost_made") or conflict["lost_hlc"]),
    )


def _losses_held(
    conn: Connection, found: list[dict[str, Any]]
) -> dict[tuple[str, str, str, str, str], tuple[int, bool]]:
    """Of these conflicts' losses (`_loss`), those the server holds: each one's id, and
    whether it is open."""
    if not found:
        return {}
    wanted = {_loss(c) for c in found}
    held: dict[tuple[str, str, str, str, str], tuple[int, bool]] = {}
    for row in conn.execute(
        select(conflicts).where(conflicts.c.record_id.in_(sorted({key[1] for key in wanted})))
    ):
        key = _loss(dict(row._mapping))
        if key in wanted:
            held.setdefault(key, (int(row.id), row.resolved_version is None))
    return held


def _sole_writer(row: _Row) -> str | None:
    """The device that wrote every field of the record, if there is just one and no other
    device's value was ever on it: a pull leaves such a record out for that device.

    Stamps alone do not say it. A server restored from a copy forgets what other laptops
    wrote, and a laptop holds it still: when that laptop's own change comes again and the
    other's, sent again too, loses to it (a clock read back, `_Clamp`), every stamp is the
    first laptop's while it holds the other's value, which a pull must replace. Once shared,
    a record stays so: its echo costs a pulled row, a missed one a laptop that differs."""
    if row.shared:
        return None
    writers = {stamp[1] for stamp in row.stamps.values()}
    return writers.pop() if len(writers) == 1 else None


#: Where records a change names are: (table, id) -> (on the server, its village).
Places = Mapping[tuple[str, str], tuple[bool, str | None]]


def _village_of(places: Places, spec: Synced, data: dict[str, Any]) -> str | None:
    """The village a record belongs to: its own field's, else its parent's on the server."""
    if spec.village is not None:
        value = data.get(spec.village)
        if isinstance(value, list):
            value = value[0] if value else None
        return str(value) if value else None
    assert spec.parent is not None, "a synced kind names its village or its parent"
    key, parent_table = spec.parent
    there, village = places[(parent_table, str(data.get(key)))]
    if not there:
        raise Rejected(Code.PARENT_MISSING, table=parent_table, id=str(data.get(key)))
    return village


def _check_access(
    row: _Row, after: str | None, allowed: frozenset[str], spec: Synced, data: dict[str, Any]
) -> None:
    if row.exists and row.village not in allowed:
        raise Rejected(Code.OUTSIDE_VILLAGES, village=row.village)
    if after is None:
        raise Rejected(Code.VILLAGE_UNKNOWN)
    if after not in allowed:
        raise Rejected(Code.OUTSIDE_VILLAGES, village=after)
    # A record naming several villages (a staff member's) needs every one of them covered.
    named = data.get(spec.village) if spec.village else None
    outside = set(map(str, named)) - allowed if isinstance(named, list) else set()
    if outside:
        raise Rejected(Code.STAFF_VILLAGES, villages=sorted(outside))


def _named(spec: Synced) -> tuple[tuple[str, str], ...]:
    """(field, table) of every record a kind names: its parent, and what it refers to."""
    return ((spec.parent,) if spec.parent else ()) + spec.refers


def _check_references(
    places: Places, spec: Synced, data: dict[str, Any], village: str | None
) -> None:
    """Every record it names is on the server, in its own village: what a laptop of that
    village pulls never names a record it cannot have."""
    for field, table in spec.refers:
        named = data.get(field)
        if named is None:
            continue
        there, elsewhere = places[(table, str(named))]
        if not there:
            raise Rejected(Code.PARENT_MISSING, table=table, id=str(named))
        if elsewhere != village:
            raise Rejected(Code.REFERENCE_ELSEWHERE, table=table, id=str(named), village=elsewhere)


@cache
def _fields(table: str) -> tuple[frozenset[str], frozenset[str]]:
    """The fields a kind has (computed ones too), and those it cannot be made without.

    Asked for every pushed change, which built both sets of names anew each time."""
    kind = RECORD_TYPES[table]
    known = frozenset(kind.model_fields) | frozenset(kind.model_computed_fields)
    required = {name for name, info in kind.model_fields.items() if info.is_required()}
    return known, frozenset(required - {"id"})


def _validate(
    table: str, data: dict[str, Any], changed: dict[str, Any], before: Mapping[str, Any]
) -> None:
    kind = RECORD_TYPES[table]
    unknown = changed.keys() - _fields(table)[0]
    if unknown:
        raise Rejected(Code.UNKNOWN_FIELDS, table=table, fields=sorted(unknown))
    # What the server held was checked when it came; a value a device changes now meets
    # every rule for new values (an ID's sequence 000), as it would on the laptop.
    new = frozenset(k for k, v in changed.items() if k not in before or before[k] != v)
    try:
        kind.model_validate(data, context={**_STORED, "changed": new})
    except ValidationError as exc:
        from civtui.domain.errors import explain

        # The domain's rules say what is wrong in both languages; the device picks one.
        problems = [
            {"field": zh.field, "zh": zh.message, "en": en.message}
            for zh, en in zip(explain(exc, kind, "zh"), explain(exc, kind, "en"), strict=True)
        ]
        raise Rejected(Code.INVALID, table=table, problems=problems) from None


def _merge(
    data: dict[str, Any],
    stamps: dict[str, list[Any]],
    change: Change,
    stamp: Stamp,
    device: str,
    version: int,
    made: Stamp | None = None,
) -> list[dict[str, Any]]:
    """Fold one upsert into `data` and `stamps`, field by field; returns every losing
    concurrent value. `made` is the stamp as the laptop made it, when the server read it
    back (`_Clamp`)."""
    text = str(stamp)
    found: list[dict[str, Any]] = []
    for name, value in change.fields.items():
        current = stamps.get(name)
        if current is None:
            data[name] = value
            stamps[name] = [text, device, version]
            continue
        cur_hlc, cur_device, cur_version = current[:3]
        concurrent = cur_version > change.base_version and cur_device != device
        old = data.get(name)
        if (
            text <= cur_hlc
            and made is not None
            and not concurrent
            and cur_device != device
            and str(made) > cur_hlc
        ):
            # The laptop had seen this value and changed it: reading its clock back must
            # not put the change before its cause. It comes just after what it replaced.
            seen = Stamp.parse(cur_hlc)
            data[name] = value
            stamps[name] = [str(tick(seen, seen.wall_ms, stamp.device)), device, version]
        elif text > cur_hlc:
            data[name] = value
            stamps[name] = [text, device, version]
            if concurrent and old != value:
                found.append(
                    _lost(name, value, old, device, cur_device, cur_hlc, made_stamp(current))
                )
        elif concurrent and old != value:
            found.append(_lost(name, old, value, cur_device, device, text))
    return found


def _lost(
    name: str,
    kept: Any,
    lost: Any,
    kept_device: str,
    lost_device: str,
    lost_hlc: str,
    lost_made: str | None = None,
) -> dict[str, Any]:
    """A losing value; `lost_made` is its stamp as made where the server read it back."""
    found = {
        "field": name,
        "kept": kept,
        "lost": lost,
        "kept_device": kept_device,
        "lost_device": lost_device,
        "lost_hlc": lost_hlc,
    }
    if lost_made is not None and lost_made != lost_hlc:
        found["lost_made"] = lost_made
    return found


def made_stamp(entry: list[Any]) -> str:
    """A field stamp (`[stamp, device, version]`) as its device made it: the fourth item,
    kept where the server read the stamp back (`_as_made`), else the stamp itself."""
    return str(entry[3] if len(entry) > 3 else entry[0])


def _as_made(decided: Plan, stamp: Stamp, made: Stamp, device: str, version: int) -> None:
    """Note in `decided` the change's stamp as its device made it, where the server read it
    back (`_Clamp`): beside each field stamp the change wrote (a fourth item, so a value
    that loses later is named by it too), and on each of its values that lost.

    The stamp read back stays the field's stamp and the conflict's `lost_hlc`: it says
    when the change was made, as far as the server can tell, and a history shows that
    time; a laptop whose clock ran days ahead would otherwise show its edit days ahead
    everywhere. The stamp as made names the loss (`_loss`)."""
    if str(made) == str(stamp):
        return
    for name, entry in decided.stamps.items():
        if len(entry) == 3 and entry[1] == device and entry[2] == version:
            decided.stamps[name] = [*entry, str(made)]
    for lost in decided.lost:
        if lost["lost_device"] == device and lost["lost_hlc"] == str(stamp):
            lost["lost_made"] = str(made)


def _full_stamp(hlc: str, device: str) -> str:
    """A pushed stamp with its device part, which the sender may leave out for its own."""
    return hlc if hlc.count("-") > 1 else f"{hlc}-{device}"


#: What a change says, digested (`protocol.fingerprint`); stored with its result.
_fingerprint = protocol.fingerprint


class _Clamp:
    """A push's stamps read on the server's clock, so that real-time order decides.

    A push says the laptop's clock as it left (`PushRequest.clock_ms`). When that is ahead
    of the server's, every stamp of the push is read back by as much: the laptop's clock
    ran that far ahead when it made them too, as far as anyone can know. An edit it made
    offline then loses to one made after it in real time on a laptop whose clock is
    right, whichever reaches the server first; held only to the server's time on arrival
    (as before), it beat every edit made between it and its push.

    What is still ahead of the server's clock after that is held to it: a stamp the laptop
    made while its clock ran further ahead than it does now (its clock was set right since,
    the change not yet sent), or one from a bundle, which says no clock (it is read long
    after it was made). Such a change counts as made when it reached the server.

    A device's changes keep their order. In one push each one held back is numbered on;
    across pushes a held-back stamp still comes after the device's own latest stamp on the
    record, which two pushes in the same server millisecond (or a server clock that went
    back) would otherwise tie or undercut, and the later edit would be dropped as older."""

    def __init__(self, server_ms: int, clock_ms: int | None = None) -> None:
        self.server_ms = server_ms
        self.held = 0
        #: How far the laptop's clock is ahead of the server's as the push arrives (not
        #: less than 0: a clock behind, or a request long on its way, is not read forward).
        self.skew_ms = protocol.clock_skew_ms(clock_ms, server_ms)
        #: The server's day in China: no visit or check may be dated after it.
        self.today = dt.datetime.fromtimestamp(server_ms / 1000, CHINA_TZ).date()
        #: How far ahead the furthest stamp ran, after the skew was taken off.
        self.ahead_ms = 0

    @property
    def warned_ms(self) -> int:
        """How far ahead to tell the laptop its clock runs, or ran when it made changes of
        this push (which then count at the server's time)."""
        return max(self.skew_ms, self.ahead_ms)

    def __call__(self, stamp: Stamp, own_latest: Stamp | None = None) -> Stamp:
        if self.skew_ms:
            stamp = Stamp(max(0, stamp.wall_ms - self.skew_ms), stamp.counter, stamp.device)
        if stamp.wall_ms > self.server_ms:
            self.ahead_ms = max(self.ahead_ms, stamp.wall_ms - self.server_ms)
            self.held += 1
            # The laptop works the same wall time out of the answer (`protocol.read_back_ms`)
            # for its own history: a change here must keep to that rule.
            stamp = Stamp(self.server_ms, min(self.held, MAX_COUNTER), stamp.device)
        if own_latest is not None and (stamp.wall_ms, stamp.counter) <= (
            own_latest.wall_ms,
            own_latest.counter,
        ):
            return tick(own_latest, own_latest.wall_ms, stamp.device)
        return stamp


def _own_latest(row: _Row, device: str) -> Stamp | None:
    """The latest stamp `device` left on the record as the server holds it."""
    own = [str(entry[0]) for entry in row.stamps.values() if entry[1] == device]
    return Stamp.parse(max(own)) if own else None


@dataclass(frozen=True)
class Plan:
    """What one change does to its record, decided before anything is written."""

    data: dict[str, Any]
    stamps: dict[str, list[Any]]
    village: str | None
    deleted: bool
    #: The concurrent values that lost, one per field.
    lost: list[dict[str, Any]]
    status: Status
    reason: Reason | None


def plan(
    row: _Row,
    change: Change,
    stamp: Stamp,
    device: str,
    version: int,
    allowed: frozenset[str],
    places: Places,
    *,
    made: Stamp | None = None,
    today: dt.date | None = None,
) -> Plan:
    """The outcome of one change, from the record as the server holds it, the change's
    stamp, the villages its token may write and where the records it names are; raises
    Rejected. Pure: it reads no database and changes nothing it is given (the shell,
    `_apply_one`, loads and writes), as vdirsyncer decides its actions before running them.

    `made`: the stamp as the laptop made it, when `stamp` is that read back on the server's
    clock. `today`: the server's day in China, after which no contact may be dated."""
    spec = sync_spec(SYNCED_TYPES[change.table])
    data, stamps = dict(row.data), dict(row.stamps)
    village, deleted = row.village, row.deleted
    lost: list[dict[str, Any]] = []
    if change.op == "delete":
        if not row.exists and row.written is None:
            raise Rejected(Code.DELETE_MISSING)
        _check_access(row, row.village, allowed, spec, row.data)
        deleted = True
        stamps["_deleted"] = [str(stamp), device, version]
    else:
        if "id" in change.fields and change.fields["id"] != change.record_id:
            raise Rejected(Code.ID_MISMATCH)
        if not row.exists and row.written is None and _partial(change):
            # An edit of a record this server never held: a server restored from a copy
            # lost it, and the laptop that made it has not sent it again yet. The laptop
            # waits for the record to arrive, then sends the edit again.
            raise Rejected(Code.RECORD_MISSING, table=change.table, id=change.record_id)
        change = _without_blanks_over_set(spec, row.data, change)
        merged = {**row.data, **change.fields, "id": change.record_id}
        if today is not None:
            _check_contact_day(change, row.data, today)
        after = _village_of(places, spec, merged)
        _check_access(row, after, allowed, spec, merged)
        _check_references(places, spec, merged, after)
        if row.deleted:
            lost = [
                _lost(name, row.data.get(name), value, protocol.DELETED_DEVICE, device, str(stamp))
                for name, value in change.fields.items()
                if row.data.get(name) != value
            ]
            # The tombstone's fields still merge by their stamps, as a live record's do: an
            # edit made before the delete may arrive after it (sent again to a server
            # restored from a copy), and the deleting laptop already holds it in its copy.
            _validate(change.table, merged, change.fields, row.data)
            _merge(data, stamps, change, stamp, device, version, made)
        elif spec.first_stands and (row.exists or row.written is not None):
            # Another laptop's copy of a record the first one to arrive already said (the
            # same month closed twice): it stands, and the pull brings it to this laptop.
            pass
        else:
            _validate(change.table, merged, change.fields, row.data)
            lost = _merge(data, stamps, change, stamp, device, version, made)
            lost = _set_over_blank(spec, data, stamps, change, [str(stamp), device, version], lost)
            data["id"] = change.record_id
            village = after
    reason = None
    if deleted and change.op == "upsert":
        reason = Reason.of(Code.EDIT_OF_DELETED)
    elif lost:
        reason = Reason.of(Code.CONFLICT, table=change.table, fields=[c["field"] for c in lost])
    status: Status = "conflict" if lost else "accepted"
    return Plan(data, stamps, village, deleted, lost, status, reason)


def _without_blanks_over_set(spec: Synced, held: Mapping[str, Any], change: Change) -> Change:
    """`change` without the blank values it would write over set ones (`kept_when_blank`).

    A laptop set up without a village's township sends the village with an empty one,
    stamped later than the township the others gave it; by stamps alone it would win on
    the server and, through the pull, on every laptop. A blank is no news: the set value
    stays, and the pull brings it to the laptop that sent the blank."""
    blank = {
        name
        for name in spec.kept_when_blank
        if name in change.fields and not str(change.fields[name] or "").strip() and held.get(name)
    }
    if not blank:
        return change
    kept = {name: value for name, value in change.fields.items() if name not in blank}
    return change.model_copy(update={"fields": kept})


def _set_over_blank(
    spec: Synced,
    data: dict[str, Any],
    stamps: dict[str, list[Any]],
    change: Change,
    stamp: list[Any],
    lost: list[dict[str, Any]],
) -> list[dict[str, Any]]:
    """The other half of `_without_blanks_over_set`: a value for a `kept_when_blank` field
    the server holds blank is taken even when its stamp is older (the laptop set up without
    a township synced first); returns `lost` without the blank it replaced."""
    taken = {
        name
        for name in spec.kept_when_blank
        if str(change.fields.get(name) or "").strip() and not str(data.get(name) or "").strip()
    }
    for name in taken:
        data[name] = change.fields[name]
        stamps[name] = stamp
    return [c for c in lost if c["field"] not in taken]


def _check_contact_day(change: Change, before: Mapping[str, Any], today: dt.date) -> None:
    """A visit or child check dated after the server's today is refused: a laptop's form
    refuses such a date, so only a laptop whose clock runs ahead can send one, and the
    others, whose clocks are right, could neither have entered it nor correct it."""
    field = getattr(RECORD_TYPES[change.table], "contact_day", None)
    if field is None or field not in change.fields or change.fields[field] == before.get(field):
        return
    try:
        day = dt.date.fromisoformat(str(change.fields[field]))
    except ValueError:
        return  # not a date at all: the domain's rules say so
    if day > today:
        raise Rejected(
            Code.FUTURE_DATE,
            table=change.table,
            field=field,
            date=day.isoformat(),
            today=today.isoformat(),
        )


def _partial(change: Change) -> bool:
    """Whether a change lacks a field its record cannot be made without: an edit."""
    return not _fields(change.table)[1] <= change.fields.keys()


def _places_named(work: _WorkingSet, row: _Row, change: Change) -> Places:
    """Where the records a change names are: its parent (named or not: a missing parent is
    "None", which is nowhere) and what it refers to."""
    if change.op == "delete":
        return {}
    spec = sync_spec(SYNCED_TYPES[change.table])
    places: dict[tuple[str, str], tuple[bool, str | None]] = {}
    for field, table in _named(spec):
        # The value after the change: its own, else the stored record's.
        named = change.fields[field] if field in change.fields else row.data.get(field)
        if named is not None or (field, table) == spec.parent:
            key = (table, str(named))
            places[key] = work.place(*key)
    return places


def _apply_one(
    work: _WorkingSet, who: Identity, device: str, change: Change, version: int, clamp: _Clamp
) -> ChangeResult:
    """Plan one change, then apply the plan to the working set (written at the end of the
    push). A rejected change leaves nothing behind: the plan is all or nothing."""
    row = work.load(change.table, change.record_id)
    made = Stamp.parse(_full_stamp(change.hlc, device))
    stamp = clamp(made, _own_latest(row, device))
    decided = plan(
        row,
        change,
        stamp,
        device,
        version,
        who.villages,
        _places_named(work, row, change),
        made=made if clamp.skew_ms else None,
        today=clamp.today,
    )
    _as_made(decided, stamp, made, device, version)
    row.data, row.stamps = decided.data, decided.stamps
    row.village, row.deleted = decided.village, decided.deleted
    row.written = (version, *_record_stamp(decided.stamps, str(stamp), device))
    status, reason = decided.status, decided.reason
    if decided.lost:
        row.shared = True  # the losing device wrote to it too
        _note_lost(work, row, version, decided.lost)
        if status == "conflict" and all(work.former.closes(c) for c in decided.lost):
            # Every value it beat was its own laptop's, left under an id it gave up: the
            # laptop has nothing to be told, as if the older value had been its own edit.
            status, reason = "accepted", None
    # Built, not validated: every value is the server's own.
    return ChangeResult.model_construct(
        seq=change.seq, status=status, reason=reason, version=version
    )


def _record_stamp(stamps: dict[str, list[Any]], pushed: str, device: str) -> tuple[str, str]:
    """The record's own stamp and device: those of its latest field stamp (or tombstone).

    Not the change that came last: a change that lost every field it set left the record as
    the winner made it, and a laptop pulling it must credit the winner, at the time the
    winner made it (its history reads this stamp)."""
    latest = max(stamps.values(), key=lambda s: str(s[0]), default=None)
    if latest is None:
        return pushed, device
    return str(latest[0]), str(latest[1])


def _note_lost(work: _WorkingSet, row: _Row, version: int, lost: list[dict[str, Any]]) -> None:
    """Record the losing values of a change; a loss of a value the pushing laptop's profile
    left under an id it gave up (`FormerIds.closes`) is recorded closed, in the same version:
    every laptop pulls it closed, and its lost value stays on record."""
    now = storage.now_text()
    former = work.former
    work.conflicts += [
        {
            **(
                {
                    "resolved_version": version,
                    "resolved_by": former.device,
                    "closed_as_former": True,
                }
                if former.closes(c)
                else {"resolved_version": None, "resolved_by": None, "closed_as_former": None}
            ),
            "version": version,
            "table_name": row.table,
            "record_id": row.record_id,
            "village_code": row.village,
            "field": c["field"],
            "kept_value": json.dumps(c["kept"]),
            "lost_value": json.dumps(c["lost"]),
            "kept_device": c["kept_device"],
            "lost_device": c["lost_device"],
            "lost_hlc": c["lost_hlc"],
            "lost_made": c.get("lost_made"),
            "created_at": now,
        }
        for c in lost
    ]


#: A person's fields whose change the store dates with an event (`PersonEvent`).
_DATED_FIELDS = ("status", "categories")


def _lost_events(work: _WorkingSet) -> list[_Row]:
    """The live status and category events whose person change lost a conflict, among the
    persons this push touched (a conflict on their status or categories now, or a new event
    of theirs): each is retired with its change, so a month's figures follow the winning
    history only (`db.standings` counts live events).

    An event lost with its change when its device's change of the field lost a conflict
    (`conflicts`), the event says that change (a status the lost value has and the kept one
    has not; a category held or dropped in the lost value and not in the kept), was made
    with or after it, and the device has not set the field since."""
    persons = {
        c["record_id"] for c in work.conflicts
        if c["table_name"] == "persons" and c["field"] in _DATED_FIELDS
    } | {
        str(row.data.get("person_id")) for row in work.rows.values()
        if row.table == "person_events" and row.written is not None and not row.exists
    }  # fmt: skip
    if not persons:
        return []
    found = [
        {**c, "kept": from_json(c["kept_value"]), "lost": from_json(c["lost_value"])}
        for c in [*_stored_conflicts(work.conn, persons), *work.conflicts]
        if c["table_name"] == "persons"
        and c["record_id"] in persons
        and c["field"] in _DATED_FIELDS
        and c["kept_device"] != protocol.DELETED_DEVICE
    ]
    if not found:
        return []
    retired = []
    for event in _events_of(work, persons):
        person = work.rows.get(("persons", str(event.data.get("person_id"))))
        for c in found:
            if c["record_id"] == event.data.get("person_id") and _lost_with(event, c, person):
                retired.append(event)
                break
    return retired


def _lost_with(event: _Row, conflict: dict[str, Any], person: _Row | None) -> bool:
    field = conflict["field"]
    said = event.stamps.get("status" if field == "status" else "category")
    if said is None or said[1] != conflict["lost_device"] or said[0] < conflict["lost_hlc"]:
        return False
    if person is not None:
        now = person.stamps.get(field)
        if now is not None and now[1] == conflict["lost_device"] and now[0] > conflict["lost_hlc"]:
            return False  # the device set the field again since: that change stands
    kept, lost = conflict["kept"], conflict["lost"]
    if field == "status":
        return bool(event.data.get("status") == lost != kept)
    category, held = event.data.get("category"), event.data.get("held")
    if not isinstance(kept, list) or not isinstance(lost, list) or held is None:
        return False
    return bool((category in lost) == held and (category in kept) != held)


def _stored_conflicts(conn: Connection, persons: set[str]) -> list[dict[str, Any]]:
    found = conn.execute(
        select(conflicts).where(
            conflicts.c.table_name == "persons",
            conflicts.c.record_id.in_(sorted(persons)),
            conflicts.c.field.in_(_DATED_FIELDS),
        )
    )
    return [dict(row._mapping) for row in found]


def _events_of(work: _WorkingSet, persons: set[str]) -> list[_Row]:
    """The live events of these persons, as the push holds them (loaded into its working
    set, so that retiring one writes it)."""
    villages = {work.load("persons", person).village for person in persons} - {None}
    keys = set()
    for village in sorted(v for v in villages if v is not None):
        for record_id, data in work.conn.execute(
            select(records.c.record_id, records.c.data).where(
                records.c.table_name == "person_events",
                records.c.village_code == village,
                records.c.deleted.is_(False),
            )
        ):
            if from_json(data).get("person_id") in persons:
                keys.add(("person_events", str(record_id)))
    work.preload(keys)
    keys |= {
        key for key, row in work.rows.items()
        if row.table == "person_events" and str(row.data.get("person_id")) in persons
    }  # fmt: skip
    return [work.rows[key] for key in sorted(keys) if not work.rows[key].deleted]


def _lock_version(conn: Connection) -> int:
    """The last version given out, locked until the transaction ends.

    Every write takes this lock, so versions commit in the order they are given out and a
    pull cursor can never pass a version that commits later."""
    last: int = conn.execute(
        select(counters.c.value).where(counters.c.name == "version").with_for_update()
    ).scalar_one()
    return last


def _after(last: int, floor: int) -> int:
    """The version after `last`: never below `floor`, the wall clock in microseconds.

    Versions are not a dense count. A server restored from a backup numbers on from the
    backup's last version, and a laptop whose cursor had passed that point would skip every
    change given a reused number (its pull starts at its cursor). Versions that are also at
    least the wall clock cannot be reused by a server restored later in time: whatever it
    writes after the restore lies past every cursor handed out before it. (A server restored
    onto a machine whose clock is behind the old one's loses that guarantee; docs/deploy.md
    says to check the clock.)"""
    return max(last + 1, floor)


def version_floor(ms: int | None = None) -> int:
    """The least version the server gives out at `ms` (now, if not given): its wall clock
    in microseconds (`_after`)."""
    return (now_ms() if ms is None else ms) * 1000


def _set_version(conn: Connection, version: int) -> None:
    conn.execute(update(counters).where(counters.c.name == "version").values(value=version))


def write_from_server(engine: Engine, record: Record) -> int:
    """Write a record the server itself sets, for every village (the township's visit
    policy); returns its new version. Devices get it with their next pull."""
    stamp = f"{now_ms():013d}-0000-{SERVER_DEVICE}"
    with engine.begin() as conn:
        version = _after(_lock_version(conn), version_floor())
        work = _WorkingSet(conn)
        row = work.load(record.table, record.id)
        row.data = record.row()
        row.stamps = {name: [stamp, SERVER_DEVICE, version] for name in row.data}
        row.village = None  # no village: a pull sends it to every device
        row.deleted = False
        row.written = (version, stamp, SERVER_DEVICE)
        work.flush()
        _set_version(conn, version)
    return version


#: The pushing device, and whether a laptop named it as an id it gave up that has not
#: spoken since (`_heard_from`): asked in the statement every push makes anyway, built once,
#: since the answer is almost always no and a second statement under the version lock cost
#: every push about a twentieth of its CPU.
_PUSHING = select(
    devices,
    select(former_ids.c.device_id)
    .where(former_ids.c.former_id == devices.c.device_id, former_ids.c.heard.is_(None))
    .exists()
    .label("replaced"),
).where(devices.c.device_id == bindparam("device"))


def push(engine: Engine, who: Identity, request: PushRequest) -> PushResponse:
    """Apply a batch in one transaction, remembering the device's highest applied seq in it too."""
    server_ms = now_ms()
    device = request.device_id
    results: list[ChangeResult] = []
    clamp = _Clamp(server_ms, request.clock_ms)
    floor = version_floor(server_ms)
    with engine.begin() as conn:
        next_version = _lock_version(conn)
        owner = conn.execute(_PUSHING, {"device": device}).first()
        if owner is not None and owner.token_id != who.token_id:
            held_by = conn.execute(
                select(tokens.c.revoked_at).where(tokens.c.id == owner.token_id)
            ).first()
            if held_by is None or held_by.revoked_at is None:
                raise DeviceOwnedError(request.device_id)
            # Its token was revoked and the laptop logged in with a new one (as the app
            # says to do), or a new assistant took the laptop over: the device moves over.
            conn.execute(
                update(devices)
                .where(devices.c.device_id == request.device_id)
                .values(token_id=who.token_id)
            )
        last_seq = owner.last_seq if owner is not None else 0
        if request.acked_through > last_seq:
            # It acknowledged more of this device's changes than it holds: restored from a
            # backup, perhaps one from before the device's first sync (owner None).
            raise SequenceGapError(last_seq)
        if owner is None:
            conn.execute(
                insert(devices).values(
                    device_id=request.device_id, token_id=who.token_id, last_seq=0
                )
            )
        # Asked only when the push repeats changes: a round trip under the version lock.
        repeated = [c.seq for c in request.changes if c.seq <= last_seq]
        earlier = {
            r.seq: r
            for r in (
                conn.execute(
                    select(change_results).where(
                        and_(
                            change_results.c.device_id == request.device_id,
                            change_results.c.seq.in_(repeated),
                        )
                    )
                )
                if repeated
                else ()
            )
        }
        work = _WorkingSet(conn, _former_ids(conn, who, device, request.former_ids, next_version))
        fresh = [c for c in request.changes if c.seq > last_seq]
        # A device's changes arrive in an unbroken run. One the server knows that starts past
        # its last applied seq had changes applied here that are gone: a restored backup.
        # (A new device id may start anywhere: a laptop that took one keeps its numbers.)
        if owner is not None and fresh and min(c.seq for c in fresh) > last_seq + 1:
            raise SequenceGapError(last_seq)
        work.preload({(c.table, c.record_id) for c in fresh})
        work.preload_places(
            {
                (table, str(c.fields[field]))
                for c in fresh
                for field, table in _named(sync_spec(SYNCED_TYPES[c.table]))
                if c.fields.get(field) is not None
            }
        )
        stored_results = []
        for change in sorted(request.changes, key=lambda c: c.seq):
            if change.seq <= last_seq:
                old = earlier.get(change.seq)
                if old is None or old.fingerprint not in (None, _fingerprint(change, device)):
                    raise SequenceReusedError(change.seq)
                # Already applied: acknowledge again, exactly as the first time.
                results.append(
                    ChangeResult(
                        seq=change.seq,
                        status=old.status,
                        reason=Reason.stored(old.reason) if old.reason else None,
                        version=old.version,
                    )
                )
                continue
            try:
                version = _after(next_version, floor)
                result = _apply_one(work, who, device, change, version, clamp)
                next_version = version
            except Rejected as exc:
                result = ChangeResult(seq=change.seq, status="rejected", reason=exc.reason)
            results.append(result)
            last_seq = change.seq
            stored_results.append(
                (
                    device,
                    result.seq,
                    result.status,
                    result.reason.stored_text() if result.reason else None,
                    result.version,
                    _fingerprint(change, device),
                )
            )
        retired = _lost_events(work)
        if retired:
            version = _after(next_version, floor)
            next_version = version
            stamp = f"{server_ms:013d}-0000-{SERVER_DEVICE}"
            for row in retired:
                row.deleted = True
                row.stamps = {**row.stamps, "_deleted": [stamp, SERVER_DEVICE, version]}
                row.written = (version, stamp, SERVER_DEVICE)
        work.flush()
        if stored_results:
            _insert(conn, "change_results", _RESULT_COLUMNS, stored_results)
        if request.resolved:
            version = _after(next_version, floor)
            if _resolve(conn, who, device, request.resolved, version):
                next_version = version
        if request.conflicts:
            version = _after(next_version, floor)
            if _take_back(conn, who, device, request.conflicts, version):
                next_version = version
        if owner is not None and owner.replaced:
            version = _after(next_version, floor)
            if _heard_from(conn, device, version):
                next_version = version
        _set_version(conn, next_version)
        conn.execute(
            update(devices)
            .where(devices.c.device_id == request.device_id)
            .values(last_seq=last_seq)
        )
    warnings = []
    if clamp.warned_ms > protocol.MAX_CLOCK_AHEAD_MS:
        warnings.append(Reason.of(Code.CLOCK_AHEAD, ahead_s=clamp.warned_ms // 1000))
    return PushResponse(
        results=results, applied_through=last_seq, server_time_ms=server_ms, warnings=warnings
    )


@dataclass(frozen=True)
class FormerIds:
    """The device ids a pushing laptop gave up when it started over as a new device
    (`PushRequest.former_ids`) that have not spoken since: a value one of them left on the
    server and this laptop's change beats is the profile's own older value, made before it
    gave the id up (a laptop restored from its own backup made it before the restore, and
    sent it), so the loss is recorded closed (`_note_lost`).

    The server cannot tell that laptop from a copy of the profile that kept the old id and
    still works (a clone) until the old id speaks again: then it was a clone, and every loss
    closed this way is opened again (`_heard_from`). After that, the id counts as another
    laptop's for every id that names it."""

    device: str
    silent: frozenset[str]

    def closes(self, loss: Mapping[str, Any]) -> bool:
        """Whether a losing value (`_lost`) is one to record closed."""
        return loss["kept_device"] == self.device and loss["lost_device"] in self.silent


def _former_ids(
    conn: Connection, who: Identity, device: str, named: list[str], version: int
) -> FormerIds:
    """Note the ids a push names as given up by `device` (those of the same token: a laptop
    may not silence another's losses), and which of them have not spoken since; `version`
    is the last given out, when the server learned it."""
    wanted = sorted(set(named) - {device})
    if not wanted:
        return FormerIds(device, frozenset())
    owned = {
        str(d)
        for (d,) in conn.execute(
            select(devices.c.device_id).where(
                devices.c.device_id.in_(wanted), devices.c.token_id == who.token_id
            )
        )
    }
    if not owned:
        return FormerIds(device, frozenset())
    known = conn.execute(
        select(former_ids.c.former_id, former_ids.c.device_id, former_ids.c.heard).where(
            former_ids.c.former_id.in_(sorted(owned))
        )
    ).all()
    paired = {str(r.former_id) for r in known if r.device_id == device}
    new = [
        {"former_id": f, "device_id": device, "since": version, "heard": None}
        for f in sorted(owned - paired)
    ]
    if new:
        conn.execute(insert(former_ids), new)
    heard = {str(r.former_id) for r in known if r.heard is not None}
    return FormerIds(device, frozenset(owned - heard))


def _heard_from(conn: Connection, device: str, version: int) -> bool:
    """`device` spoke (pushed, or asked about its changes): if a laptop named it as an id it
    gave up and it had not spoken since, a copy of that profile kept it and works on (a
    clone, not a restore). Each loss of its values recorded closed as its replacer's own
    (`FormerIds`) is opened again, as a new conflict under `version`, so every laptop pulls
    it open (a laptop keeps a closed conflict closed whatever a later page says of it: a
    resolution is never undone there). Says whether a conflict was opened again."""
    replacers = [
        str(d)
        for (d,) in conn.execute(
            select(former_ids.c.device_id).where(
                former_ids.c.former_id == device, former_ids.c.heard.is_(None)
            )
        )
    ]
    if not replacers:
        return False
    conn.execute(
        update(former_ids)
        .where(former_ids.c.former_id == device, former_ids.c.heard.is_(None))
        .values(heard=version)
    )
    closed = conn.execute(
        select(conflicts)
        .where(
            conflicts.c.lost_device == device,
            conflicts.c.kept_device.in_(replacers),
            conflicts.c.closed_as_former.is_(True),
        )
        .order_by(conflicts.c.id)
    ).all()
    # A loss already open again (a server restored from a copy taken before the id spoke
    # the first time has it back from a laptop that held it open) is not opened twice.
    reopened = {
        _loss(dict(c._mapping))
        for c in conn.execute(
            select(conflicts).where(
                conflicts.c.lost_device == device,
                or_(
                    conflicts.c.closed_as_former.is_(None), conflicts.c.closed_as_former.is_(False)
                ),
            )
        )
    }
    now = storage.now_text()
    opened = [
        {
            **{k: v for k, v in c._mapping.items() if k != "id"},
            "version": version,
            "created_at": now,
            "resolved_version": None,
            "resolved_by": None,
            "closed_as_former": None,
        }
        for c in closed
        if _loss(dict(c._mapping)) not in reopened
    ]
    if opened:
        _insert_conflicts(conn, opened)
    # Only what a pull sends takes the version: the `heard` mark alone is read as set or
    # not, and a counter moved past every row would leave laptops that had synced with a
    # cursor below the top until their next sync, with nothing to pull there.
    return bool(opened)


def _resolve(conn: Connection, who: Identity, device: str, ids: list[int], version: int) -> bool:
    """Close the open conflicts among `ids` that lie in the token's villages, and every open
    one that records the same loss (`_loss`) as one of them, under the new `version`; says
    whether any was closed (and so whether the version was given out). An id already closed
    (by another laptop, or by this push sent twice), unknown or outside the token's villages
    changes nothing of its own: the laptop is done with it either way.

    By the loss too, because a resolution may come again after a server restore (the laptop
    sends its resolutions again when it learns of one): the losing change, sent again, made
    the same loss anew under another id, and the person's decision stands for that one."""
    named = conn.execute(
        select(conflicts).where(
            conflicts.c.id.in_(sorted(set(ids))),
            conflicts.c.village_code.in_(sorted(who.villages)),
        )
    )
    rows = [dict(row._mapping) for row in named]
    return _close(
        conn, who, device, {int(r["id"]) for r in rows}, {_loss(r) for r in rows}, version
    )


def _close(
    conn: Connection,
    who: Identity,
    device: str,
    ids: set[int],
    losses: set[tuple[str, str, str, str, str]],
    version: int,
) -> bool:
    """Close the open conflicts of the token's villages that are among `ids` or record one
    of `losses`, under `version`; says whether any was."""
    if not ids and not losses:
        return False
    among: ColumnElement[bool] = conflicts.c.id.in_(sorted(ids))
    if losses:
        among = or_(among, conflicts.c.record_id.in_(sorted({loss[1] for loss in losses})))
    found = conn.execute(
        select(conflicts).where(
            among,
            conflicts.c.resolved_version.is_(None),
            conflicts.c.village_code.in_(sorted(who.villages)),
        )
    )
    closing = sorted(
        int(row.id) for row in found if int(row.id) in ids or _loss(dict(row._mapping)) in losses
    )
    if not closing:
        return False
    conn.execute(
        update(conflicts)
        .where(conflicts.c.id.in_(closing))
        .values(resolved_version=version, resolved_by=device)
    )
    return True


def _take_back(
    conn: Connection,
    who: Identity,
    device: str,
    held: list[protocol.HeldConflict],
    version: int,
) -> bool:
    """Put back the conflicts a laptop holds that this server lacks (restored from a copy
    taken before they were made), under their own ids and the new `version`, so every
    laptop of the village pulls them; says whether any was put back or closed. Closed if
    the laptop closed it, or if the server holds the same loss (`_loss`) under another id:
    the change sent again after the restore made it anew, and that one stands for it.

    A conflict the laptop holds closed is closed here too, under its id and by its loss,
    wherever the server holds it open: a person decided, and the server lost the
    resolution (restored from a copy taken before it) or never had it (the conflict came
    back open from a laptop that had not pulled it closed). A conflict whose record the
    server lacks or keeps in another village is not put back: the laptop returns it again
    once it has sent the record's changes (`outbox.conflicts_returned`)."""
    known = {
        row.id
        for row in conn.execute(
            select(conflicts.c.id).where(conflicts.c.id.in_(sorted({c.id for c in held})))
        )
    }
    taken = []
    closed_ids: set[int] = set()
    closed_losses: set[tuple[str, str, str, str, str]] = set()
    for c in held:
        if c.table not in SYNCED_TYPES:
            continue
        loss = {
            "table_name": c.table,
            "record_id": c.record_id,
            "field": c.field,
            "lost_device": c.lost_device,
            "lost_hlc": c.lost_hlc,
            "lost_made": c.lost_made if c.lost_made != c.lost_hlc else None,
        }
        if c.resolved:
            closed_ids.add(c.id)
            closed_losses.add(_loss(loss))
        if c.id in known:
            continue
        village = conn.execute(
            select(records.c.village_code).where(
                records.c.table_name == c.table, records.c.record_id == c.record_id
            )
        ).scalar()
        if village is None or village not in who.villages:
            continue
        closed = c.resolved or _loss(loss) in _losses_held(conn, [loss])
        known.add(c.id)
        taken.append(
            {
                **loss,
                "id": c.id,
                "version": version,
                "village_code": village,
                "kept_value": json.dumps(c.kept_value),
                "lost_value": json.dumps(c.lost_value),
                "kept_device": c.kept_device,
                "created_at": storage.now_text(),
                "resolved_version": version if closed else None,
                "resolved_by": device if closed else None,
            }
        )
    if taken:
        conn.execute(insert(conflicts), taken)
    closed_any = _close(conn, who, device, closed_ids, closed_losses, version)
    return bool(taken) or closed_any


#: A pull's statements, built once and bound per request: every sync pulls, and building
#: them was a third of the CPU of a pull that finds nothing new (bench/RESULTS.md, 2026-12-06
#: (p)).
_TOP = select(counters.c.value).where(counters.c.name == "version")
_PULLED = (
    select(records)
    .where(
        records.c.version > bindparam("start"),
        records.c.version <= bindparam("top"),
        # No village: what the township set for all of them (the visit policy).
        records.c.village_code.in_(bindparam("villages", expanding=True))
        | records.c.village_code.is_(None),
        # A record only this device ever wrote is already on it, exactly: no echo.
        records.c.sole_device.is_(None) | (records.c.sole_device != bindparam("device")),
    )
    .order_by(records.c.version)
)
_OWNER = select(devices.c.token_id, devices.c.last_seq).where(
    devices.c.device_id == bindparam("device")
)
#: A conflict made in the range, or resolved in it: a laptop that never saw it open gets it
#: closed.
_PULLED_CONFLICTS = (
    select(conflicts)
    .where(
        or_(
            and_(
                conflicts.c.version > bindparam("start"), conflicts.c.version <= bindparam("upto")
            ),
            and_(
                conflicts.c.resolved_version > bindparam("start"),
                conflicts.c.resolved_version <= bindparam("upto"),
            ),
        ),
        conflicts.c.village_code.in_(bindparam("villages", expanding=True)),
    )
    .order_by(conflicts.c.id)
)


def pull(
    engine: Engine,
    who: Identity,
    request: protocol.PullRequest,
    reads: frozenset[protocol.Feature] = frozenset(),
) -> PullResponse:
    """Records of the token's villages changed after the cursor, oldest version first.
    `reads`: the features the asking laptop said it reads (`protocol.PROTOCOL_HEADER`);
    a field it does not read is left out, or it would refuse the page."""
    as_made = protocol.Feature.LOSS_AS_MADE in reads
    by_field = protocol.Feature.FIELD_STAMPS in reads
    staff: dict[str, str] = {}
    villages = sorted(who.villages)
    device = request.device_id or ""
    with engine.connect() as conn:
        # The counter first: a push commits its records with it, so every version up to it
        # is there to read even where each statement sees the latest commits (PostgreSQL).
        top: int = conn.execute(_TOP).scalar_one()
        # A cursor past every version given out means this server was restored from a
        # backup: the device holds everything up to here, and later versions are new.
        start = min(request.cursor, top)
        rows = conn.execute(
            _PULLED.limit(request.limit + 1),
            {"start": start, "top": top, "villages": villages, "device": device},
        ).all()
        has_more = len(rows) > request.limit
        rows = rows[: request.limit]
        upto = rows[-1].version if has_more else top
        owner = conn.execute(_OWNER, {"device": device}).first()
        held: int | None = 0  # no row: the server holds no change of this device
        if owner is not None:
            held = int(owner.last_seq) if owner.token_id == who.token_id else None
        found = conn.execute(
            _PULLED_CONFLICTS, {"start": start, "upto": upto, "villages": villages}
        ).all()
        stamps = [_field_stamps(r.stamps, r.hlc, r.device_id) if by_field else [] for r in rows]
        if protocol.Feature.DEVICE_STAFF in reads:
            named = {r.device_id for r in rows}
            named.update(said.writer for each in stamps for said in each)
            named.update(d for c in found for d in (c.kept_device, c.lost_device))
            staff = _staff_of(conn, named - {device, SERVER_DEVICE, protocol.DELETED_DEVICE})
    return PullResponse(
        records=[
            protocol.PulledRecord(
                version=r.version,
                table=r.table_name,
                record_id=r.record_id,
                fields=from_json(r.data),
                deleted=r.deleted,
                hlc=r.hlc,
                device_id=r.device_id,
                stamps=each,
            )
            for r, each in zip(rows, stamps, strict=True)
        ],
        conflicts=[
            protocol.Conflict(
                id=c.id,
                version=c.version,
                table=c.table_name,
                record_id=c.record_id,
                field=c.field,
                kept_value=json.loads(c.kept_value),
                lost_value=json.loads(c.lost_value),
                kept_device=c.kept_device,
                lost_device=c.lost_device,
                lost_hlc=c.lost_hlc,
                lost_made=c.lost_made if as_made else None,
                resolved=c.resolved_version is not None and c.resolved_version <= upto,
            )
            for c in found
        ],
        cursor=upto,
        has_more=has_more,
        applied_through=held,
        staff=staff,
        villages=(
            villages
            if protocol.Feature.PULL_VILLAGES in reads
            and len(villages) <= protocol.MAX_PULL_VILLAGES
            else None
        ),
    )


def _field_stamps(stamps_json: str, hlc: str, device: str) -> list[protocol.FieldStamps]:
    """A record's field stamps as a pull sends them (`PulledRecord.stamps`): the fields
    whose stamp is not the record's own, grouped by stamp, oldest first. A record made by
    one change and never edited sends none; one edited since sends its maker's stamp once
    with the fields it still holds from it, not that stamp once per field (per field, a
    page of edited records was half as large again; grouped, a few percent)."""
    groups: dict[tuple[str, str], list[str]] = {}
    for name, entry in from_json(stamps_json).items():
        if entry[0] != hlc or entry[1] != device:
            groups.setdefault((str(entry[0]), str(entry[1])), []).append(name)
    return [
        protocol.FieldStamps(
            hlc=stamp,
            fields=names,
            # Left out where the stamp names it, as nearly always.
            device_id=None if stamp.split("-", 2)[-1] == writer else writer,
        )
        for (stamp, writer), names in sorted(groups.items())
    ]


def _staff_of(conn: Connection, named: set[str]) -> dict[str, str]:
    """The staff label of the token each of these devices syncs with (a laptop's history
    names the staff member of another laptop's step by it)."""
    found: dict[str, str] = {}
    for chunk in chunked(sorted(named)):
        rows = conn.execute(
            select(devices.c.device_id, tokens.c.staff)
            .join(tokens, tokens.c.id == devices.c.token_id)
            .where(devices.c.device_id.in_(chunk))
        )
        found.update((str(device), str(staff)) for device, staff in rows)
    return found


#: What `applied` asks, built once: every sync asks it first.
_REPLACED = (
    select(former_ids.c.device_id)
    .where(former_ids.c.former_id == bindparam("device"), former_ids.c.heard.is_(None))
    .limit(1)
)
_FINGERPRINTS = select(change_results.c.seq, change_results.c.fingerprint).where(
    change_results.c.device_id == bindparam("device"),
    change_results.c.seq.in_(bindparam("seqs", expanding=True)),
    change_results.c.seq <= bindparam("upto"),
)


def applied(
    engine: Engine, who: Identity, request: protocol.AppliedRequest
) -> protocol.AppliedResponse:
    """The device's highest applied change number, and the fingerprint of each change asked
    about as the server holds it: a laptop compares them with its own changes' to tell
    them from another copy's of its profile (`sync.client.check_own_history`). Nothing for
    a device id another token holds, as a pull says nothing of it."""
    none: list[str | None] = [None] * len(request.seqs)
    with engine.connect() as conn:
        owner = conn.execute(_OWNER, {"device": request.device_id}).first()
        if owner is None:
            return protocol.AppliedResponse(applied_through=0, fingerprints=none)
        if owner.token_id != who.token_id:
            return protocol.AppliedResponse(applied_through=None, fingerprints=none)
        # Every sync asks this first, even a laptop with nothing to push: a copy that kept
        # an id another laptop gave up speaks here (`_heard_from`).
        replaced = conn.execute(_REPLACED, {"device": request.device_id}).first()
        found: dict[int, str | None] = {}
        if request.seqs:  # a laptop with no answered change asks about none
            found = dict(
                conn.execute(
                    _FINGERPRINTS,
                    {
                        "device": request.device_id,
                        "seqs": sorted(set(request.seqs)),
                        "upto": owner.last_seq,
                    },
                ).all()
            )
    if replaced is not None:
        with engine.begin() as conn:
            version = _after(_lock_version(conn), version_floor())
            if _heard_from(conn, request.device_id, version):
                _set_version(conn, version)
    return protocol.AppliedResponse(
        applied_through=int(owner.last_seq), fingerprints=[found.get(s) for s in request.seqs]
    )


def first_not_own(
    engine: Engine, who: Identity, device: str, sent: Mapping[int, str]
) -> int | None:
    """The first of a laptop's answered changes (`sent`: number -> fingerprint) the server
    holds as another change under the same number: another copy's of its profile. None if
    every one it holds is the laptop's, or the id is another token's. A bundle's check,
    as `applied` is a sync's."""
    if not sent:
        return None
    with engine.connect() as conn:
        owner = conn.execute(
            select(devices.c.token_id).where(devices.c.device_id == device)
        ).first()
        if owner is None or owner.token_id != who.token_id:
            return None
        held = conn.execute(
            select(change_results.c.seq, change_results.c.fingerprint)
            .join(devices, devices.c.device_id == change_results.c.device_id)
            .where(
                change_results.c.device_id == device,
                change_results.c.seq >= min(sent),
                change_results.c.seq <= devices.c.last_seq,
            )
            .order_by(change_results.c.seq)
        )
        for seq, there in held:
            if seq in sent and there and there != sent[seq]:
                return int(seq)
    return None
