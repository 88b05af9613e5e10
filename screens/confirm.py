"""A yes/no question that returns the answer: before discarding input, or saving a duplicate."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from screens import format as fmt
from screens.base import CivModal
from screens.textual_compat import TextInput


class ConfirmModal(CivModal[bool]):
    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        # Shift held (or Caps Lock on) still answers: the letter is the answer, not its case.
        Binding("y,Y", "answer(True)", "form.yes", id="confirm.yes"),
        Binding("n,N,escape", "answer(False)", "form.no", id="confirm.no"),
        Binding("left,right", "app.focus_next", show=False),
    ]

    def __init__(self, question: str, yes: str, no: str) -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(fmt.text(self.question, lines=True), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(fmt.text(f"{self.yes} (y)"), id="yes", variant="error")
                yield Button(fmt.text(f"{self.no} (n)"), id="no", variant="primary")

    def on_mount(self) -> None:
        # The safe answer has focus: a stray Enter never throws work away.
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class ReasonModal(CivModal[str | None]):
    """Asks why before something is undone for good (a record deleted); None when cancelled.

    Enter with a reason answers; an empty reason is not accepted, and Esc cancels.
    """

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape", "cancel", "form.cancel", id="reason.cancel")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        t = self.civ.t
        with Vertical(id="confirm-box"):
            yield Static(fmt.text(self.question, lines=True), id="confirm-question")
            yield TextInput(placeholder=t("record.reason_hint"), id="reason")
            yield Static("", id="reason-error", classes="error")
            with Horizontal(id="confirm-buttons"):
                yield Button(fmt.text(f"{t('record.delete')} (Enter)"), id="yes", variant="error")
                yield Button(fmt.text(f"{t('form.cancel')} (Esc)"), id="no", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#reason", Input).focus()

    def _answer(self) -> None:
        reason = self.query_one("#reason", Input).value.strip()
        if not reason:
            self.query_one("#reason-error", Static).update(
                fmt.text(self.civ.t("record.reason_needed"))
            )
            self.query_one("#reason", Input).focus()
            return
        self.dismiss(reason)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._answer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._answer()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class InfoModal(CivModal[None]):
    """Something the user must be able to read again, such as where a file was written:
    stays until Enter or Esc, unlike a notice that fades."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape,enter", "close", "form.ok", id="info.close")]

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(fmt.text(self.message, lines=True), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield Button(
                    fmt.text(f"{self.civ.t('form.ok')} (Enter)"), id="ok", variant="primary"
                )

    def on_mount(self) -> None:
        self.query_one("#ok", Button).focus()

    def on_button_pressed(self, _event: Button.Pressed) -> None:
        self.dismiss(None)

    def action_close(self) -> None:
        self.dismiss(None)
