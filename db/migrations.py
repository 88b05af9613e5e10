"""The store's schema, as versioned migrations applied in order.

Each migration is a registered function; applied ones are recorded in
`_sqlite_migrations`. A new migration is appended, never edited once released, and says
everything in SQL and literals of its own: no calls into live domain code (choices, search
keys), whose later changes would silently change what an old migration does.
Before any migration runs on a file that already holds data, a copy is taken.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path

from sqlite_utils import Database, Migrations

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
    # Empty means the defaults of civtui.domain.policy; rows come from the township.
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
    """A local-only index of search keys (pinyin, initials); it never syncs.

    The keys are derived data: the store fills in those of people without one when it opens
    (`db.store.index_missing_names`), with today's rules for a key.
    """
    db.execute("CREATE TABLE person_search (person_id TEXT PRIMARY KEY, key TEXT NOT NULL)")


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


def _month_index(month: str) -> str:
    """SQL for a 'YYYY-MM' text as a count of months, so months can be subtracted."""
    return f"(CAST(substr({month}, 1, 4) AS INTEGER) * 12 + CAST(substr({month}, 6, 2) AS INTEGER) - 1)"


def _day_number(day: str) -> str:
    """SQL for a 'YYYY-MM-DD' text as the number YYYYMMDD, which compares the same way."""
    return f"CAST(replace({day}, '-', '') AS INTEGER)"


_LATEST_LEVEL = (
    "coalesce((SELECT level FROM assessments WHERE person_id = {pid} AND deleted = 0 "
    "ORDER BY assessed_on DESC, hlc DESC LIMIT 1), '')"
)


def _refresh_person(pid: str) -> list[str]:
    """Statements that rewrite the person columns of `pid`'s policy_facts row (or drop it)."""
    level = _LATEST_LEVEL.format(pid=pid)
    return [
        # Not INSERT OR IGNORE: an OR REPLACE on the statement that fired the trigger would
        # override it and delete the class every other person points at.
        f"""INSERT INTO policy_classes (categories, status, level)
            SELECT categories, status, {level} FROM persons p WHERE id = {pid} AND deleted = 0
            AND NOT EXISTS (SELECT 1 FROM policy_classes c WHERE c.categories = p.categories
                            AND c.status = p.status AND c.level = {level})""",
        f"""INSERT INTO policy_facts (person_id, village_code, class_id, birth, registered)
            SELECT p.id, p.village_code, c.id, CAST(substr(p.id_number, 7, 8) AS INTEGER),
                   {_day_number("p.registered_on")}
            FROM persons p JOIN policy_classes c
              ON c.categories = p.categories AND c.status = p.status AND c.level = {level}
            WHERE p.id = {pid} AND p.deleted = 0
            ON CONFLICT (person_id) DO UPDATE SET village_code = excluded.village_code,
                class_id = excluded.class_id, birth = excluded.birth,
                registered = excluded.registered""",
        f"""DELETE FROM policy_facts WHERE person_id = {pid}
            AND NOT EXISTS (SELECT 1 FROM persons WHERE id = {pid} AND deleted = 0)""",
    ]


def _refresh_contacts(pid: str, kind: str) -> str:
    """The last contact of one kind, and a bit for every month with one (bit i: i months
    before the last), reaching back 62 months: enough for any period the policy asks about."""
    last = f"(SELECT max(month) FROM contact_months WHERE person_id = {pid} AND kind = '{kind}')"
    return f"""
        UPDATE policy_facts SET
            {kind}_last = (SELECT {_day_number("max(last_day)")} FROM contact_months
                           WHERE person_id = {pid} AND kind = '{kind}'),
            {kind}_month = {_month_index(last)},
            {kind}_mask = coalesce((
                SELECT sum(1 << ({_month_index(last)} - {_month_index("month")}))
                FROM contact_months WHERE person_id = {pid} AND kind = '{kind}'
                AND month > substr(date({last} || '-01', '-62 months'), 1, 7)), 0)
        WHERE person_id = {pid}"""


def _refresh_high_risk(pid: str) -> str:
    return f"""
        UPDATE policy_facts SET high_risk = coalesce((
            SELECT risk_level = 'high' FROM child_checks
            WHERE person_id = {pid} AND deleted = 0
            ORDER BY check_date DESC, hlc DESC LIMIT 1), 0)
        WHERE person_id = {pid}"""


