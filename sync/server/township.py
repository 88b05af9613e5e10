"""The township's records, page by page, as a laptop covering all its villages pulls them.

The township's reports and ledgers are the laptops' own (civtui.services.reports,
civtui.excel): one implementation of the rules. To run them on what the server holds, its
records are pulled, exactly as a laptop pulls them, into a store of their own (a temporary
profile database): the same `merge.pull` answers here, and `sync.township` writes them as
a laptop's pull does. The server's side stops at the pages: it never loads the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Engine, select

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


def pages(engine: Engine, codes: set[str]) -> Iterator[protocol.PullResponse]:
    """Every record of villages `codes`, in pages, as the server answers a pull of them."""
    reader = Identity("township", "township", "supervisor", frozenset(codes))
    cursor = 0
    while True:
        request = protocol.PullRequest(cursor=cursor, limit=protocol.MAX_PULL_PAGE)
        page = merge.pull(engine, reader, request)
        yield page
        cursor = page.cursor
        if not page.has_more:
            return
