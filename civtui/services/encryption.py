"""`civtui encrypt`: turning a plain profile (made before encryption) into an encrypted one.

Safely: copy into a new encrypted file, check the copy holds exactly what the original
does, swap it in, and only then remove the plain file. Plain safety copies (.bak) in the
profile's folder are encrypted the same way: they hold the same personal data.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from civtui.i18n import said
from civtui.services import keys, ownership
from civtui.services.profile import Profile
from db.connection import DatabaseError, encrypt_copy, is_plain, raw_connect


class EncryptError(RuntimeError):
    """The encrypted copy was not right; the profile was left as it was."""


def _digest(conn: Any) -> dict[str, str]:
    """A digest of every table's rows, to compare the plain and the encrypted file."""
    tables = [
        str(r[0])
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            " ORDER BY name"
        )
    ]
    out = {}
    for table in tables:
        h = hashlib.sha256()
        # Sorted here: not every table has a rowid to order by (WITHOUT ROWID, FTS).
        for line in sorted(repr(row) for row in conn.execute(f"SELECT * FROM [{table}]")):
            h.update(line.encode())
        out[table] = h.hexdigest()
    return out


def _checked_copy(source: Path, target: Path, key: bytes) -> None:
    """Encrypt `source` into `target` and check that it is whole and the same."""
    plain = raw_connect(source, None)
    try:
        # The WAL's pages go into the main file first: sqlcipher_export reads through the
        # connection anyway, but a checkpoint leaves no plain -wal behind.
        plain.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        expected = _digest(plain)
    finally:
        plain.close()
    encrypt_copy(source, target, key)
    try:
        copy = raw_connect(target, key)
        try:
            check = copy.execute("PRAGMA integrity_check").fetchall()
            got = _digest(copy)
        finally:
            copy.close()
    except DatabaseError as exc:
        raise EncryptError(said("encrypt.verify_failed", detail=exc)) from exc
    if check != [("ok",)] or got != expected:
        differ = sorted(t for t in expected.keys() | got.keys() if expected.get(t) != got.get(t))
        detail = check[0][0] if check != [("ok",)] else ", ".join(differ)
        raise EncryptError(said("encrypt.verify_failed", detail=detail))


def _remove_plain(path: Path) -> None:
    """Remove a plain file, overwriting it first so its pages do not simply stay on disk.

    (On SSDs and journaling file systems this is best effort; the encryption of everything
    written from now on is what protects the data.)
    """
    for suffix in ("-wal", "-shm", ""):
        part = path.with_name(path.name + suffix)
        if not part.exists():
            continue
        size = part.stat().st_size
        with part.open("r+b") as f:
            f.write(b"\0" * size)
            f.flush()
            os.fsync(f.fileno())
        part.unlink()


def encrypt_profile(profile: Profile) -> bool:
    """Encrypt the plain profile; False if it was encrypted already.

    Refused (ownership.ProfileBusyError) while the app or another step holds the profile.
    """
    with ownership.exclusive(profile.db_path, "encrypt"):
        return _encrypt(profile)


def _encrypt(profile: Profile) -> bool:
    path = profile.db_path
    if keys.is_encrypted(path) or not is_plain(path):
        return False
    key = keys.create_key(path)
    staging = path.with_name(path.name + ".encrypting")
    try:
        _checked_copy(path, staging, key)
    except BaseException:
        staging.unlink(missing_ok=True)
        keys.info_path(path).unlink(missing_ok=True)
        raise
    plain = path.with_name(path.name + ".plain")
    for suffix in ("", "-wal", "-shm"):
        old = path.with_name(path.name + suffix)
        if old.exists():
            old.replace(plain.with_name(plain.name + suffix))
    staging.replace(path)
    _remove_plain(plain)
    for copy in sorted(path.parent.glob(f"{path.name}.*.bak")):
        if is_plain(copy):
            staged = copy.with_name(copy.name + ".encrypting")
            _checked_copy(copy, staged, key)
            held = copy.with_name(copy.name + ".plain")
            copy.replace(held)
            staged.replace(copy)
            _remove_plain(held)
    return True
