"""Fewer requests per sync: the server's epoch rides on the first question of a sync
(`Feature.APPLIED_EPOCH`), and the pull answer names the token's villages
(`Feature.PULL_VILLAGES`), so a sync asks neither `/v1/epoch` nor `/v1/me` where it needs
not. Each half goes only to a laptop that names it, and a laptop falls back to both
requests against a server that does not answer them; a page's villages never widen what a
laptop takes.

In process, as the state machine runs (`tests/sync_model.py`): the real app on SQLite,
driven through its ASGI interface."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from civtui.domain.models import Person
from db import outbox
from sync import client, protocol
from sync.server import merge, storage
from tests.conftest import make_person
from tests.sync_model import (
    URL,
    VILLAGE_A,
    VILLAGE_B,
    Laptop,
    Role,
    Server,
    Templates,
    World,
    make_templates,
    open_laptops,
)

APPLIED, EPOCH, ME, PULL, PUSH = (
    protocol.PATH_APPLIED,
    protocol.PATH_EPOCH,
    protocol.PATH_ME,
    protocol.PATH_PULL,
    protocol.PATH_PUSH,
)
NEW = frozenset({protocol.Feature.APPLIED_EPOCH, protocol.Feature.PULL_VILLAGES})
#: A name as hostile as a person's can be: markup, an equals sign, escapes.
HOSTILE = "王[/b][red]秀=英\\x1b[0m"


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return make_templates(tmp_path_factory.mktemp("templates"))


class World3:
    """The server and the three laptops of `tests.sync_model.ROLES`: a1, a2 (village A)
    and sup (A and B)."""

    def __init__(self, templates: Templates, folder: Path) -> None:

        self.world = World()
        self.server = Server(folder, templates.server)
        self.laptops = open_laptops(templates, folder, self.world)
        self.templates = templates

    def settle(self) -> None:
        """Each laptop syncs once, as after `login`: its profile's village and staff record
        are on the server, its cursor counted in the server's epoch."""
        for name in ("a1", "a2", "sup"):
            sync(self, name)

    def close(self) -> None:
        for lap in self.laptops.values():
            lap.store.close()
        self.server.close()


