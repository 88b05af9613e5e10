"""服务对象: one person's profile, household and the timeline of everything recorded."""

from __future__ import annotations

import datetime as dt

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from civtui.domain.choices import NeedStatus, RiskLevel
from civtui.domain.models import (
    ELDER_AGE,
    ChildCheck,
    ElderNeed,
    NeedStatusChange,
    Person,
    Visit,
    effective_categories,
)
from civtui.i18n import Translator
from civtui.services import conflicts, reads
from screens import format as fmt
from screens import layout, values
from screens.actions import open_contact_form
from screens.base import CivScreen
from screens.messages import SyncStateChanged
from screens.textual_compat import Footer
from sync import words

#: The profile column's width, as person.tcss sets it.
SIDE_WIDTH = 36
#: The profile's lines: the column less its border, padding and a scrollbar's room.
PROFILE_WIDTH = SIDE_WIDTH - 1 - 2 - 2


class PersonScreen(CivScreen[None]):
    CSS_PATH = "person.tcss"
    # Focused from the start: focused after mount, the footer composed its keys again and
    # the timeline's visible rows were drawn twice (once without focus, once with).
    AUTO_FOCUS = "#timeline"
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="person.back"),
        Binding("enter", "open", "person.open", id="person.open", tooltip="tip.open_record"),
        # Short words, so that every key fits the footer at 80 columns; the tooltips and the
        # help screen say them in full.
        Binding("v", "contact", "key.contact", id="person.contact", tooltip="tip.contact"),
        Binding("n", "need", "key.need", id="person.need", tooltip="person.need"),
        Binding(
            "u",
            "need_status",
            "key.need_status",
            id="person.need_status",
            tooltip="person.need_status",
        ),
        Binding("a", "assess", "key.assess", id="person.assess", tooltip="person.assess"),
        Binding("e", "edit", "person.edit", id="person.edit"),
        Binding(
            "plus",
            "add_member",
            "key.add_member",
            id="person.add_member",
            tooltip="person.add_member",
        ),
        Binding("i", "reveal", "key.reveal", id="person.reveal", tooltip="person.reveal"),
        Binding("c", "conflict", "key.conflict", id="person.conflict", tooltip="person.choose"),
    ]

    def __init__(self, person_id: str) -> None:
        super().__init__()
        self.person_id = person_id
        self.revealed = False
        self.entries: list[reads.TimelineEntry] = []
        self.conflicts: list[reads.StoredConflict] = []
        #: The window's width the timeline was last laid out for.
        self._laid_width = 0

    def compose(self) -> ComposeResult:
        t = self.civ.t
        yield Header()
        with Horizontal(id="person-body"):
            with VerticalScroll(id="person-side"):
                yield Static(t("person.profile"), classes="title")
                yield Static(id="profile")
                yield Static(t("person.household"), classes="title")
                yield Static(id="household")
                yield Static(t("person.conflicts"), classes="title conflicts", id="conflicts-title")
                yield Static(id="conflicts", classes="conflicts")
            with Vertical(id="person-main"):
                yield Static(t("person.timeline"), classes="title")
                yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        self.load()

    def load(self) -> None:
        store, t, lang = self.civ.store, self.civ.t, self.civ.lang
        person = store.get(Person, self.person_id)
        if person is None:
            self.dismiss()
            return
        self.person = person
        self.sub_title = fmt.plain(person.name)
        self.query_one("#profile", Static).update(self._profile(person))
        members = reads.household_members(store, person)
        self.query_one("#household", Static).update(
            fmt.text(
                "\n".join(
                    fmt.plain(f"{m.name}  {fmt.choice(m.sex, lang)} {m.age_on(self.civ.today)}")
                    for m in members
                )
                or t("dash.none"),
                lines=True,
            )
        )
        table = self.query_one("#timeline", DataTable)
        row_before = table.cursor_row
        self.entries = reads.timeline(store, person.id)
        # Those of the person, their household and everything on their timeline: the
        # tables a sync summary sends people here for (sync.words.on_person_page).
        household = [person.household_id] if person.household_id else []
        self.conflicts = reads.open_conflicts(
            store, [person.id, *household, *(e.record.id for e in self.entries)]
        )
        # The value not kept: the record's value now is in the profile or the timeline, and
        # the one the server kept back then may be stale (c opens the choice).
        colon = "：" if lang == "zh" else ": "
        lines = [
            fmt.plain(
                f"{self._conflict_label(c)}{colon}{t('conflict.not_taken')} "
                f"{fmt.short(values.of_table(c.table, c.field, c.lost_value, t))}"
            )
            for c in self.conflicts
        ]
        self.query_one("#conflicts", Static).update(fmt.text("\n".join(lines), lines=True))
        for widget in self.query(".conflicts"):
            widget.display = bool(lines)
        self._lay_out(table, row_before)

    def _lay_out(self, table: DataTable[object], row: int) -> None:
        """The timeline's rows at the window's width, the cursor on `row` (or the last)."""
        t = self.civ.t
        self._laid_width = self.app.size.width
        # The summary gets the width that is left and wraps rather than being cut at the
        # edge: what a check found (risk, flags, who it was reported to) is at its start.
        layout.fill(
            table,
            [t("col.date"), t("col.kind"), t("col.summary")],
            [
                [_day(entry.day, self.civ.today), t(f"kind.{entry.kind}"), summary(entry, t)]
                for entry in self.entries
            ],
            wraps=2,
            width=self._laid_width - SIDE_WIDTH,
            keys=[str(index) for index in range(len(self.entries))],
            styles=[_alarm(entry) for entry in self.entries],
        )
        if self.entries:
            # Back from a record or a form, the cursor stays where it was.
            table.move_cursor(row=min(max(row, 0), len(self.entries) - 1))

    def _profile(self, p: Person) -> Text:
        t, lang, today = self.civ.t, self.civ.lang, self.civ.today
        store = self.civ.store
        latest = reads.latest_assessment(store, p.id)
        level = latest.level if latest else None
        effective = effective_categories(p, today, level)
        labels = fmt.category_labels(effective, lang, effective - set(p.categories))
        heading = t.of(Person, "categories")
        # Broken here between categories, each one whole ("Lives alone", never Lives /
        # alone as the widget's own wrapping left it), beside the heading where one fits.
        cats = fmt.fit_list(labels, lang, PROFILE_WIDTH, whole=True, taken=cell_len(heading) + 2)
        village = reads.village_names(store).get(p.village_code, p.village_code)
        text = Text()

        def line(label: str, value: str) -> None:
            text.append_text(fmt.text(f"{label}  ", style="bold"))
            text.append_text(fmt.text(value, lines=True))
            text.append("\n")

        line(
            t.of(Person, "name"),
            f"{p.name}  {p.sex.label(lang)} {t('person.age', age=p.age_on(today))}",
        )
        line(t.of(Person, "id_number"), p.id_number if self.revealed else p.masked_id)
        line(t.of(Person, "phone"), p.phone or "—")
        line(t.of(Person, "village_code"), village)
        line(t.of(Person, "address"), p.address or "—")
        line(t.of(Person, "status"), p.status.label(lang))
        line(heading, cats or "—")
        if effective - set(p.categories):
            text.append_text(fmt.text(t("derived.legend"), style="italic"))
            text.append("\n")
        if p.disability_grade:
            line(t.of(Person, "disability_grade"), str(p.disability_grade))
        if p.guardian_name:
            guardian = f"{p.guardian_name} {p.guardian_relation} {p.guardian_phone or ''}"
            line(t("person.guardian"), guardian.strip())
        if p.emergency_contact_name:
            contact = f"{p.emergency_contact_name} {p.emergency_contact_phone or ''}"
            line(t("person.emergency"), contact.strip())
        adl = (
            fmt.aside(
                f"{latest.total} {fmt.choice(level, lang)}", latest.assessed_on.isoformat(), lang
            )
            if latest
            else t("person.no_adl")
        )
        line(t("person.adl"), adl)
        if p.notes:
            line(t.of(Person, "notes"), p.notes)
        return text

    # -- actions --------------------------------------------------------------

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        self.load()

    def on_resize(self, _event: events.Resize) -> None:
        # The timeline's summary column is as wide as the window allows. Textual sends a
        # resize as the page is first shown too, at the width it was just laid out for:
        # laying 200 records out again then was a third of opening the page. Nothing is
        # read again: the records are the same, only their lines change.
        if hasattr(self, "person") and self.app.size.width != self._laid_width:
            table = self.query_one("#timeline", DataTable)
            self._lay_out(table, table.cursor_row)

    def _conflict_label(self, conflict: reads.StoredConflict) -> str:
        return words.conflict_field(conflict.table, conflict.field, self.civ.t)

    def action_conflict(self) -> None:
        """Open the oldest open conflict: keep the value the record holds now, or take the
        one that was not kept."""
        choice = conflicts.look(self.civ.store, self.conflicts[0].id) if self.conflicts else None
        if choice is None:
            self.notify(self.civ.t("person.no_conflict"))
            return

        def done(_closed: bool | None) -> None:
            self.load()

        from screens.conflict import ConflictModal

        self.app.push_screen(ConflictModal(choice), done)

    def action_back(self) -> None:
        self.dismiss()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "timeline":
            self.action_open()

    def action_open(self) -> None:
        """Open the timeline row under the cursor: every field, its history, e/d to correct."""
        from screens.record import RecordScreen

        table = self.query_one("#timeline", DataTable)
        if not self.entries or not 0 <= table.cursor_row < len(self.entries):
            return
        record = self.entries[table.cursor_row].record
        if isinstance(record, NeedStatusChange):
            need = self.civ.store.get(ElderNeed, record.need_id)
            if need is None:
                return
            record = need
        self._push(RecordScreen(record, self.person))

    def action_reveal(self) -> None:
        self.revealed = not self.revealed
        self.query_one("#profile", Static).update(self._profile(self.person))

    def action_contact(self) -> None:
        open_contact_form(self, self.person.id, on_saved=self.load)

    def _push(self, screen: Screen[bool]) -> None:
        def done(saved: bool | None) -> None:
            if saved:
                self.load()

        self.app.push_screen(screen, done)

    def action_need(self) -> None:
        from screens.need_form import NeedForm

        self._push(NeedForm(self.person))

    def action_need_status(self) -> None:
        from screens.need_form import NeedStatusForm

        need = self._selected_need()
        if need is None:
            self.notify(self.civ.t("person.no_open_need"), severity="warning")
            return
        self._push(NeedStatusForm(self.person, reads.need_history(self.civ.store, need)))

    def _selected_need(self) -> ElderNeed | None:
        """The need under the cursor if it is still open, else the person's oldest open need."""
        closed = {NeedStatus.RESOLVED, NeedStatus.UNRESOLVABLE}
        table = self.query_one("#timeline", DataTable)
        if self.entries and 0 <= table.cursor_row < len(self.entries):
            record = self.entries[table.cursor_row].record
            need_id = record.need_id if isinstance(record, NeedStatusChange) else None
            if isinstance(record, ElderNeed):
                need_id = record.id
            need = self.civ.store.get(ElderNeed, need_id) if need_id else None
            if need is not None and need.status not in closed:
                return need
        open_needs = [n for n in reads.open_needs(self.civ.store) if n.person_id == self.person.id]
        return open_needs[0] if open_needs else None

    def action_assess(self) -> None:
        from screens.assessment_form import AssessmentForm

        if self.person.age_on(self.civ.today) < ELDER_AGE:
            self.notify(self.civ.t("person.not_elder"), severity="warning")
            return
        self._push(AssessmentForm(self.person))

    def action_edit(self) -> None:
        from screens.person_form import PersonForm

        self._push(PersonForm(self.person))

    def action_add_member(self) -> None:
        """Register someone new in this person's household (a spouse, a child)."""
        from screens.person_form import PersonForm

        self._push(PersonForm(None, household_of=self.person))


def _day(day: dt.date, today: dt.date) -> str:
    """A day this year without its year: the timeline is read newest first."""
    return day.strftime("%m-%d") if day.year == today.year else day.isoformat()


def _alarm(entry: reads.TimelineEntry) -> str:
    """How a row stands out: a high-risk child check, a visit whose follow-up is open."""
    record = entry.record
    if isinstance(record, ChildCheck) and record.risk_level is RiskLevel.HIGH:
        return "bold red"
    if isinstance(record, Visit) and record.follow_up_open:
        return "yellow"
    return ""


def summary(entry: reads.TimelineEntry, t: Translator) -> str:
    """One line saying what a timeline entry recorded (each kind says it itself)."""
    return entry.record.timeline_line(t)
