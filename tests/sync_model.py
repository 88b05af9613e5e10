"""The pieces of tests/test_sync_machine.py: one real sync server in process, laptops that
sync with it through a transport that can cut any request, and a shared world clock.

No sockets and no subprocesses: the server is the FastAPI app of `sync.server.app` on a
SQLite file, driven through its ASGI interface by `InProcess`, an httpx transport; the
laptops' `sync.client.Connection` sends through it, so the same gzip bodies, validation,
merge and pull code run as over HTTP.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import json
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import fastapi.dependencies.utils
import fastapi.routing
import httpx
import httpx._transports.asgi as httpx_asgi
import pytest
import starlette.concurrency
from sqlalchemy import Engine, event, select

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import RECORD_TYPES, SYNCED_TYPES, Record, Staff, Village
from db import Store
from db.connection import backup
from db.store import STORED, open_store
from sync import bundle
from sync.client import Connection, SyncReport, sync
from sync.server import bundle as server_bundle
from sync.server import storage, tokens
from sync.server.app import create_app

VILLAGE_A = "330902112201"
VILLAGE_B = "330903103202"
#: Where the world starts: the tests' day, 10:00 in China.
EPOCH = dt.datetime(2026, 11, 22, 10, tzinfo=CHINA_TZ)
#: The URL the laptops are given; nothing listens there, `InProcess` answers.
URL = "http://127.0.0.1:8811"

T = TypeVar("T")


class World:
    """Real time in the model: the server's clock reads it, each laptop's runs off it by its skew."""

    def __init__(self) -> None:
        self.ms = int(EPOCH.timestamp() * 1000)

    def now_ms(self) -> int:
        return self.ms

    def clock(self, skew_ms: int) -> Clock:
        moment = dt.datetime.fromtimestamp((self.ms + skew_ms) / 1000, CHINA_TZ)
        return Clock(fixed=moment)


@dataclass
class Fault:
    """Cut the `at`-th request of a connection: before the server sees it, or after the
    server answered (committed) and before the answer arrives."""

    at: int
    after: bool


class Cut(httpx.TransportError):
    """The link dropped (raised as httpx raises its own transport errors)."""


class InProcess(httpx.BaseTransport):
    """httpx's transport to an ASGI app, for a synchronous client: the app runs on an event
    loop of this thread (its database work in anyio's worker threads, as under uvicorn), or,
    once `run_inline` has put that work on the calling thread, to its end in one step with no
    loop at all (`finish`)."""

    #: Set by `run_inline`: nothing the app awaits waits, so no loop is needed.
    loopless = False

    def __init__(self, app: Any) -> None:
        self.asgi = httpx.ASGITransport(app=app)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.fault: Fault | None = None
        self.sent = 0
        #: (method, path, status) of every request that reached the app.
        self.seen: list[tuple[str, str, int]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        cut = self.fault is not None and self.fault.at == self.sent
        if cut and self.fault is not None and not self.fault.after:
            raise Cut("cut before the server saw it", request=request)
        forwarded = httpx.Request(
            request.method, request.url, headers=request.headers, content=request.read()
        )
        answering = self._forward(forwarded)
        if self.loopless:
            status, headers, body = finish(answering)
        else:
            self.loop = self.loop or asyncio.new_event_loop()
            status, headers, body = self.loop.run_until_complete(answering)
        self.seen.append((request.method, request.url.path, status))
        if cut:
            raise Cut("cut after the server answered", request=request)
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(body))

    async def _forward(self, request: httpx.Request) -> tuple[int, httpx.Headers, bytes]:
        response = await self.asgi.handle_async_request(request)
        # The raw bytes (still gzip): the client decodes them as it would off the wire.
        assert isinstance(response.stream, httpx.AsyncByteStream)
        body = b"".join([part async for part in response.stream])
        return response.status_code, response.headers, body

    def close(self) -> None:
        # Each laptop's Connection closes its client, and with it the transport, after a
        # sync; the app lives on for the next one (see `shut`).
        pass

    def shut(self) -> None:
        if self.loop is not None:
            self.loop.close()


def finish(coroutine: Coroutine[Any, Any, T]) -> T:
    """The coroutine's result, run to its end in one step on no event loop. Under
    `run_inline` none of the app's awaits waits (its blocking work runs in the call, the
    request body is in memory), and a loop's task and `run_until_complete` per request
    cost more than the awaits themselves. An await that would wait is an error here, never
    a hang nor a silently different run."""
    try:
        waited = coroutine.send(None)
    except StopIteration as done:
        return cast(T, done.value)
    coroutine.close()
    raise RuntimeError(f"the app waited on {waited!r}: InProcess runs it without a loop")


async def inline(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    return func(*args, **kwargs)


def run_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's blocking work (its endpoints and dependencies, which FastAPI hands to
    anyio's worker threads) runs in the request's own call instead: the same code, without
    a thread hand-off nor an event loop per request. Undone with `monkeypatch`."""
    for module in (starlette.concurrency, fastapi.dependencies.utils, fastapi.routing):
        monkeypatch.setattr(module, "run_in_threadpool", inline)
    # httpx's ASGI transport asks, for every request, whether trio runs by importing
    # sniffio, which is not installed: each failed import searches sys.path again, a
    # tenth of the machine's CPU. Nothing here runs trio.
    monkeypatch.setattr(httpx_asgi, "is_running_trio", lambda: False)
    monkeypatch.setattr(InProcess, "loopless", True)