def _refresh_urgent(pid: str) -> str:
    # The stored values of RiskLevel.HIGH, Urgency.URGENT and the closed NeedStatus values
    # as they were when this was released: a stored value never changes meaning.
    return f"""
        UPDATE policy_facts SET urgent = EXISTS (
            SELECT 1 FROM elder_needs WHERE person_id = {pid} AND deleted = 0
            AND urgency = 'urgent' AND status NOT IN ('resolved', 'unresolvable'))
        WHERE person_id = {pid}"""


def _refresh_all(pid: str) -> list[str]:
    return [
        *_refresh_person(pid),
        _refresh_contacts(pid, "visit"),
        _refresh_contacts(pid, "check"),
        _refresh_high_risk(pid),
        _refresh_urgent(pid),
    ]


def _trigger(name: str, event: str, table: str, statements: list[str], when: str = "") -> str:
    body = ";\n".join(statements)
    return f"CREATE TRIGGER {name} {event} ON {table} {when}\nBEGIN\n{body};\nEND"


def _update_triggers(
    name: str, columns: str, table: str, refresh: Callable[[str], list[str]], when: str = "TRUE"
) -> list[str]:
    """An update refreshes the record's person, and the person it was moved away from."""
    return [
        _trigger(
            f"{name}_update",
            f"AFTER UPDATE OF {columns}",
            table,
            refresh("NEW.person_id"),
            f"WHEN {when}",
        ),
        _trigger(
            f"{name}_moved",
            "AFTER UPDATE OF person_id",
            table,
            refresh("OLD.person_id"),
            "WHEN OLD.person_id IS NOT NEW.person_id",
        ),
    ]


@migrations()
def m006_dashboard_facts(db: Database) -> None:
    """One narrow row of numbers per live person with all the visit policy asks about,
    kept by triggers, so the dashboard counts 50,000 people in SQL instead of in Python.

    `policy_classes` numbers each distinct (categories, status, latest ADL level); the
    policy itself stays in Python and is applied once per class, not once per person.
    """
    db.execute(
        """
        CREATE TABLE policy_classes (
            id INTEGER PRIMARY KEY,
            categories TEXT NOT NULL,
            status TEXT NOT NULL,
            level TEXT NOT NULL,
            UNIQUE (categories, status, level)
        )
        """
    )
    db.execute(
        """
        CREATE TABLE policy_facts (
            class_id INTEGER NOT NULL,
            birth INTEGER NOT NULL,
            registered INTEGER NOT NULL,
            visit_month INTEGER,
            visit_mask INTEGER NOT NULL DEFAULT 0,
            check_month INTEGER,
            check_mask INTEGER NOT NULL DEFAULT 0,
            visit_last INTEGER,
            check_last INTEGER,
            high_risk INTEGER NOT NULL DEFAULT 0,
            urgent INTEGER NOT NULL DEFAULT 0,
            village_code TEXT,
            person_id TEXT NOT NULL UNIQUE
        )
        """
    )
    db.execute("CREATE INDEX policy_facts_high_risk ON policy_facts(high_risk) WHERE high_risk")
    # The dashboard counts open needs by status.
    db.execute("CREATE INDEX elder_needs_status ON elder_needs(status) WHERE deleted = 0")
    for row in db.execute("SELECT id FROM persons WHERE deleted = 0").fetchall():
        for sql in _refresh_all("?"):
            db.execute(sql, [row[0]] * sql.count("?"))
    statements = [
        _trigger("persons_facts_insert", "AFTER INSERT", "persons", _refresh_all("NEW.id")),
        _trigger(
            "persons_facts_update",
            "AFTER UPDATE OF categories, status, id_number, registered_on, village_code, deleted",
            "persons",
            _refresh_all("NEW.id"),
        ),
        _trigger(
            "assessments_facts_insert",
            "AFTER INSERT",
            "assessments",
            _refresh_person("NEW.person_id"),
        ),
        *_update_triggers(
            "assessments_facts",
            "person_id, assessed_on, level, deleted",
            "assessments",
            _refresh_person,
        ),
        _trigger(
            "child_checks_facts_insert",
            "AFTER INSERT",
            "child_checks",
            [_refresh_high_risk("NEW.person_id")],
        ),
        *_update_triggers(
            "child_checks_facts",
            "person_id, check_date, risk_level, deleted",
            "child_checks",
            lambda pid: [_refresh_high_risk(pid)],
        ),
        _trigger(
            "elder_needs_facts_insert",
            "AFTER INSERT",
            "elder_needs",
            [_refresh_urgent("NEW.person_id")],
        ),
        *_update_triggers(
            "elder_needs_facts",
            "person_id, urgency, status, deleted",
            "elder_needs",
            lambda pid: [_refresh_urgent(pid)],
        ),
    ]
    for kind in ("visit", "check"):

        def contacts(pid: str, kind: str = kind) -> list[str]:
            return [_refresh_contacts(pid, kind)]

        statements += [
            _trigger(
                f"contact_months_{kind}_insert",
                "AFTER INSERT",
                "contact_months",
                contacts("NEW.person_id"),
                f"WHEN NEW.kind = '{kind}'",
            ),
            *_update_triggers(
                f"contact_months_{kind}",
                "person_id, month, last_day",
                "contact_months",
                contacts,
                f"NEW.kind = '{kind}' AND (NEW.last_day IS NOT OLD.last_day "
                "OR NEW.month IS NOT OLD.month OR NEW.person_id IS NOT OLD.person_id)",
            ),
            _trigger(
                f"contact_months_{kind}_delete",
                "AFTER DELETE",
                "contact_months",
                contacts("OLD.person_id"),
                f"WHEN OLD.kind = '{kind}'",
            ),
        ]
    for sql in statements:
        db.execute(sql)


