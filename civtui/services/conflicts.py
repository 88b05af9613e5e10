"""Settling a sync conflict: keep the value the record holds now, or take the one that lost.

What the dialog shows is read here (`look`), from the record as it is on this laptop, never
from the value the server kept back then: a later sync or edit may have changed it. The
choice is applied only if that is still so (`resolve`); otherwise nothing is written and the
dialog is drawn again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from civtui.domain.models import RECORD_TYPES
from db import Store, outbox
from sync.protocol import DELETED_DEVICE


class ConflictClosedError(Exception):
    """The conflict was closed meanwhile (resolved on another laptop, pulled by a sync)."""


class ConflictChangedError(Exception):
    """The record is no longer as the dialog showed it; nothing was written."""


@dataclass(frozen=True)
class Choice:
    """A conflict as a person chooses it: the record's value now, the value that lost, and
    whose each one was, from this laptop's side."""

    conflict: outbox.StoredConflict
    #: The field's value in the record as this laptop holds it now (JSON form).
    current: Any
    #: The record was deleted (or is not on this laptop): only closing is left.
    gone: bool
    #: Whose the value that lost is: "mine", "theirs", or "copy" (`outbox.Own.whose`: under
    #: an id this profile gave up, past the last stamp it made there).
    lost_from: str
    #: Whose the current value is: "mine", "theirs", or "edited" when neither side's
    #: value is what the record holds now (changed since the conflict).
    current_from: str

    @property
    def lost_mine(self) -> bool:
        """The value that lost was made by this profile (under any device id it has had)."""
        return self.lost_from == "mine"

    @property
    def closed(self) -> bool:
        return self.conflict.resolved

    @property
    def can_take_lost(self) -> bool:
        """U has something to write: the record is there and does not hold the value yet."""
        return not self.closed and not self.gone and self.current != self.conflict.lost_value


def look(store: Store, conflict_id: int) -> Choice | None:
    """The conflict as it stands now; None if this laptop does not hold it."""
    conflict = outbox.get_conflict(store, conflict_id)
    if conflict is None:
        return None
    current, gone = _current(store, conflict)
    mine = outbox.own(store)
    if current == conflict.kept_value and conflict.kept_device != DELETED_DEVICE:
        current_from = "mine" if mine.holds(conflict.kept_device) else "theirs"
    else:
        current_from = "edited"
    # A value lost under an id this profile gave up is its own only up to the last stamp it
    # made there: a later one is another copy's, or its own from before a restore.
    lost_from = mine.whose(conflict.lost_device, conflict.lost_hlc)
    return Choice(conflict, current, gone, lost_from, current_from)


def _current(store: Store, conflict: outbox.StoredConflict) -> tuple[Any, bool]:
    record = store.get(RECORD_TYPES[conflict.table], conflict.record_id)
    if record is None:
        return None, True
    return record.row().get(conflict.field), False


def resolve(store: Store, shown: Choice, *, take_lost: bool, today: dt.date) -> None:
    """Close the conflict as `shown`; with `take_lost`, first write the value that lost over
    the current one, through the ordinary write path (only that field is logged to sync).

    In one transaction, so a crash never leaves the value taken but the conflict still open
    (or closed with the value not taken). Raises ConflictClosedError if the conflict was
    closed meanwhile and ConflictChangedError if the record no longer holds what `shown`
    says (both writing nothing), and pydantic's ValidationError when the value that lost no
    longer fits the record.
    """
    conflict = shown.conflict
    kind = RECORD_TYPES[conflict.table]
    with store.transaction():
        now = look(store, conflict.id)
        if now is None or now.closed:
            raise ConflictClosedError(conflict.id)
        if (now.current, now.gone) != (shown.current, shown.gone):
            raise ConflictChangedError(conflict.id)
        if take_lost and now.can_take_lost:
            record = store.get(kind, conflict.record_id)
            assert record is not None, "can_take_lost: the record is there"
            revised = record.revise(
                context={"today": today}, **{conflict.field: conflict.lost_value}
            )
            store.save(revised)
        outbox.resolve_conflict(store, conflict.id)
