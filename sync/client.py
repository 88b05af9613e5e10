"""The client behind `civtui sync`: push the change log, then pull what others changed.

`sync()` reads top to bottom. Every step commits before the next request, so
the process can be killed at any moment and simply run again: the server
acknowledges a repeated batch without applying it twice, and a pulled page is
stored together with its cursor.
"""

from __future__ import annotations

import ipaddress
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from civtui import __version__
from civtui.i18n import Said
from db import Store, outbox
from sync import protocol
from sync.protocol import (
    Change,
    Health,
    Me,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
)

M = TypeVar("M", bound=BaseModel)

#: Each push batch is one round trip and one durable commit on the server; 500 visits are
#: ~30 KB gzip, about two seconds on 2G, which is all a dropped link can cost.
PUSH_BATCH = 500
PULL_PAGE = 500
#: Weak 2G: a slow connect is normal, a long silence while reading is not unusual either.
TIMEOUT = httpx.Timeout(connect=20.0, read=90.0, write=90.0, pool=20.0)


class SyncError(Exception):
    """Sync stopped; the message (an i18n.Said) says what to do. Nothing local was lost."""

    def __init__(self, message: str, *, kind: str) -> None:
        super().__init__(message)
        self.kind = kind  # offline | auth | server | refused | config | reused


class ServerBehindError(SyncError):
    """The server holds this device's changes only up to `applied_through` (restored from a
    backup); the rest must be sent again."""

    def __init__(self, applied_through: int) -> None:
        super().__init__(
            Said(
                f"服务器上本机的修改只到第 {applied_through} 条，之后的需要重新上传",
                f"the server holds this laptop's changes up to no. {applied_through} only; "
                "the rest must be sent again",
            ),
            kind="behind",
        )
        self.applied_through = applied_through


@dataclass
class SyncReport:
    """What one sync did."""

    pushed: int = 0
    accepted: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    pulled_conflicts: int = 0
    clock_warning: str | None = None
    #: Set when this laptop's data came from an older copy and it took a new device id.
    new_device_id: str | None = None
    #: Changes sent again because the server had lost them (restored from a backup).
    resent: int = 0
    rejected_reasons: list[str] = field(default_factory=list)


