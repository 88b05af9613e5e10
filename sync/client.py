"""The client behind `civtui sync`: push the change log, then pull what others changed.

`sync()` reads top to bottom. Every step commits before the next request, so
the process can be killed at any moment and simply run again: the server
acknowledges a repeated batch without applying it twice, and a pulled page is
stored together with its cursor.
"""

from __future__ import annotations

import functools
import ipaddress
import random
import ssl
import time
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import httpx
import pydantic_core
from pydantic import BaseModel, ValidationError

from civtui import __version__
from civtui.domain.batches import chunked
from db import Store, outbox, queries
from db.connection import OperationalError, is_full
from sync import protocol, stored
from sync.protocol import (
    Change,
    Code,
    Health,
    Me,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
)

M = TypeVar("M", bound=BaseModel)

#: Each push batch is one round trip and one durable commit on the server; 500 visits are
#: ~30 KB gzip, about two seconds on 2G, which is all a dropped link can cost.
PUSH_BATCH = 500
PULL_PAGE = 500
#: Weak 2G: a slow connect is normal, a long silence while reading is not unusual either.
TIMEOUT = httpx.Timeout(connect=20.0, read=90.0, write=90.0, pool=20.0)


class SyncError(protocol.CodedError):
    """Sync stopped; `reason` says why as a code (rendered by `sync.words`). Nothing local
    was lost. Each way sync can stop is its own subclass."""

    def __str__(self) -> str:
        # For logs and tracebacks only: people are shown `sync.words.say`.
        return f"{self.reason.code}: {self.reason.params}" if self.reason.params else self.code


class OfflineError(SyncError):
    """No answer from the server (no network, the server down or overloaded), after retries."""

    def __init__(self, url: str, cause: str) -> None:
        super().__init__(Reason.of(Code.OFFLINE, url=url, cause=cause))


class ServerFailingError(OfflineError):
    """The server answered every try with a server error (HTTP 5xx): it is reachable, and
    it is the server, not the network, that fails. Retried like no answer at all."""

    def __init__(self, url: str, status: int) -> None:
        SyncError.__init__(self, Reason.of(Code.SERVER_FAILING, url=url, status=status))


class TokenRefusedError(SyncError):
    """The token is wrong or revoked (HTTP 401)."""

    def __init__(self) -> None:
        super().__init__(Reason.of(Code.TOKEN_INVALID))


class DeviceTakenError(SyncError):
    """This laptop's device id is held by another staff member's valid token (HTTP 403)."""

    def __init__(self) -> None:
        super().__init__(Reason.of(Code.DEVICE_TAKEN))


class SequenceReusedError(SyncError):
    """The server applied other changes under this laptop's change numbers (HTTP 409): the
    profile was restored from an older copy. `sync` handles it by taking a new device id."""

    def __init__(self, seq: int) -> None:
        super().__init__(Reason.of(Code.SEQUENCE_REUSED, seq=seq))


class ServerBehindError(SyncError):
    """The server holds this device's changes only up to `applied_through` (restored from a
    backup); the rest must be sent again. `sync` handles it by sending them."""

    def __init__(self, applied_through: int) -> None:
        super().__init__(Reason.of(Code.SERVER_BEHIND, applied_through=applied_through))
        self.applied_through = applied_through


class RequestRefusedError(SyncError):
    """The server refused a request for another reason (a 4xx); `reason` is what it said."""

    def __init__(self, status: int, said: Reason | str) -> None:
        detail = said.model_dump(mode="json") if isinstance(said, Reason) else said
        super().__init__(Reason.of(Code.REFUSED, status=status, detail=detail))
        self.status = status


class BadAnswerError(SyncError):
    """The server's answer is not the protocol's: a wrong address or another version."""

    def __init__(self) -> None:
        super().__init__(Reason.of(Code.BAD_ANSWER))


class DiskFullError(SyncError):
    """The laptop's disk filled up while sync wrote to the profile; what was written before
    stands (each step commits on its own), the step that failed is undone."""

    def __init__(self) -> None:
        super().__init__(Reason.of(Code.DISK_FULL))


class BadServerUrlError(SyncError):
    """The server address is not one sync may use."""


class AnswerTooLargeError(SyncError):
    """The server's answer was larger than `limit` bytes, as sent or once inflated; it was
    not read further, and nothing of it was stored."""

    def __init__(self, limit: int) -> None:
        super().__init__(Reason.of(Code.ANSWER_TOO_LARGE, limit=limit))


class PageTooLargeError(SyncError):
    """A pull page held more records than were asked for; nothing of it was stored."""

    def __init__(self, asked: int, got: int) -> None:
        super().__init__(Reason.of(Code.PAGE_TOO_LARGE, asked=asked, got=got))


@dataclass(frozen=True)
class Refused:
    """A change the server refused: its record and why."""

    table: str
    record_id: str
    reason: Reason


@dataclass(frozen=True)
class Conflicted:
    """A pushed change the server merged with a conflict: its number, its record, the
    fields that conflicted, and what the server said."""

    seq: int
    table: str
    record_id: str
    fields: frozenset[str]
    reason: Reason | None


