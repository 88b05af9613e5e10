"""One keyboard-first form that every record form is built from.

A form lists its fields; this class lays them out (label, widget, error line),
reads them back, validates through the domain model, shows each problem next
to its field, and saves through the store only when everything is right.
Tab/Shift+Tab move between fields, Ctrl+S saves, Esc leaves (asking first if
anything was typed). Given a saved record (`editing`), the same form corrects it: it starts
from the record's values and saves only the fields changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import ValidationError
from rich.segment import Segment
from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import (
    Checkbox,
    Header,
    Input,
    Label,
    Select,
    SelectionList,
    Static,
    TextArea,
)
from textual.widgets.option_list import OptionDoesNotExist
from textual.widgets.select import InvalidSelectValueError
from textual.widgets.selection_list import Selection

from civtui.domain import dates
from civtui.domain.choices import Choice
from civtui.domain.clock import CHINA_TZ
from civtui.domain.errors import FieldError, Problem, explain, not_a_date, text
from civtui.domain.models import ContactRecord, Record
from civtui.domain.shown import in_place
from civtui.services import drafts, reads
from civtui.services import records as record_service
from civtui.services.records import OperationalError, RecordDeletedError
from screens import format as fmt
from screens.base import CivScreen
from screens.confirm import ConfirmModal
from screens.textual_compat import Footer, TextInput

#: note: a multi-line text shown whole (备注); text: one line.
Kind = Literal["text", "note", "date", "datetime", "select", "multi", "bool", "int"]


@dataclass(frozen=True)
class FieldSpec:
    """One field of a form: the model field it fills and the widget that fills it."""

    name: str
    kind: Kind = "text"
    #: For select and multi: enum members, or (label, value) pairs.
    options: Sequence[Choice] | Sequence[tuple[str, Any]] = ()
    #: A select that may be left empty.
    optional: bool = False
    #: Fields sharing a group can be shown or hidden together.
    group: str = ""
    #: An i18n key for the hint shown in an empty input.
    placeholder: str = ""


class TickBox(Checkbox):
    """A checkbox that shows ✓ when ticked and nothing when not: colour alone is not enough."""

    def watch_value(self) -> None:
        self.BUTTON_INNER = "✓" if self.value else " "
        super().watch_value()

    def on_mount(self) -> None:
        self.BUTTON_INNER = "✓" if self.value else " "


class TickList(SelectionList[Any]):
    """A multiple choice whose ticked items show ✓ and the others nothing (Textual draws the
    same X in every box and tells them apart by colour alone)."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        try:
            option = self.get_option_at_index(self.scroll_offset.y + y)
        except OptionDoesNotExist:
            return line
        segments = list(line)
        if len(segments) < 2 or segments[1].text != Checkbox.BUTTON_INNER:
            return line
        tick = "✓" if option.value in self.selected else " "
        segments[1] = Segment(tick, segments[1].style)
        return Strip(segments)


class NoteArea(TextArea):
    """A multi-line note that wraps and grows with its text, so the whole of it is seen.

    Tab leaves it like any field (Enter starts a new line); characters a terminal would
    obey (ESC in a note brought by sync) are drawn as their pictures, one cell each, so the
    cursor stays over the character it is on. What is saved is what was there."""

    def render_line(self, y: int) -> Strip:
        line = super().render_line(y)
        if not any(in_place(segment.text) != segment.text for segment in line):
            return line
        return Strip([Segment(in_place(s.text), s.style, s.control) for s in line])


