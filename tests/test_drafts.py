"""Nothing typed is lost when the terminal itself goes away (window closed, SSH
dropped: SIGHUP; or SIGTERM). Every open form's unsaved input is kept as a draft in the
profile and offered back at the next start.

The first tests run the real `civtui` under a pseudo-terminal and end it the three ways a
terminal goes away; each step waits for what the screen shows, not for a time.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail as fail_backend
from textual.widgets import Input, TextArea

from civtui.app import CivtuiApp
from civtui.domain.choices import Mood
from civtui.domain.clock import Clock
from civtui.domain.models import Visit
from civtui.services import keys
from civtui.services.keys import open_store
from civtui.services.profile import Profile, create_profile
from db import drafts
from screens.confirm import ConfirmModal
from screens.drafts import DraftModal
from screens.person_form import PersonForm
from screens.visit_form import VisitForm
from tests.conftest import CTX, TODAY
from tests.test_tui_flows import elder, open_person
from tests.tui_helpers import app, app_on, demo_data

__all__ = ["app"]  # the fixture

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "海岛 渡轮 2026"
#: Long enough for a loaded machine to start Python and Textual; a step that gets its
#: answer sooner goes on at once.
WAIT = 90.0


class Terminal:
    """`civtui` running under a pseudo-terminal of 80×24, as in a terminal window."""

    def __init__(self, home: Path) -> None:
        env = {
            **os.environ,
            "CIVTUI_HOME": str(home),
            "CIVTUI_PASSPHRASE": PASSPHRASE,
            "CIVTUI_TODAY": TODAY.isoformat(),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
            "TERM": "xterm-256color",
            "COLUMNS": "80",
            "LINES": "24",
        }
        pid, fd = pty.fork()
        if pid == 0:  # the child: becomes civtui, the pty its controlling terminal
            os.chdir(ROOT)
            os.execve(sys.executable, [sys.executable, "-m", "civtui", "--profile", "demo"], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        self.seen = b""
        self.status: int | None = None

    def wait_for(self, text: str) -> None:
        """Read what civtui draws until `text` has been drawn."""
        wanted = text.encode()
        deadline = time.monotonic() + WAIT
        while wanted not in self.seen:
            assert time.monotonic() < deadline, f"{text!r} never shown"
            self._read(0.2)
        self.seen = b""

    def type(self, keys: str) -> None:
        os.write(self.fd, keys.encode())

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return True
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the child has closed the terminal
            return False
        self.seen += chunk
        return bool(chunk)

    def wait_exit(self, close: bool = False) -> int:
        """Wait for civtui to end, reading what it still draws (a full pty would block it)."""
        deadline = time.monotonic() + WAIT
        while self.status is None:
            assert time.monotonic() < deadline, "civtui did not exit"
            done, status = os.waitpid(self.pid, os.WNOHANG)
            if done:
                self.status = status
                break
            if close or not self._read(0.1):
                time.sleep(0.1)
        if not close:
            os.close(self.fd)
        return self.status

    def kill(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


@pytest.fixture
def passphrase_profile(home: Path, monkeypatch: pytest.MonkeyPatch) -> Profile:
    """A small profile whose key is a passphrase, as on a laptop without a keyring: the
    civtui process started by the test opens it from CIVTUI_PASSPHRASE."""
    keyring.set_keyring(fail_backend.Keyring())  # type: ignore[no-untyped-call]
    monkeypatch.setenv(keys.PASSPHRASE_ENV, PASSPHRASE)
    data = demo_data()
    profile = Profile("demo")
    create_profile(profile, data.all()[:40], data.staff[0].id, Clock.pinned(TODAY))
    return profile


@contextmanager
def civtui(home: Path) -> Iterator[Terminal]:
    term = Terminal(home)
    try:
        yield term
    finally:
        term.kill()


def kept(profile: Profile) -> list[drafts.Draft]:
    store = open_store(profile.db_path, Clock.pinned(TODAY))
    try:
        return drafts.waiting(store)
    finally:
        store.close()


def hang_up(term: Terminal) -> int:
    os.kill(term.pid, signal.SIGHUP)
    return term.wait_exit()


def terminate(term: Terminal) -> int:
    os.kill(term.pid, signal.SIGTERM)
    return term.wait_exit()


def close_window(term: Terminal) -> int:
    # The terminal emulator goes away: its side of the pty closes; the kernel hangs up.
    os.close(term.fd)
    return term.wait_exit(close=True)


@pytest.mark.tui
@pytest.mark.real_kdf  # the civtui process derives the passphrase_profile's key again
@pytest.mark.parametrize("end", [hang_up, terminate, close_window])
def test_typed_input_survives_the_terminal_going_away(
    home: Path, passphrase_profile: Profile, end: Callable[[Terminal], int]
) -> None:
    with civtui(home) as term:
        term.wait_for("新增对象")  # the dashboard's footer
        term.type("n")
        term.wait_for("登记服务对象")
        term.type("王秀英")
        term.wait_for("王秀英")
        end(term)
    [draft] = kept(passphrase_profile)
    assert (draft.form, draft.values) == ("person", {"name": "王秀英"})
    assert draft.args == {"person_id": None, "household_of_id": None}


@pytest.mark.tui
@pytest.mark.real_kdf  # as above
def test_the_next_start_offers_the_draft_back(home: Path, passphrase_profile: Profile) -> None:
    with civtui(home) as term:
        term.wait_for("新增对象")
        term.type("n")
        term.wait_for("登记服务对象")
        term.type("王秀英")
        term.wait_for("王秀英")
        hang_up(term)
    with civtui(home) as term:
        term.wait_for("上次未保存的输入")
        term.type("\r")  # Enter: go on
        term.wait_for("王秀英")
        term.type("\x11")  # Ctrl+Q: the reopened form holds unsaved input, so it asks
        term.wait_for("确定退出吗")
        terminate(term)
    # Asked, not answered, then ended: the input is kept again, once.
    [draft] = kept(passphrase_profile)
    assert draft.values == {"name": "王秀英"}


# -- in the app --------------------------------------------------------------------


async def type_note(app: CivtuiApp, note: str) -> VisitForm:
    form = app.screen
    assert isinstance(form, VisitForm)
    form.query_one("#in-notes", TextArea).text = note
    return form


@pytest.mark.tui
async def test_a_draft_is_offered_and_goes_on_where_it_stopped(app: CivtuiApp) -> None:
    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_person(pilot, old)
        app.push_screen(VisitForm(old))
        await pilot.pause()
        await type_note(app, "屋顶漏雨，已告知村委")
        assert app.keep_drafts() == 1
    again = app_on(app.profile)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        modal = again.screen
        assert isinstance(modal, DraftModal)
        assert f"{old.name} 的探访记录" in modal.what
        await pilot.press("enter")
        await pilot.pause()
        form = again.screen
        assert isinstance(form, VisitForm) and form.person.id == old.id
        assert form.query_one("#in-notes", TextArea).text == "屋顶漏雨，已告知村委"
        await pilot.press("ctrl+s")
        await pilot.pause()
        notes = [v.notes for v in again.store.all(Visit, "person_id = ?", [old.id])]
        assert "屋顶漏雨，已告知村委" in notes
        assert drafts.waiting(again.store) == []


@pytest.mark.tui
async def test_del_discards_the_draft_and_esc_keeps_it_for_later(app: CivtuiApp) -> None:
    old = elder(app)
    store = app.store
    drafts.keep(store, "visit", {"person_id": old.id, "editing_id": None}, {"notes": "一"})
    drafts.keep(store, "person", {"person_id": None, "household_of_id": None}, {"name": "二"})
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, DraftModal)
        assert app.screen.what == "新增服务对象"  # the newest first
        await pilot.press("delete")
        await pilot.pause()
        assert isinstance(app.screen, DraftModal)  # then the next one
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, DraftModal)
        assert [d.values for d in drafts.waiting(app.store)] == [{"notes": "一"}]


@pytest.mark.tui
async def test_a_correction_draft_puts_back_only_what_was_typed(app: CivtuiApp) -> None:
    """A field sync changed meanwhile keeps sync's value: the draft holds the typed fields."""
    old = elder(app)
    visit = Visit.model_validate(
        {"person_id": old.id, "visit_date": TODAY, "visitor": "王"}, context=CTX
    )
    app.store.save(visit)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(VisitForm(old, editing=visit))
        await pilot.pause()
        await type_note(app, "补记：腿脚不便")
        app.keep_drafts()
    [draft] = kept(app.profile)
    assert draft.values == {"notes": "补记：腿脚不便"}
    assert draft.args == {"person_id": old.id, "editing_id": visit.id}
    store = open_store(app.profile.db_path, Clock.pinned(TODAY))
    store.save(visit.model_copy(update={"mood": Mood.LOW}))  # as a pull would have brought
    store.close()
    again = app_on(app.profile)
    async with again.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        form = again.screen
        assert isinstance(form, VisitForm) and form.editing is not None
        assert form.changes() == {"notes": "补记：腿脚不便"}
        await pilot.press("ctrl+s")
        await pilot.pause()
        saved = again.store.get(Visit, visit.id)
    assert saved is not None and saved.notes == "补记：腿脚不便" and saved.mood is Mood.LOW


