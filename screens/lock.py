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

# The wait after wrong entries is kept in the profile (services.keys): a restart does not
# reset it, and `civtui export` asking for the PIN counts against the same tries.
MAX_DELAY = keys.MAX_DELAY
delay_after = keys.delay_after


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

    def __init__(self, kind: str, now: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.kind = kind
        #: Wall-clock seconds: the wait is kept across restarts, so a monotonic clock won't do.
        self._now = now

    @property
    def failures(self) -> int:
        return keys.failures(self.civ.store)

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
        answer = keys.try_unlock(self.civ.store, secret, self._now())
        if answer.too_soon:
            message.update(self.civ.t("lock.wait", seconds=int(answer.wait) + 1))
            return False
        box.value = ""
        if answer.ok:
            self.dismiss(True)
            return True
        message.update(self.civ.t("lock.wrong", n=answer.failures, seconds=int(answer.wait)))
        return False


class ReplacedScreen(CivScreen[None]):
    """Covers the app once its file was replaced under it: it says so, and only quitting is
    left (the guard allows nothing else)."""

    DEFAULT_CSS = """
    ReplacedScreen { align: center middle; background: $background; }
    ReplacedScreen #replaced-box {
        width: 70; max-width: 95%; height: auto;
        border: thick $error; background: $surface; padding: 1 2;
    }
    """

    def __init__(self, said: str) -> None:
        super().__init__()
        self.said = said

    def compose(self) -> ComposeResult:
        with Vertical(id="replaced-box"):
            yield Static(self.said, id="replaced-message", markup=False)


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
