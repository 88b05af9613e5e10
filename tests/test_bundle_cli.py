"""`civtui bundle export|import|trust` and `civtui server bundle keygen|key|import` as a
person runs them: the island's whole round trip through the commands, with no server
process and no link (the key goes by file, the token from CIVTUI_TOKEN), and every refusal
said in Chinese (English with `--lang en`), with a non-zero exit and nothing written.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civtui.cli import main
from civtui.domain.clock import Clock
from civtui.domain.models import Person
from civtui.services.keys import open_store
from tests.conftest import INIT, TODAY, VILLAGE, MemoryKeyring, make_person

#: Names a stick, a terminal or a spreadsheet could take for something else: Rich markup
#: that would close a tag, and a formula.
HOSTILE = ("[/]", "=1+2")
DAY = f"{TODAY:%Y%m%d}"


def run(*args: str, lang: str | None = None, stdin: str | None = None) -> Result:
    head = ["--today", TODAY.isoformat(), *(["--lang", lang] if lang else [])]
    return CliRunner().invoke(main, [*head, *args], input=stdin)


@dataclass
class Township:
    """The township's server database, driven only by `civtui server ...`."""

    folder: Path

    @property
    def database(self) -> list[str]:
        return ["--database", f"sqlite:///{self.folder / 'server.db'}"]

    def __call__(self, *args: str, lang: str | None = None) -> Result:
        return run("server", *args, *self.database, lang=lang)

    def token(self, staff: str) -> str:
        made = self(
            "token", "create", "--staff", staff, "--role", "assistant", "--village", VILLAGE
        )
        assert made.exit_code == 0, made.output
        return made.stdout.strip().splitlines()[-1]

    def state(self) -> dict[str, list[tuple[object, ...]]]:
        """Every row of every table: what a refused import could have changed."""
        with closing(sqlite3.connect(self.folder / "server.db")) as db:
            tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            return {t: sorted(db.execute(f"SELECT * FROM [{t}]"), key=repr) for t in tables}

    def names(self) -> list[str]:
        with closing(sqlite3.connect(self.folder / "server.db")) as db:
            found = db.execute("SELECT data FROM records WHERE table_name = 'persons'")
            return sorted(json.loads(data)["name"] for (data,) in found)


@dataclass
class Laptop:
    """A village laptop's profile, driven by `civtui --profile NAME ...` with its own token."""

    name: str
    token: str
    monkeypatch: pytest.MonkeyPatch

    def __call__(self, *args: str, lang: str | None = None) -> Result:
        self.monkeypatch.setenv("CIVTUI_TOKEN", self.token)
        return run("--profile", self.name, *args, lang=lang)

    def status(self) -> dict[str, object]:
        said = self("status", "--json")
        assert said.exit_code == 0, said.output
        report: dict[str, object] = json.loads(said.stdout)
        return report

    def pending(self) -> int:
        return int(str(self.status()["pending_changes"]))

    def add_person(self, name: str, seq: int) -> str:
        """A person written as the app writes one (the CLI has no command for it)."""
        store = open_store(Path(str(self.status()["path"])), Clock.pinned(TODAY))
        try:
            person = make_person(name=name, seq=seq)
            store.save(person)
            return str(person.id)
        finally:
            store.close()

    def names(self) -> dict[str, str]:
        store = open_store(Path(str(self.status()["path"])), Clock.pinned(TODAY))
        try:
            return {str(p.id): p.name for p in store.all(Person)}
        finally:
            store.close()

    def state(self) -> tuple[object, ...]:
        """Everything a refused import could have changed on this laptop."""
        store = open_store(Path(str(self.status()["path"])), Clock.pinned(TODAY))
        try:
            changes = [(c.seq, c.status) for c in store.changes(status=None)]
            meta = sorted(store.db.execute("SELECT * FROM meta").fetchall())
            return (sorted(self.names().items()), changes, meta)
        finally:
            store.close()


@pytest.fixture
def township(tmp_path: Path, home: Path) -> Township:
    office = Township(tmp_path / "township")
    office.folder.mkdir()
    made = office("init")
    assert made.exit_code == 0, made.output
    assert "指纹" in made.output  # init makes the bundle key pair
    return office


