"""The command palette found by pinyin and either language, and the status bar at 80×24:
one line after a sync, and signed in as soon as another terminal logs in."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from civtui.app import CivtuiApp
from screens.palette import command_key, key_score
from tests.tui_helpers import app_on, counted, demo_profile

SIZE = (80, 24)


def screen_text(app: CivtuiApp) -> str:
    """The characters on the terminal now, line by line, as the compositor drew them."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def listed(app: CivtuiApp) -> list[str]:
    """The palette's options as shown, in order."""
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


async def typed_in_palette(app: CivtuiApp, pilot: object, query: str) -> list[str]:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*query)
    for _ in range(40):  # the keys are made in a thread when the palette opens
        await pilot.pause(0.1)
        shown = listed(app)
        if shown:
            break
    await pilot.pause(0.3)
    return listed(app)


def test_a_command_key_holds_every_language_its_pinyin_and_initials() -> None:
    key = command_key(("导出探访台账", "Export: Visit ledger"))
    for query in ("taizhang", "tz", "dctftz", "daochu", "export", "visit ledger", "台账"):
        assert key_score(key, query) > 0, query
    assert key_score(key, "sync") == 0
    # Typed text is matched as text: a query that looks like markup or a pattern finds nothing.
    for hostile in ("[/]", "=", ".*", "\\"):
        assert key_score(key, hostile) == 0


@pytest.mark.tui
@pytest.mark.parametrize(
    ("lang", "query", "expected"),
    [
        ("zh", "tongbu", "同步"),
        ("zh", "tb", "同步"),
        ("zh", "sync", "同步"),
        ("zh", "taizhang", "导出探访台账"),
        ("zh", "tz", "导出老人需求台账"),
        ("zh", "fgl", "各村(社区)探访覆盖率"),
        ("zh", "mingce", "名册"),
        ("en", "tongbu", "Sync"),
        ("en", "taizhang", "Export: Visit ledger"),
        ("en", "sync", "Sync"),
    ],
)
async def test_palette_finds_commands_by_pinyin_and_either_language(
    home: Path, lang: str, query: str, expected: str
) -> None:
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        shown = await typed_in_palette(app, pilot, query)
        assert any(expected in line for line in shown), shown
        text = screen_text(app)
        assert expected in text and "没有找到" not in text and "No matches" not in text


@pytest.mark.tui
async def test_a_palette_query_matching_nothing_still_says_so(home: Path) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        await typed_in_palette(app, pilot, "[/]=qzx")
        await pilot.pause(1.0)
        assert "没有找到" in screen_text(app)


@pytest.mark.tui
async def test_chosen_from_a_pinyin_query_the_command_runs(home: Path) -> None:
    from screens.roster import RosterScreen

    app = app_on(demo_profile(home))
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        await typed_in_palette(app, pilot, "mingce")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RosterScreen)
