"""Drafts offered back: the form a draft was kept from, opened again on the same records
with the typed input put back, and the question asked at start (Enter: go on, Del: discard,
Esc: later). See `db.drafts` for what is kept and `CivtuiApp.keep_drafts` for when."""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from civtui.domain.models import Assessment, ChildCheck, ElderNeed, Person, Record, Visit
from civtui.i18n import Translator
from civtui.services import reads
from civtui.services.drafts import Draft
from screens import format as fmt
from screens.base import CivModal
from screens.form import ModelForm

R = TypeVar("R", bound=Record)

#: What the modal returns.
RESUME, DISCARD, LATER = "resume", "discard", "later"


def _load(store: reads.Store, kind: type[R], record_id: str | None) -> R | None:
    return store.get(kind, record_id) if record_id else None


def reopen(store: reads.Store, draft: Draft) -> ModelForm | None:
    """The form `draft` was kept from, on the same records, its input put back once mounted;
    None when a record it was opened on is gone (deleted) or the draft names no known form."""
    from screens.assessment_form import AssessmentForm
    from screens.child_check_form import ChildCheckForm
    from screens.need_form import NeedForm, NeedStatusForm
    from screens.person_form import PersonForm
    from screens.visit_form import VisitForm

    args = draft.args
    person = _load(store, Person, args.get("person_id"))
    if args.get("person_id") and person is None:
        return None
    editing = args.get("editing_id")
    form: ModelForm | None = None
    if draft.form == "person":
        mate = _load(store, Person, args.get("household_of_id"))
        if args.get("household_of_id") and mate is None:
            return None
        form = PersonForm(person, mate)
    elif person is None:
        return None
    elif draft.form == "visit":
        visit = _load(store, Visit, editing)
        form = None if editing and visit is None else VisitForm(person, visit)
    elif draft.form == "check":
        check = _load(store, ChildCheck, editing)
        previous = _load(store, ChildCheck, args.get("previous_id"))
        form = None if editing and check is None else ChildCheckForm(person, previous, check)
    elif draft.form == "need":
        need = _load(store, ElderNeed, editing)
        form = None if editing and need is None else NeedForm(person, need)
    elif draft.form == "need_status":
        moving = _load(store, ElderNeed, args.get("need_id"))
        if moving is not None:
            form = NeedStatusForm(person, reads.need_history(store, moving))
    elif draft.form == "assessment":
        assessment = _load(store, Assessment, editing)
        form = None if editing and assessment is None else AssessmentForm(person, assessment)
    if form is not None:
        form.draft_id = draft.id
        form.restore = draft.values
    return form


def describe(store: reads.Store, draft: Draft, t: Translator) -> str:
    """王秀英 的探访记录; for a correction, 更正 · 王秀英 的探访记录."""
    args = draft.args
    if draft.form == "person" and not args.get("person_id"):
        return t("draft.form.new_person")
    person = _load(store, Person, args.get("person_id"))
    name = person.name if person else "—"
    what = t("draft.what", name=name, form=t(f"draft.form.{draft.form}"))
    return t("draft.correcting", what=what) if args.get("editing_id") else what


class DraftModal(CivModal[str]):
    """上次未保存的输入：… Enter goes on with it, Del discards it, Esc leaves it for later."""

    CSS_PATH = "confirm.tcss"
    DEFAULT_CSS = """
    DraftModal { align: center middle; background: $background 60%; }
    """
    BINDINGS = [
        Binding("enter", "answer('resume')", "draft.resume", id="draft.resume", priority=True),
        Binding("delete", "answer('discard')", "draft.discard", id="draft.discard"),
        Binding("escape", "answer('later')", "draft.later", id="draft.later"),
    ]

    def __init__(self, what: str, saved_at: str) -> None:
        super().__init__()
        self.what = what
        self.saved_at = saved_at

    def compose(self) -> ComposeResult:
        t = self.civ.t
        when = dt.datetime.fromisoformat(self.saved_at).strftime("%Y-%m-%d %H:%M")
        with Vertical(id="confirm-box"):
            yield Static(fmt.text(t("draft.title")), classes="title")
            offer = t("draft.offer", what=self.what, when=when)
            yield Static(fmt.text(offer, lines=True), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(fmt.text(f"{t('draft.discard')} (Del)"), id=DISCARD, variant="error")
                yield Button(fmt.text(f"{t('draft.resume')} (Enter)"), id=RESUME, variant="primary")

    def on_mount(self) -> None:
        self.query_one(f"#{RESUME}", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_answer(self, answer: str) -> None:
        self.dismiss(answer)
