"""The dashboard's coverage column keeps each rate's name and its 合计 whole at 80×24 and
120×40, in both languages, however wide the figures (the 80-column report:
"月探访率 合计" was cut to "月探访率 合" beside "183/252 73%")."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from civtui.i18n import Translator
from screens import format as fmt
from screens.dashboard import DashboardScreen
from tests.tui_helpers import app_on, counted, demo_profile

pytestmark = pytest.mark.tui


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("wide", [False, True])
async def test_rate_names_and_totals_are_never_cut(
    home: Path, size: tuple[int, int], lang: str, wide: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if wide:
        # The figures of a 50,000-person township.
        plain = fmt.coverage
        monkeypatch.setattr(fmt, "coverage", lambda got, due: plain(got * 370 + 4, due * 370 + 4))
    app = app_on(demo_profile(home), lang=lang)
    t = Translator(lang)
    async with app.run_test(size=size) as pilot:
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        coverage = screen.query_one("#coverage", DataTable)
        label = coverage.columns[ColumnKey("category")]
        whole = {t("rate.monthly"), t("rate.quarterly"), t("dash.overall")}
        seen = set()
        for index, row in enumerate(coverage.ordered_rows):
            text, figure = (str(c) for c in coverage.get_row_at(index))
            if text in whole:
                seen.add(text)
                assert cell_len(text) <= label.width * row.height, text
            if figure:
                assert cell_len(figure) <= coverage.columns[ColumnKey("rate")].width
        assert {t("rate.monthly"), t("dash.overall")} <= seen
        if wide:
            assert cell_len(str(coverage.get_row_at(1)[1])) >= 14
