"""One sync as the app and `civtui sync` both run it: pull, close ended months, push.

A month closes (its 月报) under the policy it had on its last day, and a policy the
township set reaches this laptop with a pull; so the pull comes first, then the close,
and the reports written go to the server in the same sync. Closing is not worth failing a
sync for: a busy file leaves the month open until the next start, sync or report.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager

from civtui.services.reports import close_months as close_months
from db import Store
from sync.client import Connection, Progress, SyncReport, sync


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
