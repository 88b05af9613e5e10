"""Search keys are looked for at open once, not at every start (db.store.NAMES_INDEXED)."""

from __future__ import annotations

from pathlib import Path

from civtui.domain.clock import Clock
from civtui.domain.models import Village
from db import open_store
from db.store import NAMES_INDEXED
from tests.conftest import TODAY, VILLAGE, make_person


def test_missing_search_keys_are_made_once(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    store = open_store(path, Clock.pinned(TODAY))
    person = make_person(name="曾乐")
    store.save_many([Village(id=VILLAGE, name="海星村"), person])
    assert store.get_meta(NAMES_INDEXED) == "1"
    # A profile whose keys were never made (as one from before migration m002 was).
    store.db.execute("DELETE FROM person_search")
    store.close()
    store = open_store(path, Clock.pinned(TODAY))
    assert store.db.execute("SELECT count(*) FROM person_search").fetchone()[0] == 0
    store.db.execute("DELETE FROM meta WHERE key = ?", [NAMES_INDEXED])
    store.close()
    store = open_store(path, Clock.pinned(TODAY))
    [(pid, key)] = store.db.execute("SELECT person_id, key FROM person_search").fetchall()
    assert pid == person.id and "zengle" in key
    store.close()
