"""Backups of a profile, taken while it is open, and putting one back.

A backup is made with SQLite's online backup API (safe while the app or a sync is writing)
and is encrypted with the profile's own key, like the profile. Beside it goes a copy of
key.json (nothing secret: which key, and scrypt's salt for a passphrase-derived one), so a
backup says which key opens it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from civtui.domain.clock import Clock
from civtui.i18n import said
from civtui.services import keys, ownership
from civtui.services.profile import Profile, Settings, write_private
from db import Store
from db.connection import DatabaseError, backup, create_private, private_folder, raw_connect

#: When the last backup of a profile was taken (ISO time): a file beside the profile, not
#: a row in it, so that taking a backup never writes to the database it copies (a second
#: writer would make the app's own saves wait, or fail as busy).
LAST_BACKUP = "last-backup.txt"
_NAME = re.compile(r"^civtui-(?P<profile>[\w\-]+)-(?P<stamp>\d{8}-\d{6})\.db$")


#: The points between restore's file steps, in order. The kill test
#: (tests/test_profile_owner.py) sets RESTORE_PAUSE_ENV to one of them: restore stops
#: itself there (SIGSTOP) and is killed exactly at that point, which random kill times,
#: mostly falling in start-up, would seldom hit.
RESTORE_STEPS = ("checked", "copied", "checkpointed", "kept", "wal-aside", "shm-aside", "renamed")
RESTORE_PAUSE_ENV = "CIVTUI_TEST_RESTORE_PAUSE_AT"


def _reached(step: str) -> None:
    stop = getattr(signal, "SIGSTOP", None)  # POSIX only; the kill test runs there
    if stop is not None and os.environ.get(RESTORE_PAUSE_ENV) == step:
        os.kill(os.getpid(), stop)


class BackupError(ValueError):
    """A file cannot be restored; the message (an i18n.Said) says why."""


def backup_name(profile: str, when: dt.datetime) -> str:
    return f"civtui-{profile}-{when:%Y%m%d-%H%M%S}.db"


def take(store: Store, folder: Path, profile: str, clock: Clock) -> Path:
    """Back the open `store` up into `folder`; returns the backup's path."""
    now = clock.now()
    private_folder(folder)
    target = folder / backup_name(profile, now)
    backup(store.db, target, store.key)
    info = keys.info_path(store.path)
    if info.exists():
        write_private(target.with_name(target.name + ".key.json"), info.read_text("utf-8"))
    write_private(store.path.with_name(LAST_BACKUP), now.isoformat(timespec="seconds"))
    return target


def last_backup(store: Store) -> dt.datetime | None:
    try:
        text = store.path.with_name(LAST_BACKUP).read_text().strip()
        return dt.datetime.fromisoformat(text)
    except (FileNotFoundError, ValueError):
        return None


def overdue(store: Store, settings: Settings, now: dt.datetime) -> bool:
    """Whether the last backup is older than the setting says backups should be."""
    last = last_backup(store)
    return last is None or now - last >= dt.timedelta(hours=settings.backup_every_hours)


def backups_in(folder: Path, profile: str) -> list[Path]:
    """This profile's backups in `folder`, oldest first."""
    found = [
        p
        for p in folder.glob(f"civtui-{profile}-*.db")
        if (m := _NAME.match(p.name)) and m["profile"] == profile
    ]
    return sorted(found, key=lambda p: p.name)