class ModelForm(CivScreen[bool]):
    """Base of every form; dismisses with True once saved, False when left."""

    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "form.save", id="form.save", priority=True, tooltip="tip.save"),
        Binding("escape", "leave", "form.cancel", id="form.cancel", tooltip="tip.cancel"),
    ]

    model: ClassVar[type[Record]]
    #: The name a draft of this form is kept under (`db.drafts`); see `screens.drafts`.
    draft_form: ClassVar[str] = ""

    def __init__(self, editing: Record | None = None) -> None:
        super().__init__()
        #: The saved record this form corrects; None for a new record.
        self.editing = editing
        #: The draft this form was reopened from (or last kept as): gone once the form closes.
        self.draft_id: int | None = None
        #: Typed input to put back into the widgets once they exist (a draft's values).
        self.restore: dict[str, Any] = {}
        self._initial: dict[str, Any] = {}
        self._initial_raw: dict[str, Any] = {}
        self._start: dict[str, Any] | None = None
        #: What each field held when a save was last refused: its message stays until it changes.
        self._refused: dict[str, Any] = {}

    # -- what a concrete form provides ----------------------------------------

    def specs(self) -> list[FieldSpec]:
        raise NotImplementedError

    def heading(self) -> str:
        raise NotImplementedError

    def initial(self) -> dict[str, Any]:
        """Values a new record's widgets start with (defaults that make the routine case fast)."""
        return {}

    def start(self) -> dict[str, Any]:
        """What the widgets start with: the saved record's values, or a new record's defaults."""
        if self._start is None:
            self._start = self.initial() if self.editing is None else self._values_of(self.editing)
        return self._start

    def _values_of(self, record: Record) -> dict[str, Any]:
        """A record's values as the widgets hold them."""
        out: dict[str, Any] = {}
        for spec in self.specs():
            value = getattr(record, spec.name, None)
            if spec.kind == "date" and isinstance(value, dt.date):
                value = value.isoformat()
            elif spec.kind == "int" and value is not None:
                value = str(value)
            elif spec.kind in ("text", "note") and value is None:
                value = ""
            out[spec.name] = value
        return out

    def fixed(self) -> dict[str, Any]:
        """Values not typed in: whose record it is, who recorded it."""
        return {}

    def draft_args(self) -> dict[str, str | None]:
        """The record ids this form was opened on, for `screens.drafts.reopen`."""
        return {}

    def editing_id(self) -> str | None:
        return self.editing.id if self.editing is not None else None

    def build(self, values: dict[str, Any]) -> list[Record]:
        """The records to save; raises ValidationError or FieldError when input is wrong."""
        data = {**self.fixed(), **values}
        return [self.model.model_validate(data, context={"today": self.civ.today})]

    def check_before_save(self, records: list[Record]) -> str | None:
        """A question to confirm before saving (a likely duplicate), or None.

        A new visit or check of the same person, kind and day as one already saved is
        most often the same contact entered twice (the first save not seen, a second
        laptop): the question names the earlier record, and Enter or Esc goes back to the
        form with nothing saved."""
        if self.editing is not None:
            return None
        for record in records:
            if isinstance(record, ContactRecord):
                earlier = reads.same_day(self.civ.store, record)
                if earlier is not None:
                    return self.duplicate_question(earlier)
        return None

    def duplicate_question(self, earlier: ContactRecord) -> str:
        t = self.civ.t
        kind = t("kind.visit") if earlier.table == "visits" else t("kind.check")
        by = getattr(earlier, "visitor", None) or getattr(earlier, "checker", "")
        return t(
            "form.likely_duplicate",
            day=earlier.day.isoformat(),
            kind=kind,
            summary=earlier.timeline_line(t),
            by=by,
        )

    def saved(self, records: list[Record]) -> None:
        """Called after a successful save."""

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        heading = self.heading()
        if self.editing is not None:
            heading = self.civ.t("record.correcting", what=heading)
        yield Static(fmt.text(heading), classes="title", id="form-title")
        with VerticalScroll(id="form-body"):
            for spec in self.specs():
                classes = "field" + (f" group-{spec.group}" if spec.group else "")
                with Horizontal(classes=classes, id=f"field-{spec.name}"):
                    yield Label(fmt.text(self._label(spec.name)), classes="field-label")
                    yield self._widget(spec)
                yield Static("", classes="error field-error", id=f"err-{spec.name}")
            yield Static("", classes="error", id="form-error")
        yield Footer()

    def _label(self, name: str) -> str:
        return self.civ.t.of(self.model, name)

    def _options(self, spec: FieldSpec) -> list[tuple[Text, Any]]:
        """Each choice's label as text: some are data (a household's address, a village)."""
        lang = self.civ.lang
        return [
            (fmt.text(o.label(lang)), o) if isinstance(o, Choice) else (fmt.text(o[0]), o[1])
            for o in spec.options
        ]

    def _widget(self, spec: FieldSpec) -> Widget:
        value = self.start().get(spec.name)
        wid = f"in-{spec.name}"
        if spec.kind == "select":
            return Select(
                self._options(spec),
                value=value if value is not None else Select.NULL,
                allow_blank=spec.optional or value is None,
                prompt=self.civ.t("form.choose"),
                id=wid,
                compact=True,
            )
        if spec.kind == "multi":
            chosen = set(value or [])
            return TickList(
                *[Selection(label, v, v in chosen) for label, v in self._options(spec)],
                id=wid,
                compact=True,
            )
        if spec.kind == "bool":
            return TickBox(fmt.text(self.civ.t("form.yes")), bool(value), id=wid, compact=True)
        if spec.kind == "note":
            return NoteArea(
                "" if value is None else str(value),
                id=wid,
                compact=True,
                soft_wrap=True,
                tab_behavior="focus",
                highlight_cursor_line=False,
                placeholder=self.civ.t(spec.placeholder) if spec.placeholder else "",
            )
        if isinstance(value, dt.datetime):
            text = value.strftime("%Y-%m-%d %H:%M")
        elif value is None:
            text = ""
        else:
            text = str(value)
        placeholder = (
            self.civ.t(spec.placeholder)
            if spec.placeholder
            else {
                "date": "2026-11-20 / 11-20",
                "datetime": "2026-11-20 14:30",
            }.get(spec.kind, "")
        )
        return TextInput(
            text,
            placeholder=placeholder,
            id=wid,
            compact=True,
            type="integer" if spec.kind == "int" else "text",
        )

    def on_mount(self) -> None:
        self._initial = self.values()
        self._initial_raw = {spec.name: _plain(self._raw(spec.name)) for spec in self.specs()}
        self._put_back(self.restore)
        specs = self.specs()
        if self.editing is not None and specs and specs[0].kind in ("date", "datetime"):
            # A correction starts at what was seen, after the day: the day names the record
            # and is seldom what was wrong (Shift+Tab reaches it).
            specs = specs[1:] + specs[:1]
        for spec in specs:
            widget = self.query_one(f"#in-{spec.name}")
            if widget.focusable and widget.display:
                widget.focus()
                break

    # -- reading the widgets --------------------------------------------------

    def values(self) -> dict[str, Any]:
        """What the widgets hold now, as the model expects it (empty optional = left out)."""
        out: dict[str, Any] = {}
        for spec in self.specs():
            widget = self.query_one(f"#in-{spec.name}")
            if isinstance(widget, Select):
                if widget.value is not Select.NULL:
                    out[spec.name] = widget.value
            elif isinstance(widget, SelectionList):
                out[spec.name] = list(widget.selected)
            elif isinstance(widget, Checkbox):
                out[spec.name] = widget.value
            elif isinstance(widget, TextArea):
                out[spec.name] = widget.text.strip()
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if not text and spec.kind in ("date", "datetime", "int"):
                    continue
                out[spec.name] = self._typed(spec, text)
        return out

    def _typed(self, spec: FieldSpec, text: str) -> Any:
        """A date or time in any form people type it; anything else goes on to the model's
        message, which lists the forms it accepts."""
        today = self.civ.today
        if spec.kind == "date":
            day = dates.parse_day(text, today)
            return day.isoformat() if day is not None else text
        if spec.kind == "datetime":
            moment = dates.parse_moment(text, today) or _as_datetime(text)
            return moment
        return text

    def changes(self) -> dict[str, Any]:
        """Only what the user changed since the form opened; a field emptied is None.

        An edit applies these to the record as it is now, not as it was when the form
        opened: a sync may have brought other fields meanwhile, and writing the form's old
        copies back would undo them without a conflict anyone could see."""
        now = self.values()
        changed = {k: v for k, v in now.items() if self._initial.get(k) != v}
        return changed | dict.fromkeys(self._initial.keys() - now.keys())

    # -- saving and leaving ----------------------------------------------------

    def show_problems(self, problems: Sequence[Problem]) -> None:
        for error in self.query(".field-error").results(Static):
            error.update("")
            error.remove_class("shown")
        self.query_one("#form-error", Static).update("")
        order = [spec.name for spec in self.specs()]
        wrong: list[str] = []
        self._refused = {name: self._raw(name) for name in order}
        for problem in problems:
            target = f"#err-{problem.field}"
            if problem.field and self.query(target):
                self.query_one(target, Static).update(fmt.text(problem.message, lines=True))
                self.query_one(target).add_class("shown")
                wrong.append(problem.field)
            else:
                form_error = self.query_one("#form-error", Static)
                said = f"{form_error.content}\n{problem}".strip()
                form_error.update(fmt.text(said, lines=True))
        if problems:
            self.notify(self.civ.t("form.fix", n=len(problems)), severity="error")
        if wrong:
            first = self.query_one(f"#in-{min(wrong, key=order.index)}")
            # Focused after the notice and the error lines are laid out, or the focus
            # change is lost in the refresh they cause.
            self.call_after_refresh(first.focus)
            self.call_after_refresh(first.scroll_visible)

    def on_key(self, event: events.Key) -> None:
        """A digit on a closed drop-down picks its choice of that number (1 the first) and
        moves on to the next field: one key where opening the list, moving and taking takes
        three. The one mechanism every form has, the ADL form's ten items included."""
        widget = self.focused
        if not isinstance(widget, Select) or widget.expanded or event.character is None:
            return
        if not event.character.isdigit():
            return
        spec = next(
            (s for s in self.specs() if f"in-{s.name}" == widget.id and s.kind == "select"), None
        )
        if spec is None:
            return
        event.stop()
        event.prevent_default()
        choices = [o if isinstance(o, Choice) else o[1] for o in spec.options]
        number = int(event.character)
        if not 1 <= number <= len(choices):
            self.notify(self.digit_hint(), severity="warning")
            return
        widget.value = choices[number - 1]
        self.focus_next()

    def digit_hint(self) -> str:
        """Said when a digit names no choice of the drop-down it was pressed on."""
        return self.civ.t("form.digit_keys")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fixed(event.input)

    def on_select_changed(self, event: Select.Changed) -> None:
        self._fixed(event.select)

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        self._fixed(event.checkbox)

    def on_selection_list_selected_changed(self, event: SelectionList.SelectedChanged[Any]) -> None:
        self._fixed(event.selection_list)

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._fixed(event.text_area)

    def _raw(self, name: str) -> Any:
        widget = self.query_one(f"#in-{name}")
        if isinstance(widget, SelectionList):
            return list(widget.selected)
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, Input | Select | Checkbox):
            return widget.value
        return None

    def _fixed(self, widget: Widget) -> None:
        """A field's message goes once the field holds something else than it did when the
        save was refused; saving checks it again."""
        name = (widget.id or "").removeprefix("in-")
        if name not in self._refused or self._raw(name) == self._refused[name]:
            return
        for error in self.query(f"#err-{name}").results(Static):
            error.update("")
            error.remove_class("shown")

    def correct(self) -> list[Record]:
        """The saved record with only the changed fields applied (see `changes`)."""
        assert self.editing is not None
        return [
            record_service.correct(self.civ.store, self.editing, self.changes(), self.civ.today)
        ]

    def unsaved_input(self) -> bool:
        return self.is_mounted and self.values() != self._initial

    # -- drafts: input kept when the terminal goes away -------------------------

    def typed(self) -> dict[str, Any]:
        """What differs in the widgets from what the form opened with, as plain JSON values
        (text, codes, lists of codes, booleans; None for a choice emptied)."""
        now = {spec.name: _plain(self._raw(spec.name)) for spec in self.specs()}
        return {k: v for k, v in now.items() if self._initial_raw.get(k) != v}

    def keep_draft(self) -> bool:
        """Keep the unsaved input as a draft in the profile; False when there is none."""
        if not self.draft_form or not self.unsaved_input():
            return False
        self.draft_id = drafts.keep(
            self.civ.store, self.draft_form, self.draft_args(), self.typed(), self.draft_id
        )
        return True

    def _put_back(self, values: dict[str, Any]) -> None:
        """Fill the widgets with a draft's values; a value the form no longer offers (a need
        moved on meanwhile) is left out."""
        for spec in self.specs():
            if spec.name not in values:
                continue
            value = values[spec.name]
            widget = self.query_one(f"#in-{spec.name}")
            offered = [v for _, v in self._options(spec)]
            if isinstance(widget, Input):
                widget.value = "" if value is None else str(value)
            elif isinstance(widget, TextArea):
                widget.load_text("" if value is None else str(value))
            elif isinstance(widget, Select):
                if value is None:
                    with suppress(InvalidSelectValueError):
                        widget.clear()
                    continue
                match = [v for v in offered if v == value]
                if match:
                    widget.value = match[0]
            elif isinstance(widget, SelectionList):
                widget.deselect_all()
                for v in offered:
                    if v in (value or []):
                        widget.select(v)
            elif isinstance(widget, Checkbox):
                widget.value = bool(value)

    def dismiss(self, result: bool | None = None) -> AwaitComplete:
        # Saved or left on purpose: the draft it was reopened from has served.
        if self.draft_id is not None:
            drafts.discard(self.civ.store, self.draft_id)
            self.draft_id = None
        return super().dismiss(result)

    def _not_dates(self) -> list[Problem]:
        """Dates typed in no form civtui reads. Said here, in one message, rather than left
        to the model: it would take a bare number (20261120, 11.31) for a Unix time."""
        lang = self.civ.lang
        problems = []
        for spec in self.specs():
            if spec.kind not in ("date", "datetime"):
                continue
            typed = self.query_one(f"#in-{spec.name}", Input).value.strip()
            value = self._typed(spec, typed) if typed else None
            if isinstance(value, str) and not _is_iso(value, spec.kind):
                message = not_a_date(lang, with_time=spec.kind == "datetime")
                problems.append(Problem(spec.name, self._label(spec.name), message))
        return problems

    def action_save(self) -> None:
        bad_dates = self._not_dates()
        try:
            editing = self.editing is not None
            records = self.correct() if editing else self.build(self.values())
        except RecordDeletedError:
            self.notify(self.civ.t("form.save_deleted"), severity="error", timeout=15)
            return
        except ValidationError as exc:
            wrong = {p.field for p in bad_dates}
            others = [p for p in explain(exc, self.model, self.civ.lang) if p.field not in wrong]
            self.show_problems(bad_dates + others)
            return
        except FieldError as exc:
            problem = Problem(exc.field, self._label(exc.field), text(exc, self.civ.lang))
            self.show_problems([*bad_dates, problem])
            return
        if bad_dates:
            self.show_problems(bad_dates)
            return
        question = self.check_before_save(records)
        if question is None:
            self._persist(records)
            return
        t = self.civ.t

        def answered(yes: bool | None) -> None:
            if yes:
                self._persist(records)

        self.app.push_screen(
            ConfirmModal(question, t("form.save_anyway"), t("form.go_back")), answered
        )

    def write(self, records: list[Record]) -> None:
        """Save the checked records in one transaction (`civtui.services.records.save`)."""
        record_service.save(self.civ.store, records)

    def _persist(self, records: list[Record]) -> None:
        try:
            self.write(records)
        except OperationalError as exc:
            # A long import in another window holds the file; a full disk. The input stays.
            key = "form.save_busy" if record_service.is_busy(exc) else "form.save_failed"
            self.notify(self.civ.t(key, error=exc), severity="error", timeout=15)
            return
        except RecordDeletedError:
            # Sync brought the record's deletion while the form was open.
            self.notify(self.civ.t("form.save_deleted"), severity="error", timeout=15)
            return
        except FieldError as exc:
            # Checked again as it is written: a sync may have brought a change meanwhile.
            self.show_problems(
                [Problem(exc.field, self._label(exc.field), text(exc, self.civ.lang))]
            )
            return
        self.saved(records)
        self.notify(self.civ.t("form.saved"))
        self.dismiss(True)

    def action_leave(self) -> None:
        if not self.unsaved_input():
            self.dismiss(False)
            return
        t = self.civ.t

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(
            ConfirmModal(t("form.discard_title"), t("form.discard_yes"), t("form.discard_no")),
            answered,
        )


def _plain(value: Any) -> Any:
    """A widget's value as JSON holds it: a choice by its code, no selection as None."""
    if value is Select.NULL:
        return None
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Choice):
        return str(value.value)
    return value


def _is_iso(text: str, kind: Kind) -> bool:
    try:
        (dt.datetime if kind == "datetime" else dt.date).fromisoformat(text)
    except ValueError:
        return False
    return True


def _as_datetime(text: str) -> dt.datetime | str:
    """Typed times are China time; anything unparseable goes on to the model's message."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
