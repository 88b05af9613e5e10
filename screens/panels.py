"""The dashboard's panels: each reads its own figures (through `civtui.services.reads`) and
shows them, and refreshes on its own when asked.

Two kinds. A quick panel (open needs, high-risk children, 待跟进, the status line) reads on
the app's connection as it is drawn: a few milliseconds even on 50,000 people. A counted
panel (coverage, the work list) reads the month's standings, which the first time on a large
profile takes long enough to hold the first frame back; it is drawn with "计算中…" and
counted by a thread worker on the app's reader (`civtui.services.reader`), after the frame.
A later refresh keeps the figures shown until the new ones are in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import CancelledError
from typing import Generic, TypeVar, cast

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static
from textual.widgets.data_table import ColumnKey
from textual.worker import get_current_worker

from civtui.domain.choices import Category, Frequency, NeedStatus
from civtui.domain.policy import RateReport
from civtui.domain.worklist import WorkItem
from civtui.i18n import Translator
from civtui.services import reads
from screens import format as fmt
from screens.followups import add_row
from screens.host import Host
from screens.lock import backup_note
from screens.textual_compat import add_rows_at_once

#: Work-list rows laid out at most; the title gives the full count.
WORKLIST_LIMIT = 200
#: The work list's name column is never narrower than this (four Chinese characters),
#: nor than its longest name: a name is what the row is for.
NAME_LEAST = 8
#: Lines a work-list row's categories take at most: a taller row hid the list's next people.
CATEGORY_LINES = 2
#: The work list's columns whose cells may take more than a line: the name, the categories.
MULTILINE = (1, 4)
#: 待跟进 rows on the dashboard: the most urgent few; `f` opens the whole list.
FOLLOW_UP_PANEL = 5
#: The left column's width, as dashboard.tcss sets it (less its border), and a scrollbar's.
SIDE_WIDTH = 28
SCROLLBAR = 2

T = TypeVar("T")


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


def _lines(value: str, width: int, most: int) -> list[str]:
    """`value` wrapped to `width` cells in `most` lines at most; the last one cut where the
    cut shows (…) when there is more."""
    # Between the name's words where they fit (=1+1 / [b]x[/b]), never inside one that fits.
    lines = fmt.wrap(value, width, keep=value.split())
    if len(lines) > most:
        rest = " ".join(lines[most - 1 :])
        lines = [*lines[: most - 1], fmt.clip(rest, width)]
    return lines


class Panel(Vertical):
    """One panel of the dashboard: `reload` reads its figures again and shows them."""

    @property
    def civ(self) -> Host:
        return cast(Host, self.app)

    def reload(self) -> None:
        raise NotImplementedError


class CountedPanel(Panel, Generic[T]):
    """A panel counted by a worker after the first frame, on the app's reader connection.

    One count at a time per panel: a refresh asked for while one runs (a sync's progress
    asks often) is made once, after it, so counts never queue up on the reader. No count is
    cancelled, so waiting for the app's workers never meets a cancelled one."""

    #: Set once the first figures are shown; until then the panel says it is counting.
    counted = False
    #: A count is under way; `_again`: another was asked for meanwhile, made once it ends.
    busy = False
    _again = False
    #: What waits for the first figures (a key pressed before they came), run once.
    _waiting: list[Callable[[], None]] | None = None

    def counting(self) -> Static:
        return Static(self.civ.t("dash.counting"), classes="counting")

    def on_mount(self) -> None:
        # Textual calls every class's own on_mount, a subclass's (its columns) first.
        # After the first frame: the frame is drawn before anything is counted.
        self.call_after_refresh(self.reload)

    def when_counted(self, then: Callable[[], None]) -> None:
        """Run `then` once the first figures are shown: at once if they are."""
        if self.counted:
            then()
        else:
            self._waiting = [*(self._waiting or []), then]

    def reload(self) -> None:
        if self.busy:
            self._again = True
            return
        self.busy = True
        self._count(self.reader_job())

    def reader_job(self) -> Callable[[reads.Store], T]:
        """What to read, bound on the UI thread to everything it needs (it runs on another)."""
        raise NotImplementedError

    def show(self, found: T) -> None:
        raise NotImplementedError

    @work(thread=True, group="dashboard-panel")
    def _count(self, job: Callable[[reads.Store], T]) -> None:
        worker = get_current_worker()
        try:
            found = self.civ.reader.run(job)
        except CancelledError:  # the app is closing
            return
        if not worker.is_cancelled:  # cancelled: the panel or the app is going
            self.app.call_from_thread(self._shown, found)

    def _shown(self, found: T) -> None:
        self.busy = False
        if not self.is_attached:  # the screen went (a language switch) while it counted
            return
        self.show(found)
        if not self.counted:
            self.counted = True
            self.query_one(".counting", Static).display = False
            waiting, self._waiting = self._waiting or [], None
            for then in waiting:
                then()
        if self._again:
            self._again = False
            self.reload()


