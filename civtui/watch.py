"""Noticing what another process wrote to the open profile: `civtui sync` or an import run
in a second terminal while the app is open.

SQLite counts, per connection, the commits made by other connections to the same file
(`PRAGMA data_version`); asking costs a few microseconds and reads no page, so the app can
ask every couple of seconds. When the count moves, every screen on the stack is told to
show fresh figures, as after the app's own sync (`screens.messages.SyncStateChanged`), and
a status bar that says 未登录 looks again for a login (another terminal's `civtui login`).
Part of the shell, like `civtui.guard`: it drives the app's timer and screen stack.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civtui.app import CivtuiApp

#: How often the app asks whether the file changed under it.
WATCH_SECONDS = 2.0


class StoreWatch:
    """Tells the app's screens to refresh when another connection commits to the profile."""

    def __init__(self, app: CivtuiApp, every: float | None = None) -> None:
        self.app = app
        self._seen: int | None = None
        app.set_interval(every if every is not None else WATCH_SECONDS, self.check)

    def check(self) -> None:
        app = self.app
        # Before a profile exists (the setup screen) there is nothing to watch, and the
        # store is not opened just to ask.
        if not app.profile.exists():
            return
        row = app.store.db.execute("PRAGMA data_version").fetchone()
        version = int(row[0])
        changed = self._seen is not None and version != self._seen
        self._seen = version
        if changed:
            app.refresh_screens()
            # `civtui login` writes the profile too: the status bar's 未登录 may be over.
            app.look_for_login()