def set_up(
    township: Township, monkeypatch: pytest.MonkeyPatch, name: str, key_file: Path
) -> Laptop:
    """A laptop set up in the village as islands are: `init`, then the key by file."""
    lap = Laptop(name, township.token(f"员工{name}"), monkeypatch)
    made = lap(*INIT)
    assert made.exit_code == 0, made.output
    trusted = lap("bundle", "trust", str(key_file))
    assert trusted.exit_code == 0, trusted.output
    return lap


@pytest.fixture
def stick(tmp_path: Path) -> Path:
    path = tmp_path / "stick"
    path.mkdir()
    return path


@pytest.fixture
def key_file(township: Township, stick: Path) -> Path:
    path = stick / "civtui-server.key"
    written = township("bundle", "key", "-o", str(path))
    assert written.exit_code == 0, written.output
    assert path.read_text(encoding="utf-8").startswith("civkey1_")
    return path


def carry(township: Township, lap: Laptop, stick: Path) -> tuple[Path, Path]:
    """One trip: the laptop exports to the stick, the township imports and writes the
    reply beside it; returns the bundle and the reply."""
    before = set(stick.iterdir())
    exported = lap("bundle", "export", str(stick))
    assert exported.exit_code == 0, exported.output
    # Named by village and day, and never over an earlier bundle still on the stick.
    (bundle,) = set(stick.iterdir()) - before
    assert bundle.name.startswith(f"{VILLAGE}-{DAY}") and bundle.suffix == ".civb"
    assert bundle.name in exported.output
    reply = bundle.with_name(bundle.stem + "-reply.civb")
    imported = township("bundle", "import", str(bundle), "-o", str(reply))
    assert imported.exit_code == 0, imported.output
    assert reply.is_file()
    return bundle, reply


