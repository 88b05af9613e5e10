"""Alembic's `alembic_version` says the schema's version from now on.

Releases before it kept their own `schema_versions` table (migrations 1-4 above, under the
same numbers). Dropping it also stops such a release from running on this database: it would
take the database for an empty one and fail on its first CREATE TABLE, before writing anything.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.execute("DROP TABLE IF EXISTS schema_versions")