@migrations()
def m007_need_counts(db: Database) -> None:
    """Live needs by status, kept by triggers: the dashboard shows these counts on every
    refresh, and counting 30,000 needs each time took a tenth of its time."""
    db.execute("CREATE TABLE need_counts (status TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute(
        "INSERT INTO need_counts (status, n) "
        "SELECT status, count(*) FROM elder_needs WHERE deleted = 0 GROUP BY status"
    )
    add = (
        "INSERT INTO need_counts (status, n) SELECT {row}.status, 1 WHERE {row}.deleted = 0 "
        "ON CONFLICT (status) DO UPDATE SET n = n + 1"
    )
    take = "UPDATE need_counts SET n = n - 1 WHERE {row}.deleted = 0 AND status = {row}.status"
    statements = [
        _trigger("need_counts_insert", "AFTER INSERT", "elder_needs", [add.format(row="NEW")]),
        _trigger(
            "need_counts_update",
            "AFTER UPDATE OF status, deleted",
            "elder_needs",
            [take.format(row="OLD"), add.format(row="NEW")],
        ),
        _trigger("need_counts_delete", "AFTER DELETE", "elder_needs", [take.format(row="OLD")]),
    ]
    for sql in statements:
        db.execute(sql)


@migrations()
def m008_held_records(db: Database) -> None:
    """Pulled records waiting for a record they refer to (a pull never fails on them)."""
    db.execute(
        """CREATE TABLE held_records (
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            version INTEGER NOT NULL,
            body TEXT NOT NULL,
            PRIMARY KEY (table_name, record_id)
        )"""
    )


@migrations()
def m009_corrections_and_follow_ups(db: Database) -> None:
    """A deleted record says why (the reason travels with its tombstone); a follow-up noted on
    a visit or a child check is marked done on the day it was, and the dashboard lists those
    still open from a partial index rather than by reading every visit."""
    for table in ("visits", "child_checks", "elder_needs", "assessments"):
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN deleted_reason TEXT NOT NULL DEFAULT ''")
    db.execute("ALTER TABLE child_checks ADD COLUMN follow_up_needed INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE child_checks ADD COLUMN follow_up_note TEXT NOT NULL DEFAULT ''")
    for table in ("visits", "child_checks"):
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN follow_up_done_on TEXT")
        db.execute(
            f"CREATE INDEX [{table}_open_follow_ups] ON [{table}] (person_id) "
            "WHERE follow_up_needed = 1 AND follow_up_done_on IS NULL AND deleted = 0"
        )


_LEVEL_CODE = (
    # The stored values of DependencyLevel.SEVERE and .MODERATE, as this migration knew them.
    "CASE {col} WHEN 'severe' THEN 2 WHEN 'moderate' THEN 1 ELSE 0 END"
)


