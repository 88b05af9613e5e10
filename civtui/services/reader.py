"""A connection of its own for the slow reads, on a thread of its own.

The dashboard's coverage and work list take long to count on a large profile the first time
(the standings cache of `db/standings.py` is built then), so the app counts them away from
the thread that draws. Two things decide the shape of this:

- A SQLite connection belongs to the thread that opened it (`db/connection.py` opens every
  connection with `check_same_thread`), and a Textual thread worker runs on a new thread
  each time. The reads therefore go to one long-lived thread that owns the connection.
- The standings cache lives on the connection it was built on. A connection kept open for
  the app's life keeps it between refreshes; a connection per worker would count cold every
  time.

The connection is opened the way every worker opens the profile (`keys.open_store`): the key
comes from the same cache the app's own connection was opened with, so an encrypted profile
needs no second unlock. Its page cache is small (`db.standings.for_counting`): the reads it
runs scan policy_facts once per count, and a bigger cache only held pages nobody read again.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from civtui.domain.clock import Clock

if TYPE_CHECKING:
    from db import Store

T = TypeVar("T")


class Reader:
    """Runs reads on its own thread and connection, one at a time, in the order asked."""

    def __init__(self, path: Path, clock: Clock) -> None:
        self.path = path
        self.clock = clock
        self._store: Store | None = None
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="civtui-reader")
        self._waiting: set[Future[Any]] = set()
        self._closed = False

    def run(self, read: Callable[[Store], T]) -> T:
        """`read(store)` on the reader's thread; waits for it (call from a worker, not the UI)."""
        if self._closed:
            raise RuntimeError("the reader is closed")
        future = self._pool.submit(self._call, read)
        self._waiting.add(future)
        try:
            return future.result()
        finally:
            self._waiting.discard(future)

    def _call(self, read: Callable[[Store], T]) -> T:
        if self._store is None:
            from civtui.services.keys import open_store
            from db.standings import for_counting

            self._store = open_store(self.path, self.clock)
            for_counting(self._store)
        return read(self._store)

    def close(self) -> None:
        """Close the connection on its own thread once the read under way (if any) is done;
        reads still waiting are dropped, and the statement running now is interrupted (the
        app is closing: a first count on a large profile would hold it up a second or more).
        """
        if self._closed:
            return
        self._closed = True
        for future in list(self._waiting):
            future.cancel()  # only those not started: the one under way runs to its end
        store = self._store
        if store is not None:
            # SQLite's one call meant for another thread; the read fails "interrupted".
            store.db.conn.interrupt()
        self._pool.submit(self._close_store)
        self._pool.shutdown(wait=True)

    def _close_store(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
