"""What a screen needs from the app that shows it, and nothing more.

Screens depend on this protocol, not on `civtui.app.CivtuiApp`: the app sits above the screens
(it builds them), so a screen importing the app class would point the arrow the wrong way.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal, Protocol

if TYPE_CHECKING:
    # Named in the protocol only: the app imports this module before its first frame, the
    # store's queries after it.
    from civtui.domain.clock import Clock
    from civtui.i18n import Translator
    from civtui.services import reads
    from civtui.services.profile import Profile
    from civtui.services.reader import Reader

#: The server as the status bar shows it; signed_out: no login here, or the token was refused.
Link = Literal["online", "offline", "unknown", "signed_out"]


class Host(Protocol):
    """The services a screen may use: the profile's store, the clock, the words, sync state."""

    profile: Profile
    clock: Clock
    t: Translator
    #: What the status bar says of the server.
    link: Link
    #: What a sync is doing right now ("推送 300/1200"), or None.
    sync_activity: str | None
    #: Follow-ups marked done while the app is open, as (table, record id), newest last:
    #: what the 待跟进 screen's undo reopens, whichever screen they were marked on.
    follow_ups_done: list[tuple[str, str]]

    @property
    def store(self) -> reads.Store: ...

    @property
    def reader(self) -> Reader:
        """A connection of its own, on a thread of its own, for the slow reads of workers."""
        ...

    @property
    def staff_name(self) -> str: ...

    @property
    def today(self) -> dt.date: ...

    @property
    def lang(self) -> str: ...
