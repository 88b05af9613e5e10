"""Epochs: each server process that served the database, in order, and the version top when
it began (`sync.server.epochs`).

A laptop keeps the epoch with its pull cursor. A database restored from a copy brings back
the copy's list, so an epoch made after the copy is unknown to it: the laptop that pulled in
it pulls again from the start, and one whose epoch is in the list pulls from where the two
histories still agree.
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE epochs (id VARCHAR(32) NOT NULL PRIMARY KEY, number BIGINT NOT NULL,"
        " since BIGINT NOT NULL, started_at VARCHAR(40) NOT NULL)"
    )
