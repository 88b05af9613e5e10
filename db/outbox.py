"""The change log as sync sees it: what to push next, what the server said, what was pulled."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict

from civtui.domain.batches import chunked
from civtui.domain.models import RECORD_TYPES
from db.store import Remote, Store

PULL_CURSOR = "pull_cursor"
#: The server's epoch the pull cursor counts in (`sync.server.epochs`); unset until the
#: server has said one.
SERVER_EPOCH = "server_epoch"
#: The device ids this profile held before it started over as a new device, each with the
#: latest stamp it made under that id: JSON, [[device id, stamp], ...].
FORMER_DEVICES = "former_device_ids"
#: The first change number this profile sent under its device id now (set when it starts
#: over as a new device): changes made under an earlier id and still pending then went
#: under this one, so the id a change was made under does not say where it was sent.
DEVICE_SINCE = "device_since_seq"
#: "1" once the server has answered which changes of this device id it holds (a server
#: from before that answers 404): bundles then carry their fingerprints (`sync.bundle`),
#: which an older server could not read.
SERVER_ANSWERS_APPLIED = "server_answers_applied"
#: The features of the protocol the server said it reads at the last sync (its
#: `Civtui-Protocol` header's names, `sync.protocol.Feature`): a bundle carries a new field
#: only for a server that reads it, and a bundle has no answer to learn it from.
SERVER_READS = "server_reads"
SERVER_URL = "server_url"
LAST_SYNC = "last_sync"
LAST_RESULT = "last_sync_result"
LAST_RESULT_EN = "last_sync_result_en"
SYNC_RUNS = "sync_runs"
#: Records the server refused for lack of a record they name, with that record: their
#: refused changes are sent again once a pull has brought it (`send_refused_again`).
WAITING = "waiting_for_named"
#: Set when this laptop learns that the server was restored from a copy: the conflicts it
#: holds go back whole with its next push (`client._push`), for the server to put back
#: what it lost (`conflicts_returned` clears it).
RETURN_CONFLICTS = "return_conflicts"


@dataclass(frozen=True)
class Outgoing:
    """A pending change with the server version of its record the device last saw.

    Not the protocol's Change: this is a row of the change log as it is (insert / update /
    delete, the record's id among the fields, the full stamp); `sync.client.push_request`
    says it the protocol's way (upsert / delete, the device cut from the stamp)."""

    seq: int
    table: str
    record_id: str
    op: str
    fields: dict[str, Any]
    hlc: str
    base_version: int


def next_batch(store: Store, limit: int) -> list[Outgoing]:
    """The oldest pending changes, in sequence order."""
    rows = store.db.execute(
        """
        SELECT c.seq, c.table_name, c.record_id, c.op, c.fields, c.hlc,
               coalesce(v.version, 0)
        FROM changes c
        LEFT JOIN record_versions v
               ON v.table_name = c.table_name AND v.record_id = c.record_id
        WHERE c.status = 'pending' ORDER BY c.seq LIMIT ?
        """,
        [limit],
    ).fetchall()
    return [
        Outgoing(seq, table, rid, op, json.loads(fields), stamp, base)
        for seq, table, rid, op, fields, stamp, base in rows
    ]


@dataclass(frozen=True)
class Ack:
    """The server's word on one change."""

    seq: int
    status: str
    reason: str | None
    #: The wall-clock time the server read the change's stamp at, where not the stamp's
    #: own (`changes.read_ms`, m021): a clock that ran ahead is read back.
    read_ms: int | None = None


def settle_as_accepted(store: Store, seqs: Sequence[int]) -> None:
    """The server merged these changes with a conflict that turned out to be between two ids
    of this profile (`client.settle_own_conflicts`): they stand as accepted."""
    with store.transaction():
        store.db.conn.executemany(
            "UPDATE changes SET status = 'accepted', reason = NULL "
            "WHERE seq = ? AND status = 'conflict'",
            [(seq,) for seq in seqs],
        )


def refused_here(store: Store, table: str, record_id: str) -> bool:
    """Whether this laptop's latest change of the record was refused by the server: a
    record waiting for it (`parent_missing`) waits until someone corrects it."""
    row = store.db.execute(
        "SELECT status FROM changes WHERE table_name = ? AND record_id = ? "
        "ORDER BY seq DESC LIMIT 1",
        [table, record_id],
    ).fetchone()
    return row is not None and row[0] == "rejected"


#: A refused change whose record has no later change here.
_STILL_REFUSED = (
    "FROM changes c WHERE status = 'rejected' AND NOT EXISTS ("
    "SELECT 1 FROM changes d WHERE d.table_name = c.table_name "
    "AND d.record_id = c.record_id AND d.seq > c.seq)"
)


def never_taken(store: Store, table: str, record_id: str) -> bool:
    """Whether the server refused this laptop's first change of the record (its insert) and
    took none since: an edit of it waits (`record_missing`) for it to be corrected."""
    rows = store.db.execute(
        "SELECT status FROM changes WHERE table_name = ? AND record_id = ? ORDER BY seq",
        [table, record_id],
    ).fetchall()
    statuses = [str(status) for (status,) in rows]
    return (
        bool(statuses)
        and statuses[0] == "rejected"
        and not ({"accepted", "conflict"} & set(statuses))
    )


