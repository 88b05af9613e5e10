"""Sync on a USB stick, for the CLI and the 待同步 page: the token from the keyring, the
file's name and its safe writing around `sync.bundle`."""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from civtui.services import credentials
from db import Store, queries
from sync import bundle
from sync.bundle import Exported, Progress, read_file, write_file
from sync.client import SyncReport
from sync.sealed import SUFFIX, ServerKey

__all__ = ["SUFFIX", "read_file", "write_file"]


class NotLoggedInError(Exception):
    """No token for this profile: a bundle is signed with it, so `civtui login` comes first
    (online once, or `--offline` on a laptop that never reaches the server). `url`: the
    server this profile knows of, if any, for the message to name."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url)
        self.url = url


def _token(profile: str, store: Store) -> str:
    url, token = credentials.target(profile, store)
    if url is None:
        # A laptop that never went online has no server address (its key came with
        # `bundle trust`): a bundle needs only the token, here from CIVTUI_TOKEN.
        token = os.environ.get("CIVTUI_TOKEN", "").strip() or None
    if not token:
        raise NotLoggedInError(url)
    return token


def default_name(store: Store, day: dt.date) -> str:
    """A bundle's file name: the first village's code and the date, nothing about anyone."""
    villages = sorted(queries.village_names(store))
    return bundle.file_name(villages[0] if villages else "civtui", day)


def unused_path(folder: Path, name: str) -> Path:
    """`name` in `folder`, or, when a file of that name is there, the first free of
    `…-2`, `…-3`, … before its suffix: a second bundle of the day must not replace the
    first, which may not have reached the township yet."""
    path = folder / name
    stem, suffix = path.stem, path.suffix
    number = 1
    while path.exists() or path.with_name(path.name + ".part").exists():
        number += 1
        path = folder / f"{stem}-{number}{suffix}"
    return path


#: Where desktops mount a removable drive, one folder per user (udisks2: /run/media/$USER
#: on Fedora and others, /media/$USER on Debian and Ubuntu).
MEDIA_ROOTS = (Path("/run/media"), Path("/media"))


def default_folder() -> Path:
    """Where the bundle dialogs start: the first mounted removable drive, where a bundle
    goes and its reply comes from; else the documents folder; else the home folder."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name: no per-user mount folder either
        user = ""
    for root in MEDIA_ROOTS if user else ():
        try:
            drives = sorted(p for p in (root / user).iterdir() if p.is_dir())
        except OSError:
            continue
        for drive in drives:
            if os.path.ismount(drive):
                return drive
    documents = Path(platformdirs.user_documents_dir())
    return documents if documents.is_dir() else Path.home()


def export_to(
    profile: str, store: Store, target: Path, progress: Progress | None = None
) -> tuple[Path, Exported]:
    """Write this laptop's bundle to `target`: a folder, where it is named by
    `default_name` (made unique, `unused_path`), or the file named."""
    token = _token(profile, store)
    made = bundle.export(store, token, progress)
    named = default_name(store, store.clock.today())
    path = unused_path(target, named) if target.is_dir() else target
    write_file(path, made.data)
    bundle.note_export(store, made)
    return path, made


def import_reply(
    profile: str, store: Store, data: bytes, progress: Progress | None = None
) -> SyncReport:
    return bundle.import_reply(store, _token(profile, store), data, progress)


def trust(store: Store, text: str, *, replace: bool = False) -> tuple[ServerKey, bool]:
    key = ServerKey.parse(text)
    return key, bundle.trust(store, key, replace=replace)


@dataclass(frozen=True)
class Standing:
    """What the 待同步 page says of bundles: when the last one left, with how many changes,
    and whether a reply to it has come back (and when it was made)."""

    exported_at: str | None
    changes: int
    reply_back: bool
    reply_at: str | None


def standing(store: Store) -> Standing:
    sent = json.loads(store.get_meta(bundle.LAST_EXPORT) or "{}")
    back = json.loads(store.get_meta(bundle.LAST_REPLY) or "{}")
    return Standing(
        exported_at=sent.get("at"),
        changes=int(sent.get("changes", 0)),
        reply_back=bool(sent) and back.get("id") == sent.get("id"),
        reply_at=back.get("at"),
    )
