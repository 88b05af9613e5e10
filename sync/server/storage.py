"""The server's tables, its migrations and its engine: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import make_url

metadata = MetaData()

tokens = Table(
    "tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("secret_hash", String(64), nullable=False),
    Column("staff", String(80), nullable=False),
    Column("role", String(32), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("revoked_at", String(40)),
)
token_villages = Table(
    "token_villages",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("village_code", String(12), primary_key=True),
)
devices = Table(
    "devices",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("token_id", String(16), nullable=False),
    Column("last_seq", BigInteger, nullable=False, default=0),
)
change_results = Table(
    "change_results",
    metadata,
    Column("device_id", String(64), primary_key=True),
    Column("seq", BigInteger, primary_key=True),
    Column("status", String(16), nullable=False),
    Column("reason", Text),
    Column("version", BigInteger),
    #: A digest of the change, so a retry can be told from another change under the same seq.
    Column("fingerprint", String(32)),
)
records = Table(
    "records",
    metadata,
    Column("table_name", String(40), primary_key=True),
    Column("record_id", String(64), primary_key=True),
    Column("village_code", String(12)),
    Column("data", Text, nullable=False),
    Column("stamps", Text, nullable=False),
    Column("deleted", Boolean, nullable=False, default=False),
    Column("version", BigInteger, nullable=False),
    Column("hlc", String(100), nullable=False),
    Column("device_id", String(64), nullable=False),
    Column("sole_device", String(64)),
    # Built by the migrations below (m001 made the table); named here so it is on record.
    Index("ix_records_version_village", "version", "village_code"),
)
conflicts = Table(
    "conflicts",
    metadata,
    Column(
        "id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    ),
    Column("version", BigInteger, nullable=False, index=True),
    Column("table_name", String(40), nullable=False),
    Column("record_id", String(64), nullable=False),
    Column("village_code", String(12), index=True),
    Column("field", String(64), nullable=False),
    Column("kept_value", Text),
    Column("lost_value", Text),
    Column("kept_device", String(64), nullable=False),
    Column("lost_device", String(64), nullable=False),
    Column("lost_hlc", String(100), nullable=False),
    Column("created_at", String(40), nullable=False),
)
counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
schema_versions = Table(
    "schema_versions",
    metadata,
    Column("version", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("applied_at", String(40), nullable=False),
)


def _m001_initial(conn: Connection) -> None:
    metadata.create_all(conn, tables=[tokens, token_villages, devices, conflicts, counters])
    # `change_results` and `records` as first released; later migrations add to them, so
    # they are not built from today's Table definitions.
    conn.execute(
        text(
            """
            CREATE TABLE change_results (
                device_id VARCHAR(64) NOT NULL, seq BIGINT NOT NULL, status VARCHAR(16) NOT NULL,
                reason TEXT, version BIGINT, PRIMARY KEY (device_id, seq))
            """
        )
    )
    conn.execute(
        text(
            """
            CREATE TABLE records (
                table_name VARCHAR(40) NOT NULL, record_id VARCHAR(64) NOT NULL,
                village_code VARCHAR(12), data TEXT NOT NULL, stamps TEXT NOT NULL,
                deleted BOOLEAN NOT NULL, version BIGINT NOT NULL, hlc VARCHAR(100) NOT NULL,
                device_id VARCHAR(64) NOT NULL, PRIMARY KEY (table_name, record_id))
            """
        )
    )
    conn.execute(text("CREATE INDEX ix_records_village_code ON records (village_code)"))
    conn.execute(text("CREATE INDEX ix_records_version ON records (version)"))
    conn.execute(insert(counters).values(name="version", value=0))


def _m002_sole_writer(conn: Connection) -> None:
    """Which device alone wrote a record, so a pull need not echo a device's own records."""
    conn.execute(text("ALTER TABLE records ADD COLUMN sole_device VARCHAR(64)"))


def _m003_pull_in_version_order(conn: Connection) -> None:
    """One index a pull walks in version order, reading the village from it.

    With an index on village_code alone, SQLite answered every pull page by reading all of
    the villages' records and sorting them: pulling N records cost N²/500 row reads.
    """
    conn.execute(text("DROP INDEX ix_records_village_code"))
    conn.execute(text("DROP INDEX ix_records_version"))
    conn.execute(text("CREATE INDEX ix_records_version_village ON records (version, village_code)"))


def _m004_result_fingerprints(conn: Connection) -> None:
    """A digest of each applied change: a device restored from an old copy reuses seqs."""
    conn.execute(text("ALTER TABLE change_results ADD COLUMN fingerprint VARCHAR(32)"))


#: The server's migrations, in order; append, never edit a released one.
MIGRATIONS: list[tuple[str, Callable[[Connection], None]]] = [
    ("initial", _m001_initial),
    ("sole_writer", _m002_sole_writer),
    ("pull_in_version_order", _m003_pull_in_version_order),
    ("result_fingerprints", _m004_result_fingerprints),
]


def default_url() -> str:
    folder = Path(platformdirs.user_data_dir("civtui-server"))
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return f"sqlite:///{folder / 'server.db'}"


def database_url(url: str | None) -> str:
    """The URL to use: the one given, else CIVTUI_SERVER_DATABASE, else a local SQLite file."""
    chosen = url or os.environ.get("CIVTUI_SERVER_DATABASE") or default_url()
    if chosen.startswith(("postgresql://", "postgres://")):
        # psycopg 3 is the driver the server extra installs.
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def _private_file(path: str | None) -> None:
    """Create the server's SQLite file readable by its owner only: it holds every village's
    personal data. (SQLite gives its -wal and -shm files the same permissions.)"""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    if not Path(path).parent.is_dir():
        return  # SQLite will say so itself
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)


def make_engine(url: str | None = None) -> Engine:
    target = database_url(url)
    if target.startswith("sqlite"):
        _private_file(make_url(target).database)
        engine = create_engine(target, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            # Take over transaction control so every write can BEGIN IMMEDIATE:
            # one writer at a time, no lock upgrades that deadlock under load.
            dbapi_conn.isolation_level = None
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(target, pool_pre_ping=True, pool_size=10, max_overflow=20)


def migrate(engine: Engine) -> list[str]:
    """Apply pending migrations, each in its own transaction; returns the names applied."""
    with engine.begin() as conn:
        if not inspect(conn).has_table("schema_versions"):
            schema_versions.create(conn)
        done = {row.version for row in conn.execute(select(schema_versions.c.version))}
    applied = []
    for number, (name, step) in enumerate(MIGRATIONS, start=1):
        if number in done:
            continue
        with engine.begin() as conn:
            step(conn)
            conn.execute(
                insert(schema_versions).values(version=number, name=name, applied_at=now_text())
            )
        applied.append(name)
    return applied


def is_ready(engine: Engine) -> bool:
    with engine.connect() as conn:
        if not inspect(conn).has_table("schema_versions"):
            return False
        done = {row.version for row in conn.execute(select(schema_versions.c.version))}
    return done >= set(range(1, len(MIGRATIONS) + 1))


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
