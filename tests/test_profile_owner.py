"""One owner of a profile: what the open app holds, no other step may take or lose.

The kill -9 run is short here; `RESTORE_KILL_RUNS=30` (README, "One owner of a profile")
is the long run.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail as fail_backend

from civtui.app import CivtuiApp
from civtui.cli import main
from civtui.domain.clock import Clock
from civtui.domain.models import Staff, Village, Visit
from civtui.services import backups, keys, ownership
from civtui.services.profile import (
    Profile,
    Settings,
    create_profile,
    forget_exports,
    load_settings,
    old_exports,
    remember_export,
    save_settings,
)
from db.connection import raw_connect
from screens.lock import LockScreen
from tests.conftest import INIT, TODAY, VILLAGE, MemoryKeyring, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Server, device, server
from tests.tui_helpers import app_on

__all__ = ["server"]

ROOT = Path(__file__).resolve().parent.parent
PIN = "7391"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], input=stdin)


@SCREEN_ON_SQLITE
@pytest.mark.slow
@pytest.mark.tui
async def test_open_app_refuses_restore_encrypt_key_import_init_and_a_second_app(
    server: Server, home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a = device(server, "default")
    elder = make_person()
    a.store.save(elder)
    token = a.token
    a.store.close()
    assert run("backup", str(tmp_path / "usb")).exit_code == 0
    [copy] = (tmp_path / "usb").glob("civtui-default-*.db")
    key_file = tmp_path / "key.json"
    assert run("key", "export", "--plain", str(key_file)).exit_code == 0
    profile = Profile("default")
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        for step in (
            ["restore", "--yes", str(copy)],
            ["encrypt"],
            ["key", "import", "--force", "--even-if-wrong", str(key_file)],
            [*INIT, "--force"],
        ):
            refused = run(*step)
            assert refused.exit_code == 1, (step, refused.output)
            # Names the process holding it and what to do.
            assert f"进程 {os.getpid()}" in refused.output and "Ctrl+Q" in refused.output, step
        second = app_on(profile)
        async with second.run_test(size=(100, 30)) as second_pilot:
            await second_pilot.pause()
        assert second.return_code == 1
        # The app carries on writing to the same file: a visit saved now is kept.
        visit = Visit(person_id=elder.id, visit_date=TODAY, visitor="王")
        app.store.save(visit)
        await pilot.pause()
    # Once the app is closed, the profile is free again.
    assert run("status").exit_code == 0
    monkeypatch.setenv("CIVTUI_TOKEN", token)
    monkeypatch.setenv("CIVTUI_SERVER", server.base)
    synced = run("sync")
    assert synced.exit_code == 0, synced.output
    assert ("visits", visit.id) in set(server.records())


@pytest.mark.tui
async def test_a_restart_asks_for_the_pin_before_showing_anything(home: Path) -> None:
    profile = _profile_with_secret_person(home)
    _set_pin(profile)
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        shown = " ".join(str(w.render()) for w in app.screen.query("Static"))
        assert "林秀英" not in shown
        # A toast (an automatic sync's, say) waits until the lock is gone.
        app.notify("林秀英 已同步")
        await pilot.pause()
        assert app.held_notices and not app._notifications
        # Wrong tries and their wait are kept in the profile: a restart does not reset them.
        assert not app.screen.attempt("0000")
    again = app_on(profile)
    async with again.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        lock = again.screen
        assert isinstance(lock, LockScreen) and lock.failures == 1
        assert not lock.attempt(PIN)  # still within the wait after the wrong one
        assert isinstance(again.screen, LockScreen)


def test_export_full_ids_and_key_pin_ask_for_the_pin(home: Path, tmp_path: Path) -> None:
    profile = _profile_with_secret_person(home)
    _set_pin(profile)
    out = tmp_path / "visits.xlsx"
    nothing = run("export", "visits", "--full-ids", "-o", str(out))
    assert nothing.exit_code == 1 and "PIN" in nothing.output and not out.exists()
    wrong = run("export", "visits", "--full-ids", "-o", str(out), stdin="0000\n")
    assert wrong.exit_code == 1 and "不对" in wrong.output and not out.exists()
    # Too soon after the wrong one: refused without being checked.
    soon = run("export", "visits", "--full-ids", "-o", str(out), stdin=f"{PIN}\n")
    assert soon.exit_code == 1 and "秒后再试" in soon.output and not out.exists()
    _wait_over(profile)
    done = run("export", "visits", "--full-ids", "-o", str(out), stdin=f"{PIN}\n")
    assert done.exit_code == 0, done.output
    assert out.stat().st_mode & 0o777 == 0o600
    # `key pin` replaces the PIN only for whoever knows it.
    _wait_over(profile)
    hijack = run("key", "pin", stdin="1111\n2222\n2222\n")
    assert hijack.exit_code == 2 and "不对" in hijack.output
    _wait_over(profile)
    changed = run("key", "pin", stdin=f"{PIN}\n2222\n2222\n")
    assert changed.exit_code == 0, changed.output
    assert run("export", "visits", "-o", str(out), stdin="2222\n").exit_code == 0


def test_restore_puts_the_wal_aside_with_the_old_file(home: Path, tmp_path: Path) -> None:
    profile = _profile_with_secret_person(home)
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    copy = backups.take(store, tmp_path / "usb", profile.name, Clock.pinned(TODAY))
    later = make_person(seq=203, name="陈后来")
    store.save(later)  # committed in the WAL; the open connection keeps it there
    restored = run("restore", "--yes", str(copy))
    assert restored.exit_code == 0, restored.output
    store.close()
    [kept] = profile.folder.glob("civtui.db.before-restore-*.bak")
    conn = raw_connect(kept, keys.key_for(profile.db_path))
    names = {row[0] for row in conn.execute("SELECT name FROM persons")}
    conn.close()
    assert "陈后来" in names  # nothing committed before the restore is lost


def test_a_day_of_work_leaves_nothing_readable_by_others(home: Path) -> None:
    before = os.umask(0o022)  # the usual umask: whatever is private was made so on purpose
    try:
        assert run(*INIT).exit_code == 0
        store = keys.open_store(Profile("default").db_path, Clock.pinned(TODAY))
        person = make_person()
        store.save(person)
        store.save(Visit(person_id=person.id, visit_date=TODAY, visitor="王"))
        store.close()
        assert run("export", "visits", "-o", str(home / "台账.xlsx")).exit_code == 0
        assert run("backup", "--auto", str(home / "backups")).exit_code == 0
        assert run("key", "pin", "--pin-stdin", stdin="2580\n").exit_code == 0
    finally:
        os.umask(before)
    open_to_others = [
        f"{oct(path.stat().st_mode & 0o777)} {path.relative_to(home)}"
        for path in [home, *home.rglob("*")]
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    assert open_to_others == []


#: Restores killed: once at each of restore's steps here; the README's long run sets
#: RESTORE_KILL_RUNS=30 (or more), going round the steps again.
KILL_RUNS = max(len(backups.RESTORE_STEPS), int(os.environ.get("RESTORE_KILL_RUNS", "0")))


@pytest.mark.slow
@pytest.mark.real_kdf  # the profile made here is opened by `civtui restore` processes
@pytest.mark.skipif(not hasattr(signal, "SIGSTOP"), reason="restore pauses itself with SIGSTOP")
def test_restore_killed_at_each_step_leaves_the_old_or_the_restored_profile(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Random kill times fell mostly in start-up and the old file had no WAL: the test could
    hardly fail. Restore now stops itself at a named step and is killed exactly there."""
    passphrase = "kill 测试 的口令 2026"
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setenv(keys.PASSPHRASE_ENV, passphrase)
    profile = Profile("default")
    clock = Clock.pinned(TODAY)
    staff = Staff(name="王", role="assistant", village_codes=[VILLAGE])
    create_profile(profile, [Village(id=VILLAGE, name="海星村"), staff], staff.id, clock)
    store = keys.open_store(profile.db_path, clock)
    store.save_many([make_person(seq=100 + n) for n in range(3)])
    backup = backups.take(store, tmp_path / "usb", profile.name, clock)
    store.save_many([make_person(seq=200 + n) for n in range(2)])
    store.close()  # checkpointed: the main file alone holds 5 persons
    store = keys.open_store(profile.db_path, clock)
    # The old profile's last 5 persons live only in its WAL, as in a laptop's open profile:
    # a restore that moved the WAL aside without checkpointing would lose them.
    store.db.execute("PRAGMA wal_autocheckpoint = 0")
    store.save_many([make_person(seq=300 + n) for n in range(5)])
    pristine = {suffix: tmp_path / f"old.db{suffix}" for suffix in ("", "-wal")}
    for suffix, copy in pristine.items():
        shutil.copyfile(profile.db_path.with_name(profile.db_path.name + suffix), copy)
    assert pristine["-wal"].stat().st_size > 0
    key = store.key
    store.close()
    env = {
        **os.environ,
        "CIVTUI_HOME": str(home),
        keys.PASSPHRASE_ENV: passphrase,
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
        "PYTHONPATH": str(ROOT),
    }
    command = [sys.executable, "-m", "civtui", "--today", TODAY.isoformat()]
    command += ["restore", "--yes", str(backup)]

    def reset() -> None:
        for leftover in profile.folder.glob("civtui.db*"):
            if not leftover.name.endswith((".lock", ".owner.json")):
                leftover.unlink()
        for suffix, copy in pristine.items():
            shutil.copyfile(copy, profile.db_path.with_name(profile.db_path.name + suffix))

    def persons(path: Path) -> int:
        conn = raw_connect(path, key)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            return int(conn.execute("SELECT count(*) FROM persons").fetchone()[0])
        finally:
            conn.close()

    reset()
    whole = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert whole.returncode == 0, whole.stderr
    assert persons(profile.db_path) == 3
    outcomes: dict[str, int] = {}
    for run_no in range(KILL_RUNS):
        step = backups.RESTORE_STEPS[run_no % len(backups.RESTORE_STEPS)]
        reset()
        # Another connection stays open, as a crashed app's WAL stays: without it, the
        # restore's own first open and close (the passphrase check) would checkpoint the
        # WAL, and a restore that skipped its checkpoint would go unnoticed.
        keeper = subprocess.Popen(
            [sys.executable, "-c", _KEEP_OPEN, str(profile.db_path), (key or b"").hex()],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert keeper.stdout is not None and keeper.stdout.readline().strip() == b"open"
        child = subprocess.Popen(
            command,
            env={**env, backups.RESTORE_PAUSE_ENV: step},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        _wait_stopped(child, step)
        child.kill()
        child.communicate(timeout=60)
        keeper.kill()  # killed, not closed: a close would checkpoint the WAL
        keeper.communicate(timeout=60)
        count = persons(profile.db_path)
        assert count in (3, 10), f"a mix or a loss after a kill at {step!r}: {count} persons"
        if count == 3:  # restored: the old profile is kept beside it, whole
            [kept] = profile.folder.glob("civtui.db.before-restore-*.bak")
            assert persons(kept) == 10, f"old one lost after a kill at {step!r}"
        outcomes[step] = count
    # The steps before the rename leave the old profile, the rename the restored one.
    assert outcomes["kept"] == 10 and outcomes["renamed"] == 3


#: Holds a connection to the profile open (no transaction) until killed.
_KEEP_OPEN = """
import sys
from pathlib import Path
from db.connection import raw_connect
conn = raw_connect(Path(sys.argv[1]), bytes.fromhex(sys.argv[2]))
conn.execute("SELECT count(*) FROM persons").fetchone()
print("open", flush=True)
sys.stdin.readline()
"""


def _wait_stopped(child: subprocess.Popen[bytes], step: str) -> None:
    """Wait until `child` has stopped itself at `step` (it must not end first)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child.pid, os.WNOHANG | os.WUNTRACED)
        if pid and os.WIFSTOPPED(status):
            return
        assert not pid, f"restore ended without reaching {step!r}"
        time.sleep(0.02)
    raise AssertionError(f"restore never reached {step!r}")


def _profile_with_secret_person(home: Path) -> Profile:
    assert run(*INIT).exit_code == 0
    profile = Profile("default")
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    person = make_person(name="林秀英")
    store.save(person)
    store.save(Visit(person_id=person.id, visit_date=TODAY - dt.timedelta(days=3), visitor="王"))
    store.close()
    return profile


def _set_pin(profile: Profile) -> None:
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        keys.set_pin(store, PIN)
    finally:
        store.close()


def _wait_over(profile: Profile) -> None:
    store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        with store.transaction():
            store.set_meta(keys.FAILED_AT_META, "0")
    finally:
        store.close()


def test_key_import_then_restore_without_init_leaves_home_and_profiles_0755(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A recovery on a new laptop (no `init`) made CIVTUI_HOME and profiles/ 0755."""
    assert run(*INIT).exit_code == 0
    usb = tmp_path / "usb"
    assert run("backup", str(usb)).exit_code == 0
    assert run("key", "export", "--plain", str(usb / "key.json")).exit_code == 0
    [copy] = usb.glob("civtui-default-*.db")
    new_home = tmp_path / "new-laptop" / "civtui"
    monkeypatch.setenv("CIVTUI_HOME", str(new_home))
    keyring.set_keyring(MemoryKeyring())
    keys.forget()
    before = os.umask(0o022)
    try:
        assert run("key", "import", str(usb / "key.json")).exit_code == 0
        restored = run("restore", "--yes", str(copy))
        assert restored.exit_code == 0, restored.output
    finally:
        os.umask(before)
    made = [new_home.parent, *new_home.parent.rglob("*")]
    open_to_others = [
        f"{oct(path.stat().st_mode & 0o777)} {path.relative_to(tmp_path)}"
        for path in made
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]
    assert open_to_others == []


def test_key_export_plain_while_locked_writes_the_key_without_the_pin(
    home: Path, tmp_path: Path
) -> None:
    """`key export` asked nothing: a locked laptop's finder could take the raw key."""
    profile = _profile_with_secret_person(home)
    _set_pin(profile)
    out = tmp_path / "k.json"
    nothing = run("key", "export", "--plain", str(out))
    assert nothing.exit_code == 1 and "PIN" in nothing.output and not out.exists()
    wrong = run("key", "export", "--plain", str(out), stdin="0000\n")
    assert wrong.exit_code == 1 and "不对" in wrong.output and not out.exists()
    _wait_over(profile)
    sealing = "U盘上的 钥匙 口令"
    sealed = run("key", "export", str(out), stdin=f"{PIN}\n{sealing}\n{sealing}\n")
    assert sealed.exit_code == 0, sealed.output
    info = keys.read_info(profile.db_path)
    assert info is not None and keys.read_key_file(out, lambda: sealing).id == info.id


@pytest.mark.tui
async def test_a_toast_shown_just_before_the_lock_stays_on_the_lock_screen(home: Path) -> None:
    """Textual redraws the current notifications on every pushed screen, the lock's too."""
    profile = _profile_with_secret_person(home)
    _set_pin(profile)
    app = app_on(profile)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        lock = app.screen
        assert isinstance(lock, LockScreen) and lock.attempt(PIN)
        await pilot.pause()
        app.notify("林秀英 已同步", timeout=60)
        await pilot.pause()
        assert "林秀英" in _toasts(app)
        assert app.guard.lock()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert "林秀英" not in _toasts(app) and not list(app._notifications)
        again = app.screen
        assert isinstance(again, LockScreen) and again.attempt(PIN)
        await pilot.pause()
        assert "林秀英" in _toasts(app)  # held, not lost


@pytest.mark.tui
async def test_held_notice_sent_with_markup_off_is_replayed_with_markup_on(home: Path) -> None:
    """A name like "[b]x[/b]" held while locked came back parsed as markup."""
    profile = _profile_with_secret_person(home)
    _set_pin(profile)
    app = app_on(profile)
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.pause()
        hostile = "[bold red]林[/] [link=http://x]秀英[/link]"
        app.notify(hostile, title="同步", severity="warning", timeout=42, markup=False)
        await pilot.pause()
        lock = app.screen
        assert isinstance(lock, LockScreen) and lock.attempt(PIN)
        await pilot.pause()
        [shown] = list(app._notifications)
        assert (shown.message, shown.markup) == (hostile, False)
        assert (shown.title, shown.severity, shown.timeout) == ("同步", "warning", 42)
        assert hostile in _toasts(app)  # shown as the text it is, brackets and all


def _toasts(app: CivtuiApp) -> str:
    """The text of every toast drawn on the current screen."""
    return " ".join(str(toast.render()) for toast in app.screen.query("Toast"))


def test_restore_beside_a_running_sync_moves_aside_the_file_the_sync_writes_into(
    home: Path, tmp_path: Path
) -> None:
    """sync and backup took no lock, so a restore could move the file from under them."""
    profile = _profile_with_secret_person(home)
    assert run("backup", str(tmp_path / "usb")).exit_code == 0
    [copy] = (tmp_path / "usb").glob("civtui-default-*.db")
    # A sync in another process holds the profile as every command does while it runs.
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_SHARED, str(profile.db_path)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        refused = run("restore", "--yes", str(copy))
        assert refused.exit_code == 1, refused.output
        assert "civtui sync" in refused.output and "restore" in refused.output
        assert not list(profile.folder.glob("civtui.db.before-restore-*"))
    finally:
        holder.communicate("done\n", timeout=30)
    # Refused without keeping the profile: once the sync ends, the restore runs.
    restored = run("restore", "--yes", str(copy))
    assert restored.exit_code == 0, restored.output


def test_a_command_started_during_a_restore_is_refused_naming_it(home: Path) -> None:
    profile = _profile_with_secret_person(home)
    with ownership.exclusive(profile.db_path, "restore"):
        during = run("sync")
        assert during.exit_code == 1 and "restore" in during.output, during.output
        assert f"进程 {os.getpid()}" in during.output
    assert run("status").exit_code == 0


#: Holds the profile's shared lock (as a running sync does) until told on stdin.
_HOLD_SHARED = """
import sys
from pathlib import Path
from civtui.services import ownership
with ownership.sharing(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_old_exports_offers_the_users_own_spreadsheets_in_their_documents_folder(
    home: Path, tmp_path: Path
) -> None:
    """Every old .xlsx in the export folder was offered for deletion, the user's own too."""
    documents = tmp_path / "Documents"
    documents.mkdir()
    long_ago = time.time() - 90 * 86400
    theirs = documents / "探访台账-default-2025-01.xlsx"  # named like ours, still theirs
    ours = documents / "探访台账-default-2025-02.xlsx"
    recent = documents / "探访台账-default-2025-03.xlsx"
    for path in (theirs, ours, recent, documents / "家庭账本.xlsx"):
        path.write_bytes(b"PK")
        if path is not recent:
            os.utime(path, (long_ago, long_ago))
    save_settings(Settings(export_dir=str(documents)))
    remember_export(ours)
    remember_export(recent)
    remember_export(tmp_path / "elsewhere" / "探访台账-default-2025-01.xlsx")
    written = load_settings().exports_written
    assert old_exports(documents, 30, time.time(), written) == [ours]
    forget_exports([ours])
    assert str(ours) not in load_settings().exports_written
    assert str(recent) in load_settings().exports_written
