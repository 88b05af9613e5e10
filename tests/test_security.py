"""A lost laptop leaks nothing; a broken disk costs at most what was typed since the backup.

Profiles here are encrypted with keys in the test's in-memory keyring (conftest.vault);
tests/test_keyring.py does the same through a real Secret Service.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backends import fail as fail_backend

from civtui.cli import main
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Village, Visit
from civtui.services import backups, keys
from civtui.services.keys import open_store
from civtui.services.profile import Profile, Settings, load_settings
from db import connection
from db import open_store as open_with_key
from db.migrations import migrations
from tests.conftest import (
    CTX,
    INIT,
    TODAY,
    VILLAGE,
    MemoryKeyring,
    make_person,
    synthetic_id,
)
from tests.sync_harness import Server, device, rows, server

__all__ = ["server"]

#: A made-up resident whose ID number and name must appear in no file on disk.
SECRET_ID = synthetic_id(__import__("datetime").date(1941, 3, 9), 317)
SECRET_NAME = "林秀英"


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], input=stdin)


def leaks(path: Path) -> list[str]:
    """What of the secret resident is readable in `path`'s bytes."""
    data = path.read_bytes()
    found = []
    for label, secret in (("id", SECRET_ID), ("name", SECRET_NAME)):
        # The digits as text, and the birth date and sequence on their own.
        for piece in {secret, secret[6:14], secret[-6:]} if label == "id" else {secret}:
            if piece.encode() in data:
                found.append(f"{label}:{piece}")
    return found


def plain_sqlite_refuses(path: Path) -> str:
    """The error plain sqlite3 (no SQLCipher) gives on `path`."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    finally:
        conn.close()
    return "opened"


def add_secret_person() -> Person:
    person = make_person(id_number=SECRET_ID, name=SECRET_NAME)
    store = open_store(Profile("default").db_path, Clock.pinned(TODAY))
    try:
        store.save(person)
    finally:
        store.close()
    return person


def test_profile_wal_backup_and_safety_copy_are_unreadable_without_the_key(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(*INIT).exit_code == 0
    profile = Profile("default")
    person = add_secret_person()
    # A migration's safety copy: a release that adds a column finds this profile.
    extra = migrations._Migration(
        "m999_island", lambda db: db.execute("ALTER TABLE villages ADD COLUMN island TEXT")
    )
    monkeypatch.setattr(migrations, "_migrations", [*migrations._migrations, extra])
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    [safety] = profile.folder.glob("civtui.db.before-m999_island-*.bak")
    # While the store is open its last writes sit in the WAL.
    store.save(person.revise(context=CTX, address="海星村3组"))
    wal = profile.db_path.with_name("civtui.db-wal")
    assert wal.stat().st_size > 0
    usb = tmp_path / "usb"
    taken = run("backup", str(usb))
    assert taken.exit_code == 0, taken.output
    [backup] = usb.glob("civtui-default-*.db")
    # What someone who takes the disk out gets: the files as they are, the app still open.
    # Each in a folder of its own: plain SQLite opening a database also reads its -wal.
    files = []
    for n, path in enumerate([profile.db_path, wal, safety, backup]):
        (tmp_path / f"disk{n}").mkdir()
        files.append(tmp_path / f"disk{n}" / path.name)
        files[-1].write_bytes(path.read_bytes())
    for path in files:
        assert plain_sqlite_refuses(path) == "file is not a database", path
        assert leaks(path) == [], path
    # The check can fail: a plain copy made with the same key-less tools shows the data.
    plain = tmp_path / "plain.db"
    connection.backup(open_with_key(tmp_path / "plain-src.db").db, plain, None)
    plain_store = open_with_key(plain)
    plain_store.save(Village(id=VILLAGE, name="海星村"))
    plain_store.save(person)
    plain_store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert plain_sqlite_refuses(plain) == "opened" and leaks(plain) != []
    plain_store.close()
    # Nothing secret beside them either: key.json names the key, it does not hold it.
    key = store.key
    assert key is not None
    for path in [*profile.folder.iterdir(), *usb.iterdir()]:
        assert key.hex().encode() not in path.read_bytes(), path
    store.close()


WRITER = """
import sys
from pathlib import Path
from civtui.domain.clock import Clock
from civtui.domain.models import Visit
from db import open_store
from tests.conftest import CTX, TODAY

