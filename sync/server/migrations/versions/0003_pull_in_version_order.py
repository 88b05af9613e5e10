"""One index a pull walks in version order, reading the village from it.

With an index on village_code alone, SQLite answered every pull page by reading all of
the villages' records and sorting them: pulling N records cost N²/500 row reads.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.execute("DROP INDEX ix_records_village_code")
    op.execute("DROP INDEX ix_records_version")
    op.execute("CREATE INDEX ix_records_version_village ON records (version, village_code)")
