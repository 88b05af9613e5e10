"""Opening the profile's SQLite file: private, durable, with foreign keys on."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import sqlite_utils

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: FULL syncs the WAL on every commit: a save that returned survives a power cut.
SYNCHRONOUS = "FULL"


def create_private(path: Path) -> None:
    """Create `path` (and its folder) readable by its owner only, before SQLite touches it."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        os.close(fd)
    if os.name == "posix":
        # An older or copied file may have been world-readable; SQLite gives the
        # -wal and -shm files the same mode as the database, so this covers them.
        path.chmod(PRIVATE_FILE)


def connect(path: Path) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with the pragmas every store needs."""
    create_private(path)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=True)
    db = sqlite_utils.Database(conn)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    return db


def backup(db: sqlite_utils.Database, target: Path) -> None:
    """A consistent copy of the open database at `target`, private like the original."""
    create_private(target)
    dest = sqlite3.connect(target)
    try:
        db.conn.backup(dest)
    finally:
        dest.close()
