"""Months that close themselves and changes with an effective date, driven through the app."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from civtui.domain.clock import Clock
from civtui.domain.models import MonthClose
from civtui.services.profile import Profile, create_profile
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_data


def profile_begun(on: dt.date) -> Profile:
    """The demo profile as if `civtui init` had made it on `on`."""
    data = demo_data()
    profile = Profile("demo")
    create_profile(profile, data.all(), data.staff[0].id, Clock.pinned(on))
    return profile


async def test_the_app_closes_every_ended_month_when_it_starts(home: Path) -> None:
    app = app_on(profile_begun(dt.date(2026, 9, 15)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        closed = app.store.all(MonthClose)
        villages = {v.village_code for v in closed}
        assert {c.month for c in closed} == {dt.date(2026, 9, 1), dt.date(2026, 10, 1)}
        assert len(closed) == 2 * len(villages) and all(c.taken_at.date() == TODAY for c in closed)
