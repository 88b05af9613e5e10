"""Building the app on a pinned demo profile, as every screen test does."""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from civtui.app import CivtuiApp, make_app
from civtui.domain.clock import Clock
from civtui.services import demo
from civtui.services.profile import Profile, create_profile
from tests.conftest import TODAY

DEMO_PERSONS = 120


@functools.cache
def demo_data() -> demo.DemoData:
    return demo.generate(DEMO_PERSONS, seed=5, today=TODAY)


def demo_profile(home: Path) -> Profile:
    """A fresh demo profile in `home` (the fixture that set CIVTUI_HOME)."""
    data = demo_data()
    profile = Profile("demo")
    create_profile(profile, data.all(), data.staff[0].id, Clock.pinned(TODAY))
    return profile


def app_on(profile: Profile, lang: str = "zh") -> CivtuiApp:
    return make_app(profile, lang=lang, clock=Clock.pinned(TODAY))


@pytest.fixture
def app(home: Path) -> CivtuiApp:
    return app_on(demo_profile(home))


async def steady(pilot: Pilot[None]) -> None:
    """Let the app settle and stop cursors blinking, so screenshots are stable."""
    await pilot.pause()
    # The look for the server at start-up runs in a worker; the status bar shows its answer.
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    for widget in pilot.app.screen.query(Input):
        widget.cursor_blink = False
    await pilot.pause()
