"""The dashboard's 待跟进 head and count (db.followups.follow_up_head) are the full list's.

The head is read in order from migration m013's indexes, by one of two paths (needs raised
on a day shared by many people are walked in name order from the people); both must give
exactly the first items of `open_follow_ups`, and the count must be its length.
"""

from __future__ import annotations

import datetime as dt

import pytest

from civtui.domain.choices import NeedStatus, Urgency
from civtui.domain.models import ElderNeed, Person, Visit
from civtui.domain.policy import Rules
from db import Store
from db.followups import FollowUp, follow_up_head, open_follow_ups
from tests.conftest import TODAY, make_person

DAY = dt.date(2026, 9, 1)
#: The township's default ADL rule (civtui.domain.policy.Rules).
RULE = {"adl_valid_months": Rules().adl_valid_months, "adl_min_age": Rules().adl_min_age}


def need(person: Person, day: dt.date, status: NeedStatus = NeedStatus.PENDING) -> ElderNeed:
    return ElderNeed.model_validate(
        {
            "person_id": person.id,
            "need_type": "meals",
            "urgency": Urgency.NORMAL,
            "status": status,
            "raised_on": day,
            "raised_by": "王",
        },
        context={"stored": True, "today": TODAY},
    )


def order(items: list[FollowUp]) -> list[tuple[str, dt.date, str]]:
    return [(f.kind, f.since, f.person_name) for f in items]


@pytest.mark.parametrize("limit", [1, 3, 5, 12, 200])
def test_head_and_count_are_the_full_lists(store: Store, limit: int) -> None:
    # Names out of insertion order, one name twice; most needs raised on one day (an
    # import), a few before and after it; closed needs and a deleted person's left out.
    names = [f"{chr(0x4E00 + (i * 7919) % 500)}{i % 3}" for i in range(40)] + ["重名", "重名"]
    people = [make_person(seq=101 + 2 * i, name=n) for i, n in enumerate(names)]
    store.save_many(people)
    records: list[ElderNeed | Visit] = [need(p, DAY) for p in people]
    records += [need(people[3], DAY - dt.timedelta(days=9)), need(people[5], TODAY)]
    records += [need(people[7], DAY - dt.timedelta(days=30), NeedStatus.RESOLVED)]
    records.append(
        Visit(
            person_id=people[2].id,
            visit_date=TODAY,
            visitor="王",
            follow_up_needed=True,
            follow_up_note="修屋顶",
        )
    )
    store.save_many(records)
    gone = make_person(seq=999, name="一")
    store.save(gone)
    store.save(need(gone, DAY - dt.timedelta(days=20)))
    store.delete(Person, gone.id)

    full = open_follow_ups(store, TODAY, **RULE)
    head, count = follow_up_head(store, TODAY, limit, **RULE)
    assert count == len(full) == 1 + 42 + 2
    assert order(head) == order(full[:limit])
    assert {f.record_id for f in head} <= {f.record_id for f in full}
    assert "一" not in {f.person_name for f in full}