# The key comes from the test: this process does not share its keyring.
store = open_store(Path(sys.argv[1]), Clock.pinned(TODAY), bytes.fromhex(sys.argv[2]))
for i in range(int(sys.argv[4])):
    visit = {"person_id": sys.argv[3], "visit_date": TODAY, "visitor": "王", "notes": f"第{i}次"}
    store.save(Visit.model_validate(visit, context=CTX))
    if i == 20:
        print("writing", flush=True)
store.close()
"""


def test_backup_taken_while_another_process_writes_restores_and_syncs(
    server: Server, home: Path, tmp_path: Path
) -> None:
    a = device(server, "default")
    person = make_person()
    a.store.save(person)
    a.sync()
    key = a.store.key
    assert key is not None
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(a.store.path), key.hex(), person.id, "400"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stderr is not None
    assert writer.stdout.readline().strip() == "writing", writer.stderr.read()
    taken = run("backup", str(tmp_path / "usb"))
    assert writer.poll() is None, "the writer finished before the backup: nothing was shown"
    assert writer.wait(60) == 0, writer.stderr.read()
    assert taken.exit_code == 0, taken.output
    [copy] = (tmp_path / "usb").glob("civtui-default-*.db")
    checked = backups.check(Profile("default"), copy)  # PRAGMA integrity_check says ok
    assert checked.path == copy
    conn = connection.raw_connect(copy, key)
    in_backup = conn.execute("SELECT count(*) FROM visits").fetchone()[0]
    conn.close()
    assert 20 < in_backup < 400  # taken mid-way, and whole
    a.sync()  # everything the writer saved reached the server before the disk died
    a.store.close()
    refused = run("restore", str(copy), stdin="n\n")
    assert refused.exit_code == 0 and "没有恢复" in refused.output
    restored = run("restore", str(copy), stdin="y\n")
    assert restored.exit_code == 0, restored.output
    assert "新设备" in restored.output
    a.store = open_store(a.store.path, Clock.pinned(TODAY))
    assert a.store.count(Visit) == in_backup
    report = a.sync()
    assert report.new_device_id is not None  # the restored-copy path
    on_server = {rid for (table, rid) in server.records() if table == "visits"}
    assert len(on_server) == 400
    assert set(rows(a.store, "visits")) == on_server
    assert rows(a.store, "persons").keys() == {
        rid for (table, rid) in server.records() if table == "persons"
    }


def test_restore_refuses_a_damaged_or_foreign_file(home: Path, tmp_path: Path) -> None:
    assert run(*INIT).exit_code == 0
    assert run("backup", str(tmp_path / "usb")).exit_code == 0
    [copy] = (tmp_path / "usb").glob("*.db")
    damaged = tmp_path / "damaged.db"
    data = bytearray(copy.read_bytes())
    data[5000:5100] = bytes(100)
    damaged.write_bytes(bytes(data))
    result = run("restore", str(damaged), "--yes")
    assert result.exit_code == 1 and "不是可用的备份" in result.output
    # Another profile's backup: another key.
    assert run("--profile", "other", *INIT).exit_code == 0
    assert run("--profile", "other", "backup", str(tmp_path / "other")).exit_code == 0
    [foreign] = (tmp_path / "other").glob("*.db")
    result = run("--profile", "default", "restore", str(foreign), "--yes")
    assert result.exit_code == 1 and "不是可用的备份" in result.output


def test_automatic_backups_roll_and_are_due_by_the_setting(home: Path, tmp_path: Path) -> None:
    assert run(*INIT).exit_code == 0
    folder = tmp_path / "usb"
    settings = Settings(backup_dir=str(folder), backup_every_hours=24, backups_kept=2)
    taken = []
    for day in range(1, 6):
        clock = Clock.pinned(TODAY.replace(day=day))
        store = open_store(Profile("default").db_path, clock)
        try:
            taken.append(backups.automatic(store, "default", settings, clock))
            # Not due again the same day.
            assert backups.automatic(store, "default", settings, clock) is None
            assert not backups.overdue(store, settings, clock.now())
        finally:
            store.close()
    assert all(taken)
    kept = backups.backups_in(folder, "default")
    assert kept == [p for p in taken[-2:] if p]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [p.name for p in kept] + [p.name + ".key.json" for p in kept]
    )
    # Set from the command line: the folder a person picks, how often, how many.
    chosen = run("backup", str(tmp_path / "stick"), "--auto", "--every", "12", "--keep", "3")
    assert chosen.exit_code == 0, chosen.output
    saved = load_settings()
    assert (saved.backup_dir, saved.backup_every_hours, saved.backups_kept) == (
        str((tmp_path / "stick").resolve()),
        12,
        3,
    )
    assert len(backups.backups_in(tmp_path / "stick", "default")) == 1
    none = Settings(backup_dir=None)
    store = open_store(Profile("default").db_path, Clock.pinned(TODAY))
    assert backups.automatic(store, "default", none, Clock.pinned(TODAY)) is None
    store.close()


def test_key_export_and_import_on_a_new_laptop(home: Path, tmp_path: Path) -> None:
    made = run(*INIT)
    assert made.exit_code == 0
    assert "丢失密钥就等于丢失档案" in made.output and "civtui key export" in made.output
    add_secret_person()
    stick = tmp_path / "usb" / "civtui-key.json"
    sealing = "U盘上的 钥匙 口令"
    exported = run("key", "export", str(stick), stdin=f"{sealing}\n{sealing}\n")
    assert exported.exit_code == 0, exported.output
    assert "分开" in exported.output
    assert stick.stat().st_mode & 0o777 == 0o600
    # Sealed: the key's bytes are not in the file, in hex or raw.
    key = keys.key_for(Profile("default").db_path)
    assert key is not None and key.hex() not in stick.read_text() and key not in stick.read_bytes()
    # The laptop's keyring is gone (a new laptop, the profile copied over).
    keyring.set_keyring(MemoryKeyring())
    keys.forget()
    lost = run("status")
    assert lost.exit_code == 1 and "civtui key import" in lost.output, lost.output
    wrong = run("key", "import", str(stick), stdin="not the sealing passphrase\n")
    assert wrong.exit_code == 1 and "口令不对" in wrong.output, wrong.output
    assert run("key", "import", str(stick), stdin=f"{sealing}\n").exit_code == 0
    keys.forget()
    status = run("status", "--json")
    assert status.exit_code == 0, status.output
    store = open_store(Profile("default").db_path, Clock.pinned(TODAY))
    assert any(p.id_number == SECRET_ID for p in store.all(Person))
    store.close()
    # Another profile's key does not replace this one's unless asked.
    assert run("--profile", "other", *INIT).exit_code == 0
    other = tmp_path / "other-key.json"
    assert run("--profile", "other", "key", "export", "--plain", str(other)).exit_code == 0
    refused = run("--profile", "default", "key", "import", str(other))
    assert refused.exit_code == 1 and "--force" in refused.output
    assert run("--profile", "default", "status").exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text('{"civtui_key": 1, "id": "x", "key": "00", "profile": "p"}')
    assert "不是 civtui 密钥文件" in run("key", "import", str(bad)).output


def test_key_import_force_with_the_wrong_file_keeps_a_passphrase_profile_openable(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    passphrase = "海星村 东边 老槐树"
    assert run(*INIT, stdin=f"{passphrase}\n{passphrase}\n").exit_code == 0
    add_secret_person_with(passphrase, monkeypatch)
    info_before = keys.info_path(Profile("default").db_path).read_text()
    keys.forget()
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "另一个档案的 口令 1234")
    assert run("--profile", "other", *INIT).exit_code == 0
    other = tmp_path / "other-key.json"
    assert run("--profile", "other", "key", "export", "--plain", str(other)).exit_code == 0
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    keys.forget()
    # --force alone does not take a key that cannot open the file: it must be asked twice.
    once = run(
        "--profile", "default", "key", "import", "--force", str(other), stdin=f"{passphrase}\n"
    )
    assert once.exit_code == 1 and "--even-if-wrong" in once.output, once.output
    assert keys.info_path(Profile("default").db_path).read_text() == info_before
    keys.forget()
    twice = run(
        "--profile",
        "default",
        "key",
        "import",
        "--force",
        "--even-if-wrong",
        str(other),
        stdin=f"{passphrase}\n",
    )
    assert twice.exit_code == 0, twice.output
    kept = list(Profile("default").folder.glob("key.json.before-import-*"))
    assert [k.read_text() for k in kept] == [info_before]
    assert kept[0].stat().st_mode & 0o777 == 0o600
    # Putting the kept key.json back opens the profile with the right passphrase again.
    kept[0].replace(keys.info_path(Profile("default").db_path))
    keys.forget()
    assert run("--profile", "default", "status", stdin=f"{passphrase}\n").exit_code == 0


def add_secret_person_with(passphrase: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(keys.PASSPHRASE_ENV, passphrase)
    add_secret_person()
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)


@pytest.mark.slow  # production's scrypt: ~2 s of CPU
@pytest.mark.real_kdf
def test_without_a_keyring_the_key_comes_from_a_passphrase(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    passphrase = "海星村 东边 老槐树"
    # Asked at init (twice), then at every start; never stored.
    made = run(*INIT, stdin=f"{passphrase}\n{passphrase}\n")
    assert made.exit_code == 0, made.output
    assert "口令" in made.output
    profile = Profile("default")
    info = keys.read_info(profile.db_path)
    assert info is not None and info.source == "passphrase"
    assert (info.n, info.r, info.p) == (2**17, 8, 1)
    for path in profile.folder.iterdir():
        assert passphrase.encode() not in path.read_bytes()
    keys.forget()
    assert run("status", stdin=f"{passphrase}\n").exit_code == 0
    keys.forget()
    wrong = run("status", stdin="not the passphrase\n")
    assert wrong.exit_code == 1 and "口令不对" in wrong.output
    keys.forget()
    monkeypatch.setenv(keys.PASSPHRASE_ENV, passphrase)
    assert run("status", "--json").exit_code == 0
    # The derived key exports like a random one, for the USB stick.
    assert run("key", "export", "--plain", str(home / "k.json")).exit_code == 0


def test_without_a_keyring_or_a_terminal_the_message_says_what_to_do(home: Path) -> None:
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    keys.set_prompt(None)
    with pytest.raises(keys.KeyUnavailableError, match="CIVTUI_PASSPHRASE"):
        open_store(Profile("default").db_path, Clock.pinned(TODAY))


def test_encrypt_converts_a_plain_profile_safely(home: Path) -> None:
    profile = Profile("default")
    # A profile made before encryption: plain, with a plain safety copy beside it.
    plain = open_with_key(profile.db_path, Clock.pinned(TODAY))
    plain.save(Village(id=VILLAGE, name="海星村"))
    person = make_person(id_number=SECRET_ID, name=SECRET_NAME)
    plain.save(person)
    before = {t: list(plain.db.query(f"SELECT * FROM {t}")) for t in ("persons", "changes", "meta")}
    connection.backup(plain.db, profile.db_path.with_name("civtui.db.before-m1-x.bak"), None)
    plain.close()
    assert connection.is_plain(profile.db_path) and leaks(profile.db_path)
    done = run("encrypt")
    assert done.exit_code == 0, done.output
    assert "已加密" in done.output and "civtui key export" in done.output
    assert run("encrypt").output.strip().endswith("已经是加密的")
    # The owner lock's file (empty: the lock is the kernel's) stays; services/ownership.py.
    files = sorted(p for p in profile.folder.iterdir() if p.suffix != ".lock")
    assert [f.name for f in files] == ["civtui.db", "civtui.db.before-m1-x.bak", "key.json"]
    for path in files:
        assert leaks(path) == [], path
        if path.suffix in (".db", ".bak"):
            assert plain_sqlite_refuses(path) == "file is not a database"
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    assert {t: list(store.db.query(f"SELECT * FROM {t}")) for t in before} == before
    assert store.get(Person, person.id) == person
    store.close()


def test_exports_say_the_file_leaves_the_encrypted_store(home: Path, tmp_path: Path) -> None:
    assert run(*INIT).exit_code == 0
    person = add_secret_person()
    store = open_store(Profile("default").db_path, Clock.pinned(TODAY))
    visit = {"person_id": person.id, "visit_date": TODAY, "visitor": "王"}
    store.save(Visit.model_validate(visit, context=CTX))
    store.close()
    out = tmp_path / "visits.csv"
    result = run("export", "visits", "-o", str(out))
    assert result.exit_code == 0 and "不加密" in result.output
    assert SECRET_ID not in out.read_text(encoding="utf-8-sig")
    assert SECRET_ID[:6] + "********" + SECRET_ID[-4:] in out.read_text(encoding="utf-8-sig")
    full = run("export", "visits", "-o", str(out), "--full-ids")
    assert full.exit_code == 0 and "不加密" in full.output
    assert SECRET_ID in out.read_text(encoding="utf-8-sig")


def test_a_backup_restores_on_a_new_laptop_once_its_key_is_imported(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(*INIT).exit_code == 0
    person = add_secret_person()
    usb = tmp_path / "usb"
    assert run("backup", str(usb)).exit_code == 0
    assert run("key", "export", "--plain", str(usb / "key.json")).exit_code == 0
    [copy] = usb.glob("civtui-default-*.db")
    # The old laptop is gone: a new data folder, a new keyring.
    monkeypatch.setenv("CIVTUI_HOME", str(tmp_path / "new-laptop"))
    keyring.set_keyring(MemoryKeyring())
    keys.forget()
    refused = run("restore", str(copy), "--yes")
    assert refused.exit_code == 1 and "civtui key import" in refused.output
    assert run("key", "import", str(usb / "key.json")).exit_code == 0
    restored = run("restore", str(copy), "--yes")
    assert restored.exit_code == 0, restored.output
    # There was nothing here to put aside: said so, not "kept at -".
    assert "没有要保留的旧文件" in restored.output and "保留在 -" not in restored.output
    store = open_store(Profile("default").db_path, Clock.pinned(TODAY))
    assert store.get(Person, person.id) == person
    store.close()


@pytest.mark.parametrize(
    ("n", "r", "p"), [(2**24, 8, 1), (2**17, 8, 10**6), (2**17, 2**20, 1), (3, 8, 1), (0, 0, 0)]
)
def test_sealed_key_file_scrypt_cost_from_the_file_asks_16gb_or_spins(
    home: Path, tmp_path: Path, n: int, r: int, p: int
) -> None:
    """n, r and p were read from the sealed file and handed to scrypt as they were."""
    assert run(*INIT).exit_code == 0
    stick = tmp_path / "key.json"
    sealing = "U盘上的 钥匙 口令"
    assert run("key", "export", str(stick), stdin=f"{sealing}\n{sealing}\n").exit_code == 0
    data = json.loads(stick.read_text())
    data.update(n=n, r=r, p=p)
    stick.write_text(json.dumps(data))

    def never_asked() -> str:
        raise AssertionError("a passphrase was asked for a file that should be refused")

    with pytest.raises(keys.KeyUnavailableError) as refused:
        keys.read_key_file(stick, never_asked)
    message = str(refused.value)
    assert f"n={n}" in message and "civtui key export" in message
    cli = run("key", "import", "--force", str(stick), stdin=f"{sealing}\n")
    assert cli.exit_code == 1 and "scrypt" in cli.output, cli.output


def test_key_json_beside_the_profile_with_a_huge_scrypt_cost_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """key.json is a plain file: whoever can write it chose scrypt's memory at every start."""
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "一个足够长的口令 2026")
    assert run(*INIT).exit_code == 0
    info_file = keys.info_path(Profile("default").db_path)
    data = json.loads(info_file.read_text())
    data["n"] = 2**24
    info_file.write_text(json.dumps(data))
    keys.forget()
    monkeypatch.setenv(keys.PASSPHRASE_ENV, "一个足够长的口令 2026")
    status = run("status")
    assert status.exit_code == 1 and "n=16777216" in status.output, status.output