@dataclass(frozen=True)
class Role:
    """A laptop as the machine sets it up: its profile's villages and its token's."""

    name: str
    villages: tuple[str, ...]


#: Two laptops of village A (to race each other), and a supervisor whose token covers A and
#: B, who may make a record of one village name one of the other: a laptop of A must never
#: be sent it. (A laptop of B alone adds the mirror image of the same case, and time.)
ROLES = (
    Role("a1", (VILLAGE_A,)),
    Role("a2", (VILLAGE_A,)),
    Role("sup", (VILLAGE_A, VILLAGE_B)),
)
VILLAGE_NAMES = {VILLAGE_A: "海星村", VILLAGE_B: "渔港村"}


@dataclass
class Templates:
    """A migrated server database with a token per role, and each role's new profile, made
    once and copied for every example (a profile takes longer to create than to sync)."""

    server: Path
    tokens: dict[str, str]
    profiles: dict[str, Path]


def make_templates(folder: Path) -> Templates:
    """The templates, the same in every process: their ids (staff, and each laptop's
    device id) are numbered rather than random. Which of two equal clock stamps wins is
    decided by device id, so random ones made the derandomized examples take other paths
    from one run to the next (another winner, other conflicts, other draws), and a failing
    example might not replay. Numbered from 2**120 up, clear of the machine's own ids."""
    numbers = itertools.count(2**120)
    real = uuid.uuid4
    uuid.uuid4 = lambda: uuid.UUID(int=next(numbers))
    try:
        return _make_templates(folder)
    finally:
        uuid.uuid4 = real


def _make_templates(folder: Path) -> Templates:
    folder.mkdir(parents=True, exist_ok=True)
    server = folder / "server.db"
    engine = storage.make_engine(f"sqlite:///{server}")
    storage.migrate(engine)
    # The key pair `server init` makes, and given to every laptop as `login` does.
    server_key, _ = server_bundle.make_keys(engine)
    given: dict[str, str] = {}
    profiles: dict[str, Path] = {}
    for role in ROLES:
        staff = Staff(name=f"员工{role.name}", role="assistant", village_codes=list(role.villages))
        _, given[role.name] = tokens.create(engine, staff.name, "assistant", list(role.villages))
        path = folder / role.name / "civtui.db"
        store = open_store(path, Clock(fixed=EPOCH))
        villages = [Village(id=v, name=VILLAGE_NAMES[v], township="金塘镇") for v in role.villages]
        store.save_many([*villages, staff])
        with store.transaction():
            store.set_meta("staff_id", staff.id)
        bundle.trust(store, server_key)
        store.close()
        profiles[role.name] = path
    engine.dispose()
    _checkpoint(server)
    return Templates(server, given, profiles)