class CoveragePanel(CountedPanel[dict[Frequency, RateReport]]):
    """本月探访覆盖率: each rate, then 合计, 成人 and 儿童, then each category."""

    #: The rates as shown (empty until they are counted).
    rates: dict[Frequency, RateReport] = {}
    _drawn: dict[Frequency, RateReport] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.civ.t("dash.coverage"), classes="title", id="coverage-title")
        yield self.counting()
        yield DataTable(id="coverage", cursor_type="none", zebra_stripes=True)

    def on_mount(self) -> None:
        t = self.civ.t
        coverage = self.query_one("#coverage", DataTable)
        coverage.add_column(t("dash.category"), key="category")
        coverage.add_column(t("dash.rate"), key="rate")

    def reader_job(self) -> Callable[[reads.Store], dict[Frequency, RateReport]]:
        today = self.civ.today
        return lambda store: reads.month_rates(store, today)

    def show(self, found: dict[Frequency, RateReport]) -> None:
        t, lang = self.civ.t, self.civ.lang
        if self._drawn == found:
            # The same figures (a save that changed no rate): drawn again for nothing.
            return
        self.rates = self._drawn = found
        coverage = self.query_one("#coverage", DataTable)
        coverage.clear()
        # Each rate on its own: its name on a line of its own, then 合计, then 成人 and 儿童
        # (which add up to it), then categories. The name has the line to itself: beside a
        # wide figure ("9331/14710 63%") there was no room left for "月探访率 合计".
        order = list(Category)
        rows: list[tuple[str, str, bool]] = []
        shorts: dict[str, Category] = {}  # a category's row, by its label
        for frequency, report in found.items():
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
                    shorts[rows[-1][0]] = category
        # The figure is always shown whole; a long category name is what gives way, and a
        # rate's name wraps rather than being cut.
        rate_width = max((cell_len(rate) for _, rate, _ in rows), default=4)
        label_width = SIDE_WIDTH - rate_width - 2 * 2 - SCROLLBAR
        _fix_width(coverage, "rate", rate_width)
        _fix_width(coverage, "category", label_width)

        def fits(indent: int) -> bool:
            room = label_width - indent
            return all(cell_len(fmt.category_label(c, lang, room)) <= room for c in shorts.values())

        # Groups and categories sit two cells in under 合计, or fewer where a wide figure
        # ("92/252 37%") leaves a short name no room: one indent for all, so the rows stay
        # aligned, and … only where no indent is enough.
        indent = next((n for n in (2, 1) if fits(n)), 0)
        for label, rate, name_row in rows:
            wraps = name_row and cell_len(label) > label_width
            # A category's name that does not fit is its short name (Dibao, Left-behind);
            # only a short name that still does not fit is cut where the cut shows (…).
            short = shorts.get(label)
            if short is not None:
                label = " " * indent + fmt.category_label(short, lang, label_width - indent)
            elif label.startswith("  "):
                label = " " * indent + label.lstrip()
            shown = label if name_row else fmt.clip(label, label_width)
            coverage.add_row(fmt.text(shown), fmt.text(rate), height=None if wraps else 1)


