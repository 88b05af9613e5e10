"""对象名册: everyone in the profile's villages, found by name, pinyin, initials or ID tail."""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.events import Resize
from textual.widgets import DataTable, Header, Input, Select, Static
from textual.widgets.data_table import ColumnKey

from civtui.domain import search
from civtui.domain.choices import Category, PersonStatus, Sex
from civtui.services import reads
from screens import format as fmt
from screens.actions import open_contact_form
from screens.base import CivScreen
from screens.layout import CELL_PAD, SCROLLBAR
from screens.textual_compat import Footer, TextInput, add_rows_at_once

#: Rows listed at most; the count says how many matched.
ROSTER_LIMIT = 100
#: The categories column is never narrower than this, even beside a very long name.
LEAST_CATEGORIES = 8
#: A listed person's cells but the categories, their category labels, and the width each
#: of those cells takes on screen.
_Cells = tuple[tuple[Text | int, ...], list[str], tuple[int, ...]]


class RosterScreen(CivScreen[None]):
    CSS_PATH = "roster.tcss"
    BINDINGS = [
        Binding("slash", "focus_search", "roster.focus_search", id="roster.search"),
        Binding("escape", "back", "nav.back", id="roster.back"),
        Binding("v", "visit", "dash.visit", id="roster.visit"),
        Binding("n", "app.new_person", "roster.new", id="roster.new_person"),
        Binding("down", "to_table", show=False, id="roster.to_table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[reads.PersonRow] = []
        self.shown: list[reads.PersonRow] = []
        #: Each listed person's cells but the last, their category labels and the cells'
        #: widths, made once per `load`: a keystroke lists up to ROSTER_LIMIT rows again,
        #: and making their text, then measuring it for the columns' widths, was a third of it.
        self._cells: dict[str, _Cells] = {}
        #: The categories cell and its height for a list of labels at a width: people share
        #: a few dozen lists, and a keystroke fitted each listed row's again.
        self._fits: dict[tuple[tuple[str, ...], int], tuple[Text, int]] = {}
        #: The ids listed now, in order: a keystroke that lists the same rows redraws none.
        self._listed: list[str] = []
        self._filters: tuple[Any, ...] | None = None
        #: Everyone the filters leave, searched with each first character's matches kept.
        self._letters: search.Letters[reads.PersonRow] = search.Letters([])

    def compose(self) -> ComposeResult:
        t, lang = self.civ.t, self.civ.lang
        yield Header()
        yield TextInput(placeholder=t("roster.search"), id="search")
        with Horizontal(id="filters"):
            yield Select(
                [(c.label(lang), c) for c in Category],
                prompt=t("roster.all_categories"),
                id="filter-category",
                compact=True,
            )
            yield Select(
                [
                    (fmt.text(name), code)
                    for code, name in reads.village_names(self.civ.store).items()
                ],
                prompt=t("roster.all_villages"),
                id="filter-village",
                compact=True,
            )
            yield Select(
                [(s.label(lang), s) for s in PersonStatus],
                prompt=t("roster.all_statuses"),
                id="filter-status",
                compact=True,
                value=PersonStatus.ACTIVE,
            )
            yield Static(id="roster-count")
        yield DataTable(id="people", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        t = self.civ.t
        table = self.query_one("#people", DataTable)
        table.add_columns(t("col.name"), t("col.sex"), t("col.age"), t("col.id"), t("col.village"))
        table.add_column(t("col.categories"), key="categories")
        self.load()
        self.query_one("#search", Input).focus()

    def on_screen_resume(self) -> None:
        if self.back_again():  # on_mount has just read them
            self.load()

    def load(self) -> None:
        self.rows = reads.person_rows(self.civ.store, self.civ.today)
        self.villages = reads.village_names(self.civ.store)
        self._filters = None
        self._cells = {}
        self._fits = {}
        self._listed = []
        self.apply_filters()

    def on_resize(self, event: Resize) -> None:
        # The categories column gets the width the others leave: list again at the new width.
        self._listed = []
        self.apply_filters()

    def _row_cells(self, r: reads.PersonRow) -> _Cells:
        cells = self._cells.get(r.id)
        if cells is None:
            lang = self.civ.lang
            first: tuple[Text | int, ...] = (
                fmt.text(r.name),
                fmt.text(Sex(r.sex).label(lang)),
                r.age,
                fmt.text(r.masked_id),
                fmt.text(self.villages.get(r.village_code, r.village_code)),
            )
            widths = tuple(cell_len(fmt.plain(cell)) for cell in first)
            cells = (first, fmt.category_labels(r.categories, lang, r.derived), widths)
            self._cells[r.id] = cells
        return cells

    def _fill(self, table: DataTable[Any]) -> None:
        """List `self.shown` with the categories in the width the other columns leave,
        wrapped between two categories onto more lines (never inside one, never off the
        edge: at 80 columns 'Fully dependent' was drawn as 'Fully depende')."""
        listed = [(r.id, *self._row_cells(r)) for r in self.shown]
        columns = list(table.columns.values())
        used = sum(
            max([cell_len(column.label.plain), *(widths[i] for *_, widths in listed)])
            + 2 * CELL_PAD
            for i, column in enumerate(columns[:-1])
        )
        # The table spans the screen; its own size leaves out a scrollbar it may not have yet.
        width = self.size.width or self.app.size.width
        left = max(width - used - 2 * CELL_PAD - SCROLLBAR, LEAST_CATEGORIES)
        categories = table.columns[ColumnKey("categories")]
        categories.width, categories.auto_width = left, False
        heading = self.civ.t("col.categories")
        categories.label = fmt.text(fmt.clip(heading, left))
        rows: list[tuple[str, tuple[object, ...]]] = []
        heights: dict[str, int] = {}
        lang = self.civ.lang
        for person_id, first, labels, _ in listed:
            fit = self._fits.get((tuple(labels), left))
            if fit is None:
                # The lines are fit_list's own breaks between labels (choice labels, never
                # typed). One Text serves every row with these labels: a table draws a
                # cell's Text as it is.
                shown = fmt.fit_list(labels, lang, left, whole=True)
                fit = fmt.text(shown, lines=True), shown.count("\n") + 1
                self._fits[tuple(labels), left] = fit
            rows.append((person_id, (*first, fit[0])))
            if fit[1] > 1:
                heights[person_id] = fit[1]
        add_rows_at_once(table, rows, heights)

    def apply_filters(self) -> None:
        query = self.query_one("#search", Input).value.strip().lower()
        filters = tuple(
            self.query_one(f"#filter-{name}", Select).value
            for name in ("category", "village", "status")
        )
        if filters != self._filters:
            category, village, status = filters
            self._filtered = [
                r
                for r in self.rows
                if (category is Select.NULL or category in r.categories)
                and (village is Select.NULL or village == r.village_code)
                and (status is Select.NULL or status == r.status)
            ]
            self._filters, self._query, self._matches = filters, "", self._filtered
            self._letters = search.Letters(self._filtered)
        # Typing on only narrows: search the last matches, not everyone again.
        narrowing = search.narrows(self._query, query)
        shown = search.match(self._matches, query) if narrowing else self._letters.match(query)
        self._query, self._matches = query, shown
        # A township roster can hold tens of thousands: list the first screenfuls and
        # let the search narrow them down, so every keystroke stays instant.
        self.shown = shown[:ROSTER_LIMIT]
        listed = [r.id for r in self.shown]
        if listed != self._listed:
            table = self.query_one("#people", DataTable)
            table.clear()
            self._fill(table)
            self._listed = listed
        count = self.civ.t("roster.count", n=len(shown))
        if len(shown) > ROSTER_LIMIT:
            count += self.civ.t("roster.limited", n=ROSTER_LIMIT)
        if any(r.derived for r in self.shown):
            count += " · " + self.civ.t("derived.short")
        self.query_one("#roster-count", Static).update(fmt.text(count))

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.apply_filters()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.action_to_table()

    def on_select_changed(self, event: Select.Changed) -> None:
        self.apply_filters()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        from screens.person import PersonScreen

        if event.row_key.value is not None:
            self.app.push_screen(PersonScreen(event.row_key.value))

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_to_table(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one("#people", DataTable).focus()

    def action_back(self) -> None:
        if self.focused is not self.query_one("#search", Input):
            self.action_focus_search()
        else:
            self.dismiss()

    def action_visit(self) -> None:
        table = self.query_one("#people", DataTable)
        if self.shown and 0 <= table.cursor_row < len(self.shown):
            # on_screen_resume reloads the roster once the form closes: not a second time here.
            open_contact_form(self, self.shown[table.cursor_row].id, on_saved=lambda: None)
