"""The restore drill of docs/deploy.md on PostgreSQL: an older `pg_dump` put back, laptops recover.

The same commands as the page (pg_dump --format=custom, dropdb/createdb, pg_restore
--no-owner, civtui server init), against the test cluster.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from civtui.cli import main
from civtui.domain.models import Visit
from sync.server import storage
from tests.conftest import CTX, make_person
from tests.sync_harness import POSTGRES_ENV, ROOT, Server, device, rows, server

__all__ = ["server"]

needs_postgres = pytest.mark.skipif(
    not os.environ.get(POSTGRES_ENV), reason="the drill needs PostgreSQL (scripts/dev.py test)"
)


def pg_tool(name: str) -> str:
    """`name` of the PostgreSQL install that runs the test cluster, else the one on PATH."""
    pg_ctl = shutil.which("pg_ctl")
    beside = Path(pg_ctl).resolve().parent / name if pg_ctl else None
    found = str(beside) if beside and beside.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed beside PostgreSQL")
    return found


def libpq_url(url: str) -> str:
    """The URL as pg_dump and pg_restore take it (no SQLAlchemy driver name)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def pg_dump(srv: Server, target: Path) -> None:
    command = [pg_tool("pg_dump"), "--format=custom", f"--file={target}", libpq_url(srv.db_url)]
    subprocess.run(command, check=True, capture_output=True)


def restore(srv: Server, dump: Path) -> None:
    """The drill: stop, drop and recreate the database, pg_restore, civtui server init, start."""
    srv.stop()
    srv.engine.dispose()
    name = make_url(srv.db_url).database
    admin = create_engine(
        storage.database_url(os.environ[POSTGRES_ENV]), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    restore_cmd = [pg_tool("pg_restore"), "--no-owner", f"--dbname={libpq_url(srv.db_url)}"]
    subprocess.run([*restore_cmd, str(dump)], check=True, capture_output=True)
    init = subprocess.run(
        [sys.executable, "-m", "civtui", "--lang", "en", "server", "init", "--database", srv.db_url],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert "up to date" in init.stdout
    srv.start()


@needs_postgres
@pytest.mark.parametrize("server", ["postgres"], indirect=True)
def test_restore_drill_on_postgresql(server: Server, home: Path, tmp_path: Path) -> None:
    a, b = device(server, "a"), device(server, "b")
    person = make_person()
    a.store.save(person)
    a.sync(), b.sync()
    dump = tmp_path / "civtui-2026-11-20.dump"
    pg_dump(server, dump)  # last night's backup

    def visit(day: str, who: str) -> Visit:
        data = {"person_id": person.id, "visit_date": day, "visitor": who}
        return Visit.model_validate(data, context=CTX)

    lost_a, lost_b = visit("2026-11-02", "王"), visit("2026-11-03", "李")
    a.store.save(lost_a)
    b.store.save(lost_b)
    a.sync(), b.sync(), a.sync()  # the server acknowledged both, then its disk died
    restore(server, dump)
    assert ("visits", lost_a.id) not in server.records()

    # a has nothing to push: its pull shows the server holds less than it acknowledged.
    assert a.sync().resent == 1
    after = visit("2026-11-20", "李")
    b.store.save(after)
    assert b.sync().resent == 1  # b's push shows the gap before its new change
    assert {("visits", v.id) for v in (lost_a, lost_b, after)} <= set(server.records())
    a.sync(), b.sync()
    c = device(server, "c")
    c.sync()
    assert {lost_a.id, lost_b.id, after.id} <= set(rows(c.store, "visits"))
    assert rows(a.store, "visits") == rows(b.store, "visits") == rows(c.store, "visits")
    assert a.store.pending_count() == b.store.pending_count() == 0


def test_the_drill_is_the_deployment_pages(tmp_path: Path) -> None:
    """The page names the commands this test runs, so neither drifts from the other."""
    page = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for step in ("pg_dump --format=custom", "pg_restore --no-owner", "civtui server init",
                 "dropdb", "createdb", "ExecStart=", "reverse_proxy", "logrotate"):  # fmt: skip
        assert step in page, step
    result = CliRunner().invoke(main, ["server", "config", "--help"])
    assert result.exit_code == 0
