"""The server's bulk reads and writes (COPY on PostgreSQL, executemany on SQLite) keep
whatever text a record carries, and find exactly the records asked for."""

from __future__ import annotations

from pydantic_core import to_json
from sqlalchemy import select

from sync.server import merge, storage
from sync.server.storage import change_results, records
from tests.test_server_ops import empty_database

__all__ = ["empty_database"]

#: Text COPY's own format gives meaning to (tab, newline, backslash, \N for NULL), and text
#: that means something to markup or a shell.
HOSTILE = [
    "\\N",
    "a\tb",
    "line\nbreak",
    "back\\slash",
    "[/]",
    "[bold]名[/bold]",
    "x=1",
    "'; --",
    "",
]


def test_bulk_insert_and_lookup_keep_hostile_text(empty_database: str) -> None:
    engine = storage.make_engine(empty_database)
    storage.migrate(engine)
    rows = []
    for i, text in enumerate(HOSTILE):
        table = "persons" if i % 2 else "visits"
        data = to_json({"id": f"id-{i}=[/]", "name": text}).decode()
        rows.append(
            (
                None if i % 3 == 0 else "330902001001",
                data,
                to_json({"name": ["0000000000001-0000-d", "d", i + 1]}).decode(),
                bool(i % 2),
                i + 1,
                f"000000000000{i}-0000-d",
                "d\\N",
                None if i % 2 else "d",
                table,
                f"id-{i}=[/]",
            )
        )
    results = [
        ("d\\N", i + 1, "accepted", text or None, i + 1, "f") for i, text in enumerate(HOSTILE)
    ]
    with engine.begin() as conn:
        merge._insert(conn, "records", merge._RECORD_COLUMNS, rows)
        merge._insert(conn, "change_results", merge._RESULT_COLUMNS, results)

    with engine.connect() as conn:
        stored = {
            (r.table_name, r.record_id): (
                r.village_code,
                r.data,
                r.stamps,
                r.deleted,
                r.version,
                r.hlc,
                r.device_id,
                r.sole_device,
            )
            for r in conn.execute(select(records))
        }
        kept = [
            tuple(r) for r in conn.execute(select(change_results).order_by(change_results.c.seq))
        ]
        wanted = [(row[8], row[9]) for row in rows[::2]] + [
            ("persons", "id-0=[/]"),  # a visit's id under another kind
            ("visits", "missing"),
            ("households", "\\N"),
        ]
        found = list(merge._by_key(conn, "table_name, record_id, data", wanted))
    assert stored == {(row[8], row[9]): row[:8] for row in rows}
    assert kept == results
    assert sorted((t, i, d) for t, i, d in found) == sorted(
        (row[8], row[9], row[1]) for row in rows[::2]
    )
    engine.dispose()


def test_lookup_of_nothing_asks_nothing(empty_database: str) -> None:
    engine = storage.make_engine(empty_database)
    storage.migrate(engine)
    with engine.connect() as conn:
        assert list(merge._by_key(conn, "record_id", [])) == []
    engine.dispose()
