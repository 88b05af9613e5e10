"""Slicing a list for queries that bind each item: one helper for the store and the server.

It sits in the domain, the lowest layer with code, because both `db` and `sync.server` may
import it and neither may import the other (`sync.server` runs where no store is).
`itertools.batched` does this from Python 3.12 on; civtui still runs on 3.11.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

#: Ids per `IN (?, ?, …)` query: below SQLite's host-parameter limit on every build
#: (999 before 3.32) with room for a few other parameters, and big enough that a page of
#: records costs a few queries.
IN_CHUNK = 500

T = TypeVar("T")


def chunked(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[list[T]]:
    """`items` in consecutive slices of at most `size`, in order."""
    if size < 1:
        raise ValueError("size must be at least 1")
    for start in range(0, len(items), size):
        yield list(items[start : start + size])
