"""首页: this month's coverage, the work list, 待跟进 (what is still open), open needs and
high-risk children."""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Header, Static
from textual.widgets.data_table import ColumnKey

from civtui.domain.choices import Category, NeedStatus
from civtui.i18n import Translator
from civtui.services import reads
from screens import format as fmt
from screens.actions import open_contact_form
from screens.base import CivScreen
from screens.followups import describe, open_follow_up
from screens.lock import backup_note
from screens.messages import SyncStateChanged

#: Work-list rows laid out at most; the title gives the full count.
WORKLIST_LIMIT = 200
#: 待跟进 rows on the dashboard: the most urgent few; `f` opens the whole list.
FOLLOW_UP_PANEL = 5
#: The left column's width, as dashboard.tcss sets it (less its border), and a scrollbar's.
SIDE_WIDTH = 28
SCROLLBAR = 2


def _last(day: dt.date | None, today: dt.date, t: Translator) -> str:
    """A last contact this year without its year (the list is read month by month)."""
    if day is not None and day.year == today.year:
        return day.strftime("%m-%d")
    return fmt.day(day, t)


def _fix_width(table: DataTable[object], key: str, width: int) -> None:
    """Give one column a fixed width (its cells are cut or wrapped to it)."""
    column = table.columns[ColumnKey(key)]
    column.width = width
    column.auto_width = False
    # A heading wider than its column is cut where the cut shows, like its cells.
    if cell_len(column.label.plain) > width:
        column.label = fmt.text(fmt.clip(column.label.plain, width))


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
                yield Static(t("dash.followups"), classes="title", id="followups-title")
                yield DataTable(id="followups", cursor_type="row", zebra_stripes=True)
        yield Static(id="statusbar", classes="statusbar")
        yield Footer()

    _shown = False
    #: The 待跟进 list as shown, row for row, and how many items are open in all.
    follow_ups: list[reads.FollowUp] = []
    follow_up_count = 0

    def on_mount(self) -> None:
        t = self.civ.t
        coverage = self.query_one("#coverage", DataTable)
        coverage.add_column(t("dash.category"), key="category")
        coverage.add_column(t("dash.rate"), key="rate")
        work = self.query_one("#worklist", DataTable)
        for key, label in (
            ("state", "col.state"),
            ("name", "col.name"),
            ("age", "col.age"),
            ("last", "col.last"),
        ):
            work.add_column(t(label), key=key)
        work.add_column(t("col.categories"), key="categories")
        self.query_one("#followups", DataTable).add_columns(
            t("col.what"), t("col.name"), t("col.waiting"), t("col.summary")
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
        data = reads.dashboard(civ.store, civ.today, WORKLIST_LIMIT)
        self.data = data
        month = data.month
        self.sub_title = t("status.month", year=month.year, month=month.month)

        coverage = self.query_one("#coverage", DataTable)
        coverage.clear()
        # Each rate on its own: its name on a line of its own, then 合计, then 成人 and 儿童
        # (which add up to it), then categories. The name has the line to itself: beside a
        # wide figure ("9331/14710 63%") there was no room left for "月探访率 合计".
        order = list(Category)
        rows: list[tuple[str, str, bool]] = []
        for frequency, report in data.rates.items():
            total = report.total
            rows.append((t(f"rate.{frequency.value}"), "", True))
            rows.append((t("dash.overall"), fmt.coverage(total.contacted, total.required), False))
            for group, tally in report.groups.items():
                if tally.required:
                    figure = fmt.coverage(tally.contacted, tally.required)
                    rows.append((f"  {t(f'group.{group}')}", figure, False))
            cats: dict[Category, tuple[int, int]] = {}
            for (_, category), tally in report.by_category.items():
                got, due = cats.get(category, (0, 0))
                cats[category] = (got + tally.contacted, due + tally.required)
            for category, (got, due) in sorted(
                cats.items(), key=lambda kv: (-kv[1][1], order.index(kv[0]))
            ):
                if due:
                    rows.append((f"  {category.label(lang)}", fmt.coverage(got, due), False))
        # The figure is always shown whole; a long category name is what gives way, and a
        # rate's name wraps rather than being cut.
        rate_width = max((cell_len(rate) for _, rate, _ in rows), default=4)
        label_width = SIDE_WIDTH - rate_width - 2 * 2 - SCROLLBAR
        _fix_width(coverage, "rate", rate_width)
        _fix_width(coverage, "category", label_width)
        for label, rate, name_row in rows:
            wraps = name_row and cell_len(label) > label_width
            # A category's name that does not fit is cut where the cut shows (…).
            shown = label if name_row else fmt.clip(label, label_width)
            coverage.add_row(fmt.text(shown), fmt.text(rate), height=None if wraps else 1)

        work = self.query_one("#worklist", DataTable)
        row_before = work.cursor_row
        work.clear()
        # The most urgent first; a long list is worked through, not scrolled, so only the
        # head of it is laid out (laying out thousands of rows would delay every refresh).
        cells = []
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
            cells.append(
                (
                    item.person_id,
                    [state, person.name, str(person.age), _last(item.last_contact, civ.today, t)],
                    fmt.category_labels(person.categories, lang),
                )
            )
        # The categories get the width that is left; a longer list wraps to a second line
        # between two categories, never inside one (独居、失/能 read as two words).
        headers = [column.label.plain for column in work.columns.values()][:-1]
        used = sum(
            max(cell_len(fmt.plain(c)) for c in column) + 2
            for column in zip(headers, *[first for _, first, _ in cells], strict=False)
        )
        left = max(self.app.size.width - SIDE_WIDTH - 1 - used - 2 - SCROLLBAR, 8)
        _fix_width(work, "categories", left)
        for person_id, first, labels in cells:
            categories = fmt.fit_list(labels, lang, left)
            # Only a row whose categories wrap is measured: measuring renders every cell,
            # and doing so for all 200 rows was a tenth of the start-up.
            height = None if "\n" in categories else 1
            # The lines are fit_list's own breaks between labels (choice labels, never typed).
            cells_shown = [*(fmt.text(cell) for cell in first), fmt.text(categories, lines=True)]
            work.add_row(*cells_shown, key=person_id, height=height)
        if data.work:
            work.move_cursor(row=min(row_before, work.row_count - 1))
        if data.work:
            heading = f"{t('dash.worklist')} ({data.due_count})"
        elif any(report.total.required for report in data.rates.values()):
            heading = t("dash.empty")
        else:
            heading = t("dash.nobody_due")
        self.query_one("#worklist-title", Static).update(fmt.text(heading))
        self._load_follow_ups()

        needs_text = " · ".join(
            f"{s.label(lang)} {data.need_counts[s]}" for s in NeedStatus if data.need_counts.get(s)
        )
        self.query_one("#needs", Static).update(fmt.text(needs_text or t("dash.none")))
        risky = "、".join(p.name for p in data.high_risk)
        self.query_one("#high-risk", Static).update(fmt.text(risky or t("dash.none")))
        self.refresh_status()

    def _load_follow_ups(self) -> None:
        t, lang, today = self.civ.t, self.civ.lang, self.civ.today
        # The head of it only (a 50,000-person profile has tens of thousands of open items):
        # the 待跟进 screen (`f`) is where the list is worked through.
        rules = reads.rules(self.civ.store)
        self.follow_ups, self.follow_up_count = reads.follow_up_head(
            self.civ.store,
            today,
            FOLLOW_UP_PANEL,
            adl_valid_months=rules.adl_valid_months,
            adl_min_age=rules.adl_min_age,
        )
        table = self.query_one("#followups", DataTable)
        row_before = table.cursor_row
        table.clear()
        for item in self.follow_ups:
            table.add_row(
                fmt.text(t(f"followup.kind.{item.kind}")),
                fmt.text(item.person_name),
                fmt.text(t("followup.days", n=item.overdue(today))),
                fmt.text(describe(item, t, lang)),
                key=f"{item.kind}:{item.record_id}",
            )
        if self.follow_ups:
            table.move_cursor(row=min(row_before, table.row_count - 1))
        count = f" ({self.follow_up_count})" if self.follow_ups else f"：{t('dash.none')}"
        self.query_one("#followups-title", Static).update(fmt.text(t("dash.followups") + count))
        table.display = bool(self.follow_ups)

    def refresh_status(self) -> None:
        civ = self.civ
        t, store = civ.t, civ.store
        last = reads.last_sync(store)
        parts = [
            t(f"status.{civ.link}"),
            t("status.pending", n=store.pending_count()),
            t(
                "status.last_sync",
                when=last[:16].replace("T", " ") if last else t("status.never_synced"),
            ),
        ]
        # Offline, the last sync's summary would read as if it had just worked.
        stored = None if civ.link == "offline" else store.get_meta(reads.LAST_RESULT)
        last_result = None
        if stored:
            # Only a profile that has synced has a summary to say; the sync protocol's
            # models it is read with were a tenth of the first frame for one that has not.
            from sync import words

            last_result = words.stored_summary(
                stored, t, legacy_en=store.get_meta(reads.LAST_RESULT_EN)
            )
        detail = civ.sync_activity or last_result
        if detail:
            parts.append(detail)
        if backup := backup_note(civ):  # the last backup, once older than the setting
            parts.append(backup)
        self.query_one("#statusbar", Static).update(fmt.text(" · ".join(parts)))

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def _highlighted(self) -> str | None:
        followups = self.query_one("#followups", DataTable)
        if self.focused is followups:
            item = self._follow_up()
            return item.person_id if item else None
        work = self.query_one("#worklist", DataTable)
        if not self.data.work or work.cursor_row < 0:
            return None
        return self.data.work[work.cursor_row].person_id

    def action_visit(self, first: bool = False) -> None:
        """Start a visit (or a child check, for a child) for the highlighted person."""
        pid = self.data.work[0].person_id if first and self.data.work else self._highlighted()
        if pid is not None:
            # Back on this screen after the save, on_screen_resume reads it again: loading it
            # here too made every save from the dashboard wait for two loads.
            open_contact_form(self, pid, on_saved=lambda: None)

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

    def _follow_up(self) -> reads.FollowUp | None:
        table = self.query_one("#followups", DataTable)
        if not self.follow_ups or not 0 <= table.cursor_row < len(self.follow_ups):
            return None
        return self.follow_ups[table.cursor_row]

    def open_follow_up(self) -> None:
        """Open the record the highlighted follow-up came from (or its person)."""
        item = self._follow_up()
        if item is not None:
            open_follow_up(self, item, self.load)
