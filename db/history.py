"""A record's history: each change this laptop made to it, what sync last brought, and the
values that lost a concurrent edit. Read from the change log, the row's stamp and the
conflicts table; nothing here is stored twice."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal

from civtui.domain.clock import CHINA_TZ
from db.store import Store

#: insert/update/delete: a change made on this laptop (in the change log); remote: the latest
#: change another laptop made, as the stamp sync brought says; lost: a concurrent edit's value
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

    @property
    def local(self) -> bool:
        return self.op in ("insert", "update", "delete")


def _when(stamp: str) -> dt.datetime:
    """The wall-clock time in a hybrid-logical-clock stamp (see `db.hlc`), in China time."""
    # Only the wall-clock part is read: a stamp on the wire may leave its device out.
    wall_ms = int(stamp.split("-", 1)[0])
    return dt.datetime.fromtimestamp(wall_ms / 1000, CHINA_TZ)


def record_history(store: Store, table: str, record_id: str) -> list[Step]:
    """Every known step of one record, oldest first."""
    steps: list[Step] = []
    stamps: set[str] = set()
    for op, fields, stamp, device, status in store.db.execute(
        "SELECT op, fields, hlc, device_id, status FROM changes "
        "WHERE table_name = ? AND record_id = ? ORDER BY seq",
        [table, record_id],
    ):
        values = json.loads(fields)
        kind: Op = "delete" if op == "delete" else "insert" if "id" in values else "update"
        values.pop("id", None)
        steps.append(Step(_when(stamp), kind, device, values, status))
        stamps.add(stamp)
    row = store.db.execute(
        f"SELECT hlc, device_id FROM [{table}] WHERE id = ?", [record_id]
    ).fetchone()
    if row is not None and row[0] not in stamps:
        # Written by another laptop: sync brings the record's latest stamp, not each step.
        steps.append(Step(_when(row[0]), "remote", str(row[1]), {}))
    for field, lost, device, stamp in store.db.execute(
        "SELECT field, lost_value, lost_device, lost_hlc FROM conflicts "
        "WHERE table_name = ? AND record_id = ? ORDER BY id",
        [table, record_id],
    ):
        value = json.loads(lost) if lost else None
        steps.append(Step(_when(stamp), "lost", str(device), {field: value}))
    return sorted(steps, key=lambda s: s.at)
