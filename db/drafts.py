"""Drafts: a form's unsaved input, kept in the profile when the terminal went away (window
closed, SSH dropped) and nobody was there to be asked; offered back at the next start.

A draft names its form and what it opens it on (`args`: record ids), and holds only what was
typed: the fields whose widgets differ from what the form opened with. Local to this laptop,
never synced; the profile's encryption covers it like every other table.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from db.store import Store


@dataclass(frozen=True)
class Draft:
    id: int
    #: Which form: visit, check, need, need_status, assessment, person.
    form: str
    #: What the form was opened on: record ids (person_id, editing_id, ...), None for none.
    args: dict[str, str | None]
    #: The typed fields, as the widgets held them (text, codes, lists of codes, booleans).
    values: dict[str, Any]
    saved_at: str


def keep(
    store: Store,
    form: str,
    args: dict[str, str | None],
    values: dict[str, Any],
    draft_id: int | None = None,
) -> int:
    """Store a draft (replacing `draft_id`'s, the one the form was reopened from); its id."""
    now = store.clock.now().isoformat(timespec="seconds")
    encoded = json.dumps(values, ensure_ascii=False)
    with store.transaction():
        if draft_id is not None:
            cursor = store.db.execute(
                'UPDATE drafts SET "values" = ?, saved_at = ? WHERE id = ?',
                [encoded, now, draft_id],
            )
            if cursor.rowcount:
                return draft_id
        cursor = store.db.execute(
            'INSERT INTO drafts (form, args, "values", saved_at) VALUES (?, ?, ?, ?)',
            [form, json.dumps(args), encoded, now],
        )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


def waiting(store: Store) -> list[Draft]:
    """The drafts kept, newest first."""
    rows = store.db.execute(
        'SELECT id, form, args, "values", saved_at FROM drafts ORDER BY id DESC'
    ).fetchall()
    return [Draft(int(i), str(f), json.loads(a), json.loads(v), str(at)) for i, f, a, v, at in rows]


def discard(store: Store, draft_id: int) -> None:
    with store.transaction():
        store.db.execute("DELETE FROM drafts WHERE id = ?", [draft_id])
