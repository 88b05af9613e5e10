"""The kept rows (db.standings._Kept) never show a stale figure, and every village's
figures are everyone's split by village.

A connection keeps each person's row (key, village, work-list order) between refreshes and
reads again only the rows it changed; these tests change the profile in every way that
moves a figure — a visit, a death dated in the month, an assessment, a category, a policy
rule, another connection's commit — and compare the kept answer with one worked out from
scratch on a new connection, rates, counts and the work list in its order. Each village's
month, alone or from `by_village`, and its work list must be everyone's cut down to it.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civtui.domain.choices import Category, Frequency, PersonStatus
from civtui.domain.clock import Clock
from civtui.domain.models import Person, PersonEvent, PolicyRule, Visit, VisitPolicy, new_id
from civtui.services import demo
from civtui.services.keys import open_store
from db import Store, queries, standings
from tests.conftest import TODAY
from tests.test_standings import agree, assessment, villages_split


def scratch(store: Store, day: dt.date) -> tuple[object, ...]:
    """The figures and the work list, worked out with nothing kept: on a new connection,
    which reads every row."""
    fresh = open_store(store.path, Clock.pinned(TODAY))
    try:
        return kept(fresh, day)
    finally:
        fresh.close()


def kept(store: Store, day: dt.date) -> tuple[object, ...]:
    got = standings.month(store, day, TODAY, queries.rules(store))
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


def test_a_connection_made_read_only_still_counts_and_sees_other_commits(
    tmp_path: Path,
) -> None:
    """The app turns its connection read-only when its file is replaced under it; the
    screens under the notice still redraw, so the figures must still come, right."""
    path = tmp_path / "demo.db"
    store = open_store(path, Clock.pinned(TODAY))
    store.save_many(demo.generate(120, seed=7, today=TODAY).all())
    work = kept(store, TODAY)[1]
    assert isinstance(work, list) and work
    # A change noted but not yet read when the connection turns read-only.
    store.save(Visit(person_id=work[0].person_id, visit_date=TODAY, visitor="王[/b]=1"))
    store.db.execute("PRAGMA query_only = ON")
    assert kept(store, TODAY) == scratch(store, TODAY)
    other = open_store(path, Clock.pinned(TODAY))
    other.save(Visit(person_id=work[1].person_id, visit_date=TODAY, visitor="李"))
    other.close()
    after = kept(store, TODAY)
    assert after == scratch(store, TODAY)
    assert standings.by_village(store, TODAY, TODAY, queries.rules(store))
    store.close()
    # A store opened read-only from the start counts without noting anything.
    fresh = open_store(path, Clock.pinned(TODAY))
    fresh.db.execute("PRAGMA query_only = ON")
    assert kept(fresh, TODAY) == after
    fresh.close()


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


def changed_people(store: Store, day: dt.date) -> int:
    """How many people changed inside the window of `day`'s frame (judged one by one)."""
    frame = standings.Frame.of(day, TODAY, queries.rules(store))
    (n,) = store.db.execute(
        f"SELECT count(*) FROM policy_facts WHERE NOT ({frame.stable_sql()})",
        {"window": frame.window_start},
    ).fetchone()
    return int(n)


def unsettle(store: Store) -> None:
    """Dated changes inside the window for some people of every village, so that each
    village has people judged one by one beside those counted by key."""
    people = sorted(store.all(Person), key=lambda p: p.id)
    seen: dict[str, int] = {}
    for p in people:
        n = seen.get(p.village_code, 0)
        if n == 3:
            continue
        seen[p.village_code] = n + 1
        if n == 0:
            store.save(
                PersonEvent(
                    person_id=p.id,
                    effective_on=dt.date(2026, 11, 3),
                    status_before=PersonStatus.ACTIVE,
                    status=PersonStatus.DECEASED,
                )
            )
            store.save(p.model_copy(update={"status": PersonStatus.DECEASED}))
        elif n == 1:
            store.save(assessment(p.id, dt.date(2026, 10, 20), 0))
            store.save(assessment(p.id, dt.date(2026, 11, 9), 10))
        else:
            store.save(p.model_copy(update={"registered_on": dt.date(2026, 11, 1)}))


def test_each_village_is_everyone_cut_down(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(240, seed=4, today=TODAY).all())
    unsettle(store)
    for day in (TODAY, dt.date(2026, 10, 1)):
        assert changed_people(store, day) >= 2 * len(demo.DEMO_VILLAGES)
        found = villages_split(store, day)
        assert found.keys() == {code for code, _, _ in demo.DEMO_VILLAGES}
        assert all(work for _, work in found.values())
    # A quarterly category: more periods, more key bits, the same split.
    store.save(VisitPolicy(id=Category.DIBAO.value, frequency=Frequency.QUARTERLY))
    villages_split(store, TODAY)
    store.close()


