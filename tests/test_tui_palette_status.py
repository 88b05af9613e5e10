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


def status_line(app: CivtuiApp) -> tuple[int, str]:
    """The status bar's height and the screen's row it is drawn on."""
    from screens.panels import SyncStatePanel

    bar = app.screen.query_one(SyncStatePanel)
    row = screen_text(app).splitlines()[bar.region.y]
    return bar.region.height, row


async def synced(app: CivtuiApp, pilot: object, *reasons: object) -> None:
    """The profile as a sync that said `reasons` leaves it, shown on every screen."""
    from textual.pilot import Pilot

    from db import outbox
    from sync.client import stored_summary
    from sync.protocol import Reason

    assert isinstance(pilot, Pilot)
    said = [r for r in reasons if isinstance(r, Reason)]
    with app.store.transaction():
        app.store.set_meta(outbox.LAST_RESULT, stored_summary(said))
        app.store.set_meta(outbox.LAST_SYNC, "2026-12-06T20:00:00+08:00")
    app._sync_state("online", None)
    await counted(pilot)


@pytest.mark.tui
@pytest.mark.parametrize(
    ("lang", "short", "absent"),
    [
        ("zh", "上传 3 · 下载 0".replace(" · ", " "), "条，下载"),
        ("en", "sent 3 got 0", "received"),
    ],
)
async def test_the_status_bar_says_a_sync_on_one_line_at_80_columns(
    home: Path, lang: str, short: str, absent: str
) -> None:
    from sync.protocol import Code, Reason

    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        await synced(
            app, pilot, Reason.of(Code.SUMMARY, pushed=3, conflicts=0, rejected=0, pulled=0)
        )
        height, row = status_line(app)
        assert height == 1 and short in row and absent not in row, row
        assert "…" not in row


@pytest.mark.tui
@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_a_long_sync_summary_ends_in_an_ellipsis_and_the_tooltip_has_it_all(
    home: Path, lang: str
) -> None:
    from sync.protocol import Code, Reason

    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        counts = Reason.of(Code.SUMMARY, pushed=1234, conflicts=12, rejected=345, pulled=56789)
        await synced(app, pilot, counts, Reason.of(Code.NEW_DEVICE))
        height, row = status_line(app)
        assert height == 1 and row.rstrip().endswith("…"), row
        from screens.panels import SyncStatePanel

        tip = str(app.screen.query_one(SyncStatePanel).tooltip)
        in_full = (
            ("被拒 345 条", "下载 56789 条") if lang == "zh" else ("345 refused", "56789 received")
        )
        assert all(words in tip for words in in_full), tip


async def settled(pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    for _ in range(3):
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


@pytest.mark.tui
@pytest.mark.parametrize("auto_sync", [True, False])
async def test_a_login_in_another_terminal_ends_not_logged_in_without_a_sync(
    home: Path, auto_sync: bool
) -> None:
    from civtui.app import open_store
    from civtui.services import credentials
    from civtui.services.profile import load_settings, save_settings
    from db import outbox
    from tests.sync_harness import free_port

    profile = demo_profile(home)
    save_settings(load_settings().model_copy(update={"auto_sync": auto_sync}))
    app = app_on(profile)
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        app.action_sync()  # no login yet: the bar says so
        await settled(pilot)
        assert "未登录" in status_line(app)[1]
        app.store_watch.check()  # the watch has seen the file as it is now
        app.store_watch.check()
        assert "未登录" in status_line(app)[1], "nothing changed: still not logged in"
        # What `civtui login` does in its own process: the server, then the token.
        url = f"http://127.0.0.1:{free_port()}"
        other = open_store(profile.db_path)
        try:
            with other.transaction():
                other.set_meta(outbox.SERVER_URL, url)
            credentials.save(profile.name, url, "civ_[/]=x_y", other)
        finally:
            other.close()
        app.store_watch.check()
        await settled(pilot)
        height, row = status_line(app)
        assert height == 1 and "未登录" not in row, row
        # Not yet tried, or tried just now with auto sync (no server listens there).
        assert ("离线" if auto_sync else "未连接") in row, row


@pytest.mark.tui
async def test_typing_on_before_the_keys_are_made_still_finds_commands(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each key cancels the search of the one before: that must not cancel the making of the
    keys every search waits for (the palette then found nothing, ever)."""
    from screens import palette

    monkeypatch.setattr(palette, "_KEYS", {})
    monkeypatch.setattr(palette, "MAKE_AFTER_S", 0.5)
    app = app_on(demo_profile(home))
    async with app.run_test(size=SIZE) as pilot:
        await counted(pilot)
        await pilot.press("ctrl+p", "t", "z")
        for _ in range(40):
            await pilot.pause(0.1)
            if any("台账" in line for line in listed(app)[:1]):
                break
        shown = listed(app)
        assert shown and all("台账" in line for line in shown[:3]), shown