def rejected_count(store: Store) -> int:
    """Changes the server refused whose record has no later change here: they stay unsent
    until someone corrects (or deletes) the record."""
    row = store.db.execute(f"SELECT count(*) {_STILL_REFUSED}").fetchone()
    return int(row[0])


def still_refused(store: Store) -> list[tuple[str, str, str]]:
    """Those changes (`rejected_count`) as (table, record id, stored reason), oldest first."""
    rows = store.db.execute(
        f"SELECT table_name, record_id, coalesce(reason, '') {_STILL_REFUSED} ORDER BY seq"
    ).fetchall()
    return [(str(table), str(record_id), str(reason)) for table, record_id, reason in rows]


def start_run(store: Store) -> int:
    """Number this sync run; the changes it settles are marked with it."""
    with store.transaction():
        run = int(store.get_meta(SYNC_RUNS) or 0) + 1
        store.set_meta(SYNC_RUNS, str(run))
    return run


def last_run(store: Store) -> int | None:
    value = store.get_meta(SYNC_RUNS)
    return int(value) if value else None


def record_acks(
    store: Store,
    acks: Iterable[Ack],
    acked_at: str,
    run: int | None = None,
    waiting: Iterable[Waiting] = (),
) -> None:
    """Mark changes as the server answered, and which refused records wait for a record
    they name (in the same transaction: a note lost in a power cut would leave a record
    refused for good).

    An answer's version is not taken as the version of the record this laptop has seen
    (`record_versions`, each change's `base_version`): the server's row at that version
    may hold another laptop's edit of another field, written between this laptop's last
    pull and its push, which this laptop has not seen. Taken as seen, this laptop's next
    edit of that field was not concurrent to the server, and whichever stamp lost did so
    without a conflict. Only a pull, which brings the whole
    record, says what this laptop has seen."""
    acks = list(acks)
    waiting = list(waiting)
    # One statement for the whole batch: acks come a batch at a time. Lost in a power cut,
    # the batch is sent again and the server answers the same.
    with store.transaction(durable=False):
        store.db.conn.executemany(
            # The latest answer's reading stands: sent again to a restored server, the
            # change is read anew, and every other laptop shows that server's time.
            "UPDATE changes SET status = ?, reason = ?, acked_at = ?, sync_run = ?, read_ms = ? "
            "WHERE seq = ?",
            [(a.status, a.reason, acked_at, run, a.read_ms, a.seq) for a in acks],
        )
        if waiting:
            _set_waiting(store, [*waiting_records(store), *waiting])  # a new refusal waits anew
        _note_taken(
            store,
            [a.seq for a in acks if a.status in ("accepted", "conflict")],
            [a.seq for a in acks if a.status == "rejected"],
        )


@dataclass(frozen=True, order=True)
class Waiting:
    """A record the server refused because a record it names was missing there (a server
    restored from a backup lost it, and the laptop that made it has not sent it again
    yet), or lay in another village there (an older copy of it). `arrived` once a pull
    has brought the named record: the server holds it now."""

    table: str
    record_id: str
    named_table: str
    named_id: str
    arrived: bool = False


def waiting_records(store: Store) -> list[Waiting]:
    value = store.get_meta(WAITING)
    return [Waiting(*item) for item in json.loads(value)] if value else []


def _set_waiting(store: Store, waiting: Iterable[Waiting]) -> None:
    # One entry per record and named record; a later refusal of it waits afresh.
    latest = {(w.table, w.record_id, w.named_table, w.named_id): w for w in waiting}
    items = sorted(latest.values())
    store.set_meta(
        WAITING,
        json.dumps([[w.table, w.record_id, w.named_table, w.named_id, w.arrived] for w in items]),
    )


def _note_arrived(store: Store, records: Sequence[Remote]) -> None:
    """Mark the refused records waiting for one of `records` (in the pulled page's
    transaction: a page stored without the mark would never be pulled again)."""
    waiting = waiting_records(store)
    if not waiting:
        return
    pulled = {(r.table, r.record_id) for r in records}
    if any(not w.arrived and (w.named_table, w.named_id) in pulled for w in waiting):
        _set_waiting(
            store,
            [
                replace(w, arrived=True) if (w.named_table, w.named_id) in pulled else w
                for w in waiting
            ],
        )


def _records_at(store: Store, seqs: Sequence[int]) -> dict[tuple[str, str], int]:
    """The records these changes wrote, each with the highest of their sequence numbers."""
    found: dict[tuple[str, str], int] = {}
    for chunk in chunked(seqs):
        for table, record_id, seq in store.db.execute(
            "SELECT table_name, record_id, seq FROM changes "
            f"WHERE seq IN ({', '.join('?' for _ in chunk)})",
            chunk,
        ):
            key = (str(table), str(record_id))
            found[key] = max(found.get(key, 0), int(seq))
    return found


def _note_taken(store: Store, taken_seqs: Sequence[int], refused_seqs: Sequence[int]) -> None:
    """Mark the refused records waiting for a record of this laptop's own that the server
    has now taken (sent again after a restore): a pull never brings a record only this
    laptop wrote back to it, so `_note_arrived` would wait for it for ever.

    A record refused in this same batch after the record it names was taken is not marked:
    the server held that record when it refused, so sending it again would only be refused
    the same way (a household in another village stays there)."""
    waiting = waiting_records(store)
    if not waiting or not taken_seqs:
        return
    taken = _records_at(store, taken_seqs)
    refused_now = _records_at(store, refused_seqs) if refused_seqs else {}

    def arrives(w: Waiting) -> bool:
        at = taken.get((w.named_table, w.named_id))
        if at is None:
            return False
        refused = refused_now.get((w.table, w.record_id))
        return refused is None or at > refused

    if any(not w.arrived and arrives(w) for w in waiting):
        _set_waiting(store, [replace(w, arrived=True) if arrives(w) else w for w in waiting])


