"""Which history a pull cursor counts in: the server's epochs.

A cursor says "this laptop holds every version up to here", which is true only of the
history it pulled from. A server restored from a copy holds the copy's versions, then new
ones at least the wall clock (`merge._after`), and a laptop that pulled from another history
may lack records of the copy below its cursor: one that synced after an older copy was
restored, when the server comes back from a newer one. Its cursor alone cannot tell.

So each server process starts an epoch before it serves a sync (`begin`): a random id, its
number in the database's list, and the version top then (`since`). A restore is a restart,
so it makes one too; and it brings back the copy's list, in which an epoch made after the
copy is missing. The laptop keeps the epoch with its cursor and asks where to start
(`start`): from its cursor if its epoch is the server's now; if it is an earlier one of the
list, from no later than where each epoch after it began (up to there the histories are
one); if the list lacks it, from 0, once per restore, as a new laptop does. A plain restart
costs nothing: no laptop's cursor is past the top its epoch began at.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, bindparam, func, insert, or_, select

from sync.server.storage import counters, epochs, now_text


def begin(engine: Engine) -> str:
    """Start a new epoch after the database's latest one; its id."""
    made = secrets.token_hex(16)
    with engine.begin() as conn:
        # The lock every write takes (`merge._lock_version`): no push commits between reading
        # the top and writing the epoch, and two processes starting at once number theirs
        # one after the other.
        top = conn.execute(
            select(counters.c.value).where(counters.c.name == "version").with_for_update()
        ).scalar_one()
        last = conn.execute(select(func.max(epochs.c.number))).scalar() or 0
        conn.execute(
            insert(epochs).values(id=made, number=last + 1, since=top, started_at=now_text())
        )
    return made


def latest(engine: Engine) -> str | None:
    """The database's latest epoch; None before any was begun."""
    with engine.connect() as conn:
        found = conn.execute(select(epochs.c.id).order_by(epochs.c.number.desc()).limit(1))
        return found.scalar()


#: The version top, and the latest epoch with this process's own (`ours`) if that is an
#: earlier one, newest first: built once, asked with every sync's first question.
_TOP = select(counters.c.value).where(counters.c.name == "version")
_LATEST_AND_OURS = (
    select(epochs.c.id)
    .where(
        or_(
            epochs.c.id == bindparam("ours"),
            epochs.c.number == select(func.max(epochs.c.number)).scalar_subquery(),
        )
    )
    .order_by(epochs.c.number.desc())
)


def now(engine: Engine, ours: str) -> tuple[str, int] | None:
    """The server's epoch now and its version top; None as for `start`. A laptop whose
    cursor counts in that epoch starts at the lesser of its cursor and the top, as `start`
    says for it, without asking (`AppliedResponse.epoch`)."""
    with engine.connect() as conn:
        top: int = conn.execute(_TOP).scalar_one()
        listed = conn.execute(_LATEST_AND_OURS, {"ours": ours}).scalars().all()
    return (listed[0], top) if ours in listed else None


def start(engine: Engine, epoch: str | None, cursor: int, ours: str) -> tuple[str, int] | None:
    """The server's epoch now, and where a pull from `cursor`, counted in `epoch`, starts;
    None if the database lacks this process's epoch `ours`: it was replaced (restored)
    under the running process, which must begin another.

    Newest first, each epoch's history is the one before it up to its `since`: a laptop of
    an earlier epoch holds what the server does up to the least `since` after its own.
    `epoch` None stands for the history before the first epoch (a laptop that has not asked
    yet): taken as the one before the list, as it was the only one then."""
    with engine.connect() as conn:
        top: int = conn.execute(
            select(counters.c.value).where(counters.c.name == "version")
        ).scalar_one()
        listed = conn.execute(
            select(epochs.c.id, epochs.c.since).order_by(epochs.c.number.desc())
        ).all()
    if ours not in {row.id for row in listed}:
        return None
    bound = top
    for row in listed:
        if row.id == epoch:
            return listed[0].id, min(cursor, bound)
        bound = min(bound, int(row.since))
    if epoch is None:
        return listed[0].id, min(cursor, bound)
    return listed[0].id, 0
