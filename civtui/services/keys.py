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
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ValidationError

from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.i18n import Said, said
from civtui.services.profile import KEY_FILE as KEY_FILE  # where it always was, for callers
from db.connection import KEY_BYTES, WrongKeyError, create_private, private_folder, raw_connect

if TYPE_CHECKING:
    # The store loads when a profile is opened: the passphrase is asked before the app's
    # first frame, the store imported after it.
    from db import Store

SERVICE = "civtui"
#: Set by scripts and tests that cannot answer a prompt; like CIVTUI_TOKEN, never stored.
PASSPHRASE_ENV = "CIVTUI_PASSPHRASE"
#: scrypt's cost for a passphrase-derived key: N=2^17, r=8, p=1 needs 128 MiB of memory
#: (128·N·r bytes) and about 0.3–0.6 s on one core of a 2020 laptop; OWASP's
#: recommendation for scrypt. Written into key.json, so a later change keeps old profiles.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
#: The only costs a key file or key.json may ask for: the ones civtui writes. They are read
#: from a file anyone could have written, and n=2^24 asks scrypt for 16 GiB (a MemoryError,
#: or a laptop swapping to a halt) while a huge p spins for hours before any check fails.
ACCEPTED_COSTS = frozenset({(SCRYPT_N, SCRYPT_R, SCRYPT_P)})
#: An unlock PIN guards a running app whose key is already in memory, and every wrong try
#: waits longer (screens/lock.py), so it costs less: N=2^14 (16 MiB, ~0.05 s).
PIN_N = 2**14
MIN_PASSPHRASE = 8
MIN_PIN = 4
#: The store meta entry holding the PIN's scrypt hash (inside the encrypted file).
PIN_META = "lock.pin"
#: Wrong unlock entries in a row, and when the last one was (epoch seconds): kept in the
#: encrypted store, so neither a restart nor deleting a file beside it resets the wait.
FAILURES_META = "lock.failures"
FAILED_AT_META = "lock.failed_at"
#: Wrong entries wait 2, 4, 8 … seconds before the next try, at most this long.
MAX_DELAY = 300

#: Keys found in this process, by key id: the keyring (or the passphrase) is asked once.
_unlocked: dict[str, bytes] = {}

#: Asks for a passphrase: (prompt, new) → the passphrase; new=True asks twice. Set by the CLI.
Prompt = Callable[[Said, bool], str]
_prompt: Prompt | None = None


class KeyUnavailableError(RuntimeError):
    """The key cannot be had; the message (an i18n.Said) says what to do."""


class WrongPassphraseError(KeyUnavailableError):
    """The passphrase given does not open the profile: asking again may help."""


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
    """The key itself, as `civtui key export --plain` writes it. Secret."""

    civtui_key: int = 1
    id: str
    key: str
    profile: str
    #: The profile's key.json, so a passphrase-keyed profile can be imported where no
    #: keyring works (its key is then derived from the passphrase again, as before).
    info: KeyInfo | None = None


class WrappedKeyFile(BaseModel):
    """What `civtui key export` writes by default: the KeyFile sealed with a passphrase.

    scrypt (hashlib, the same costs as a profile's passphrase) stretches the passphrase
    into an AES-256-GCM key (the `cryptography` package): a stolen USB stick holding the
    file opens nothing without the passphrase, and a changed byte is refused, not guessed.
    """

    civtui_key: int = 2
    id: str
    profile: str
    salt: str
    n: int
    r: int
    p: int
    nonce: str
    sealed: str


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


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to make a key from, before anyone is asked to repeat it."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise KeyUnavailableError(said("key.passphrase_short"))


def _ask(db_path: Path, *, new: bool) -> str:
    # Taken out of the environment once read: a process the app starts (an editor, a
    # browser for help) must not inherit it, nor anything that reads the app's environment.
    env = os.environ.pop(PASSPHRASE_ENV, None)
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


def keyring_missing() -> bool:
    """Whether this computer has no keyring at all (keyring fell back to its fail backend),
    so a new profile's key must come from a passphrase. A keyring that is there but broken
    is found out only when a key is stored (create_key)."""
    import keyring
    from keyring.backends import fail

    return isinstance(keyring.get_keyring(), fail.Keyring)


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
    check_passphrase(passphrase)
    salt = secrets.token_bytes(16)
    key = derive(passphrase, salt)
    info = KeyInfo(
        id=key_id, source="passphrase", salt=salt.hex(), n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P
    )
    _write_info(db_path, info)
    _unlocked[key_id] = key
    return key


