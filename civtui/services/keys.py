"""A profile's encryption key: made, kept, found, exported and imported.

The key is 32 random bytes kept in the OS keyring (service "civtui", account "key:<id>").
Where no keyring works, the key is derived from a passphrase asked at start, with scrypt:
memory-hard, so guessing passphrases for a stolen disk costs memory as well as time.
Beside the database, `key.json` says which (its id, its source, scrypt's salt and cost);
it holds nothing secret. The key itself is never written anywhere in plain but in the file
the user asks `civtui key export` for.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.i18n import Said
from civtui.i18n_security import said
from db import Store
from db import open_store as open_plain_or_keyed
from db.connection import KEY_BYTES, WrongKeyError, create_private, raw_connect

SERVICE = "civtui"
KEY_FILE = "key.json"
#: Set by scripts and tests that cannot answer a prompt; like CIVTUI_TOKEN, never stored.
PASSPHRASE_ENV = "CIVTUI_PASSPHRASE"
#: scrypt's cost for a passphrase-derived key: N=2^17, r=8, p=1 needs 128 MiB of memory
#: (128·N·r bytes) and about 0.3–0.6 s on one core of a 2020 laptop; OWASP's
#: recommendation for scrypt. Written into key.json, so a later change keeps old profiles.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: An unlock PIN guards a running app whose key is already in memory, and every wrong try
#: waits longer (screens/lock.py), so it costs less: N=2^14 (16 MiB, ~0.05 s).
PIN_N = 2**14
MIN_PASSPHRASE = 8
MIN_PIN = 4
#: The store meta entry holding the PIN's scrypt hash (inside the encrypted file).
PIN_META = "lock.pin"

#: Keys found in this process, by key id: the keyring (or the passphrase) is asked once.
_unlocked: dict[str, bytes] = {}

#: Asks for a passphrase: (prompt, new) → the passphrase; new=True asks twice. Set by the CLI.
Prompt = Callable[[Said, bool], str]
_prompt: Prompt | None = None


class KeyUnavailableError(RuntimeError):
    """The key cannot be had; the message (an i18n.Said) says what to do."""


class KeyInfo(BaseModel):
    """What key.json says: where the key comes from. Nothing secret."""

    version: int = 1
    id: str
    source: Literal["keyring", "passphrase"]
    #: scrypt's salt (hex) and cost, for a passphrase-derived key.
    salt: str | None = None
    n: int | None = None
    r: int | None = None
    p: int | None = None


class KeyFile(BaseModel):
    """What `civtui key export` writes: the key itself. Secret."""

    civtui_key: int = 1
    id: str
    key: str
    profile: str


def set_prompt(prompt: Prompt | None) -> None:
    """How to ask for a passphrase in this process (the CLI's terminal prompt), or None."""
    global _prompt
    _prompt = prompt


def info_path(db_path: Path) -> Path:
    return db_path.with_name(KEY_FILE)


def read_info(db_path: Path) -> KeyInfo | None:
    """The profile's key.json; None for a profile made before encryption."""
    try:
        return KeyInfo.model_validate_json(info_path(db_path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (ValidationError, UnicodeDecodeError):
        raise KeyUnavailableError(said("key.bad_file", path=info_path(db_path))) from None


def _write_private(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    create_private(tmp)
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _write_info(db_path: Path, info: KeyInfo) -> None:
    _write_private(info_path(db_path), info.model_dump_json(indent=2, exclude_none=True))


def _account(key_id: str) -> str:
    return f"key:{key_id}"


def _profile_name(db_path: Path) -> str:
    return db_path.parent.name


def derive(
    passphrase: str, salt: bytes, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> bytes:
    """The key scrypt derives from `passphrase` (maxmem: what N and r need, and a margin)."""
    return hashlib.scrypt(
        passphrase.encode("utf-8"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 1024 * 1024,
        dklen=KEY_BYTES,
    )


def _ask(db_path: Path, *, new: bool) -> str:
    env = os.environ.get(PASSPHRASE_ENV)
    if env:
        return env
    if _prompt is None:
        raise KeyUnavailableError(said("key.no_keyring_no_passphrase"))
    key = "key.passphrase_new" if new else "key.passphrase_prompt"
    return _prompt(said(key, profile=_profile_name(db_path)), new)


def _store_in_keyring(key_id: str, key: bytes) -> bool:
    """Keep `key` in the keyring; False where no keyring works (it is then not kept)."""
    # keyring loads when a key is looked for: a plain profile's start does not pay for it.
    import keyring
    from keyring.errors import KeyringError

    try:
        keyring.set_password(SERVICE, _account(key_id), key.hex())
        # A keyring that takes a secret but cannot give it back (a locked or broken one)
        # would lose the profile: only one that answers counts.
        return keyring.get_password(SERVICE, _account(key_id)) == key.hex()
    except KeyringError:
        return False


def create_key(db_path: Path, passphrase: str | None = None) -> bytes:
    """A new key for the profile at `db_path`: random in the keyring, else from a passphrase.

    `passphrase` forces the passphrase way (and is the passphrase).
    """
    key_id = str(uuid.uuid4())
    if passphrase is None:
        key = secrets.token_bytes(KEY_BYTES)
        if _store_in_keyring(key_id, key):
            _write_info(db_path, KeyInfo(id=key_id, source="keyring"))
            _unlocked[key_id] = key
            return key
        passphrase = _ask(db_path, new=True)
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyUnavailableError(said("key.passphrase_short"))
    salt = secrets.token_bytes(16)
    key = derive(passphrase, salt)
    info = KeyInfo(
        id=key_id, source="passphrase", salt=salt.hex(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P
    )
    _write_info(db_path, info)
    _unlocked[key_id] = key
    return key


def _derive_for(info: KeyInfo, passphrase: str) -> bytes:
    assert info.salt and info.n and info.r and info.p
    return derive(passphrase, bytes.fromhex(info.salt), info.n, info.r, info.p)


def key_for(db_path: Path) -> bytes | None:
    """The key of the profile at `db_path`; None if it is a plain (not yet encrypted) one."""
    info = read_info(db_path)
    if info is None:
        return None
    if info.id in _unlocked:
        return _unlocked[info.id]
    profile = _profile_name(db_path)
    if info.source == "keyring":
        import keyring
        from keyring.errors import KeyringError

        try:
            text = keyring.get_password(SERVICE, _account(info.id))
        except KeyringError:
            raise KeyUnavailableError(said("key.keyring_unavailable", profile=profile)) from None
        if text is None:
            raise KeyUnavailableError(said("key.missing", profile=profile))
        key = bytes.fromhex(text)
    else:
        key = _derive_for(info, _ask(db_path, new=False))
        if db_path.exists() and not _opens(db_path, key):
            raise KeyUnavailableError(said("key.wrong_passphrase"))
    _unlocked[info.id] = key
    return key


def _opens(db_path: Path, key: bytes) -> bool:
    try:
        raw_connect(db_path, key).close()
    except WrongKeyError:
        return False
    return True


def unlock(db_path: Path) -> None:
    """Find the key now (asking for the passphrase if that is its source), not at first use."""
    key_for(db_path)


def forget() -> None:
    """Drop every key found in this process (tests; a CLI run ends anyway)."""
    _unlocked.clear()


def is_encrypted(db_path: Path) -> bool:
    return read_info(db_path) is not None


def open_store(path: Path, clock: Clock = SYSTEM_CLOCK) -> Store:
    """Open the profile database at `path` with its key; a new profile gets a new key.

    db.open_store's signature without the key: callers that open a profile use this.
    """
    if not path.exists() and read_info(path) is None:
        key: bytes | None = create_key(path)  # new profiles are encrypted
    else:
        key = key_for(path)
    try:
        return open_plain_or_keyed(path, clock, key)
    except WrongKeyError:
        raise KeyUnavailableError(
            said("key.wrong_key", profile=_profile_name(path), path=path)
        ) from None


# -- export and import ------------------------------------------------------------


def export_key(db_path: Path, target: Path) -> None:
    """Write the profile's key to `target` (a file the user keeps apart from the laptop)."""
    info = read_info(db_path)
    key = key_for(db_path)
    if info is None or key is None:
        raise KeyUnavailableError(said("key.not_encrypted", profile=_profile_name(db_path)))
    file = KeyFile(id=info.id, key=key.hex(), profile=_profile_name(db_path))
    _write_private(target, file.model_dump_json(indent=2))


def read_key_file(source: Path) -> KeyFile:
    try:
        file = KeyFile.model_validate_json(source.read_text(encoding="utf-8"))
        if len(bytes.fromhex(file.key)) != KEY_BYTES:
            raise ValueError("wrong length")
    except (OSError, ValidationError, UnicodeDecodeError, ValueError):
        raise KeyUnavailableError(said("key.bad_file", path=source)) from None
    return file


def import_key(db_path: Path, source: Path, *, force: bool = False) -> None:
    """Make the key in `source` this profile's key, kept in the keyring.

    If the profile's file exists the key must open it (else `force`): importing the wrong
    key must not make a profile unreadable.
    """
    file = read_key_file(source)
    key = bytes.fromhex(file.key)
    profile = _profile_name(db_path)
    if db_path.exists() and not force and not _opens(db_path, key):
        raise KeyUnavailableError(said("key.import_mismatch", profile=profile))
    db_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not _store_in_keyring(file.id, key):
        raise KeyUnavailableError(said("key.keyring_unavailable", profile=profile))
    _write_info(db_path, KeyInfo(id=file.id, source="keyring"))
    _unlocked[file.id] = key


# -- the app lock's PIN ---------------------------------------------------------------


def set_pin(store: Store, pin: str) -> None:
    """Keep the unlock PIN's scrypt hash in the (encrypted) store."""
    if len(pin) < MIN_PIN:
        raise KeyUnavailableError(said("key.pin_short"))
    salt = secrets.token_bytes(16)
    digest = derive(pin, salt, PIN_N, SCRYPT_R, SCRYPT_P)
    entry = {"salt": salt.hex(), "n": PIN_N, "r": SCRYPT_R, "p": SCRYPT_P, "hash": digest.hex()}
    with store.transaction():
        store.set_meta(PIN_META, json.dumps(entry))


def lock_kind(store: Store) -> Literal["pin", "passphrase"] | None:
    """What unlocks the app: a PIN, the passphrase, or nothing (no PIN set, key in keyring)."""
    if store.get_meta(PIN_META):
        return "pin"
    info = read_info(store.path)
    if info is not None and info.source == "passphrase":
        return "passphrase"
    return None


def check_unlock(store: Store, secret: str) -> bool:
    """Whether `secret` is the PIN (or, without one, the passphrase) of this store."""
    entry_text = store.get_meta(PIN_META)
    if entry_text:
        entry: dict[str, Any] = json.loads(entry_text)
        digest = derive(
            secret, bytes.fromhex(entry["salt"]), int(entry["n"]), int(entry["r"]), int(entry["p"])
        )
        return hmac.compare_digest(digest.hex(), str(entry["hash"]))
    info = read_info(store.path)
    if info is None or info.source != "passphrase" or store.key is None:
        return False
    return hmac.compare_digest(_derive_for(info, secret), store.key)
