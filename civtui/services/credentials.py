"""Where the sync token lives: the OS keyring, or CIVTUI_TOKEN; never a file or a log."""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError

from db import Store, outbox

SERVICE = "civtui"
NO_KEYRING = (
    "本机没有可用的系统密码库（keyring），令牌无法安全保存。"
    "请安装并解锁系统密码库（Windows 凭据管理器、macOS 钥匙串，或 Linux 的 GNOME Keyring / KWallet），"
    "或者不保存令牌、每次通过环境变量 CIVTUI_TOKEN 提供"
)


class CredentialError(RuntimeError):
    """The token cannot be stored or read; the message says how to fix it."""


def _account(profile: str, server: str) -> str:
    return f"{profile}@{server}"


def save(profile: str, server: str, token: str) -> None:
    try:
        keyring.set_password(SERVICE, _account(profile, server), token)
    except KeyringError:
        raise CredentialError(NO_KEYRING) from None


def load(profile: str, server: str) -> str | None:
    """CIVTUI_TOKEN if set, else the keyring's entry; None when neither has one."""
    env = os.environ.get("CIVTUI_TOKEN")
    if env:
        return env.strip()
    try:
        return keyring.get_password(SERVICE, _account(profile, server))
    except KeyringError:
        return None


def target(
    profile: str, store: Store, given_url: str | None = None
) -> tuple[str | None, str | None]:
    """The server to sync with and its token: --server, else CIVTUI_SERVER, else the login's."""
    url = given_url or os.environ.get("CIVTUI_SERVER") or store.get_meta(outbox.SERVER_URL)
    return url, (load(profile, url) if url else None)
