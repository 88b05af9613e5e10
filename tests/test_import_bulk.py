"""An import's new people go in set-wise (`Store.save_new`, m018), and the file afterwards
is the file `save_many` would have written person by person: every table, row for row,
the change log's stamps and times, the dashboard's facts and their classes' numbers."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Assessment, Person, Village
from civtui.excel import importer
from db import Store, open_store
from db.migrations import FACTS_BY_BATCH
from tests.conftest import CTX, TODAY, VILLAGE, make_person, synthetic_id

HOSTILE = ["[b]王[/b]", "王=1+1", "李\\x1b[31m四", "[/]", '赵=HYPERLINK("x")', "钱[red]"]
CATEGORIES = ["独居", "低保", "独居、低保", "高龄、空巢", "", "孤寡、特困、重病"]
STATUSES = ["在册", "在册", "迁出", "死亡"]


@dataclass(frozen=True)
class Ticking(Clock):
    """A clock a millisecond later at every reading: both ways must read it alike."""

    readings: list[int] = field(default_factory=list)

    def now(self) -> dt.datetime:
        self.readings.append(1)
        start = dt.datetime(2026, 11, 22, 10, tzinfo=CHINA_TZ)
        return start + dt.timedelta(milliseconds=len(self.readings))


def roster(path: Path, n: int) -> Path:
    """A workbook of `n` people with hostile names and notes, every category and status the
    tests' classes need, and rows that lie about their type: an ID typed as a number, a
    name that is a number, a date where a phone goes, a name that is a formula."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["姓名", "身份证号", "村(社区)", "类别", "户籍状况", "联系电话", "备注"])
    for i in range(n):
        born = dt.date(1930 + i % 60, 1 + i % 12, 1 + i % 28)
        sheet.append(
            [
                f"{HOSTILE[i % len(HOSTILE)]}{i}",
                synthetic_id(born, seq=100 + i),
                "海星村",
                CATEGORIES[i % len(CATEGORIES)],
                STATUSES[i % len(STATUSES)],
                "13905801234" if i % 2 else "",
                "=SUM(A1:A9)" if i % 3 == 0 else "[i]备注[/i]\\",
            ]
        )
    sheet.append(["张三", int(synthetic_id(dt.date(1950, 1, 1), seq=990)), "海星村"])
    sheet.append([12345, synthetic_id(dt.date(1951, 1, 1), seq=991), "海星村", "独居"])
    sheet.append(["王五", synthetic_id(dt.date(1952, 1, 1), seq=992), "海星村", "", "", TODAY])
    sheet.append(["=A2", synthetic_id(dt.date(1953, 1, 1), seq=993), "海星村"])
    book.save(path)
    return path


def seeded(path: Path, clock: Clock) -> None:
    """A profile already holding people, and the classes (one with an ADL level) they make."""
    store = open_store(path, clock)
    store.save(Village(id=VILLAGE, name="海星村", township="金塘镇"))
    held = make_person(name="老[/]人", seq=901, categories=["独居"])
    store.save_many([held, make_person(name="=王", seq=903, categories=["高龄", "空巢"])])
    # Scores of a partly dependent person (a level other than the imported people's).
    items = dict.fromkeys(["feeding", "dressing", "bowels", "bladder", "toilet"], 5)
    scores = {**items, "transfer": 5, "mobility": 5, "bathing": 0, "grooming": 0, "stairs": 0}
    adl = {"person_id": held.id, "assessed_on": TODAY, "assessor": "王", **scores}
    store.save(Assessment.model_validate(adl, context=CTX))
    store.close()


