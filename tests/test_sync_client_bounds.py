"""The sync client bounds what it accepts: an answer's size (as sent and inflated), a page's
length, the villages its records belong to, the kinds it knows, and where plain HTTP may go.

Each hostile answer comes from a fake server (an `httpx.MockTransport`, or the same fake
behind a real socket on this machine for the proxy), ends in words a person can act on,
and leaves the laptop able to sync with a well-behaved server at once.
"""

from __future__ import annotations

import datetime as dt
import gzip
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from civtui.domain.models import Household, Person, Record, Village, Visit
from civtui.i18n import Translator
from db import Store, outbox
from db.connection import OperationalError, is_full
from sync import client, protocol, stored, words
from sync.protocol import (
    ChangeResult,
    Code,
    Me,
    PulledRecord,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import OTHER_VILLAGE

EN, ZH = Translator("en"), Translator("zh")
Handler = Callable[[httpx.Request], httpx.Response]


def streamed(body: bytes, *, gzipped: bool = False) -> httpx.Response:
    """An answer as it arrives over a socket: a stream, read by the client as it chooses
    (`httpx.Response(content=...)` would be read, and inflated, as it is made)."""
    headers = {"Content-Encoding": "gzip"} if gzipped else {}
    return httpx.Response(200, headers=headers, stream=httpx.ByteStream(body))


def gz(message: protocol.Message) -> httpx.Response:
    return streamed(protocol.encode(message), gzipped=True)


def pulled(record: Record, version: int, table: str | None = None) -> PulledRecord:
    return PulledRecord(
        table=table or record.table,
        record_id=record.id,
        fields=record.row(),
        deleted=False,
        hlc=f"{1763800000000 + version:013d}-0000-other",
        device_id="other",
        version=version,
    )


class FakeServer:
    """A township server in a few lines: accepts every push, pulls `records` by version
    within the asked limit, and says the token covers `villages`. `pull_answer`, while
    set, answers pulls instead (the misbehaving server)."""

    def __init__(self, records: list[PulledRecord] | None = None) -> None:
        self.records = records or []
        self.villages = [VILLAGE]
        self.pull_answer: Handler | None = None
        #: The limit of every pull asked, in order.
        self.limits: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == protocol.PATH_ME:
            return gz(Me(staff="王", role="assistant", villages=self.villages))
        if path in (protocol.PATH_APPLIED, protocol.PATH_EPOCH):
            # As a server from before it answers: the sync goes on without it.
            return httpx.Response(404, stream=httpx.ByteStream(b""))
        if path == protocol.PATH_PUSH:
            push = PushRequest.model_validate_json(gzip.decompress(request.content))
            results = [ChangeResult(seq=c.seq, status="accepted") for c in push.changes]
            top = max([c.seq for c in push.changes], default=0)
            return gz(PushResponse(results=results, applied_through=top, server_time_ms=0))
        assert path == protocol.PATH_PULL, path
        asked = PullRequest.model_validate_json(gzip.decompress(request.content))
        self.limits.append(asked.limit)
        if self.pull_answer is not None:
            return self.pull_answer(request)
        after = [r for r in self.records if r.version > asked.cursor]
        page = after[: asked.limit]
        top = max([r.version for r in self.records], default=0)
        cursor = page[-1].version if len(after) > asked.limit else max(top, asked.cursor)
        return gz(
            PullResponse(
                records=page, conflicts=[], cursor=cursor, has_more=len(after) > asked.limit
            )
        )


def connect(fake: Handler, **options: Any) -> client.Connection:
    return client.Connection(
        "https://mz.example.gov.cn",
        "t",
        attempts=1,
        transport=httpx.MockTransport(fake),
        sleep=lambda s: None,
        **options,
    )


def sync(store: Store, fake: Handler, **options: Any) -> client.SyncReport:
    conn = connect(fake, **options)
    try:
        return client.sync(store, conn)
    finally:
        conn.close()


def persons(store: Store) -> set[str]:
    return {p.id for p in store.all(Person)}


def said(reason: protocol.Reason) -> tuple[str, str]:
    return words.say(reason, EN), words.say(reason, ZH)


# -- the size of an answer -----------------------------------------------------------------


def test_a_gzip_bomb_is_refused_without_being_inflated_and_the_next_sync_works(
    store: Store,
) -> None:
    bomb = gzip.compress(bytes(10 * 1024 * 1024), compresslevel=9)
    assert len(bomb) < 20_000  # small on the wire, ten megabytes inflated
    person = make_person()
    fake = FakeServer([pulled(person, 1)])
    fake.pull_answer = lambda request: streamed(bomb, gzipped=True)
    tracemalloc.start()
    try:
        with pytest.raises(client.AnswerTooLargeError) as refused:
            sync(store, fake, limit=1024 * 1024)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Inflated whole, the bomb alone is ten megabytes; read within the limit, about one.
    assert peak < 4 * 1024 * 1024, peak
    english, chinese = said(refused.value.reason)
    assert "larger than this laptop reads (at most 1048576 bytes)" in english
    assert "Check the server address" in english
    assert "服务器的回复超过上限（1048576 字节），已拒收" in chinese
    # Smaller pages were tried first (a page of large records gets through that way); the
    # bomb was refused at every size, and nothing was stored.
    assert fake.limits == [500, 250, 125, 62, 31, 15, 7, 3, 1]
    assert outbox.cursor(store) == 0 and persons(store) == set()

    fake.pull_answer = None
    report = sync(store, fake, limit=1024 * 1024)
    assert report.pulled == 1 and persons(store) == {person.id}
    assert outbox.cursor(store) == 1


def test_an_answer_declaring_more_than_the_limit_is_refused_unread(store: Store) -> None:
    class Unread(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            raise AssertionError("the body was read")

    fake = FakeServer()
    fake.pull_answer = lambda request: httpx.Response(
        200, headers={"Content-Length": str(2 * 1024 * 1024)}, stream=Unread()
    )
    with pytest.raises(client.AnswerTooLargeError):
        sync(store, fake, limit=1024 * 1024)


def test_a_plain_answer_larger_than_the_limit_is_refused(store: Store) -> None:
    fake = FakeServer()
    fake.pull_answer = lambda request: streamed(b"[" + b" " * (64 * 1024) + b"]")
    with pytest.raises(client.AnswerTooLargeError):
        sync(store, fake, limit=4096)


def test_a_page_too_large_to_read_is_pulled_in_smaller_pages(store: Store) -> None:
    people = [make_person(seq=101 + 2 * i, notes="长" * 400) for i in range(8)]
    fake = FakeServer([pulled(p, i + 1) for i, p in enumerate(people)])
    # One record is about 1.6 KB as JSON: a page of more than two is past the limit.
    report = sync(store, fake, limit=4000)
    assert persons(store) == {p.id for p in people} and report.pulled == 8
    assert fake.limits[:8] == [500, 250, 125, 62, 31, 15, 7, 3]
    assert set(fake.limits[8:]) <= {1, 2, 3}


def test_a_gzip_answer_cut_short_is_a_bad_answer(store: Store) -> None:
    whole = protocol.encode(PullResponse(records=[], conflicts=[], cursor=0, has_more=False))
    fake = FakeServer()
    fake.pull_answer = lambda request: streamed(whole[:-8], gzipped=True)
    with pytest.raises(client.BadAnswerError):
        sync(store, fake)


# -- the length of a page ------------------------------------------------------------------


def test_a_page_of_more_records_than_asked_is_refused_whole(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(client, "PULL_PAGE", 5)
    people = [make_person(seq=101 + 2 * i) for i in range(40)]
    records = [pulled(p, i + 1) for i, p in enumerate(people)]
    fake = FakeServer(records)
    fake.pull_answer = lambda request: gz(
        PullResponse(records=records, conflicts=[], cursor=40, has_more=False)
    )
    with pytest.raises(client.PageTooLargeError) as refused:
        sync(store, fake)
    english, chinese = said(refused.value.reason)
    assert "the server sent 40 records where this laptop asked for 5" in english
    assert "服务器一次发来 40 条记录，本机只请求了 5 条，整页已拒收" in chinese
    assert persons(store) == set() and outbox.cursor(store) == 0

    fake.pull_answer = None
    report = sync(store, fake)
    assert report.pulled == 40 and persons(store) == {p.id for p in people}
    assert set(fake.limits) == {5}


# -- whose records ---------------------------------------------------------------------------


def visit_of(person: Person) -> Visit:
    return Visit.model_validate(
        {"person_id": person.id, "visit_date": TODAY, "visitor": "王"}, context=CTX
    )


def test_records_of_another_village_are_refused_and_the_rest_is_stored(store: Store) -> None:
    mine = make_person(name="本村人")
    theirs = make_person(name="外村人", seq=103, village_code=OTHER_VILLAGE)
    house = Household(village_code=OTHER_VILLAGE, address="渔港路1号")
    supervisor = Village(id="330903103203", name="别村")
    records = [
        pulled(mine, 1),
        pulled(theirs, 2),
        pulled(visit_of(theirs), 3),  # their person's visit: their village too
        pulled(house, 4),
        pulled(supervisor, 5),
        pulled(visit_of(mine), 6),
    ]
    fake = FakeServer(records)
    report = sync(store, fake)
    assert persons(store) == {mine.id}
    assert {v.person_id for v in store.all(Visit)} == {mine.id}
    assert store.get(Household, house.id) is None and store.get(Village, supervisor.id) is None
    assert report.elsewhere == {OTHER_VILLAGE: 3, "330903103203": 1}
    assert report.held == 0  # refused, not waiting for anything
    assert outbox.cursor(store) == 6  # the pull goes on past them
    (note,) = [r for r in client.summary(report) if r.code is Code.PULLED_ELSEWHERE]
    english, chinese = said(note)
    assert (
        "the server sent 4 records of villages this laptop does not sync "
        f"({OTHER_VILLAGE}, 330903103203); they were refused and not stored" in english
    )
    assert f"服务器发来 4 条不属于本机村(社区)的记录（{OTHER_VILLAGE}、330903103203）" in chinese

    later = make_person(name="后来的", seq=105)
    fake.records.append(pulled(later, 7))
    again = sync(store, fake)
    assert again.pulled == 1 and again.elsewhere == {} and later.id in persons(store)


def test_a_village_the_token_covers_is_taken_though_the_profile_lacks_it(store: Store) -> None:
    # A supervisor's second village arrives by pull: the token covers it.
    theirs = make_person(name="外村人", seq=103, village_code=OTHER_VILLAGE)
    fake = FakeServer([pulled(Village(id=OTHER_VILLAGE, name="渔港村"), 1), pulled(theirs, 2)])
    fake.villages = [VILLAGE, OTHER_VILLAGE]
    report = sync(store, fake)
    assert report.elsewhere == {} and persons(store) == {theirs.id}


def test_a_held_record_whose_parent_turns_out_elsewhere_is_refused_with_it(
    store: Store,
) -> None:
    """apply_page on its own, as a bundle from a USB stick uses it: a body, no network."""
    theirs = make_person(name="外村人", seq=103, village_code=OTHER_VILLAGE)
    visit = visit_of(theirs)
    first = outbox.apply_page(store, [stored.remote(pulled(visit, 1))], [], 1, {VILLAGE})
    assert first.elsewhere == {} and outbox.held_count(store) == 1  # its village unknown yet
    second = outbox.apply_page(store, [stored.remote(pulled(theirs, 2))], [], 2, {VILLAGE})
    assert second.elsewhere == {OTHER_VILLAGE: 2}
    assert outbox.held_count(store) == 0 and store.all(Visit) == []
    assert outbox.cursor(store) == 2


# -- kinds this version does not know ----------------------------------------------------


def test_an_unknown_table_is_set_aside_and_the_pull_goes_on(store: Store) -> None:
    mine = make_person()
    odd = make_person(seq=103)
    records = [
        pulled(odd, 1, table="meta"),  # a table of the profile that is no record kind
        pulled(odd, 2, table="pets"),
        pulled(odd, 3, table="persons] WHERE 1; --"),
        pulled(mine, 4),
    ]
    fake = FakeServer(records)
    report = sync(store, fake)
    assert persons(store) == {mine.id} and outbox.cursor(store) == 4
    assert report.set_aside == {"meta": 1, "pets": 1, "persons] WHERE 1; --": 1}
    assert report.held == 0 and outbox.set_aside_count(store) == 3
    (note,) = [r for r in client.summary(report) if r.code is Code.UNKNOWN_KINDS]
    english, chinese = said(note)
    assert "3 received records are of kinds this version does not know" in english
    assert "Update civtui" in english
    assert "3 条下载的记录属于本版本不认识的类型" in chinese and "请升级 civtui" in chinese

    later = make_person(seq=105)
    fake.records.append(pulled(later, 5))
    again = sync(store, fake)
    assert again.pulled == 1 and again.set_aside == {} and later.id in persons(store)
    assert outbox.set_aside_count(store) == 3  # still kept, for a version that knows them


def test_a_record_set_aside_is_written_once_the_version_knows_its_kind(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = make_person()
    visit = visit_of(person)
    fake = FakeServer([pulled(person, 1), pulled(visit, 2)])
    # This version, as one from before visits were a kind.
    monkeypatch.setattr(outbox, "PULLED_TABLES", outbox.PULLED_TABLES - {"visits"})
    assert sync(store, fake).set_aside == {"visits": 1}
    assert store.all(Visit) == []
    monkeypatch.undo()  # the update
    report = sync(store, fake)
    assert report.pulled == 0 and [v.id for v in store.all(Visit)] == [visit.id]
    assert outbox.set_aside_count(store) == 0 and report.held == 0


# -- where plain HTTP may go, and proxies ----------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://192.0.2.1:8765",
        "http://mz.example.gov.cn",
        "http://127.0.0.1@192.0.2.1/",
        "http://127.0.0.1\\@192.0.2.1/",
        "http://localhost.example.gov.cn",
        "http://127.0.0.1.nip.io",
        "http://0.0.0.0:8765",
        "http://[::ffff:c000:201]",
    ],
)
def test_plain_http_to_another_machine_is_refused_before_connecting(url: str) -> None:
    asked: list[httpx.Request] = []

    def fake(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200)

    with pytest.raises(client.BadServerUrlError) as refused:
        client.Connection(url, "t", transport=httpx.MockTransport(fake))
    assert refused.value.code is Code.URL_INSECURE and asked == []
    english, chinese = said(refused.value.reason)
    assert "https://" in english and "https://" in chinese


@pytest.mark.parametrize("url", ["http://127.0.0.1:1", "http://127.9.9.9:1", "http://[::1]:1",
                                 "http://LOCALHOST:1", "https://192.0.2.1"])  # fmt: skip
def test_plain_http_to_this_machine_and_https_anywhere_are_allowed(url: str) -> None:
    client.Connection(url, "t").close()


@pytest.fixture
def local_server() -> Iterator[tuple[str, FakeServer]]:
    """The fake server behind a real socket on this machine (ports 8840-8849)."""
    fake = FakeServer([pulled(make_person(), 1)])

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = httpx.Request(
                self.command,
                f"http://127.0.0.1{self.path}",
                headers=dict(self.headers),
                content=self.rfile.read(length),
            )
            response = fake(request)
            body = b"".join(response.iter_raw())
            self.send_response(response.status_code)
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        # The names http.server calls.
        def do_GET(self) -> None:
            self.answer()

        def do_POST(self) -> None:
            self.answer()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    for port in range(8840, 8850):
        try:
            httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
            break
        except OSError:
            continue
    else:
        pytest.skip("no free port in 8840-8849")
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}", fake
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_proxy_in_the_environment_is_not_used_for_a_server_on_this_machine(
    store: Store, local_server: tuple[str, FakeServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fake = local_server
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")  # nothing listens there
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    conn = client.Connection(url, "t", attempts=1)
    try:
        report = client.sync(store, conn)
    finally:
        conn.close()
    assert report.pulled == 1 and len(persons(store)) == 1 and fake.limits == [500]


def test_the_bounds_hold_for_a_first_pull_of_a_whole_village(store: Store) -> None:
    # A realistic page stays far inside the limit: the bounds never refuse ordinary data.
    people = [make_person(dt.date(1940, 1, 1) + dt.timedelta(days=i)) for i in range(600)]
    fake = FakeServer([pulled(p, i + 1) for i, p in enumerate(people)])
    report = sync(store, fake)
    assert report.pulled == 600 and fake.limits == [500, 500]


# -- a full disk ---------------------------------------------------------------------------


def test_only_sqlites_code_says_the_disk_is_full(store: Store) -> None:
    """SQLITE_FULL, raised by the profile's own connection, is the full disk; an error
    whose words merely say "full" is some other failure and is raised as it is."""

    def words_only(_: Store) -> None:
        raise OperationalError("database or disk is full [/]=")

    conn = connect(FakeServer())
    try:
        with pytest.raises(OperationalError, match="full"):
            client.sync(store, conn, after_pull=words_only)

        def fill(into: Store) -> None:
            (pages,) = into.db.execute("PRAGMA page_count").fetchone()
            into.db.execute(f"PRAGMA max_page_count = {pages}")
            into.db.execute("CREATE TABLE filler (x)")

        with pytest.raises(client.DiskFullError) as failure:
            client.sync(store, conn, after_pull=fill)
    finally:
        conn.close()
    assert failure.value.reason == protocol.Reason.of(Code.DISK_FULL)
    assert is_full(failure.value.__cause__ or ValueError())


@pytest.mark.parametrize(
    ("header", "reads"),
    [
        (None, set()),
        ("", set()),
        ("loss_as_made", set()),  # no number first: not a protocol header at all
        ("[/b]=1 loss_as_made", set()),
        ("2", set()),
        ("2 loss_as_made", {protocol.Feature.LOSS_AS_MADE}),
        ("2 [/b]=1 loss_as_made=x loss_as_made", {protocol.Feature.LOSS_AS_MADE}),
        (f"99 {' '.join(sorted(protocol.FEATURES))} a_later_one", set(protocol.FEATURES)),
    ],
)
def test_what_an_end_reads_is_only_what_its_header_names_of_the_known_features(
    header: str | None, reads: set[protocol.Feature]
) -> None:
    """A header from the other end is text from the network: only known feature names
    after a number count, so nothing else makes this end send a field the other refuses."""
    assert protocol.features_said(header) == reads
    assert protocol.features_said(protocol.protocol_said()) == protocol.FEATURES


def test_a_web_page_at_the_address_is_named_a_wrong_address_not_a_refusal(store: Store) -> None:
    """Another web server at the address answers every path with its own 404 page: the
    person is told to check the address, not shown the page's HTML."""
    store.save(make_person(name="张[/b]=1"))  # something to push

    def fake(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, html="<html><body><h1>404 Not Found</h1>nginx</body></html>")

    with pytest.raises(client.BadAnswerError) as stopped:
        sync(store, fake)
    said = words.say(stopped.value.reason, Translator("zh"))
    assert "地址" in said and "html" not in said.lower()
    assert store.pending_count() > 0  # nothing lost: it goes at the next sync


def test_a_server_failing_at_every_try_is_named_as_failing_not_as_no_network(
    store: Store,
) -> None:
    tries: list[str] = []

    def fake(request: httpx.Request) -> httpx.Response:
        tries.append(request.url.path)
        return httpx.Response(500, text="Internal Server Error")

    with pytest.raises(client.ServerFailingError) as stopped:
        sync(store, fake)
    assert len(tries) == 1  # one try here (`connect`); retried as no answer is
    assert stopped.value.reason.params["status"] == 500
    said = {lang: words.say(stopped.value.reason, Translator(lang)) for lang in ("zh", "en")}
    assert "HTTP 500" in said["zh"] and "网络" not in said["zh"] and "日志" in said["zh"]
    assert "failed (HTTP 500)" in said["en"] and "no network" not in said["en"]
