"""The township's visit policy: how often each category must be visited, set on the server.

A frequency is a `visit_policy` record like any other, written by the server itself and
sent to every device by the next pull; devices may not push one.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, insert, select, update

from civtui.choices import Category, Frequency
from civtui.models import VisitPolicy
from sync import protocol
from sync.server.storage import counters, records

#: The device name in the stamps of what the server writes itself.
SERVER_DEVICE = "server"
TABLE = VisitPolicy.table


def set_frequency(engine: Engine, category: Category, frequency: Frequency) -> int:
    """Set `category`'s frequency for every village; returns the record's new version."""
    record = VisitPolicy(id=category.value, frequency=frequency)
    stamp = f"{int(time.time() * 1000):013d}-0000-{SERVER_DEVICE}"
    with engine.begin() as conn:
        # The same lock a push takes: versions commit in the order they are given out.
        last: int = conn.execute(
            select(counters.c.value).where(counters.c.name == "version").with_for_update()
        ).scalar_one()
        version = last + 1
        data = record.row()
        values = {
            "village_code": None,  # every village: a pull sends it to every device
            "data": protocol.compact_json(data),
            "stamps": protocol.compact_json({k: [stamp, SERVER_DEVICE, version] for k in data}),
            "deleted": False,
            "version": version,
            "hlc": stamp,
            "device_id": SERVER_DEVICE,
            "sole_device": SERVER_DEVICE,
        }
        key = (records.c.table_name == TABLE) & (records.c.record_id == record.id)
        if conn.execute(select(records.c.version).where(key)).first() is None:
            conn.execute(insert(records).values(table_name=TABLE, record_id=record.id, **values))
        else:
            conn.execute(update(records).where(key).values(**values))
        conn.execute(update(counters).where(counters.c.name == "version").values(value=version))
    return version


def current(engine: Engine) -> dict[Category, Frequency]:
    """The frequencies set on the server (categories not listed keep the app's defaults)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.data).where(records.c.table_name == TABLE, ~records.c.deleted)
        ).all()
    found = [VisitPolicy.model_validate_json(data) for (data,) in rows]
    return {Category(p.id): p.frequency for p in found}