@dataclass
class SyncReport:
    """What one sync did."""

    pushed: int = 0
    accepted: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    pulled_conflicts: int = 0
    #: What the server warned about (the laptop's clock runs ahead...).
    warnings: list[Reason] = field(default_factory=list)
    #: Set when this laptop's data came from an older copy and it took a new device id.
    new_device_id: str | None = None
    #: Changes sent again because the server had lost them (restored from a backup).
    resent: int = 0
    #: The conflicts this laptop holds were sent back to a server found restored
    #: (`outbox.returning_conflicts`).
    conflicts_returned: bool = False
    #: Refused changes sent again because a pull brought the record they named.
    sent_again: int = 0
    rejected_reasons: list[Reason] = field(default_factory=list)
    #: The refused changes' records, with the reasons, in the order refused.
    refused: list[Refused] = field(default_factory=list)
    #: Pulled records waiting for one they refer to (see outbox.apply_page), after the pull.
    held: int = 0
    #: What this laptop's changes conflicted with (fields, or a record deleted meanwhile).
    conflict_reasons: list[Reason] = field(default_factory=list)
    #: Every conflict this sync revealed, on whichever side this laptop stands
    #: (Code.CONFLICT_FOUND), oldest first.
    found: list[Reason] = field(default_factory=list)
    #: Conflicts resolved on this laptop that this sync told the server of.
    resolutions_sent: int = 0
    #: Open conflicts here that another laptop resolved (closed here by this sync).
    closed_elsewhere: int = 0
    #: Pulled records of villages this laptop does not sync, refused, by village.
    elsewhere: dict[str, int] = field(default_factory=dict)
    #: Pulled records of kinds this version does not know, kept aside, by table.
    set_aside: dict[str, int] = field(default_factory=dict)
    #: Each pushed change the server merged with a conflict (`settle_own_conflicts`).
    conflicted: list[Conflicted] = field(default_factory=list)
    #: Conflicts pulled between two device ids of this profile: (table, record, field).
    own_conflicts: set[tuple[str, str, str]] = field(default_factory=set)


def on_this_machine(host: str) -> bool:
    """Whether `host` (as a URL names it) is this machine: 127.0.0.0/8, ::1 or localhost."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.lower() == "localhost"


def check_url(url: str) -> str:
    """HTTPS anywhere, plain HTTP only to this machine; returns the URL without a trailing /.

    Read by httpx's own parser, so the host judged here is the host connected to."""
    try:
        parts = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        raise BadServerUrlError(Reason.of(Code.URL_INVALID, url=url)) from None
    if parts.scheme not in ("http", "https") or not parts.host:
        raise BadServerUrlError(Reason.of(Code.URL_INVALID, url=url))
    if parts.scheme == "http" and not on_this_machine(parts.host):
        # Personal data travels: plain HTTP only where it never leaves the machine.
        raise BadServerUrlError(Reason.of(Code.URL_INSECURE, url=url))
    return url.rstrip("/")


@dataclass(frozen=True)
class Answer:
    """A server's answer as read: its status and its body, inflated, within the limit."""

    status: int
    body: bytes


#: The requests whose answer may carry a field an older laptop would refuse, and so which
#: say what this laptop reads (`protocol.PROTOCOL_HEADER`): a pull, and the question every
#: sync asks first (its answer may carry the server's epoch). Not every request: the
#: header's bytes on every push counted in what a sync puts on the wire (the bench guard's
#: "sync bytes ÷ floor").
ASKS_WHAT_IT_READS = frozenset({protocol.PATH_PULL, protocol.PATH_APPLIED})


#: The paths every civtui server has served (not `PATH_APPLIED` or `PATH_EPOCH`, which an
#: older one answers 404 and a laptop then goes on without).
ALWAYS_SERVED = frozenset(
    {protocol.PATH_PUSH, protocol.PATH_PULL, protocol.PATH_ME, protocol.PATH_HEALTH}
)


@functools.cache
def _tls() -> ssl.SSLContext:
    """The certificates httpx trusts by default, loaded once per process: loading them is
    about 60 ms of CPU, paid by every Connection (one per sync) when httpx does it."""
    return httpx.create_ssl_context()