def prune(folder: Path, profile: str, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups of `profile` in `folder`; returns the removed."""
    old = backups_in(folder, profile)[: -keep or None] if keep > 0 else []
    for path in old:
        path.unlink(missing_ok=True)
        path.with_name(path.name + ".key.json").unlink(missing_ok=True)
    return old


def automatic(store: Store, profile: str, settings: Settings, clock: Clock) -> Path | None:
    """The rolling automatic backup: taken when due into settings.backup_dir, old ones pruned."""
    if not settings.backup_dir or not overdue(store, settings, clock.now()):
        return None
    folder = Path(settings.backup_dir).expanduser()
    path = take(store, folder, profile, clock)
    prune(folder, profile, settings.backups_kept)
    return path


@dataclass(frozen=True)
class Checked:
    """A backup file that opens with the profile's key and passes integrity_check."""

    path: Path
    taken: dt.datetime | None


def check(profile: Profile, file: Path) -> Checked:
    """Open `file` with the profile's key and check every page; BackupError if it fails.

    On a laptop without the profile yet, the backup's key.json (beside it) says which key
    opens it: for a keyring key, `civtui key import` is then asked for by name; for a
    passphrase, the passphrase.
    """
    sidecar = file.with_name(file.name + ".key.json")
    if keys.read_info(profile.db_path) is None and not profile.exists() and sidecar.exists():
        private_folder(profile.folder)
        write_private(keys.info_path(profile.db_path), sidecar.read_text(encoding="utf-8"))
    key = keys.key_for(profile.db_path)
    if not file.is_file():
        raise BackupError(said("restore.bad", path=file, detail="not a file"))
    try:
        conn = raw_connect(file, key)
        try:
            result = conn.execute("PRAGMA integrity_check").fetchall()
        finally:
            conn.close()
    except DatabaseError as exc:
        raise BackupError(said("restore.bad", path=file, detail=exc)) from None
    if result != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in result[:3])
        raise BackupError(said("restore.bad", path=file, detail=detail))
    match = _NAME.match(file.name)
    taken = dt.datetime.strptime(match["stamp"], "%Y%m%d-%H%M%S") if match else None
    return Checked(file, taken)


def restore(profile: Profile, file: Path, clock: Clock) -> Path | None:
    """Put the backup `file` in place of the (closed) profile; returns where the old one went.

    Refused (ownership.ProfileBusyError) while the app or another step holds the profile.
    The current file is kept, encrypted, beside the profile, with its -wal and -shm. The
    restored copy's change log says less than the server knows, and the next sync sees that
    and carries on as a new device, downloading everything (sync.client: the restored-copy
    path).

    Every step leaves either the old profile or the restored one in place, never a mix: the
    copy is made and checked under another name, the old file's WAL is checkpointed into it
    before anything is moved, the old file is kept by a hard link, and the copy takes the
    profile's name in one rename.
    """
    with ownership.exclusive(profile.db_path, "restore"):
        check(profile, file)
        _reached("checked")
        key = keys.key_for(profile.db_path)
        path = profile.db_path
        staging = path.with_name(path.name + ".restoring")
        source = raw_connect(file, key)
        try:
            dest = raw_connect(_fresh(staging), key)
            try:
                source.backup(dest)
                if dest.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                    raise BackupError(said("restore.bad", path=file, detail="copy"))
            finally:
                dest.close()
        finally:
            source.close()
        _fsync(staging)
        _reached("copied")
        moved = None
        if path.exists():
            moved = path.with_name(f"{path.name}.before-restore-{clock.now():%Y%m%d-%H%M%S}.bak")
            _checkpoint(path, key)
            _reached("checkpointed")
            _keep(path, moved)
            _reached("kept")
            for suffix in ("-wal", "-shm"):
                part = path.with_name(path.name + suffix)
                if part.exists():
                    part.replace(moved.with_name(moved.name + suffix))
                _reached(f"{suffix[1:]}-aside")
        staging.replace(path)
        _reached("renamed")
        _fsync(path.parent)
        return moved


def _checkpoint(path: Path, key: bytes | None) -> None:
    """Move everything committed in the WAL into the main file, so the file alone is whole."""
    conn = raw_connect(path, key)
    try:
        busy, log, done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        conn.close()
    if busy or (log > 0 and done != log):
        raise BackupError(said("restore.busy", path=path))


def _keep(path: Path, moved: Path) -> None:
    """Keep the old file under `moved`: a hard link, so nothing is copied and the name the
    profile goes by is never missing; a copy where the file system has no hard links."""
    moved.unlink(missing_ok=True)
    try:
        os.link(path, moved)
    except OSError:
        tmp = moved.with_name(moved.name + ".tmp")
        shutil.copyfile(path, tmp)
        _fsync(tmp)
        tmp.replace(moved)


def _fsync(path: Path) -> None:
    """Flush `path` (a file, or a folder's entries) to disk; folders cannot be on Windows."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fresh(path: Path) -> Path:
    path.unlink(missing_ok=True)
    create_private(path)
    return path
