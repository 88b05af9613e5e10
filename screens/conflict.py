"""Choosing between the value sync kept and the one another device lost."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from db.outbox import StoredConflict
from screens.base import CivModal


class ConflictModal(CivModal[bool]):
    """Returns True to use the other device's value, False to keep the current one."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = [
        Binding("u", "answer(True)", "conflict.use_lost", id="conflict.use"),
        Binding("k,escape", "answer(False)", "conflict.keep", id="conflict.keep"),
    ]

    def __init__(self, conflict: StoredConflict, label: str) -> None:
        super().__init__()
        self.conflict = conflict
        self.label = label

    def compose(self) -> ComposeResult:
        t = self.civ.t
        c = self.conflict
        with Vertical(id="confirm-box"):
            yield Static(f"{t('conflict.title')}：{self.label}", id="confirm-question")
            yield Static(f"{t('conflict.kept')}：{_show(c.kept_value)}")
            yield Static(f"{t('conflict.lost')}：{_show(c.lost_value)}")
            with Horizontal(id="confirm-buttons"):
                yield Button(f"{t('conflict.use_lost')} (U)", id="use", variant="warning")
                yield Button(f"{t('conflict.keep')} (K)", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "use")

    def action_answer(self, use: bool) -> None:
        self.dismiss(use)


def _show(value: object) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, list):
        return "、".join(str(v) for v in value) or "（空）"
    return str(value)