def _refresh_history(pid: str) -> list[str]:
    """Statements that rewrite what m010 added to `pid`'s policy_facts row: the day of the
    person's latest dated change, the latest two assessments, the latest 补录 contact."""
    assessment = (
        "(SELECT {what} FROM assessments WHERE person_id = " + pid + " AND deleted = 0 "
        "ORDER BY assessed_on DESC, hlc DESC LIMIT 1 OFFSET {offset})"
    )

    def nth(what: str, offset: int) -> str:
        return assessment.format(what=what, offset=offset)

    late = (
        "(SELECT max(day) FROM (SELECT visit_date AS day FROM visits WHERE person_id = "
        + pid
        + " AND deleted = 0 AND late = 1 UNION ALL SELECT check_date FROM child_checks "
        "WHERE person_id = " + pid + " AND deleted = 0 AND late = 1))"
    )
    return [
        f"""UPDATE policy_facts SET
            changed = (SELECT {_day_number("max(effective_on)")} FROM person_events
                       WHERE person_id = {pid} AND deleted = 0),
            level_code = {nth(_LEVEL_CODE.format(col="level"), 0)},
            assessed = {nth(_day_number("assessed_on"), 0)},
            prior_level = {nth(_LEVEL_CODE.format(col="level"), 1)},
            prior_assessed = {nth(_day_number("assessed_on"), 1)},
            late_last = {_day_number(late)}
        WHERE person_id = {pid}"""
    ]


@migrations()
def m010_dated_history(db: Database) -> None:
    """Dated status and category changes, closed months (月报), the township's visit rules,
    and 补录 marks; policy_facts learns what the rules need to judge a past period.

    Existing undated changes are dated by their change-log time: each status or category
    change this laptop made becomes a dated event, logged to sync like any other write.
    """
    _synced_table(
        db,
        "person_events",
        {
            "person_id": str,
            "effective_on": str,
            "status_before": str,
            "status": str,
            "category": str,
            "held": int,
            "note": str,
        },
        [("person_id", "persons", "id")],
    )
    db.table("person_events").create_index(["person_id"])
    _synced_table(
        db,
        "month_reports",
        {"village_code": str, "month": str, "taken_at": str, "figures": str},
        [("village_code", "villages", "id")],
    )
    _synced_table(db, "policy_rules", {"value": str})
    for table in ("visits", "child_checks"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN late INTEGER NOT NULL DEFAULT 0")
    for column in (
        "changed",
        "level_code",
        "assessed",
        "prior_level",
        "prior_assessed",
        "late_last",
    ):
        db.execute(f"ALTER TABLE policy_facts ADD COLUMN {column} INTEGER")
    _date_past_changes(db)
    for row in db.execute("SELECT id FROM persons WHERE deleted = 0").fetchall():
        for sql in _refresh_history("?"):
            db.execute(sql, [row[0]] * sql.count("?"))
    # The person triggers insert the facts row: they are made again with the new columns
    # in the same trigger, since SQLite does not promise the order of two triggers.
    db.execute("DROP TRIGGER persons_facts_insert")
    db.execute("DROP TRIGGER persons_facts_update")

    def everything(pid: str) -> list[str]:
        return [*_refresh_all(pid), *_refresh_history(pid)]

    statements = [
        _trigger("persons_facts_insert", "AFTER INSERT", "persons", everything("NEW.id")),
        _trigger(
            "persons_facts_update",
            "AFTER UPDATE OF categories, status, id_number, registered_on, village_code, deleted",
            "persons",
            everything("NEW.id"),
        ),
        _trigger(
            "person_events_facts_insert",
            "AFTER INSERT",
            "person_events",
            _refresh_history("NEW.person_id"),
        ),
        *_update_triggers(
            "person_events_facts",
            "person_id, effective_on, deleted",
            "person_events",
            _refresh_history,
        ),
        _trigger(
            "assessments_history_insert",
            "AFTER INSERT",
            "assessments",
            _refresh_history("NEW.person_id"),
        ),
        *_update_triggers(
            "assessments_history",
            "person_id, assessed_on, level, deleted, hlc",
            "assessments",
            _refresh_history,
        ),
    ]
    for table, column in (("visits", "visit_date"), ("child_checks", "check_date")):
        statements += [
            _trigger(
                f"{table}_late_insert",
                "AFTER INSERT",
                table,
                _refresh_history("NEW.person_id"),
                "WHEN NEW.late = 1",
            ),
            *_update_triggers(
                f"{table}_late", f"person_id, {column}, late, deleted", table, _refresh_history
            ),
        ]
    for sql in statements:
        db.execute(sql)


def _date_past_changes(db: Database) -> None:
    """Turn this laptop's own undated status and category changes into dated events."""
    device = db.execute("SELECT value FROM meta WHERE key = 'device_id'").fetchone()
    if device is None:
        return
    state: dict[str, tuple[str | None, list[str] | None]] = {}
    rows = db.execute(
        "SELECT seq, record_id, fields, hlc, created_at FROM changes "
        "WHERE table_name = 'persons' AND op = 'upsert' ORDER BY seq"
    ).fetchall()
    events: list[dict[str, object]] = []
    for seq, pid, fields_text, stamp, created_at in rows:
        fields = json.loads(fields_text)
        status, cats = state.get(pid, (None, None))
        day = str(created_at)[:10]
        if pid in state:
            if "status" in fields and status is not None and fields["status"] != status:
                events.append(
                    {
                        "status_before": status,
                        "status": fields["status"],
                        "category": None,
                        "held": None,
                    }
                    | {"id": f"{pid}:{seq}:status", "pid": pid, "day": day, "hlc": stamp}
                )
            if "categories" in fields and cats is not None:
                for category in sorted(set(cats) ^ set(fields["categories"])):
                    events.append(
                        {
                            "status_before": None,
                            "status": None,
                            "category": category,
                            "held": int(category in fields["categories"]),
                        }
                        | {"id": f"{pid}:{seq}:{category}", "pid": pid, "day": day, "hlc": stamp}
                    )
        state[pid] = (fields.get("status", status), fields.get("categories", cats))
    for event in events:
        record_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"civtui:{device[0]}:{event['id']}"))
        values = {
            "person_id": event["pid"],
            "effective_on": event["day"],
            "status_before": event["status_before"],
            "status": event["status"],
            "category": event["category"],
            "held": event["held"],
            "note": "",
        }
        # Written as of the change it dates (its stamp), and logged so that it syncs.
        db.execute(
            "INSERT INTO person_events (id, person_id, effective_on, status_before, status, "
            "category, held, note, updated_at, device_id, hlc, deleted) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [record_id, *values.values(), event["day"], device[0], event["hlc"]],
        )
        db.execute(
            "INSERT INTO changes (table_name, record_id, op, fields, hlc, device_id, created_at) "
            "VALUES ('person_events', ?, 'upsert', ?, ?, ?, ?)",
            [
                record_id,
                json.dumps({"id": record_id, **values}, ensure_ascii=False, separators=(",", ":")),
                event["hlc"],
                device[0],
                event["day"],
            ],
        )


