"""A synced record type says its sync facts once, on its model; the rest reads them there."""

from __future__ import annotations

import datetime as dt

import pytest

from civtui.domain.models import RECORD_TYPES, SYNCED_TYPES, Record, VisitPolicy, sync_spec
from civtui.i18n import STRINGS
from db import queries
from sync import protocol


@pytest.mark.parametrize("kind", list(SYNCED_TYPES.values()), ids=list(SYNCED_TYPES))
def test_each_synced_kind_says_where_its_village_comes_from(kind: type[Record]) -> None:
    spec = sync_spec(kind)
    # Exactly one way to its village: a field of its own, or its parent's.
    assert (spec.village is None) != (spec.parent is None)
    if spec.village is not None:
        assert spec.village in kind.model_fields
    if spec.parent is not None:
        field, table = spec.parent
        assert field in kind.model_fields and table in SYNCED_TYPES
    if spec.timeline is not None:
        key, day = spec.timeline
        assert day in kind.model_fields
        annotation = kind.model_fields[day].annotation
        assert annotation in (dt.date, dt.datetime)
        assert f"kind.{key}" in STRINGS


def test_the_protocol_and_the_counts_list_the_synced_kinds_from_the_models() -> None:
    assert tuple(SYNCED_TYPES) == protocol.SYNCED_TABLES
    assert queries.COUNTED is SYNCED_TYPES
    # The township sets the visit policy; no device pushes it.
    assert VisitPolicy.synced is None and VisitPolicy.table not in protocol.SYNCED_TABLES
    assert set(SYNCED_TYPES) == {t for t, k in RECORD_TYPES.items() if k.synced is not None}
    with pytest.raises(ValueError, match="not synced"):
        sync_spec(VisitPolicy)


def test_a_push_of_a_kind_not_declared_synced_does_not_validate() -> None:
    change = {"seq": 1, "table": "visit_policy", "record_id": "x", "hlc": "1700000000000-0000"}
    with pytest.raises(ValueError):
        protocol.Change.model_validate(change)
    protocol.Change.model_validate({**change, "table": "visits"})