class WorkListPanel(CountedPanel[reads.WorkHead]):
    """待访名单: the most urgent first, its whole length in the title."""

    #: The list as shown, row for row (empty until it is counted).
    work: list[WorkItem] = []
    #: The rows' words, the last contact's heading and the columns' widths as drawn.
    _drawn: tuple[list[tuple[str, tuple[str, ...]]], str, dict[str, int]] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.civ.t("dash.worklist"), classes="title", id="worklist-title")
        yield self.counting()
        yield DataTable(id="worklist", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        t = self.civ.t
        work = self.query_one("#worklist", DataTable)
        for key, label in (
            ("state", "col.state"),
            ("name", "col.name"),
            ("age", "col.age"),
            ("last", "col.last"),
        ):
            work.add_column(t(label), key=key)
        work.add_column(t("col.categories"), key="categories")

    def reader_job(self) -> Callable[[reads.Store], reads.WorkHead]:
        today = self.civ.today
        return lambda store: reads.work_head(store, today, WORKLIST_LIMIT)

    def show(self, found: reads.WorkHead) -> None:
        civ = self.civ
        t, lang = civ.t, civ.lang
        work = self.query_one("#worklist", DataTable)
        self.work = found.work
        # The most urgent first; a long list is worked through, not scrolled, so only the
        # head of it is laid out (laying out thousands of rows would delay every refresh).
        cells = []
        for item in found.work:
            person = found.people[item.person_id]
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
                    person.categories,
                )
            )
        # The categories get the width that is left; a longer list wraps to a second line
        # between two categories, never inside one (独居、失/能 read as two words).
        headers = [t("col.state"), t("col.name"), t("col.age"), t("col.last")]
        firsts = [first for _, first, _ in cells]

        def widest(index: int) -> int:
            return max(
                cell_len(fmt.plain(c)) for c in [headers[index], *(f[index] for f in firsts)]
            )

        widths = [widest(index) for index in range(len(headers))]
        room = self.app.size.width - SIDE_WIDTH - 1 - 2 * (len(widths) + 1) - SCROLLBAR
        # The list goes on after a mark (、 or a comma); a category wider than the column,
        # with its mark, is its short name (Dibao, Left-behind), every word shown whole.
        mark = cell_len(fmt.listed(["", ""], lang).rstrip())
        widest_label = max(cell_len(fmt.category_label(c, lang, 0)) for c in Category)
        least = widest_label + mark
        # The last line of a long list is a label and its count ("Empty nest +1"): without
        # room for both, a row of three categories showed only its first ("Aged 80+ +2").
        counted = widest_label + cell_len(" " + t("dash.more_categories", n=9))
        if room - sum(widths) < max(least, counted):
            # Where the categories have too little room, the last contact's heading is its
            # short word (Seen, 上次): its dates (09-24) are narrower than "Last seen".
            headers[3] = t("col.last_short")
            widths[3] = widest(3)
        # Every column's width fixed (the state and age ones to their widest, which is what
        # Textual's own sizing would give them): nothing is measured as the rows go in.
        column_widths = {"state": widths[0], "age": widths[2], "last": widths[3]}
        # A long name gives way to the categories, down to NAME_LEAST cells (four Chinese
        # characters), and takes the row's second line: "=1+1 [b]x[/b]" left no room.
        name_width = widths[1]
        if room - sum(widths) < least:
            name_width = max(
                room - sum(widths) + widths[1] - least,
                min(widths[1], NAME_LEAST),
                cell_len(headers[1]),
            )
        left = max(room - sum(widths) + widths[1] - name_width, 8)
        column_widths |= {"name": name_width, "categories": left}

        def more(n: int) -> str:
            return t("dash.more_categories", n=n)

        rows: list[tuple[str, tuple[str, ...]]] = []
        for person_id, first, cats in cells:
            labels = fmt.category_labels(cats, lang, width=left - mark)
            # Two lines at most: what does not fit is counted (+2); the person's page and F1
            # say the rest.
            categories = fmt.fit_list(labels, lang, left, most=CATEGORY_LINES, more=more)
            name = "\n".join(_lines(fmt.plain(first[1]), name_width, CATEGORY_LINES))
            rows.append((person_id, (first[0], name, *first[2:], categories)))
        if found.work:
            heading = f"{t('dash.worklist')} ({found.due_count})"
        elif found.anyone_required:
            heading = t("dash.empty")
        else:
            heading = t("dash.nobody_due")
        self.query_one("#worklist-title", Static).update(fmt.text(heading))
        drawn = (rows, headers[3], column_widths)
        if drawn == self._drawn:
            # The same rows at the same widths (a save that changed nobody's standing, a
            # sync that brought nothing): drawing them again is most of a save's wait.
            return
        self._drawn = drawn
        row_before = work.cursor_row
        work.clear()
        work.columns[ColumnKey("last")].label = fmt.text(headers[3])
        for key, width in column_widths.items():
            _fix_width(work, key, width)
        # The lines are fit_list's and wrap's own breaks (a typed name's own line breaks are
        # drawn as characters by `plain`, not obeyed), each within its column: a row is as
        # high as its most lines, and nothing needs measuring.
        add_rows_at_once(
            work,
            (
                (person_id, [fmt.text(cell, lines=i in MULTILINE) for i, cell in enumerate(row)])
                for person_id, row in rows
            ),
            {person_id: max(row[i].count("\n") for i in MULTILINE) + 1 for person_id, row in rows},
            measure=False,
        )
        if found.work:
            work.move_cursor(row=min(row_before, work.row_count - 1))

    def highlighted(self) -> str | None:
        work = self.query_one("#worklist", DataTable)
        if not self.work or not 0 <= work.cursor_row < len(self.work):
            return None
        return self.work[work.cursor_row].person_id