class Connection:
    """HTTP to the server: gzip JSON bodies, a bearer token, retries with backoff and jitter,
    and answers read within `limit` bytes."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        attempts: int = 5,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        limit: int = protocol.MAX_ANSWER_BYTES,
    ) -> None:
        self.url = check_url(url)
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self.limit = limit
        #: What the server said it reads (`protocol.PROTOCOL_HEADER`), as of its latest
        #: answer: a new field goes only to a server that reads it. None before any answer.
        self.server_reads: frozenset[protocol.Feature] | None = None
        host = httpx.URL(self.url).host
        # A proxy from the environment (HTTP_PROXY...) is for the world outside: a server on
        # this machine is reached directly, or its plain HTTP, token and records included,
        # would leave the machine for the proxy. None: the direct transport.
        direct: dict[str, httpx.BaseTransport | None] | None = None
        if on_this_machine(host):
            direct = {f"all://[{host}]" if ":" in host else f"all://{host}": None}
        self.http = httpx.Client(
            base_url=self.url,
            timeout=TIMEOUT,
            verify=_tls(),
            transport=transport,
            mounts=direct,
            # A redirect could lead anywhere, plain HTTP included: the address is checked once.
            follow_redirects=False,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"civtui/{__version__}",
                "Accept-Encoding": "gzip",
            },
        )

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, body: BaseModel | None) -> Answer:
        content = protocol.encode(body) if body is not None else None
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"} if body else {}
        if path in ASKS_WHAT_IT_READS:
            # What this laptop reads: the server adds a new field to the answer only then.
            headers[protocol.PROTOCOL_HEADER] = protocol.protocol_said()
        last_error, failing = "", 0
        for attempt in range(self.attempts):
            if attempt:
                # Exponential backoff with full jitter, so many laptops coming back
                # online at the ferry do not all retry in the same second.
                self.sleep(random.uniform(0, min(30.0, self.backoff * 2 ** (attempt - 1))))
            try:
                with self.http.stream(method, path, content=content, headers=headers) as response:
                    if response.status_code == 429 or response.status_code >= 500:
                        last_error = f"HTTP {response.status_code}"
                        failing = response.status_code if response.status_code >= 500 else 0
                        continue
                    self.server_reads = protocol.features_said(
                        response.headers.get(protocol.PROTOCOL_HEADER)
                    )
                    return Answer(response.status_code, read_answer(response, self.limit))
            except httpx.TransportError as exc:
                last_error, failing = type(exc).__name__, 0
                continue
        if failing:
            raise ServerFailingError(self.url, failing)
        raise OfflineError(self.url, last_error)

    def call(self, method: str, path: str, body: BaseModel | None, answer: type[M]) -> M:
        response = self._send(method, path, body)
        status = response.status
        if status == 401:
            raise TokenRefusedError()
        if status >= 400:
            said = _detail(response.body)
            params = said.params if isinstance(said, Reason) else {}
            if status == 403 and isinstance(said, Reason) and said.code is Code.DEVICE_TAKEN:
                raise DeviceTakenError()
            if status == protocol.BEHIND_STATUS:
                raise ServerBehindError(int(params.get("applied_through", 0)))
            if status == 409:
                raise SequenceReusedError(int(params.get("seq", 0)))
            if status == 404 and not isinstance(said, Reason) and path in ALWAYS_SERVED:
                # Every civtui server answers these: a 404 not in the protocol's words is
                # another server at this address (a wrong URL, a web server's page).
                raise BadAnswerError()
            raise RequestRefusedError(status, said)
        try:
            return answer.model_validate_json(response.body)
        except ValidationError:
            raise BadAnswerError() from None

    def health(self) -> Health:
        return self.call("GET", protocol.PATH_HEALTH, None, Health)

    def me(self) -> Me:
        return self.call("GET", protocol.PATH_ME, None, Me)


def read_answer(response: httpx.Response, limit: int) -> bytes:
    """The body of a streamed answer, gzip inflated here, chunk by chunk: more than `limit`
    bytes, as sent or inflated, is refused as soon as it shows, never held whole (httpx's
    own decoding inflates a chunk without bound: a 64 KiB chunk of a bomb is 64 MiB)."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise AnswerTooLargeError(limit)
    if response.is_stream_consumed:
        # A transport that hands over a body read whole (`httpx.Response(content=...)`, as
        # test transports make them): httpx has inflated it already; it is only measured.
        if len(response.content) > limit:
            raise AnswerTooLargeError(limit)
        return response.content
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", "gzip"):
        raise BadAnswerError()
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS) if encoding == "gzip" else None
    body = bytearray()
    sent = 0
    for chunk in response.iter_raw():
        sent += len(chunk)
        if sent > limit:
            raise AnswerTooLargeError(limit)
        data = chunk
        if inflater is not None:
            try:
                # At most one byte past the limit: that byte is enough to refuse.
                data = inflater.decompress(chunk, limit + 1 - len(body))
            except zlib.error:
                raise BadAnswerError() from None
            if inflater.unconsumed_tail:
                raise AnswerTooLargeError(limit)
        body += data
        if len(body) > limit:
            raise AnswerTooLargeError(limit)
    if inflater is not None and sent and not inflater.eof:
        raise BadAnswerError()  # cut short: what came is not the whole answer
    return bytes(body)


def _detail(body: bytes) -> Reason | str:
    """What a refusal said: the protocol's code, or (from a proxy, say) its first words."""
    try:
        detail = pydantic_core.from_json(body).get("detail")
        return Reason.model_validate(detail)
    except (ValueError, AttributeError, ValidationError):
        return body[:200].decode("utf-8", errors="replace")


Progress = Callable[[str, int, int], None]

#: Refusals a later pull can undo: the record named was missing on the server, or in
#: another village there - as after a restore from a backup, until the laptop that made it
#: sends it again. A laptop waits for that record to arrive, then sends the refused one
#: again (`outbox.send_refused_again`); one refused for any other reason stays refused.
WAITING_CODES = frozenset(
    {Code.PARENT_MISSING, Code.REFERENCE_ELSEWHERE, Code.RECORD_MISSING, Code.DELETE_MISSING}
)


def push_request(
    device_id: str,
    batch: list[outbox.Outgoing],
    resolved: list[int] | None = None,
    acked_through: int = 0,
    clock_ms: int | None = None,
    conflicts: list[outbox.PulledConflict] | None = None,
    reads: frozenset[protocol.Feature] = frozenset(),
    former_ids: list[str] | None = None,
) -> PushRequest:
    """A batch of the change log as the protocol carries it, with the conflicts resolved here
    that the server has not been told of, and the device ids this profile gave up
    (`former_ids`). `reads`: what the server said it reads; a field it does not is left
    out, or it would refuse the push.

    The device id is said once per batch, so it is cut from the stamps, and a new
    record's id is not repeated inside its fields.
    """
    own = f"-{device_id}"
    return PushRequest(
        device_id=device_id,
        # Rows of our own change log, validated when they were written: built, not re-checked.
        changes=[
            Change.model_construct(
                seq=c.seq,
                table=c.table,
                record_id=c.record_id,
                op="delete" if c.op == "delete" else "upsert",
                fields={k: v for k, v in c.fields.items() if k != "id"},
                hlc=c.hlc.removesuffix(own),
                base_version=c.base_version,
            )
            for c in batch
        ],
        resolved=resolved or [],
        acked_through=acked_through,
        clock_ms=clock_ms,
        conflicts=[
            stored.held_conflict(c, protocol.Feature.LOSS_AS_MADE in reads) for c in conflicts or []
        ],
        former_ids=(former_ids or []) if protocol.Feature.FORMER_IDS in reads else [],
    )


