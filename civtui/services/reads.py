"""What the screens read from the store, named in one place.

Screens never import `db`: they write through the use cases beside this module and read
through the names below (the import contract `screens-not-db` in pyproject.toml holds them
to it). Most names are the store's own queries, given here unchanged, so a screen and the
CLI read the same figures the same way; a read that needs more than one query belongs in a
service of its own, not in a screen.
"""

from __future__ import annotations

from db import Store
from db.followups import FollowUp, Kind, follow_up_head, open_follow_ups
from db.history import Step
from db.outbox import (
    LAST_RESULT,
    LAST_RESULT_EN,
    StoredConflict,
    last_run,
    open_conflicts,
    own,
    own_devices,
    rejected_count,
)
from db.queries import (
    PersonRow,
    TimelineEntry,
    WorkHead,
    change_label,
    dashboard,
    duplicates,
    high_risk_children,
    household_members,
    last_sync,
    latest_assessment,
    latest_child_check,
    month_rates,
    need_counts,
    need_history,
    open_needs,
    person_context,
    person_rows,
    rules,
    same_day,
    timeline,
    village_names,
    work_head,
)

__all__ = [
    "LAST_RESULT",
    "LAST_RESULT_EN",
    "FollowUp",
    "Kind",
    "PersonRow",
    "Step",
    "Store",
    "StoredConflict",
    "TimelineEntry",
    "WorkHead",
    "change_label",
    "dashboard",
    "duplicates",
    "follow_up_head",
    "high_risk_children",
    "household_members",
    "last_run",
    "last_sync",
    "latest_assessment",
    "latest_child_check",
    "month_rates",
    "need_counts",
    "need_history",
    "open_conflicts",
    "open_follow_ups",
    "open_needs",
    "own",
    "own_devices",
    "person_context",
    "person_rows",
    "rejected_count",
    "rules",
    "same_day",
    "timeline",
    "village_names",
    "work_head",
]
