"""A laptop with no keyring: the passphrase is chosen in the terminal or on the setup screen,
a wrong one is said as such, and the sync token lives sealed inside the profile."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend
from keyring.backends import fail as fail_backend
from keyring.errors import KeyringError
from textual.pilot import Pilot
from textual.widgets import Input, Static

from civtui.cli import main
from civtui.domain.clock import Clock
from civtui.domain.models import Visit
from civtui.services import keys
from civtui.services.profile import Profile
from screens.dashboard import DashboardScreen
from screens.setup import SetupScreen
from tests.conftest import INIT, TODAY, VILLAGE, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Server, server
from tests.tui_helpers import app_on

__all__ = ["server"]
#: What a laptop without a keyring pays: each passphrase derived at production's scrypt cost.
pytestmark = pytest.mark.real_kdf

#: Hostile on purpose: markup, a terminal escape, Chinese and spaces are all just characters.
PASSPHRASE = "[b]海星 口令\x1b[31m"
SHORT = "口令1234"  # 6 characters, 10 bytes: the length is counted in characters


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No keyring at all on this laptop (keyring's own fail backend answers every call)."""
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    keys.forget()
    yield
    keys.forget()


class BrokenKeyring(KeyringBackend):
    """A keyring that is there but refuses everything (locked, or its daemon gone)."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("locked")

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("locked")


def run(*args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], input=stdin)


@pytest.mark.slow  # scrypt, once per passphrase tried
def test_a_short_passphrase_is_refused_before_it_is_confirmed(home: Path, no_keyring: None) -> None:
    made = run(*INIT, stdin=f"{SHORT}\n{PASSPHRASE}\n{PASSPHRASE}\n")
    assert made.exit_code == 0, made.output
    out = made.output
    # Refused as soon as it was typed: the confirmation is asked once, for the long one.
    assert out.count("口令至少要8个字符") == 1 and out.count("再输入一次") == 1
    assert out.index("口令至少要8个字符") < out.index("再输入一次")
    info = keys.read_info(Profile("default").db_path)
    assert info is not None and info.source == "passphrase"


@pytest.mark.slow  # scrypt, once per passphrase tried
def test_a_mismatched_confirmation_asks_for_the_passphrase_again(
    home: Path, no_keyring: None
) -> None:
    typed = f"{PASSPHRASE}\n{PASSPHRASE}x\n{PASSPHRASE}\n{PASSPHRASE}\n"
    made = run(*INIT, stdin=typed)
    assert made.exit_code == 0, made.output
    assert "两次输入的不一样" in made.output and made.output.count("再输入一次") == 2


def test_only_short_passphrases_end_with_a_message_not_a_loop(home: Path, no_keyring: None) -> None:
    made = run(*INIT, stdin="short\n" * 20)
    assert made.exit_code == 1
    assert "5 次都没有设成口令" in made.output and "再输入一次" not in made.output
    assert not Profile("default").exists()


@pytest.mark.slow  # scrypt, once per passphrase tried
def test_a_wrong_passphrase_at_start_is_said_and_asked_again(
    home: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(*INIT, stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n").exit_code == 0
    opened: list[str] = []

    class App:
        def run(self) -> None:
            opened.append("app")

    monkeypatch.setattr("civtui.app.make_app", lambda *a, **k: App())
    keys.forget()
    wrong = run(stdin="wrong passphrase\n" * 3)
    assert wrong.exit_code == 1 and opened == []
    assert wrong.output.count("口令不对") == 3
    assert "已存在" not in wrong.output and "--force" not in wrong.output
    keys.forget()
    second_try = run(stdin=f"wrong passphrase\n{PASSPHRASE}\n")
    assert second_try.exit_code == 0, second_try.output
    assert second_try.output.count("口令不对") == 1 and opened == ["app"]


async def _fill_setup(pilot: Pilot[None], passphrase: str, again: str) -> None:
    screen = pilot.app.screen
    screen.query_one("#in-village_code", Input).value = VILLAGE
    screen.query_one("#in-village_name", Input).value = "海星村"
    screen.query_one("#in-staff", Input).value = "王晓丽"
    screen.query_one("#in-passphrase", Input).value = passphrase
    screen.query_one("#in-passphrase_again", Input).value = again
    await pilot.press("ctrl+s")
    await pilot.pause()


def _error(screen: object, name: str) -> str:
    assert isinstance(screen, SetupScreen)
    shown = screen.query_one(f"#err-{name}", Static)
    return str(shown.content) if shown.has_class("shown") else ""


@pytest.mark.slow  # scrypt, once per passphrase tried
@pytest.mark.tui
async def test_the_setup_screen_sets_a_passphrase_where_there_is_no_keyring(
    home: Path, no_keyring: None
) -> None:
    profile = Profile("default")
    app = app_on(profile)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SetupScreen) and screen.asks_passphrase
        assert screen.query_one("#in-passphrase", Input).password
        for label in screen.query(".field-label"):  # the passphrase's labels fit 80 columns
            assert label.region.height == 1, str(label.render())
        await _fill_setup(pilot, SHORT, SHORT)
        assert "至少要8个字符" in _error(app.screen, "passphrase")
        await _fill_setup(pilot, PASSPHRASE, PASSPHRASE + " ")
        assert "不一样" in _error(app.screen, "passphrase_again")
        assert not profile.exists() and not keys.info_path(profile.db_path).exists()
        await _fill_setup(pilot, PASSPHRASE, PASSPHRASE)
        assert isinstance(app.screen, DashboardScreen)
    info = keys.read_info(profile.db_path)
    assert info is not None and info.source == "passphrase"
    # The profile opens with that passphrase and no other.
    keys.forget()
    keys.set_prompt(lambda prompt, new: "not the passphrase")
    with pytest.raises(keys.WrongPassphraseError):
        keys.open_store(profile.db_path, Clock.pinned(TODAY))
    keys.set_prompt(lambda prompt, new: PASSPHRASE)
    keys.open_store(profile.db_path, Clock.pinned(TODAY)).close()


@pytest.mark.slow  # scrypt, once per passphrase tried
@pytest.mark.tui
async def test_a_broken_keyring_shows_the_passphrase_fields_after_the_first_try(
    home: Path,
) -> None:
    keyring.set_keyring(BrokenKeyring())
    keys.forget()
    profile = Profile("default")
    app = app_on(profile)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SetupScreen) and not screen.asks_passphrase
        await _fill_setup(pilot, "", "")
        assert isinstance(app.screen, SetupScreen) and app.screen.asks_passphrase
        said = [str(n.message) for n in app._notifications]
        assert any("档案口令" in message and "Ctrl+S" in message for message in said), said
        assert not profile.exists()
        await _fill_setup(pilot, PASSPHRASE, PASSPHRASE)
        assert isinstance(app.screen, DashboardScreen)
    info = keys.read_info(profile.db_path)
    assert info is not None and info.source == "passphrase"


def _open_to_others(home: Path) -> list[str]:
    return [
        f"{oct(path.stat().st_mode & 0o777)} {path.relative_to(home)}"
        for path in [home, *home.rglob("*")]
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
    ]


@SCREEN_ON_SQLITE
@pytest.mark.slow
@pytest.mark.tui
async def test_no_keyring_login_sync_and_app_sync_keep_the_token_sealed(
    server: Server, home: Path, no_keyring: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = os.umask(0o022)  # the usual umask: what is private was made so on purpose
    try:
        assert run(*INIT, stdin=f"{PASSPHRASE}\n{PASSPHRASE}\n").exit_code == 0
        profile = Profile("default")
        store = keys.open_store(profile.db_path, Clock.pinned(TODAY))
        elder = make_person()
        first = Visit(person_id=elder.id, visit_date=TODAY, visitor="王晓丽")
        store.save(elder)
        store.save(first)
        store.close()
        token = server.token("王晓丽", [VILLAGE])
        # Each step is its own run, as in a terminal: the passphrase is asked every time.
        keys.forget()
        login = run(
            "login", "--server", server.base, "--token-stdin", stdin=f"{token}\n{PASSPHRASE}\n"
        )
        assert login.exit_code == 0, login.output
        assert "已登录" in login.output
        keys.forget()
        synced = run("sync", stdin=f"{PASSPHRASE}\n")
        assert synced.exit_code == 0, synced.output
        assert ("visits", first.id) in server.records()
        # The app, as run_app opens it: the passphrase asked in the terminal, then no prompt.
        keys.forget()
        keys.set_prompt(lambda prompt, new: PASSPHRASE)
        keys.unlock(profile.db_path)
        keys.set_prompt(None)
        app = app_on(profile)
        async with app.run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            await app.workers.wait_for_complete()  # the look for the server at start-up
            later = Visit(person_id=elder.id, visit_date=TODAY, visitor="王晓丽", notes="复访")
            app.store.save(later)
            assert app.store.pending_count() == 1
            await pilot.press("s")
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()
            said = [str(n.message) for n in app._notifications]
            assert app.store.pending_count() == 0, said
            assert not any("尚未登录" in message for message in said), said
    finally:
        os.umask(before)
    assert ("visits", later.id) in server.records()
    sealed = token.encode()
    plain = [path for path in home.rglob("*") if path.is_file() and sealed in path.read_bytes()]
    assert plain == []
    assert _open_to_others(home) == []