@pytest.fixture
def world(
    templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[World3]:
    made = World3(templates, tmp_path)
    monkeypatch.setattr(merge, "now_ms", made.world.now_ms)  # the server's clock is the world's
    try:
        yield made
    finally:
        made.close()


class Watch(httpx.BaseTransport):
    """The server's transport, noting each request's path, and letting a test change what
    the laptop says (`ask`) or what the server answers (`answer`) on the way."""

    def __init__(
        self,
        inner: httpx.BaseTransport,
        ask: Callable[[httpx.Request], httpx.Request] | None = None,
        answer: Callable[[str, httpx.Response], httpx.Response] | None = None,
    ) -> None:
        self.inner, self.ask, self.answer = inner, ask, answer
        self.paths: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.paths.append(request.url.path)
        if self.ask is not None:
            request = self.ask(request)
        response = self.inner.handle_request(request)
        return self.answer(request.url.path, response) if self.answer else response

    def close(self) -> None:
        pass


def sync(world: World3, name: str, watch: Watch | None = None) -> tuple[client.SyncReport, Watch]:
    lap = world.laptops[name]
    world.world.ms += 60_000
    lap.tick()
    watch = watch or Watch(world.server.transport)
    conn = client.Connection(URL, lap.token, attempts=1, transport=watch)
    try:
        return client.sync(lap.store, conn), watch
    finally:
        conn.close()


def body(response: httpx.Response) -> dict[str, Any]:
    """An answer's JSON, read from its raw (gzip) bytes."""
    raw = response.read()
    data: dict[str, Any] = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    return data


def rewritten(response: httpx.Response, change: Callable[[dict[str, Any]], None]) -> httpx.Response:
    """The answer with its JSON changed by `change`, gzip again, as a server would send it."""
    data = body(response)
    change(data)
    headers = [
        (k, v)
        for k, v in response.headers.raw
        if k.lower() not in (b"content-length", b"content-encoding")
    ]
    return httpx.Response(
        response.status_code,
        headers=[*headers, (b"content-encoding", b"gzip")],
        content=gzip.compress(json.dumps(data, ensure_ascii=False).encode()),
    )


def save_person(lap: Laptop, **fields: Any) -> Person:
    person = make_person(seq=len(lap.live(Person)) + 101, **fields)
    lap.store.save(person)
    return person


# -- the requests a sync makes ---------------------------------------------------------------


def test_a_sync_asks_neither_epoch_nor_villages_of_a_server_that_answers_them(
    world: World3,
) -> None:
    """A first sync (cursor 0) and every later one in the same epoch: the question every
    sync asks, the push when there is one, and the pull; the laptop counts its cursor in
    the server's epoch as `/v1/epoch` would have said, and gets what another laptop wrote."""
    person = save_person(world.laptops["a1"], name=HOSTILE)
    report, watch = sync(world, "a1")
    assert watch.paths == [APPLIED, PUSH, PULL]
    assert report.accepted == 3  # its village, its staff record, the person
    _, watch = sync(world, "a2")
    assert watch.paths == [APPLIED, PUSH, PULL]
    held = world.laptops["a2"].store.get(Person, person.id)
    assert held is not None and held.name == HOSTILE
    # The epoch as the question would have answered it, and the cursor at the top.
    a2 = world.laptops["a2"].store
    asked = world.server.transport.handle_request(
        httpx.Request(
            "POST",
            URL + EPOCH,
            headers={"Authorization": f"Bearer {world.laptops['a2'].token}"},
            content=json.dumps({"epoch": None, "cursor": 0}).encode(),
        )
    )
    assert a2.get_meta(outbox.SERVER_EPOCH) == body(asked)["epoch"]
    assert outbox.cursor(a2) == world.server.version()
    # A later sync in the same epoch, with a change: still no /v1/epoch, no /v1/me.
    save_person(world.laptops["a2"], name="李四")
    _, watch = sync(world, "a2")
    assert watch.paths == [APPLIED, PUSH, PULL]
    _, watch = sync(world, "a1")
    assert watch.paths == [APPLIED, PULL]
    assert {p.name for p in world.laptops["a1"].store.all(Person)} == {HOSTILE, "李四"}


def test_a_laptop_past_a_server_restore_still_asks_where_its_pull_starts(world: World3) -> None:
    """The server came back from a copy: the first answer names another epoch than the
    laptop's, so it asks `/v1/epoch`, pulls from where the histories agree, and gets what
    the copy holds below its cursor; the sync after needs no question again."""
    a1 = world.laptops["a1"]
    world.settle()
    copy = world.server.keep_copy()
    kept = save_person(a1, name="复制前")
    sync(world, "a1")
    sync(world, "a2")
    world.server.restore(copy)  # `kept` is lost with the restore
    save_person(world.laptops["sup"], name="恢复后")
    sync(world, "sup")
    before = a1.store.get_meta(outbox.SERVER_EPOCH)
    report, watch = sync(world, "a1")
    # The question again (where its own changes end there), then where the pull starts.
    assert watch.paths[0] == APPLIED and EPOCH in watch.paths, watch.paths
    assert watch.paths[-1] == PULL and ME not in watch.paths
    assert a1.store.get_meta(outbox.SERVER_EPOCH) not in (None, before)
    assert report.resent >= 1  # `kept` goes again
    assert ("persons", kept.id) in world.server.records()
    assert {p.name for p in a1.store.all(Person)} == {"复制前", "恢复后"}
    _, watch = sync(world, "a1")
    assert watch.paths == [APPLIED, PULL]


def test_a_database_restored_under_the_running_server_starts_a_new_epoch_at_the_question(
    world: World3,
) -> None:
    """The database lost the running process's epoch (restored while it ran): the first
    question's answer begins a new one, as `/v1/epoch` would, and the laptop, counted in
    the old, asks where to start."""
    sync(world, "a1")
    a1 = world.laptops["a1"]
    old = a1.store.get_meta(outbox.SERVER_EPOCH)
    with world.server.engine.begin() as conn:
        conn.execute(delete(storage.epochs).where(storage.epochs.c.id == old))
    _, watch = sync(world, "a1")
    assert watch.paths[:2] == [APPLIED, EPOCH], watch.paths
    assert watch.paths[-1] == PULL and ME not in watch.paths
    new = a1.store.get_meta(outbox.SERVER_EPOCH)
    assert new not in (None, old)
    _, watch = sync(world, "a1")
    assert watch.paths == [APPLIED, PULL]
    assert a1.store.get_meta(outbox.SERVER_EPOCH) == new


# -- the two ends of different releases --------------------------------------------------


#: The fields an older laptop's `AppliedResponse` and `PullResponse` know, and no other.
_OLDER_APPLIED = {"applied_through", "fingerprints"}
_OLDER_PULL = {"records", "conflicts", "cursor", "has_more", "applied_through", "staff"}


@pytest.mark.parametrize("header", [None, "1", "2 some_later_feature", "others"])
def test_the_new_fields_go_only_to_a_laptop_that_says_it_reads_them(
    world: World3, header: str | None
) -> None:
    """An older laptop's models refuse a field they do not know: one whose header names
    neither feature (none at all, an older protocol, only features it does not know, or
    every other feature) is answered without them, and makes the requests it always made."""
    world.settle()
    save_person(world.laptops["a1"])
    sync(world, "a1")
    if header == "others":
        header = " ".join([str(protocol.PROTOCOL), *sorted(protocol.FEATURES - NEW)])
    seen: dict[str, dict[str, Any]] = {}

    def ask(request: httpx.Request) -> httpx.Request:
        if request.url.path in (APPLIED, PULL):
            assert protocol.PROTOCOL_HEADER in request.headers  # the new laptop says it
            del request.headers[protocol.PROTOCOL_HEADER]
            if header is not None:
                request.headers[protocol.PROTOCOL_HEADER] = header
        return request

    def answer(path: str, response: httpx.Response) -> httpx.Response:
        if path in (APPLIED, PULL):
            return rewritten(response, lambda data: seen.__setitem__(path, dict(data)))
        return response

    watch = Watch(world.server.transport, ask, answer)
    _, watch = sync(world, "a2", watch)
    assert watch.paths == [APPLIED, EPOCH, PULL, ME]
    assert set(seen[APPLIED]) <= _OLDER_APPLIED, seen[APPLIED]
    assert set(seen[PULL]) <= _OLDER_PULL, seen[PULL]
    assert len(world.laptops["a2"].live(Person)) == 1
    # Named, they come: the epoch and top with the question, the token's villages with the
    # pull.
    seen.clear()
    header = protocol.protocol_said()
    _, watch = sync(world, "a2", Watch(world.server.transport, ask, answer))
    assert watch.paths == [APPLIED, PULL]
    assert seen[APPLIED]["epoch"] == world.laptops["a2"].store.get_meta(outbox.SERVER_EPOCH)
    assert seen[APPLIED]["version"] == world.server.version()
    assert seen[PULL]["villages"] == [VILLAGE_A]


def test_a_laptop_against_a_server_that_does_not_answer_them_asks_as_before(
    world: World3,
) -> None:
    """A server from before the features reads no header and sends neither field: the
    laptop asks `/v1/epoch` before it pushes and `/v1/me` before it stores a page, and
    syncs as it did."""

    def older(request: httpx.Request) -> httpx.Request:
        request.headers.pop(protocol.PROTOCOL_HEADER, None)
        return request

    world.settle()
    person = save_person(world.laptops["a1"], name=HOSTILE)
    report, watch = sync(world, "a1", Watch(world.server.transport, older))
    assert watch.paths == [APPLIED, EPOCH, PUSH, PULL, ME]
    assert report.accepted == 1
    _, watch = sync(world, "a2", Watch(world.server.transport, older))
    assert watch.paths == [APPLIED, EPOCH, PULL, ME]
    held = world.laptops["a2"].store.get(Person, person.id)
    assert held is not None and held.name == HOSTILE


def test_a_laptop_against_a_server_without_the_question_asks_as_before(world: World3) -> None:
    """A server older still answers `/v1/applied` 404: the laptop asks `/v1/epoch`, and
    syncs."""

    def no_question(path: str, response: httpx.Response) -> httpx.Response:
        if path == APPLIED:
            response.read()
            return httpx.Response(404, json={"detail": "Not Found"})
        return response

    save_person(world.laptops["a1"])
    _, watch = sync(world, "a1", Watch(world.server.transport, answer=no_question))
    assert watch.paths == [APPLIED, EPOCH, PUSH, PULL]
    assert world.laptops["a1"].store.get_meta(outbox.SERVER_EPOCH)


# -- a page's villages never widen what a laptop takes -------------------------------------


def _sup_records_of_b(world: World3) -> list[dict[str, Any]]:
    """The records of village B the supervisor's token pulls (the server holds them)."""
    sup = world.laptops["sup"]
    answer = world.server.transport.handle_request(
        httpx.Request(
            "POST",
            URL + PULL,
            headers={"Authorization": f"Bearer {sup.token}"},
            content=json.dumps({"cursor": 0, "limit": 500}).encode(),
        )
    )
    records = [
        r
        for r in body(answer)["records"]
        if (r["table"] == "villages" and r["record_id"] == VILLAGE_B)
        or r["fields"].get("village_code") == VILLAGE_B
    ]
    assert len(records) == 2, records  # the village, and the person
    return records


def _with_b(world: World3, villages: list[str]) -> Watch:
    """A pull answer for a1 (village A) that carries B's records, and names `villages`."""
    extra = _sup_records_of_b(world)

    def answer(path: str, response: httpx.Response) -> httpx.Response:
        if path != PULL:
            return response

        def change(page: dict[str, Any]) -> None:
            page["records"] = [*page["records"], *extra]
            page["villages"] = villages

        return rewritten(response, change)

    return Watch(world.server.transport, answer=answer)


@pytest.mark.parametrize(
    "villages",
    [
        [VILLAGE_A, VILLAGE_B],  # a village the token does not cover
        [VILLAGE_A, VILLAGE_B, HOSTILE, ""],  # and words that are no village at all
        [VILLAGE_A],  # only what the profile holds: taken, and B is still refused
        [],
    ],
)
def test_a_page_naming_villages_cannot_widen_what_a_laptop_takes(
    world: World3, villages: list[str]
) -> None:
    """The supervisor wrote a person of village B; a page for a1 (token and profile of
    village A) carries it and B's village record. Whatever the page says the token covers,
    a1 takes no record of B: a list naming a village its profile does not hold is checked
    with `/v1/me`, which says A; a list of villages it holds adds nothing to them."""
    sup = world.laptops["sup"]
    save_person(sup, name=HOSTILE, village_code=VILLAGE_B)
    sync(world, "sup")
    report, watch = sync(world, "a1", _with_b(world, villages))
    a1 = world.laptops["a1"]
    assert report.elsewhere == {VILLAGE_B: 2}
    assert a1.live(Person) == []
    assert VILLAGE_B not in {v for (v,) in a1.store.db.execute("SELECT id FROM villages")}
    assert (ME in watch.paths) == (VILLAGE_B in villages)
    told = client.summary(report)
    (elsewhere,) = [r for r in told if r.code is protocol.Code.PULLED_ELSEWHERE]
    assert elsewhere.params["villages"] == [VILLAGE_B]


def test_a_page_naming_too_many_villages_is_refused_whole(world: World3) -> None:
    """More villages than the protocol names (`MAX_PULL_VILLAGES`) is not the protocol's
    answer: nothing of the page is stored, the cursor stays, nothing of B is taken."""
    sup = world.laptops["sup"]
    save_person(sup, name=HOSTILE, village_code=VILLAGE_B)
    sync(world, "sup")
    many = [VILLAGE_A, VILLAGE_B, *(f"{n:012d}" for n in range(protocol.MAX_PULL_VILLAGES))]
    a1 = world.laptops["a1"]
    cursor = outbox.cursor(a1.store)
    with pytest.raises(client.BadAnswerError):
        sync(world, "a1", _with_b(world, many))
    assert outbox.cursor(a1.store) == cursor
    assert a1.live(Person) == []


def test_a_supervisor_new_to_a_village_asks_once_then_holds_it(
    world: World3, tmp_path: Path
) -> None:
    """A token of A and B on a profile that holds only A: its first page names B, which
    the profile lacks, so it asks `/v1/me`, which says B too, and takes B's records; from
    then on its profile holds both and it asks nothing more."""
    import shutil

    from db.store import open_store

    sup = world.laptops["sup"]
    person = save_person(sup, name=HOSTILE, village_code=VILLAGE_B)
    sync(world, "sup")
    folder = tmp_path / "sup2"
    folder.mkdir()
    path = folder / "civtui.db"
    shutil.copyfile(world.templates.profiles["a1"], path)  # a profile of village A alone
    store = open_store(path, world.world.clock(0))
    world.laptops["sup2"] = Laptop(Role("sup2", (VILLAGE_A,)), sup.token, store, world.world)
    report, watch = sync(world, "sup2")
    assert watch.paths == [APPLIED, PUSH, PULL, ME]  # it pushes its profile's records
    assert report.elsewhere == {}
    held = store.get(Person, person.id)
    assert held is not None and held.name == HOSTILE
    _, watch = sync(world, "sup2")
    assert watch.paths == [APPLIED, PULL]


def test_a_token_of_more_villages_than_a_page_names_is_told_by_the_question_as_before(
    world: World3,
) -> None:
    """A county's token, past `MAX_PULL_VILLAGES`: its pages name none (a list that long is
    not the protocol's), and its laptop asks `/v1/me`; a token within the limit is named."""
    from sync.server import tokens

    many = [VILLAGE_A, *(f"3309{n:08d}" for n in range(protocol.MAX_PULL_VILLAGES))]
    reads = frozenset(protocol.Feature)
    given: list[str] = []
    for villages, named in ((many, None), ([VILLAGE_B, VILLAGE_A], [VILLAGE_A, VILLAGE_B])):
        _, token = tokens.create(world.server.engine, "县里", "supervisor", villages)
        who = tokens.verify(world.server.engine, token)
        assert who is not None
        page = merge.pull(world.server.engine, who, protocol.PullRequest(cursor=0), reads)
        assert page.villages == named
        given.append(token)
    # A laptop of village A on the county's token asks what its token covers.
    a1 = world.laptops["a1"]
    a1.token = given[0]
    _, watch = sync(world, "a1")
    assert watch.paths == [APPLIED, PUSH, PULL, ME]
