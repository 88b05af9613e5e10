"""Messages the app sends its screens."""

from __future__ import annotations

from textual.message import Message


class SyncStateChanged(Message):
    """The app's view of the server changed, or a sync brought records: show fresh figures.

    The new state is on the app (`Host.link`, `Host.sync_activity`); every screen on the
    stack gets this message, so one below the top is up to date when it is shown again.
    """
