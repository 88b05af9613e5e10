"""Where a file goes or comes from: a USB bundle or its reply (the 待同步 page), a ledger
the app exports (the command palette).

A path typed into one field (a folder, or a file): quicker on the keyboard than a picker,
and a folder is enough for an export (the file is named by what it holds and the date).
"""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from screens.base import CivModal


class PathModal(CivModal[Path | None]):
    """Asks for a path; returns it (made absolute), or None when cancelled. An import's
    path must be an existing file, an export's an existing folder or a file in one."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [Binding("escape", "cancel", "form.cancel", id="bundle.cancel")]

    def __init__(self, question: str, start: Path, *, must_exist: bool) -> None:
        super().__init__()
        self.question = question
        self.start = start
        self.must_exist = must_exist

    def compose(self) -> ComposeResult:
        t = self.civ.t
        with Vertical(id="confirm-box"):
            yield Static(Text(self.question), id="confirm-question")
            yield Input(value=str(self.start), id="bundle-path")
            yield Static("", id="bundle-error", classes="error")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{t('bundle.ok')} (Enter)", id="yes", variant="primary")
                yield Button(f"{t('form.cancel')} (Esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#bundle-path", Input).focus()

    def _answer(self) -> None:
        typed = self.query_one("#bundle-path", Input).value.strip()
        path = Path(typed).expanduser() if typed else None
        fits = path is not None and (
            path.is_file() if self.must_exist else (path.is_dir() or path.parent.is_dir())
        )
        if path is None or not fits:
            said = self.civ.t("bundle.no_file" if self.must_exist else "bundle.no_folder")
            self.query_one("#bundle-error", Static).update(Text(said))
            return
        self.dismiss(path.absolute())

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self._answer()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "yes":
            self._answer()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)
