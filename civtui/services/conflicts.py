"""Settling a sync conflict: keep the value that won, or take the one that lost."""

from __future__ import annotations

import datetime as dt

from civtui.domain.models import RECORD_TYPES
from db import Store, outbox


def resolve(
    store: Store, conflict: outbox.StoredConflict, *, take_lost: bool, today: dt.date
) -> None:
    """Close `conflict`; with `take_lost`, first write its losing value over the kept one.

    Both happen in one transaction, so a crash never leaves the value taken but the conflict
    still open (or closed with the value not taken). A record deleted meanwhile is simply
    closed. Raises pydantic's ValidationError when the losing value no longer fits the record.
    """
    kind = RECORD_TYPES[conflict.table]
    with store.transaction():
        if take_lost:
            record = store.get(kind, conflict.record_id)
            if record is not None:
                revised = record.revise(
                    context={"today": today}, **{conflict.field: conflict.lost_value}
                )
                store.save(revised)
        outbox.resolve_conflict(store, conflict.id)
