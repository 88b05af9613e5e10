"""Every field of the protocol has bounds: beyond them a 422 that writes nothing, never a 500;
the OpenAPI document's references resolve; the server's file is private; a full disk on the
laptop ends in a clear message with nothing lost."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import httpx
import pytest

from civtui.domain.models import Staff
from sync import client
from sync.protocol import MAX_FIELDS, MAX_INT, MAX_PUSH_CHANGES, Code, Reason
from sync.server import storage
from tests.conftest import VILLAGE, make_person
from tests.sync_harness import Server, device, server, tls
from tests.test_sync import demo_device, raw_push

__all__ = ["server"]

HLC = "1763800000000-0000"


def change(**fields: Any) -> dict[str, Any]:
    return {"seq": 1, "table": "persons", "record_id": "p1", "hlc": HLC, **fields}


def push_of(*changes: dict[str, Any], device_id: str = "dev-1") -> bytes:
    return json.dumps({"device_id": device_id, "changes": list(changes)}).encode()


@pytest.mark.parametrize(
    "body",
    [
        push_of(change(seq=MAX_INT + 1)),
        push_of(change(seq=2**64)),
        push_of(change(base_version=MAX_INT + 1)),
        push_of(change(record_id="a\x00b")),
        push_of(change(record_id="tab\there")),
        push_of(change(record_id=" padded")),
        push_of(change(record_id="x" * 65)),
        push_of(change(fields={f"f{n}": n for n in range(MAX_FIELDS + 1)})),
        push_of(change(fields={"x" * 65: 1})),
        push_of(*[change(seq=n + 1) for n in range(MAX_PUSH_CHANGES + 1)]),
        push_of(change(), device_id="dev\x00ice"),
        push_of(change(hlc="1763800000000-0000-a\x00b")),
        push_of(change(seq=MAX_INT), {k: v for k, v in change(record_id="p2").items() if k != "seq"}),
        push_of({k: v for k, v in change().items() if k != "seq"}),
        push_of(change(seq=0), change(seq=2, record_id="p2")),
        push_of(change(seq=5), change(seq=0, record_id="p2")),
        push_of(change(), device_id="设备"),
        push_of(change(hlc="١٧٦٣٨٠٠٠٠٠٠٠٠-0000")),
    ],
    ids=[
        "seq-2^63", "seq-2^64", "base-2^63", "id-nul", "id-tab", "id-space", "id-65",
        "fields-65", "field-name-65", "changes-1001", "device-nul", "hlc-nul",
        "run-past-2^63", "first-unnumbered", "first-seq-0", "later-seq-0", "device-non-ascii",
        "hlc-digits",
    ],
)  # fmt: skip
def test_a_push_beyond_the_bounds_is_a_422_that_writes_nothing(
    server: Server, home: Path, body: bytes
) -> None:
    d = device(server, "a")
    response = raw_push(server, d.token, body, gz=False)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == Code.BAD_REQUEST
    assert server.count("records") == 0 and server.count("devices") == 0


def test_a_push_whose_runs_cannot_be_numbered_says_where(server: Server, home: Path) -> None:
    unnumbered = {k: v for k, v in change(record_id="p2").items() if k != "seq"}
    a = device(server, "a")
    for body, kind in [
        (push_of(unnumbered), "seq_missing"),
        (push_of(change(seq=MAX_INT), unnumbered), "seq_too_large"),
    ]:
        response = raw_push(server, a.token, body, gz=False)
        assert response.status_code == 422, response.text
        (error,) = response.json()["detail"]["params"]["errors"]
        assert error["type"] == kind and error["loc"] == ["changes"]
    # Left out inside a run: one more than the change before, as a laptop sends it.
    people = [make_person(seq=101 + 2 * i).model_dump(mode="json") for i in range(2)]
    first = change(seq=7, record_id=people[0]["id"], fields=people[0])
    second = change(record_id=people[1]["id"], fields=people[1])
    del second["seq"]
    response = raw_push(server, a.token, push_of(first, second), gz=False)
    results = response.json()["results"]
    assert [(r["seq"], r["status"]) for r in results] == [(7, "accepted"), (8, "accepted")]


@pytest.mark.parametrize("cursor", [MAX_INT + 1, -1, 2**70])
def test_a_pull_beyond_the_bounds_is_a_422(server: Server, home: Path, cursor: int) -> None:
    d = device(server, "a")
    response = httpx.post(
        f"{server.base}/v1/pull",
        content=json.dumps({"cursor": cursor}).encode(),
        headers={"Authorization": f"Bearer {d.token}"},
        timeout=30,
        verify=tls(),
    )
    assert response.status_code == 422


def test_the_largest_numbers_allowed_are_stored(server: Server, home: Path) -> None:
    d = device(server, "a")
    person = make_person().model_dump(mode="json")
    body = push_of(change(seq=MAX_INT, base_version=MAX_INT, record_id=person["id"], fields=person))
    response = raw_push(server, d.token, body, gz=False)
    assert response.status_code == 200, response.text
    assert server.count("records") == 1


def test_a_staff_record_with_a_million_villages_is_refused(server: Server, home: Path) -> None:
    d = device(server, "a")
    staff = Staff(name="王", role="assistant", village_codes=[VILLAGE]).model_dump(mode="json")
    staff["village_codes"] = [VILLAGE] * 1000
    body = push_of(change(table="staff", record_id=staff["id"], fields=staff))
    response = raw_push(server, d.token, body, gz=False)
    assert response.status_code == 200
    (result,) = response.json()["results"]
    assert result["status"] == "rejected" and result["reason"]["code"] == Code.INVALID
    assert server.count("records") == 0


def test_every_reference_in_the_openapi_document_resolves(server: Server) -> None:
    document = httpx.get(f"{server.base}/openapi.json", timeout=10, verify=tls()).json()
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(v for k, v in node.items() if k == "$ref")
            for k, v in node.items():
                if k != "$ref":
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(document)
    assert "#/components/schemas/Change" in found
    for ref in found:
        target = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
        assert isinstance(target, dict), ref


def test_the_servers_sqlite_file_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "server.db"
    engine = storage.make_engine(f"sqlite:///{path}")
    storage.migrate(engine)
    engine.dispose()
    for made in tmp_path.iterdir():
        assert stat.S_IMODE(made.stat().st_mode) & 0o077 == 0, made


def test_a_full_disk_during_a_pull_says_so_and_loses_nothing(server: Server, home: Path) -> None:
    demo_device(server, "big").sync()
    laptop = demo_device(server, "small", persons=3)
    pending = laptop.store.pending_count()
    # The file may grow no more: as a full disk, to SQLite.
    (pages,) = laptop.store.db.execute("PRAGMA page_count").fetchone()
    laptop.store.db.execute(f"PRAGMA max_page_count = {pages + 2}")
    with pytest.raises(client.DiskFullError) as failure:
        laptop.sync()
    assert failure.value.reason == Reason.of(Code.DISK_FULL)
    assert laptop.store.pending_count() <= pending
    laptop.store.db.execute("PRAGMA max_page_count = 1073741823")
    report = laptop.sync()
    assert laptop.store.pending_count() == 0 and report.pulled > 0
