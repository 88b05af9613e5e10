"""Run the benchmarks and print one table: `python -m bench [--tiny] [--no-record]`.

Everything talks to 127.0.0.1 only. The full run builds (once, then reuses) a
50,000-person profile in bench/.cache; `--tiny` runs every figure once on a small
profile so CI keeps the suite working.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import functools
import gc
import gzip
import hashlib
import json
import os
import platform
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from bench import keyring as bench_keyring
from bench import profile as bench_profile
from bench.proxy import Link, ThrottlingProxy
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Village, Visit
from db import Store, migrations, open_store, outbox, queries
from sync import client as sync_client
from sync import protocol

HERE = Path(__file__).resolve().parent
TODAY = dt.date(2026, 11, 22)
VILLAGE = "330902112201"


@dataclass
class Figure:
    name: str
    measured: str
    floor: str
    ratio: float | None
    target: str
    passed: bool | None


@dataclass(frozen=True)
class Plan:
    size: bench_profile.Size
    repeats: int
    search_keys: int
    saves: int
    sync_visits: int
    slow_visits: int
    slow_per_record: int
    devices: int
    device_changes: int
    #: A village's 30 days on one USB stick (issue 30: ≈ 3,000 visits).
    bundle_visits: int
    #: Rounds of the waits in the app (a new person, a visit, a person opened each).
    wait_rounds: int
    #: Whether the cold starts are preceded by one start each to warm the OS file cache:
    #: the tiny run's figures are only printed (tests/test_bench.py), so it does not.
    warm_starts: bool


FULL = Plan(bench_profile.FULL, 5, 40, 300, 10_000, 1_000, 30, 200, 100, 3_000, 20, True)
#: Every figure once, on the tiny profile: what the suite runs so that the bench cannot rot,
#: and what bench/guard.py takes its sync-bytes figure from (sync_visits).
TINY = Plan(bench_profile.TINY, 1, 5, 20, 300, 40, 5, 10, 20, 100, 1, False)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- the TUI -------------------------------------------------------------------------


def encrypted_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "-encrypted.db")


def encrypted(db_path: Path) -> Path:
    """The bench profile encrypted with the bench key (built once, beside the plain one)."""
    from db.connection import encrypt_copy

    path = encrypted_path(db_path)
    if not path.exists():
        encrypt_copy(db_path, path.with_suffix(".building"), bench_keyring.KEY)
        path.with_suffix(".building").replace(path)
    return path


def repacked_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.stem + "-repacked.db")


def repacked(db_path: Path) -> Path:
    """The plain profile rebuilt the way its encrypted copy is (`sqlcipher_export`), plain.

    An export lays every table and index out afresh, its pages full, where the profile as
    built has the room its inserts left; a save into full index pages splits them, ~14
    pages written per visit saved at 50,000 people against ~9.5. The save figures compare
    the encrypted copy with this file, so their ratio is what encryption costs, not the
    export's page layout.
    """
    from db.connection import raw_connect

    path = repacked_path(db_path)
    if not path.exists():
        building = path.with_suffix(".building")
        building.unlink(missing_ok=True)
        conn = raw_connect(db_path, None)
        try:
            conn.execute("ATTACH DATABASE ? AS repacked KEY ''", [str(building)])
            conn.execute("SELECT sqlcipher_export('repacked')")
            conn.execute("DETACH DATABASE repacked")
        finally:
            conn.close()
        building.replace(path)
    return path


@contextmanager
def bench_home(db_path: Path, key: bytes | None = None) -> Iterator[dict[str, str]]:
    """A CIVTUI_HOME whose `bench` profile is the given file; auto sync off (no network).

    With `key` the file is the encrypted profile, and the key comes from bench/keyring.py.
    """
    with tempfile.TemporaryDirectory() as home:
        folder = Path(home) / "profiles" / "bench"
        folder.mkdir(parents=True)
        (folder / "civtui.db").symlink_to(db_path)
        Path(home, "settings.json").write_text(json.dumps({"auto_sync": False, "profile": "bench"}))
        env = {**os.environ, "CIVTUI_HOME": home}
        if key is not None:
            info = {"version": 1, "id": bench_keyring.KEY_ID, "source": "keyring"}
            (folder / "key.json").write_text(json.dumps(info))
            env["PYTHON_KEYRING_BACKEND"] = "bench.keyring.BenchKeyring"
            env[bench_keyring.ENV] = key.hex()
        # Python keeps compiled modules, so from the second start on civtui's are not
        # compiled again; an environment that turns that off (some sandboxes and CI images
        # do) would add ~0.1 s of compiling to every start a person never pays.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        yield env


def cold_start(
    db_path: Path, repeats: int, warm: bool = True
) -> tuple[Figure, Figure, Figure, Figure]:
    def run(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
        """Seconds to the first paint and to the settled first screen, and the peak RSS."""
        start = time.time()  # wall clock: the child reports its first frame on the same clock
        out = subprocess.run(
            [sys.executable, "-m", "bench.child", *args],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        report = json.loads(out.stdout.strip().splitlines()[-1])
        return report["paint"] - start, report["frame"] - start, report["rss_mib"]

    with bench_home(db_path) as env, bench_home(encrypted(db_path), bench_keyring.KEY) as enc:
        if warm:  # warm the OS file cache once
            run(["app", TODAY.isoformat()], env)
            run(["app", TODAY.isoformat()], enc)
        app_runs, enc_runs = [], []
        for _ in range(repeats):  # interleaved: a busy moment on a shared machine hits both
            app_runs.append(run(["app", TODAY.isoformat()], env))
            enc_runs.append(run(["app", TODAY.isoformat()], enc))
        minimal = [run(["minimal"], env) for _ in range(repeats)]
    app_time = statistics.median(t for _, t, _ in app_runs)
    enc_time = statistics.median(t for _, t, _ in enc_runs)
    floor = statistics.median(t for _, t, _ in minimal)
    app_paint = statistics.median(p for p, _, _ in app_runs)
    floor_paint = statistics.median(p for p, _, _ in minimal)
    rss = max(r for _, _, r in app_runs)
    ratio = app_time / floor
    paint_ratio = app_paint / floor_paint
    return (
        Figure(
            "cold start",
            f"{app_time * 1000:.0f} ms",
            f"{floor * 1000:.0f} ms (one label)",
            ratio,
            "ratio ≤ 1.5",
            ratio <= 1.5,
        ),
        # The first frame drawn (正在打开档案…, before the store is imported); "cold start"
        # above is the dashboard settled, its coverage counted.
        Figure(
            "first frame",
            f"{app_paint * 1000:.0f} ms",
            f"{floor_paint * 1000:.0f} ms (one label)",
            paint_ratio,
            "ratio ≤ 1.5",
            paint_ratio <= 1.5,
        ),
        Figure("memory", f"{rss:.0f} MiB peak RSS", "—", None, "≤ 150 MB", rss <= 150),
        on_off("cold start", enc_time * 1000, app_time * 1000, "ms"),
    )


def on_off(name: str, on: float, off: float, unit: str, what: str = "") -> Figure:
    """Encryption on beside off: the issue's bound is on within 1.5× of off."""
    ratio = on / off if off else None
    return Figure(
        f"{name}, encrypted",
        f"{what}{on:.1f} {unit}",
        f"{what}{off:.1f} {unit} (plain)",
        ratio,
        "ratio ≤ 1.5",
        ratio is not None and ratio <= 1.5,
    )


