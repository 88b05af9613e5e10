"""The township's records, as a laptop covering all its villages would hold them.

The township's reports and ledgers are the laptops' own (civtui.services.reports,
civtui.excel): one implementation of the rules. To run them on what the server holds, its
records are pulled, exactly as a laptop pulls them, into a store of their own (a temporary
profile database) — the same `merge.pull` answers and the same `outbox.apply_page` writes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Engine, select

from db import Store, outbox
from sync import protocol
from sync.server import merge
from sync.server.storage import records
from sync.server.tokens import Identity


@dataclass(frozen=True)
class VillageOnServer:
    code: str
    name: str
    township: str


def villages(engine: Engine) -> list[VillageOnServer]:
    """Every village the server holds a record of, by code."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.record_id, records.c.data).where(
                records.c.table_name == "villages", ~records.c.deleted
            )
        ).all()
    found = []
    for code, data in rows:
        fields = json.loads(data)
        found.append(VillageOnServer(code, fields.get("name", ""), fields.get("township", "")))
    return sorted(found, key=lambda v: v.code)


def load(engine: Engine, store: Store, codes: set[str]) -> int:
    """Pull the records of villages `codes` into `store`; returns how many were written."""
    reader = Identity("township", "township", "supervisor", frozenset(codes))
    cursor, written = 0, 0
    # One transaction for all pages: a record may arrive before one it refers to on a
    # later page (a person edited after their visit), and foreign keys are checked at commit.
    with store.transaction(durable=False):
        store.db.execute("PRAGMA defer_foreign_keys = ON")
        while True:
            request = protocol.PullRequest(cursor=cursor, limit=protocol.MAX_PULL_PAGE)
            page = merge.pull(engine, reader, request)
            outbox.apply_page(store, page.records, page.conflicts, page.cursor)
            written += len(page.records)
            cursor = page.cursor
            if not page.has_more:
                return written
