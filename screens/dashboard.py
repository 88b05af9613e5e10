"""首页: this month's coverage, the work list, open needs and high-risk children."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static

from civtui.domain.choices import Category, NeedStatus
from db import outbox, queries
from screens import format as fmt
from screens.actions import open_contact_form
from screens.base import CivScreen
from screens.messages import SyncStateChanged

#: Work-list rows laid out at most; the title gives the full count.
WORKLIST_LIMIT = 200


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
    ]

    def compose(self) -> ComposeResult:
        t = self.civ.t
        yield Header()
        with Horizontal(id="dash-body"):
            with Vertical(id="dash-side"):
                yield Static(t("dash.coverage"), classes="title", id="coverage-title")
                yield DataTable(id="coverage", cursor_type="none", zebra_stripes=True)
                yield Static(t("dash.needs"), classes="title")
                yield Static(id="needs")
                yield Static(t("dash.high_risk"), classes="title")
                yield Static(id="high-risk")
            with Vertical(id="dash-main"):
                yield Static(t("dash.worklist"), classes="title", id="worklist-title")
                yield DataTable(id="worklist", cursor_type="row", zebra_stripes=True)
        yield Static(id="statusbar", classes="statusbar")
        yield Footer()

    _shown = False

    def on_mount(self) -> None:
        t = self.civ.t
        self.query_one("#coverage", DataTable).add_columns(t("dash.category"), t("dash.rate"))
        self.query_one("#worklist", DataTable).add_columns(
            t("col.state"), t("col.name"), t("col.age"), t("col.last"), t("col.categories")
        )
        self.load()

    def on_screen_resume(self) -> None:
        # Textual also sends this when the screen is first shown, right after on_mount.
        if self._shown:
            self.load()
        self._shown = True

    def load(self) -> None:
        """Read this month's figures again (after a save, a sync, a day change)."""
        civ = self.civ
        t, lang = civ.t, civ.lang
        data = queries.dashboard(civ.store, civ.today, WORKLIST_LIMIT)
        self.data = data
        month = data.month
        self.sub_title = t("status.month", year=month.year, month=month.month)

        coverage = self.query_one("#coverage", DataTable)
        coverage.clear()
        # Each rate on its own: 合计, then 成人 and 儿童 (which add up to it), then categories.
        order = list(Category)
        for frequency, report in data.rates.items():
            total = report.total
            coverage.add_row(
                f"{t(f'rate.{frequency.value}')} {t('dash.overall')}",
                fmt.coverage(total.contacted, total.required),
            )
            for group, tally in report.groups.items():
                if tally.required:
                    coverage.add_row(
                        f"  {t(f'group.{group}')}", fmt.coverage(tally.contacted, tally.required)
                    )
            cats: dict[Category, tuple[int, int]] = {}
            for (_, category), tally in report.by_category.items():
                got, due = cats.get(category, (0, 0))
                cats[category] = (got + tally.contacted, due + tally.required)
            for category, (got, due) in sorted(
                cats.items(), key=lambda kv: (-kv[1][1], order.index(kv[0]))
            ):
                if due:
                    coverage.add_row(f"  {category.label(lang)}", fmt.coverage(got, due))

        work = self.query_one("#worklist", DataTable)
        row_before = work.cursor_row
        work.clear()
        # The most urgent first; a long list is worked through, not scrolled, so only the
        # head of it is laid out (laying out thousands of rows would delay every refresh).
        for item in data.work:
            person = data.people[item.person_id]
            if item.reassess and not item.overdue:
                state = t("state.reassess")
            elif item.overdue:
                state = t("state.overdue")
            elif item.high_risk:
                state = t("state.high_risk")
            elif item.urgent_need:
                state = t("state.urgent")
            else:
                state = t("state.due")
            work.add_row(
                state,
                person.name,
                person.age,
                fmt.day(item.last_contact, t),
                fmt.categories(person.categories, lang),
                key=item.person_id,
            )
        if data.work:
            work.move_cursor(row=min(row_before, work.row_count - 1))
        self.query_one("#worklist-title", Static).update(
            f"{t('dash.worklist')} ({data.due_count})" if data.work else t("dash.empty")
        )

        needs_text = " · ".join(
            f"{s.label(lang)} {data.need_counts[s]}" for s in NeedStatus if data.need_counts.get(s)
        )
        self.query_one("#needs", Static).update(needs_text or t("dash.none"))
        risky = "、".join(p.name for p in data.high_risk)
        self.query_one("#high-risk", Static).update(risky or t("dash.none"))
        self.refresh_status()

    def refresh_status(self) -> None:
        civ = self.civ
        t, store = civ.t, civ.store
        last = queries.last_sync(store)
        parts = [
            t(f"status.{civ.link}"),
            t("status.pending", n=store.pending_count()),
            t(
                "status.last_sync",
                when=last[:16].replace("T", " ") if last else t("status.never_synced"),
            ),
        ]
        said = store.get_meta(outbox.LAST_RESULT_EN) if civ.lang == "en" else None
        detail = civ.sync_activity or said or store.get_meta(outbox.LAST_RESULT)
        if detail:
            parts.append(detail)
        self.query_one("#statusbar", Static).update(" · ".join(parts))

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def _highlighted(self) -> str | None:
        work = self.query_one("#worklist", DataTable)
        if not self.data.work or work.cursor_row < 0:
            return None
        return self.data.work[work.cursor_row].person_id

    def action_visit(self, first: bool = False) -> None:
        """Start a visit (or a child check, for a child) for the highlighted person."""
        pid = self.data.work[0].person_id if first and self.data.work else self._highlighted()
        if pid is not None:
            open_contact_form(self, pid, on_saved=self.load)

    def action_open(self) -> None:
        pid = self._highlighted()
        if pid is not None:
            from screens.person import PersonScreen

            self.app.push_screen(PersonScreen(pid))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "worklist":
            self.action_open()
