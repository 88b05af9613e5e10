"""The dashboard's contact facts, kept step by step by triggers (m014), are what a recount
of the visits and checks gives, whatever was written and in whatever order.

A saved or pulled contact moves its person's row by one step; a contact deleted, moved to
another person, moved to another day or month, or marked late afterwards takes other
triggers. Hypothesis writes histories of all of these straight into the tables (as a pull
does) across six years, past the 62 months the masks reach back, and the row must equal
a plain-Python count of the live contacts after each history.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civtui.domain.clock import Clock
from civtui.domain.models import Village
from civtui.services.keys import open_store
from db import Store
from tests.conftest import TODAY, VILLAGE, examples, make_person

PEOPLE = 2
TABLES = {"visit": ("visits", "visit_date"), "check": ("child_checks", "check_date")}
_SHARED: dict[str, Any] = {}


def month_index(day: str) -> int:
    return int(day[:4]) * 12 + int(day[5:7]) - 1


def day_number(day: str) -> int:
    return int(day.replace("-", ""))


def recount(store: Store, person_id: str) -> dict[str, int | None]:
    """What m006 and m010 say the row holds, counted from the live contacts."""
    facts: dict[str, int | None] = {}
    late: list[str] = []
    for kind, (table, column) in TABLES.items():
        rows = store.db.execute(
            f"SELECT {column}, late FROM {table} WHERE person_id = ? AND deleted = 0",
            [person_id],
        ).fetchall()
        days = [str(day) for day, _ in rows]
        late += [str(day) for day, is_late in rows if is_late]
        if not days:
            facts |= {f"{kind}_last": None, f"{kind}_month": None, f"{kind}_mask": 0}
            continue
        last = max(month_index(d) for d in days)
        gaps = {last - month_index(d) for d in days}
        facts |= {
            f"{kind}_last": day_number(max(days)),
            f"{kind}_month": last,
            f"{kind}_mask": sum(1 << gap for gap in gaps if gap < 62),
        }
    facts["late_last"] = day_number(max(late)) if late else None
    return facts


def stored(store: Store, person_id: str) -> dict[str, int | None]:
    names = ["visit_last", "visit_month", "visit_mask", "check_last", "check_month"]
    names += ["check_mask", "late_last"]
    row = store.db.execute(
        f"SELECT {', '.join(names)} FROM policy_facts WHERE person_id = ?", [person_id]
    ).fetchone()
    return dict(zip(names, row, strict=True))


def people_store(tmp: Path) -> tuple[Store, list[str]]:
    """One store per process, its contacts emptied between histories."""
    if "store" not in _SHARED:
        store = open_store(tmp / "facts.db", Clock.pinned(TODAY))
        store.save(Village(id=VILLAGE, name="海星村"))
        persons = [
            make_person(birth=dt.date(1950 + n, 5, 6), seq=101 + 2 * n, name=f"测试{n}")
            for n in range(PEOPLE)
        ]
        store.save_many(persons)
        _SHARED["store"], _SHARED["ids"] = store, [p.id for p in persons]
    store, ids = _SHARED["store"], _SHARED["ids"]
    with store.transaction(durable=False):
        for table, _ in TABLES.values():
            store.db.execute(f"DELETE FROM {table}")
        # Rows are never deleted but by this: the months go (their triggers recount), and
        # no late contact is left.
        store.db.execute("DELETE FROM contact_months")
        store.db.execute("UPDATE policy_facts SET late_last = NULL")
    return store, ids


def _day(month: int, day: int) -> str:
    return f"{2020 + month // 12}-{month % 12 + 1:02d}-{day:02d}"


# Months around the edges of the 62 the masks hold, counted from January 2020.
days = st.builds(_day, st.sampled_from([0, 1, 30, 61, 62, 63, 83]), st.integers(1, 28))
kinds = st.sampled_from(list(TABLES))
which = st.integers(0, 30)
person = st.integers(0, PEOPLE - 1)
#: Writes of each kind, adds most often: a history is mostly contacts recorded.
steps = st.sampled_from(["add"] * 4 + ["day", "delete", "move", "late"]).flatmap(
    lambda op: {
        "add": st.tuples(st.just(op), kinds, person, days, st.booleans(), st.booleans()),
        "day": st.tuples(st.just(op), kinds, which, days),
        "delete": st.tuples(st.just(op), kinds, which, st.booleans()),
        "move": st.tuples(st.just(op), kinds, which, person),
        "late": st.tuples(st.just(op), kinds, which, st.booleans()),
    }[op]
)


def write(store: Store, ids: list[str], step: tuple[Any, ...]) -> None:
    op, kind = step[0], step[1]
    table, column = TABLES[kind]
    if op == "add":
        _, _, who, day, late, deleted = step
        extra = {"visitor": "王"} if kind == "visit" else {"checker": "王"}
        if kind == "check":
            extra |= {"guardian_situation": "both_away", "risk_level": "low"}
        row = {"id": str(uuid.uuid4()), "person_id": ids[who], column: day, "late": int(late),
               "deleted": int(deleted), "updated_at": "2026-11-22T09:00:00.000+08:00",
               "device_id": "other", "hlc": "1763773200000-0000-other", **extra}  # fmt: skip
        names = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        store.db.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(row.values()))
        return
    present = [r for (r,) in store.db.execute(f"SELECT id FROM {table} ORDER BY rowid")]
    if not present:
        return
    record = present[step[2] % len(present)]
    value = step[3]
    if op == "day":
        store.db.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [value, record])
    elif op == "delete":
        store.db.execute(f"UPDATE {table} SET deleted = ? WHERE id = ?", [int(value), record])
    elif op == "move":
        store.db.execute(f"UPDATE {table} SET person_id = ? WHERE id = ?", [ids[value], record])
    else:
        store.db.execute(f"UPDATE {table} SET late = ? WHERE id = ?", [int(value), record])


@settings(
    max_examples=examples(300, 30),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=st.lists(steps, min_size=1, max_size=60))
def test_the_facts_kept_step_by_step_are_a_recount(
    tmp_path_factory: Any, history: list[tuple[Any, ...]]
) -> None:
    store, ids = people_store(tmp_path_factory.getbasetemp())
    with store.transaction(durable=False):
        for step in history:
            write(store, ids, step)
    for person_id in ids:
        assert stored(store, person_id) == recount(store, person_id)


def test_a_later_contact_in_a_month_moves_only_the_last_day(store: Store) -> None:
    """The common case, spelled out: a second visit in a month, then an earlier one."""
    store.save(Village(id=VILLAGE, name="海星村"))
    elder = make_person()
    store.save(elder)
    ids = [elder.id]
    write(store, ids, ("add", "visit", 0, "2026-09-03", False, False))
    write(store, ids, ("add", "visit", 0, "2026-11-02", False, False))
    write(store, ids, ("add", "visit", 0, "2026-11-20", True, False))
    write(store, ids, ("add", "visit", 0, "2026-11-05", False, False))
    assert stored(store, elder.id) == {
        "visit_last": 20261120,
        "visit_month": 2026 * 12 + 10,
        "visit_mask": 0b101,  # November, and September two months before
        "check_last": None,
        "check_month": None,
        "check_mask": 0,
        "late_last": 20261120,
    }
    # The latest visit taken back: the month stays, its last day goes back.
    write(store, ids, ("delete", "visit", 2, True))
    assert stored(store, elder.id) == recount(store, elder.id)
    assert stored(store, elder.id)["visit_last"] == 20261105
    assert stored(store, elder.id)["late_last"] is None


def test_a_month_last_day_set_earlier_in_place_is_recounted(store: Store) -> None:
    """No write of today's sets a month's last day back in place (a contact taken back
    recounts its month), but the facts follow it if one ever does."""
    store.save(Village(id=VILLAGE, name="海星村"))
    elder = make_person()
    store.save(elder)
    write(store, [elder.id], ("add", "visit", 0, "2026-10-30", False, False))
    write(store, [elder.id], ("add", "visit", 0, "2026-11-20", False, False))
    store.db.execute(
        "UPDATE contact_months SET last_day = '2026-11-03' WHERE person_id = ? AND month = ?",
        [elder.id, "2026-11"],
    )
    assert stored(store, elder.id)["visit_last"] == 20261103
    store.db.execute(
        "UPDATE contact_months SET last_day = '2026-11-25' WHERE person_id = ? AND month = ?",
        [elder.id, "2026-11"],
    )
    assert stored(store, elder.id)["visit_last"] == 20261125
