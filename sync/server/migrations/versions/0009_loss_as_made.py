"""A conflict keeps the lost stamp as its laptop made it, beside the one the server read it
back to (`merge._Clamp`).

A conflict is the loss it records (`merge._loss`), named by the lost stamp. An ahead
laptop's stamp is read back by how far its clock runs ahead as each push leaves, so the same
lost edit sent again to a server restored from a copy was read back otherwise and recorded
twice; as made, it is named the same at every send. The read-back stamp stays `lost_hlc`,
the time a history shows. NULL: the two are the same.
"""

from __future__ import annotations

from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    op.execute("ALTER TABLE conflicts ADD COLUMN lost_made VARCHAR(100)")