class NeedsPanel(Panel):
    """老人需求: open needs by status."""

    def compose(self) -> ComposeResult:
        yield Static(self.civ.t("dash.needs"), classes="title")
        yield Static(id="needs")

    def reload(self) -> None:
        t, lang = self.civ.t, self.civ.lang
        counts = reads.need_counts(self.civ.store)
        text = " · ".join(f"{s.label(lang)} {counts[s]}" for s in NeedStatus if counts.get(s))
        self.query_one("#needs", Static).update(fmt.text(text or t("dash.none")))


class HighRiskPanel(Panel):
    """高风险儿童: children whose latest check was rated high risk."""

    def compose(self) -> ComposeResult:
        yield Static(self.civ.t("dash.high_risk"), classes="title")
        yield Static(id="high-risk")

    def reload(self) -> None:
        civ = self.civ
        risky = civ.t("list.sep").join(
            p.name for p in reads.high_risk_children(civ.store, civ.today)
        )
        self.query_one("#high-risk", Static).update(fmt.text(risky or civ.t("dash.none")))


class FollowUpPanel(Panel):
    """待跟进: the head of what is still open; `f` opens the whole list."""

    #: The list as shown, row for row, and how many items are open in all.
    follow_ups: list[reads.FollowUp] = []
    follow_up_count = 0
    _drawn: tuple[list[reads.FollowUp], dt.date] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.civ.t("dash.followups"), classes="title", id="followups-title")
        yield DataTable(id="followups", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        t = self.civ.t
        self.query_one("#followups", DataTable).add_columns(
            t("col.what"), t("col.name"), t("col.waiting"), t("col.summary")
        )

    def reload(self) -> None:
        t, today = self.civ.t, self.civ.today
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
        drawn = (self.follow_ups, today)
        if drawn != self._drawn:
            # Unchanged (most saves), the rows are left as drawn rather than drawn again.
            self._drawn = drawn
            row_before = table.cursor_row
            table.clear()
            for item in self.follow_ups:
                add_row(table, item, t, today)
            if self.follow_ups:
                table.move_cursor(row=min(row_before, table.row_count - 1))
        title = t("dash.followups")
        if self.follow_ups:
            title += f" ({self.follow_up_count})"
        else:
            title = t("dash.title_none", title=title, none=t("dash.none"))
        self.query_one("#followups-title", Static).update(fmt.text(title))
        table.display = bool(self.follow_ups)

    def highlighted(self) -> reads.FollowUp | None:
        table = self.query_one("#followups", DataTable)
        if not self.follow_ups or not 0 <= table.cursor_row < len(self.follow_ups):
            return None
        return self.follow_ups[table.cursor_row]


class SyncStatePanel(Static):
    """The status line: the server, changes waiting to be sent, the last sync and backup."""

    @property
    def civ(self) -> Host:
        return cast(Host, self.app)

    def reload(self) -> None:
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
        last_result = in_full = None
        if stored:
            # Only a profile that has synced has a summary to say; the sync protocol's
            # models it is read with were a tenth of the first frame for one that has not.
            from sync import words

            legacy_en = store.get_meta(reads.LAST_RESULT_EN)
            last_result = words.stored_summary(stored, t, legacy_en=legacy_en, short=True)
            in_full = words.stored_summary(stored, t, legacy_en=legacy_en)
        full = list(parts)
        if detail := civ.sync_activity or last_result:
            parts.append(detail)
            full.append(civ.sync_activity or in_full or detail)
        if backup := backup_note(civ):  # the last backup, once older than the setting
            parts.append(backup)
            full.append(backup)
        # One line at any width (app.tcss): what does not fit ends in …; the tooltip says
        # it in full.
        self.update(fmt.text(" · ".join(parts)))
        self.tooltip = fmt.text(" · ".join(full))
