"""待跟进: every open item, the most overdue first, worked through one key at a time.

Filtered by kind and village and searched by name (pinyin, initials) or what is to be done;
`Enter` opens the record, `x` marks a follow-up done after naming it, and `z` (or Ctrl+Z)
reopens the last one marked, for as long as the app is open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, get_args

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Header, Input, Select, Static

from civtui.domain.choices import NeedType
from civtui.domain.models import ChildCheck, Person, Record, Visit
from civtui.i18n import Translator
from civtui.services import reads, records
from civtui.services.records import OPENABLE, RecordDeletedError
from screens import format as fmt
from screens.base import CivScreen
from screens.confirm import ConfirmModal
from screens.textual_compat import Footer, TextInput

#: Rows laid out at most; the count says how many matched (search or filter narrows).
FOLLOW_UP_LIMIT = 200


def describe(item: reads.FollowUp, t: Translator, lang: str) -> str:
    """What is to be done, in words: the note, the need's type, the missing report."""
    if item.kind == "need":
        try:
            return NeedType(item.detail).label(lang)
        except ValueError:  # a type only a newer laptop knows
            return item.detail
    if item.kind == "report":
        return t("followup.report")
    if item.kind == "assessment":
        return t("followup.assessed", day=item.since.isoformat())
    return item.detail


def record_of(store: reads.Store, item: reads.FollowUp) -> Record | None:
    """The record `item` came from; None when it is gone or breaks one of today's rules."""
    try:
        return store.get(OPENABLE[item.table], item.record_id)
    except ValidationError:
        # A check that breaks a rule (a high-risk one without its report, as an old import
        # may hold) is opened through its person instead.
        return None


def open_follow_up(
    screen: CivScreen[None], item: reads.FollowUp, changed: Callable[[], None]
) -> None:
    """Open the record `item` came from (or its person); `changed` once it was changed."""
    from screens.person import PersonScreen
    from screens.record import RecordScreen

    store = screen.civ.store
    person = store.get(Person, item.person_id)
    if person is None:
        return
    record = record_of(store, item)
    if record is None:
        screen.app.push_screen(PersonScreen(person.id))
        return

    def closed(was_changed: bool | None) -> None:
        if was_changed:
            changed()

    screen.app.push_screen(RecordScreen(record, person), closed)


def confirm_done(
    screen: CivScreen[Any], record: Visit | ChildCheck, name: str, after: Callable[[bool], None]
) -> None:
    """Ask, naming the person and the item, then mark `record`'s follow-up done, undoable
    (`reopen_last`) until the app is closed; `after(True)` once it is marked, `after(False)`
    when the record was deleted meanwhile. The 待跟进 list and a record's page both ask here."""
    civ = screen.civ
    t = civ.t
    kind = "visit" if isinstance(record, Visit) else "check"
    what = t(
        "followup.kind_what", kind=t(f"followup.kind.{kind}"), what=record.follow_up_note or ""
    )

    def answered(agreed: bool | None) -> None:
        if not agreed:
            return
        try:
            records.mark_follow_up_done(civ.store, record, civ.today)
        except RecordDeletedError:
            screen.notify(t("form.save_deleted"), severity="error")
            after(False)
            return
        civ.follow_ups_done.append((record.table, record.id))
        screen.notify(t("followup.marked_undo", name=name))
        after(True)

    question = t("followup.confirm", name=name, what=what)
    screen.app.push_screen(ConfirmModal(question, t("followup.done"), t("form.cancel")), answered)


def reopen_last(screen: CivScreen[Any]) -> Visit | ChildCheck | None:
    """Reopen the follow-up marked done last (on the 待跟进 list or a record's page);
    the record reopened, or None when there was none to undo or it is gone."""
    civ = screen.civ
    t = civ.t
    done = civ.follow_ups_done
    if not done:
        screen.notify(t("followup.nothing_to_undo"), severity="warning")
        return None
    table, record_id = done.pop()
    record = civ.store.get(OPENABLE[table], record_id)
    if not isinstance(record, Visit | ChildCheck):
        screen.notify(t("form.save_deleted"), severity="error")
        return None
    records.reopen_follow_up(civ.store, record, civ.today)
    person = civ.store.get(Person, record.person_id)
    screen.notify(t("followup.reopened", name=person.name if person else ""))
    return record