def send_refused_again(store: Store) -> int:
    """Put back in the queue the refused changes of every record whose named record has
    arrived; returns how many.

    Their sequence numbers are used up at the server, so they are written anew at the end
    of the change log, in their old order. Only when nothing is pending: a pending change
    may be one the server took but whose answer was lost, and must keep its number; and an
    edit made since the refusal must follow the record's first change. A waiting record is
    kept for the next sync until then."""
    waiting = waiting_records(store)
    ready = [w for w in waiting if w.arrived]
    if not ready or store.pending_count():
        return 0
    records = {(w.table, w.record_id) for w in ready}
    with store.transaction():
        refused = sorted(
            seq
            for table, record_id in records
            for (seq,) in store.db.execute(
                "SELECT seq FROM changes WHERE table_name = ? AND record_id = ? "
                "AND status = 'rejected'",
                [table, record_id],
            )
        )
        for seq in refused:
            store.db.execute(
                "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, "
                "created_at, replaced) SELECT table_name, record_id, op, fields, hlc, ?, "
                "created_at, replaced FROM changes WHERE seq = ?",
                [store.device_id, seq],
            )
            store.db.execute("DELETE FROM changes WHERE seq = ?", [seq])
        # Every wait of a record sent again ends: a later edit, refused while the record
        # itself was missing, named nothing that can arrive ("None").
        _set_waiting(store, [w for w in waiting if (w.table, w.record_id) not in records])
    return len(refused)