def test_an_island_round_trip_through_the_commands(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    b = set_up(township, monkeypatch, "b", key_file)
    marked = a.add_person(HOSTILE[0], seq=101)
    formula = b.add_person(HOSTILE[1], seq=103)
    # The other laptop's record reaches the server first, by its own stick.
    carry(township, b, stick)
    assert a.pending() > 0
    bundle, reply = carry(township, a, stick)
    imported = a("bundle", "import", str(reply))
    assert imported.exit_code == 0, imported.output
    assert "回执已导入" in imported.output
    assert a.pending() == 0
    assert a.names()[formula] == HOSTILE[1]  # from the other laptop, byte for byte
    # And back to the other laptop: a bundle with its pending acknowledged and a's person.
    _, back = carry(township, b, stick)
    assert b("bundle", "import", str(back)).exit_code == 0
    assert b.pending() == 0 and b.names()[marked] == HOSTILE[0]
    assert township.names() == sorted(HOSTILE)
    # File names say the village and the day (and which of the day's), nothing about anyone.
    day_file = re.compile(rf"{VILLAGE}-{DAY}(-\d+)?(-reply)?\.civb")
    assert {bundle.name, reply.name} <= {p.name for p in stick.iterdir()}
    for path in stick.iterdir():
        assert path.name == key_file.name or day_file.fullmatch(path.name), path.name
        for name in HOSTILE:
            assert name not in path.name
            assert name.encode() not in path.read_bytes()


def test_an_export_to_a_folder_names_the_file_by_village_and_date(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.add_person("欧阳秀英", seq=105)
    exported = a("bundle", "export", str(stick))
    assert exported.exit_code == 0, exported.output
    (made,) = [p for p in stick.iterdir() if p != key_file]
    assert made.name == f"{VILLAGE}-{DAY}.civb"
    assert "欧阳秀英" not in exported.output
    assert a.pending() > 0  # nothing is acknowledged until the reply comes back


def test_progress_is_shown_on_a_terminal(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.add_person("张三", seq=107)
    monkeypatch.setenv("FORCE_COLOR", "1")  # Rich draws its bar only on a terminal
    pending = a.pending()
    exported = a("bundle", "export", str(stick))
    assert exported.exit_code == 0, exported.output
    assert "导出" in exported.stderr and f"{pending}/{pending}" in exported.stderr
    bundle = stick / f"{VILLAGE}-{DAY}.civb"
    imported = township("bundle", "import", str(bundle))
    assert imported.exit_code == 0, imported.output
    assert "生成回执" in imported.stderr
    english = a("bundle", "export", str(stick), lang="en")
    assert "Exporting" in english.stderr


def refused(result: Result, *words: str) -> None:
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    for word in words:
        assert word in result.output, result.output


def test_a_tampered_bundle_is_refused_by_the_server_with_nothing_written(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.add_person(HOSTILE[0], seq=101)
    assert a("bundle", "export", str(stick)).exit_code == 0
    bundle = stick / f"{VILLAGE}-{DAY}.civb"
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.write_bytes(bytes(data))
    before = township.state()
    refused(township("bundle", "import", str(bundle)), "无法打开该文件", "请重新导出")
    refused(township("bundle", "import", str(bundle), lang="en"), "cannot be opened", "again")
    assert list(stick.glob("*reply*")) == []
    assert township.state() == before


def test_a_tampered_reply_is_refused_by_the_laptop_with_nothing_written(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.add_person("张三", seq=101)
    _, reply = carry(township, a, stick)
    data = bytearray(reply.read_bytes())
    data[-1] ^= 0x01
    reply.write_bytes(bytes(data))
    before = a.state()
    refused(a("bundle", "import", str(reply)), "无法打开该文件", "请重新导出")
    refused(a("bundle", "import", str(reply), lang="en"), "cannot be opened", "again")
    assert a.state() == before


def test_a_reply_for_another_laptop_is_refused_with_nothing_written(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    b = set_up(township, monkeypatch, "b", key_file)
    b.add_person("李四", seq=101)
    _, theirs = carry(township, b, stick)
    before = a.state()
    # Sealed to b's key: a cannot even open it, and says which laptops it may be for.
    refused(a("bundle", "import", str(theirs)), "另一台服务器/电脑")
    refused(a("bundle", "import", str(theirs), lang="en"), "another server or laptop")
    assert a.state() == before


def test_a_replayed_reply_is_refused_with_nothing_written(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.add_person("张三", seq=101)
    _, reply = carry(township, a, stick)
    assert a("bundle", "import", str(reply)).exit_code == 0
    before = a.state()
    refused(a("bundle", "import", str(reply)), "该回执已导入过")
    refused(a("bundle", "import", str(reply), lang="en"), "imported already")
    assert a.state() == before


def test_server_keygen_refuses_to_replace_a_key_without_force(township: Township) -> None:
    before = township.state()
    refused(township("bundle", "keygen"), "服务器已有密钥", "--force")
    refused(township("bundle", "keygen", lang="en"), "has a key already", "--force")
    assert township.state() == before
    # --lang is kept: the English answer above leaves English on until Chinese is asked for.
    made = township("bundle", "keygen", "--force", lang="zh")
    assert made.exit_code == 0 and "指纹" in made.output
    assert township.state() != before


def test_a_changed_server_key_is_not_trusted_without_force(
    township: Township,
    key_file: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    assert township("bundle", "keygen", "--force").exit_code == 0
    new_key = key_file.with_name("new.key")
    assert township("bundle", "key", "-o", str(new_key)).exit_code == 0
    before = a.state()
    refused(a("bundle", "trust", str(new_key)), "另一把服务器公钥", "--force")
    refused(a("bundle", "trust", str(new_key), lang="en"), "--force")
    assert a.state() == before
    assert a("bundle", "trust", str(new_key), "--force").exit_code == 0


def test_export_without_a_server_address_takes_the_environment_token(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A laptop that never went online has no server address; its key came by file and
    its token from CIVTUI_TOKEN, and that is all a bundle needs. Without a token it says
    so, and leaves nothing on the stick."""
    a = set_up(township, monkeypatch, "a", key_file)
    monkeypatch.delenv("CIVTUI_SERVER", raising=False)
    assert a("bundle", "export", str(stick)).exit_code == 0
    a.token = ""
    (stick / f"{VILLAGE}-{DAY}.civb").unlink()
    refused(a("bundle", "export", str(stick)), "CIVTUI_TOKEN")
    assert sorted(p.name for p in stick.iterdir()) == [key_file.name]


def test_an_island_laptop_keeps_its_token_offline_and_bundles_with_it(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A laptop that never reaches the server: `login --offline` keeps the token in the
    keyring as an online login does, asking no server (any request fails the test), and
    every bundle command then works with no CIVTUI_TOKEN. A token of the wrong form is
    refused at once, and keeps nothing."""
    import sync.client

    def no_link(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("login --offline asked the server")

    monkeypatch.setattr(sync.client.Connection, "__init__", no_link)
    staff = "王[/b]=1"
    token = township.token(staff)
    lap = Laptop("island", "", monkeypatch)
    assert lap(*INIT).exit_code == 0
    server = "https://mz.example.gov.cn"
    bad = lap("login", "--server", server, "--token-stdin", "--offline", lang=None)
    assert bad.exit_code != 0  # no token on stdin
    before = dict(vault.items)
    malformed = run(
        "--profile", "island", "login", "--server", server, "--token-stdin", "--offline",
        stdin="not-a-token\n",
    )  # fmt: skip
    refused(malformed)
    assert vault.items == before
    kept = run(
        "--profile", "island", "login", "--server", server + "/", "--token-stdin", "--offline",
        stdin=token + "\n",
    )  # fmt: skip
    assert kept.exit_code == 0, kept.output
    assert "令牌已保存在本机" in kept.output and server in kept.output
    assert "civtui bundle trust" in kept.output  # no key yet: says how to get one
    assert vault.items[("civtui", f"island@{server}")] == token
    assert lap("bundle", "trust", str(key_file)).exit_code == 0
    lap.add_person("欧阳[/]=2", seq=109)
    _, reply = carry(township, lap, stick)
    imported = lap("bundle", "import", str(reply))
    assert imported.exit_code == 0, imported.output
    assert lap.pending() == 0 and "欧阳[/]=2" in township.names()


def test_an_export_without_a_token_says_how_to_keep_one_offline(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = set_up(township, monkeypatch, "a", key_file)
    a.token = ""
    for lang, words in (("zh", "乡镇服务器地址"), ("en", "TOWNSHIP-SERVER-URL")):
        said = a("bundle", "export", str(stick), lang=lang)
        refused(said, f"civtui login --server {words} --offline", "CIVTUI_TOKEN")
        assert "—" not in said.output
    assert sorted(p.name for p in stick.iterdir()) == [key_file.name]


def test_a_second_bundle_of_the_day_is_written_beside_the_first(
    township: Township,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two laptops of a village (or one, twice) exporting to one stick the same day: the
    second file does not replace the first, and the output names the file written."""
    a = set_up(township, monkeypatch, "a", key_file)
    b = set_up(township, monkeypatch, "b", key_file)
    a.add_person("赵[/b]=1", seq=111)
    first = a("bundle", "export", str(stick))
    second = b("bundle", "export", str(stick))
    third = a("bundle", "export", str(stick))
    names = [f"{VILLAGE}-{DAY}.civb", f"{VILLAGE}-{DAY}-2.civb", f"{VILLAGE}-{DAY}-3.civb"]
    for said, name in zip((first, second, third), names, strict=True):
        assert said.exit_code == 0, said.output
        assert name in said.output
    assert sorted(p.name for p in stick.iterdir()) == sorted([key_file.name, *names])
    # Each is its own laptop's, whole: the township reads both laptops' first bundles.
    for name, staff in ((names[0], "员工a"), (names[1], "员工b")):
        imported = township("bundle", "import", str(stick / name))
        assert imported.exit_code == 0 and staff in imported.output, imported.output


def test_the_bundle_dialog_starts_on_a_mounted_removable_drive(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from civtui.services import bundles

    media = tmp_path / "media"
    user = "村[/b]=1"
    (media / user / "A-not-mounted").mkdir(parents=True)
    (media / user / "U盘").mkdir()
    monkeypatch.setattr(bundles, "MEDIA_ROOTS", (tmp_path / "run-media", media))
    monkeypatch.setattr(getpass, "getuser", lambda: user)
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p).name == "U盘")
    assert bundles.default_folder() == media / user / "U盘"
    monkeypatch.setattr(os.path, "ismount", lambda p: False)
    documents = tmp_path / "documents"  # XDG_DOCUMENTS_DIR (the `home` fixture)
    documents.mkdir()
    assert bundles.default_folder() == documents
