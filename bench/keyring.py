"""The benchmarks' keyring: hands out the bench profile's key, so a fresh `civtui` process
opens the encrypted profile without a desktop keyring (selected in the child with keyring's
PYTHON_KEYRING_BACKEND). A real keyring's D-Bus round trip (a few ms) is not in the figure.
"""

from __future__ import annotations

import os

from keyring.backend import KeyringBackend

#: The encrypted bench profile's key (made-up data, a fixed key: this is no secret).
KEY = bytes(range(32))
KEY_ID = "bench"
ENV = "CIVTUI_BENCH_KEY"


class BenchKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        return os.environ.get(ENV, KEY.hex()) if username == f"key:{KEY_ID}" else None

    def set_password(self, service: str, username: str, password: str) -> None:
        raise NotImplementedError("the bench keyring only hands out the bench key")

    def delete_password(self, service: str, username: str) -> None:
        raise NotImplementedError("the bench keyring only hands out the bench key")
