"""The server's schema migrations (Alembic); each released file is frozen, never edited."""
