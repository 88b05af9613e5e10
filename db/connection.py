"""Opening the profile's SQLite file: encrypted, private, durable, with foreign keys on.

The file is opened through SQLCipher (the `sqlcipher3` module of `sqlcipher3-wheels`: the
standard library's sqlite3 API over SQLCipher, with wheels for Linux, Windows and macOS).
With a key every page on disk — the database, its WAL and any copy made here — is
AES-256 encrypted; without one it is a plain SQLite file, as profiles made before
encryption were (`civtui encrypt` converts them).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from sqlcipher3 import dbapi2 as sqlcipher

if TYPE_CHECKING:
    import sqlite_utils

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: FULL syncs the WAL on every commit: a save that returned survives a power cut.
SYNCHRONOUS = "FULL"
#: A profile key is 32 random bytes, handed to SQLCipher as a raw key: no PBKDF2 at every
#: open (the key is already random, or already stretched by scrypt; see services.keys).
KEY_BYTES = 32
#: The first bytes of every plain SQLite file; an encrypted file starts with random salt.
PLAIN_HEADER = b"SQLite format 3\x00"
#: Prepared statements kept per connection, by SQL text. The standard library keeps 128 and
#: drops the least recently used: the standings' many generated queries pushed the record
#: writes out, and preparing an upsert again compiles every trigger on its table (policy
#: facts, contact months, history), about a millisecond each time, more than the write.
#: A few hundred statements cost a few megabytes at most.
STATEMENT_CACHE = 1024

# SQLCipher's exceptions are its own classes, not the standard library's: code that
# catches database errors catches these.
Error = sqlcipher.Error
DatabaseError = sqlcipher.DatabaseError
OperationalError = sqlcipher.OperationalError
IntegrityError = sqlcipher.IntegrityError


def result_code(exc: BaseException) -> int | None:
    """The primary SQLite result code `exc` carries (an extended code folded into it), or
    None for an error SQLite did not raise. SQLCipher and the standard library's sqlite3
    both set `sqlite_errorcode`; their message texts are not an interface."""
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_busy(exc: BaseException) -> bool:
    """Another connection holds the file (SQLITE_BUSY) or a table in it (SQLITE_LOCKED)."""
    return result_code(exc) in (sqlcipher.SQLITE_BUSY, sqlcipher.SQLITE_LOCKED)


def is_full(exc: BaseException) -> bool:
    """The disk, or the file's page limit, is full (SQLITE_FULL)."""
    return result_code(exc) == sqlcipher.SQLITE_FULL


class WrongKeyError(DatabaseError):
    """The file is encrypted with another key, or is not a database at all."""


def _make_missing(path: Path) -> None:
    """Make `path` and whichever of its parents are missing, each level 0700.

    mkdir(parents=True, mode=...) applies the mode to the last level only: the parents it
    makes get the default (0755 under the usual umask), so a first `key import` or
    `restore` on a new laptop would leave CIVTUI_HOME and profiles/ open to others.
    """
    missing = []
    at = path
    while not at.exists():
        missing.append(at)
        if at.parent == at:
            break
        at = at.parent
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)


def private_folder(path: Path) -> Path:
    """Make `path` and any missing parents, each 0700, and `path` itself 0700 if it was not.

    Folders that were there already are left alone but `path`: a parent may be the user's
    own (their documents folder), and its mode is theirs to choose.
    """
    _make_missing(path)
    if os.name == "posix":
        # A folder on a FAT USB stick, or one that is not ours, has no modes to set.
        with contextlib.suppress(OSError):
            path.chmod(PRIVATE_DIR)
    return path


def create_private(path: Path) -> None:
    """Create `path` (and any missing folders, 0700) readable by its owner only, before
    SQLite touches it; a folder that was there already keeps its mode (it may be the user's)."""
    _make_missing(path.parent)
    if not path.exists():
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        os.close(fd)
    if os.name == "posix":
        # An older or copied file may have been world-readable; SQLite gives the
        # -wal and -shm files the same mode as the database, so this covers them.
        path.chmod(PRIVATE_FILE)


def is_plain(path: Path) -> bool:
    """Whether `path` is an unencrypted SQLite file (an empty or missing file is not)."""
    try:
        with path.open("rb") as f:
            return f.read(len(PLAIN_HEADER)) == PLAIN_HEADER
    except FileNotFoundError:
        return False


def raw_connect(path: Path, key: bytes | None) -> sqlcipher.Connection:
    """A SQLCipher connection to `path` with `key` applied (no key: a plain SQLite file)."""
    conn = sqlcipher.connect(
        str(path),
        isolation_level=None,
        check_same_thread=True,
        cached_statements=STATEMENT_CACHE,
    )
    # A wrong key is reported by the exception; SQLCipher would also print it on stderr,
    # over the TUI.
    conn.execute("PRAGMA cipher_log_level = NONE")
    if key is not None:
        if len(key) != KEY_BYTES:
            conn.close()
            raise ValueError(f"a profile key is {KEY_BYTES} bytes, not {len(key)}")
        # PRAGMA takes no parameters; the key is hex digits only, so nothing can be injected.
        conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        # The key is only checked when the first page is read.
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except DatabaseError as exc:
        conn.close()
        raise WrongKeyError(str(exc)) from exc
    return conn


def connect(path: Path, key: bytes | None = None) -> sqlite_utils.Database:
    """Open (creating if needed) the database at `path` with the pragmas every store needs."""
    # Here, not at the top: the file helpers above are used before the app's first frame
    # (the profile lock, the settings), which opens no database.
    import sqlite_utils

    create_private(path)
    conn = raw_connect(path, key)
    # sqlcipher3's Connection is the standard library's API over another build of SQLite.
    # No sqlite-utils plugins: none is civtui's, any installed would run its own code on the
    # profile's connection, and looking for them reads every installed package's metadata
    # at every start.
    db = sqlite_utils.Database(cast(Any, conn), execute_plugins=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute(f"PRAGMA synchronous={SYNCHRONOUS}")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA busy_timeout=5000")
    # Sorts and the like in memory: SQLite's temporary files would be encrypted and
    # written too, for data that never needs to outlive the statement.
    conn.execute("PRAGMA temp_store=MEMORY")
    return db


def backup(db: sqlite_utils.Database, target: Path, key: bytes | None) -> None:
    """A consistent copy of the open database at `target`, private and keyed like the original.

    SQLite's online backup API: safe while this or another connection is writing.
    """
    target.unlink(missing_ok=True)
    create_private(target)
    dest = raw_connect(target, key)
    try:
        cast(sqlcipher.Connection, db.conn).backup(dest)
    finally:
        dest.close()


def encrypt_copy(source: Path, target: Path, key: bytes) -> None:
    """Copy the plain database `source` into a new encrypted database at `target`.

    The backup API cannot copy between a plain and an encrypted file (their pages differ),
    so this is SQLCipher's documented way: attach the new file with its key and export.
    """
    target.unlink(missing_ok=True)
    create_private(target)
    conn = raw_connect(source, None)
    try:
        conn.execute("ATTACH DATABASE ? AS encrypted KEY ?", [str(target), f"x'{key.hex()}'"])
        conn.execute("SELECT sqlcipher_export('encrypted')")
        conn.execute("DETACH DATABASE encrypted")
    finally:
        conn.close()
