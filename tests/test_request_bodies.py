"""A request body is read whole or refused: every gzip member, within one limit."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from sync import protocol
from sync.server import storage, tokens
from sync.server.app import create_app
from tests.conftest import VILLAGE


def test_every_member_of_a_gzip_body_is_read() -> None:
    body = gzip.compress(b'{"a": ') + gzip.compress(b"1}")
    assert protocol.decompress(body) == b'{"a": 1}'


def test_a_second_member_past_the_limit_is_refused_not_ignored() -> None:
    body = gzip.compress(b"{}") + gzip.compress(b" " * 5000)
    with pytest.raises(protocol.BodyTooLargeError):
        protocol.decompress(body, limit=4096)


def test_a_body_that_ends_inside_a_member_is_refused() -> None:
    whole = gzip.compress(b'{"changes": []}' * 100)
    with pytest.raises(ValueError, match="ends inside"):
        protocol.decompress(whole[: len(whole) // 2])


@pytest.mark.parametrize("tail", [b"\x00", b"garbage", b"\x1f\x8b"])
def test_anything_but_a_member_after_the_first_is_refused(tail: bytes) -> None:
    with pytest.raises(ValueError):
        protocol.decompress(gzip.compress(b"{}") + tail)


def test_a_bomb_is_stopped_at_the_limit_without_inflating_it_whole() -> None:
    # 64 MiB of spaces packs into about 64 KiB; the limit stops the inflater early.
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(packer.compress(b" " * (1 << 20)) for _ in range(64)) + packer.flush()
    with pytest.raises(protocol.BodyTooLargeError):
        protocol.decompress(gzip.compress(b"{}") + bomb, limit=1 << 20)


async def test_a_push_hiding_a_second_member_is_refused_and_writes_nothing_32(
    tmp_path: Path,
) -> None:
    engine = storage.make_engine(f"sqlite:///{tmp_path / 'server.db'}")
    storage.migrate(engine)
    _, token = tokens.create(engine, "王", "assistant", [VILLAGE])
    first = gzip.compress(json.dumps({"device_id": "d" * 8, "changes": []}).encode())
    hidden = gzip.compress(b" " * (protocol.MAX_DECOMPRESSED_BYTES + 1))
    transport = httpx.ASGITransport(app=create_app(engine))
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        answer = await client.post(
            protocol.PATH_PUSH,
            content=first + hidden,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
    assert answer.status_code == 413
    assert answer.json()["detail"]["code"] == protocol.Code.BODY_TOO_LARGE
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(storage.records)).scalar() == 0
    engine.dispose()
