"""A record's history: each change this laptop made to it, each change sync brought from
another laptop, and the values that lost a concurrent edit. Read from the change log, the
pulled steps (`pulled_changes`, written with each pulled row) and the conflicts table.

A pulled step is the record as it stood on the server when this laptop pulled it, compared
with the row as this laptop held it, one step per stamp that set the changed fields: the
server sends each field's stamp where it is not the record's (`Feature.FIELD_STAMPS`), so
two laptops that edited different fields between two of this laptop's syncs are two
steps, each with its own device and time. Several edits of one field arrive as one step,
with the last one's stamp, and a field that went there and back shows no change. From a
server that sends no field stamps, every changed field is one step under the record's
stamp (its latest writer's). Fields this laptop had edited and not yet sent are kept here,
so they are not among the fields "changed by the other laptop".

This laptop's own change is shown at the time the server read its stamp at, once sent
(`changes.read_ms`): a clock that ran ahead is read back, as on every other laptop. Until
then it is shown at the time its stamp says, the only one known here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Literal

from civtui.domain.clock import CHINA_TZ
from db.outbox import own, staff_of
from db.store import Store

#: insert/update/delete: a change, made on this laptop or (`pulled`) brought by sync;
#: remote: the latest change another laptop made, as the row's stamp says, for a record
#: pulled before pulled steps were kept (no fields known); lost: a concurrent edit's value
#: that the other one won over.
Op = Literal["insert", "update", "delete", "remote", "lost"]


@dataclass(frozen=True)
class Step:
    """One line of a record's history."""

    at: dt.datetime
    op: Op
    #: The device (laptop) that made the change.
    device_id: str
    #: The fields the change set, with their new values (for `lost`, the value that lost).
    fields: dict[str, Any]
    #: For local changes: pending, accepted, conflict, rejected; else None.
    status: str | None = None
    #: Each changed field's value before the step, where known: for a pulled change, on this
    #: laptop before the pull; for a local edit, what the steps before it had left.
    before: dict[str, Any] = field(default_factory=dict)
    #: Brought by sync from another laptop (or from this one's older copy).
    pulled: bool = False
    #: For pulled changes: each field whose value beat a concurrent edit of this laptop's,
    #: with this laptop's value that lost.
    lost_here: dict[str, Any] = field(default_factory=dict)
    #: Made by this profile: under its device id now, or under one it gave up, up to the
    #: last stamp it made there (a later one is another copy's, `outbox.Own.made`).
    mine: bool = False
    #: For another laptop's step: the staff label of the token that laptop syncs with, as
    #: the server said it with a pull (`outbox.staff_of`); None where it has not.
    staff: str | None = None

    @property
    def local(self) -> bool:
        """Made on this laptop, and so in its change log."""
        return self.op in ("insert", "update", "delete") and not self.pulled


def _when(stamp: str) -> dt.datetime:
    """The wall-clock time in a hybrid-logical-clock stamp (see `civtui.domain.hlc`), in China time."""
    # Only the wall-clock part is read: a stamp on the wire may leave its device out.
    return _at_ms(_wall_ms(stamp))


def _wall_ms(stamp: str) -> int:
    return int(stamp.split("-", 1)[0])


