"""覆盖率 and 政策找人 reports inside the app, the same figures as `civtui report`."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Header, Static

from civtui.domain.policy import add_months
from civtui.services import reads, reports
from screens import format as fmt
from screens import layout
from screens.base import CivScreen
from screens.textual_compat import Footer

#: The coverage table's category column, the one that wraps.
CATEGORY = 3


class CoverageScreen(CivScreen[None]):
    """This month's coverage; [ and ] step through earlier months. A closed month shows its
    report (月报) as kept, and beside it ("现") the figure today's records give, when a
    change dated back into the month or a late entry makes them differ."""

    BINDINGS = [
        Binding("escape", "back", "nav.back", id="coverage.back"),
        Binding("left_square_bracket", "month(-1)", "report.earlier", id="coverage.earlier"),
        Binding("right_square_bracket", "month(1)", "report.later", id="coverage.later"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.month = self.civ.today.replace(day=1)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("report.coverage")), classes="title")
        yield Static("", id="coverage-month")
        yield Static("", id="coverage-legend", classes="hint")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        self._show()
        self.query_one("#report", DataTable).focus()

    def action_month(self, step: int) -> None:
        month = add_months(self.month, step)
        if month > self.civ.today:
            return
        self.month = month
        self._show()

    def _show(self) -> None:
        t, lang = self.civ.t, self.civ.lang
        table = self.query_one("#report", DataTable)
        #: The rows on show, for tests and for whoever reads the screen.
        self.rows = reports.coverage(self.civ.store, self.month, self.civ.today)
        cells = []
        for row in self.rows:
            # 低保 is both an adults' and a children's category: the 人群 column tells
            # its two rows apart, and a group's own row is its 小计.
            who = t(f"group.{row.group}") if row.group else t("dash.overall")
            subtotal = t("group.subtotal") if row.group else t("dash.overall")
            what = row.category.label(lang) if row.category else subtotal
            if row.only_now:
                # Not in the month's report: its figures are today's only, listed apart.
                what = t("report.only_now", what=what)
                required = contacted = rate = ""
            else:
                required, contacted = str(row.required), str(row.contacted)
                rate = f"{row.rate:.0%}" if row.rate is not None else "—"
            shown_now = row.now and (row.changed_since or row.only_now)
            now = f"{row.now[1]}/{row.now[0]}" if row.now and shown_now else ""
            kind = t(f"rate.{row.rate_kind.value}")
            cells.append(
                [row.village, kind, who, what, required, contacted, rate, str(row.late), now]
            )
        headings = [
            t("col.village"),
            t("cli.col.rate_kind"),
            t("cli.col.group"),
            t("dash.category"),
            t("dash.required"),
            t("dash.contacted"),
            t("dash.rate"),
            t("screen.late"),
            t("report.now"),
        ]
        # 现 means something only beside a closed month whose figures moved since: an open
        # month, or one that did not move, has no such column (and no legend).
        self.now_shown = any(cell[-1] for cell in cells)
        if not self.now_shown:
            headings.pop()
            cells = [cell[:-1] for cell in cells]
        # The category gets the width the other columns leave and wraps, never cut.
        layout.fill(table, headings, cells, wraps=CATEGORY, width=self.app.size.width, least=8)
        self.query_one("#coverage-month", Static).update(fmt.text(self._heading()))
        legend = self.query_one("#coverage-legend", Static)
        legend.update(fmt.text(t("screen.now_legend")))
        legend.display = self.now_shown

    def on_resize(self, _event: events.Resize) -> None:
        if hasattr(self, "rows"):
            self._show()

    def _heading(self) -> str:
        t = self.civ.t
        month = t("cli.month", year=self.month.year, month=self.month.month)
        if self.month == self.civ.today.replace(day=1):
            return t("report.month_open", month=month)
        taken = reports.taken_at(self.civ.store, self.month)
        if taken is None:
            return t("report.month_live", month=month)
        return t("report.month_closed", month=month, taken=f"{taken:%Y-%m-%d %H:%M}")

    def action_back(self) -> None:
        self.dismiss()


class EligibleScreen(CivScreen[None]):
    """政策找人: Enter opens the person so the category can be set right away."""

    BINDINGS = [Binding("escape", "back", "nav.back", id="eligible.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(fmt.text(self.civ.t("report.eligible")), classes="title", id="eligible-title")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t, lang = self.civ.t, self.civ.lang
        names = reads.village_names(self.civ.store)
        table = self.query_one("#report", DataTable)
        self.hints = reports.eligible(self.civ.store, self.civ.today)
        headings = [
            t("col.village"),
            t("col.name"),
            t("report.action"),
            t("dash.category"),
            t("report.reason"),
        ]
        cells = [
            [
                names.get(h.person.village_code, ""),
                h.person.name,
                t("report.remove") if h.remove else t("report.add"),
                h.category.label(lang),
                h.reason.in_(lang),
            ]
            for h in self.hints
        ]
        # The reason gets the width the other columns leave and wraps, never cut.
        keys = [str(index) for index in range(len(cells))]
        layout.fill(
            table,
            headings,
            cells,
            wraps=len(headings) - 1,
            width=self.app.size.width,
            keys=keys,
            least=12,
        )
        self.query_one("#eligible-title", Static).update(
            fmt.text(f"{t('report.eligible')} ({len(self.hints)})")
        )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.person import PersonScreen

        hint = self.hints[event.cursor_row]
        self.app.push_screen(PersonScreen(hint.person.id))

    def action_back(self) -> None:
        self.dismiss()
