"""The app saves on one connection while sync writes pages on another (its worker thread)."""

from __future__ import annotations

import threading
import time

from civtui.domain.clock import Clock
from civtui.services.keys import open_store
from db import Store
from tests.conftest import make_person


def test_a_save_waits_for_a_sync_page_instead_of_failing(store: Store, clock: Clock) -> None:
    person = make_person()
    store.save(person)
    page_open = threading.Event()

    def write_a_page() -> None:
        # As the app's sync worker does: its own connection, and a transaction that holds
        # the write lock a while (outbox.apply_page).
        sync_side = open_store(store.path, clock)
        try:
            with sync_side.transaction(durable=False):
                sync_side.save(make_person(seq=102, name="同步来的"))
                page_open.set()
                time.sleep(0.5)
        finally:
            page_open.set()
            sync_side.close()

    worker = threading.Thread(target=write_a_page)
    worker.start()
    assert page_open.wait(timeout=30)
    try:
        # Reads the stored person first, then writes: with a deferred BEGIN the read's
        # snapshot was stale once the page committed, and the write failed at once.
        store.save(person.revise(phone="13905801234"))
    finally:
        worker.join()
    names = {name for (name,) in store.db.execute("SELECT name FROM persons")}
    assert names == {"测试人", "同步来的"}
    (phone,) = store.db.execute("SELECT phone FROM persons WHERE id = ?", [person.id]).fetchone()
    assert phone == "13905801234"
