"""The dashboard's first frame comes before its coverage and work list are counted,
each panel reading its own figures (#28), and the reader the counting runs on."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable, Static

from civtui.domain.choices import Frequency
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Visit, new_id
from civtui.domain.worklist import WorkItem
from civtui.services import reads
from civtui.services.keys import open_store
from civtui.services.reader import Reader
from db import queries, standings
from screens.dashboard import DashboardScreen
from screens.form import ModelForm
from screens.panels import CountedPanel, CoveragePanel, FollowUpPanel, WorkListPanel
from tests.conftest import TODAY
from tests.tui_helpers import app_on, counted, demo_profile

#: A name that is markup, a key=value and a terminal escape at once.
HOSTILE = "[/]王=[bold]x\x1b[2J"


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Hold the counted panels' reads until the test opens the gate (always opened at the end:
    the app waits for the read under way before it closes)."""
    opened = threading.Event()

    def held(read: Callable[..., Any]) -> Callable[..., Any]:
        def wait_then_read(*args: Any) -> Any:
            assert opened.wait(20), "the gate was never opened"
            return read(*args)

        return wait_then_read

    monkeypatch.setattr(reads, "month_rates", held(reads.month_rates))
    monkeypatch.setattr(reads, "work_head", held(reads.work_head))
    yield opened
    opened.set()


def rename_first_due(profile_path: Path) -> Person:
    store = open_store(profile_path, Clock.pinned(TODAY))
    try:
        first = queries.work_head(store, TODAY, 1).work[0]  # not the gated name
        person = store.get(Person, first.person_id)
        assert person is not None
        renamed = person.model_copy(update={"name": HOSTILE})
        store.save(renamed)
        return renamed
    finally:
        store.close()


def adult_due(store: reads.Store, work: list[WorkItem]) -> str:
    """The first person on `work` a visit counts for (a child's routine contact is a check)."""
    for item in work:
        person = store.get(Person, item.person_id)
        if person is not None and not person.is_child(TODAY) and not item.reassess:
            return person.id
    raise AssertionError("no adult is due")


@pytest.mark.tui
async def test_the_frame_says_counting_until_the_figures_are_in(
    home: Path, gate: threading.Event
) -> None:
    profile = demo_profile(home)
    hostile = rename_first_due(profile.db_path)
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        for panel in screen.query(CountedPanel).results():
            note = panel.query_one(".counting", Static)
            assert note.display and str(note.content) == "计算中…"
            assert not panel.counted
        assert screen.query_one("#coverage", DataTable).row_count == 0
        assert screen.query_one("#worklist", DataTable).row_count == 0
        # The quick panels are already there, and keys that need the list wait for it.
        assert str(screen.query_one("#followups-title", Static).content).startswith("待跟进")
        assert "待同步" in str(screen.query_one("#statusbar", Static).content)
        await pilot.press("v")
        await pilot.pause()
        assert app.screen is screen
        # ... but say so, and `v` opens the form once the list is there.
        assert [n.message for n in app._notifications] == ["计算中…"]

        gate.set()
        await counted(pilot)
        assert isinstance(app.screen, ModelForm)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen
        for panel in screen.query(CountedPanel).results():
            assert not panel.query_one(".counting", Static).display
        assert Frequency.MONTHLY in screen.query_one(CoveragePanel).rates
        work = screen.query_one("#worklist", DataTable)
        assert work.row_count > 0
        assert screen.query_one(WorkListPanel).work[0].person_id == hostile.id
        # The name is data: shown as typed, its escape never reaching the terminal.
        name = work.get_row_at(0)[1]
        assert "[/]王=[bold]x" in name.plain and "\x1b" not in name.plain
        assert str(screen.query_one("#worklist-title", Static).content).startswith("待访名单 (")


@pytest.mark.tui
async def test_a_refresh_keeps_the_figures_until_the_new_ones_are_in(
    home: Path, gate: threading.Event
) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=(100, 30)) as pilot:
        gate.set()
        await counted(pilot)
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        work = screen.query_one("#worklist", DataTable)
        shown = work.row_count
        head = adult_due(app.store, screen.query_one(WorkListPanel).work)
        gate.clear()
        screen.load()
        await pilot.pause()
        assert work.row_count == shown
        assert not screen.query_one(WorkListPanel).query_one(".counting", Static).display
        # Saved on the app's own connection while the count waits: the next count sees it.
        visit = Visit(id=new_id(), person_id=head, visit_date=TODAY, visitor="王")
        app.store.save(visit)
        gate.set()
        await counted(pilot)
        screen.load()
        await counted(pilot)
        assert head not in [w.person_id for w in screen.query_one(WorkListPanel).work]
        assert screen.query_one(FollowUpPanel).follow_up_count >= 0


def test_the_reader_keeps_one_connection_on_one_thread(home: Path) -> None:
    profile = demo_profile(home)
    reader = Reader(profile.db_path, Clock.pinned(TODAY))
    try:
        first = reader.run(lambda store: (threading.get_ident(), id(store)))
        again = reader.run(lambda store: (threading.get_ident(), id(store)))
        assert first == again
        assert first[0] != threading.get_ident()
        # Its page cache is the counting one; other connections keep the store's own.
        cache = "PRAGMA cache_size"
        assert reader.run(lambda store: store.db.execute(cache).fetchone()[0]) == (
            -standings.COUNTING_CACHE_KIB
        )

        def contacted(store: reads.Store) -> int:
            return reads.month_rates(store, TODAY)[Frequency.MONTHLY].total.contacted

        before = reader.run(contacted)
        # A visit saved on another connection: the reader's kept standings see it.
        writer = open_store(profile.db_path, Clock.pinned(TODAY))
        try:
            due = adult_due(writer, reads.work_head(writer, TODAY, 50).work)
            writer.save(Visit(id=new_id(), person_id=due, visit_date=TODAY, visitor="王"))
            assert writer.db.execute(cache).fetchone()[0] != -standings.COUNTING_CACHE_KIB
        finally:
            writer.close()
        assert reader.run(contacted) == before + 1
    finally:
        reader.close()
    with pytest.raises(RuntimeError):
        reader.run(lambda store: None)


