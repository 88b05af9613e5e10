"""One keyboard-first form that every record form is built from.

A form lists its fields; this class lays them out (label, widget, error line),
reads them back, validates through the domain model, shows each problem next
to its field, and saves through the store only when everything is right.
Tab/Shift+Tab move between fields, Ctrl+S saves, Esc leaves (asking first if
anything was typed).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Checkbox, Footer, Header, Input, Label, Select, SelectionList, Static
from textual.widgets.selection_list import Selection

from civtui.domain.choices import Choice
from civtui.domain.clock import CHINA_TZ
from civtui.domain.errors import FieldError, Problem, explain, text
from civtui.domain.models import Record
from db.connection import OperationalError
from db.store import RecordDeletedError
from screens.base import CivScreen
from screens.confirm import ConfirmModal

Kind = Literal["text", "date", "datetime", "select", "multi", "bool", "int"]


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


class ModelForm(CivScreen[bool]):
    """Base of every form; dismisses with True once saved, False when left."""

    CSS_PATH = "form.tcss"
    BINDINGS = [
        Binding("ctrl+s", "save", "form.save", id="form.save", priority=True, tooltip="tip.save"),
        Binding("escape", "leave", "form.cancel", id="form.cancel", tooltip="tip.cancel"),
    ]

    model: ClassVar[type[Record]]

    def __init__(self) -> None:
        super().__init__()
        self._initial: dict[str, Any] = {}

    # -- what a concrete form provides ----------------------------------------

    def specs(self) -> list[FieldSpec]:
        raise NotImplementedError

    def heading(self) -> str:
        raise NotImplementedError

    def initial(self) -> dict[str, Any]:
        """Values the widgets start with (defaults that make the routine case fast)."""
        return {}

    def fixed(self) -> dict[str, Any]:
        """Values not typed in: whose record it is, who recorded it."""
        return {}

    def build(self, values: dict[str, Any]) -> list[Record]:
        """The records to save; raises ValidationError or FieldError when input is wrong."""
        data = {**self.fixed(), **values}
        return [self.model.model_validate(data, context={"today": self.civ.today})]

    def check_before_save(self, records: list[Record]) -> str | None:
        """A question to confirm before saving (a likely duplicate), or None."""
        return None

    def saved(self, records: list[Record]) -> None:
        """Called after a successful save."""

    # -- layout ---------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(self.heading(), classes="title", id="form-title")
        with VerticalScroll(id="form-body"):
            for spec in self.specs():
                classes = "field" + (f" group-{spec.group}" if spec.group else "")
                with Horizontal(classes=classes, id=f"field-{spec.name}"):
                    yield Label(self._label(spec.name), classes="field-label")
                    yield self._widget(spec)
                yield Static("", classes="error field-error", id=f"err-{spec.name}")
            yield Static("", classes="error", id="form-error")
        yield Footer()

    def _label(self, name: str) -> str:
        return self.civ.t.of(self.model, name)

    def _options(self, spec: FieldSpec) -> list[tuple[str, Any]]:
        lang = self.civ.lang
        return [
            (o.label(lang), o) if isinstance(o, Choice) else (str(o[0]), o[1]) for o in spec.options
        ]

    def _widget(self, spec: FieldSpec) -> Widget:
        value = self.initial().get(spec.name)
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
            return SelectionList[Any](
                *[Selection(label, v, v in chosen) for label, v in self._options(spec)],
                id=wid,
                compact=True,
            )
        if spec.kind == "bool":
            return Checkbox(self.civ.t("form.yes"), bool(value), id=wid, compact=True)
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
                "date": "2026-03-05",
                "datetime": "2026-03-05 14:30",
            }.get(spec.kind, "")
        )
        return Input(
            text,
            placeholder=placeholder,
            id=wid,
            compact=True,
            type="integer" if spec.kind == "int" else "text",
        )

    def on_mount(self) -> None:
        self._initial = self.values()
        for spec in self.specs():
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
            elif isinstance(widget, Input):
                text = widget.value.strip()
                if not text and spec.kind in ("date", "datetime", "int"):
                    continue
                out[spec.name] = _as_datetime(text) if spec.kind == "datetime" else text
        return out

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
        first: Widget | None = None
        for problem in problems:
            target = f"#err-{problem.field}"
            if problem.field and self.query(target):
                self.query_one(target, Static).update(problem.message)
                self.query_one(target).add_class("shown")
                field_widget = self.query_one(f"#in-{problem.field}")
                first = first or field_widget
            else:
                form_error = self.query_one("#form-error", Static)
                form_error.update(f"{form_error.content}\n{problem}".strip())
        if problems:
            self.notify(self.civ.t("form.fix", n=len(problems)), severity="error")
        if first is not None:
            first.focus()
            first.scroll_visible()

    def action_save(self) -> None:
        try:
            records = self.build(self.values())
        except ValidationError as exc:
            self.show_problems(explain(exc, self.model, self.civ.lang))
            return
        except FieldError as exc:
            self.show_problems(
                [Problem(exc.field, self._label(exc.field), text(exc, self.civ.lang))]
            )
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

    def _persist(self, records: list[Record]) -> None:
        try:
            self.civ.store.save_many(records)
        except OperationalError as exc:
            # A long import in another window holds the file; a full disk. The input stays.
            busy = "locked" in str(exc) or "busy" in str(exc)
            key = "form.save_busy" if busy else "form.save_failed"
            self.notify(self.civ.t(key, error=exc), severity="error", timeout=15)
            return
        except RecordDeletedError:
            # Sync brought the record's deletion while the form was open.
            self.notify(self.civ.t("form.save_deleted"), severity="error", timeout=15)
            return
        self.saved(records)
        self.notify(self.civ.t("form.saved"))
        self.dismiss(True)

    def action_leave(self) -> None:
        if self.values() == self._initial:
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


def _as_datetime(text: str) -> dt.datetime | str:
    """Typed times are China time; anything unparseable goes on to the model's message."""
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    return value if value.tzinfo else value.replace(tzinfo=CHINA_TZ)
