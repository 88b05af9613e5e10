"""The server's merge decides a change's outcome with a pure function (`merge.plan`); the same
changes merged in any order give the same record."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from civtui.domain.hlc import Stamp
from sync.protocol import Change, Code, compact_json
from sync.server import merge
from tests.conftest import VILLAGE, make_person

PERSON = make_person().model_dump(mode="json")
PHONES = ["13905801111", "13905802222", "13905803333"]
ADDRESSES = ["东路1号", "西路2号", "南路3号"]


def stored() -> merge._Row:
    stamps = {name: ["1763800000000-0000-seed", "seed", 1] for name in PERSON}
    return merge._Row(
        "persons", PERSON["id"], VILLAGE, compact_json(PERSON), compact_json(stamps), False, True
    )


def apply_all(changes: list[tuple[Change, Stamp]]) -> merge._Row:
    row = stored()
    for version, (change, stamp) in enumerate(changes, start=2):
        try:
            p = merge.plan(row, change, stamp, stamp.device, version, frozenset({VILLAGE}), {})
        except merge.Rejected:
            continue
        row.data, row.stamps, row.deleted = p.data, p.stamps, p.deleted
        row.written = (version, str(stamp), stamp.device)
    return row


edits = st.lists(
    st.tuples(
        st.integers(1, 50),  # when, in ms after the seed
        st.sampled_from(["a", "b", "c"]),  # which device
        st.one_of(
            st.fixed_dictionaries({"phone": st.sampled_from(PHONES)}),
            st.fixed_dictionaries({"address": st.sampled_from(ADDRESSES)}),
            st.fixed_dictionaries(
                {"phone": st.sampled_from(PHONES), "address": st.sampled_from(ADDRESSES)}
            ),
            st.just(None),  # a delete
        ),
    ),
    min_size=1,
    max_size=6,
    unique_by=lambda e: (e[0], e[1]),
)


@given(edits, st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None)
def test_the_same_changes_in_any_order_make_the_same_record(
    said: list[tuple[int, str, dict[str, Any] | None]], rnd: Any
) -> None:
    changes = [
        (
            Change(
                seq=n + 1,
                table="persons",
                record_id=PERSON["id"],
                op="delete" if fields is None else "upsert",
                fields=fields or {},
                hlc=f"{1763800000000 + when:013d}-0000-{device}",
            ),
            Stamp(1763800000000 + when, 0, device),
        )
        for n, (when, device, fields) in enumerate(said)
    ]
    shuffled = list(changes)
    rnd.shuffle(shuffled)
    one, other = apply_all(changes), apply_all(shuffled)
    assert one.deleted == other.deleted
    if not one.deleted:
        assert one.data == other.data
        # Each field was set by the same change either way: the same stamp and device (the
        # server version differs with the order, and is not compared).
        assert {k: v[:2] for k, v in one.stamps.items()} == {
            k: v[:2] for k, v in other.stamps.items()
        }


def test_a_plan_changes_nothing_it_is_given_and_says_what_lost() -> None:
    row = stored()
    change = Change(
        seq=1,
        table="persons",
        record_id=PERSON["id"],
        fields={"phone": PHONES[0]},
        hlc="1763800000005-0000-a",
    )
    before = (dict(row.data), dict(row.stamps))
    decided = merge.plan(row, change, Stamp.parse(change.hlc), "a", 2, frozenset({VILLAGE}), {})
    assert (row.data, row.stamps) == before
    assert decided.data["phone"] == PHONES[0] and decided.status == "conflict"
    assert decided.reason is not None and decided.reason.code is Code.CONFLICT
    # A token without the record's village: refused, and still nothing changed.
    try:
        merge.plan(row, change, Stamp.parse(change.hlc), "a", 2, frozenset(), {})
    except merge.Rejected as exc:
        assert exc.reason.code is Code.OUTSIDE_VILLAGES
    else:
        raise AssertionError("a change outside the token's villages was planned")
    assert (row.data, row.stamps) == before
