"""A month closes in a sync after the pull that brings the township's policy, and its 月报
goes to the server in that same sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from civtui.domain.choices import Category, Frequency
from civtui.domain.models import MonthClose
from civtui.services import syncing
from sync.server import policy
from tests.conftest import TODAY, VILLAGE, make_person
from tests.sync_harness import Server, device, server

__all__ = ["server"]


def test_a_month_closed_in_the_sync_that_brings_a_policy_uses_that_policy(
    server: Server, home: Path
) -> None:
    """The month closed before the pull, so a policy the township set while the laptop
    was offline was applied only after the month was closed with the old rules."""
    here = device(server, "here")
    here.store.set_meta("created_at", "2026-09-01T09:00:00+08:00")
    elder = make_person(dt.date(1940, 1, 1))  # 高龄: monthly by default
    here.store.save(elder)
    # Set in October, while the laptop was away: 高龄 is visited every quarter.
    policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.QUARTERLY)
    conn = here.connect()
    try:
        report = syncing.sync_and_close(here.store, conn, TODAY)
    finally:
        conn.close()
    october = here.store.get(MonthClose, MonthClose.key(VILLAGE, dt.date(2026, 10, 1)))
    assert october is not None
    monthly = [f for f in october.figures if f["rate"] == Frequency.MONTHLY.value]
    assert all(f["required"] == 0 for f in monthly), monthly
    quarterly = [f for f in october.figures if f["category"] == Category.ADVANCED_AGE.value]
    assert [(f["rate"], f["required"]) for f in quarterly] == [("quarterly", 1)]
    # Pushed in the same sync: the server holds October's report, nothing is left to send.
    assert ("month_reports", october.id) in server.records()
    assert here.store.pending_count() == 0 and report.pushed > 0
