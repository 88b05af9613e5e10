"""schemathesis against the server app in process, on SQLite and PostgreSQL: whatever the
OpenAPI document allows (and what it does not), no server error and no write by a refused
request. Examples are few per run to keep the suite quick; `SCHEMATHESIS_EXAMPLES=500` runs
more."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
from sqlalchemy import create_engine, func, select, text

from sync.server import storage, tokens
from sync.server.app import create_app
from tests.conftest import VILLAGE
from tests.sync_harness import POSTGRES_ENV, backends

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "40"))
WRITTEN = (storage.records, storage.devices, storage.change_results, storage.conflicts)


@pytest.fixture(params=backends())
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    if request.param == "postgres":
        admin = create_engine(
            storage.database_url(os.environ[POSTGRES_ENV]), isolation_level="AUTOCOMMIT"
        )
        name = f"civtui_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = os.environ[POSTGRES_ENV].rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path / 'server.db'}"
    made = storage.make_engine(url)
    storage.migrate(made)
    yield made
    made.dispose()
    if request.param == "postgres":
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def token(engine: Any) -> str:
    _, made = tokens.create(engine, "Wang", "assistant", [VILLAGE])
    return made


@pytest.fixture
def api(engine: Any) -> Any:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(engine))
    # Bodies that fit the schema and bodies that do not; NUL characters too (PostgreSQL).
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    loaded.config.generation.update(modes=modes, allow_x00=True)
    return loaded


schema = schemathesis.pytest.from_fixture("api")
#: Hundreds of generated requests against each database: a server test, not a per-commit one.
pytestmark = pytest.mark.server


def written(engine: Any) -> list[int]:
    with engine.connect() as conn:
        return [
            int(conn.execute(select(func.count()).select_from(t)).scalar_one()) for t in WRITTEN
        ]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_request_makes_a_server_error_or_a_refused_one_writes(
    case: Any, engine: Any, token: str
) -> None:
    before = written(engine)
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        assert written(engine) == before, response.text
