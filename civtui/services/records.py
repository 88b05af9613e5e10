"""Saving, correcting, deleting and tracing a visit, child check, need or assessment.

Shared by the screens and the CLI. Every write goes through the store's write API, so a new
record, a correction or a deletion reaches the township with the next sync like any other
change. A save may fail with `OperationalError` (`is_busy` tells a file held by another
window from a broken one) or `RecordDeletedError` (a sync deleted what was being corrected).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypeVar

from civtui.domain.errors import FieldError
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    ElderNeed,
    NeedStatusChange,
    Record,
    Visit,
)
from civtui.i18n import said
from db import Store
from db.connection import OperationalError as OperationalError
from db.connection import is_busy as is_busy
from db.history import Step, record_history
from db.store import RecordDeletedError as RecordDeletedError

#: The records a person's timeline opens, by table.
OPENABLE: dict[str, type[Record]] = {
    kind.table: kind for kind in (Visit, ChildCheck, ElderNeed, Assessment)
}

R = TypeVar("R", bound=Record)
#: As every deletable record's `deleted_reason` field says.
REASON_MAX = 200


def current(store: Store, record: R) -> R:
    """`record` as the store holds it now (a sync may have changed it since it was read)."""
    now = store.get(type(record), record.id)
    if now is None:
        raise RecordDeletedError(f"这条记录已被删除（{record.table} {record.id}）")
    return now


def save(store: Store, records: Sequence[Record]) -> None:
    """Write checked records, new ones or corrections from `correct`, in one transaction:
    a need and its first status step are saved together or not at all."""
    store.save_many(records)


def correct(store: Store, record: R, changes: dict[str, Any], today: dt.date) -> R:
    """The record as stored now with only `changes` applied, every rule checked again.

    Not saved yet: the caller saves it (a form asks about likely mistakes first). Applying
    only what was changed keeps whatever a sync brought for the other fields meanwhile.
    """
    return current(store, record).revise(context={"today": today}, **changes)


def delete(store: Store, record: Record, reason: str, today: dt.date) -> None:
    """Delete `record` as a tombstone that carries `reason`, in one transaction.

    The reason is written to the record first, so it reaches the server (and every other
    laptop) with the tombstone. A need takes its status steps with it.
    """
    reason = reason.strip()
    if not reason:
        raise FieldError("deleted_reason", said("delete.no_reason"))
    if len(reason) > REASON_MAX:
        raise FieldError(
            "deleted_reason", said("delete.reason_long", most=REASON_MAX, n=len(reason))
        )
    kind = type(record)
    with store.transaction():
        now = current(store, record)
        # Only the reason is checked, not the record's other rules again: a wrong record
        # is often one today's rules refuse (dated in the future by a laptop whose clock
        # ran ahead, a child past an age limit changed since), and it must still go.
        store.save(now.model_copy(update={"deleted_reason": reason}))
        if isinstance(now, ElderNeed):
            for step in store.all(NeedStatusChange, "need_id = ?", [now.id]):
                store.delete(NeedStatusChange, step.id)
        store.delete(kind, record.id)


def mark_follow_up_done(store: Store, record: Visit | ChildCheck, day: dt.date) -> None:
    """Record that the follow-up noted on `record` was done on `day`."""
    now = current(store, record)
    if not now.follow_up_open:
        return
    store.save(now.revise(context={"today": day}, follow_up_done_on=day))


def reopen_follow_up(store: Store, record: Visit | ChildCheck, today: dt.date) -> None:
    """Undo `mark_follow_up_done`: the follow-up is open again, synced like any edit.

    Only a follow-up still marked done is reopened: one never marked, or reopened already
    (a second undo, a sync in between), is left as it is."""
    now = current(store, record)
    if not now.follow_up_needed or now.follow_up_done_on is None:
        return
    store.save(now.revise(context={"today": today}, follow_up_done_on=None))


def history(store: Store, record: Record) -> list[Step]:
    """Who changed which field of `record` when, from which laptop, oldest first."""
    return record_history(store, record.table, record.id)