@migrations()
def m011_conflict_resolutions(db: Database) -> None:
    """A conflict resolved on this laptop is told to the server (`unsent` until a push
    carries it), which closes it on every laptop of the village. Conflicts resolved before
    this release are told too: the other laptops still list them."""
    db.execute("ALTER TABLE conflicts ADD COLUMN unsent INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE conflicts SET unsent = 1 WHERE resolved = 1")
    db.execute("CREATE INDEX conflicts_unsent ON conflicts (id) WHERE unsent = 1")


@migrations()
def m012_pulled_steps_and_drafts(db: Database) -> None:
    """Two local tables that never sync.

    `pulled_changes`: what each pulled record changed here, field by field (the value this
    laptop held and the one sync brought), with the record's stamp: the history of a record
    another laptop edited. Written in the same transaction as the row.

    `drafts`: a form's unsaved input, kept when the terminal went away (window closed, SSH
    dropped) with nobody there to ask; offered back at the next start.
    """
    # Keyed by record and stamp, without a rowid: one b-tree to write per pulled record
    # rather than a table and an index (a first pull brings tens of thousands).
    db.execute(
        """CREATE TABLE pulled_changes (
            table_name TEXT NOT NULL,
            record_id TEXT NOT NULL,
            hlc TEXT NOT NULL,
            op TEXT NOT NULL,
            fields TEXT NOT NULL,
            device_id TEXT NOT NULL,
            pulled_at TEXT NOT NULL,
            PRIMARY KEY (table_name, record_id, hlc)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE drafts (
            id INTEGER PRIMARY KEY,
            form TEXT NOT NULL,
            args TEXT NOT NULL,
            "values" TEXT NOT NULL,
            saved_at TEXT NOT NULL
        )"""
    )