@pytest.mark.tui
async def test_a_draft_whose_record_is_gone_is_said_and_dropped(app: CivtuiApp) -> None:
    old = elder(app)
    visit = Visit.model_validate(
        {"person_id": old.id, "visit_date": TODAY, "visitor": "王"}, context=CTX
    )
    app.store.save(visit)
    drafts.keep(app.store, "visit", {"person_id": old.id, "editing_id": visit.id}, {"notes": "x"})
    app.store.delete(Visit, visit.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, VisitForm)
        assert drafts.waiting(app.store) == []


@pytest.mark.tui
async def test_nothing_typed_keeps_no_draft_and_a_quit_agreed_to_keeps_none(
    app: CivtuiApp,
) -> None:
    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(VisitForm(old))
        await pilot.pause()
        assert app.keep_drafts() == 0
        await type_note(app, "不要了")
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
    assert kept(app.profile) == []


@pytest.mark.tui
async def test_a_new_person_form_under_another_screen_is_kept_too(app: CivtuiApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PersonForm(None))
        await pilot.pause()
        app.screen.query_one("#in-name", Input).value = "王秀英"
        await pilot.press("ctrl+q")  # the question is up when the terminal goes
        await pilot.pause()
        assert app.keep_drafts() == 1
    [draft] = kept(app.profile)
    assert draft.values == {"name": "王秀英"}


@pytest.mark.tui
async def test_an_app_that_fails_keeps_the_input_first(app: CivtuiApp) -> None:
    """Textual panics when its input ends under it (EIO on a hung-up terminal) or on an error
    nobody caught; the open form's input is kept before the app goes."""
    old = elder(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(VisitForm(old))
        await pilot.pause()
        await type_note(app, "电话没人接，明天再去")
        app.panic("the terminal's input ended")
    [draft] = kept(app.profile)
    assert (draft.form, draft.values) == ("visit", {"notes": "电话没人接，明天再去"})
