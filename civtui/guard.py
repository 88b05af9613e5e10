"""The app's idle lock and automatic backups: what keeps an open laptop's data safe.

After `lock_minutes` without a key press or a click the lock screen (`screens.lock`) covers
everything; the screens under it stay on the stack as they were, so every open form keeps
its input. Part of the shell: it drives the app (timers, workers, the screen stack).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from civtui.services import backups, keys
from civtui.services.profile import load_settings
from screens.lock import LockScreen

if TYPE_CHECKING:
    from civtui.app import CivtuiApp

#: How often the guard looks at the idle time and whether a backup is due.
CHECK_SECONDS = 15
BACKUP_CHECK_SECONDS = 600
#: What may run while the lock is up: quitting (nothing is shown) and the lock's own.
ALLOWED_WHILE_LOCKED = frozenset({"quit"})


class Guard:
    """The app's idle lock and automatic backups; the app feeds it input and asks it first."""

    def __init__(self, app: CivtuiApp, now: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self._now = now
        self.last_input = now()
        self.locked = False
        #: The profile's file was replaced under the app: nothing but quitting from now on.
        self.replaced = False
        app.set_interval(CHECK_SECONDS, self.check)
        app.set_interval(BACKUP_CHECK_SECONDS, self.backup_if_due)
        app.call_after_refresh(self.backup_if_due)

    def touched(self) -> None:
        """A key press or a click: the person is here."""
        self.last_input = self._now()

    def allows(self, action: str) -> bool:
        """Whether an app action may run now: while locked only the lock's own and quitting."""
        return not (self.locked or self.replaced) or action in ALLOWED_WHILE_LOCKED

    def check(self) -> None:
        """Lock if nobody has touched the app for the setting's minutes."""
        if self.locked or not self.app.profile.exists():
            return
        _ = self.app.store  # the store notices a file replaced under it
        minutes = load_settings().lock_minutes
        if minutes > 0 and self._now() - self.last_input >= minutes * 60:
            self.lock()

    def lock_at_start(self) -> None:
        """A restart asks for the PIN before anything is shown (a passphrase-keyed profile
        was asked for its passphrase to open at all)."""
        if keys.lock_kind(self.app.store) == "pin":
            self.lock()

    def lock(self) -> bool:
        """Cover the app; False when nothing could unlock it (no PIN and no passphrase)."""
        kind = keys.lock_kind(self.app.store)
        if kind is None or self.locked:
            return False
        self.locked = True
        self.app.hold_shown_notices()
        # The wait after a wrong entry runs on the app's clock, the one injectable time.
        wall = self.app.clock
        lock = LockScreen(kind, now=lambda: wall.now().timestamp())
        self.app.push_screen(lock, lambda _done: self.unlocked())
        return True

    def unlocked(self) -> None:
        self.locked = False
        self.touched()
        self.app.show_held_notices()

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
