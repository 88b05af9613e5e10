"""The app lock, and the app's automatic backups: what keeps an open laptop's data safe.

After `lock_minutes` without a key press or a click the lock screen covers everything and
asks for the unlock PIN (or, for a passphrase-keyed profile without a PIN, the
passphrase). The screens under it stay on the stack as they were, so every open form
keeps its input. A wrong entry is said plainly and the next try waits longer each time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Static

from civtui.services import backups, keys
from civtui.services.profile import load_settings
from screens.base import CivScreen

if TYPE_CHECKING:
    from civtui.app import CivtuiApp

#: How often the guard looks at the idle time and whether a backup is due.
CHECK_SECONDS = 15
BACKUP_CHECK_SECONDS = 600
#: Wrong entries wait 2, 4, 8 … seconds before the next try, at most this long.
MAX_DELAY = 300
#: What may run while the lock is up: quitting (nothing is shown) and the lock's own.
ALLOWED_WHILE_LOCKED = frozenset({"quit"})


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` wrong entries in a row."""
    return 0 if failures <= 0 else min(MAX_DELAY, 2**failures)


class LockScreen(CivScreen[None]):
    """Covers the app until the PIN or passphrase is given."""

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
            self.civ.guard.unlocked()
            self.dismiss()
            return True
        self.failures += 1
        delay = delay_after(self.failures)
        self.wait_until = self._now() + delay
        message.update(self.civ.t("lock.wrong", n=self.failures, seconds=delay))
        return False


class Guard:
    """The app's idle lock and automatic backups; the app feeds it input and asks it first."""

    def __init__(self, app: CivtuiApp, now: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self._now = now
        self.last_input = now()
        self.locked = False
        app.set_interval(CHECK_SECONDS, self.check)
        app.set_interval(BACKUP_CHECK_SECONDS, self.backup_if_due)
        app.call_after_refresh(self.backup_if_due)

    def touched(self) -> None:
        """A key press or a click: the person is here."""
        self.last_input = self._now()

    def allows(self, action: str) -> bool:
        """Whether an app action may run now: while locked only the lock's own and quitting."""
        return not self.locked or action in ALLOWED_WHILE_LOCKED

    def check(self) -> None:
        """Lock if nobody has touched the app for the setting's minutes."""
        if self.locked or not self.app.profile.exists():
            return
        minutes = load_settings().lock_minutes
        if minutes > 0 and self._now() - self.last_input >= minutes * 60:
            self.lock()

    def lock(self) -> bool:
        """Cover the app; False when nothing could unlock it (no PIN and no passphrase)."""
        kind = keys.lock_kind(self.app.store)
        if kind is None or self.locked:
            return False
        self.locked = True
        self.app.push_screen(LockScreen(kind, self._now))
        return True

    def unlocked(self) -> None:
        self.locked = False
        self.touched()

    # -- automatic backups ------------------------------------------------------------

    def backup_if_due(self) -> None:
        settings = load_settings()
        if not settings.backup_dir or not self.app.profile.exists():
            return
        if backups.overdue(self.app.store, settings, self.app.clock.now()):
            self.app.run_worker(
                self._backup, thread=True, group="backup", exclusive=True, exit_on_error=False
            )

    def _backup(self) -> None:
        """In a worker thread, on a connection of its own (a Store is per thread)."""
        app = self.app
        try:
            store = keys.open_store(app.profile.db_path, app.clock)
            try:
                path = backups.automatic(store, app.profile.name, load_settings(), app.clock)
            finally:
                store.close()
        except (OSError, keys.KeyUnavailableError) as exc:
            app.call_from_thread(
                app.notify, app.t("backup.auto_failed", error=exc), severity="error", timeout=15
            )
            return
        if path is not None:
            app.call_from_thread(app.notify, app.t("backup.auto_done", path=path))


def backup_note(app: CivtuiApp) -> str | None:
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
