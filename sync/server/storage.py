"""The server's tables, its migrations and its engine: the same code on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
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
    inspect,
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
    #: The Ed25519 public key derived from the token's secret (hex), which checks the
    #: signature of its laptops' bundles (migration 0007; `sync.bundle`).
    Column("bundle_key", String(64)),
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
    # Set when a laptop resolved it (migration 0006): the version every laptop pulls it by.
    Column("resolved_version", BigInteger, index=True),
    Column("resolved_by", String(64)),
    # The lost stamp as its laptop made it, where the server read it back (migration 0009).
    Column("lost_made", String(100)),
    # True when it was recorded closed: the lost value was left by an id the kept side's
    # laptop gave up (`former_ids`, migration 0010), opened again as a new conflict if that
    # id is heard from again (a clone kept it).
    Column("closed_as_former", Boolean),
)
counters = Table(
    "counters",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)
#: What only the server may know, by name: its bundle key pair's seed (`sync.server.bundle`).
server_secrets = Table(
    "server_secrets",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)
#: Each server process that served this database, in order (migration 0008): the history a
#: pull cursor counts in (`sync.server.epochs`). `since` is the version top when it began.
epochs = Table(
    "epochs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("number", BigInteger, nullable=False),
    Column("since", BigInteger, nullable=False),
    Column("started_at", String(40), nullable=False),
)
#: Which device id gave up which (migration 0010; `merge.FormerIds`): a laptop that started
#: over as a new device names the ids it held before in its pushes. `since` is the version
#: of the push that first named it; `heard` the version at which the former id spoke again
#: (pushed, or asked about its changes) after that, which a copy that kept it does and a
#: restored laptop never does.
former_ids = Table(
    "former_ids",
    metadata,
    Column("former_id", String(64), primary_key=True),
    Column("device_id", String(64), primary_key=True),
    Column("since", BigInteger, nullable=False),
    Column("heard", BigInteger),
)
#: The schema this code is written for: the newest migration in `sync/server/migrations`.
HEAD = 10
#: The table in which releases before Alembic recorded their migrations (1-4).
_LEGACY_VERSIONS = "schema_versions"
_MIGRATIONS = Path(__file__).with_name("migrations")


class SchemaTooNewError(RuntimeError):
    """The database was migrated by a newer release than this one."""

    def __init__(self, found: int) -> None:
        super().__init__(f"database schema {found} is newer than this release's {HEAD}")
        self.found = found


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


def make_engine(url: str | None = None) -> Engine:
    """The engine for `url`. Its errors never quote the values of a statement (a record's
    data), so an unexpected error's traceback in the log holds no one's name or ID number."""
    target = database_url(url)
    if target.startswith("sqlite"):
        file = make_url(target).database
        if file and file != ":memory:" and not Path(file).exists():
            private_file(Path(file))  # SQLite gives its -wal and -shm files the same mode
        engine = create_engine(
            target, connect_args={"check_same_thread": False, "timeout": 30}, hide_parameters=True
        )

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
    return create_engine(
        target, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True
    )


def _alembic(conn: Connection) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def schema_version(engine: Engine) -> int:
    """The database's schema version: 0 for an empty database."""
    with engine.connect() as conn:
        found = inspect(conn)
        if found.has_table("alembic_version"):
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            return int(revision) if revision else 0
        if found.has_table(_LEGACY_VERSIONS):
            latest = conn.execute(text(f"SELECT max(version) FROM {_LEGACY_VERSIONS}")).scalar()
            return int(latest or 0)
        return 0


def sqlite_path(engine: Engine) -> Path | None:
    """The file of a SQLite database; None for PostgreSQL or an in-memory database."""
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        return None
    return Path(database)


def backup_sqlite(engine: Engine, folder: Path | None = None, label: str = "backup") -> Path | None:
    """A consistent copy of a SQLite database (0600), beside it or in `folder`."""
    import sqlite3

    source = sqlite_path(engine)
    if source is None or not source.exists():
        return None
    folder = folder or source.parent
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    target = folder / f"{source.stem}-{label}-{stamp}.db"
    private_file(target)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()
    return target


@dataclass(frozen=True)
class Migration:
    """What `migrate` did: the versions before and after, and the copy it took first."""

    before: int
    after: int
    backup: Path | None


def migrate(engine: Engine, backup_dir: Path | None = None) -> Migration:
    """Bring the database to `HEAD`, each migration in its own transaction.

    A SQLite file that holds a schema already is copied first (the laptops do the same).
    Raises SchemaTooNewError on a database a newer release has migrated.
    """
    from alembic import command

    before = schema_version(engine)
    if before > HEAD:
        raise SchemaTooNewError(before)
    if before == HEAD:
        return Migration(before, before, None)
    copy = backup_sqlite(engine, backup_dir, f"schema{before}") if before else None
    with engine.connect() as conn:
        config = _alembic(conn)
        if before and not inspect(conn).has_table("alembic_version"):
            # A database from before Alembic: its migrations 1-4 are Alembic's 0001-0004.
            command.stamp(config, f"{before:04d}")
        command.upgrade(config, "head")
        conn.commit()
    return Migration(before, schema_version(engine), copy)


def is_ready(engine: Engine) -> bool:
    return schema_version(engine) == HEAD


def private_file(path: Path) -> None:
    """Create `path` if missing, readable and writable by its owner only (0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    path.chmod(0o600)


def now_text() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