def _check_cost(n: int | None, r: int | None, p: int | None, path: Path) -> None:
    """Refuse scrypt costs civtui never writes (see ACCEPTED_COSTS), before any passphrase
    is asked for."""
    if (n, r, p) not in ACCEPTED_COSTS:
        raise KeyUnavailableError(said("key.file_cost", path=path, n=n, r=r, p=p))


def _derive_checked(passphrase: str, salt: str, n: int, r: int, p: int, path: Path) -> bytes:
    """scrypt with costs from a file: only accepted ones, and a failure is a message."""
    _check_cost(n, r, p, path)
    try:
        return derive(passphrase, bytes.fromhex(salt), n, r, p)
    except (MemoryError, ValueError):
        raise KeyUnavailableError(said("key.bad_file", path=path)) from None


def _derive_for(info: KeyInfo, passphrase: str, path: Path) -> bytes:
    assert info.salt and info.n and info.r and info.p
    return _derive_checked(passphrase, info.salt, info.n, info.r, info.p, path)


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
        _check_cost(info.n, info.r, info.p, info_path(db_path))
        key = _derive_for(info, _ask(db_path, new=False), info_path(db_path))
        if db_path.exists() and not _opens(db_path, key):
            raise WrongPassphraseError(said("key.wrong_passphrase"))
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
    from db import open_store as open_plain_or_keyed

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


def export_key(db_path: Path, target: Path, passphrase: str | None) -> None:
    """Write the profile's key to `target`, sealed with `passphrase` (None: in plain)."""
    info = read_info(db_path)
    key = key_for(db_path)
    if info is None or key is None:
        raise KeyUnavailableError(said("key.not_encrypted", profile=_profile_name(db_path)))
    file = KeyFile(id=info.id, key=key.hex(), profile=_profile_name(db_path), info=info)
    plain = file.model_dump_json(indent=2, exclude_none=True)
    if passphrase is None:
        _write_private(target, plain)
        return
    check_passphrase(passphrase)
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = secrets.token_bytes(16), secrets.token_bytes(12)
    wrapping = derive(passphrase, salt)
    sealed = AESGCM(wrapping).encrypt(nonce, plain.encode("utf-8"), file.id.encode())
    wrapped = WrappedKeyFile(
        id=file.id,
        profile=file.profile,
        salt=salt.hex(),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        nonce=nonce.hex(),
        sealed=sealed.hex(),
    )
    _write_private(target, wrapped.model_dump_json(indent=2))


def read_key_file(source: Path, ask: Callable[[], str] | None = None) -> KeyFile:
    """The key in `source`; a sealed file asks `ask` for its passphrase."""
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
        sealed = isinstance(data, dict) and data.get("civtui_key") == 2
        wrapped = WrappedKeyFile.model_validate(data) if sealed else None
        file = None if sealed else KeyFile.model_validate(data)
    except (OSError, ValidationError, UnicodeDecodeError, ValueError):
        raise KeyUnavailableError(said("key.bad_file", path=source)) from None
    if wrapped is not None:
        file = _unseal(wrapped, source, ask)
    assert file is not None
    try:
        if len(bytes.fromhex(file.key)) != KEY_BYTES:
            raise ValueError("wrong length")
    except ValueError:
        raise KeyUnavailableError(said("key.bad_file", path=source)) from None
    return file


def _unseal(wrapped: WrappedKeyFile, source: Path, ask: Callable[[], str] | None) -> KeyFile:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    _check_cost(wrapped.n, wrapped.r, wrapped.p, source)
    if ask is None:
        raise KeyUnavailableError(said("key.file_needs_passphrase", path=source))
    wrapping = _derive_checked(ask(), wrapped.salt, wrapped.n, wrapped.r, wrapped.p, source)
    try:
        plain = AESGCM(wrapping).decrypt(
            bytes.fromhex(wrapped.nonce), bytes.fromhex(wrapped.sealed), wrapped.id.encode()
        )
        return KeyFile.model_validate_json(plain)
    except InvalidTag:
        raise KeyUnavailableError(said("key.file_wrong_passphrase", path=source)) from None
    except (ValueError, ValidationError):
        raise KeyUnavailableError(said("key.bad_file", path=source)) from None


