"""A large synthetic profile, built fast and deterministically for the benchmarks.

The rows are what the write API would store (valid checksummed IDs, the same
columns), written in bulk; their change-log entries are marked as synced, as on
a laptop that has been in use for a year, with a few still pending.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from civtui.domain import resident_id
from civtui.domain.choices import Category
from civtui.domain.clock import Clock
from civtui.domain.policy import add_months
from civtui.domain.search import search_key
from civtui.services.demo import GIVEN, SURNAMES
from db import Store, open_store


@dataclass(frozen=True)
class Size:
    persons: int
    visits: int
    child_checks: int
    needs: int
    assessments: int
    villages: int


FULL = Size(50_000, 500_000, 50_000, 30_000, 20_000, 40)
TINY = Size(2_000, 10_000, 1_000, 600, 400, 4)
COUNTIES = ("330902", "330903", "330921", "330922")
ADULT_CATS = [
    "living_alone",
    "empty_nest",
    "childless_widowed",
    "dibao",
    "tekun",
    "serious_illness",
    "severe_disability",
]


def _uid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build(path: Path, size: Size, today: dt.date, seed: int = 7) -> Path:
    """Create the profile at `path` unless it is already there (it is deterministic)."""
    if path.exists():
        return path
    tmp = path.with_suffix(".building")
    for stale in tmp.parent.glob(tmp.name + "*"):
        stale.unlink()
    store = open_store(tmp, Clock.pinned(today))
    rng = random.Random(seed)
    device = store.device_id
    stamp = f"{1_700_000_000_000:013d}-0000-{device}"
    meta = {
        "updated_at": "2026-01-01T00:00:00+08:00",
        "device_id": device,
        "hlc": stamp,
        "deleted": 0,
    }
    db = store.db
    with store.transaction():
        villages = []
        for i in range(size.villages):
            code = f"{COUNTIES[i % 4]}{100 + i // 4:03d}{200 + i:03d}"
            villages.append(code)
            _insert(store, "villages", {"id": code, "name": f"村{i:02d}", "township": "镇", **meta})
        persons: list[tuple[str, int, bool]] = []  # id, age, child
        used: set[str] = set()
        rows = []
        search = []
        for _ in range(size.persons):
            child = rng.random() < 0.15
            age = rng.randint(3, 17) if child else rng.randint(55, 99)
            birth = today - dt.timedelta(days=age * 365 + rng.randint(0, 300))
            village = rng.choice(villages)
            while True:
                number = resident_id.make(village[:6], birth, rng.randrange(1000))
                # Sequence 000 is never issued, and the importer refuses it.
                if number[14:17] != "000" and number not in used:
                    used.add(number)
                    break
            cats = (
                (["left_behind"] if rng.random() < 0.6 else ["child_in_distress"])
                if child
                else rng.sample(ADULT_CATS, rng.choice((0, 1, 1, 2)))
            )
            pid = _uid(rng)
            name = rng.choice(SURNAMES) + "".join(
                rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))
            )
            persons.append((pid, age, child))
            rows.append(
                {
                    "id": pid,
                    "village_code": village,
                    "household_id": None,
                    "name": name,
                    "id_number": number,
                    "phone": None,
                    "address": f"{village}号",
                    "categories": json.dumps(cats),
                    "status": "active",
                    "disability_grade": None,
                    "guardian_name": "",
                    "guardian_relation": "",
                    "guardian_phone": None,
                    "emergency_contact_name": "",
                    "emergency_contact_phone": None,
                    "registered_on": "2024-01-01",
                    "notes": "",
                    **meta,
                }
            )
            search.append((pid, search_key(name)))
        _insert_many(store, "persons", rows)
        db.conn.executemany("INSERT INTO person_search (person_id, key) VALUES (?, ?)", search)
        adults = [p for p in persons if not p[2]]
        kids = [p for p in persons if p[2]]
        months = [add_months(today, -k) for k in range(10)]
        _insert_many(
            store,
            "visits",
            (
                {
                    "id": _uid(rng),
                    "person_id": rng.choice(adults)[0],
                    "visit_date": _day(rng, rng.choice(months), today),
                    "visitor": "王",
                    "mode": "home",
                    "living_condition": "good",
                    "health": "good",
                    "safety_hazards": "[]",
                    "mood": "good",
                    "notes": "",
                    "follow_up_needed": 0,
                    "follow_up_note": "",
                    **meta,
                }
                for _ in range(size.visits)
            ),
        )
        _insert_many(
            store,
            "child_checks",
            (
                {
                    "id": _uid(rng),
                    "person_id": rng.choice(kids)[0],
                    "check_date": _day(rng, rng.choice(months), today),
                    "checker": "李",
                    "mode": "home",
                    "guardian_situation": "both_away",
                    "school_status": "in_school",
                    "health": "good",
                    "risk_flags": "[]",
                    "allowance_received": 1,
                    "risk_level": "low",
                    "reported_at": None,
                    "reported_to": "",
                    "notes": "",
                    **meta,
                }
                for _ in range(size.child_checks)
            ),
        )
        statuses = ["pending", "referred", "in_progress", "resolved"]
        _insert_many(
            store,
            "elder_needs",
            (
                {
                    "id": _uid(rng),
                    "person_id": rng.choice(adults)[0],
                    "need_type": "meals",
                    "urgency": rng.choice(("normal", "soon", "urgent")),
                    "description": "",
                    "status": rng.choice(statuses),
                    "referred_to": None,
                    "raised_on": "2026-09-01",
                    "raised_by": "王",
                    "resolution_note": "",
                    **meta,
                }
                for _ in range(size.needs)
            ),
        )
        _insert_many(
            store,
            "assessments",
            (
                {
                    "id": _uid(rng),
                    "person_id": rng.choice(adults)[0],
                    "assessed_on": "2026-08-01",
                    "assessor": "王",
                    "feeding": 10,
                    "bathing": 5,
                    "grooming": 5,
                    "dressing": 10,
                    "bowels": 10,
                    "bladder": 10,
                    "toilet": 10,
                    "transfer": 15,
                    "mobility": 15,
                    "stairs": 10,
                    "total": 100,
                    "level": "none",
                    **meta,
                }
                for _ in range(size.assessments)
            ),
        )
        store.set_meta("staff_id", "bench")
        store.set_meta("hlc", stamp)
    store.close()
    tmp.rename(path)
    for suffix in ("-wal", "-shm"):
        extra = tmp.with_name(tmp.name + suffix)
        if extra.exists():
            extra.unlink()
    return path


def _day(rng: random.Random, month: dt.date, today: dt.date) -> str:
    last = min(add_months(month, 1) - dt.timedelta(days=1), today)
    return (month + dt.timedelta(days=rng.randint(0, (last - month).days))).isoformat()


def _insert(store: Store, table: str, row: dict[str, object]) -> None:
    _insert_many(store, table, [row])


def _insert_many(
    store: Store, table: str, rows: Iterator[dict[str, object]] | list[dict[str, object]]
) -> None:
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    names = list(first)
    sql = f"INSERT INTO [{table}] ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"

    def values() -> Iterator[tuple[object, ...]]:
        yield tuple(first.values())
        for row in iterator:
            yield tuple(row.values())

    store.db.conn.executemany(sql, values())


__all__ = ["FULL", "TINY", "Category", "Size", "build"]
