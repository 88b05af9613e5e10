"""A person's status or categories changed as of a given day (生效日期).

An assistant often learns of a death or a move days or weeks later: the change is
written with the day it took effect, and each month's figures use the person's state
as it was in that month (see `PersonEvent`). Shared by the person form and any other
caller that changes a person; the store writes the row, its change-log entry and the
dated events in one transaction.
"""

from __future__ import annotations

import datetime as dt

from civtui.domain.choices import Category
from civtui.domain.errors import FieldError
from civtui.domain.models import Person, PersonEvent
from civtui.i18n import said
from db import Store

#: The field an effective date is said in, on forms and in messages.
FIELD = "effective_on"


def is_dated(before: Person, after: Person) -> bool:
    """Whether going from `before` to `after` is a change that takes effect on a day."""
    return before.status is not after.status or set(before.categories) != set(after.categories)


def check_effective(
    store: Store, before: Person, after: Person, on: dt.date, today: dt.date
) -> None:
    """Refuse an effective date the figures could not use: in the future, before the
    person was registered, or before the last change of the same thing (a status, or
    that category), which would put the two changes in the wrong order."""
    if on > today:
        raise FieldError(FIELD, said("effective.future", today=today.isoformat()))
    if on < before.registered_on:
        registered = before.registered_on.isoformat()
        raise FieldError(FIELD, said("effective.before_registered", day=registered))
    last = _last_change(store, before, after)
    if last is not None and on < last[0]:
        day, category = last[0].isoformat(), last[1]
        if category is None:
            raise FieldError(FIELD, said("effective.before_status", day=day))
        raise FieldError(FIELD, said("effective.before_category", day=day, category=category))


def _last_change(
    store: Store, before: Person, after: Person
) -> tuple[dt.date, Category | None] | None:
    """The latest effective day among earlier changes of what changes now, and what it was
    (a category, or None for the status)."""
    found: list[tuple[dt.date, Category | None]] = []
    events = store.all(PersonEvent, "person_id = ?", [before.id], order_by="effective_on")
    changed = set(before.categories) ^ set(after.categories)
    for event in events:
        if event.status is not None and before.status is not after.status:
            found.append((event.effective_on, None))
        elif event.category is not None and event.category in changed:
            found.append((event.effective_on, event.category))
    return max(found, key=lambda f: f[0]) if found else None


def save(store: Store, before: Person, after: Person, on: dt.date, today: dt.date) -> int | None:
    """Write `after` with its status and category changes effective `on`, once checked."""
    if is_dated(before, after):
        check_effective(store, before, after, on, today)
    return store.save(after, effective_on=on)
