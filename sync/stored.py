"""Between the wire and the store: the protocol's models as the laptop's store takes them.

The protocol's models (`sync.protocol`) are the wire's own, so the server needs nothing of
the laptop's store; the laptop's side converts here, in one place. Pulled models were
validated when the page was read: they are copied field by field, not validated again.
"""

from __future__ import annotations

from collections.abc import Sequence

from db.outbox import PulledConflict
from db.store import Remote
from sync.protocol import Conflict, HeldConflict, PulledRecord


def remote(record: PulledRecord) -> Remote:
    """A pulled record as the store writes it."""
    return Remote.model_construct(
        table=record.table,
        record_id=record.record_id,
        fields=record.fields,
        deleted=record.deleted,
        hlc=record.hlc,
        device_id=record.device_id,
        version=record.version,
        stamps={name: (said.hlc, said.writer) for said in record.stamps for name in said.fields},
    )


def pulled_conflict(conflict: Conflict) -> PulledConflict:
    """A pulled conflict as the store keeps it (the version that made it is not kept).
    Conflicts are few, so the fields are taken by name rather than listed again here."""
    return PulledConflict.model_construct(**conflict.model_dump(exclude={"version"}))


def held_conflict(conflict: PulledConflict, as_made: bool) -> HeldConflict:
    """A conflict this laptop holds, as a push sends it back: validated, since the store's
    values go to a server that checks the wire's limits. `as_made`: the server reads the
    lost stamp as made (`Feature.LOSS_AS_MADE`); one that does not would refuse it."""
    said = conflict.model_dump(exclude=None if as_made else {"lost_made"})
    return HeldConflict.model_validate(said)


def page(
    records: Sequence[PulledRecord], conflicts: Sequence[Conflict]
) -> tuple[list[Remote], list[PulledConflict]]:
    """A pulled page's records and conflicts as `db.outbox.apply_page` takes them."""
    return [remote(r) for r in records], [pulled_conflict(c) for c in conflicts]