def search_and_dashboard(db_path: Path, keys: int, repeats: int) -> tuple[Figure, ...]:
    from screens.panels import WORKLIST_LIMIT

    plain_search = _search(db_path, keys, None)
    enc_search = _search(encrypted(db_path), keys, bench_keyring.KEY)
    stores = [
        open_store(db_path, Clock.pinned(TODAY)),
        open_store(encrypted(db_path), Clock.pinned(TODAY), bench_keyring.KEY),
    ]
    plain_dash: list[float] = []
    enc_dash: list[float] = []
    # A fast figure on a noisy machine: more runs than the slow figures, for a steady median;
    # plain and encrypted alternately, so that a busy moment hits both the same.
    for _ in range(max(3, repeats * 3)):
        for store, out in zip(stores, (plain_dash, enc_dash), strict=True):
            start = time.perf_counter()
            queries.dashboard(store, TODAY, WORKLIST_LIMIT)
            out.append(time.perf_counter() - start)
    for store in stores:
        store.close()
    p50, p95 = pct(plain_search, 0.5) * 1000, pct(plain_search, 0.95) * 1000
    dash = statistics.median(plain_dash) * 1000
    return (
        Figure(
            "search", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", "—", None, "p95 ≤ 16 ms", p95 <= 16
        ),
        Figure("dashboard", f"{dash:.0f} ms", "—", None, "≤ 50 ms", dash <= 50),
        on_off("search", pct(enc_search, 0.95) * 1000, p95, "ms", "p95 "),
        on_off("dashboard", statistics.median(enc_dash) * 1000, dash, "ms"),
    )


