"""待跟进: what is still open for someone, each item pointing at the record that opened it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from civtui.domain.choices import NeedStatus, RiskLevel
from civtui.domain.policy import Rules, months_after
from db.store import Store

#: visit/check: a follow-up noted on a visit or child check; need: an open elder need;
#: report: a high-risk check without its mandatory report; assessment: an expired ADL.
Kind = Literal["visit", "check", "need", "report", "assessment"]


@dataclass(frozen=True)
class FollowUp:
    """One open item: whose, since when, what, and the record to open for it."""

    kind: Kind
    table: str
    record_id: str
    person_id: str
    person_name: str
    since: dt.date
    #: The follow-up note, or for a need its type code.
    detail: str
    #: The person's village, for the 待跟进 screen's village filter.
    village_code: str = ""
    #: The person's name key (name, pinyin, initials) that `civtui.domain.search` matches.
    search_key: str = ""
    #: The day the item fell due: at once for a follow-up, a need or a missing report;
    #: for an expired assessment, the day it stopped being valid.
    due: dt.date = dt.date.min

    def overdue(self, today: dt.date) -> int:
        """Days past due on `today`: what the 待跟进 list is sorted by."""
        return (today - self.due).days


_ORDER: dict[Kind, int] = {"report": 0, "visit": 1, "check": 1, "need": 2, "assessment": 3}


def open_follow_ups(
    store: Store, today: dt.date, *, adl_valid_months: int, adl_min_age: int
) -> list[FollowUp]:
    """Every open item, the most overdue first (a missing report first among equals).

    An assessment is due again on the township's rule (`Rules.adl_valid_months`,
    `adl_min_age`), as the work list's 待复评 is: the latest one said 失能/半失能, the
    person is old enough for that to count, and it is as old as the rule allows."""
    head, _ = follow_up_head(
        store, today, None, adl_valid_months=adl_valid_months, adl_min_age=adl_min_age
    )
    return head


def follow_up_head(
    store: Store, today: dt.date, limit: int | None, *, adl_valid_months: int, adl_min_age: int
) -> tuple[list[FollowUp], int]:
    """The first `limit` items of `open_follow_ups` (all with None), and how many it has.

    At 50,000 people ~22,000 needs are open: building every one to show the first 200 took
    ≈0.4 s of each dashboard refresh, so needs are read in order and counted from an index.
    """
    rows: list[tuple[Kind, str, tuple[object, ...]]] = []
    total = 0
    for kind, table, sql, params in _queries(today, adl_valid_months, adl_min_age):
        if kind == "need" and limit is not None:
            found = _needs_head(store, sql, limit)
            total += _count_needs(store)
        else:
            found = store.db.execute(sql, params).fetchall()
            total += len(found)
        rows += [(kind, table, row) for row in found]
    items = []
    for kind, table, (record_id, person_id, name, since, detail, village, key) in rows:
        day = dt.date.fromisoformat(str(since)[:10])
        items.append(
            FollowUp(
                kind=kind,
                table=table,
                record_id=str(record_id),
                person_id=str(person_id),
                person_name=str(name),
                since=day,
                detail=str(detail or ""),
                village_code=str(village or ""),
                search_key=str(key or name),
                due=months_after(day, adl_valid_months) if kind == "assessment" else day,
            )
        )
    # Needs are due the day they are raised, so this order keeps `_needs_head`'s (day, name).
    items.sort(key=lambda f: (f.due, _ORDER[f.kind], f.person_name))
    return (items if limit is None else items[:limit]), total


def _needs_head(store: Store, sql: str, limit: int) -> list[tuple[object, ...]]:
    """The first `limit` open needs by day raised, then name."""
    execute = store.db.execute
    order = " ORDER BY t.raised_on, p.name, t.id"
    open_needs = f"FROM elder_needs INDEXED BY elder_needs_open WHERE deleted = 0 AND {_OPEN_NEED}"
    row = execute(
        f"SELECT raised_on {open_needs} ORDER BY raised_on LIMIT 1 OFFSET ?", [limit - 1]
    ).fetchone()
    if row is None:
        return list(execute(sql + order))
    cut = row[0]
    found = list(execute(sql + " AND t.raised_on < ?" + order, [cut]))
    (group,) = execute(f"SELECT count(*) {open_needs} AND raised_on = ?", [cut]).fetchone()
    if group > 4 * limit:
        # Thousands raised on one day (an import): walked in name order from the people,
        # each looked up in the index, rather than all of them joined and sorted.
        found += execute(
            f"""SELECT t.id, t.person_id, p.name, t.raised_on, t.need_type, p.village_code,
                (SELECT s.key FROM person_search s WHERE s.person_id = p.id)
            FROM persons p INDEXED BY persons_name
            CROSS JOIN elder_needs t INDEXED BY elder_needs_open
            WHERE p.deleted = 0 AND p.name IS NOT NULL AND t.person_id = p.id
                AND t.raised_on = ? AND t.deleted = 0
                AND t.{_OPEN_NEED}
            ORDER BY p.name, t.id LIMIT ?""",
            [cut, limit - len(found)],
        ).fetchall()
    else:
        found += execute(
            sql + " AND t.raised_on = ?" + order + " LIMIT ?", [cut, limit - len(found)]
        )
    if len(found) < limit:  # deleted people's needs left room for later days
        found += execute(
            sql + " AND t.raised_on > ?" + order + " LIMIT ?", [cut, limit - len(found)]
        )
    return found


def _count_needs(store: Store) -> int:
    """Open needs of people not deleted: from the index alone (m013), less the needs of
    the few deleted people."""
    (n,) = store.db.execute(
        f"""SELECT (SELECT count(*) FROM elder_needs INDEXED BY elder_needs_open
                WHERE deleted = 0 AND {_OPEN_NEED})
            - (SELECT count(*) FROM persons p INDEXED BY persons_deleted
               CROSS JOIN elder_needs t
               WHERE p.deleted = 1 AND t.person_id = p.id AND t.deleted = 0 AND t.{_OPEN_NEED})"""
    ).fetchone()
    return int(n)


#: As migration m013's partial indexes say them, so that the planner can use them.
_OPEN_NEED = f"status NOT IN ('{NeedStatus.RESOLVED.value}', '{NeedStatus.UNRESOLVABLE.value}')"
_HIGH_RISK = f"risk_level = '{RiskLevel.HIGH.value}'"


def _queries(
    today: dt.date, adl_valid_months: int, adl_min_age: int
) -> list[tuple[Kind, str, str, list[object]]]:
    """Each kind's open items: record id, person id, name, since, detail."""
    due_again = Rules(adl_valid_months=adl_valid_months, adl_min_age=adl_min_age).reassessment(
        today
    )
    live = "t.deleted = 0 AND p.deleted = 0"
    # The person's village and name key, for the 待跟进 screen's filter and search.
    person = "p.village_code, (SELECT s.key FROM person_search s WHERE s.person_id = p.id)"
    queries: list[tuple[Kind, str, str, list[object]]] = [
        (
            "visit",
            "visits",
            f"SELECT t.id, t.person_id, p.name, t.visit_date, t.follow_up_note, {person} FROM visits t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} "
            "AND t.follow_up_needed = 1 AND t.follow_up_done_on IS NULL",
            [],
        ),
        (
            "check",
            "child_checks",
            f"SELECT t.id, t.person_id, p.name, t.check_date, t.follow_up_note, {person} FROM child_checks t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} "
            "AND t.follow_up_needed = 1 AND t.follow_up_done_on IS NULL",
            [],
        ),
        (
            "need",
            "elder_needs",
            f"SELECT t.id, t.person_id, p.name, t.raised_on, t.need_type, {person} "
            f"FROM elder_needs t INDEXED BY elder_needs_open "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND t.{_OPEN_NEED}",
            [],
        ),
        (
            "report",
            "child_checks",
            f"SELECT t.id, t.person_id, p.name, t.check_date, '', {person} FROM child_checks t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND t.{_HIGH_RISK} "
            "AND (t.reported_at IS NULL OR t.reported_at = '' OR coalesce(t.reported_to, '') = '')",
            [],
        ),
        (
            # Only each elder's latest assessment counts, and only for people still here.
            "assessment",
            "assessments",
            f"SELECT t.id, t.person_id, p.name, t.assessed_on, '', {person} FROM assessments t "
            f"JOIN persons p ON p.id = t.person_id WHERE {live} AND p.status = ? "
            f"AND t.level IN ({', '.join('?' for _ in due_again.levels)}) "
            "AND CAST(substr(p.id_number, 7, 8) AS INTEGER) <= ? "
            "AND t.assessed_on <= ? AND t.id = (SELECT a.id FROM assessments a "
            "WHERE a.person_id = t.person_id AND a.deleted = 0 "
            "ORDER BY a.assessed_on DESC, a.hlc DESC LIMIT 1)",
            [
                due_again.status.value,
                *sorted(level.value for level in due_again.levels),
                due_again.born_by,
                due_again.made_by.isoformat(),
            ],
        ),
    ]
    return queries