def check_url(url: str) -> str:
    """HTTPS anywhere, plain HTTP only to this machine; returns the URL without a trailing /."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise SyncError(
            Said(
                f"服务器地址“{url}”不对；应以 https:// 开头",
                f"the server address {url} is not right; it starts with https://",
            ),
            kind="config",
        )
    if parts.scheme == "http":
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = host == "localhost"
        if not loopback:
            raise SyncError(
                Said(
                    "为保护个人信息，只能用 https:// 连接其他电脑上的服务器；http:// 只允许本机地址",
                    "to protect personal data, a server on another computer is reached over "
                    "https:// only; http:// is for this machine",
                ),
                kind="config",
            )
    return url.rstrip("/")


class Connection:
    """HTTP to the server: gzip JSON bodies, a bearer token, retries with backoff and jitter."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        attempts: int = 5,
        backoff: float = 1.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.url = check_url(url)
        self.attempts = attempts
        self.backoff = backoff
        self.sleep = sleep
        self.http = httpx.Client(
            base_url=self.url,
            timeout=TIMEOUT,
            verify=True,
            transport=transport,
            headers={
                "Authorization": f"Bearer {token}",
                "User-Agent": f"civtui/{__version__}",
                "Accept-Encoding": "gzip",
            },
        )

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, path: str, body: BaseModel | None) -> httpx.Response:
        content = protocol.encode(body) if body is not None else None
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"} if body else {}
        last_error = ""
        for attempt in range(self.attempts):
            if attempt:
                # Exponential backoff with full jitter, so many laptops coming back
                # online at the ferry do not all retry in the same second.
                self.sleep(random.uniform(0, min(30.0, self.backoff * 2 ** (attempt - 1))))
            try:
                response = self.http.request(method, path, content=content, headers=headers)
            except httpx.TransportError as exc:
                last_error = type(exc).__name__
                continue
            if response.status_code == 429 or response.status_code >= 500:
                last_error = f"HTTP {response.status_code}"
                continue
            return response
        raise SyncError(
            Said(
                f"无法连接服务器 {self.url}（{last_error}）。可能没有网络或服务器未运行；"
                "修改都已保存在本机，联网后再同步即可",
                f"cannot reach the server {self.url} ({last_error}): no network, or the server "
                "is not running. Every change is kept on this laptop; sync again when online",
            ),
            kind="offline",
        )

    def call(self, method: str, path: str, body: BaseModel | None, answer: type[M]) -> M:
        response = self._send(method, path, body)
        if response.status_code == 401:
            raise SyncError(
                Said(
                    "令牌无效或已被吊销；请向乡镇民政办索取新令牌后重新 civtui login",
                    "the token is wrong or revoked; ask the township office for a new one, "
                    "then civtui login again",
                ),
                kind="auth",
            )
        if response.status_code == 403:
            detail = _detail(response)
            raise SyncError(
                Said(f"服务器拒绝：{detail}", f"the server refused: {detail}"), kind="auth"
            )
        if response.status_code == protocol.BEHIND_STATUS:
            detail = response.json().get("detail", {})
            raise ServerBehindError(int(detail.get("applied_through", 0)))
        if response.status_code == 409:
            raise SyncError(_detail(response), kind="reused")
        if response.status_code >= 400:
            detail = _detail(response)
            raise SyncError(
                Said(
                    f"服务器拒绝了请求（HTTP {response.status_code}）：{detail}",
                    f"the server refused the request (HTTP {response.status_code}): {detail}",
                ),
                kind="refused",
            )
        try:
            return answer.model_validate_json(response.content)
        except ValidationError:
            raise SyncError(
                Said(
                    "服务器的回答无法识别；请确认服务器地址正确、版本匹配",
                    "the server's answer makes no sense; check the address and that the "
                    "versions match",
                ),
                kind="server",
            ) from None

    def health(self) -> Health:
        return self.call("GET", protocol.PATH_HEALTH, None, Health)

    def me(self) -> Me:
        return self.call("GET", protocol.PATH_ME, None, Me)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:200]
    return detail if isinstance(detail, str) else str(detail)[:200]


Progress = Callable[[str, int, int], None]


def push_request(device_id: str, batch: list[outbox.Outgoing]) -> PushRequest:
    """A batch of the change log as the protocol carries it.

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
    )


def sync(store: Store, conn: Connection, progress: Progress | None = None) -> SyncReport:
    """Push every pending change, then pull everything new in the token's villages."""
    report = SyncReport()
    tell = progress or (lambda stage, done, total: None)

    # 1. Push, oldest change first, one committed batch at a time.
    run = outbox.start_run(store)
    _push_all(store, conn, report, run, tell)

    # 2. Pull, page by page; each page and its cursor are stored together.
    if _pull(store, conn, report, tell):
        _push_all(store, conn, report, run, tell)  # what the server turned out to lack

    # 3. Remember when, and how it went.
    with store.transaction():
        store.set_meta(outbox.LAST_SYNC, store.clock.now().isoformat(timespec="seconds"))
        said = summary(report)
        store.set_meta(outbox.LAST_RESULT, str(said))
        store.set_meta(outbox.LAST_RESULT_EN, said.en)
    return report


def _push_all(store: Store, conn: Connection, report: SyncReport, run: int, tell: Progress) -> None:
    """Push, setting right once each of the two ways a laptop and server can part."""
    while True:
        try:
            return _push(store, conn, report, run, tell)
        except ServerBehindError as exc:
            if report.resent:
                raise
            report.resent = outbox.send_again_after(store, exc.applied_through)
        except SyncError as exc:
            if exc.kind != "reused" or report.new_device_id:
                raise
            # The server already applied other changes under these numbers: this profile
            # was restored from an older copy. Under a new device id they are new again.
            report.new_device_id = outbox.start_over_as_new_device(store)


