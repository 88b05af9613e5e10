"""One saved record, read in full: every field, the note wrapped, and its history.

`e` corrects it through the form it was entered with (only changed fields are written),
`d` deletes it after asking why, `x` marks its follow-up done after asking as the 待跟进 list
does, and `z` reopens the follow-up marked done last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Label, Static

from civtui.domain.errors import FieldError, text
from civtui.domain.models import (
    Assessment,
    ChildCheck,
    ElderNeed,
    Person,
    Record,
    Visit,
)
from civtui.services import reads, records
from civtui.services.records import RecordDeletedError
from screens import format as fmt
from screens.base import CivScreen
from screens.confirm import ReasonModal
from screens.followups import confirm_done, reopen_last
from screens.form import ModelForm
from screens.textual_compat import Footer
from screens.values import shown, shown_raw

#: A scrollbar's width: the body's, when a long record scrolls.
SCROLLBAR = 2


@dataclass(frozen=True)
class Paragraph:
    """One step of a record's history: its time (bold), the rest, and the changes in it
    ("Health: Fair → Poor") that a line keeps whole."""

    when: str
    rest: str
    changes: list[str]


class Steps(Static):
    """A record's history, broken into lines here (`fmt.wrap`) at the widget's own width
    rather than by the widget: a change "Fair → Poor" stays on one line, never leaving →
    to start one (it read as a new step)."""

    paragraphs: list[Paragraph] = []

    def show(self, paragraphs: list[Paragraph]) -> None:
        self.paragraphs = paragraphs
        self._draw()

    def on_resize(self, _event: events.Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        # Before the first layout the width is not known: the window's less the body's
        # and this widget's padding and a scrollbar, until the resize that follows.
        width = self.content_region.width or self.app.size.width - 2 * 2 - SCROLLBAR
        out = Text()
        for paragraph in self.paragraphs:
            kept = [fmt.plain(change) for change in paragraph.changes]
            for number, line in enumerate(f"{paragraph.when}{paragraph.rest}".split("\n")):
                for piece in fmt.wrap(line, max(width, 10), keep=kept):
                    if not number and paragraph.when and piece.startswith(paragraph.when):
                        out.append(paragraph.when, style="bold")
                        piece = piece[len(paragraph.when) :]
                    out.append_text(fmt.text(piece))
                    out.append("\n")
        self.update(out)


#: Fields every record has that say nothing to the reader (or are shown elsewhere).
_HIDDEN = {"id", "person_id", "history", "deleted_reason"}


def kind_key(record: Record) -> str:
    """The timeline's i18n stem for a record (kind.visit, kind.check, ...)."""
    return {
        Visit.table: "visit",
        ChildCheck.table: "check",
        ElderNeed.table: "need",
        Assessment.table: "assessment",
    }[record.table]


def day_of(record: Record) -> dt.date:
    for name in ("visit_date", "check_date", "raised_on", "assessed_on"):
        value = getattr(record, name, None)
        if isinstance(value, dt.date):
            return value
    raise ValueError(record.table)


def edit_form(record: Record, person: Person) -> ModelForm:
    """The form `record` was entered with, opened to correct it."""
    from screens.assessment_form import AssessmentForm
    from screens.child_check_form import ChildCheckForm
    from screens.need_form import NeedForm
    from screens.visit_form import VisitForm

    if isinstance(record, Visit):
        return VisitForm(person, editing=record)
    if isinstance(record, ChildCheck):
        return ChildCheckForm(person, None, editing=record)
    if isinstance(record, ElderNeed):
        return NeedForm(person, editing=record)
    assert isinstance(record, Assessment)
    return AssessmentForm(person, editing=record)


def _in_order(kind: type[Record], fields: dict[str, Any]) -> list[tuple[str, Any]]:
    """A step's fields the reader knows, in the order the record's page lists them."""
    return [
        (name, fields[name])
        for name in kind.field_order()
        if name in fields and name not in {"id", "person_id"}
    ]


