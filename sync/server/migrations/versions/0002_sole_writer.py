"""Which device alone wrote a record, so a pull need not echo a device's own records."""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.execute("ALTER TABLE records ADD COLUMN sole_device VARCHAR(64)")