class FollowUpScreen(CivScreen[None]):
    """Every open item; the list has focus, so the most overdue is one `x` away."""

    CSS_PATH = "followups.tcss"
    AUTO_FOCUS = "#items"
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="followups.back"),
        Binding("enter", "open", "person.open", id="followups.open", show=False),
        Binding("x,X", "done", "followup.done", id="followups.done", tooltip="tip.done"),
        Binding("z,Z,ctrl+z", "undo", "followup.undo", id="followups.undo", tooltip="tip.undo"),
        Binding("slash", "focus_search", "roster.focus_search", id="followups.search"),
        Binding("down", "to_table", show=False, id="followups.to_table"),
    ]

    def __init__(self) -> None:
        super().__init__()
        #: Every open item, the most overdue first.
        self.items: list[reads.FollowUp] = []
        #: What the filters and search let through, as laid out (at most FOLLOW_UP_LIMIT).
        self.shown: list[reads.FollowUp] = []

    def compose(self) -> ComposeResult:
        t = self.civ.t
        yield Header()
        yield TextInput(placeholder=t("followup.search"), id="search")
        with Horizontal(id="filters"):
            yield Select(
                [(t(f"followup.kind.{kind}"), kind) for kind in get_args(reads.Kind)],
                prompt=t("followup.all_kinds"),
                id="filter-kind",
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
            yield Static(id="followups-count")
        yield DataTable(id="items", cursor_type="row", zebra_stripes=True)
        yield Footer()

    def on_mount(self) -> None:
        super().on_mount()
        t = self.civ.t
        self.query_one("#items", DataTable).add_columns(
            t("col.what"), t("col.name"), t("col.overdue"), t("col.summary")
        )
        self.load()

    def on_screen_resume(self) -> None:
        if self.back_again():  # on_mount has just read them
            self.load()

    def load(self, keep: str | None = None) -> None:
        """Read every open item again (after a change here, on a record, or by a sync)."""
        civ = self.civ
        rules = reads.rules(civ.store)
        self.items = reads.open_follow_ups(
            civ.store,
            civ.today,
            adl_valid_months=rules.adl_valid_months,
            adl_min_age=rules.adl_min_age,
        )
        self.apply_filters(keep)

    def apply_filters(self, keep: str | None = None) -> None:
        """Lay out what the filters and search let through; the cursor stays on its row
        (the next item, once the one under it is done), or on the item keyed `keep`."""
        civ = self.civ
        t, lang, today = civ.t, civ.lang, civ.today
        kind = self.query_one("#filter-kind", Select).value
        village = self.query_one("#filter-village", Select).value
        query = self.query_one("#search", Input).value.strip().lower().replace(" ", "")
        matching = [
            item
            for item in self.items
            if (kind is Select.NULL or item.kind == kind)
            and (village is Select.NULL or item.village_code == village)
            and (
                not query
                or query in item.search_key
                or query in describe(item, t, lang).lower().replace(" ", "")
            )
        ]
        self.shown = matching[:FOLLOW_UP_LIMIT]
        table = self.query_one("#items", DataTable)
        row_before = table.cursor_row
        table.clear()
        for item in self.shown:
            add_row(table, item, t, today)
        if self.shown:
            keys = [_key(item) for item in self.shown]
            row = keys.index(keep) if keep in keys else min(row_before, len(keys) - 1)
            table.move_cursor(row=max(row, 0))
        count = t("followup.count", n=len(matching))
        if len(matching) > FOLLOW_UP_LIMIT:
            count += t("roster.limited", n=FOLLOW_UP_LIMIT)
        self.query_one("#followups-count", Static).update(fmt.text(count))

    def _current(self) -> reads.FollowUp | None:
        table = self.query_one("#items", DataTable)
        if not self.shown or not 0 <= table.cursor_row < len(self.shown):
            return None
        return self.shown[table.cursor_row]

    # -- events ---------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "search":
            self.apply_filters()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.query_one("#items", DataTable).focus()

    def on_select_changed(self, _event: Select.Changed) -> None:
        self.apply_filters()

    def on_data_table_row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    # -- actions --------------------------------------------------------------------

    def action_back(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one("#items", DataTable).focus()
        else:
            self.dismiss()

    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_to_table(self) -> None:
        if self.focused is self.query_one("#search", Input):
            self.query_one("#items", DataTable).focus()

    def action_open(self) -> None:
        item = self._current()
        if item is not None:
            open_follow_up(self, item, self.load)

    def action_done(self) -> None:
        """Ask, naming the person and the item, then mark the follow-up under the cursor done."""
        item = self._current()
        if item is None:
            return
        record = record_of(self.civ.store, item)
        if item.kind not in ("visit", "check") or not isinstance(record, Visit | ChildCheck):
            self.notify(self.civ.t("followup.only_follow_ups"), severity="warning")
            return
        confirm_done(self, record, item.person_name, lambda _marked: self.load())

    def action_undo(self) -> None:
        """Reopen the follow-up marked done last (on this screen or a record's page)."""
        record = reopen_last(self)
        if record is not None:
            kind = "visit" if isinstance(record, Visit) else "check"
            self.load(keep=f"{kind}:{record.id}")


def _key(item: reads.FollowUp) -> str:
    return f"{item.kind}:{item.record_id}"


def add_row(table: DataTable[Any], item: reads.FollowUp, t: Translator, today: dt.date) -> None:
    """One open item as the 待跟进 screen and the dashboard's panel both list it."""
    table.add_row(
        fmt.text(t(f"followup.kind.{item.kind}")),
        fmt.text(item.person_name),
        fmt.text(t("followup.days", n=item.overdue(today))),
        fmt.text(describe(item, t, t.lang)),
        key=_key(item),
    )
