"""Former device ids: which id a laptop gave up for which (`merge.FormerIds`), and the
conflicts recorded closed because of it.

A laptop restored from its own backup starts over as a new device, and its next edit of a
field it had edited (and sent) after the backup beats its own older value: that loss is the
profile's own, recorded closed (`conflicts.closed_as_former`) so no laptop shows it. Until
the old id speaks again: then a copy of the profile kept it (a clone), the loss was another
laptop's, and it is opened again. `since` and `heard` are the versions at which the server
learned each.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"


def upgrade() -> None:
    op.execute(
        "CREATE TABLE former_ids (former_id VARCHAR(64) NOT NULL, device_id VARCHAR(64) NOT NULL,"
        " since BIGINT NOT NULL, heard BIGINT, PRIMARY KEY (former_id, device_id))"
    )
    op.execute("ALTER TABLE conflicts ADD COLUMN closed_as_former BOOLEAN")
