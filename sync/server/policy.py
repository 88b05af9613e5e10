"""The township's visit policy: how often each category must be visited, set on the server.

A frequency is a `visit_policy` record like any other, written by the server itself and
sent to every device by the next pull; devices may not push one. Each carries the month it
takes effect from and the values before it, so a change never rewrites an earlier month.
Records are kept as JSON documents here, so the two new fields need no server migration:
a row stored before them reads as in force since always.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from sqlalchemy import Engine, select

from civtui.domain.choices import Category, Frequency
from civtui.domain.clock import SYSTEM_CLOCK
from civtui.domain.models import PolicyRule, VisitPolicy
from civtui.domain.policy import (
    DEFAULT_AGE_LIMITS,
    DEFAULT_POLICY,
    DEFAULT_RULES,
    KINDS,
    Rules,
    later_steps,
)
from sync.server import merge
from sync.server.storage import records


def set_frequency(
    engine: Engine, category: Category, frequency: Frequency, since: dt.date | None = None
) -> int:
    """Set `category`'s frequency for every village from the month of `since` (this month
    when None): months before it keep the frequency they had. Returns the new version."""
    first = _month(since)
    old = _stored(engine, VisitPolicy, category.value)
    before = old.frequency.value if old else DEFAULT_POLICY[category].value
    earlier = later_steps(
        before, old.effective_from if old else None, old.earlier if old else [], first
    )
    row = VisitPolicy(id=category.value, frequency=frequency, effective_from=first, earlier=earlier)
    return merge.write_from_server(engine, row)


def current(engine: Engine) -> dict[Category, Frequency]:
    """The frequencies set on the server (categories not listed keep the app's defaults)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.data).where(
                records.c.table_name == VisitPolicy.table, ~records.c.deleted
            )
        ).all()
    found = [VisitPolicy.model_validate_json(data) for (data,) in rows]
    return {Category(p.id): p.frequency for p in found}


def set_rule(engine: Engine, name: str, value: str, since: dt.date | None = None) -> int:
    """Set one visit rule (age limit, record kinds, ADL validity) for every village from the
    month of `since` (this month when None); months before it keep the value they had."""
    key, stored = Rules.check(name, value)
    first = _month(since)
    old = _stored(engine, PolicyRule, key)
    before = old.value if old else _default_rule(key)
    earlier = later_steps(
        before, old.effective_from if old else None, old.earlier if old else [], first
    )
    row = PolicyRule(id=key, value=stored, effective_from=first, earlier=earlier)
    return merge.write_from_server(engine, row)


def _month(since: dt.date | None) -> dt.date:
    return (since or SYSTEM_CLOCK.today()).replace(day=1)


def _default_rule(key: str) -> str:
    """What a rule is before the township first sets it: the app's built-in value."""
    head, _, tail = key.partition(".")
    if head == "age_limit":
        return str(DEFAULT_AGE_LIMITS[Category(tail)])
    if head == "contact_kinds":
        return ",".join(KINDS)
    defaults = DEFAULT_RULES
    return str(defaults.adl_valid_months if key == "adl_valid_months" else defaults.adl_min_age)


R = TypeVar("R", VisitPolicy, PolicyRule)


def _stored(engine: Engine, kind: type[R], key: str) -> R | None:
    with engine.connect() as conn:
        row = conn.execute(
            select(records.c.data).where(
                records.c.table_name == kind.table, records.c.record_id == key, ~records.c.deleted
            )
        ).first()
    return None if row is None else kind.model_validate_json(row[0])


def rules(engine: Engine) -> dict[str, str]:
    """The rules set on the server, by name (rules not listed keep the app's defaults)."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(records.c.data).where(
                records.c.table_name == PolicyRule.table, ~records.c.deleted
            )
        ).all()
    found = [PolicyRule.model_validate_json(data) for (data,) in rows]
    return {r.id: r.value for r in found}
