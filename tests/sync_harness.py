"""A real sync server process on 127.0.0.1, on SQLite or PostgreSQL, and devices to sync with it."""

from __future__ import annotations

import functools
import os
import random
import shutil
import socket
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import keyring
import pytest
from sqlalchemy import Engine, MetaData, create_engine, inspect, select, text

from civtui.domain.clock import Clock
from civtui.domain.models import Staff, Village
from civtui.services import keys
from civtui.services.keys import open_store
from civtui.services.profile import Profile, create_profile, first_writes, secure_home
from db import Store
from db.connection import backup, private_folder
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


@functools.cache
def tls() -> ssl.SSLContext:
    """httpx's default certificates, loaded once: `httpx.get(url)` loads them at every
    call (~60 ms of CPU), even for the plain HTTP of a server on this machine, and a
    server's start is waited for by asking every 0.1 s."""
    return httpx.create_ssl_context()


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
    #: How often the process was started: a test that restarted it (another fault, its own
    #: environment) leaves it to be started afresh for the next test.
    starts: int = 0
    #: The environment the process was last started in (None: not started yet).
    environ: dict[str, str] | None = None
    #: Whether it was last started as the `server` fixture starts it: `civtui server run`
    #: in the clean environment.
    clean: bool = False
    #: A new profile's folder migrated once per test process, and its key's id and key
    #: (conftest's `store_template`), which `device` copies instead of migrating a file.
    blank: tuple[Path, str, str] | None = None
    #: Every table's rows as the migrations left them, put back by `reset`.
    fresh_rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    _tables: MetaData = field(default_factory=MetaData)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, fault: str | None = None, environ: dict[str, str] | None = None) -> None:
        """Start `civtui server run`, or with `fault` the test server that crashes on purpose.

        It runs in `environ`, by default the test's own (a test that sets a server variable
        and restarts the server means it).
        """
        self.starts += 1
        self.environ = dict(os.environ if environ is None else environ)
        self.clean = fault is None and self.environ == CLEAN_ENV
        env = {**self.environ, "CIVTUI_SERVER_DATABASE": self.db_url}
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
                if httpx.get(f"{self.base}/v1/health", timeout=1, verify=tls()).status_code == 200:
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
        """Stop, put `copy` back as the database, start again as it ran before: the disk
        died overnight."""
        self.stop()
        self.engine.dispose()
        restore_copy(copy, Path(self.db_url.removeprefix("sqlite:///")))
        self.start(environ=self.environ)

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

    def remember_fresh(self) -> None:
        """Keep every table's rows as they are now (just migrated), for `reset`."""
        tables = MetaData()
        tables.reflect(self.engine)
        with self.engine.connect() as conn:
            self.fresh_rows = {
                t.name: [dict(r._mapping) for r in conn.execute(t.select())]
                for t in tables.sorted_tables
                if t.name != "alembic_version"
            }
        self._tables = tables

    def reset(self) -> None:
        """The database as `remember_fresh` found it, numbering included, and an empty log.

        What a server process keeps is its database (sync/server holds nothing between
        requests), so a reset process is a fresh server to the next test.
        """
        tables = [self._tables.tables[name] for name in self.fresh_rows]
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(tables):
                    conn.execute(table.delete())
                if inspect(conn).has_table("sqlite_sequence"):
                    conn.execute(text("DELETE FROM sqlite_sequence"))
            for table in tables:
                if self.fresh_rows[table.name]:
                    conn.execute(table.insert(), self.fresh_rows[table.name])
        self.log.write_bytes(b"")  # appended to by the process: it writes on from the start


#: The environment before any test changed it: a shared server is started in this one.
CLEAN_ENV = dict(os.environ)


