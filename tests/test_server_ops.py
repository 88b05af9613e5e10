"""Operating the server: its log, settings, health, files, migrations and refusals."""

from __future__ import annotations

import json
import os
import stat
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, create_engine, inspect, text

from civtui import __version__
from civtui.cli import main
from civtui.domain.models import Village, Visit
from sync import protocol
from sync.client import Connection, SyncError, sync
from sync.server import logs, settings, storage
from sync.server.app import SCHEMA_HEADER, create_app
from tests.conftest import CTX, TODAY, make_person, synthetic_id
from tests.sync_harness import (
    OTHER_VILLAGE,
    POSTGRES_ENV,
    Server,
    backends,
    device,
    free_port,
    server,
    tls,
)

__all__ = ["server"]  # the fixture, imported for its use below

DATA = Path(__file__).parent / "data"


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the log -------------------------------------------------------------------------------


@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
def test_the_log_says_who_did_what_and_never_whom_it_was_about(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    log_file = tmp_path / "logs" / "server.jsonl"
    monkeypatch.setenv("CIVTUI_SERVER_LOG_FILE", str(log_file))
    server.stop()
    server.start()
    a = device(server, "a")
    person = make_person(name="欧阳春花", id_number=synthetic_id(TODAY.replace(year=1941), 117))
    a.store.save(person)
    visit = {"person_id": person.id, "visit_date": TODAY, "visitor": "王", "notes": "屋顶漏雨"}
    a.store.save(Visit.model_validate(visit, context=CTX))
    # A change the server refuses: a person in a village the token does not cover.
    a.store.save(Village(id=OTHER_VILLAGE, name="渔港村"))
    outsider_id = synthetic_id(TODAY.replace(year=1950), 131)
    a.store.save(make_person(name="司马秋月", id_number=outsider_id, village_code=OTHER_VILLAGE))
    report = a.sync()
    assert report.rejected == 2  # the outside village and its person
    # A refused token: its secret must not be written down either.
    bad = "civ_deadbeef_" + "s3cr3t" * 6
    conn = Connection(server.base, bad, attempts=1)
    with pytest.raises(SyncError):
        sync(a.store, conn)
    conn.close()
    server.stop()

    assert mode(log_file) == 0o600
    lines = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    pushes = [x for x in lines if x.get("path") == protocol.PATH_PUSH and x["status"] == 200]
    token_id = a.token.split("_")[1]
    assert pushes and pushes[0]["token"] == token_id
    assert pushes[0]["staff"] == "员工a" and pushes[0]["villages"] == ["330902112201"]
    assert pushes[0]["device"] == a.store.device_id
    assert sum(p["accepted"] for p in pushes) == report.accepted > 0
    assert sum(p["rejected"] for p in pushes) == 2 and pushes[0]["conflict"] == 0
    assert all(p["bytes_in"] > 0 and p["bytes_out"] > 0 and p["ms"] >= 0 for p in pushes)
    assert [x["path"] for x in lines if x.get("path") == protocol.PATH_PULL]
    rejected = [x for x in lines if x["event"] == "change rejected"]
    assert len(rejected) == 2 and all(x["token"] == token_id for x in rejected)
    assert {x["reason"] for x in rejected} <= {c.value for c in protocol.Code}
    refused = [x for x in lines if x.get("status") == 401]
    assert refused and refused[0]["reason"] == "token_invalid" and "token" not in refused[0]
    everything = log_file.read_text(encoding="utf-8") + server.log.read_text(encoding="utf-8")
    for secret in ("欧阳春花", "司马秋月", "屋顶漏雨", person.id_number, outsider_id, "s3cr3t"):
        assert secret not in everything
    # The terminal got the same lines, plain, after saying what runs where.
    terminal = server.log.read_text(encoding="utf-8")
    assert f"token={token_id}" in terminal
    for said in (f"civtui 同步服务器 {__version__}", f"http://127.0.0.1:{server.port}",
                 f"数据库：{server.db_url}", str(log_file)):  # fmt: skip
        assert said in terminal


async def test_the_log_has_a_line_for_a_request_that_failed(tmp_path: Path) -> None:
    """The request log is plain ASGI middleware: a route that raises still gets its line
    (500), and each request notes its own fields even where the app keeps lifespan state."""
    import logging

    engine = storage.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    storage.migrate(engine)
    app = create_app(engine)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("boom")

    async def with_lifespan_state(scope: Any, receive: Any, send: Any) -> None:
        # What uvicorn does when the app's lifespan keeps state: a copy in every request.
        await app({**scope, "state": {"shared": "state"}}, receive, send)

    seen: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record)

    handler = Keep()
    logs.log.addHandler(handler)
    level = logs.log.level
    logs.log.setLevel(logging.DEBUG)  # health lines are DEBUG
    transport = httpx.ASGITransport(app=with_lifespan_state, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/boom")).status_code == 500
            assert (await client.get(protocol.PATH_ME)).status_code == 401
            assert (await client.get(protocol.PATH_HEALTH)).status_code == 200
    finally:
        logs.log.removeHandler(handler)
        logs.log.setLevel(level)
    lines = [r.fields for r in seen if r.getMessage() == "request"]  # type: ignore[attr-defined]
    assert [(x["path"], x["status"]) for x in lines] == [
        ("/boom", 500),
        (protocol.PATH_ME, 401),
        (protocol.PATH_HEALTH, 200),
    ]
    assert lines[0]["reason"] == "http_500" and lines[1]["reason"] == "token_invalid"
    assert lines[1]["bytes_out"] > 0 and "reason" not in lines[2]


def test_run_says_what_it_runs_and_hides_the_password(tmp_path: Path) -> None:
    shown = settings.load(database="postgresql://office:hunter2@db.example:5432/civtui").shown()
    assert shown["database"] == "postgresql+psycopg://office:***@db.example:5432/civtui"
    assert "hunter2" not in json.dumps(shown)


# -- settings ------------------------------------------------------------------------------


def test_settings_flags_beat_environment_beat_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "server.toml"
    config.write_text('port = 8001\nworkers = 3\nlog_level = "DEBUG"\nhost = "0.0.0.0"\n')
    monkeypatch.setenv("CIVTUI_SERVER_CONFIG", str(config))
    monkeypatch.setenv("CIVTUI_SERVER_PORT", "8002")
    monkeypatch.setenv("CIVTUI_SERVER_DATABASE", f"sqlite:///{tmp_path / 's.db'}")
    result = CliRunner().invoke(main, ["server", "config", "--json", "--host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["host"], shown["port"], shown["workers"], shown["log_level"]) == (
        "127.0.0.1",  # flag
        8002,  # environment
        3,  # file
        "DEBUG",
    )
    config.write_text("prot = 1\n")
    result = CliRunner().invoke(main, ["server", "config"])
    assert result.exit_code == 1 and "prot" in result.output


# -- health and files ----------------------------------------------------------------------


async def health(engine: Engine) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        return await client.get(protocol.PATH_HEALTH)


async def test_health_asks_the_database(tmp_path: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    storage.migrate(engine)
    answer = await health(engine)
    assert answer.status_code == 200 and answer.headers[SCHEMA_HEADER] == str(storage.HEAD)
    protocol.Health.model_validate_json(answer.content)  # what every laptop parses
    gone = create_engine(f"sqlite:///{tmp_path / 'no' / 'such' / 'folder.db'}")
    answer = await health(gone)
    assert answer.status_code == 503
    assert answer.json()["detail"]["code"] == "database_unreachable"


def test_files_the_server_creates_are_its_own(tmp_path: Path) -> None:
    db = tmp_path / "srv" / "server.db"
    result = CliRunner().invoke(main, ["server", "init", "--database", f"sqlite:///{db}"])
    assert result.exit_code == 0, result.output
    assert mode(db) == 0o600
    assert not [p for p in db.parent.iterdir() if mode(p) & 0o077]
    logs.configure("INFO", tmp_path / "log" / "server.jsonl")
    logs.event("hello")
    assert mode(tmp_path / "log" / "server.jsonl") == 0o600
    logs.configure("INFO")  # let go of the file


# -- migrations ----------------------------------------------------------------------------


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """The URL of a new, empty database on the test cluster, dropped afterwards."""
    admin = create_engine(
        storage.database_url(os.environ[POSTGRES_ENV]), isolation_level="AUTOCOMMIT"
    )
    name = f"civtui_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield os.environ[POSTGRES_ENV].rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=backends())
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database on SQLite or PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'server.db'}"
        return
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """An empty PostgreSQL database: for what only PostgreSQL does (several workers)."""
    if not os.environ.get(POSTGRES_ENV):
        if os.environ.get("CI"):
            pytest.fail(f"CI runs every test: {POSTGRES_ENV} must name a PostgreSQL cluster")
        pytest.skip("needs PostgreSQL (scripts/dev.py test starts one)")
    with fresh_postgres_database() as url:
        yield url


def shape(engine: Engine) -> dict[str, Any]:
    """Everything about a schema that matters: tables, columns, keys, indexes, defaults."""
    found = inspect(engine)
    tables: dict[str, Any] = {}
    for table in sorted(found.get_table_names()):
        if table == "alembic_version":
            continue
        columns = [
            (c["name"], str(c["type"]), c["nullable"], c.get("default"))
            for c in found.get_columns(table)
        ]
        indexes = sorted(
            (i["name"], tuple(i["column_names"]), bool(i["unique"]))
            for i in found.get_indexes(table)
        )
        keys = found.get_pk_constraint(table)["constrained_columns"]
        tables[table] = {"columns": columns, "primary key": keys, "indexes": indexes}
    return tables


def fresh_shape(tmp_path: Path, url: str) -> dict[str, Any]:
    """The schema of a database created today, on the same kind of database as `url`."""
    if url.startswith("sqlite"):
        engine = storage.make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    else:
        engine = storage.make_engine(url.rsplit("/", 1)[0] + "/postgres")
        name = f"fresh_{uuid.uuid4().hex[:12]}"
        admin = create_engine(storage.database_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        engine = storage.make_engine(url.rsplit("/", 1)[0] + f"/{name}")
    storage.migrate(engine)
    try:
        return shape(engine)
    finally:
        engine.dispose()


def test_the_oldest_schema_migrated_is_the_fresh_schema(
    empty_database: str, tmp_path: Path
) -> None:
    from alembic import command

    engine = storage.make_engine(empty_database)
    with engine.connect() as conn:
        command.upgrade(storage._alembic(conn), "0001")
        conn.commit()
    assert storage.schema_version(engine) == 1 and not storage.is_ready(engine)
    done = storage.migrate(engine)
    assert (done.before, done.after) == (1, storage.HEAD) and storage.is_ready(engine)
    assert shape(engine) == fresh_shape(tmp_path, empty_database)
    engine.dispose()


def load_release_four(url: str) -> None:
    """A database as the last release before Alembic left it (tests/data/server-schema4.*)."""
    kind = "sqlite" if url.startswith("sqlite") else "postgres"
    script = (DATA / f"server-schema4.{kind}.sql").read_text(encoding="utf-8")
    if kind == "sqlite":
        import sqlite3

        with sqlite3.connect(url.removeprefix("sqlite:///")) as conn:
            conn.executescript(script)
        return
    # Its own engine: the dump empties search_path on the connection it runs on.
    engine = create_engine(storage.database_url(url))
    with engine.begin() as conn:
        conn.exec_driver_sql(script)
    engine.dispose()


def test_a_database_from_before_alembic_is_carried_over(
    empty_database: str, tmp_path: Path
) -> None:
    load_release_four(empty_database)
    engine = storage.make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO tokens VALUES ('t1', 'h', 'w', 'assistant', 'x', NULL)"))
    assert storage.schema_version(engine) == 4
    done = storage.migrate(engine, tmp_path / "backups")
    assert (done.before, done.after) == (4, storage.HEAD)
    assert shape(engine) == fresh_shape(tmp_path, empty_database)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT staff FROM tokens")).scalar_one() == "w"
    if done.backup is not None:  # SQLite: the file as it was, kept before migrating
        assert empty_database.startswith("sqlite") and mode(done.backup) == 0o600
        assert done.backup.parent == tmp_path / "backups"
        assert storage.schema_version(storage.make_engine(f"sqlite:///{done.backup}")) == 4
    else:
        assert not empty_database.startswith("sqlite")
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    engine = storage.make_engine(url)
    storage.migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    with pytest.raises(storage.SchemaTooNewError):
        storage.migrate(engine)
    for command in (["run"], ["init"], ["token", "list"]):
        result = CliRunner().invoke(main, ["--lang", "en", "server", *command, "--database", url])
        assert result.exit_code == 1, result.output
        assert f"schema 99, newer than this release ({storage.HEAD})" in result.output
    with engine.connect() as conn:  # and nothing was done to it
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0099"


def test_run_on_an_old_database_asks_for_init(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    load_release_four(url)
    result = CliRunner().invoke(main, ["--lang", "en", "server", "run", "--database", url])
    assert result.exit_code == 1 and "run civtui server init" in result.output
    result = CliRunner().invoke(main, ["--lang", "en", "server", "init", "--database", url])
    assert result.exit_code == 0 and f"from schema 4 to {storage.HEAD}" in result.output
    assert "Backup taken before upgrading" in result.output


def test_several_workers_need_postgresql(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'server.db'}"
    storage.migrate(storage.make_engine(url))
    result = CliRunner().invoke(
        main, ["--lang", "en", "server", "run", "--database", url, "--workers", "2"]
    )
    assert result.exit_code == 1 and "need PostgreSQL" in result.output


def test_two_workers_serve_on_postgresql(postgres_database: str, tmp_path: Path) -> None:
    import subprocess
    import sys
    import time

    from tests.sync_harness import ROOT, free_port

    empty_database = postgres_database
    storage.migrate(storage.make_engine(empty_database))
    port = free_port()
    env = {**os.environ, "CIVTUI_SERVER_DATABASE": empty_database}
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "civtui", "server", "run", "--port", str(port), "--workers", "2"],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/v1/health", verify=tls()).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        answers = [httpx.get(f"http://127.0.0.1:{port}/v1/health", verify=tls()) for _ in range(20)]
        assert all(a.status_code == 200 for a in answers)
    finally:
        process.terminate()
        process.wait(20)
    assert "工作进程：2" in log.read_text(encoding="utf-8")


def test_the_server_s_help_is_in_english_with_the_township_s_commands() -> None:
    """Every help text has its English (tests/test_cli_words.py walks every command, the
    server's too); the township's report commands are among the server's."""
    from civtui.cli import township
    from sync.server.cli import server_group

    assert township.report_group.name in server_group.commands
    result = CliRunner().invoke(main, ["--lang", "en", "server", "report", "coverage", "--help"])
    assert "Visit coverage of each village and category" in result.output


def test_a_served_app_keeps_its_startup_objects_out_of_the_collectors_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gc

    from sync.server.app import from_environment

    url = f"sqlite:///{tmp_path / 's.db'}"
    storage.migrate(storage.make_engine(url))
    monkeypatch.setenv("CIVTUI_SERVER_DATABASE", url)
    gc.unfreeze()
    try:
        from_environment()
        # Modules, models and routes: what a full pass would otherwise walk on every push.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


@pytest.mark.server
def test_a_stopped_server_leaves_its_writes_in_the_one_file_an_office_copies(
    tmp_path: Path,
) -> None:
    """docs/deploy.md backs up a SQLite server by copying its database with the server
    stopped: a stop by Ctrl-C folds the write-ahead log into that file."""
    import signal
    import sqlite3
    import subprocess
    import sys

    db = tmp_path / "server.db"
    env = {**os.environ, "CIVTUI_SERVER_DATABASE": f"sqlite:///{db}"}

    def cli(*args: str) -> str:
        # In their own processes, as an office runs them: nothing in this one holds the file.
        done = subprocess.run([sys.executable, "-m", "civtui", "server", *args], env=env,
                              capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
        return done.stdout

    cli("init")
    token = cli("token", "create", "--staff", "王[/b]=1", "--role", "assistant",
                "--village", "330902112201").strip()  # fmt: skip
    port = free_port()
    run = ["-m", "civtui", "server", "run", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([sys.executable, *run], env=env, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(600):
            with suppress(httpx.TransportError):
                if httpx.get(f"{base}/v1/health", timeout=1, verify=tls()).status_code == 200:
                    break
            time.sleep(0.1)
        # A sync's first question begins the server's epoch: a write.
        conn = Connection(base, token)
        conn.call("POST", protocol.PATH_APPLIED,
                  protocol.AppliedRequest(device_id=str(uuid.uuid4()), seqs=[]),
                  protocol.AppliedResponse)  # fmt: skip
        conn.close()
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(30)
    copy = tmp_path / "copy.db"
    copy.write_bytes(db.read_bytes())  # the file alone, as an office copies it
    with closing(sqlite3.connect(copy)) as kept:
        assert kept.execute("SELECT count(*) FROM epochs").fetchone() == (1,)
