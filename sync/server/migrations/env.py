"""Alembic's entry point: run on the connection `sync.server.storage.migrate` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

connection: Connection = context.config.attributes["connection"]
# One transaction per migration: a failure leaves the database at the last good version.
context.configure(connection=connection, transaction_per_migration=True)
with context.begin_transaction():
    context.run_migrations()