def _search(db_path: Path, keys: int, key: bytes | None) -> list[float]:
    """Seconds per roster keystroke, on the plain or the encrypted file."""
    import keyring
    from pypinyin import lazy_pinyin
    from textual.widgets import Input

    from civtui.app import make_app
    from civtui.services import keys as profile_keys
    from civtui.services.profile import Profile
    from screens.roster import RosterScreen

    store = open_store(db_path, Clock.pinned(TODAY), key)
    names = [r[0] for r in store.db.execute("SELECT name FROM persons ORDER BY rowid LIMIT 50")]
    store.close()
    typed = "".join("".join(lazy_pinyin(n))[:4] for n in names)[:keys]
    timings: list[float] = []

    async def drive() -> None:
        with bench_home(db_path, key) as env:
            os.environ["CIVTUI_HOME"] = env["CIVTUI_HOME"]
            app = make_app(Profile("bench"), clock=Clock.pinned(TODAY))
            async with app.run_test(size=(120, 40)) as pilot:
                await pilot.pause()
                app.push_screen(RosterScreen())
                await pilot.pause()
                roster = app.screen
                assert isinstance(roster, RosterScreen)
                box = roster.query_one("#search", Input)
                word = ""
                for ch in typed:
                    word = word + ch if len(word) < 4 else ch
                    with box.prevent(Input.Changed):
                        box.value = word
                    start = time.perf_counter()
                    roster.apply_filters()  # what the keystroke's Changed handler runs
                    timings.append(time.perf_counter() - start)
                    await pilot.pause()

    before = keyring.get_keyring()
    keyring.set_keyring(bench_keyring.BenchKeyring())  # type: ignore[no-untyped-call]
    profile_keys.forget()
    try:
        asyncio.run(drive())
    finally:
        keyring.set_keyring(before)
    return timings


def saves(db_path: Path, count: int) -> tuple[Figure, Figure]:
    with tempfile.TemporaryDirectory() as folder:
        stores = []
        for name, source, key in (
            ("plain", repacked(db_path), None),
            ("encrypted", encrypted(db_path), bench_keyring.KEY),
        ):
            copy = Path(folder) / name / "civtui.db"
            copy.parent.mkdir()
            shutil.copy(source, copy)
            stores.append(open_store(copy, Clock.pinned(TODAY), key))
        person = str(stores[0].db.execute("SELECT id FROM persons LIMIT 1").fetchone()[0])
        times: list[list[float]] = [[], []]
        cpu: list[list[float]] = [[], []]
        # Alternately, so that a busy moment on a shared machine hits both the same.
        for _ in range(count):
            for store, out, used in zip(stores, times, cpu, strict=True):
                start, start_cpu = time.perf_counter(), time.thread_time()
                visit = Visit.model_validate(
                    {"person_id": person, "visit_date": TODAY, "visitor": "王"},
                    context={"today": TODAY},
                )
                store.save(visit)
                out.append(time.perf_counter() - start)
                used.append(time.thread_time() - start_cpu)
        for store in stores:
            store.close()
    plain = times[0]
    p50, p95 = pct(plain, 0.5) * 1000, pct(plain, 0.95) * 1000
    # Encryption beside none by the saving thread's CPU, as the guard does: the wall clock
    # of a save is mostly the fsync's wait for the disk, the same with a key or without,
    # and on a shared disk it drowned what encryption adds (a ratio of 0.99 at p50 10 ms).
    on, off = (pct(c, 0.95) * 1000 for c in reversed(cpu))
    return (
        Figure("save", f"p50 {p50:.1f} ms, p95 {p95:.1f} ms", "—", None, "p95 ≤ 10 ms", p95 <= 10),
        on_off("save", on, off, "ms", "CPU p95 "),
    )


# -- sync ------------------------------------------------------------------------------


