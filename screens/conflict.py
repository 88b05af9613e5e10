"""Choosing between the value a record holds now and the one a sync conflict left out.

The dialog reads the conflict afresh (`services.conflicts.look`) when it opens, after every
sync and after a refused choice, and says whose each value is from this laptop's side. The
choice is applied only while the record is as shown; otherwise the dialog is drawn again.
"""

from __future__ import annotations

from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Static

from civtui.domain.errors import explain_text
from civtui.domain.models import RECORD_TYPES
from civtui.i18n import Translator
from civtui.services import conflicts, reads
from civtui.services.conflicts import Choice, ConflictChangedError, ConflictClosedError
from screens import format as fmt
from screens import values
from screens.base import CivModal
from screens.messages import SyncStateChanged
from sync import words


class ConflictModal(CivModal[bool]):
    """Returns True once the conflict is closed (by this choice or elsewhere), False or None
    when left open (Esc)."""

    CSS_PATH = "conflict.tcss"
    BINDINGS = [
        # Shift held (or Caps Lock on) still chooses: the letter is the choice, not its case.
        Binding("u,U", "take_lost", "conflict.use", id="conflict.use"),
        Binding("k,K", "keep", "conflict.keep_current", id="conflict.keep"),
        Binding("escape", "cancel", "form.cancel", id="conflict.cancel"),
        Binding("left,right", "app.focus_next", show=False),
    ]

    def __init__(self, choice: Choice) -> None:
        super().__init__()
        self.choice = choice
        #: Why the dialog was drawn again, said under the values.
        self.note = ""

    def compose(self) -> ComposeResult:
        with Vertical(id="conflict-box"):
            yield Static(id="conflict-heading")
            yield Static(fmt.text(self.civ.t("conflict.explain")), id="conflict-explain")
            yield Static(id="conflict-current-label", classes="value-label")
            with VerticalScroll(classes="value"):
                yield Static(id="conflict-current")
            yield Static(id="conflict-lost-label", classes="value-label")
            with VerticalScroll(classes="value"):
                yield Static(id="conflict-lost")
            yield Static(id="conflict-note")
            with Horizontal(id="conflict-buttons"):
                yield Button("", id="use", variant="warning")
                yield Button("", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.draw()
        self.query_one("#keep", Button).focus()

    def draw(self) -> None:
        t, c = self.civ.t, self.choice
        conflict = c.conflict
        who = reads.change_label(self.civ.store, conflict.table, conflict.record_id)
        what = words.conflict_field(conflict.table, conflict.field, t)
        self.query_one("#conflict-heading", Static).update(
            fmt.text(t("conflict.heading", label=f"{who} · {what}"))
        )
        origin = {"mine": "conflict.mine", "theirs": "conflict.theirs"}.get(
            c.current_from, "conflict.edited_since"
        )
        current = t("conflict.current")
        if not c.gone:
            current += t("conflict.whose", whose=t(origin))
        self.query_one("#conflict-current-label", Static).update(fmt.text(current))
        empty = t("conflict.empty")
        shown = (
            t("conflict.deleted_value")
            if c.gone
            else _show(conflict.table, conflict.field, c.current, t, empty)
        )
        self.query_one("#conflict-current", Static).update(fmt.text(shown, lines=True))
        lost_whose = t(f"conflict.{c.lost_from}")
        self.query_one("#conflict-lost-label", Static).update(
            fmt.text(t("conflict.not_taken") + t("conflict.whose", whose=lost_whose))
        )
        lost = _show(conflict.table, conflict.field, conflict.lost_value, t, empty)
        self.query_one("#conflict-lost", Static).update(fmt.text(lost, lines=True))
        notes = [self.note] if self.note else []
        if c.closed:
            notes.append(t("conflict.closed_elsewhere"))
        elif c.gone:
            notes.append(t("conflict.gone"))
        elif not c.can_take_lost:
            notes.append(t("conflict.same"))
        note = self.query_one("#conflict-note", Static)
        note.update(fmt.text("\n".join(notes), lines=True))
        note.display = bool(notes)
        use = self.query_one("#use", Button)
        use.label = fmt.text(f"{t(f'conflict.use_{c.lost_from}')} (u)")
        use.display = c.can_take_lost
        keep = "conflict.keep_current" if c.can_take_lost else "conflict.close"
        self.query_one("#keep", Button).label = fmt.text(f"{t(keep)} (k)")
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "take_lost":
            return self.choice.can_take_lost
        return True

    def _look_again(self, note: str = "") -> bool:
        """Read the conflict afresh and redraw; False if this laptop no longer holds it."""
        fresh = conflicts.look(self.civ.store, self.choice.conflict.id)
        if fresh is None:
            self.dismiss(True)
            return False
        self.choice, self.note = fresh, note
        self.draw()
        return True

    def on_sync_state_changed(self, _message: SyncStateChanged) -> None:
        # A sync may have brought a new value, or another laptop's resolution.
        before = self.choice
        if self._look_again(self.note):
            changed = (before.current, before.gone) != (self.choice.current, self.choice.gone)
            if changed and not self.choice.closed:
                self.note = self.civ.t("conflict.changed")
                self.draw()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "use":
            self.action_take_lost()
        else:
            self.action_keep()

    def action_take_lost(self) -> None:
        if self.choice.can_take_lost:
            self._answer(take_lost=True)

    def action_keep(self) -> None:
        if self.choice.closed:
            self.dismiss(True)  # nothing left to decide here
            return
        self._answer(take_lost=False)

    def action_cancel(self) -> None:
        self.dismiss(False)

    def _answer(self, *, take_lost: bool) -> None:
        t = self.civ.t
        try:
            conflicts.resolve(
                self.civ.store, self.choice, take_lost=take_lost, today=self.civ.today
            )
        except ConflictClosedError:
            self._look_again()
            return
        except ConflictChangedError:
            self._look_again(t("conflict.changed"))
            return
        except ValidationError as exc:
            kind = RECORD_TYPES[self.choice.conflict.table]
            self.notify(explain_text(exc, kind, self.civ.lang), severity="error")
            return
        self.dismiss(True)


def _show(table: str, field: str, value: object, t: Translator, empty: str) -> str:
    """The value in words, or the dialog's own word for an empty one."""
    if value is None or value == "" or value == []:
        return empty
    return values.of_table(table, field, value, t)
