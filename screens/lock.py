"""The app lock screen, and the status bar's word on backups (the guard is `civtui.guard`).

After `lock_minutes` without a key press or a click the lock screen covers everything and
asks for the unlock PIN (or, for a passphrase-keyed profile without a PIN, the
passphrase). The screens under it stay on the stack as they were, so every open form
keeps its input. A wrong entry is said plainly and the next try waits longer each time.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from civtui.services import backups, keys
from civtui.services.profile import load_settings
from screens.base import CivScreen
from screens.host import Host

#: Wrong entries wait 2, 4, 8 … seconds before the next try, at most this long.
MAX_DELAY = 300


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` wrong entries in a row."""
    return 0 if failures <= 0 else min(MAX_DELAY, 2**failures)


class LockScreen(CivScreen[bool]):
    """Covers the app until the PIN or passphrase is given; dismissed with True then."""

    DEFAULT_CSS = """
    LockScreen {
        align: center middle;
        background: $background;
    }
    #lock-box {
        width: 60;
        max-width: 95%;
        height: auto;
        border: thick $primary;
        background: $surface;
        padding: 1 2;
    }
    #lock-title { text-style: bold; margin-bottom: 1; }
    #lock-message { color: $error; height: auto; }
    #lock-kept { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, kind: str, now: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.kind = kind
        self.failures = 0
        self._now = now
        self.wait_until = 0.0

    def compose(self) -> ComposeResult:
        t = self.civ.t
        with Vertical(id="lock-box"):
            yield Static(t("lock.title"), id="lock-title")
            prompt = "lock.prompt_pin" if self.kind == "pin" else "lock.prompt_passphrase"
            yield Static(t(prompt), id="lock-prompt")
            yield Input(password=True, id="lock-secret")
            yield Static("", id="lock-message")
            yield Static(t("lock.kept"), id="lock-kept")

    def on_mount(self) -> None:
        self.query_one("#lock-secret", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.attempt(event.value)

    def attempt(self, secret: str) -> bool:
        """Try `secret`; unlock (True) or say it was wrong and make the next try wait."""
        box = self.query_one("#lock-secret", Input)
        message = self.query_one("#lock-message", Static)
        left = self.wait_until - self._now()
        if left > 0:
            message.update(self.civ.t("lock.wait", seconds=int(left) + 1))
            return False
        box.value = ""
        if keys.check_unlock(self.civ.store, secret):
            self.dismiss(True)
            return True
        self.failures += 1
        delay = delay_after(self.failures)
        self.wait_until = self._now() + delay
        message.update(self.civ.t("lock.wrong", n=self.failures, seconds=delay))
        return False


def backup_note(app: Host) -> str | None:
    """The status bar's word on backups: the last one's time, once it is older than the setting.

    Shown once backups are in use (a folder set, or one taken): a profile that never set
    them up is told so by `civtui init`, not on every screen.
    """
    settings = load_settings()
    store = app.store
    last = backups.last_backup(store)
    if last is None and not settings.backup_dir:
        return None
    if not backups.overdue(store, settings, app.clock.now()):
        return None
    t = app.t
    if last is None:
        return t("backup.status_never")
    return t("backup.status_old", when=f"{last:%Y-%m-%d %H:%M}")
