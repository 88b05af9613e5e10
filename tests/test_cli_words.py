"""The CLI's words as a village assistant meets them: the language a command runs in, errors
that say what to do in the user's language, help that is always there and true."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from civtui.app import CivtuiApp
from tests.tui_helpers import app_on, demo_profile


@pytest.mark.tui
async def test_the_chinese_palette_finds_the_language_switch_by_its_english_word(
    home: Path,
) -> None:
    app: CivtuiApp = app_on(demo_profile(home), lang="zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"language")
        await pilot.pause(1.0)
        options = app.screen.query_one(OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("切换语言" in t for t in texts), texts
        await pilot.press("enter")
        await pilot.pause()
        assert app.t.lang == "en"
