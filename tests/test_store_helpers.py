"""The store's small shared helpers: slicing ids for `IN (…)` queries, and telling SQLite's
errors apart by their result code rather than their words."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from civtui.domain.batches import chunked
from db import connection
from db.connection import is_busy, is_full, result_code


def test_chunked_slices_in_order_and_keeps_every_item() -> None:
    items = [f"id-{n}" for n in range(1_201)]
    slices = list(chunked(items))
    assert [len(s) for s in slices] == [500, 500, 201]
    assert [x for s in slices for x in s] == items
    assert list(chunked([], 3)) == []
    assert list(chunked("ab[/]=", 4)) == [["a", "b", "[", "/"], ["]", "="]]


def test_chunked_refuses_a_size_that_would_never_end() -> None:
    with pytest.raises(ValueError):
        list(chunked([1, 2], 0))


def test_a_file_held_by_another_connection_is_busy(tmp_path: Path) -> None:
    path = tmp_path / "held.db"
    first = connection.raw_connect(path, None)
    first.execute("CREATE TABLE t (x)")
    first.commit()
    first.execute("BEGIN IMMEDIATE")
    second = connection.raw_connect(path, None)
    second.execute("PRAGMA busy_timeout = 0")
    with pytest.raises(connection.OperationalError) as caught:
        second.execute("BEGIN IMMEDIATE")
    assert is_busy(caught.value) and not is_full(caught.value)
    first.rollback()
    first.close()
    second.close()


def test_a_file_that_may_grow_no_more_is_full(tmp_path: Path) -> None:
    db = connection.raw_connect(tmp_path / "small.db", None)
    db.execute("CREATE TABLE t (x)")
    (pages,) = db.execute("PRAGMA page_count").fetchone()
    db.execute(f"PRAGMA max_page_count = {pages + 1}")
    with pytest.raises(connection.OperationalError) as caught:
        db.executemany("INSERT INTO t VALUES (?)", [("x" * 4_000,)] * 20)
    assert is_full(caught.value) and not is_busy(caught.value)
    db.close()


def test_words_alone_are_not_a_code() -> None:
    """A message that happens to say "locked" or "full" is neither: only SQLite's code is."""
    assert result_code(connection.OperationalError("database is locked")) is None
    assert not is_busy(connection.OperationalError("database is locked"))
    assert not is_full(ValueError("the form is full [/]"))
    plain = sqlite3.OperationalError("whatever")
    plain.sqlite_errorcode = sqlite3.SQLITE_BUSY
    assert is_busy(plain)
