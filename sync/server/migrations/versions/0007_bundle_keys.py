"""Sealed bundles (a laptop's sync on a USB stick): the server's key pair, and each token's
public signing key.

The server keeps only a hash of a token, which cannot check a signature, so it keeps the
Ed25519 public key derived from the token's secret too: made when the token is created, or,
for a token made before, the first time it is presented online (`sync.server.tokens`).
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.execute("ALTER TABLE tokens ADD COLUMN bundle_key VARCHAR(64)")
    op.execute(
        "CREATE TABLE server_secrets (name VARCHAR(32) NOT NULL PRIMARY KEY, value TEXT NOT NULL)"
    )
