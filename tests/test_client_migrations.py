"""A laptop's profile from the first release, migrated, is a profile created today."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from typing import Any

from civtui.domain.choices import GuardianSituation, NeedStatus, NeedType, RiskLevel, Urgency
from civtui.domain.clock import Clock
from civtui.domain.models import ChildCheck, ElderNeed, Village, Visit
from db import migrations, open_store, outbox
from db.connection import connect
from tests.conftest import CTX, TODAY, VILLAGE, make_person

#: The tables whose rows the store derives from the records, by triggers or on opening.
DERIVED = ("person_search", "policy_classes", "policy_facts", "contact_months", "need_counts")


def schema(path: Path) -> set[tuple[str, str, str]]:
    db = connect(path)
    try:
        return {
            (kind, name, " ".join(sql.split()))
            for kind, name, sql in db.execute(
                "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"
            ).fetchall()
        }
    finally:
        db.conn.close()


def derived(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    db = connect(path)
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in DERIVED}
    finally:
        db.conn.close()


def test_the_oldest_profile_migrated_is_a_fresh_one(tmp_path: Path, clock: Clock) -> None:
    # Today's profile, with a person whose name reads unusually, a visit, a high-risk
    # child check and an urgent open need: everything the derived tables know about.
    fresh_path = tmp_path / "fresh.db"
    fresh = open_store(fresh_path, clock)
    fresh.save(Village(id=VILLAGE, name="海星村", township="金塘镇"))
    elder = make_person(name="曾乐", categories=["高龄"])
    child = make_person(birth=dt.date(2018, 3, 3), seq=133, name="单仇")
    fresh.save_many([elder, child])
    visit = {"person_id": elder.id, "visit_date": TODAY, "visitor": "王"}
    fresh.save(Visit.model_validate(visit, context=CTX))
    check = {"person_id": child.id, "check_date": TODAY, "checker": "王",
             "guardian_situation": GuardianSituation.BOTH_AWAY, "risk_level": RiskLevel.HIGH,
             "reported_at": dt.datetime(2026, 11, 22, 9), "reported_to": "镇民政办"}  # fmt: skip
    fresh.save(ChildCheck.model_validate(check, context=CTX))
    need = {"person_id": elder.id, "need_type": NeedType.MEALS, "urgency": Urgency.URGENT,
            "status": NeedStatus.PENDING, "raised_on": TODAY, "raised_by": "王"}  # fmt: skip
    fresh.save(ElderNeed.model_validate(need, context=CTX))
    fresh.close()

    # The first release's profile: migration m001 only, holding the same records.
    old_path = tmp_path / "old.db"
    old = connect(old_path)
    migrations.migrations.apply(old, stop_before="m002_person_search")
    old.execute("ATTACH DATABASE ? AS fresh", [str(fresh_path)])
    for table in old.table_names():
        if table.startswith("_") or table == "meta":
            continue
        columns = ", ".join(f"[{c.name}]" for c in old.table(table).columns)
        old.execute(f"INSERT INTO main.[{table}] ({columns}) SELECT {columns} FROM fresh.[{table}]")
    old.execute("DETACH DATABASE fresh")
    old.conn.close()

    open_store(old_path, clock).close()  # migrates, from m002 on
    assert schema(old_path) == schema(fresh_path)
    assert derived(old_path) == derived(fresh_path)
    assert derived(old_path)["person_search"]  # the names were indexed on opening
    [copy] = tmp_path.glob("old.db.before-m002_person_search-*.bak")  # and a copy taken first
    assert copy.exists()


def test_migrations_call_no_live_domain_code() -> None:
    """What a released migration does may not change when the domain's code does."""
    source = Path(migrations.__file__).read_text(encoding="utf-8")
    imported = {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert not {m for m in imported if m.startswith("civtui")}, imported


def test_conflicts_resolved_before_m011_are_told_to_the_server(tmp_path: Path) -> None:
    """A laptop that resolved conflicts before resolutions synced tells the server at its
    next sync, so the other laptops close them too; open ones wait for a person."""
    path = tmp_path / "old.db"
    old = connect(path)
    migrations.migrations.apply(old, stop_before="m011_conflict_resolutions")
    for conflict_id, resolved in ((7, 1), (8, 0)):
        old.execute(
            "INSERT INTO conflicts (id, table_name, record_id, field, kept_value, lost_value, "
            "kept_device, lost_device, lost_hlc, resolved) "
            "VALUES (?, 'persons', 'p1', 'phone', '\"1\"', '\"2\"', 'a', 'b', '0', ?)",
            [conflict_id, resolved],
        )
    old.conn.commit()
    old.conn.close()
    store = open_store(path, Clock.pinned(TODAY))
    assert outbox.unsent_resolutions(store, 10) == [7]
    assert [c.id for c in outbox.open_conflicts(store, ["p1"])] == [8]
    store.close()
