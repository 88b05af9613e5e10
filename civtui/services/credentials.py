"""Where the sync token lives: the OS keyring, else inside the encrypted profile; or
CIVTUI_TOKEN. Never a plain file or a log.

A laptop with no working keyring keeps the token in the profile's `meta` table: the
profile is encrypted with a passphrase there, so the token is exactly as safe as the
records it gives access to, and `civtui login` and the app's sync work as anywhere else.
A plain (not yet encrypted) profile never holds a token.
"""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError

from civtui.i18n import said
from db import Store, outbox

SERVICE = "civtui"
#: The meta entry holding the token where no keyring works, by server URL.
TOKEN_META = "sync.token:"


class CredentialError(RuntimeError):
    """The token cannot be stored or read; the message says how to fix it."""


def _account(profile: str, server: str) -> str:
    return f"{profile}@{server}"


def _keyring_keeps(account: str, token: str) -> bool:
    """Whether the keyring took the token and gives it back (a broken one may not)."""
    try:
        keyring.set_password(SERVICE, account, token)
        return keyring.get_password(SERVICE, account) == token
    except KeyringError:
        return False


def save(profile: str, server: str, token: str, store: Store | None = None) -> None:
    """Keep `token` in the keyring, else in the encrypted `store`; CredentialError if neither."""
    if _keyring_keeps(_account(profile, server), token):
        return
    if store is None or store.key is None:
        raise CredentialError(said("token.no_keyring_plain", profile=profile))
    with store.transaction():
        store.set_meta(TOKEN_META + server, token)


def load(profile: str, server: str, store: Store | None = None) -> str | None:
    """CIVTUI_TOKEN if set, else the keyring's entry, else the profile's; None if none has one."""
    env = os.environ.get("CIVTUI_TOKEN")
    if env:
        return env.strip()
    try:
        found = keyring.get_password(SERVICE, _account(profile, server))
    except KeyringError:
        found = None
    if found:
        return found
    if store is not None and store.key is not None:
        return store.get_meta(TOKEN_META + server)
    return None


def target(
    profile: str, store: Store, given_url: str | None = None
) -> tuple[str | None, str | None]:
    """The server to sync with and its token: --server, else CIVTUI_SERVER, else the login's."""
    url = given_url or os.environ.get("CIVTUI_SERVER") or store.get_meta(outbox.SERVER_URL)
    return url, (load(profile, url, store) if url else None)