def _at_ms(wall_ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(wall_ms / 1000, CHINA_TZ)


def record_history(store: Store, table: str, record_id: str) -> list[Step]:
    """Every known step of one record, oldest first.

    Each names the device and time of the change it shows as the change's stamps say: a
    pulled step carries the stamp of the fields it shows (each field's own, where the
    server sent it; else the record's, which the server takes from the latest field
    stamp), so a value that beat this laptop's own edit is the winner's, not this
    laptop's, and a field another laptop set before the last writer stays that laptop's."""
    mine = own(store)
    conflicts = [
        (
            name,
            json.loads(kept) if kept else None,
            json.loads(lost) if lost else None,
            device,
            stamp,
            # Whose by the stamp as made; when, by the stamp as the server read it (a clock
            # that ran days ahead does not put the edit days ahead).
            mine.lost_own(device, made or stamp, kept_by),
        )
        for name, kept, lost, device, stamp, kept_by, made in store.db.execute(
            "SELECT field, kept_value, lost_value, lost_device, lost_hlc, kept_device, lost_made "
            "FROM conflicts WHERE table_name = ? AND record_id = ? ORDER BY id",
            [table, record_id],
        )
    ]
    steps: list[Step] = []
    stamps: set[str] = set()
    # Each device's latest time the server holds on the record, as this laptop's changes
    # reached it: the server numbers a device's next stamp there after it.
    held: dict[str, int] = {}
    for op, fields, stamp, device, status, replaced, read_ms in store.db.execute(
        "SELECT op, fields, hlc, device_id, status, replaced, read_ms FROM changes "
        "WHERE table_name = ? AND record_id = ? ORDER BY seq",
        [table, record_id],
    ):
        values = json.loads(fields)
        kind: Op = "delete" if op == "delete" else "insert" if "id" in values else "update"
        values.pop("id", None)
        before = json.loads(replaced) if replaced else {}
        # Sent, when the server read it (m021); not yet sent, when this laptop's clock
        # said: until a server has read that clock, nothing here knows it ran ahead.
        ms = _wall_ms(stamp) if read_ms is None else int(read_ms)
        if status in ("accepted", "conflict"):
            # An edit made while the clock ran ahead and sent after it was set right counts
            # as made on arrival, and the server puts this device's later edits of the
            # record after it: so are they shown, not before it.
            ms = held[device] = max(ms, held.get(device, 0))
        steps.append(Step(_at_ms(ms), kind, device, values, status, before, mine=True))
        stamps.add(stamp)
    pulled = store.db.execute(
        "SELECT op, fields, hlc, device_id FROM pulled_changes "
        "WHERE table_name = ? AND record_id = ? ORDER BY hlc",
        [table, record_id],
    ).fetchall()
    for op, fields, stamp, device in pulled:
        pairs = json.loads(fields)
        # [old, new], or [new] alone for a field set after a record this laptop first got
        # whole: what it replaced never reached this laptop.
        new = {name: pair[-1] for name, pair in pairs.items()}
        old = {name: pair[0] for name, pair in pairs.items() if len(pair) > 1}
        beaten = {
            name: lost
            for name, kept, lost, _by, _stamp, lost_mine in conflicts
            if lost_mine and name in new and new[name] == kept and old.get(name) == lost
        }
        steps.append(
            Step(
                _when(stamp),
                op,
                str(device),
                new,
                before=old,
                pulled=True,
                lost_here=beaten,
                mine=mine.holds(str(device)),
            )
        )
        stamps.add(stamp)
    row = store.db.execute(
        f"SELECT hlc, device_id FROM [{table}] WHERE id = ?", [record_id]
    ).fetchone()
    if row is not None and row[0] not in stamps and not pulled:
        # Pulled before this laptop kept pulled steps: only the record's latest stamp is known.
        steps.append(Step(_when(row[0]), "remote", str(row[1]), {}, mine=mine.holds(row[1])))
    for name, _kept, lost, device, stamp, lost_mine in conflicts:
        steps.append(Step(_when(stamp), "lost", str(device), {name: lost}, mine=lost_mine))
    labels = staff_of(store, {s.device_id for s in steps if not s.mine})
    if labels:
        steps = [
            dataclasses.replace(s, staff=labels.get(s.device_id)) if not s.mine else s
            for s in steps
        ]
    return _with_before(sorted(steps, key=lambda s: s.at))


def _with_before(steps: list[Step]) -> list[Step]:
    """Each local edit with the values its fields held before it (a correction reads
    健康状况：良好 → 一般): as its change-log entry kept them (m017), which holds for a
    record first pulled from sync too (its pulled step carries no fields); for an entry
    written before that, replayed from the steps before it. A field whose value neither
    says (an old edit of a record pulled before pulled steps were kept) has no before."""
    known: dict[str, Any] = {}
    out: list[Step] = []
    for step in steps:
        if step.op == "remote":
            # Changed elsewhere in ways not kept: what came before is no longer known.
            known.clear()
        elif step.op == "update" and not step.pulled:
            replayed = {name: known[name] for name in step.fields if name in known}
            step = dataclasses.replace(step, before={**replayed, **step.before})
        if step.op in ("insert", "update"):
            known.update(step.fields)
        out.append(step)
    return out