def _push(store: Store, conn: Connection, report: SyncReport, run: int, tell: Progress) -> None:
    total = store.pending_count()
    while batch := outbox.next_batch(store, PUSH_BATCH):
        request = push_request(store.device_id, batch)
        answer = conn.call("POST", protocol.PATH_PUSH, request, PushResponse)
        acks = [outbox.Ack(r.seq, r.status, r.reason, r.version) for r in answer.results]
        outbox.record_acks(store, acks, store.clock.now().isoformat(timespec="seconds"), run)
        report.pushed += len(acks)
        report.accepted += sum(a.status == "accepted" for a in acks)
        report.conflicts += sum(a.status == "conflict" for a in acks)
        rejected = [a for a in acks if a.status == "rejected"]
        report.rejected += len(rejected)
        report.rejected_reasons += [a.reason or "" for a in rejected]
        report.clock_warning = answer.clock_warning or report.clock_warning
        tell("push", report.pushed, total)
        if not acks:
            break


def _pull(store: Store, conn: Connection, report: SyncReport, tell: Progress) -> bool:
    """Pull everything new; True when the server turned out to lack changes of ours."""
    cursor = outbox.cursor(store)
    lacking = False
    checked = False  # what the server holds of ours is the same on every page: ask once
    while True:
        page = conn.call(
            "POST",
            protocol.PATH_PULL,
            PullRequest(cursor=cursor, limit=PULL_PAGE, device_id=store.device_id),
            PullResponse,
        )
        held = page.applied_through
        if held is not None and not checked:
            checked = True
            if held > outbox.last_seq(store) and not report.new_device_id:
                # Restored from an older copy, with nothing to push that would have shown it.
                report.new_device_id = outbox.start_over_as_new_device(store)
                cursor = 0
                continue
            if held < outbox.highest_acked(store) and not report.resent:
                # The server was restored from a backup and lost changes it had acknowledged.
                report.resent = outbox.send_again_after(store, held)
                lacking = True
        outbox.apply_page(
            store,
            [
                outbox.Incoming(
                    r.table, r.record_id, r.fields, r.deleted, r.hlc, r.device_id, r.version
                )
                for r in page.records
            ],
            [
                outbox.IncomingConflict(
                    c.id,
                    c.table,
                    c.record_id,
                    c.field,
                    c.kept_value,
                    c.lost_value,
                    c.kept_device,
                    c.lost_device,
                    c.lost_hlc,
                )
                for c in page.conflicts
            ],
            page.cursor,
        )
        report.pulled += len(page.records)
        report.pulled_conflicts += len(page.conflicts)
        cursor = page.cursor
        tell("pull", report.pulled, report.pulled + (PULL_PAGE if page.has_more else 0))
        if not page.has_more:
            return lacking


def summary(report: SyncReport) -> Said:
    """What a sync did, in a line (the server's clock warning stays as the server said it)."""
    zh = (
        f"上传 {report.pushed} 条（冲突 {report.conflicts}，被拒 {report.rejected}），"
        f"下载 {report.pulled} 条"
    )
    en = (
        f"{report.pushed} sent ({report.conflicts} in conflict, {report.rejected} refused), "
        f"{report.pulled} received"
    )
    if report.new_device_id:
        zh += "；本机数据来自旧副本：已换用新的设备编号，并重新下载了全部记录"
        en += "; this laptop's data came from an older copy: it took a new device id and "
        en += "downloaded everything again"
    if report.resent:
        zh += f"；服务器缺少本机的 {report.resent} 条修改（可能从备份恢复过），已重新上传"
        en += f"; the server lacked {report.resent} of this laptop's changes (restored from "
        en += "a backup?); they were sent again"
    if report.clock_warning:
        zh, en = f"{zh}；{report.clock_warning}", f"{en}; {report.clock_warning}"
    return Said(zh, en)
