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

from civtui.domain.choices import Category
from civtui.domain.models import RECORD_TYPES, Person, PersonEvent, Record
from db import Store, outbox, queries
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
    lost_from = mine.whose(conflict.lost_device, conflict.made_stamp)
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
            if isinstance(revised, Person) and conflict.field in ("status", "categories"):
                _take_lost_history(store, conflict, revised, today)
            else:
                store.save(revised)
        outbox.resolve_conflict(store, conflict.id)


def _says(event: PersonEvent, field: str, value: Any, other: Any) -> bool:
    """Whether `event` is the dated change to `value` of `field` (status or categories), and
    not to `other`: the event a change made with that value."""
    if field == "status":
        return event.status is not None and event.status == value and value != other
    if event.category is None or event.held is None:
        return False
    return (event.category in value) == event.held and (event.category in other) != event.held


def _take_lost_history(
    store: Store, conflict: outbox.StoredConflict, person: Person, today: dt.date
) -> None:
    """Write `person` with the status or categories that lost, and their dated history with
    them: the events the lost change made (retired when it lost) come back as new ones with
    their own dates, and the events of the value given up are retired, so a month's figures
    follow the value taken from the day its change was dated, not from the day of the choice.
    A lost change whose events this laptop never held is dated today, as any edit is."""
    field, lost, kept = conflict.field, conflict.lost_value, conflict.kept_value
    retired = [
        e
        for e in queries.person_events(store, person.id, retired=True)
        if _says(e, field, lost, kept)
    ]
    if not retired:
        store.save(person)
        return
    back: dict[Category | None, PersonEvent] = {}
    for event in retired:  # the latest of each status or category, in stamp order
        back[event.category] = event
    given_up: dict[Category | None, PersonEvent] = {}
    for event in queries.person_events(store, person.id, retired=False):
        if _says(event, field, kept, lost):
            given_up[event.category] = event
    for event in given_up.values():
        store.delete(PersonEvent, event.id)
    copies: list[Record] = [
        PersonEvent.model_validate(
            event.model_dump(
                include={
                    "person_id",
                    "effective_on",
                    "status_before",
                    "status",
                    "category",
                    "held",
                    "note",
                }
            ),
            context={"today": today},
        )
        for event in back.values()
    ]
    store.save_many([*copies, person])