def unsent_fields(store: Store, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """Of these records, those with local changes not yet accepted, and the fields changed.

    A pending delete protects every field ("*"): the delete is still on its way.
    """
    ids = sorted({record_id for _, record_id in keys})
    wanted = set(keys)
    found: dict[tuple[str, str], set[str]] = {}
    for chunk in chunked(ids):
        marks = ", ".join("?" for _ in chunk)
        for table, record_id, op, fields in store.db.execute(
            "SELECT table_name, record_id, op, fields FROM changes "
            f"WHERE status = 'pending' AND record_id IN ({marks})",
            chunk,
        ):
            if (table, record_id) in wanted:
                names = found.setdefault((table, record_id), set())
                names.update({"*"} if op == "delete" else json.loads(fields))
    return found


class PulledConflict(BaseModel):
    """A field two devices set concurrently, as a pull brings it: the value kept and the one
    that lost. The wire's `sync.protocol.Conflict` carries the same fields and the version
    that made it; it is a class of its own so that the server never loads the store
    (`sync/stored.py` converts)."""

    model_config = ConfigDict(frozen=True)

    id: int
    table: str
    record_id: str
    field: str
    kept_value: Any
    lost_value: Any
    kept_device: str
    lost_device: str
    #: When the lost value was made, as the server read its stamp (the time a history shows).
    lost_hlc: str
    #: The same stamp as its laptop made it, where the server read it back (its clock ran
    #: ahead): the loss's name (`sync.server.merge._loss`), and the stamp its laptop knows.
    lost_made: str | None = None
    #: A laptop resolved it: every laptop closes it.
    resolved: bool = False

    @property
    def made_stamp(self) -> str:
        """The lost stamp as its laptop made it: whose it is is judged by this one."""
        return self.lost_made or self.lost_hlc


#: The record kinds this version writes when pulled: every kind of the domain, synced by
#: devices or set by the township. Any other table name a page carries is a kind of a
#: later version (or a server's mistake), and never reaches SQL as a table name.
PULLED_TABLES = frozenset(RECORD_TYPES)


@dataclass
class PageOutcome:
    """What a pulled page held that was not written as it came."""

    #: Records refused because their village is not one this laptop syncs, by village.
    elsewhere: Counter[str] = field(default_factory=Counter)
    #: Records of kinds this version does not know, kept aside (`held_records`), by table.
    set_aside: Counter[str] = field(default_factory=Counter)


def apply_page(
    store: Store,
    records: Sequence[Remote],
    conflicts: Sequence[PulledConflict],
    cursor: int,
    villages: Collection[str] | None = None,
    staff: Mapping[str, str] | None = None,
) -> PageOutcome:
    """Store a pulled page and its cursor in one transaction; unsent local fields stay put.
    `staff`: the staff label of each device the page names, as the server gave it.

    No record can make a page fail: one that refers to a record this laptop does not hold
    (yet) is held in `held_records`, and written with the first page that brings what it
    refers to (pages follow the server's version order, so an edited parent may come
    pages after its children; and a record may name one in a village this laptop does not
    sync). Each page tries the held records again.

    `villages`: the villages this laptop may hold; a record of any other is refused and
    counted, not stored (None: no check, as where the reader is the township itself). A
    record whose village cannot be told yet (its parent has not arrived) is held, and
    judged when it is tried again. A record of a kind this version does not know is kept
    in `held_records` too, untouched until a version that knows the kind tries it: the
    server will not send it again (the cursor has passed it), so dropping it would lose it
    for good on this laptop."""
    outcome = PageOutcome()
    # Lost in a power cut, page and cursor go together: the page is pulled again.
    with store.transaction(durable=False):
        # Within a page a record may arrive before one it refers to; check at commit.
        store.db.execute("PRAGMA defer_foreign_keys = ON")
        unknown = [r for r in records if r.table not in PULLED_TABLES]
        outcome.set_aside.update(r.table for r in unknown)
        known = [r for r in records if r.table in PULLED_TABLES]
        waiting = [r for r in held_records(store) if r.table in PULLED_TABLES]
        candidates = sorted([*waiting, *known], key=lambda r: r.version)
        refused: set[tuple[str, str]] = set()
        if villages is not None:
            candidates, outside = _within(store, candidates, frozenset(villages))
            outcome.elsewhere.update(village for _, village in outside)
            refused = {(r.table, r.record_id) for r, _ in outside}
        unsent = unsent_fields(store, [(r.table, r.record_id) for r in candidates])
        ready, held = _sort_out(store, candidates, unsent)
        # A record with a delete on its way is left as it is here.
        taken = [r for r in ready if "*" not in unsent.get((r.table, r.record_id), ())]
        keep = {key: set(names) for key, names in unsent.items()}
        for key, names in _set_under_blank(store, taken).items():
            keep.setdefault(key, set()).update(names)
        store.apply_remote(taken, {key: frozenset(names) for key, names in keep.items()})
        were_held = {(r.table, r.record_id) for r in waiting}
        _hold(store, were_held, ready, [*held, *unknown])
        if refused & were_held:
            store.db.conn.executemany(
                "DELETE FROM held_records WHERE table_name = ? AND record_id = ?",
                list(refused & were_held),
            )
        store.db.conn.executemany(
            "INSERT INTO record_versions (table_name, record_id, version) VALUES (?, ?, ?) "
            "ON CONFLICT(table_name, record_id) "
            "DO UPDATE SET version = max(version, excluded.version)",
            [(r.table, r.record_id, r.version) for r in taken],
        )
        _store_conflicts(store, conflicts)
        _store_staff(store, staff or {})
        _note_arrived(store, [r for r in known if (r.table, r.record_id) not in refused])
        store.set_meta(PULL_CURSOR, str(cursor))
    return outcome


def _set_under_blank(store: Store, records: Sequence[Remote]) -> dict[tuple[str, str], set[str]]:
    """Of these records, the fields this laptop has set that they would blank
    (`Synced.kept_when_blank`): the same rule as the server's merge, for a server that
    took a blank before it had the rule, so a village's township stays where it is known."""
    found: dict[tuple[str, str], set[str]] = {}
    for r in records:
        kind = RECORD_TYPES.get(r.table)
        spec = kind.synced if kind is not None else None
        if spec is None or not spec.kept_when_blank:
            continue
        blank = [
            n for n in spec.kept_when_blank if n in r.fields and not str(r.fields[n] or "").strip()
        ]
        if not blank:
            continue
        # Field and table names are the domain's own (`Synced`), never a server's.
        columns = ", ".join(f"[{n}]" for n in blank)
        rows = list(
            store.db.query(f"SELECT {columns} FROM [{r.table}] WHERE id = ?", [r.record_id])
        )
        if rows:
            kept = {n for n in blank if rows[0][n]}
            if kept:
                found.setdefault((r.table, r.record_id), set()).update(kept)
    return found


def _within(
    store: Store, candidates: Sequence[Remote], villages: frozenset[str]
) -> tuple[list[Remote], list[tuple[Remote, str]]]:
    """The candidates whose village is one of `villages` or cannot be told yet, and the
    others with their village. A record's village is its own field, or its parent's (a
    visit's person's), as the parent comes in the same page or as this laptop holds it."""
    # Each record by its newest version here (candidates are in version order): a record
    # moved to another village is judged where it is now, its older versions with it.
    page = {(r.table, r.record_id): r.fields | {"id": r.record_id} for r in candidates}
    stored: dict[tuple[str, str], dict[str, Any] | None] = {}

    def fields_of(table: str, record_id: str) -> dict[str, Any] | None:
        key = (table, record_id)
        if key in page:
            return page[key]
        if key not in stored:
            # Table names here are the domain's own (a kind's parent), never a server's.
            rows = list(store.db.query(f"SELECT * FROM [{table}] WHERE id = ?", [record_id]))
            stored[key] = rows[0] if rows else None
        return stored[key]

    inside: list[Remote] = []
    outside: list[tuple[Remote, str]] = []
    for r in candidates:
        village = _village(r.table, page[(r.table, r.record_id)], fields_of)
        if village is None or village in villages:
            inside.append(r)
        else:
            outside.append((r, village))
    return inside, outside


def _village(
    table: str,
    fields: dict[str, Any] | None,
    fields_of: Callable[[str, str], dict[str, Any] | None],
) -> str | None:
    """The village of a record with these fields, following its parents (`Synced`); None
    when it has none (the township's policy) or cannot be told here yet."""
    for _ in range(len(RECORD_TYPES)):  # parents form a short chain; a cycle would be a bug
        kind = RECORD_TYPES.get(table)
        spec = kind.synced if kind is not None else None
        if fields is None or spec is None:
            return None
        if spec.village is not None:
            value = fields.get(spec.village)
            if isinstance(value, str) and value.startswith("["):
                value = json.loads(value)  # a list field as a stored row holds it
            if isinstance(value, list):
                value = value[0] if value else None  # its first code is the record's village
            return None if value is None else str(value)
        if spec.parent is None:
            return None
        name, table = spec.parent
        parent_id = fields.get(name)
        fields = None if parent_id is None else fields_of(table, str(parent_id))
    return None


def _store_conflicts(store: Store, conflicts: Sequence[PulledConflict]) -> None:
    """Keep pulled conflicts; one another laptop resolved is closed here too (and one this
    laptop never saw open is kept closed: its values stay on record)."""
    store.db.conn.executemany(
        "INSERT INTO conflicts (id, table_name, record_id, field, kept_value, lost_value, "
        "kept_device, lost_device, lost_hlc, resolved, lost_made) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET resolved = max(resolved, excluded.resolved)",
        [
            (
                c.id,
                c.table,
                c.record_id,
                c.field,
                json.dumps(c.kept_value, ensure_ascii=False),
                json.dumps(c.lost_value, ensure_ascii=False),
                c.kept_device,
                c.lost_device,
                c.lost_hlc,
                int(c.resolved),
                c.lost_made,
            )
            for c in conflicts
        ],
    )


def held_records(store: Store) -> list[Remote]:
    """Pulled records still waiting for a record they refer to, oldest version first."""
    rows = store.db.execute("SELECT body FROM held_records ORDER BY version").fetchall()
    return [Remote.model_validate_json(body) for (body,) in rows]


def held_count(store: Store) -> int:
    """Held records of kinds this version knows: those waiting for a record they name."""
    return _count_held(store, "IN")


def set_aside_count(store: Store) -> int:
    """Pulled records of kinds this version does not know, kept for a later version."""
    return _count_held(store, "NOT IN")


def _count_held(store: Store, among: str) -> int:
    known = sorted(PULLED_TABLES)
    (count,) = store.db.execute(
        f"SELECT count(*) FROM held_records WHERE table_name {among} "
        f"({', '.join('?' for _ in known)})",
        known,
    ).fetchone()
    return int(count)


def _sort_out(
    store: Store, candidates: Sequence[Remote], unsent: dict[tuple[str, str], set[str]]
) -> tuple[list[Remote], list[Remote]]:
    """The records whose every reference is on this laptop or among the ready ones, and the
    rest. A field with an unsent local edit keeps the local value: it is not checked."""
    needs: list[list[tuple[str, str]]] = []
    for r in candidates:
        mine = unsent.get((r.table, r.record_id), ())
        needs.append(
            [
                (table, str(r.fields[column]))
                for column, table in store.references(r.table)
                if column not in mine and r.fields.get(column) is not None
            ]
        )
    have = store.present(key for keys in needs for key in keys)
    ready: list[Remote] = []
    later: list[tuple[Remote, list[tuple[str, str]]]] = []
    # One pass settles a page whose records come after what they name, as pages mostly do.
    for r, keys in zip(candidates, needs, strict=True):
        if all(key in have for key in keys):
            ready.append(r)
            have.add((r.table, r.record_id))
        else:
            later.append((r, keys))
    if not later:
        return ready, []
    grew = True
    while grew:  # a need's status step waits for the need, which waits for its person
        grew = False
        still = []
        for r, keys in later:
            if all(key in have for key in keys):
                ready.append(r)
                have.add((r.table, r.record_id))
                grew = True
            else:
                still.append((r, keys))
        later = still
    # Written in version order, so a record's newest version is the one that stays.
    ready_ids = {id(r) for r in ready}
    ready = [r for r in candidates if id(r) in ready_ids]
    newest = {(r.table, r.record_id): r.version for r in ready}
    # A held version older than one written now is done with.
    held = [r for r, _ in later if newest.get((r.table, r.record_id), -1) < r.version]
    return ready, held


def _hold(
    store: Store,
    were_held: set[tuple[str, str]],
    ready: Sequence[Remote],
    held: Sequence[Remote],
) -> None:
    if were_held:
        store.db.conn.executemany(
            "DELETE FROM held_records WHERE table_name = ? AND record_id = ?",
            list(were_held.intersection((r.table, r.record_id) for r in ready)),
        )
    # The newest version of a held record is the one to write later.
    store.db.conn.executemany(
        "INSERT INTO held_records (table_name, record_id, version, body) VALUES (?, ?, ?, ?) "
        "ON CONFLICT(table_name, record_id) DO UPDATE SET version = excluded.version, "
        "body = excluded.body WHERE excluded.version >= held_records.version",
        [(r.table, r.record_id, r.version, r.model_dump_json()) for r in held],
    )


def cursor(store: Store) -> int:
    return int(store.get_meta(PULL_CURSOR) or 0)


def _store_staff(store: Store, staff: Mapping[str, str]) -> None:
    """Keep the staff label the server gave each of these devices (`device_staff`), with
    the page that named them."""
    if staff:
        store.db.conn.executemany(
            "INSERT INTO device_staff (device_id, staff) VALUES (?, ?) "
            "ON CONFLICT (device_id) DO UPDATE SET staff = excluded.staff",
            sorted(staff.items()),
        )


def staff_of(store: Store, devices: Iterable[str]) -> dict[str, str]:
    """The staff label the server gave each of these devices, where it gave one."""
    found: dict[str, str] = {}
    for chunk in chunked(sorted(set(devices))):
        marks = ", ".join("?" for _ in chunk)
        found.update(
            store.db.execute(
                f"SELECT device_id, staff FROM device_staff WHERE device_id IN ({marks})", chunk
            ).fetchall()
        )
    return found


def set_epoch(store: Store, epoch: str, start: int) -> bool:
    """Count the pull cursor in the server's epoch `epoch` from `start` on: never moved
    forward, so a pull from `start` brings everything of that history this laptop lacks.
    Says whether the histories part before the cursor: the server was restored from a copy
    (`server_restored`, in the same transaction)."""
    with store.transaction():
        held = cursor(store)
        store.set_meta(PULL_CURSOR, str(min(held, start)))
        store.set_meta(SERVER_EPOCH, epoch)
        if start < held:
            server_restored(store)
    return start < held


def server_restored(store: Store) -> None:
    """The server came back from a copy: it may lack resolutions this laptop sent or pulled
    (it holds those conflicts open again) and conflicts made after the copy. The laptop
    cannot tell which (it keeps no server version of a resolution), so every conflict it
    holds resolved is to be told again, as unsent, and every one it holds goes back whole
    (`RETURN_CONFLICTS`). The server closes and puts back what it lacks and ignores the
    rest (`sync.server.merge._resolve`, `_take_back`). Called inside the transaction that
    notes the restore, so a sync cut after it still sends them."""
    store.db.execute("UPDATE conflicts SET unsent = 1 WHERE resolved = 1 AND unsent = 0")
    store.set_meta(RETURN_CONFLICTS, "1")


def returning_conflicts(store: Store) -> bool:
    """Whether the conflicts held here are to go back whole (`server_restored`)."""
    return bool(store.get_meta(RETURN_CONFLICTS))


def conflicts_returned(store: Store) -> None:
    """A push carried every conflict held here back to a restored server: done, unless one
    is on a record a change of this laptop waits for (refused as missing on the server,
    `WAITING`). The server cannot put back a conflict on a record it lacks; once the record
    is back (sent again by the laptop that made it), this laptop's waiting change goes
    again, and so do its conflicts, after it."""
    waited: set[tuple[str, str]] = set()
    for w in waiting_records(store):
        waited |= {(w.table, w.record_id), (w.named_table, w.named_id)}
    if waited:
        on = store.db.execute("SELECT DISTINCT table_name, record_id FROM conflicts").fetchall()
        if waited & {(str(table), str(record_id)) for table, record_id in on}:
            return
    with store.transaction():
        store.set_meta(RETURN_CONFLICTS, "")


def last_seq(store: Store) -> int:
    """The highest change number this file has given out."""
    (seq,) = store.db.execute("SELECT coalesce(max(seq), 0) FROM changes").fetchone()
    return int(seq)


def _sent_here(store: Store) -> tuple[str, list[Any]]:
    """A condition on `changes` for those sent (or to be sent) under the device id now: from
    the number it started at, or for a profile that started over before that was noted,
    those made under it."""
    since = store.get_meta(DEVICE_SINCE)
    if since:
        return "seq >= ?", [int(since)]
    return "device_id = ?", [store.device_id]


def highest_acked(store: Store) -> int:
    """The highest change number of this device id the server has acknowledged."""
    here, params = _sent_here(store)
    (seq,) = store.db.execute(
        f"SELECT coalesce(max(seq), 0) FROM changes WHERE status != 'pending' AND {here}",
        params,
    ).fetchone()
    return int(seq)


def send_again_after(store: Store, seq: int) -> int:
    """Make every change after `seq` pending again (the server lost them); returns how many.

    The change at `seq` goes again too, though the server holds a change under that number:
    after a restore it may be another copy's of this profile (same device id), pushed once
    the server had forgotten this copy's. Sent again, it is acknowledged as before if it is
    this laptop's, and refused as a reused number if not, so this copy starts over as a new
    device instead of taking that change for its own (`tests/test_sync_machine.py`)."""
    with store.transaction():
        server_restored(store)
        here, params = _sent_here(store)
        store.db.execute(
            "UPDATE changes SET status = 'pending', reason = NULL, acked_at = NULL, "
            f"sync_run = NULL WHERE seq = ? AND status != 'pending' AND {here}",
            [seq, *params],
        )
        cursor = store.db.execute(
            "UPDATE changes SET status = 'pending', reason = NULL, acked_at = NULL, "
            "sync_run = NULL WHERE seq > ? AND status != 'pending'",
            [seq],
        )
    return int(cursor.rowcount)


def acked_seqs(store: Store) -> list[int]:
    """The numbers of the changes sent under this device id that the server has answered,
    in order: those it should hold as this laptop's."""
    here, params = _sent_here(store)
    rows = store.db.execute(
        f"SELECT seq FROM changes WHERE status != 'pending' AND {here} ORDER BY seq", params
    ).fetchall()
    return [int(seq) for (seq,) in rows]


def changes_at(store: Store, seqs: Sequence[int]) -> list[Outgoing]:
    """The changes at these numbers, whatever their status, as a push sends them."""
    found: list[Outgoing] = []
    for chunk in chunked(sorted(set(seqs))):
        marks = ", ".join("?" for _ in chunk)
        rows = store.db.execute(
            f"""
            SELECT seq, table_name, record_id, op, fields, hlc FROM changes
            WHERE seq IN ({marks}) ORDER BY seq
            """,
            chunk,
        ).fetchall()
        found += [
            Outgoing(seq, table, rid, op, json.loads(fields), stamp, 0)
            for seq, table, rid, op, fields, stamp in rows
        ]
    return found


def start_over_from(store: Store, seq: int) -> int:
    """Make every answered change from `seq` on pending again, then start over as a new
    device; returns how many went back in the queue. The server's changes of this device
    id from `seq` on are another copy's of this profile (`sync.client.check_own_history`):
    this laptop's own are not there, and go again under a new id."""
    with store.transaction():
        cursor = store.db.execute(
            "UPDATE changes SET status = 'pending', reason = NULL, acked_at = NULL, "
            "sync_run = NULL WHERE seq >= ? AND status != 'pending'",
            [seq],
        )
        # The conflicts those changes made are not on the server either.
        server_restored(store)
        start_over_as_new_device(store)
    return int(cursor.rowcount)


def start_over_as_new_device(store: Store) -> str:
    """This file is an older copy of the profile: the server has changes from it that the
    file no longer holds, and will see its next change numbers again. Take a new device id
    and pull everything again, so what this laptop wrote after the copy comes back too."""
    with store.transaction():
        former = dict(_former_devices(store))
        (latest,) = store.db.execute(
            # Not its pending changes: they go to the server under the new id.
            "SELECT max(hlc) FROM changes WHERE device_id = ? AND status != 'pending'",
            [store.device_id],
        ).fetchone()
        former[store.device_id] = max(str(latest or ""), former.get(store.device_id, ""))
        store.set_meta(FORMER_DEVICES, json.dumps(sorted(former.items())))
        (since,) = store.db.execute(
            "SELECT coalesce(min(seq), (SELECT coalesce(max(seq), 0) + 1 FROM changes)) "
            "FROM changes WHERE status = 'pending'"
        ).fetchone()
        store.set_meta(DEVICE_SINCE, str(since))
        device_id = store.renew_device_id()
        store.set_meta(PULL_CURSOR, "0")
    return device_id


def given_up_ids(store: Store, limit: int) -> list[str]:
    """The device ids this profile gave up when it started over, at most `limit` of them:
    a push names them, so the server records a loss of one of them to this profile's change
    closed (`sync.server.merge.FormerIds`). Read from meta alone, not the change log as
    `former_devices` also does: it is read at every push, and the log may be long."""
    # A profile takes a new id once per restore or copy: `limit` is past any laptop's life.
    return [device for device, _stamp in _former_devices(store)][:limit]


def _former_devices(store: Store) -> list[tuple[str, str]]:
    said = json.loads(store.get_meta(FORMER_DEVICES) or "[]")
    return [(str(device), str(stamp)) for device, stamp in said]


@dataclass(frozen=True)
class StoredConflict:
    id: int
    table: str
    record_id: str
    field: str
    kept_value: Any
    lost_value: Any
    lost_device: str
    kept_device: str = ""
    resolved: bool = False
    #: The stamp of the value that lost, as the server read it: when it was made.
    lost_hlc: str = ""
    #: The same stamp as its laptop made it, where the server read it back: whose it is
    #: (under a former id of this profile, this laptop's or another copy's) is judged by
    #: it (`Own.made`).
    lost_made: str | None = None

    @property
    def made_stamp(self) -> str:
        return self.lost_made or self.lost_hlc


_CONFLICT_COLUMNS = (
    "id, table_name, record_id, field, kept_value, lost_value, lost_device, kept_device, "
    "resolved, lost_hlc, lost_made"
)


def _conflict(row: Sequence[Any]) -> StoredConflict:
    i, table, record_id, field, kept, lost, lost_device, kept_device, resolved, stamp, made = row
    return StoredConflict(
        i,
        table,
        record_id,
        field,
        json.loads(kept) if kept else None,
        json.loads(lost) if lost else None,
        lost_device,
        kept_device,
        bool(resolved),
        str(stamp),
        str(made) if made else None,
    )


def open_conflicts(store: Store, record_ids: Iterable[str] | None = None) -> list[StoredConflict]:
    """Unresolved conflicts on the given records (None: on any record), oldest first."""
    ids = None if record_ids is None else list(record_ids)
    if ids == []:
        return []
    among = "" if ids is None else f" AND record_id IN ({', '.join('?' for _ in ids)})"
    rows = store.db.execute(
        f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE resolved = 0{among} ORDER BY id",
        ids or [],
    ).fetchall()
    return [_conflict(row) for row in rows]


def get_conflict(store: Store, conflict_id: int) -> StoredConflict | None:
    """A conflict as this laptop holds it now, open or not."""
    row = store.db.execute(
        f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id = ?", [conflict_id]
    ).fetchone()
    return _conflict(row) if row else None


def conflicts_by_id(store: Store, conflict_ids: Iterable[int]) -> dict[int, StoredConflict]:
    """The conflicts this laptop holds among `conflict_ids`, open or not."""
    ids = sorted(set(conflict_ids))
    found: dict[int, StoredConflict] = {}
    for chunk in chunked(ids):
        marks = ", ".join("?" for _ in chunk)
        for row in store.db.execute(
            f"SELECT {_CONFLICT_COLUMNS} FROM conflicts WHERE id IN ({marks})", chunk
        ):
            conflict = _conflict(row)
            found[conflict.id] = conflict
    return found


def held_conflicts(
    store: Store, conflict_ids: Sequence[int] | None, limit: int
) -> list[PulledConflict]:
    """Conflicts as this laptop holds them, open or closed, newest first: those among
    `conflict_ids`, or (None) all of them, up to `limit`."""
    among = "" if conflict_ids is None else f" WHERE id IN ({', '.join('?' for _ in conflict_ids)})"
    rows = store.db.execute(
        "SELECT id, table_name, record_id, field, kept_value, lost_value, kept_device, "
        f"lost_device, lost_hlc, resolved, lost_made FROM conflicts{among} "
        "ORDER BY id DESC LIMIT ?",
        [*(conflict_ids or []), limit],
    ).fetchall()
    return [
        PulledConflict(
            id=row[0],
            table=row[1],
            record_id=row[2],
            field=row[3],
            kept_value=json.loads(row[4]) if row[4] is not None else None,
            lost_value=json.loads(row[5]) if row[5] is not None else None,
            kept_device=row[6],
            lost_device=row[7],
            lost_hlc=row[8],
            resolved=bool(row[9]),
            lost_made=row[10],
        )
        for row in rows
    ]


def resolve_conflict(store: Store, conflict_id: int) -> None:
    """Close a conflict here; the next push tells the server, which closes it everywhere."""
    with store.transaction():
        store.db.execute(
            "UPDATE conflicts SET resolved = 1, unsent = 1 WHERE id = ? AND resolved = 0",
            [conflict_id],
        )


def unsent_resolutions(store: Store, limit: int) -> list[int]:
    """Conflicts resolved here that the server has not been told of yet."""
    rows = store.db.execute(
        "SELECT id FROM conflicts WHERE unsent = 1 ORDER BY id LIMIT ?", [limit]
    ).fetchall()
    return [int(i) for (i,) in rows]


def resolutions_sent(store: Store, conflict_ids: Sequence[int]) -> None:
    with store.transaction(durable=False):  # lost in a power cut, they are sent again
        store.db.conn.executemany(
            "UPDATE conflicts SET unsent = 0 WHERE id = ?", [(i,) for i in conflict_ids]
        )


def own_devices(store: Store) -> frozenset[str]:
    """Every device id this profile has written under: its own, and those it held before it
    started over as a new device (outbox.start_over_as_new_device)."""
    return frozenset({store.device_id, *former_devices(store)})


def former_devices(store: Store) -> dict[str, str]:
    """The ids this profile held before it started over, each with the latest stamp it made
    under that id: a stamp of such an id past it was made by another copy of the profile
    (a clone), or by this one before it was restored from an older copy, and this profile
    does not hold it. Kept in meta when the id is given up; the change log (every change
    carries the id it was made under, also for changes sent under the next one) stands in
    for profiles that started over before that."""
    found = dict(_former_devices(store))
    for device, stamp in store.db.execute(
        "SELECT device_id, max(hlc) FROM changes WHERE device_id != ? GROUP BY device_id",
        [store.device_id],
    ):
        found.setdefault(str(device), str(stamp))
    found.pop(store.device_id, None)
    return found


@dataclass(frozen=True)
class Own:
    """Which stamps this profile made: any under its device id now, and those under an id
    it gave up up to the latest it made there (`former_devices`)."""

    current: str
    former: Mapping[str, str]

    def made(self, device_id: str, stamp: str) -> bool:
        """Whether this profile made the change `device_id` stamped `stamp`. A later stamp of
        a former id is another copy's (a clone that kept the id), not this laptop's."""
        if device_id == self.current:
            return True
        latest = self.former.get(device_id)
        return latest is not None and wall(stamp) <= wall(latest)

    def lost_own(self, lost_device: str, lost_stamp: str, kept_device: str) -> bool:
        """Whether a conflict's lost value is this profile's, as the sync summary counts it:
        one it made, or any under an id of its own that lost to another of its own (a laptop
        restored from its own backup made edits past the copy's stamps before the restore,
        and cannot tell them from a clone's; the summary names no such conflict)."""
        if self.made(lost_device, lost_stamp):
            return True
        return self.holds(lost_device) and self.holds(kept_device)

    def whose(self, device_id: str, stamp: str) -> str:
        """ "mine" for a change this profile made; "copy" for one under an id it gave up,
        stamped past the last it made there: another copy of the profile (a clone that kept
        the id) made it, or this laptop did before it was restored from an older copy, and
        the profile cannot tell which; else "theirs"."""
        if self.made(device_id, stamp):
            return "mine"
        return "copy" if self.holds(device_id) else "theirs"

    def holds(self, device_id: str) -> bool:
        """Whether `device_id` is one this profile has written under (now or before)."""
        return device_id == self.current or device_id in self.former


def own(store: Store) -> Own:
    return Own(store.device_id, former_devices(store))


def wall(stamp: str) -> str:
    """A stamp's time and counter, comparable as text (the device part left out)."""
    return "-".join(stamp.split("-", 2)[:2])
