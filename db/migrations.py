"""The store's schema, as versioned migrations applied in order.

Each migration is a registered function; applied ones are recorded in
`_sqlite_migrations`. A new migration is appended, never edited once released.
Before any migration runs on a file that already holds data, a copy is taken.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlite_utils import Database, Migrations

from civtui.search import search_key
from db.connection import backup

migrations = Migrations("civtui")

#: Every synced table carries these: when and where it was last written, and
#: whether it is a tombstone (deletes keep the row so sync can pass them on).
META_COLUMNS: dict[str, type] = {"updated_at": str, "device_id": str, "hlc": str, "deleted": int}


def _synced_table(
    db: Database,
    name: str,
    columns: dict[str, type],
    foreign_keys: list[tuple[str, str, str]] | None = None,
) -> None:
    db.table(name).create(
        {"id": str, **columns, **META_COLUMNS},
        pk="id",
        not_null={"id", "updated_at", "device_id", "hlc"},
        defaults={"deleted": 0},
        foreign_keys=foreign_keys or [],
    )


@migrations()
def m001_initial(db: Database) -> None:
    db.table("meta").create({"key": str, "value": str}, pk="key")
    _synced_table(db, "villages", {"name": str, "township": str})
    _synced_table(db, "staff", {"name": str, "role": str, "village_codes": str})
    _synced_table(
        db,
        "households",
        {"village_code": str, "address": str, "economic_status": str, "head_name": str},
        [("village_code", "villages", "id")],
    )
    _synced_table(
        db,
        "persons",
        {
            "village_code": str,
            "household_id": str,
            "name": str,
            "id_number": str,
            "phone": str,
            "address": str,
            "categories": str,
            "status": str,
            "disability_grade": int,
            "guardian_name": str,
            "guardian_relation": str,
            "guardian_phone": str,
            "emergency_contact_name": str,
            "emergency_contact_phone": str,
            "registered_on": str,
            "notes": str,
        },
        [("village_code", "villages", "id"), ("household_id", "households", "id")],
    )
    person_fk = [("person_id", "persons", "id")]
    _synced_table(
        db,
        "visits",
        {
            "person_id": str,
            "visit_date": str,
            "visitor": str,
            "mode": str,
            "living_condition": str,
            "health": str,
            "safety_hazards": str,
            "mood": str,
            "notes": str,
            "follow_up_needed": int,
            "follow_up_note": str,
        },
        person_fk,
    )
    _synced_table(
        db,
        "child_checks",
        {
            "person_id": str,
            "check_date": str,
            "checker": str,
            "mode": str,
            "guardian_situation": str,
            "school_status": str,
            "health": str,
            "risk_flags": str,
            "allowance_received": int,
            "risk_level": str,
            "reported_at": str,
            "reported_to": str,
            "notes": str,
        },
        person_fk,
    )
    _synced_table(
        db,
        "elder_needs",
        {
            "person_id": str,
            "need_type": str,
            "urgency": str,
            "description": str,
            "status": str,
            "referred_to": str,
            "raised_on": str,
            "raised_by": str,
            "resolution_note": str,
        },
        person_fk,
    )
    _synced_table(
        db,
        "need_status_changes",
        {
            "need_id": str,
            "from_status": str,
            "to_status": str,
            "changed_at": str,
            "staff": str,
            "note": str,
        },
        [("need_id", "elder_needs", "id")],
    )
    items = [
        "feeding",
        "bathing",
        "grooming",
        "dressing",
        "bowels",
        "bladder",
        "toilet",
        "transfer",
        "mobility",
        "stairs",
    ]
    _synced_table(
        db,
        "assessments",
        {
            "person_id": str,
            "assessed_on": str,
            "assessor": str,
            **dict.fromkeys(items, int),
            "total": int,
            "level": str,
        },
        person_fk,
    )
    # Empty means the defaults of civtui.policy; rows come from the township.
    _synced_table(db, "visit_policy", {"frequency": str})
    # The outbox: every local write, in order; `seq` is this device's sequence number.
    db.execute(
        """
        CREATE TABLE changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('upsert', 'delete')),
            fields TEXT NOT NULL,
            hlc TEXT NOT NULL,
            device_id TEXT NOT NULL,
            created_at TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'accepted', 'conflict', 'rejected')),
            reason TEXT,
            acked_at TEXT
        )
        """
    )
    db.execute("CREATE INDEX changes_pending ON changes(status) WHERE status = 'pending'")
    db.execute("CREATE INDEX changes_record ON changes(table_name, record_id)")
    for table in ("households", "persons"):
        db.table(table).create_index(["village_code"])
    db.table("persons").create_index(["id_number"])
    for table in ("visits", "child_checks", "elder_needs", "assessments"):
        db.table(table).create_index(["person_id"])
    db.table("need_status_changes").create_index(["need_id"])


@migrations()
def m002_person_search(db: Database) -> None:
    """A local-only index of search keys (pinyin, initials); it never syncs."""
    db.execute("CREATE TABLE person_search (person_id TEXT PRIMARY KEY, key TEXT NOT NULL)")
    rows = db.execute("SELECT id, name FROM persons").fetchall()
    db.conn.executemany(
        "INSERT INTO person_search (person_id, key) VALUES (?, ?)",
        [(pid, search_key(name)) for pid, name in rows],
    )


@migrations()
def m003_sync_state(db: Database) -> None:
    """What sync needs locally: the server version of each record, and pulled conflicts."""
    db.execute(
        """
        CREATE TABLE record_versions (
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (table_name, record_id)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE conflicts (
            id INTEGER PRIMARY KEY,
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            field TEXT NOT NULL,
            kept_value TEXT,
            lost_value TEXT,
            kept_device TEXT NOT NULL,
            lost_device TEXT NOT NULL,
            lost_hlc TEXT NOT NULL,
            resolved INTEGER NOT NULL DEFAULT 0
        )
        """
    )
    db.execute("CREATE INDEX conflicts_record ON conflicts(table_name, record_id)")


@migrations()
def m004_sync_runs(db: Database) -> None:
    """Which sync settled each change, so the outcome of the last one can be listed."""
    db.execute("ALTER TABLE changes ADD COLUMN sync_run INTEGER")


def _contact_triggers(db: Database, table: str, column: str, kind: str) -> None:
    month = f"substr({{row}}.{column}, 1, 7)"
    new_month, old_month = month.format(row="NEW"), month.format(row="OLD")
    # One execute per trigger: executescript would commit the migration's transaction.
    db.execute(
        f"""
        CREATE TRIGGER {table}_contact_insert AFTER INSERT ON {table} WHEN NEW.deleted = 0
        BEGIN
            INSERT INTO contact_months VALUES (NEW.person_id, '{kind}', {new_month}, NEW.{column})
            ON CONFLICT(person_id, kind, month)
            DO UPDATE SET last_day = max(last_day, excluded.last_day);
        END
        """
    )
    db.execute(
        f"""
        CREATE TRIGGER {table}_contact_update
        AFTER UPDATE OF {column}, person_id, deleted ON {table}
        BEGIN
            DELETE FROM contact_months WHERE kind = '{kind}' AND (
                (person_id = OLD.person_id AND month = {old_month})
                OR (person_id = NEW.person_id AND month = {new_month}));
            INSERT INTO contact_months
            SELECT person_id, '{kind}', substr({column}, 1, 7), max({column}) FROM {table}
            WHERE deleted = 0 AND (
                (person_id = OLD.person_id AND substr({column}, 1, 7) = {old_month})
                OR (person_id = NEW.person_id AND substr({column}, 1, 7) = {new_month}))
            GROUP BY person_id, substr({column}, 1, 7);
        END
        """
    )


@migrations()
def m005_contact_months(db: Database) -> None:
    """Who was contacted in which month, kept by triggers in the same transaction as the
    visit or child check, so the dashboard reads one small table instead of every visit."""
    db.execute(
        """
        CREATE TABLE contact_months (
            person_id TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('visit', 'check')),
            month TEXT NOT NULL,
            last_day TEXT NOT NULL,
            PRIMARY KEY (person_id, kind, month)
        ) WITHOUT ROWID
        """
    )
    db.execute("CREATE INDEX contact_months_month ON contact_months(kind, month, person_id)")
    for table, column, kind in (
        ("visits", "visit_date", "visit"),
        ("child_checks", "check_date", "check"),
    ):
        db.execute(
            f"INSERT INTO contact_months SELECT person_id, '{kind}', substr({column}, 1, 7), "
            f"max({column}) FROM {table} WHERE deleted = 0 "
            f"GROUP BY person_id, substr({column}, 1, 7)"
        )
        _contact_triggers(db, table, column, kind)


def pending(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


def migrate(db: Database, path: Path, now: dt.datetime) -> Path | None:
    """Apply pending migrations; returns the path of the safety copy taken first, if any."""
    todo = pending(db)
    if not todo:
        return None
    copy = None
    if migrations.applied(db):
        stamp = now.strftime("%Y%m%d-%H%M%S")
        copy = path.with_name(f"{path.name}.before-{todo[0]}-{stamp}.bak")
        backup(db, copy)
    migrations.apply(db)
    return copy