def sync(
    store: Store,
    conn: Connection,
    progress: Progress | None = None,
    after_pull: Callable[[Store], object] | None = None,
) -> SyncReport:
    """Push every pending change, then pull everything new in the token's villages.

    `after_pull` runs once the pull is in, and whatever it writes is pushed in the same
    sync: months close there (civtui.services.syncing), under the policy just pulled."""
    try:
        return _sync(store, conn, progress, after_pull)
    # Every profile, encrypted or plain, is opened through SQLCipher (db.connection), so
    # its errors are SQLCipher's classes; a full disk is SQLITE_FULL, never its wording.
    except OperationalError as exc:
        if is_full(exc):
            raise DiskFullError() from exc
        raise


def _sync(
    store: Store,
    conn: Connection,
    progress: Progress | None,
    after_pull: Callable[[Store], object] | None = None,
) -> SyncReport:
    report = SyncReport()
    tell = progress or (lambda stage, done, total: None)

    # 1. Push, oldest change first, one committed batch at a time; first, whether the
    #    server's changes of this device id are this laptop's (a copy of the profile may
    #    have pushed others under the same numbers), and from where in the history the
    #    server holds now the pull is to start: a server restored from a copy is learnt of
    #    there, and this push then carries the resolutions and conflicts it may have lost
    #    (`outbox.server_restored`), after the changes it lost, once.
    epoch_now = check_own_history(store, conn, report)
    note_server_reads(store, conn)
    align_cursor(store, conn, epoch_now)
    run = outbox.start_run(store)
    _push_all(store, conn, report, run, tell)

    # 2. Pull, page by page; each page and its cursor are stored together.
    lacking = _pull(store, conn, report, tell)
    if lacking:
        # A server restored from a copy lost changes it had taken: they go again before
        # anything of the pull is stored. Sent after it, each would name as its base the
        # version just pulled, as if this laptop had seen what another laptop wrote since,
        # and a concurrent edit made meanwhile would lose to it without a conflict.
        _push_all(store, conn, report, run, tell)
        _pull(store, conn, report, tell, stop_if_lacking=False)
    # A record refused for lack of one it names goes again once the server has that one.
    report.sent_again = outbox.send_refused_again(store)
    wrote = False
    if after_pull is not None:
        before = store.pending_count()
        after_pull(store)
        wrote = store.pending_count() > before
    if report.sent_again or wrote:
        # What waited for a record the pull brought, and what was written after the pull.
        _push_all(store, conn, report, run, tell)

    # 3. Remember when, and how it went.
    settle_own_conflicts(store, report)
    with store.transaction():
        store.set_meta(outbox.LAST_SYNC, store.clock.now().isoformat(timespec="seconds"))
        store.set_meta(outbox.LAST_RESULT, stored_summary(summary(report)))
    return report


