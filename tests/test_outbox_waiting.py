"""A record refused for one the server lacked waits for it, then goes again (sync/README.md,
"A record refused for one the server lacks")."""

from __future__ import annotations

from db import outbox
from db.store import Remote, Store
from tests.conftest import CTX, make_person


def ack_all(store: Store, status: str = "accepted") -> None:
    acks = [outbox.Ack(c.seq, status, None) for c in store.changes(status="pending")]
    outbox.record_acks(store, acks, "2026-11-26T09:00:00")


def test_a_refusal_waits_for_its_record_and_then_goes_again_after_everything_else(
    store: Store,
) -> None:
    ack_all(store)  # the village
    person = make_person()
    store.save(person)
    (change,) = store.changes(status="pending")
    named = outbox.Waiting("persons", person.id, "households", "h1")
    outbox.record_acks(store, [outbox.Ack(change.seq, "rejected", None)], "t", 1, [named])
    assert outbox.send_refused_again(store) == 0  # the household has not arrived

    other = Remote(
        table="households",
        record_id="h2",
        fields={"id": "h2", "village_code": person.village_code, "address": "海星路2号"},
        deleted=False,
        hlc="1764118800000-0000-dev2",
        device_id="dev2",
        version=5,
    )
    outbox.apply_page(store, [other], [], 5)
    assert outbox.send_refused_again(store) == 0  # another household is not the one

    household = other.model_copy(
        update={"record_id": "h1", "fields": {**other.fields, "id": "h1"}, "version": 6}
    )
    outbox.apply_page(store, [household], [], 6)
    assert [w.arrived for w in outbox.waiting_records(store)] == [True]
    # An edit made meanwhile is pending: it may be one the server took whose answer was
    # lost, so nothing is numbered anew until it is answered.
    store.save(person.revise(context=CTX, phone="13905801111"))
    assert outbox.send_refused_again(store) == 0
    (edit,) = store.changes(status="pending")
    # The edit of a person the server lacks is refused too, naming no record that can come.
    lacking = outbox.Waiting("persons", person.id, "villages", "None")
    outbox.record_acks(store, [outbox.Ack(edit.seq, "rejected", None)], "t", 2, [lacking])

    assert outbox.send_refused_again(store) == 2
    assert outbox.waiting_records(store) == []
    again = store.changes(status="pending")
    assert [c.record_id for c in again] == [person.id, person.id]
    assert again[0].seq > change.seq and again[0].op == change.op
    assert again[0].hlc == change.hlc  # the change as it was made
    assert store.changes(status="rejected") == []
