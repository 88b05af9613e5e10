"""The local store: one SQLite file per profile, its migrations, queries and change log.

Nothing here imports Textual; screens, the CLI and sync all come through `Store`.
"""

from db.store import Store, open_store

__all__ = ["Store", "open_store"]