class RecordScreen(CivScreen[bool]):
    """Dismisses with True when the record was corrected, deleted or its follow-up closed."""

    CSS_PATH = "record.tcss"
    BINDINGS = [
        Binding("escape", "back", "nav.back", id="record.back"),
        Binding("e", "correct", "record.correct", id="record.correct", tooltip="tip.correct"),
        Binding("d", "delete", "record.delete", id="record.delete", tooltip="tip.delete"),
        Binding("x,X", "done", "followup.done", id="record.done", tooltip="tip.done"),
        # Not in the footer, which 80 columns fill already: the notice after `x` says it,
        # and F1 lists it.
        Binding(
            "z,Z,ctrl+z", "undo", "followup.undo", id="record.undo", tooltip="tip.undo", show=False
        ),
    ]

    def __init__(self, record: Record, person: Person) -> None:
        super().__init__()
        self.record = record
        self.person = person
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="record-title", classes="title")
        with VerticalScroll(id="record-body"):
            yield Vertical(id="record-fields")
            yield Static(self.civ.t("record.history"), classes="title")
            yield Steps(id="record-history")
        yield Footer()

    def on_mount(self) -> None:
        self.show()

    def show(self) -> None:
        t = self.civ.t
        record = self.record
        if isinstance(record, ElderNeed):
            record = reads.need_history(self.civ.store, record)
        self.sub_title = fmt.plain(self.person.name)
        title = f"{t(f'kind.{kind_key(record)}')} · {self.person.name} · {day_of(record)}"
        self.query_one("#record-title", Static).update(fmt.text(title))
        fields = self.query_one("#record-fields", Vertical)
        fields.remove_children()
        fields.mount_all(
            Horizontal(
                Label(fmt.text(label), classes="record-label"),
                Static(fmt.text(value, lines=True), classes="record-value"),
                classes="record-field",
            )
            for label, value in self._fields(record)
        )
        self.query_one("#record-history", Steps).show(self._history(record))

    def _fields(self, record: Record) -> list[tuple[str, str]]:
        """Every field as (label, value); the value widget wraps a long note in full."""
        t = self.civ.t
        kind = type(record)
        rows = [
            (t.of(kind, name), shown(getattr(record, name), t))
            for name in kind.field_order()
            if name not in _HIDDEN
        ]
        if isinstance(record, Assessment):
            rows.append((t("record.total"), f"{record.total} · {shown(record.level, t)}"))
        if isinstance(record, ElderNeed):
            for step in record.history:
                before = shown(step.from_status, t)
                line = f"{step.changed_at:%Y-%m-%d %H:%M} {before} → {shown(step.to_status, t)}"
                note = f" · {step.note}" if step.note else ""
                rows.append((t.of(ElderNeed, "history"), f"{line} · {step.staff}{note}"))
        return rows

    def _history(self, record: Record) -> list[Paragraph]:
        t = self.civ.t
        steps = records.history(self.civ.store, record)
        out = []
        for step in steps:
            what, changes = self._what(type(record), step)
            rest = f"{fmt.plain(self._who(step))}  {fmt.plain(what, lines=True)}"
            out.append(Paragraph(f"{step.at:%Y-%m-%d %H:%M}  ", rest, changes))
        if not steps:
            out.append(Paragraph("", fmt.plain(t("dash.none")), []))
        return out

    def _who(self, step: reads.Step) -> str:
        """The staff member for this laptop's own steps; another laptop's by the staff label
        the server gave it (`Step.staff`), else by a short label of its device."""
        t = self.civ.t
        laptop = step.device_id[:8]
        if step.local or step.mine:
            return t("record.by_me", staff=self.civ.staff_name or "—", device=laptop)
        if step.staff:
            return t("wire.by_staff", staff=step.staff, device=laptop)
        return t("record.by_other", device=laptop)

    def _what(self, kind: type[Record], step: reads.Step) -> tuple[str, list[str]]:
        """What a step did, and each change in it ("Health: Fair → Poor"), which the line
        keeps whole."""
        t = self.civ.t
        lang = self.civ.lang
        colon = "：" if lang == "zh" else ": "
        if step.op == "remote":
            return t("record.remote"), []
        if step.pulled:
            if step.op == "insert":
                return t("history.pulled_insert"), []
            if step.op == "delete":
                return t("history.pulled_delete"), []
            # A field set after a record this laptop first got whole has no value before
            # it here: its new value alone, not a blank it never held.
            changes = [
                t(
                    "history.field",
                    field=t.of(kind, name),
                    old=shown_raw(kind, name, step.before.get(name), t),
                    new=shown_raw(kind, name, value, t),
                )
                if name in step.before
                else f"{t.of(kind, name)}{colon}{shown_raw(kind, name, value, t)}"
                for name, value in _in_order(kind, step.fields)
            ]
            moves = [
                change
                + (
                    t("history.lost_here", value=shown_raw(kind, name, step.lost_here[name], t))
                    if name in step.lost_here
                    else ""
                )
                for change, (name, _) in zip(changes, _in_order(kind, step.fields), strict=True)
            ]
            # One field a line, under the time: a step from a laptop that corrected several
            # fields would otherwise wrap mid-value at 80 columns.
            what = "".join(f"\n{' ' * 18}{m}" for m in moves)
            return t("history.pulled_update", what=what), changes
        if step.op == "delete":
            return t("op.delete"), []
        changes = [
            t(
                "history.field",
                field=t.of(kind, name),
                old=shown_raw(kind, name, step.before[name], t),
                new=shown_raw(kind, name, value, t),
            )
            if name in step.before
            else f"{t.of(kind, name)}{colon}{shown_raw(kind, name, value, t)}"
            for name, value in _in_order(kind, step.fields)
        ]
        # Chinese marks between Chinese words, an English semicolon between English ones.
        parts = ("；" if lang == "zh" else "; ").join(changes)
        if step.op == "lost":
            return t("record.lost", what=parts), changes
        if step.op == "insert":
            return t("op.insert"), []
        return f"{t('op.update')} {parts}", changes

    # -- actions --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # `x` is offered only where there is a follow-up to close.
        if action == "done":
            record = self.record
            return isinstance(record, Visit | ChildCheck) and record.follow_up_open
        return True

    def action_back(self) -> None:
        self.dismiss(self.changed)

    def _reload(self) -> None:
        fresh = self.civ.store.get(type(self.record), self.record.id)
        if fresh is None:
            self.dismiss(True)
            return
        self.record = fresh
        self.changed = True
        self.show()

    def action_correct(self) -> None:
        def done(saved: bool | None) -> None:
            if saved:
                self._reload()

        self.app.push_screen(edit_form(self.record, self.person), done)

    def action_delete(self) -> None:
        t = self.civ.t
        what = t(f"kind.{kind_key(self.record)}")

        def answered(reason: str | None) -> None:
            if reason is None:
                return
            try:
                records.delete(self.civ.store, self.record, reason, self.civ.today)
            except FieldError as exc:
                self.notify(text(exc, self.civ.lang), severity="error")
                return
            except RecordDeletedError:
                self.notify(t("form.save_deleted"), severity="error")
            else:
                self.notify(t("record.deleted", what=what))
            self.dismiss(True)

        self.app.push_screen(ReasonModal(t("record.delete_question", what=what)), answered)

    def action_done(self) -> None:
        """Ask, as the 待跟进 list does, then mark the follow-up done (undone with z)."""
        record = self.record
        if not isinstance(record, Visit | ChildCheck) or not record.follow_up_open:
            self.notify(self.civ.t("followup.none_here"), severity="warning")
            return

        def after(marked: bool) -> None:
            if not marked:
                self.dismiss(True)
                return
            self._reload()
            self.refresh_bindings()

        confirm_done(self, record, self.person.name, after)

    def action_undo(self) -> None:
        if reopen_last(self) is not None:
            self._reload()
            self.refresh_bindings()