@migrations()
def m013_follow_up_indexes(db: Database) -> None:
    """The dashboard's 待跟进 list reads its head and its count from partial indexes: at
    50,000 people there are ~22,000 open needs, and joining every one to its person took
    ≈0.4 s of every refresh (and of starting the app)."""
    # Open needs in the order the list shows them; counted from the index alone.
    db.execute(
        "CREATE INDEX elder_needs_open ON elder_needs (raised_on, person_id) "
        "WHERE deleted = 0 AND status NOT IN ('resolved', 'unresolvable')"
    )
    # High-risk checks, whose mandatory report may be missing.
    db.execute(
        "CREATE INDEX child_checks_high_risk ON child_checks (check_date, person_id) "
        "WHERE deleted = 0 AND risk_level = 'high'"
    )
    # The few deleted people, whose open items are not counted; the rest in name order,
    # for needs raised on one day (an import gives thousands the same day). Its condition
    # names `name` so that only a query that asks for it is planned on it: on `deleted = 0`
    # alone the planner took it to drive the assessments' query through every person.
    db.execute("CREATE INDEX persons_deleted ON persons (id) WHERE deleted = 1")
    db.execute(
        "CREATE INDEX persons_name ON persons (name, id) WHERE deleted = 0 AND name IS NOT NULL"
    )


#: Bits 0..61 of a contact mask: the 62 months m006's masks reach back.
_MASK_BITS = (1 << 62) - 1


def _add_contact_month(kind: str) -> str:
    """The policy_facts columns of `kind` after one more month of contacts (NEW): the same
    values m006's full refresh would give, from the row's own values and NEW alone."""
    month = _month_index("NEW.month")
    return f"""
        UPDATE policy_facts SET
            {kind}_last = max(coalesce({kind}_last, 0), {_day_number("NEW.last_day")}),
            {kind}_month = max(coalesce({kind}_month, {month}), {month}),
            {kind}_mask = CASE
                WHEN {kind}_month IS NULL OR {month} - {kind}_month >= 62 THEN 1
                WHEN {month} > {kind}_month
                    THEN (({kind}_mask << ({month} - {kind}_month)) & {_MASK_BITS}) | 1
                WHEN {kind}_month - {month} < 62
                    THEN {kind}_mask | (1 << ({kind}_month - {month}))
                ELSE {kind}_mask END
        WHERE person_id = NEW.person_id"""


@migrations()
def m014_contact_facts_step_by_step(db: Database) -> None:
    """A visit or a check moves its person's facts by one step, instead of recounting.

    SQLite runs every trigger of a table for each row written, and prepares the memory of
    its whole program even when the trigger's WHEN is false; a first pull writes thousands
    of visits. So on the way a pulled or saved visit takes (a month of contacts added, or
    the day of a month's last contact moved later; a late contact added) the triggers now
    say how the row changes, in a few registers; what can shrink a person's contacts (a
    contact deleted or moved, a day moved earlier) still recounts, as m006 and m010 did.
    The stored facts are what either way gives, so they are kept as they are.
    """
    for kind in ("visit", "check"):
        db.execute(f"DROP TRIGGER contact_months_{kind}_insert")
        db.execute(f"DROP TRIGGER contact_months_{kind}_update")
        db.execute(
            _trigger(
                f"contact_months_{kind}_insert",
                "AFTER INSERT",
                "contact_months",
                [_add_contact_month(kind)],
                f"WHEN NEW.kind = '{kind}'",
            )
        )
        # A month's last day only changes in place (the upsert of a later contact);
        # an earlier one is a recount of the one column, months and mask being the same.
        recount = (
            f"(SELECT {_day_number('max(last_day)')} FROM contact_months "
            f"WHERE person_id = NEW.person_id AND kind = '{kind}')"
        )
        db.execute(
            _trigger(
                f"contact_months_{kind}_day",
                "AFTER UPDATE OF last_day",
                "contact_months",
                [
                    f"""UPDATE policy_facts SET {kind}_last = CASE
                        WHEN NEW.last_day > OLD.last_day
                        THEN max(coalesce({kind}_last, 0), {_day_number("NEW.last_day")})
                        ELSE {recount} END
                    WHERE person_id = NEW.person_id"""
                ],
                f"WHEN NEW.kind = '{kind}' AND NEW.person_id IS OLD.person_id "
                "AND NEW.month IS OLD.month AND NEW.last_day IS NOT OLD.last_day",
            )
        )
        db.execute(
            _trigger(
                f"contact_months_{kind}_update",
                "AFTER UPDATE OF person_id, month",
                "contact_months",
                [_refresh_contacts("NEW.person_id", kind)],
                f"WHEN NEW.kind = '{kind}' AND (NEW.month IS NOT OLD.month "
                "OR NEW.person_id IS NOT OLD.person_id)",
            )
        )
    for table, column in (("visits", "visit_date"), ("child_checks", "check_date")):
        db.execute(f"DROP TRIGGER {table}_late_insert")
        db.execute(
            _trigger(
                f"{table}_late_insert",
                "AFTER INSERT",
                table,
                [
                    "UPDATE policy_facts SET late_last = "
                    f"max(coalesce(late_last, 0), {_day_number(f'NEW.{column}')}) "
                    "WHERE person_id = NEW.person_id"
                ],
                "WHEN NEW.late = 1 AND NEW.deleted = 0",
            )
        )


