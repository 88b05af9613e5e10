"""The local store: one SQLite file per profile, its migrations, queries and change log.

Nothing here imports Textual; screens, the CLI and sync all come through `Store`.

`Store` and `open_store` load `db.store` when first asked for, not when the package is:
importing any part of `db` (the connection's file helpers, which the profile lock and the
settings use before the app's first frame) would otherwise load the store, sqlite-utils,
pydantic and every domain model with it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from db.store import Store, open_store

__all__ = ["Store", "open_store"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("db.store"), name)
    raise AttributeError(f"module 'db' has no attribute {name!r}")
