"""One sync as the app and `civtui sync` both run it: pull, close ended months, push.

A month closes (its 月报) under the policy it had on its last day, and a policy the
township set reaches this laptop with a pull; so the pull comes first, then the close,
and the reports written go to the server in the same sync. Closing is not worth failing a
sync for: a busy file leaves the month open until the next start, sync or report.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager

from civtui.i18n import Translator
from civtui.services.reports import close_months as close_months
from db import Store, outbox, queries
from sync import words
from sync.client import Connection, Progress, SyncReport, sync
from sync.protocol import Code, Reason


def sync_and_close(
    store: Store,
    conn: Connection,
    today: dt.date,
    progress: Progress | None = None,
    guard: AbstractContextManager[object] | None = None,
) -> SyncReport:
    """Push what is pending and pull what is new, close the months that have ended under
    the policy just pulled, then push their reports (月报) in the same sync."""
    return sync(store, conn, progress, after_pull=lambda s: close_months(s, today, guard))


def parent_refused(store: Store, reason: Reason) -> bool:
    """A refusal for a record the server lacks where that record is this laptop's own and
    the server refused it too: nothing will arrive, and the refused change goes again only
    once that record is corrected and taken. `parent_missing`: the record it belongs to;
    `record_missing`: the record itself (an edit of one whose insert was refused)."""
    table, record_id = str(reason.params.get("table", "")), str(reason.params.get("id", ""))
    if reason.code is Code.PARENT_MISSING:
        return outbox.refused_here(store, table, record_id)
    if reason.code is Code.RECORD_MISSING:
        return outbox.never_taken(store, table, record_id)
    return False


def refusal_words(store: Store, reason: Reason, t: Translator) -> str:
    """Why the server refused a change, in `t`'s language, as true as this laptop can say
    it: "it goes again by itself once the record arrives" is said only where that record
    may still arrive, not where the server refused it too."""
    if parent_refused(store, reason):
        table, record_id = str(reason.params.get("table", "")), str(reason.params.get("id", ""))
        key = (
            "sync.refusal.parent_refused"
            if reason.code is Code.PARENT_MISSING
            else "sync.refusal.record_refused"
        )
        return t(
            key,
            table=words.table_name(table, t),
            who=queries.change_label(store, table, record_id),
        )
    return words.say(reason, t)