@migrations()
def m015_policy_effective_month(db: Database) -> None:
    """A township's frequency or rule carries the month it takes effect from, and the values
    before it, so a change never rewrites a closed or earlier month. Rows set before this
    hold since always (no month, no history)."""
    for table in ("visit_policy", "policy_rules"):
        db.execute(f"ALTER TABLE {table} ADD COLUMN effective_from TEXT")
        db.execute(f"ALTER TABLE {table} ADD COLUMN earlier TEXT NOT NULL DEFAULT '[]'")


@migrations()
def m016_contact_findings(db: Database) -> None:
    """A visit or a child check records what was found (存在问题): the common problems
    ticked, as a JSON list of codes, and any other in words. Rows before it found none
    that was recorded apart from the note."""
    for table in ("visits", "child_checks"):
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN findings TEXT NOT NULL DEFAULT '[]'")
        db.execute(f"ALTER TABLE [{table}] ADD COLUMN findings_note TEXT NOT NULL DEFAULT ''")


@migrations()
def m017_change_replaced(db: Database) -> None:
    """A local edit's change-log entry keeps the values it replaced, so its history reads
    old → new even for a record this laptop first got from sync, of which no earlier step
    says what it held. Entries before it have none (NULL): their history replays the steps
    before them, as it did."""
    db.execute("ALTER TABLE changes ADD COLUMN replaced TEXT")


#: Who a batch write (`db.store.Store.save_new`) builds the facts of itself: while the
#: batch's transaction lasts, a person listed here is passed over by the insert trigger.
FACTS_BY_BATCH = "facts_by_batch"
#: The statements' own name for the facts row being written, in their set-wise form.
_FACTS_ROW = "policy_facts.person_id"
_IN_BATCH = f"(SELECT person_id FROM {FACTS_BY_BATCH})"


def _person_facts(pid: str) -> list[str]:
    """What `persons_facts_insert` does for one person (m010's statements)."""
    return [*_refresh_all(pid), *_refresh_history(pid)]


@migrations()
def m018_person_facts_by_batch(db: Database) -> None:
    """An import writes thousands of new people in one transaction, and the insert trigger
    ran its seven statements for each, two thirds of the import's time. A person named in
    `facts_by_batch` is passed over by it; the writer lists the batch's people there, writes
    them, then builds their facts with `person_facts_by_batch`'s statements, a few for the
    whole batch, and empties the table again, all in the same transaction: outside a write
    it is always empty, and every other write keeps its trigger as before. The stored facts
    are what either way gives, so they are kept as they are."""
    db.execute(f"CREATE TABLE {FACTS_BY_BATCH} (person_id TEXT PRIMARY KEY) WITHOUT ROWID")
    db.execute("DROP TRIGGER persons_facts_insert")
    db.execute(
        _trigger(
            "persons_facts_insert",
            "AFTER INSERT",
            "persons",
            _person_facts("NEW.id"),
            f"WHEN NOT EXISTS (SELECT 1 FROM {FACTS_BY_BATCH} WHERE person_id = NEW.id)",
        )
    )


@migrations()
def m019_conflict_loss_as_made(db: Database) -> None:
    """A pulled conflict keeps the lost stamp as its laptop made it (`lost_made`), where the
    server read it back (its clock ran ahead): the loss is named by it, so a push that
    returns the conflict to a restored server names it as the server does, and this laptop
    knows its own stamp as it made it. `lost_hlc` stays the time a history shows. NULL:
    the two are the same."""
    db.execute("ALTER TABLE conflicts ADD COLUMN lost_made TEXT")


@migrations()
def m020_device_staff(db: Database) -> None:
    """The staff label of each other laptop, as the server says it with the pulled records
    it names (`PullResponse.staff`): a record's history names the staff member of another
    laptop's step, not only its device code. Local, never synced."""
    db.execute(
        "CREATE TABLE device_staff (device_id TEXT PRIMARY KEY, staff TEXT NOT NULL) WITHOUT ROWID"
    )