class Reads:
    """Who `person_rows` was asked for: None for everyone."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.asked: list[list[str] | None] = []
        real = standings.person_rows

        def spy(*args: Any, **kwargs: Any) -> Iterator[Any]:
            ids = args[3] if len(args) > 3 else kwargs.get("ids")
            self.asked.append(None if ids is None else sorted(ids))
            return real(*args, **kwargs)

        monkeypatch.setattr(standings, "person_rows", spy)

    def take(self) -> list[list[str] | None]:
        asked, self.asked = self.asked, []
        return asked


def test_a_write_here_reads_that_person_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(150, seed=8, today=TODAY).all())
    unsettle(store)
    reads = Reads(monkeypatch)
    before = villages_split(store, TODAY)
    assert reads.take() == [None]  # everyone, once, for all the questions above
    work = kept(store, TODAY)[1]
    assert isinstance(work, list)
    first = work[0].person_id
    (village,) = store.db.execute(
        "SELECT village_code FROM persons WHERE id = ?", [first]
    ).fetchone()

    store.save(Visit(person_id=first, visit_date=TODAY, visitor="王"))
    after = villages_split(store, TODAY)
    assert reads.take() == [[first]]
    assert after[village] != before[village]
    assert {v: f for v, f in after.items() if v != village} == {
        v: f for v, f in before.items() if v != village
    }
    assert kept(store, TODAY) == scratch(store, TODAY)
    fresh = open_store(store.path, Clock.pinned(TODAY))
    assert villages_split(fresh, TODAY) == after
    fresh.close()
    store.close()


def test_another_connections_commit_reads_everyone_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo.db"
    store = open_store(path, Clock.pinned(TODAY))
    store.save_many(demo.generate(150, seed=12, today=TODAY).all())
    unsettle(store)
    reads = Reads(monkeypatch)
    before = villages_split(store, TODAY)
    work = kept(store, TODAY)[1]
    assert isinstance(work, list)
    reads.take()
    other = open_store(path, Clock.pinned(TODAY))
    other.save(Visit(person_id=work[-1].person_id, visit_date=TODAY, visitor="王"))
    other.close()
    after = villages_split(store, TODAY)
    assert reads.take() == [None]
    assert after != before
    assert kept(store, TODAY) == scratch(store, TODAY)
    store.close()


def test_people_added_and_deleted_here_and_villages_asked_before_everyone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A person added or deleted on this connection is kept or let go without reading
    everyone again; a past month's village lists, asked before everyone's, read their last
    contacts as they are listed; people alike in all the list shows are listed by id."""
    store = open_store(tmp_path / "demo.db", Clock.pinned(TODAY))
    store.save_many(demo.generate(240, seed=6, today=TODAY).all())
    unsettle(store)
    work = kept(store, TODAY)[1]
    assert isinstance(work, list) and len(work) > 2
    template = store.get(Person, work[0].person_id)
    assert template is not None
    # Alike in all the list shows (born the same day, never contacted): only ids part them.
    newcomers = [
        template.model_copy(update={"id": new_id(), "name": f"[/]王{n}=x\x1b[2J"}) for n in range(4)
    ]
    gone = work[1].person_id
    reads = Reads(monkeypatch)
    store.save_many(newcomers)
    store.delete(Person, gone)
    now = kept(store, TODAY)
    assert reads.take() == [sorted([*(p.id for p in newcomers), gone])]
    assert now == scratch(store, TODAY)
    listed = [w.person_id for w in now[1]]  # type: ignore[attr-defined]
    assert {p.id for p in newcomers} <= set(listed) and gone not in listed

    past = dt.date(2026, 10, 1)
    rules = queries.rules(store)
    month = standings.month(store, past, TODAY, rules)
    lists = {
        village: standings.work_list(store, s)
        for village, s in standings.by_village(store, past, TODAY, rules).items()
    }
    fresh = open_store(store.path, Clock.pinned(TODAY))
    everyone = standings.work_list(fresh, standings.month(fresh, past, TODAY, rules))
    fresh.close()
    assert standings.work_list(store, month) == everyone
    where = dict(store.db.execute("SELECT id, village_code FROM persons WHERE deleted = 0"))
    for village, work in lists.items():
        assert work == [w for w in everyone if where[w.person_id] == village]
    ties = 0
    for a, b in itertools.pairwise(w for w in everyone if w.overdue):
        # Only the ids part them in the order (reassess is never compared).
        if (a.high_risk, a.urgent_need, a.age, a.last_contact) == (
            b.high_risk,
            b.urgent_need,
            b.age,
            b.last_contact,
        ):
            ties += 1
            assert a.person_id < b.person_id
    assert ties  # the order by id was put to the test
    store.close()
