"""The dashboard's kept keys (db.standings._Kept) never show a stale figure.

A connection keeps each person's key between refreshes and works out again only the rows
it changed; these tests change the profile in every way that moves a figure — a visit, a
death dated in the month, an assessment, a category, a policy rule, another connection's
commit — and compare the kept answer with one worked out from scratch, rates, counts and
the work list in its order.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from civtui.domain.choices import Category, Frequency, PersonStatus
from civtui.domain.clock import Clock
from civtui.domain.models import Person, PersonEvent, PolicyRule, Visit, VisitPolicy
from civtui.services import demo
from civtui.services.keys import open_store
from db import Store, queries, standings
from tests.conftest import TODAY
from tests.test_standings import agree, assessment


def scratch(store: Store, day: dt.date) -> tuple[object, ...]:
    """The figures and the work list, worked out with nothing kept."""
    fresh = standings.by_village(store, day, TODAY, queries.rules(store), per_village=False)[""]
    assert not fresh.kept
    return _figures(fresh), standings.work_list(store, fresh)


def kept(store: Store, day: dt.date) -> tuple[object, ...]:
    got = standings.month(store, day, TODAY, queries.rules(store))
    assert got.kept
    return _figures(got), standings.work_list(store, got)


def _figures(s: standings.Standings) -> tuple[object, ...]:
    return s.rates, s.due_count, s.overdue_count


def same(store: Store, day: dt.date = TODAY) -> None:
    assert kept(store, day) == scratch(store, day)


def test_kept_keys_follow_every_kind_of_change(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(200, seed=3, today=TODAY).all())
    same(store)
    work = kept(store, TODAY)[1]
    assert isinstance(work, list) and len(work) > 10
    first, second, third = (store.get(Person, w.person_id) for w in work[:3])
    assert first and second and third

    store.save(Visit(person_id=first.id, visit_date=TODAY, visitor="王"))
    same(store)
    assert first.id not in {w.person_id for w in kept(store, TODAY)[1]}  # type: ignore[attr-defined]

    # Died on the 5th: still due this month (no free pass), gone next month.
    store.save(
        PersonEvent(
            person_id=second.id,
            effective_on=dt.date(2026, 11, 5),
            status_before=PersonStatus.ACTIVE,
            status=PersonStatus.DECEASED,
        )
    )
    store.save(second.model_copy(update={"status": PersonStatus.DECEASED}))
    same(store)
    same(store, dt.date(2026, 10, 1))
    same(store)

    store.save(assessment(third.id, dt.date(2026, 11, 2), 0))
    same(store)
    store.save(third.model_copy(update={"categories": [Category.DIBAO]}))
    same(store)

    # A policy change (as `civtui server policy` ships it) recomputes, figures and list.
    before = kept(store, TODAY)
    store.save(VisitPolicy(id=Category.DIBAO.value, frequency=Frequency.QUARTERLY))
    store.save(PolicyRule(id="adl_valid_months", value="6"))
    same(store)
    assert kept(store, TODAY) != before
    agree(store, TODAY)
    store.close()


def test_another_connections_commit_is_seen(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    store = open_store(path, Clock.pinned(TODAY))
    store.save_many(demo.generate(120, seed=5, today=TODAY).all())
    before = kept(store, TODAY)
    work = before[1]
    assert isinstance(work, list) and work
    # A second connection (a sync in another thread, a CLI command) writes a visit: this
    # connection's TEMP triggers never see it, its data version does.
    other = open_store(path, Clock.pinned(TODAY))
    other.save(Visit(person_id=work[0].person_id, visit_date=TODAY, visitor="王"))
    other.close()
    after = kept(store, TODAY)
    assert after != before
    assert after == scratch(store, TODAY)
    store.close()


def test_a_reopened_store_starts_over(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"
    store = open_store(path, Clock.pinned(TODAY))
    store.save_many(demo.generate(60, seed=9, today=TODAY).all())
    first = kept(store, TODAY)
    store.close()
    store = open_store(path, Clock.pinned(TODAY))
    assert kept(store, TODAY) == first == scratch(store, TODAY)
    store.close()


def test_a_rolled_back_change_is_forgotten(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(80, seed=11, today=TODAY).all())
    before = kept(store, TODAY)
    work = before[1]
    assert isinstance(work, list) and work
    try:
        with store.transaction():
            store.save(Visit(person_id=work[0].person_id, visit_date=TODAY, visitor="王"))
            assert kept(store, TODAY) != before  # read inside, then rolled back
            raise RuntimeError("abandoned")
    except RuntimeError:
        pass
    assert kept(store, TODAY) == before == scratch(store, TODAY)
    store.close()