@migrations()
def m021_change_read_back(db: Database) -> None:
    """A sent change keeps the wall-clock time the server read its stamp at (`read_ms`),
    where that is not the stamp's own: a laptop whose clock ran ahead has its stamps read
    back by as much (`sync.server.merge._Clamp`), and every other laptop shows that time,
    so its own history shows it too. NULL: not sent yet, or read as made. The stamp as
    made (`hlc`) stays what the change is sent and known by."""
    db.execute("ALTER TABLE changes ADD COLUMN read_ms INTEGER")


def _for_batch(statement: str) -> str:
    """One of `_person_facts`'s UPDATEs, made for the row being updated, for every person of
    the batch at once."""
    tail = f"WHERE person_id = {_FACTS_ROW}"
    body = statement.strip()
    if not body.startswith("UPDATE policy_facts SET") or not body.endswith(tail):
        raise ValueError(f"not a facts update of one person: {statement}")
    return body.removesuffix(tail) + f"WHERE person_id IN {_IN_BATCH}"


def person_facts_by_batch() -> list[str]:
    """The statements that give the people listed in `facts_by_batch` the facts rows
    `persons_facts_insert` (m018) gives each person it is not told to pass over, row for
    row, then empty the list; run in the transaction that wrote them.

    The same statements as the trigger's, made set-wise: new classes numbered in the order
    the trigger would meet them (by the persons' rowids), then the facts rows in that order,
    then each further column for the whole batch. A migration that changes the trigger
    changes these with it (tests/test_import_bulk.py compares both ways).
    """
    level = _LATEST_LEVEL.format(pid="p.id")
    live_in_batch = f"p.id IN {_IN_BATCH} AND p.deleted = 0"
    # The person's own statements are written set-wise below; the rest are UPDATEs.
    rest = _person_facts(_FACTS_ROW)[len(_refresh_person(_FACTS_ROW)) :]
    return [
        f"""INSERT INTO policy_classes (categories, status, level)
            SELECT n.categories, n.status, n.level FROM (
                SELECT p.categories, p.status, {level} AS level, p.rowid AS at
                FROM persons p WHERE {live_in_batch}) AS n
            WHERE NOT EXISTS (SELECT 1 FROM policy_classes c WHERE c.categories = n.categories
                              AND c.status = n.status AND c.level = n.level)
            GROUP BY n.categories, n.status, n.level ORDER BY min(n.at)""",
        f"""INSERT INTO policy_facts (person_id, village_code, class_id, birth, registered)
            SELECT p.id, p.village_code, c.id, CAST(substr(p.id_number, 7, 8) AS INTEGER),
                   {_day_number("p.registered_on")}
            FROM persons p JOIN policy_classes c
              ON c.categories = p.categories AND c.status = p.status AND c.level = {level}
            WHERE {live_in_batch} ORDER BY p.rowid
            ON CONFLICT (person_id) DO UPDATE SET village_code = excluded.village_code,
                class_id = excluded.class_id, birth = excluded.birth,
                registered = excluded.registered""",
        f"""DELETE FROM policy_facts WHERE person_id IN {_IN_BATCH}
            AND NOT EXISTS (SELECT 1 FROM persons p
                            WHERE p.id = policy_facts.person_id AND p.deleted = 0)""",
        *(_for_batch(s) for s in rest),
        f"DELETE FROM {FACTS_BY_BATCH}",
    ]


def pending(db: Database) -> list[str]:
    return [m.name for m in migrations.pending(db)]


def migrate(db: Database, path: Path, now: dt.datetime, key: bytes | None = None) -> Path | None:
    """Apply pending migrations; returns the path of the safety copy taken first, if any.

    The copy is encrypted with `key`, the profile's own.
    """
    todo = pending(db)
    if not todo:
        return None
    if not migrations.applied(db):
        # A new file: every migration in one transaction, each its own savepoint within it.
        # One commit, not one per migration (each rewrites and re-encrypts the pages the
        # schema grew), and a new profile cut off half made is not left half migrated.
        with db.atomic():
            migrations.apply(db)
        return None
    stamp = now.strftime("%Y%m%d-%H%M%S")
    copy = path.with_name(f"{path.name}.before-{todo[0]}-{stamp}.bak")
    backup(db, copy, key)
    migrations.apply(db)
    return copy
