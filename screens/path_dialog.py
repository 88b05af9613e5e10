"""Where a file goes or comes from: a USB bundle or its reply (the 待同步 page), a ledger
the app exports (the command palette).

A path typed into one field (a folder, or a file): quicker on the keyboard than a picker,
and a folder is enough for an export (the file is named by what it holds and the date).
A monthly ledger's export asks its month too: this month unless changed, last month on F3
(the usual case on the first days of a month, when last month's ledger is printed).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from civtui.domain import dates
from civtui.domain.policy import add_months
from screens.base import CivModal


class PathModal(CivModal[Path | None]):
    """Asks for a path; returns it (made absolute), or None when cancelled. An import's
    path must be an existing file, an export's an existing folder or a file in one."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("escape", "cancel", "form.cancel", id="bundle.cancel"),
        Binding("f3", "last_month", "export.month", show=False),
    ]

    def __init__(
        self, question: str, start: Path, *, must_exist: bool, month: dt.date | None = None
    ) -> None:
        """`month`: a monthly ledger's export asks its month, starting at this one; the
        month chosen is `chosen_month` once the dialog is answered."""
        super().__init__()
        self.question = question
        self.start = start
        self.must_exist = must_exist
        self.month = month
        self.chosen_month: dt.date | None = None

    def compose(self) -> ComposeResult:
        t = self.civ.t
        with Vertical(id="confirm-box"):
            yield Static(Text(self.question), id="confirm-question")
            yield Input(value=str(self.start), id="bundle-path")
            if self.month is not None:
                with Horizontal(id="export-month-row"):
                    yield Static(t("export.month"), id="export-month-label")
                    yield Input(value=f"{self.month:%Y-%m}", id="export-month")
                yield Static(Text(t("export.month_hint")), id="export-month-hint")
            yield Static("", id="bundle-error", classes="error")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{t('bundle.ok')} (Enter)", id="yes", variant="primary")
                yield Button(f"{t('form.cancel')} (Esc)", id="no")

    def on_mount(self) -> None:
        self.query_one("#bundle-path", Input).focus()

    def action_last_month(self) -> None:
        if self.month is not None:
            last = add_months(self.month, -1)
            self.query_one("#export-month", Input).value = f"{last:%Y-%m}"

    def _answer(self) -> None:
        if self.month is not None:
            typed_month = self.query_one("#export-month", Input).value
            self.chosen_month = dates.parse_month(typed_month)
            if self.chosen_month is None:
                said = self.civ.t("export.bad_month", value=typed_month.strip())
                self.query_one("#bundle-error", Static).update(Text(said))
                self.query_one("#export-month", Input).focus()
                return
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
