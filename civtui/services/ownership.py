"""One owner of a profile at a time: the open app, or a command that replaces its files.

The lock is an OS file lock (`filelock`: flock on Linux and macOS, LockFileEx on Windows)
on `civtui.db.lock` beside the profile. An OS lock is released by the kernel when its
process ends, even by kill -9 or a power cut, so a crashed app never leaves a profile
locked; SQLite's own locks could not serve here, as they are taken per transaction and
a restore or a key change replaces the file they live on.

Who holds the lock is written to `civtui.db.owner.json` (process id, when, what), so a
refusal can name the process. That file is only a note: the lock is the truth.

Every CLI command that opens the profile (`sync`, `backup`, `export`, `status`, ...)
holds a *shared* lock on `civtui.db.use.lock` for as long as it has the file open, and the
steps that replace the file (`exclusive`) take it exclusively, refusing at once while any
command has it. SQLite's own locking keeps such commands safe beside the app (the online
backup API, normal transactions), but not beside a restore, which moves the file and its
WAL aside: a sync still writing would write into the copy put aside, and its changes would
be lost. Refused rather than waited for, because the step was asked for at a terminal just
now, and a sync on a ferry's 2G link can hold the profile for minutes: a message saying
what to wait for beats a prompt that seems to hang. The lock is filelock's ReadWriteLock
(SQLite's own shared and exclusive locks on a file of its own), as filelock's FileLock has
no shared mode; like any OS lock it is dropped when its process dies.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, ReadWriteLock, Timeout

from civtui.i18n import said
from db.connection import PRIVATE_FILE, create_private, private_folder

LOCK_SUFFIX = ".lock"
OWNER_SUFFIX = ".owner.json"
USE_SUFFIX = ".use.lock"


class ProfileBusyError(RuntimeError):
    """Another process holds the profile; the message (an i18n.Said) names it and the fix."""


@dataclass(frozen=True)
class Owner:
    """What the holder of a profile's lock wrote about itself."""

    pid: int
    since: str
    what: str


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + LOCK_SUFFIX)


def owner_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + OWNER_SUFFIX)


def use_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + USE_SUFFIX)


def _use_lock(db_path: Path) -> ReadWriteLock:
    """The shared/exclusive lock of commands using the profile; never waits."""
    path = use_path(db_path)
    # Made 0600 before SQLite (inside ReadWriteLock) creates it with the umask's mode.
    create_private(path)
    # is_singleton=False: a test (or a future in-process caller) holding a shared lock must
    # meet an exclusive request from the same process as a conflict, not a mode change.
    return ReadWriteLock(path, timeout=0, blocking=False, is_singleton=False)


def _read_owner(db_path: Path) -> Owner | None:
    try:
        data = json.loads(owner_path(db_path).read_text(encoding="utf-8"))
        return Owner(int(data["pid"]), str(data["since"]), str(data["what"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def busy_message(db_path: Path, owner: Owner | None) -> ProfileBusyError:
    profile = db_path.parent.name
    if owner is None or owner.pid <= 0:
        return ProfileBusyError(said("owner.busy_unknown", profile=profile))
    key = "owner.busy_app" if owner.what == "app" else "owner.busy_command"
    return ProfileBusyError(
        said(key, profile=profile, pid=owner.pid, since=owner.since, what=owner.what)
    )


class ProfileLock:
    """The lock on one profile, held by this process between acquire() and release()."""

    def __init__(self, db_path: Path, what: str) -> None:
        self.db_path = db_path
        self.what = what
        self._lock = FileLock(lock_path(db_path), mode=PRIVATE_FILE, thread_local=False)

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def acquire(self) -> None:
        """Take the lock now or raise ProfileBusyError naming who has it."""
        private_folder(self.db_path.parent)
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            raise busy_message(self.db_path, _read_owner(self.db_path)) from None
        note = {
            "pid": os.getpid(),
            "since": dt.datetime.now().isoformat(timespec="seconds"),
            "what": self.what,
        }
        path = owner_path(self.db_path)
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(note, f)
        tmp.replace(path)

    def release(self) -> None:
        if not self._lock.is_locked:
            return
        owner_path(self.db_path).unlink(missing_ok=True)
        self._lock.release()


def holder(db_path: Path) -> Owner | None:
    """Who holds the profile now (None: nobody); asks the lock, not the note."""
    if not db_path.parent.exists():
        return None
    probe = FileLock(lock_path(db_path), mode=PRIVATE_FILE, thread_local=False)
    try:
        probe.acquire(timeout=0)
    except Timeout:
        return _read_owner(db_path) or Owner(0, "?", "?")
    probe.release()
    return None


@contextmanager
def exclusive(db_path: Path, what: str) -> Iterator[ProfileLock]:
    """Hold the profile for a step that replaces its files; ProfileBusyError if it is open
    in the app or another step, or in use by a command (`sync`, `backup`, ...)."""
    lock = ProfileLock(db_path, what)
    lock.acquire()
    try:
        use = _use_lock(db_path)
        try:
            use.acquire_write()
        except Timeout:
            use.close()
            raise ProfileBusyError(
                said("owner.busy_shared", profile=db_path.parent.name, what=what)
            ) from None
        try:
            yield lock
        finally:
            use.close()
    finally:
        lock.release()


@contextmanager
def sharing(db_path: Path) -> Iterator[None]:
    """Use the profile beside the app and other commands, but not while a step replaces its
    files (ProfileBusyError naming that step)."""
    use = _use_lock(db_path)
    try:
        use.acquire_read()
    except Timeout:
        use.close()
        raise busy_message(db_path, _read_owner(db_path)) from None
    try:
        yield
    finally:
        use.close()
