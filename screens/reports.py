"""覆盖率 and 政策找人 reports inside the app, the same figures as `civtui report`."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Footer, Header, Static

from civtui.services import reports
from db import queries
from screens.base import CivScreen


class CoverageScreen(CivScreen[None]):
    BINDINGS = [Binding("escape", "back", "nav.back", id="coverage.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.civ.t("report.coverage"), classes="title")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t, lang = self.civ.t, self.civ.lang
        table = self.query_one("#report", DataTable)
        table.add_columns(
            t("col.village"),
            t("dash.category"),
            t("dash.required"),
            t("dash.contacted"),
            t("dash.rate"),
            t("dash.late"),
        )
        for row in reports.coverage(self.civ.store, self.civ.today, self.civ.today):
            rate = f"{row.rate:.0%}" if row.rate is not None else "—"
            who = t(f"group.{row.group}") if row.group else t("dash.overall")
            what = row.category.label(lang) if row.category else who
            label = f"{t(f'rate.{row.rate_kind.value}')} {what}"
            table.add_row(row.village, label, row.required, row.contacted, rate, row.late)
        table.focus()

    def action_back(self) -> None:
        self.dismiss()


class EligibleScreen(CivScreen[None]):
    """政策找人: Enter opens the person so the category can be set right away."""

    BINDINGS = [Binding("escape", "back", "nav.back", id="eligible.back")]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.civ.t("report.eligible"), classes="title", id="eligible-title")
        yield DataTable(id="report", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t, lang = self.civ.t, self.civ.lang
        names = queries.village_names(self.civ.store)
        table = self.query_one("#report", DataTable)
        table.add_columns(
            t("col.village"),
            t("col.name"),
            t("report.action"),
            t("dash.category"),
            t("report.reason"),
        )
        self.hints = reports.eligible(self.civ.store, self.civ.today)
        for index, h in enumerate(self.hints):
            table.add_row(
                names.get(h.person.village_code, ""),
                h.person.name,
                t("report.remove") if h.remove else t("report.add"),
                h.category.label(lang),
                h.reason.in_(lang),
                key=str(index),
            )
        self.query_one("#eligible-title", Static).update(
            f"{t('report.eligible')} ({len(self.hints)})"
        )
        table.focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.person import PersonScreen

        hint = self.hints[event.cursor_row]
        self.app.push_screen(PersonScreen(hint.person.id))

    def action_back(self) -> None:
        self.dismiss()
