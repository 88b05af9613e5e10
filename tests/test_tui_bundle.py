"""待同步's USB-stick bundle: the page says where the last bundle stands, and an export
without a server key says what to do, writing nothing."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from screens.bundle import BundlePathModal
from screens.pending import PendingScreen
from tests.tui_helpers import app_on, demo_profile


async def test_the_pending_page_offers_a_bundle_and_refuses_one_without_a_key(
    home: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        standing = str(app.screen.query_one("#bundle-standing", Static).content)
        assert "还没有导出过数据包" in standing
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, BundlePathModal)
        field = app.screen.query_one("#bundle-path", Input)
        field.value = str(stick / "no such folder" / "x")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BundlePathModal)  # refused, still asking
        field.value = str(stick)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(str(n.message) for n in app._notifications)
        assert "civtui login" in said or "公钥" in said
        assert list(stick.iterdir()) == []  # nothing on the stick
