"""A month closes in a sync after the pull that brings the township's policy, and its 月报
goes to the server in that same sync."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from civtui.domain.choices import Category, Frequency
from civtui.domain.models import MonthClose
from civtui.services import reports, syncing
from db import queries
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
    october = dt.date(2026, 10, 1)
    policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.QUARTERLY, october)
    conn = here.connect()
    try:
        report = syncing.sync_and_close(here.store, conn, TODAY)
    finally:
        conn.close()
    closed = here.store.get(MonthClose, MonthClose.key(VILLAGE, october))
    assert closed is not None
    monthly = [f for f in closed.figures if f["rate"] == Frequency.MONTHLY.value]
    assert all(f["required"] == 0 for f in monthly), monthly
    quarterly = [f for f in closed.figures if f["category"] == Category.ADVANCED_AGE.value]
    assert [(f["rate"], f["required"]) for f in quarterly] == [("quarterly", 1)]
    # Pushed in the same sync: the server holds October's report, nothing is left to send.
    assert ("month_reports", closed.id) in server.records()
    assert here.store.pending_count() == 0 and report.pushed > 0


def test_a_policy_change_takes_effect_from_its_month_and_leaves_earlier_ones(
    server: Server, home: Path
) -> None:
    """Policies carried no date, so changing one rewrote every open period."""
    here = device(server, "here")
    here.store.save(make_person(dt.date(1940, 1, 1)))  # 高龄
    november = dt.date(2026, 11, 1)
    policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.QUARTERLY, november)
    policy.set_rule(server.engine, "age_limit.留守儿童", "18", november)
    here.sync()

    def required(month: dt.date, rate: Frequency) -> int:
        rows = reports.coverage(here.store, month, TODAY)
        return next(r.required for r in rows if r.group is None and r.rate_kind is rate)

    october = dt.date(2026, 10, 1)
    assert required(october, Frequency.MONTHLY) == 1  # October keeps its monthly 高龄
    assert required(november, Frequency.MONTHLY) == 0
    assert required(november, Frequency.QUARTERLY) == 1
    assert queries.rules(here.store, october).age_limits[Category.LEFT_BEHIND] == 16
    assert queries.rules(here.store, november).age_limits[Category.LEFT_BEHIND] == 18
    # A change may not reach back before one already in force from a later month.
    with pytest.raises(ValueError):
        policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.MONTHLY, october)
    # Set again from December: November keeps quarterly, October still monthly.
    december = dt.date(2026, 12, 1)
    policy.set_frequency(server.engine, Category.ADVANCED_AGE, Frequency.MONTHLY, december)
    here.sync()
    assert [
        queries.visit_policy(here.store, m)[Category.ADVANCED_AGE]
        for m in (
            october,
            november,
            december,
        )
    ] == [Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.MONTHLY]
