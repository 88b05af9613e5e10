"""The dashboard's coverage column keeps each rate's name and its 合计 whole at 80×24 and
120×40, in both languages, however wide the figures (the 80-column report:
"月探访率 合计" was cut to "月探访率 合" beside "183/252 73%")."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from civtui.domain.models import Person, Visit
from civtui.i18n import Translator
from screens import format as fmt
from screens.dashboard import DashboardScreen
from screens.panels import MULTILINE, WorkListPanel
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


async def test_the_work_list_is_drawn_again_only_when_its_rows_change(home: Path) -> None:
    """After a save every panel is read again; rows that did not change are left as drawn
    (drawing them again was most of a save's wait), rows that did are drawn anew, each as
    high as its lines, the state and age columns as wide as their widest cell."""
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        work = screen.query_one("#worklist", DataTable)
        coverage = screen.query_one("#coverage", DataTable)
        drawn = (work._update_count, coverage._update_count)
        rows = [[str(cell) for cell in work.get_row_at(i)] for i in range(work.row_count)]
        screen.load()
        await counted(pilot)
        assert (work._update_count, coverage._update_count) == drawn
        assert [[str(c) for c in work.get_row_at(i)] for i in range(work.row_count)] == rows

        panel = screen.query_one(WorkListPanel)
        adult = next(
            item.person_id
            for item in panel.work
            if not (person := app.store.get(Person, item.person_id))
            or not person.is_child(app.today)
        )
        visit = {"person_id": adult, "visit_date": app.today, "visitor": "王[/]", "notes": "=1+1"}
        app.store.save(Visit.model_validate(visit, context={"today": app.today}))
        screen.load()
        await counted(pilot)
        assert work._update_count != drawn[0]
        assert adult not in [item.person_id for item in panel.work]
        assert [str(key.value) for key in work.rows] == [item.person_id for item in panel.work]
        for index, row in enumerate(work.ordered_rows):
            cells = [str(cell) for cell in work.get_row_at(index)]
            assert row.height == max(cells[i].count("\n") for i in MULTILINE) + 1
        for key, index in (("state", 0), ("age", 2)):
            column = work.columns[ColumnKey(key)]
            cells = [str(work.get_row_at(i)[index]) for i in range(work.row_count)]
            assert column.width == max(cell_len(c) for c in [column.label.plain, *cells])
