"""A digest of each applied change: a device restored from an old copy reuses seqs."""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.execute("ALTER TABLE change_results ADD COLUMN fingerprint VARCHAR(32)")
