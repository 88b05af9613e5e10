"""A real sync server process on 127.0.0.1, on SQLite or PostgreSQL, and devices to sync with it."""

from __future__ import annotations

import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, create_engine, select, text

from civtui.domain.clock import Clock
from civtui.domain.models import Staff, Village
from civtui.services.keys import open_store
from civtui.services.profile import Profile, create_profile
from db import Store
from db.connection import backup
from sync.client import Connection, SyncReport, sync
from sync.server import storage, tokens
from tests.conftest import TODAY, VILLAGE

OTHER_VILLAGE = "330903103202"
ROOT = Path(__file__).resolve().parent.parent
#: Set by scripts/postgres.sh (and so by .ci/run): an admin URL of a throwaway cluster.
POSTGRES_ENV = "CIVTUI_TEST_POSTGRES_URL"


def backends() -> list[Any]:
    found = [pytest.param("sqlite", id="sqlite")]
    if os.environ.get(POSTGRES_ENV):
        found.append(pytest.param("postgres", id="postgres"))
    return found


#: "18100-18199": servers take a free port in this range (a machine shared by several test
#: runs, each given its own range); unset, any free port.
PORTS_ENV = "CIVTUI_TEST_PORTS"


def free_port() -> int:
    low, _, high = os.environ.get(PORTS_ENV, "").partition("-")
    candidates = list(range(int(low), int(high) + 1)) if low.isdigit() and high.isdigit() else [0]
    # In random order: two test processes (pytest -n 2) asking at once rarely get the same.
    random.shuffle(candidates)
    for port in candidates:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in {os.environ[PORTS_ENV]}")


@dataclass
class Server:
    """One server process and its database; restartable on the same port and data."""

    url: str
    db_url: str
    port: int
    engine: Engine
    log: Path
    process: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, fault: str | None = None) -> None:
        """Start `civtui server run`, or with `fault` the test server that crashes on purpose."""
        env = {**os.environ, "CIVTUI_SERVER_DATABASE": self.db_url}
        command = ["-m", "civtui", "server", "run", "--host", "127.0.0.1", "--port", str(self.port)]
        if fault:
            command = ["-m", "tests.fault_server", fault, str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, *command], env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
            )
        deadline = time.monotonic() + 60  # a loaded CI machine starts Python slowly
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base}/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("server did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.process = None

    def wait_exit(self, timeout: float = 10) -> int:
        assert self.process is not None
        code = self.process.wait(timeout)
        self.process = None
        return code

    def backup(self) -> Path:
        """A copy of the server's SQLite database as it is now (a nightly backup)."""
        import sqlite3

        path = Path(self.db_url.removeprefix("sqlite:///"))
        copy = path.with_name("server-backup.db")
        source, target = sqlite3.connect(path), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        return copy

    def restore(self, copy: Path) -> None:
        """Stop, put `copy` back as the database, start again: the disk died overnight."""
        self.stop()
        self.engine.dispose()
        restore_copy(copy, Path(self.db_url.removeprefix("sqlite:///")))
        self.start()

    def token(self, staff: str, villages: list[str]) -> str:
        _, token = tokens.create(self.engine, staff, "assistant", villages)
        return token

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(storage.counters.c.value).where(storage.counters.c.name == "version")
                ).scalar_one()
            )

    def records(self) -> dict[tuple[str, str], tuple[dict[str, Any], bool]]:
        import json

        with self.engine.connect() as conn:
            return {
                (r.table_name, r.record_id): (json.loads(r.data), r.deleted)
                for r in conn.execute(select(storage.records))
            }


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    if request.param == "postgres":
        admin = os.environ[POSTGRES_ENV]
        name = f"civtui_{uuid.uuid4().hex[:12]}"
        admin_engine = create_engine(storage.database_url(admin), isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        db_url = admin.rsplit("/", 1)[0] + f"/{name}"
    else:
        db_url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = storage.make_engine(db_url)
    storage.migrate(engine)
    srv = Server("", db_url, free_port(), engine, tmp_path / "server.log")
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()
        engine.dispose()
        if request.param == "postgres":
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


@dataclass
class Device:
    """A village laptop: its own profile database, clock and token."""

    store: Store
    token: str
    server: Server

    def connect(self, **options: Any) -> Connection:
        return Connection(self.server.base, self.token, attempts=2, backoff=0.01, **options)

    def sync(self) -> SyncReport:
        conn = self.connect()
        try:
            return sync(self.store, conn)
        finally:
            conn.close()

    def keep_copy(self) -> Path:
        """A copy of the profile as it is now, as a USB backup would be."""
        copy = self.store.path.with_name("copy.db")
        backup(self.store.db, copy, self.store.key)
        return copy

    def restore(self, copy: Path) -> None:
        """Put `copy` back in place of the profile, as on a laptop set up again from it."""
        self.store.close()
        restore_copy(copy, self.store.path)
        self.store = open_store(self.store.path, self.store.clock)


def restore_copy(copy: Path, path: Path) -> None:
    """Replace the (closed) database at `path` with `copy`."""
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    copy.replace(path)


def device(
    server: Server,
    name: str,
    villages: list[str] | None = None,
    clock: Clock | None = None,
    token: str | None = None,
) -> Device:
    """A new profile `name` (in the test's CIVTUI_HOME) with its village and staff member."""
    villages = villages or [VILLAGE]
    clock = clock or Clock.pinned(TODAY)
    staff = Staff(name=f"员工{name}", role="assistant", village_codes=villages[:1])
    records = [Village(id=villages[0], name="海星村", township="金塘镇"), staff]
    profile = Profile(name)
    create_profile(profile, records, staff.id, clock)
    store = open_store(profile.db_path, clock)
    return Device(store, token or server.token(staff.name, villages), server)


def rows(store: Store, table: str) -> dict[str, dict[str, Any]]:
    """Live rows of a table without the per-device bookkeeping columns."""
    skip = {"updated_at", "device_id", "hlc"}
    return {
        r["id"]: {k: v for k, v in r.items() if k not in skip}
        for r in store.db.query(f"SELECT * FROM [{table}] ORDER BY id")
    }
