"""The server's plain log writes what a request sent as data: a path cannot clear the
terminal it is read on, nor forge a field (` status=200 token=…` in a path)."""

from __future__ import annotations

import io
import shlex
from pathlib import Path

import httpx

from sync.server import logs, storage
from sync.server.app import create_app
from sync.server.logs import field_value


def fields_of(line: str) -> dict[str, str]:
    """A plain line's `key=value` fields, read as a log reader would (quotes honoured)."""
    words = shlex.split(line)
    return dict(word.split("=", 1) for word in words[4:])


async def test_a_path_with_escapes_and_fields_in_it_stays_one_field(tmp_path: Path) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    storage.migrate(engine)
    stream = io.StringIO()
    logs.configure("INFO", stream=stream)
    transport = httpx.ASGITransport(app=create_app(engine))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
            # As a client sends it: percent-encoded; the server reads the path decoded.
            answer = await client.get("/v1/%1B[2J%20status=200%20token=forged%20%E2%80%AEabc")
    finally:
        logs.configure("INFO")
    assert answer.status_code == 404
    (line,) = [x for x in stream.getvalue().splitlines() if " request " in x]
    assert "\x1b" not in line and "\u202e" not in line
    fields = fields_of(line)
    assert fields["status"] == "404"
    assert "token" not in fields
    assert fields["path"] == "/v1/\\x1b[2J status=200 token=forged \\u202eabc"


def test_plain_values_stay_bare_and_others_are_quoted() -> None:
    assert field_value("/v1/push") == "/v1/push"
    assert field_value("") == '""'
    assert field_value('a"b') == '"a\\"b"'
    assert field_value("a\\x1b") == '"a\\\\x1b"'  # typed backslashes never pass for escapes
    assert field_value("x\x1b]0;t\x07\x85") == '"x\\x1b]0;t\\x07\\x85"'