@dataclass
class ServerProcess:
    port: int
    process: subprocess.Popen[bytes]
    url: str
    db_url: str

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@contextmanager
def server(db_url: str, workers: int = 1) -> Iterator[ServerProcess]:
    from sync.server import storage

    engine = storage.make_engine(db_url)
    storage.migrate(engine)
    engine.dispose()
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "CIVTUI_SERVER_DATABASE": db_url}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "civtui",
            "server",
            "run",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "WARNING",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    # One client for every try: `httpx.get` makes a client each time, and each loads the
    # system's certificates (~50 ms of CPU, for a plain-HTTP address), which over the seconds
    # a server takes to start was most of the bench's own CPU in the tiny run.
    with httpx.Client(timeout=1, verify=shared_tls()) as probe:
        for _ in range(600):
            try:
                # With several workers the socket is open before every worker can answer.
                if probe.get(f"{url}/v1/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    srv = ServerProcess(port, process, url, db_url)
    try:
        yield srv
    finally:
        srv.stop()


def token(db_url: str, staff: str, villages: list[str]) -> str:
    from sync.server import storage, tokens

    engine = storage.make_engine(db_url)
    try:
        return tokens.create(engine, staff, "assistant", villages)[1]
    finally:
        engine.dispose()


def empty_profile(folder: Path) -> Path:
    """A new profile's file, migrated, without a device id: each laptop copied from it takes
    its own when opened, as a new profile does. Migrating took ~0.25 s of CPU per laptop, and
    the load builds one per device (200 in the full run) before anything is timed."""
    path = folder / "empty-profile.db"
    if not path.exists():
        building = folder / "empty-profile.building.db"
        store = open_store(building, Clock.pinned(TODAY))
        with store.transaction():
            store.db.execute("DELETE FROM meta WHERE key = 'device_id'")
        store.close()
        building.replace(path)
    return path


def laptop(folder: Path, name: str, visits: int) -> Store:
    """A profile with one village, a person per ten visits, and `visits` visits, all pending."""
    path = folder / f"{name}.db"
    shutil.copy(empty_profile(folder), path)
    store = open_store(path, Clock.pinned(TODAY))
    from civtui.domain import resident_id

    records: list[Any] = [Village(id=VILLAGE, name="海星村")]
    people = []
    for i in range(max(1, visits // 10)):
        number = resident_id.make("330902", dt.date(1940, 1, 1) + dt.timedelta(days=i), 1 + i % 999)
        people.append(
            Person.model_validate(
                {"village_code": VILLAGE, "name": f"测试{i}", "id_number": number},
                context={"today": TODAY},
            )
        )
    records += people
    for i in range(visits):
        day = TODAY - dt.timedelta(days=i % 60)
        records.append(
            Visit.model_validate(
                {
                    "person_id": people[i % len(people)].id,
                    "visit_date": day,
                    "visitor": "王晓丽",
                    "notes": "上门探访，老人身体尚可，已提醒注意用电安全" if i % 3 == 0 else "",
                },
                context={"today": TODAY},
            )
        )
    store.save_many(records)
    return store


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One SSL context for every client of the bench's own plain-HTTP servers: httpx makes
    one per client otherwise, loading the system's certificates each time (~50 ms of CPU),
    and the load makes a client per device."""
    return ssl.create_default_context()


def settled() -> None:
    """Collect this process's garbage before a timed sync. The laptops the bench builds in
    this process leave a large heap, and a full collection of it, due by chance inside the
    timed window, timed the bench and not the sync (0.12 s of a 2G push of 0.16 s CPU)."""
    gc.collect()


class Counting(httpx.HTTPTransport):
    """Counts the bytes a sync puts on the wire (request and response bodies and headers)."""

    sent = 0
    received = 0
    requests = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        head = sum(len(k) + len(v) + 4 for k, v in request.headers.raw) + 40
        Counting.sent += len(body) + head
        Counting.requests += 1
        response = super().handle_request(request)
        raw = b"".join(response.iter_raw())  # as on the wire: still compressed
        response.close()
        Counting.received += (
            len(raw) + sum(len(k) + len(v) + 4 for k, v in response.headers.raw) + 20
        )
        return httpx.Response(response.status_code, headers=response.headers, content=raw)


def gzip_floor(store: Store) -> int:
    """The fewest bytes the pending records could travel in: their fields as compact JSON,
    gzipped, with no protocol around them."""
    rows = [json.loads(f) for (f,) in store.db.execute("SELECT fields FROM changes ORDER BY seq")]
    return len(gzip.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()))


def sync_local(plan: Plan, folder: Path) -> tuple[Figure, Figure]:
    db_url = f"sqlite:///{folder / 'server-local.db'}"
    with server(db_url) as srv:
        store = laptop(folder, "local", plan.sync_visits)
        changes = store.pending_count()
        floor = gzip_floor(store)
        Counting.sent = Counting.received = Counting.requests = 0
        key = token(db_url, "王", [VILLAGE])
        conn = sync_client.Connection(srv.url, key, transport=Counting())
        settled()
        start = time.perf_counter()
        report = sync_client.sync(store, conn)
        push_time = time.perf_counter() - start
        pushed, requests = Counting.sent, Counting.requests
        conn.close()
        store.close()
        # The other half: a second laptop in the village pulls all of it.
        other = open_store(folder / "local-other.db", Clock.pinned(TODAY))
        conn = sync_client.Connection(srv.url, key)
        settled()
        start = time.perf_counter()
        pulled = sync_client.sync(other, conn)
        pull_time = time.perf_counter() - start
        conn.close()
        other.close()
    total = report.pushed + pulled.pulled
    rate = total / (push_time + pull_time)
    ratio = pushed / floor
    return (
        Figure(
            "sync bytes",
            f"{pushed / changes:.0f} B/change pushed ({requests} requests)",
            f"{floor / changes:.0f} B/change (gzip of the records)",
            ratio,
            "ratio ≤ 1.2",
            ratio <= 1.2,
        ),
        Figure(
            "sync local",
            f"{rate:,.0f} changes/s ({report.pushed} up at {report.pushed / push_time:,.0f}/s, "
            f"then {pulled.pulled} down to a second laptop at {pulled.pulled / pull_time:,.0f}/s)",
            "—",
            None,
            "≥ 5,000/s",
            rate >= 5000,
        ),
    )


def sync_slow(plan: Plan, folder: Path) -> Figure:
    link = Link(bytes_per_second=128_000 / 8, one_way_delay=0.150)
    db_url = f"sqlite:///{folder / 'server-2g.db'}"
    with server(db_url) as srv, ThrottlingProxy(srv.port, link) as proxy:
        villages = [VILLAGE]
        via = f"http://127.0.0.1:{proxy.port}"
        store = laptop(folder, "slow", plan.slow_visits)
        Counting.sent = Counting.received = Counting.requests = 0
        conn = sync_client.Connection(via, token(db_url, "王", villages), transport=Counting())
        settled()
        start = time.perf_counter()
        sync_client.sync(store, conn)
        ours = time.perf_counter() - start
        conn.close()
        store.close()
        moved = Counting.sent + Counting.received
        trips = Counting.requests + proxy.connections  # each request, plus each TCP handshake
        floor = moved / link.bytes_per_second + trips * 2 * link.one_way_delay
        # The form-submission pattern: one request per record (measured on a sample).
        sample = laptop(folder, "per-record", plan.slow_per_record)
        batch = outbox.next_batch(sample, plan.slow_per_record * 2)
        http = httpx.Client(
            base_url=via,
            timeout=120,
            headers={"Authorization": f"Bearer {token(db_url, '李', villages)}"},
        )
        start = time.perf_counter()
        for change in batch:
            body = sync_client.push_request(sample.device_id, [change])
            http.post(
                protocol.PATH_PUSH,
                content=protocol.encode(body),
                headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
            )
        per_record = (time.perf_counter() - start) / len(batch) * (plan.slow_visits * 1.1)
        http.close()
        sample.close()
    ratio = ours / floor
    return Figure(
        "sync on 2G",
        f"{ours:.1f} s for {plan.slow_visits} visits ({Counting.requests} requests, "
        f"{moved / 1024:.0f} KiB); one request per record ≈ {per_record:.0f} s",
        f"{floor:.1f} s (bytes ÷ 128 kbit/s + trips × 300 ms)",
        ratio,
        "ratio ≤ 1.3",
        ratio <= 1.3,
    )


def bundle_trip(plan: Plan, folder: Path) -> tuple[Figure, Figure]:
    """A village's month on a USB stick: exported, imported at the township, and the reply
    imported on the laptop, in process (no link is the point), each step timed."""
    from sync import bundle
    from sync.server import bundle as township
    from sync.server import storage

    db_url = f"sqlite:///{folder / 'server-bundle.db'}"
    engine = storage.make_engine(db_url)
    storage.migrate(engine)
    server_key, _ = township.make_keys(engine)
    key = token(db_url, "王", [VILLAGE])
    store = laptop(folder, "bundle", plan.bundle_visits)
    bundle.trust(store, server_key)
    changes = store.pending_count()
    floor = gzip_floor(store)
    settled()
    start = time.perf_counter()
    made = bundle.export(store, key)
    export_time = time.perf_counter() - start
    settled()
    start = time.perf_counter()
    imported = township.import_bundle(engine, made.data)
    server_time = time.perf_counter() - start
    settled()
    start = time.perf_counter()
    report = bundle.import_reply(store, key, imported.reply)
    reply_time = time.perf_counter() - start
    left = store.pending_count()
    store.close()
    engine.dispose()
    ratio = len(made.data) / floor
    total = export_time + server_time + reply_time
    return (
        Figure(
            "bundle bytes",
            f"{len(made.data) / changes:.0f} B/change ({len(made.data) / 1024:.0f} KiB for "
            f"{changes} changes; reply {len(imported.reply) / 1024:.0f} KiB)",
            f"{floor / changes:.0f} B/change (gzip of the records)",
            ratio,
            "ratio ≤ 1.2",
            ratio <= 1.2,
        ),
        Figure(
            "bundle steps",
            f"{total:.2f} s: export {export_time:.2f} s, township import {server_time:.2f} s, "
            f"reply import {reply_time:.2f} s ({report.pushed} acknowledged, {left} left)",
            "—",
            None,
            "all acknowledged",
            report.pushed == changes and left == 0,
        ),
    )


def _tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and its live descendants, and by the children it has
    waited for (Linux /proc; 0 elsewhere)."""
    tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    pending, root = [pid], True
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
        if root:
            total += int(fields[13]) + int(fields[14])
            root = False
        pending += [int(child) for child in children]
    return total / tick


#: The push bodies of the load, by plan: built once per run, for each database and worker
#: count alike (200 laptops take longer to build than the load takes to run).
_LOAD_BODIES: dict[tuple[int, int], list[bytes]] = {}


def load_bodies(plan: Plan, folder: Path) -> list[bytes]:
    key = (plan.devices, plan.device_changes)
    if key not in _LOAD_BODIES:
        bodies = []
        for i in range(plan.devices):
            store = laptop(
                folder / "load" / "laptops",
                f"d{i}",
                plan.device_changes - plan.device_changes // 10,
            )
            batch = outbox.next_batch(store, plan.device_changes * 2)
            request = sync_client.push_request(store.device_id, batch)
            bodies.append(protocol.encode(request))
            store.close()
        _LOAD_BODIES[key] = bodies
    return _LOAD_BODIES[key]


def server_load(plan: Plan, folder: Path, db_url: str, label: str, workers: int = 1) -> Figure:
    bodies = load_bodies(plan, folder)
    with server(db_url, workers) as srv:
        tokens = [token(db_url, f"员工{i}", [VILLAGE]) for i in range(plan.devices)]
        latencies: list[float] = []
        errors: list[str] = []
        barrier = threading.Barrier(plan.devices + 1)

        def device(i: int) -> None:
            with httpx.Client(base_url=srv.url, timeout=120, verify=shared_tls()) as http:
                barrier.wait()
                start = time.perf_counter()
                try:
                    response = http.post(
                        protocol.PATH_PUSH,
                        content=bodies[i],
                        headers={
                            "Authorization": f"Bearer {tokens[i]}",
                            "Content-Encoding": "gzip",
                            "Content-Type": "application/json",
                        },
                    )
                    if response.status_code != 200:
                        errors.append(str(response.status_code))
                except httpx.HTTPError as exc:
                    errors.append(type(exc).__name__)
                latencies.append(time.perf_counter() - start)

        threads = [threading.Thread(target=device, args=(i,)) for i in range(plan.devices)]
        cpu_before = _tree_cpu(srv.process.pid)
        for thread in threads:
            thread.start()
        # Timed from the moment every device is ready to send: making 200 HTTP clients
        # (an SSL context each, even for plain HTTP) took seconds of the load generator's
        # CPU on 2 cores, counted as the server's time before.
        barrier.wait()
        start = time.perf_counter()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        # The server's own CPU: on a machine shared with the load generator and the
        # database, wall-clock changes/s is bounded by what the others leave it.
        server_cpu = _tree_cpu(srv.process.pid) - cpu_before
    changes = plan.devices * plan.device_changes
    return Figure(
        f"server load ({label})",
        f"{len(errors)} errors, {changes / elapsed:,.0f} changes/s, p50 "
        f"{pct(latencies, 0.5) * 1000:.0f} ms, p99 {pct(latencies, 0.99) * 1000:.0f} ms; "
        f"server CPU {server_cpu:.1f} s ({changes / max(server_cpu, 1e-9):,.0f} changes/CPU-s)",
        f"{plan.devices} devices × {plan.device_changes}, {workers} worker(s)",
        None,
        "0 errors",
        not errors,
    )


# -- the run ----------------------------------------------------------------------------


#: Run in a child: `civtui` with the given arguments, then its peak RSS (MiB) on stderr. The
#: peak is the kernel's VmHWM of the child's own memory: getrusage's maxrss would carry the
#: parent's high-water mark over the fork.
_MEASURED_CLI = """
import atexit, sys
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            print("rss", int(line.split()[1]) / 1024, file=sys.stderr)
atexit.register(peak)
from civtui.cli import main
sys.argv = ["civtui", *sys.argv[1:]]
main()
"""


def hostile_files(folder: Path) -> dict[str, Path]:
    """The files issue 25's testers sent, at full size: each must be refused at the default
    limits within 5 s and 300 MB."""
    from tests import workbooks

    comma = folder / "commas.csv"
    comma.write_bytes("姓名,身份证号\n".encode() + b"," * (19 * 2**20))
    big = folder / "rows.csv"
    big.write_bytes("姓名,身份证号\n".encode() + b"x,1\n" * (4 * 2**20))
    return {
        "row bomb (1,048,576th row)": workbooks.row_bomb(folder / "rows.xlsx"),
        "header of 1M columns": workbooks.column_bomb(folder / "columns.xlsx", cells=1_000_000),
        "1M shared strings": workbooks.string_bomb(folder / "strings.xlsx", 1_000_000, 1_000_000),
        "4 MiB of zeros (ratio)": workbooks.ratio_bomb(folder / "ratio.xlsx"),
        "a cell at A1 and one at GR50000 (grid)": workbooks.sparse_grid(folder / "grid.xlsx"),
        "19 MiB of commas (csv)": comma,
        "4M rows (csv)": big,
    }


def import_bombs(db_path: Path, folder: Path) -> list[Figure]:
    figures = []
    with bench_home(db_path) as env:
        for label, path in hostile_files(folder).items():
            start = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-c", _MEASURED_CLI, "import", "persons", str(path), "--dry-run"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            took = time.perf_counter() - start
            rss = max(
                (
                    float(line.split()[1])
                    for line in done.stderr.splitlines()
                    if line.startswith("rss ")
                ),
                default=float("nan"),
            )
            refused = done.returncode == 2
            figures.append(
                Figure(
                    f"import refuses: {label}",
                    f"{took:.1f} s, {rss:.0f} MiB peak RSS, "
                    f"{'refused' if refused else f'exit {done.returncode}'}",
                    f"{path.stat().st_size / 2**20:.1f} MiB file",
                    None,
                    "refused ≤ 5 s, ≤ 300 MiB",
                    refused and took <= 5 and rss <= 300,
                )
            )
    return figures


def cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()} × {os.cpu_count()}"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} × {os.cpu_count()}"


STEP_NAMES = ("start", "search", "save", "waits", "sync", "bundle", "2g", "load", "bombs")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--tiny", action="store_true", help="small profile, one repetition (CI)")
    parser.add_argument("--no-record", action="store_true", help="do not append to RESULTS.md")
    parser.add_argument(
        "--only",
        metavar="NAMES",
        help=f"comma-separated subset of {','.join(STEP_NAMES)} (while working on one figure)",
    )
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else set(STEP_NAMES)
    if only - set(STEP_NAMES):
        parser.error(f"--only takes {','.join(STEP_NAMES)}")
    plan = TINY if args.tiny else FULL
    console = Console()
    cache = HERE / ".cache"
    cache.mkdir(exist_ok=True)
    size = plan.size
    # A profile built by older migrations is built again, not migrated: migrating would
    # leave a full-size safety copy behind, and the build is what the figures are about.
    schema = hashlib.sha1(Path(migrations.__file__).read_bytes()).hexdigest()[:8]
    stem = f"profile-{size.persons}-{size.visits}"
    db_path = cache / f"{stem}-{TODAY}-{schema}.db"
    for stale in cache.glob(f"{stem}-*"):
        if stale not in (db_path, encrypted_path(db_path), repacked_path(db_path)):
            stale.unlink()
    figures: list[Figure] = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "sqlite").mkdir()
        (folder / "postgresql").mkdir()
        steps: list[tuple[str, str, Callable[[], Any]]] = [
            (
                "start",
                "cold start and memory",
                lambda: figures.extend(cold_start(db_path, plan.repeats, plan.warm_starts)),
            ),
            (
                "search",
                "search and dashboard",
                lambda: figures.extend(
                    search_and_dashboard(db_path, plan.search_keys, plan.repeats)
                ),
            ),
            ("save", "save", lambda: figures.extend(saves(db_path, plan.saves))),
            (
                "waits",
                "what a person waits on",
                lambda: figures.extend(person_waits(db_path, plan)),
            ),
            ("sync", "sync on 127.0.0.1", lambda: figures.extend(sync_local(plan, folder))),
            ("bundle", "sync on a USB stick", lambda: figures.extend(bundle_trip(plan, folder))),
            ("2g", "sync through a 2G link", lambda: figures.append(sync_slow(plan, folder))),
            (
                "bombs",
                "hostile roster files",
                lambda: figures.extend(import_bombs(db_path, folder)),
            ),
            (
                "load",
                "server load, SQLite",
                lambda: figures.append(
                    server_load(plan, folder, f"sqlite:///{folder / 'load.db'}", "sqlite")
                ),
            ),
        ]
        postgres = os.environ.get("CIVTUI_TEST_POSTGRES_URL")
        if postgres:
            # The same load with one worker process and with two, side by side.
            for workers in (1, 2):
                label = f"postgresql, {workers} worker{'s' if workers > 1 else ''}"

                def load(label: str = label, workers: int = workers) -> None:
                    url = fresh_postgres(postgres)
                    figures.append(server_load(plan, folder, url, label, workers))

                steps.append(("load", f"server load, {label}", load))
        if only & {
            "start",
            "search",
            "save",
            "waits",
            "bombs",
        }:  # the figures that read the big profile
            with console.status("building the profile…"):
                bench_profile.build(db_path, size, TODAY)
        for name, label, step in steps:
            if name in only:
                with console.status(f"{label}…"):
                    step()
    table = Table(
        "figure",
        "measured",
        "floor / peer",
        "ratio",
        "target",
        "result",
        title=f"civtui benchmarks {'(tiny)' if args.tiny else ''}",
    )
    for f in figures:
        verdict = "—" if f.passed is None else ("pass" if f.passed else "MISS")
        table.add_row(
            f.name, f.measured, f.floor, f"{f.ratio:.2f}" if f.ratio else "—", f.target, verdict
        )
    console.print(table)
    machine = f"{cpu()}, Python {platform.python_version()}, {platform.system()}"
    console.print(machine)
    if not postgres and "load" in only:
        console.print(
            "PostgreSQL load skipped: set CIVTUI_TEST_POSTGRES_URL (scripts/dev.py bench does)"
        )
    if not args.no_record and not args.only:  # a partial run is not a result
        record(figures, machine, args.tiny)
    return 0


def person_waits(db_path: Path, plan: Plan) -> list[Figure]:
    # Its own module (bench/waits.py): it imports this one for the shared helpers.
    from bench.waits import waits

    return waits(db_path, plan.wait_rounds, 10_000 if plan is FULL else 500)


def fresh_postgres(admin: str) -> str:
    import uuid

    from sqlalchemy import create_engine, text

    from sync.server import storage

    name = f"civtui_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(storage.database_url(admin), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin.rsplit("/", 1)[0] + f"/{name}"


def record(figures: list[Figure], machine: str, tiny: bool) -> None:
    lines = [
        f"\n## {dt.datetime.now():%Y-%m-%d %H:%M} {'(tiny)' if tiny else ''}\n",
        machine,
        "",
        "| figure | measured | floor / peer | ratio | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        verdict = "—" if f.passed is None else ("pass" if f.passed else "**miss**")
        ratio = f"{f.ratio:.2f}" if f.ratio else "—"
        lines.append(f"| {f.name} | {f.measured} | {f.floor} | {ratio} | {f.target} | {verdict} |")
    with (HERE / "RESULTS.md").open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