def import_key(
    db_path: Path,
    source: Path,
    *,
    force: bool = False,
    even_if_wrong: bool = False,
    ask: Callable[[], str] | None = None,
) -> Path | None:
    """Make the key in `source` this profile's key; returns where the old key.json was kept.

    Refused while the app holds the profile (ownership.ProfileBusyError). A profile that
    has a key already keeps it unless `force`, and the old key.json is then kept beside it
    (for a passphrase key it holds scrypt's salt: without it the passphrase opens nothing).
    A key that does not open the profile's file is refused even with `force`, unless
    `even_if_wrong` says so a second time: importing the wrong key must not make a profile
    unreadable by a slip.
    """
    from civtui.services import ownership

    file = read_key_file(source, ask)
    key = bytes.fromhex(file.key)
    profile = _profile_name(db_path)
    with ownership.exclusive(db_path, "key import"):
        current = read_info(db_path)
        if current is not None and current.id != file.id and not force:
            raise KeyUnavailableError(said("key.import_has_key", profile=profile))
        if db_path.exists() and not _opens(db_path, key):
            if not force:
                raise KeyUnavailableError(said("key.import_mismatch", profile=profile))
            if not even_if_wrong:
                raise KeyUnavailableError(said("key.import_mismatch_force", profile=profile))
        private_folder(db_path.parent)
        if _store_in_keyring(file.id, key):
            new_info = KeyInfo(id=file.id, source="keyring")
        elif file.info is not None and file.info.source == "passphrase":
            # It becomes key.json, whose costs are asked of scrypt at every start.
            _check_cost(file.info.n, file.info.r, file.info.p, source)
            new_info = file.info
        else:
            raise KeyUnavailableError(said("key.import_no_keyring"))
        kept = None
        if current is not None:
            stamp = secrets.token_hex(3)
            kept = info_path(db_path).with_name(f"{KEY_FILE}.before-import-{stamp}")
            _write_private(kept, info_path(db_path).read_text(encoding="utf-8"))
        _write_info(db_path, new_info)
        _unlocked[file.id] = key
        return kept


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
    return hmac.compare_digest(_derive_for(info, secret, info_path(store.path)), store.key)


def delay_after(failures: int) -> int:
    """Seconds to wait after `failures` wrong entries in a row."""
    return 0 if failures <= 0 else min(MAX_DELAY, 2**failures)


def failures(store: Store) -> int:
    try:
        return int(store.get_meta(FAILURES_META) or 0)
    except ValueError:
        return 0


def wait_left(store: Store, now: float) -> float:
    """Seconds before the next unlock try is heard (0: now)."""
    try:
        failed_at = float(store.get_meta(FAILED_AT_META) or 0)
    except ValueError:
        failed_at = 0.0
    # A clock set back must not make the wait endless: never more than the delay itself.
    delay = float(delay_after(failures(store)))
    return max(0.0, min(delay, failed_at + delay - now))


class UnlockAnswer(BaseModel):
    """What an unlock try came to: in, or the count of wrong tries and the wait now due."""

    ok: bool
    failures: int = 0
    wait: float = 0.0
    #: The secret was not even checked: an earlier wrong one's wait was still running.
    too_soon: bool = False


def try_unlock(store: Store, secret: str, now: float) -> UnlockAnswer:
    """Check `secret` unless a wait is due; a wrong one is counted in the store."""
    left = wait_left(store, now)
    if left > 0:
        return UnlockAnswer(ok=False, failures=failures(store), wait=left, too_soon=True)
    if check_unlock(store, secret):
        if failures(store):
            with store.transaction():
                store.set_meta(FAILURES_META, "0")
        return UnlockAnswer(ok=True)
    count = failures(store) + 1
    with store.transaction():
        store.set_meta(FAILURES_META, str(count))
        store.set_meta(FAILED_AT_META, repr(now))
    return UnlockAnswer(ok=False, failures=count, wait=float(delay_after(count)))


def change_pin(store: Store, current: str | None, new: str, now: float) -> None:
    """Set the PIN; one set already is changed only by whoever knows it (`current`)."""
    if store.get_meta(PIN_META):
        answer = try_unlock(store, current or "", now)
        if not answer.ok:
            key = "key.pin_wait" if answer.too_soon else "key.pin_wrong"
            raise KeyUnavailableError(said(key, seconds=int(answer.wait) + 1, n=answer.failures))
    set_pin(store, new)