def _no_fsync(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.execute("PRAGMA synchronous=OFF")


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so that copying the file copies everything."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def _replace(copy: Path, path: Path) -> None:
    for extra in ("-wal", "-shm"):
        path.with_name(path.name + extra).unlink(missing_ok=True)
    shutil.copyfile(copy, path)


class Server:
    """The real app on a SQLite file; restorable from a copy of that file."""

    def __init__(self, folder: Path, template: Path) -> None:
        self.path = folder / "server.db"
        shutil.copyfile(template, self.path)
        self.copies: list[Path] = []
        self._open()

    def _open(self) -> None:
        self.engine: Engine = storage.make_engine(f"sqlite:///{self.path}")
        # No fsync: what the machine cuts is the link, not the power (tests/test_sync.py and
        # the restore drills do the power); thousands of examples must run in minutes.
        event.listen(self.engine, "connect", _no_fsync)
        self.transport = InProcess(create_app(self.engine))

    def close(self) -> None:
        self.transport.shut()
        self.engine.dispose()

    def keep_copy(self) -> int:
        """A backup of the server's database as it is now (a nightly copy); its number."""
        copy = self.path.with_name(f"server-copy-{len(self.copies)}.db")
        source, target = sqlite3.connect(self.path), sqlite3.connect(copy)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()
        self.copies.append(copy)
        return len(self.copies) - 1

    def restore(self, number: int) -> None:
        """The disk died: the server comes back from copy `number`."""
        self.close()
        _replace(self.copies[number], self.path)
        self._open()

    def version(self) -> int:
        with self.engine.connect() as conn:
            counter = storage.counters.c
            found = conn.execute(select(counter.value).where(counter.name == "version"))
            return int(found.scalar_one())

    def records(self) -> dict[tuple[str, str], ServerRecord]:
        with self.engine.connect() as conn:
            return {
                (r.table_name, r.record_id): ServerRecord(
                    r.village_code, json.loads(r.data), bool(r.deleted)
                )
                for r in conn.execute(select(storage.records))
            }

    def conflicts(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(select(storage.conflicts))]

    def import_bundle(self, data: bytes) -> server_bundle.Imported:
        """`civtui server bundle import`: a laptop's bundle applied, its reply made."""
        return server_bundle.import_bundle(self.engine, data)


@dataclass(frozen=True)
class ServerRecord:
    village: str | None
    data: dict[str, Any]
    deleted: bool


@dataclass
class Laptop:
    """A village laptop: its profile (plain SQLite: the fastest), its token and clock skew."""

    role: Role
    token: str
    store: Store
    world: World
    skew_ms: int = 0
    copies: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.role.name

    def tick(self) -> None:
        """Set the laptop's clock from the world's and its skew."""
        self.store.clock = self.world.clock(self.skew_ms)

    @property
    def today(self) -> dt.date:
        return self.store.clock.today()

    def sync(self, server: Server, fault: Fault | None = None, attempts: int = 1) -> SyncReport:
        server.transport.fault, server.transport.sent = fault, 0
        conn = Connection(
            URL,
            self.token,
            attempts=attempts,
            backoff=0.0,
            transport=server.transport,
            sleep=lambda _: None,
        )
        try:
            return sync(self.store, conn)
        finally:
            server.transport.fault = None
            conn.close()

    def export_bundle(self) -> bytes:
        """`civtui bundle export`: what a sync would push, sealed for the server."""
        made = bundle.export(self.store, self.token)
        bundle.note_export(self.store, made)
        return made.data

    def import_reply(self, data: bytes) -> SyncReport:
        """`civtui bundle import`: the server's reply, applied as a sync applies answers."""
        return bundle.import_reply(self.store, self.token, data)

    def keep_copy(self) -> int:
        copy = self.store.path.with_name(f"copy-{len(self.copies)}.db")
        backup(self.store.db, copy, self.store.key)
        self.copies.append(copy)
        return len(self.copies) - 1

    def restore(self, number: int) -> None:
        """The laptop was set up again from copy `number` of its profile."""
        path = self.store.path
        self.store.close()
        _replace(self.copies[number], path)
        self.store = open_store(path, self.world.clock(self.skew_ms))

    def clone(self, name: str) -> Laptop:
        """A copy of this laptop's profile as it is now, set up on another laptop (`name`):
        the same device id, villages and token, as a copied disk or a cloned image would."""
        folder = self.store.path.parent.with_name(name)
        folder.mkdir()
        path = folder / self.store.path.name
        backup(self.store.db, path, self.store.key)
        store = open_store(path, self.world.clock(self.skew_ms), self.store.key)
        return Laptop(Role(name, self.role.villages), self.token, store, self.world, self.skew_ms)

    def live(
        self, kind: type[Record], where: str = "", params: list[Any] | None = None
    ) -> list[str]:
        """Ids of live records of `kind`, in the order they came to the laptop."""
        condition = "deleted = 0" + (f" AND ({where})" if where else "")
        return [
            str(r[0])
            for r in self.store.db.execute(
                f"SELECT id FROM [{kind.table}] WHERE {condition} ORDER BY rowid", params or []
            )
        ]

    def rows(self) -> dict[tuple[str, str], tuple[dict[str, Any], bool]]:
        """Every synced record the laptop holds (tombstones too), as its model's row."""
        found = {}
        for table, kind in SYNCED_TYPES.items():
            for row in self.store.db.query(f"SELECT * FROM [{table}]"):
                found[(table, str(row["id"]))] = (
                    self.store.load(kind, row).row(),
                    bool(row["deleted"]),
                )
        return found


def open_laptops(templates: Templates, folder: Path, world: World) -> dict[str, Laptop]:
    """The laptops of `ROLES`, each a copy of its template profile in its own folder."""
    laptops: dict[str, Laptop] = {}
    for role in ROLES:
        (folder / role.name).mkdir()
        path = folder / role.name / "civtui.db"
        shutil.copyfile(templates.profiles[role.name], path)
        store = open_store(path, world.clock(0))
        laptops[role.name] = Laptop(role, templates.tokens[role.name], store, world)
    return laptops


def as_row(table: str, data: dict[str, Any]) -> dict[str, Any]:
    """A server record's data as its model's row, to compare with a laptop's."""
    return RECORD_TYPES[table].model_validate(data, context=STORED).row()
