"""The township's visit policy: how often each category must be visited, set on the server.

A frequency is a `visit_policy` record like any other, written by the server itself and
sent to every device by the next pull; devices may not push one.
"""

from __future__ import annotations

from sqlalchemy import Engine, select

from civtui.domain.choices import Category, Frequency
from civtui.domain.models import PolicyRule, VisitPolicy
from civtui.domain.policy import Rules
from sync.server import merge
from sync.server.storage import records


def set_frequency(engine: Engine, category: Category, frequency: Frequency) -> int:
    """Set `category`'s frequency for every village; returns the record's new version."""
    return merge.write_from_server(engine, VisitPolicy(id=category.value, frequency=frequency))


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


def set_rule(engine: Engine, name: str, value: str) -> int:
    """Set one visit rule (age limit, record kinds, ADL validity) for every village."""
    key, stored = Rules.check(name, value)
    return merge.write_from_server(engine, PolicyRule(id=key, value=stored))


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
