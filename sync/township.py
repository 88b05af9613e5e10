"""The township's records written into a store of their own, as a laptop covering all its
villages would hold them (`civtui server report`, `civtui server export`).

The pages are the server's (`sync.server.township`); they are written here, on the store's
side of the wire, as a laptop's pull writes them (`db.outbox.apply_page`).
"""

from __future__ import annotations

from sqlalchemy import Engine

from db import Store, outbox
from sync import stored
from sync.server import township


def load(engine: Engine, store: Store, codes: set[str]) -> int:
    """Pull the records of villages `codes` into `store`; returns how many were written."""
    written = 0
    # One transaction for all pages: a record may arrive before one it refers to on a
    # later page (a person edited after their visit), and foreign keys are checked at commit.
    with store.transaction(durable=False):
        store.db.execute("PRAGMA defer_foreign_keys = ON")
        for page in township.pages(engine, codes):
            records, conflicts = stored.page(page.records, page.conflicts)
            outbox.apply_page(store, records, conflicts, page.cursor)
            written += len(records)
    return written