def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two tries and no waits between them, for tests of what an unreachable server answers."""
    quick = {
        **(Connection.__init__.__kwdefaults__ or {}),
        "attempts": 2,
        "sleep": lambda seconds: None,
    }
    monkeypatch.setattr(Connection.__init__, "__kwdefaults__", quick)


def new_server(backend: str, folder: Path) -> Server:
    """A migrated database on `backend` and a server process on it, started."""
    if backend == "postgres":
        admin = os.environ[POSTGRES_ENV]
        name = f"civtui_{uuid.uuid4().hex[:12]}"
        admin_engine = create_engine(storage.database_url(admin), isolation_level="AUTOCOMMIT")
        try:
            with admin_engine.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            admin_engine.dispose()
        db_url = admin.rsplit("/", 1)[0] + f"/{name}"
    else:
        db_url = f"sqlite:///{folder / 'server.db'}"
    engine = storage.make_engine(db_url)
    storage.migrate(engine)
    srv = Server("", db_url, free_port(), engine, folder / "server.log")
    srv.remember_fresh()
    srv.start(environ=CLEAN_ENV)
    return srv


def drop_server(srv: Server) -> None:
    srv.stop()
    srv.engine.dispose()
    if srv.engine.dialect.name == "postgresql":
        admin = create_engine(
            storage.database_url(os.environ[POSTGRES_ENV]), isolation_level="AUTOCOMMIT"
        )
        name = srv.db_url.rsplit("/", 1)[1]
        try:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        finally:
            admin.dispose()


#: One server process per backend for the whole test process (an xdist worker), reset before
#: every test: starting uvicorn costs a second or more of CPU, a reset milliseconds.
SHARED: dict[str, Server] = {}


#: For a test of what a screen shows after a sync: the `server` on SQLite only. The server
#: answers alike on SQLite and PostgreSQL, and tests/test_sync*.py run every exchange on
#: both; a pilot run again on PostgreSQL cost 2-8 s of CPU and checked the same screen.
SCREEN_ON_SQLITE = pytest.mark.parametrize("server", ["sqlite"], indirect=True)


@pytest.fixture(params=backends())
def server(request: pytest.FixtureRequest) -> Iterator[Server]:
    backend = str(request.param)
    srv = SHARED.get(backend)
    if srv is None:
        folder = request.getfixturevalue("tmp_path_factory").mktemp(f"server-{backend}")
        srv = SHARED[backend] = new_server(backend, folder)
        request.config.add_cleanup(lambda: drop_server(SHARED.pop(backend)))
    srv.blank = request.getfixturevalue("store_template")
    srv.reset()
    if srv.process is None:
        srv.start(environ=CLEAN_ENV)
    starts = srv.starts
    yield srv
    if srv.process is None or srv.process.poll() is not None:
        srv.stop()
    elif srv.starts != starts and not srv.clean:
        # Restarted by the test with a fault or in its own environment: the next test gets
        # a process started afresh in the clean environment. One started again as this
        # fixture starts it (a restore) serves on: `reset` gives the next test a fresh
        # database, and a process keeps nothing else between requests.
        srv.stop()


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
    if server.blank is None:
        create_profile(profile, records, staff.id, clock)
        store = open_store(profile.db_path, clock)
    else:
        store = from_blank(profile, server.blank, clock)
        first_writes(store, records, staff.id, clock)
    return Device(store, token or server.token(staff.name, villages), server)


def from_blank(profile: Profile, blank: tuple[Path, str, str], clock: Clock) -> Store:
    """The new, empty `profile` as `create_profile` opens it, copied from a migrated one:
    migrating a new file is ~0.1 s of CPU (a schema of hundreds of statements, re-read at
    every ALTER), a copy a millisecond. It shares the blank's key, put in the test's
    keyring; opening it gives it a device id of its own."""
    folder, key_id, key = blank
    secure_home()
    private_folder(profile.folder)
    shutil.copytree(folder, profile.folder, dirs_exist_ok=True)
    keyring.get_keyring().set_password(keys.SERVICE, f"key:{key_id}", key)
    return open_store(profile.db_path, clock)


def rows(store: Store, table: str) -> dict[str, dict[str, Any]]:
    """Live rows of a table without the per-device bookkeeping columns."""
    skip = {"updated_at", "device_id", "hlc"}
    return {
        r["id"]: {k: v for k, v in r.items() if k not in skip}
        for r in store.db.query(f"SELECT * FROM [{table}] ORDER BY id")
    }
