"""待同步's USB-stick bundle: the page says where the last bundle stands, exports to a
folder and imports the reply, an export without a server key says what to do, writing
nothing, and the keys are in the footer and in F1's help."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from civtui.app import CivtuiApp
from civtui.services import bundles
from db import queries
from screens.help import HelpScreen
from screens.path_dialog import PathModal
from screens.pending import PendingScreen
from sync.sealed import ServerKey
from sync.server import bundle as server_bundle
from sync.server import storage, tokens
from tests.conftest import TODAY
from tests.tui_helpers import app_on, demo_profile

pytestmark = pytest.mark.tui


async def test_the_pending_page_offers_a_bundle_and_refuses_one_without_a_key(
    home: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        standing = str(app.screen.query_one("#bundle-standing", Static).content)
        assert "还没有导出过数据包" in standing
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        field = app.screen.query_one("#bundle-path", Input)
        field.value = str(stick / "no such folder" / "x")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, PathModal)  # refused, still asking
        field.value = str(stick)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(str(n.message) for n in app._notifications)
        assert "civtui login" in said or "公钥" in said
        assert list(stick.iterdir()) == []  # nothing on the stick


@dataclass
class Township:
    """The township's server store, in process: the stick is the only link."""

    engine: Engine
    key: ServerKey

    @classmethod
    def made(cls, folder: Path) -> Township:
        engine = storage.make_engine(f"sqlite:///{folder / 'server.db'}")
        storage.migrate(engine)
        key, _ = server_bundle.make_keys(engine)
        return cls(engine, key)


async def submit_path(pilot: Pilot[None], key: str, path: Path) -> None:
    """Press `key` on 待同步, type `path` into the modal, and wait for the worker."""
    app = pilot.app
    await pilot.press(key)
    await pilot.pause()
    assert isinstance(app.screen, PathModal)
    app.screen.query_one("#bundle-path", Input).value = str(path)
    await pilot.press("enter")
    await app.workers.wait_for_complete()
    await pilot.pause()


def standing(app: CivtuiApp) -> str:
    return str(app.screen.query_one("#bundle-standing", Static).content)


async def test_the_pending_page_exports_to_a_folder_and_imports_the_reply(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    township = Township.made(tmp_path)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        store = app.store
        villages = sorted(queries.village_names(store))
        _, token = tokens.create(township.engine, "王", "assistant", villages)
        monkeypatch.setenv("CIVTUI_TOKEN", token)  # never logged in: an island laptop
        bundles.trust(store, township.key.text())
        pending = store.pending_count()
        assert pending > 100
        app.push_screen(PendingScreen())
        await pilot.pause()
        await submit_path(pilot, "e", stick)
        (made,) = stick.iterdir()
        assert made.name == f"{villages[0]}-{TODAY:%Y%m%d}.civb"
        said = " ".join(str(n.message) for n in app._notifications)
        assert "已导出到" in said and f"{pending} 条修改" in said
        assert str(made) in said  # the file written, by its whole path
        assert "回执尚未导回" in standing(app)
        assert store.pending_count() == pending  # nothing acknowledged before the reply
        imported = server_bundle.import_bundle(township.engine, made.read_bytes())
        assert (imported.accepted, imported.rejected) == (pending, 0)
        reply = stick / "reply.civb"
        reply.write_bytes(imported.reply)
        await submit_path(pilot, "r", reply)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "回执已导入" in said
        assert store.pending_count() == 0
        assert "回执已导回" in standing(app)
        # The same reply again is refused, and says so.
        await submit_path(pilot, "r", reply)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "该回执已导入过" in said
    township.engine.dispose()


@pytest.mark.parametrize(
    ("lang", "page", "export", "reply"),
    [("zh", "待同步", "导出到U盘", "导入回执"), ("en", "Pending", "Export to USB", "Import reply")],
)
async def test_the_bundle_keys_are_in_the_footer_and_in_help(
    home: Path, lang: str, page: str, export: str, reply: str
) -> None:
    app = app_on(demo_profile(home), lang=lang)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        footer = {str(getattr(k, "key", "")): k for k in app.screen.query("FooterKey")}
        assert {"e", "r"} <= set(footer)
        for key in ("e", "r"):
            assert footer[key].region.right <= 80, key  # not cut off at 80 columns
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#keys", DataTable)
        rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        # Pressed on the 待同步 page: its keys come first, under "this page".
        here = app.t("help.this_page", page=page)
        assert [here, "e", export] in rows[:8] and [here, "r", reply] in rows[:8]


async def test_an_unexpected_bundle_error_is_said_and_logged_never_dropped(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker runs with exit_on_error=False: an error no bundle code expected would
    vanish. It is said on the screen, with where its traceback went, and the crash log
    holds it, with an ID number in its message masked."""
    stick = tmp_path / "stick"
    stick.mkdir()

    def broken(*_args: object, **_kwargs: object) -> None:
        raise ValueError("PushRequest changes [/b] =1 330102199001011234")

    monkeypatch.setattr(bundles, "export_to", broken)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        await submit_path(pilot, "e", stick)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "U盘同步意外出错" in said and "ValueError" in said
        log = home / "logs" / "crash.log"
        assert str(log) in said
        assert isinstance(app.screen, PendingScreen)  # the app goes on
    written = log.read_text(encoding="utf-8")
    assert "ValueError" in written and "[/b] =1" in written
    assert "330102199001011234" not in written
    assert list(stick.iterdir()) == []


async def test_an_export_without_a_token_says_how_to_keep_one_offline(
    home: Path, tmp_path: Path
) -> None:
    stick = tmp_path / "stick"
    stick.mkdir()
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        await submit_path(pilot, "e", stick)
        said = " ".join(str(n.message) for n in app._notifications)
        assert "civtui login --server 乡镇服务器地址 --offline" in said
        assert "—" not in said
    assert list(stick.iterdir()) == []


async def test_the_bundle_dialogs_start_on_the_removable_drive(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    media = tmp_path / "media"
    drive = media / "村[/b]=1" / "U盘"
    drive.mkdir(parents=True)
    monkeypatch.setattr(bundles, "MEDIA_ROOTS", (media,))
    monkeypatch.setattr(getpass, "getuser", lambda: "村[/b]=1")
    monkeypatch.setattr(os.path, "ismount", lambda p: Path(p) == drive)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        for key in ("e", "r"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, PathModal)
            assert app.screen.query_one("#bundle-path", Input).value == str(drive)
            await pilot.press("escape")
            await pilot.pause()
            assert isinstance(app.screen, PendingScreen)