def everything(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of the file, rows in their stored order (rowid, or the key)."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            (name, "WITHOUT ROWID" in sql.upper())
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {
            name: conn.execute(
                f"SELECT * FROM [{name}]" if keyless else f"SELECT rowid, * FROM [{name}]"
            ).fetchall()
            for name, keyless in tables
        }
    finally:
        conn.close()


def per_row(store: Store, plan: importer.ImportPlan) -> None:
    """The import as it was written before m018: `save_many`, a chunk at a time."""
    with store.transaction():
        for start in range(0, len(plan.new), importer.APPLY_CHUNK):
            store.save_many(plan.new[start : start + importer.APPLY_CHUNK])


@pytest.mark.parametrize("n", [7, importer.APPLY_CHUNK + 40])
def test_an_import_writes_what_person_by_person_writes(tmp_path: Path, n: int) -> None:
    first, second = tmp_path / "bulk.db", tmp_path / "rows.db"
    seeded(first, Clock.pinned(TODAY))
    shutil.copy(first, second)
    bulk, rows = open_store(first, Ticking()), open_store(second, Ticking())
    table = importer.read_table(roster(tmp_path / "名册.xlsx", n))
    plan = importer.plan_import(bulk, table, TODAY)
    # The rows that lie about their type are refused; the rest are the import.
    assert len(plan.new) == n + 1 and len(plan.bad_rows) == 3, plan.problems
    assert {p.name for p in plan.new} >= {"[b]王[/b]0", "王=1+11", "李\\x1b[31m四2", "12345"}
    assert importer.apply(bulk, plan) == n + 1
    per_row(rows, plan)
    bulk.close()
    rows.close()

    made, expected = everything(first), everything(second)
    assert made == expected
    assert made[FACTS_BY_BATCH] == []
    # Not equal by both being empty: every new person has their facts and their log entry,
    # in classes the seeded file did not have (it had three).
    conn = sqlite3.connect(first)
    try:
        with_facts = {r[0] for r in conn.execute("SELECT person_id FROM policy_facts")}
        classes = conn.execute("SELECT count(*) FROM policy_classes").fetchone()[0]
    finally:
        conn.close()
    assert with_facts >= {p.id for p in plan.new}
    assert classes > 3
    logged = [r for r in made["changes"] if r[2] == "persons"]
    assert [r[3] for r in logged[-(n + 1) :]] == [p.id for p in plan.new]
    stamps = [r[6] for r in logged]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_a_batch_the_file_partly_holds_goes_person_by_person(tmp_path: Path) -> None:
    path = tmp_path / "p.db"
    seeded(path, Clock.pinned(TODAY))
    store = open_store(path, Clock.pinned(TODAY))
    try:
        held = store.all(Person, order_by="rowid")[0]
        fresh = make_person(name="新[/]人", seq=905)
        moved = held.revise(context=CTX, status="moved_out")
        assert store.save_new([fresh, moved]) == 2
        assert store.get(Person, held.id) == moved
        # The status change got its dated event, as any save of a person does.
        events = store.db.execute(
            "SELECT status FROM person_events WHERE person_id = ?", [held.id]
        ).fetchall()
        assert events == [("moved_out",)]
        assert store.db.execute(f"SELECT count(*) FROM {FACTS_BY_BATCH}").fetchone() == (0,)
        with pytest.raises(ValueError, match="one kind"):
            store.save_new([make_person(seq=907), Village(id="330902112202", name="别村")])
        assert store.save_new([]) == 0
    finally:
        store.close()


def test_the_insert_trigger_still_keeps_the_facts_of_a_person_saved_alone(
    tmp_path: Path,
) -> None:
    path = tmp_path / "p.db"
    seeded(path, Clock.pinned(TODAY))
    store = open_store(path, Clock.pinned(TODAY))
    try:
        alone = make_person(name="单[/]独", seq=909, categories=["孤寡"])
        store.save(alone)
        row = store.db.execute(
            "SELECT c.categories, f.birth FROM policy_facts f "
            "JOIN policy_classes c ON c.id = f.class_id WHERE f.person_id = ?",
            [alone.id],
        ).fetchone()
        assert row == ('["childless_widowed"]', 19500506)
    finally:
        store.close()