def test_closing_the_reader_waits_for_the_read_under_way(home: Path) -> None:
    profile = demo_profile(home)
    reader = Reader(profile.db_path, Clock.pinned(TODAY))
    started, release = threading.Event(), threading.Event()
    results: list[object] = []

    def slow(store: reads.Store) -> dt.date:
        started.set()
        release.wait(10)
        reads.rules(store)  # the connection is still open
        return TODAY

    thread = threading.Thread(target=lambda: results.append(reader.run(slow)))
    thread.start()
    assert started.wait(10)
    closer = threading.Thread(target=reader.close)
    closer.start()
    closer.join(0.2)
    assert closer.is_alive()  # the read under way is let finish, on its connection
    release.set()
    closer.join(10)
    thread.join(10)
    assert results == [TODAY]


def test_closing_the_reader_interrupts_a_long_statement(home: Path) -> None:
    import time

    profile = demo_profile(home)
    reader = Reader(profile.db_path, Clock.pinned(TODAY))
    reader.run(lambda store: None)  # the connection is open
    started = threading.Event()
    failed: list[BaseException] = []

    def endless(store: reads.Store) -> object:
        started.set()
        sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
        return store.db.execute(sql).fetchone()

    def read() -> None:
        try:
            reader.run(endless)
        except Exception as exc:
            failed.append(exc)

    thread = threading.Thread(target=read)
    thread.start()
    assert started.wait(10)
    time.sleep(0.1)
    began = time.monotonic()
    reader.close()
    thread.join(10)
    assert time.monotonic() - began < 5
    assert [type(e).__name__ for e in failed] == ["OperationalError"]
    assert "interrupted" in str(failed[0])


#: Run in a fresh process: `civtui` opened headless as a person opens it; at its first frame,
#: which modules are loaded and whether anyone looked for plugins. The counting starts only
#: after that frame, so the modules only it needs may or may not be in by then.
FIRST_FRAME = """
import json, sys
from textual.app import App

seen = {}

async def first_frame(pilot):
    # The dashboard's module is loaded by a worker while the frame before it shows; on a
    # loaded machine one pause can come before it. Wait for it, within a bound.
    for _ in range(400):
        if "screens.dashboard" in sys.modules:
            break
        await pilot.pause(0.05)
    await pilot.pause()
    import pydantic.plugin._loader as pydantic_plugins
    import sqlite_utils.plugins as sqlite_utils_plugins
    seen["modules"] = sorted(sys.modules)
    seen["pydantic_plugins_sought"] = pydantic_plugins._plugins is not None
    seen["sqlite_utils_plugins_sought"] = sqlite_utils_plugins._plugins_loaded
    pilot.app.exit()

real_run = App.run
App.run = lambda app, *a, **k: real_run(app, headless=True, size=(120, 40), auto_pilot=first_frame)
from civtui.cli import main
main(["--profile", "demo", "--today", sys.argv[1]], standalone_mode=False)
print(json.dumps(seen))
"""

#: Never needed to show the first frame: the sync and Excel stacks (sync loads once a worker
#: looks for the server, when automatic sync is on), the server's database layer, the pinyin
#: dictionaries, and the setup screen of a laptop that has a profile.
NOT_AT_START = ("httpx", "openpyxl", "pypinyin", "sqlalchemy", "sync.client", "screens.setup")


@pytest.mark.tui
@pytest.mark.slow
def test_the_first_frame_loads_only_what_it_shows(home: Path) -> None:
    import json
    import os
    import subprocess
    import sys

    from bench import keyring as bench_keyring
    from tests.tui_helpers import _built_demo

    profile = demo_profile(home)
    # The copy's key, handed to the fresh process by the bench's keyring under the bench's id.
    info_file = profile.folder / "key.json"
    info = json.loads(info_file.read_text())
    [key] = [v for (_, account), v in _built_demo()[1].items() if account == f"key:{info['id']}"]
    info_file.write_text(json.dumps({**info, "id": bench_keyring.KEY_ID}))
    # As the bench opens it: no look for the server (that worker loads the sync stack).
    (home / "settings.json").write_text(json.dumps({"auto_sync": False, "profile": "demo"}))
    root = Path(__file__).resolve().parent.parent
    env = {
        **os.environ,
        "CIVTUI_HOME": str(home),
        "PYTHONPATH": str(root),
        "PYTHON_KEYRING_BACKEND": "bench.keyring.BenchKeyring",
        bench_keyring.ENV: key,
    }
    env.pop("PYDANTIC_DISABLE_PLUGINS", None)  # as a person's shell has it: unset
    out = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, TODAY.isoformat()],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    loaded = set(seen["modules"])
    assert "screens.dashboard" in loaded  # it did open the dashboard
    assert [m for m in NOT_AT_START if m in loaded] == []
    assert not seen["pydantic_plugins_sought"]
    assert not seen["sqlite_utils_plugins_sought"]
