"""A conflict a laptop resolved is closed on the server too, under a version of its own.

Every laptop of the village pulls the resolution (its `resolved_version` lies past their
cursor) and closes the conflict there: one person's choice ends the question everywhere.
Pulls look resolutions up by that version.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.execute("ALTER TABLE conflicts ADD COLUMN resolved_version BIGINT")
    op.execute("ALTER TABLE conflicts ADD COLUMN resolved_by VARCHAR(64)")
    op.execute("CREATE INDEX ix_conflicts_resolved_version ON conflicts (resolved_version)")