def check_own_history(store: Store, conn: Connection, report: SyncReport) -> tuple[str, int] | None:
    """Find where the server's changes of this device id stop being this laptop's, and if
    they do, send this laptop's from there again under a new device id.

    Two copies of a profile (a clone; a profile restored onto a second laptop while the
    first works on) share a device id until the server tells them apart, and after a
    server restore each may have pushed other changes under the same numbers: a change
    number alone does not say whose a change is. Its fingerprint does
    (`protocol.fingerprint`): the server keeps one with every change and answers, number
    by number, with its own (`PATH_APPLIED`). The server's changes of an id are one copy's
    up to some number and another's after it (a copy never pushes on top of another's:
    this check runs before every push, and a push over numbers the server holds is checked
    change by change), so the last answered change tells whether all are this laptop's,
    and a search by `MAX_PROBES` numbers per request finds the first that is not. From
    there this laptop's changes are not on the server: they go again, under a new id,
    and the laptop pulls everything (`outbox.start_over_from`).

    A server older than the question answers 404: the sync goes on, and copies are told
    apart only as far as change numbers show it.

    Returns the server's epoch now and its version top, where its first answer said them
    (`Feature.APPLIED_EPOCH`): what `align_cursor` would otherwise ask."""
    last = outbox.highest_acked(store)
    ask = _Applied(store, conn, store.device_id)
    try:
        # Asked with nothing to check too: a new laptop learns the server answers it, and
        # its bundles carry what the server compares (`sync.bundle.export`).
        held, theirs = ask([last] if last else [])
    except RequestRefusedError as exc:
        if exc.status in (404, 405):
            _server_answers(store, False)
            return None
        raise
    _server_answers(store, True)
    if not last or held is None or (last <= held and not theirs[0]):
        return ask.epoch_now  # another token's id, or the last change is this laptop's
    # The server holds changes of this id only up to `held`: those it lacks go again by
    # the restore's own path (`ServerBehindError`); those it holds may be another copy's.
    asked = [seq for seq in outbox.acked_seqs(store) if seq <= held]
    mine, first_not = 0, len(asked)  # asked[:mine] are this laptop's, asked[first_not:] not
    if last <= held:
        first_not = len(asked) - 1
    while mine < first_not:
        # Evenly spread, and the last one unknown too: after a plain restore (no copy)
        # every change the server kept is this laptop's, and one request says so.
        step = max(1, -(-(first_not - mine) // (protocol.MAX_PROBES - 1)))
        probes = sorted({*range(mine, first_not, step), first_not - 1})
        _held, found = ask([asked[i] for i in probes])
        for index, other in zip(probes, found, strict=True):
            if other:
                first_not = index
                break
            mine = index + 1
    if first_not < len(asked):
        report.resent += outbox.start_over_from(store, asked[first_not])
        report.new_device_id = store.device_id
    return ask.epoch_now


def align_cursor(store: Store, conn: Connection, epoch_now: tuple[str, int] | None = None) -> bool:
    """Move the pull cursor back to where the server's history and the one it was counted
    in still agree (`PATH_EPOCH`; `sync.server.epochs`), and count it in the server's epoch
    now.

    `epoch_now`: the server's epoch now and its version top, as its answer to
    `check_own_history` said them. A cursor counted in that epoch starts at the lesser of
    itself and the top, and a cursor of 0 (a laptop that has not pulled, or pulls all
    again) at 0 in the epoch now, which is what `PATH_EPOCH` answers for them: nothing is
    asked. Any other (a server restored since the cursor was counted) is asked about.

    A cursor past a record says this laptop has it, which holds only in the history it
    pulled from: a server restored from a copy may hold, below the cursor, records of a
    history this laptop never pulled (after an older copy was restored and this laptop
    synced, the server came back from a newer one). A server older than the question
    answers 404: the pull starts at the cursor, as it did.

    Says whether the histories part before the cursor: the server was restored from a copy,
    and this laptop's resolutions and conflicts are to go again (`outbox.server_restored`)."""
    said = store.get_meta(outbox.SERVER_EPOCH) or None
    cursor = outbox.cursor(store)
    if epoch_now is not None and (epoch_now[0] == said or cursor == 0):
        epoch, start = epoch_now[0], min(cursor, epoch_now[1])
    else:
        try:
            answer = conn.call(
                "POST",
                protocol.PATH_EPOCH,
                protocol.EpochRequest(epoch=said, cursor=cursor),
                protocol.EpochResponse,
            )
        except RequestRefusedError as exc:
            if exc.status in (404, 405):
                return False
            raise
        if answer.start > cursor:
            raise BadAnswerError()
        epoch, start = answer.epoch, answer.start
    if epoch != said or start < cursor:
        return outbox.set_epoch(store, epoch, start)
    return False


def note_server_reads(store: Store, conn: Connection) -> None:
    """Keep what the server said it reads (`Connection.server_reads`) for bundles, which
    have no answer to learn it from (`sync.bundle.export`)."""
    said = " ".join(sorted(conn.server_reads or ()))
    if (store.get_meta(outbox.SERVER_READS) or "") != said:
        with store.transaction():
            store.set_meta(outbox.SERVER_READS, said)


def server_reads(store: Store) -> frozenset[protocol.Feature]:
    """What the server said it reads at the last sync (`note_server_reads`)."""
    return protocol.features_of((store.get_meta(outbox.SERVER_READS) or "").split())


def _server_answers(store: Store, answers: bool) -> None:
    said = "1" if answers else ""
    if (store.get_meta(outbox.SERVER_ANSWERS_APPLIED) or "") != said:
        with store.transaction():
            store.set_meta(outbox.SERVER_ANSWERS_APPLIED, said)


class _Applied:
    """Asks the server about this laptop's changes by number (`check_own_history`): whether
    each is another's, as its fingerprint there says."""

    def __init__(self, store: Store, conn: Connection, device: str) -> None:
        self.store, self.conn, self.device = store, conn, device
        #: The server's epoch and version top, as its latest answer said them (if it did).
        self.epoch_now: tuple[str, int] | None = None

    def __call__(self, seqs: list[int]) -> tuple[int | None, list[bool]]:
        answer = self.conn.call(
            "POST",
            protocol.PATH_APPLIED,
            protocol.AppliedRequest(device_id=self.device, seqs=seqs),
            protocol.AppliedResponse,
        )
        if len(answer.fingerprints) != len(seqs):
            raise BadAnswerError()
        if answer.epoch is not None and answer.version is not None:
            self.epoch_now = (answer.epoch, answer.version)
        own = dict(own_fingerprints(self.store, seqs))
        # A number the server holds without a fingerprint (stored before they were) or
        # this laptop lacks (sent again under a later number) cannot be told: taken as ours.
        return answer.applied_through, [
            bool(there) and seq in own and there != own[seq]
            for seq, there in zip(seqs, answer.fingerprints, strict=True)
        ]


def own_fingerprints(store: Store, seqs: list[int]) -> list[tuple[int, str]]:
    """This laptop's changes at these numbers, each with its fingerprint as sent under its
    device id now (`protocol.fingerprint`), in order; a number it lacks is left out."""
    device = store.device_id
    found: list[tuple[int, str]] = []
    # A push's worth at a time: the fingerprint is of each change as a push carries it,
    # and one `PushRequest` holds at most `MAX_PUSH_CHANGES` (a bundle asks for up to
    # `sealed.MAX_SENT`, the latest answered after a first sync of thousands).
    for part in chunked(seqs, protocol.MAX_PUSH_CHANGES):
        sent = push_request(device, outbox.changes_at(store, part)).changes
        found += [(c.seq, protocol.fingerprint(c, device)) for c in sent]
    return found


def _push_all(store: Store, conn: Connection, report: SyncReport, run: int, tell: Progress) -> None:
    """Push, setting right once each of the two ways a laptop and server can part."""
    while True:
        try:
            return _push(store, conn, report, run, tell)
        except ServerBehindError as exc:
            if report.resent:
                raise
            report.resent = outbox.send_again_after(store, exc.applied_through)
        except SequenceReusedError:
            if report.new_device_id:
                raise
            # The server already applied other changes under these numbers: this profile
            # was restored from an older copy. Under a new device id they are new again.
            report.new_device_id = outbox.start_over_as_new_device(store)


def _push(store: Store, conn: Connection, report: SyncReport, run: int, tell: Progress) -> None:
    total = store.pending_count()
    returned = False
    # Named at every push, not once: a server restored from a copy may have forgotten them.
    former = outbox.given_up_ids(store, protocol.MAX_FORMER_IDS)
    while True:
        batch = outbox.next_batch(store, PUSH_BATCH)
        resolved = outbox.unsent_resolutions(store, protocol.MAX_PUSH_CHANGES)
        # After every change: the records this laptop sends again to a restored server are
        # there when the conflicts on them come back (`merge._take_back`).
        returning = not batch and not returned and outbox.returning_conflicts(store)
        if not batch and not resolved and not returning:
            break
        # The clock read as the request leaves: the server tells how far it runs ahead.
        clock_ms = int(store.clock.now().timestamp() * 1000)
        request = push_request(
            store.device_id,
            batch,
            resolved,
            outbox.highest_acked(store),
            clock_ms,
            _conflicts_to_return(store, resolved, returning),
            conn.server_reads or frozenset(),
            former,
        )
        answer = conn.call("POST", protocol.PATH_PUSH, request, PushResponse)
        acks = apply_push_answer(store, report, run, batch, resolved, answer, clock_ms)
        if returning:
            returned = report.conflicts_returned = True
            outbox.conflicts_returned(store)
        tell("push", report.pushed, total)
        if not acks and not resolved and not returning:
            break


def _conflicts_to_return(
    store: Store, resolved: list[int], returning: bool
) -> list[outbox.PulledConflict]:
    """The conflicts a push carries whole: each it resolves (the server may have lost it,
    restored from a copy), and once this laptop learns the server was restored
    (`outbox.returning_conflicts`), every one held here, newest first, so that a conflict
    made after the copy is back on the server for every laptop, closed where a person
    closed it."""
    whole = outbox.held_conflicts(store, resolved, protocol.MAX_PUSH_CHANGES) if resolved else []
    if returning:
        sent = {c.id for c in whole}
        rest = outbox.held_conflicts(store, None, protocol.MAX_PUSH_CHANGES)
        whole += [c for c in rest if c.id not in sent][: protocol.MAX_PUSH_CHANGES - len(whole)]
    return whole


def apply_push_answer(
    store: Store,
    report: SyncReport,
    run: int,
    batch: list[outbox.Outgoing],
    resolved: list[int],
    answer: PushResponse,
    clock_ms: int | None = None,
) -> int:
    """Store the server's answer to one push of `batch` (and of the conflicts `resolved`);
    returns how many changes it acknowledged. An online push and a reply bundle
    (`sync.bundle`) both come here.

    `clock_ms`: this laptop's clock as the push left (`PushRequest.clock_ms`; None for a
    bundle's). With the server's time in the answer it says how far the server read the
    push's stamps back (`protocol.clock_skew_ms`), so each change keeps the time the
    server read it at, the time every other laptop shows for it (`Ack.read_ms`)."""
    # The server closes what it can and ignores the rest (closed already, or unknown):
    # either way the laptop is done telling it.
    outbox.resolutions_sent(store, resolved)
    report.resolutions_sent += len(resolved)
    sent = {c.seq: c for c in batch}
    skew_ms = protocol.clock_skew_ms(clock_ms, answer.server_time_ms)
    acks = [
        outbox.Ack(
            r.seq,
            r.status,
            r.reason.stored_text() if r.reason else None,
            _read_ms(sent[r.seq].hlc, skew_ms, answer.server_time_ms) if r.seq in sent else None,
        )
        for r in answer.results
    ]
    waiting = [
        outbox.Waiting(
            sent[r.seq].table,
            sent[r.seq].record_id,
            # The record named; a delete of a missing record waits for that record.
            str(r.reason.params.get("table", sent[r.seq].table)),
            str(r.reason.params.get("id", sent[r.seq].record_id)),
        )
        for r in answer.results
        if r.status == "rejected" and r.reason and r.reason.code in WAITING_CODES
        and r.seq in sent
    ]  # fmt: skip
    outbox.record_acks(store, acks, store.clock.now().isoformat(timespec="seconds"), run, waiting)
    report.pushed += len(acks)
    report.accepted += sum(a.status == "accepted" for a in acks)
    report.conflicts += sum(a.status == "conflict" for a in acks)
    report.conflict_reasons += [
        r.reason for r in answer.results if r.status == "conflict" and r.reason
    ]
    report.conflicted += [
        Conflicted(
            r.seq,
            sent[r.seq].table,
            sent[r.seq].record_id,
            frozenset(map(str, _list(r.reason.params.get("fields")) if r.reason else ())),
            r.reason,
        )
        for r in answer.results
        if r.status == "conflict" and r.seq in sent
    ]
    rejected = [r for r in answer.results if r.status == "rejected"]
    report.rejected += len(rejected)
    report.rejected_reasons += [r.reason or Reason.of(Code.OTHER, text="") for r in rejected]
    report.refused += [
        Refused(
            sent[r.seq].table, sent[r.seq].record_id, r.reason or Reason.of(Code.OTHER, text="")
        )
        for r in rejected
        if r.seq in sent
    ]
    report.warnings += [w for w in answer.warnings if w not in report.warnings]
    return len(acks)


def _read_ms(stamp: str, skew_ms: int, server_ms: int) -> int | None:
    """The wall-clock time the server read `stamp` at, if not the stamp's own."""
    made = int(stamp.split("-", 1)[0])
    read = protocol.read_back_ms(made, skew_ms, server_ms)
    return None if read == made else read


def _pull(
    store: Store, conn: Connection, report: SyncReport, tell: Progress, stop_if_lacking: bool = True
) -> bool:
    """Pull everything new; True, with nothing of the pull stored (`stop_if_lacking`), when
    the server turned out to lack changes of ours: they are pending again, to go first."""
    cursor = outbox.cursor(store)
    lacking = False
    checked = False  # what the server holds of ours is the same on every page: ask once
    villages: frozenset[str] | None = None  # by the first page (`_own_villages`)
    limit = PULL_PAGE
    while True:
        request = PullRequest(cursor=cursor, limit=limit, device_id=store.device_id)
        try:
            page = conn.call("POST", protocol.PATH_PULL, request, PullResponse)
        except AnswerTooLargeError:
            if limit == 1:
                raise
            # A page of large records may be larger than an answer is read: smaller pages
            # get past it, so a pull is not stuck on it. A bomb is refused at every size.
            limit = max(1, limit // 2)
            continue
        if len(page.records) > limit:
            raise PageTooLargeError(limit, len(page.records))
        if page.applied_through is not None and not checked:
            checked = True
            said = server_holds(store, report, page.applied_through)
            if said == "restart":
                cursor = 0
                continue
            lacking = lacking or said == "lacking"
            if lacking and stop_if_lacking:
                return True
        if villages is None:
            villages = _own_villages(store, conn, page.villages)
        apply_pull_page(store, report, page, villages)
        cursor = page.cursor
        tell("pull", report.pulled, report.pulled + (limit if page.has_more else 0))
        if not page.has_more:
            report.held = outbox.held_count(store)
            return lacking


def server_holds(store: Store, report: SyncReport, held: int) -> str | None:
    """What a pull's `applied_through` (`held`) says of this laptop and the server: "restart"
    when this profile is an older copy (it has taken a new device id and its cursor is 0),
    "lacking" when the server lost changes it had acknowledged (they are pending again)."""
    if held > outbox.last_seq(store) and not report.new_device_id:
        # Restored from an older copy, with nothing to push that would have shown it.
        report.new_device_id = outbox.start_over_as_new_device(store)
        return "restart"
    if held < outbox.highest_acked(store) and not report.resent:
        # The server was restored from a backup and lost changes it had acknowledged.
        report.resent = outbox.send_again_after(store, held)
        return "lacking"
    return None


def apply_pull_page(
    store: Store, report: SyncReport, page: PullResponse, villages: frozenset[str]
) -> None:
    """Store one pulled page with its cursor, and note its conflicts in `report`. An online
    pull and a reply bundle (`sync.bundle`) both come here. Records of a village not in
    `villages` are refused and counted, records of an unknown kind set aside."""
    before = outbox.conflicts_by_id(store, [c.id for c in page.conflicts])
    records, conflicts = stored.page(page.records, page.conflicts)
    outcome = outbox.apply_page(store, records, conflicts, page.cursor, villages, page.staff)
    _add(report.elsewhere, outcome.elsewhere)
    _add(report.set_aside, outcome.set_aside)
    _note_conflicts(store, report, page.conflicts, before)
    report.pulled += len(page.records)
    report.pulled_conflicts += len(page.conflicts)


def _own_villages(store: Store, conn: Connection, told: list[str] | None = None) -> frozenset[str]:
    """The villages whose records this laptop takes from a pull: those its profile holds and
    those its token covers (a supervisor's second village arrives by pull). A record of any
    other is refused, whatever the server sends: it is another village's personal data.

    `told`: the token's villages as the pull's first page said them
    (`Feature.PULL_VILLAGES`). Where the profile holds every one, the token adds nothing
    and nothing is asked; a page naming any other village, whether the token covers it or
    the page is wrong, is checked with `PATH_ME`, as without it. So a page's list can never
    widen what the laptop takes."""
    held = frozenset(queries.village_names(store))
    if told is not None and held.issuperset(told):
        return held
    return held | frozenset(conn.me().villages)


def _add(total: dict[str, int], more: Mapping[str, int]) -> None:
    for key, count in more.items():
        total[key] = total.get(key, 0) + count


def _note_conflicts(
    store: Store,
    report: SyncReport,
    pulled: list[protocol.Conflict],
    before: dict[int, outbox.StoredConflict],
) -> None:
    """What a pulled page's conflicts mean here: each new open one is named, on whichever
    side this laptop stands; an open one resolved elsewhere is counted as closed."""
    mine: outbox.Own | None = None
    for c in pulled:
        known = before.get(c.id)
        if c.resolved:
            report.closed_elsewhere += int(known is not None and not known.resolved)
            continue
        if known is not None:
            continue  # pulled again (a new device id pulls everything): said before
        mine = mine if mine is not None else outbox.own(store)
        side = _side(c, mine)
        if side == "own":
            report.own_conflicts.add((c.table, c.record_id, c.field))
            continue
        report.found.append(
            Reason.of(
                Code.CONFLICT_FOUND,
                table=c.table,
                id=c.record_id,
                field=c.field,
                who=queries.change_label(store, c.table, c.record_id),
                side=side,
            )
        )


def settle_own_conflicts(store: Store, report: SyncReport) -> None:
    """Count as accepted, here and in the change log, each pushed change whose every
    conflict the pull showed to be between two ids of this profile: its newest value was
    kept over one it made under an id it gave up (a restore from its own backup), so there
    is nothing to tell or choose. Without this the summary said 冲突 1 and 待同步 listed
    the change as conflicting with another device, of a record only this laptop wrote."""
    own = [
        c
        for c in report.conflicted
        if c.fields and all((c.table, c.record_id, f) in report.own_conflicts for f in c.fields)
    ]
    if not own:
        return
    outbox.settle_as_accepted(store, [c.seq for c in own])
    report.conflicts -= len(own)
    report.accepted += len(own)
    for c in own:
        if c.reason is not None and c.reason in report.conflict_reasons:
            report.conflict_reasons.remove(c.reason)
    report.conflicted = [c for c in report.conflicted if c not in own]


def _list(value: object) -> list[object]:
    if isinstance(value, list | tuple):
        return list(value)
    return [] if value is None else [value]


def _side(conflict: protocol.Conflict, mine: outbox.Own) -> str:
    """Where this laptop stands in a conflict; "own" when both sides are device ids of this
    profile (`mine`).

    Between its ids there is nothing to tell: the value kept is this profile's newest, the
    one that lost was made under an id it gave up, by itself before a restore from an older
    copy, or by the copy (clone) of it that kept the id, which is told on its own side. A
    lost stamp of a former id past what this profile made under it is another copy's, so
    where the kept side is not this profile's, the conflict is between two others."""
    if conflict.kept_device == protocol.DELETED_DEVICE:
        return "deleted"
    kept_here = mine.holds(conflict.kept_device)
    lost = conflict.lost_device
    if lost == mine.current:
        return "lost_here"
    if mine.holds(lost):
        if kept_here:
            return "own"
        # By its stamp as made: the one this profile knows as its own (`Own.made`).
        made = conflict.lost_made or conflict.lost_hlc
        return "lost_here" if mine.made(lost, made) else "others"
    return "kept_here" if kept_here else "others"


#: A sync's summary names this many conflicts, then says how many more there are.
NAMED_CONFLICTS = 5


def summary(report: SyncReport) -> list[Reason]:
    """What a sync did, as codes: the counts, then what else the person should know."""
    said = [
        Reason.of(
            Code.SUMMARY,
            pushed=report.pushed,
            conflicts=report.conflicts,
            rejected=report.rejected,
            pulled=report.pulled,
        )
    ]
    if report.new_device_id:
        said.append(Reason.of(Code.NEW_DEVICE))
    if report.resent:
        said.append(Reason.of(Code.RESENT, count=report.resent))
    if report.sent_again:
        said.append(Reason.of(Code.SENT_AGAIN, count=report.sent_again))
    if report.held:
        said.append(Reason.of(Code.HELD, count=report.held))
    if report.elsewhere:
        said.append(
            Reason.of(
                Code.PULLED_ELSEWHERE,
                count=sum(report.elsewhere.values()),
                villages=_named(report.elsewhere),
            )
        )
    if report.set_aside:
        said.append(
            Reason.of(
                Code.UNKNOWN_KINDS,
                count=sum(report.set_aside.values()),
                tables=_named(report.set_aside),
            )
        )
    said += report.found[:NAMED_CONFLICTS]
    if len(report.found) > NAMED_CONFLICTS:
        said.append(Reason.of(Code.CONFLICTS_MORE, count=len(report.found) - NAMED_CONFLICTS))
    if report.closed_elsewhere:
        said.append(Reason.of(Code.CONFLICTS_CLOSED, count=report.closed_elsewhere))
    return said + report.warnings


#: A summary names this many villages or kinds a server sent, each cut to this length:
#: they are the server's words, and the summary is stored and shown in a line.
NAMED_FROM_SERVER = 5
NAME_LENGTH = 40


def _named(counts: Mapping[str, int]) -> list[str]:
    names = sorted(counts, key=lambda name: (-counts[name], name))
    said = [name[:NAME_LENGTH] for name in names[:NAMED_FROM_SERVER]]
    return [*said, "…"] if len(names) > NAMED_FROM_SERVER else said


def stored_summary(said: list[Reason]) -> str:
    """A summary as the profile keeps it (outbox.LAST_RESULT): JSON, rendered when shown."""
    return pydantic_core.to_json([r.model_dump(mode="json") for r in said]).decode()
