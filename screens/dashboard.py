"""首页: this month's coverage, the work list, 待跟进 (what is still open), open needs and
high-risk children, and the status line; each a panel of `screens/panels.py` that reads and
refreshes its own figures. The screen lays them out and holds the keys."""

from __future__ import annotations

from functools import partial

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header

from screens.actions import open_contact_form
from screens.base import CivScreen
from screens.followups import open_follow_up
from screens.messages import SyncStateChanged
from screens.panels import (
    CoveragePanel,
    FollowUpPanel,
    HighRiskPanel,
    NeedsPanel,
    Panel,
    SyncStatePanel,
    WorkListPanel,
)
from screens.textual_compat import Footer


class DashboardScreen(CivScreen[None]):
    """The screen civtui opens on; the work list has focus so a visit is one key away."""

    CSS_PATH = "dashboard.tcss"
    # Focused from the start: focusing it after mount would lay out the footer twice.
    AUTO_FOCUS = "#worklist"
    BINDINGS = [
        Binding("v", "visit", "dash.visit", id="dashboard.visit", tooltip="tip.visit"),
        Binding("enter", "open", "dash.open", id="dashboard.open", show=False),
        Binding("r", "app.roster", "nav.roster", id="dashboard.roster"),
        Binding("n", "app.new_person", "roster.new", id="dashboard.new_person"),
        Binding("p", "app.pending", "nav.pending", id="dashboard.pending"),
        Binding("s", "app.sync", "dash.sync", id="dashboard.sync", tooltip="cmd.sync"),
        Binding(
            "f",
            "app.follow_ups",
            "dash.focus_followups",
            id="dashboard.followups",
            tooltip="tip.focus_followups",
        ),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="dash-body"):
            with Vertical(id="dash-side"):
                yield CoveragePanel(id="coverage-panel")
                yield NeedsPanel(id="needs-panel")
                yield HighRiskPanel(id="high-risk-panel")
            with Vertical(id="dash-main"):
                yield WorkListPanel(id="worklist-panel")
                yield FollowUpPanel(id="followups-panel")
        yield SyncStatePanel(id="statusbar", classes="statusbar")
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        today = self.civ.today
        self.sub_title = t("status.month", year=today.year, month=today.month)
        # The counted panels start their own count once the first frame is drawn.
        for panel in self.query(Panel).results():
            if not isinstance(panel, CoveragePanel | WorkListPanel):
                panel.reload()
        self.refresh_status()

    def on_screen_resume(self) -> None:
        if self.back_again():  # on_mount has just started the counts
            self.load()

    def load(self) -> None:
        """Every panel reads its figures again (after a save, a sync, a day change)."""
        today = self.civ.today
        self.sub_title = self.civ.t("status.month", year=today.year, month=today.month)
        for panel in self.query(Panel).results():
            panel.reload()
        self.refresh_status()

    def refresh_status(self) -> None:
        self.query_one(SyncStatePanel).reload()

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def _highlighted(self) -> str | None:
        followups = self.query_one(FollowUpPanel)
        if self.focused is followups.query_one("#followups", DataTable):
            item = followups.highlighted()
            return item.person_id if item else None
        return self.query_one(WorkListPanel).highlighted()

    def action_visit(self, first: bool = False) -> None:
        """Start a visit (or a child check, for a child) for the highlighted person."""
        panel = self.query_one(WorkListPanel)
        work = panel.work
        pid = work[0].person_id if first and work else self._highlighted()
        if pid is None and not panel.counted:
            # Pressed before the list was counted (a second after start): say so, and open
            # the form once the list is there, if this page is still the one shown.
            self.notify(self.civ.t("dash.counting"), timeout=2)
            panel.when_counted(partial(self._visit_if_shown, first))
            return
        if pid is not None:
            # Back on this screen after the save, on_screen_resume reads it again: loading it
            # here too made every save from the dashboard wait for two loads.
            open_contact_form(self, pid, on_saved=lambda: None)

    def _visit_if_shown(self, first: bool) -> None:
        if self.app.screen is self:
            self.action_visit(first)

    def action_open(self) -> None:
        pid = self._highlighted()
        if pid is not None:
            from screens.person import PersonScreen

            self.app.push_screen(PersonScreen(pid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "worklist":
            self.action_open()
        elif event.data_table.id == "followups":
            self.open_follow_up()

    def open_follow_up(self) -> None:
        """Open the record the highlighted follow-up came from (or its person)."""
        item = self.query_one(FollowUpPanel).highlighted()
        if item is not None:
            open_follow_up(self, item, self.load)
