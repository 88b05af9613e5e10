"""The profile key through a real Secret Service: gnome-keyring on a private D-Bus session.

`python3 scripts/dev.py test` (and so CI) runs pytest inside `dbus-run-session` with an
unlocked throwaway gnome-keyring and sets CIVTUI_TEST_SECRET_SERVICE=1; there, and in CI,
a Secret Service that does not answer fails these tests. Run by hand without one, they skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend

from civtui.cli import main
from civtui.services import keys
from civtui.services.profile import Profile
from tests.conftest import INIT, TODAY

REQUIRED = os.environ.get("CIVTUI_TEST_SECRET_SERVICE") == "1" or bool(os.environ.get("CI"))


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args])


@pytest.fixture
def secret_service() -> Iterator[KeyringBackend]:
    from keyring.backends import SecretService

    backend: Any = SecretService.Keyring()  # type: ignore[no-untyped-call]
    try:
        backend.set_password("civtui-test", "probe", "probe")
        assert backend.get_password("civtui-test", "probe") == "probe"
        backend.delete_password("civtui-test", "probe")
    except Exception as exc:
        message = f"no Secret Service answers here ({exc!r}); run python3 scripts/dev.py test"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    keys.forget()
    yield backend
    keys.forget()
    keyring.set_keyring(before)


def stored_secret(key_id: str) -> str | None:
    """The secret gnome-keyring holds for this key, read over D-Bus without civtui or keyring."""
    import secretstorage

    conn = secretstorage.dbus_init()
    try:
        collection = secretstorage.get_default_collection(conn)
        items = list(collection.search_items({"service": "civtui", "username": f"key:{key_id}"}))
        return items[0].get_secret().decode() if items else None
    finally:
        conn.close()


def test_the_key_round_trips_through_gnome_keyring(
    secret_service: KeyringBackend, home: Path, tmp_path: Path
) -> None:
    made = run(*INIT)
    assert made.exit_code == 0, made.output
    profile = Profile("default")
    info = keys.read_info(profile.db_path)
    assert info is not None and info.source == "keyring"
    secret = stored_secret(info.id)
    assert secret is not None and len(bytes.fromhex(secret)) == 32
    # Nothing in the profile's folder holds it.
    for path in profile.folder.iterdir():
        assert secret.encode() not in path.read_bytes(), path
    keys.forget()  # a new process: the key comes back from gnome-keyring
    assert run("status", "--json").exit_code == 0
    stick = tmp_path / "key.json"
    assert run("key", "export", "--plain", str(stick)).exit_code == 0
    secret_service.delete_password(keys.SERVICE, f"key:{info.id}")
    keys.forget()
    lost = run("status")
    assert lost.exit_code == 1 and "civtui key import" in lost.output
    assert stored_secret(info.id) is None
    assert run("key", "import", str(stick)).exit_code == 0
    assert stored_secret(info.id) == secret
    keys.forget()
    assert run("status", "--json").exit_code == 0
    secret_service.delete_password(keys.SERVICE, f"key:{info.id}")
