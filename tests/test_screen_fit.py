"""The app as issue #29 found it at 80×24: the language kept, dialogs centred, the timeline
saying risk first, and the open app noticing what another process wrote."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from click.testing import CliRunner
from textual.widgets import Static

from civtui import watch
from civtui.app import CivtuiApp
from civtui.cli import main
from civtui.cli.common import Context
from civtui.domain.models import Person
from civtui.services.keys import open_store
from civtui.services.profile import load_settings
from screens.confirm import ReasonModal
from screens.path_dialog import PathModal
from screens.record import RecordScreen
from tests.conftest import TODAY
from tests.test_snapshots import latest_visit
from tests.tui_helpers import app_on, demo_profile, steady


def cli(*args: str) -> str:
    """What a command printed; `status` without a profile says so and fails, which is
    enough here: the language is settled before any command runs."""
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args]).output


def test_lang_given_once_is_kept_for_the_cli_and_the_app(home: Path) -> None:
    assert "no profile" in cli("--lang", "en", "status")
    assert load_settings().lang == "en"
    # The next command, and the app opened without --lang, are in English.
    assert "no profile" in cli("status")
    with mock.patch("civtui.cli.run_app") as run_app:
        cli()
    (context,), _ = run_app.call_args
    assert isinstance(context, Context)
    assert context.lang == "en"
    assert "no profile" not in cli("--lang", "zh", "status")
    assert load_settings().lang == "zh"


def centred(app: CivtuiApp, size: tuple[int, int]) -> None:
    """The dialog's box sits in the middle of the terminal, the page behind it still seen."""
    box = app.screen.query_one("#confirm-box").region
    width, height = size
    assert abs(box.x - (width - box.right)) <= 1, box
    assert abs(box.y - (height - box.bottom)) <= 1, box
    assert app.screen.styles.background.a < 1


@pytest.mark.tui
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_export_and_delete_dialogs_are_centred(home: Path, size: tuple[int, int]) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=size) as pilot:
        await steady(pilot)
        app.ask_export("visits")
        await steady(pilot)
        assert isinstance(app.screen, PathModal)
        centred(app, size)
        await pilot.press("escape")
        app.push_screen(RecordScreen(*latest_visit(app)))
        await steady(pilot)
        await pilot.press("d")
        await steady(pilot)
        assert isinstance(app.screen, ReasonModal)
        centred(app, size)


def status_line(app: CivtuiApp) -> str:
    return str(app.screen.query_one("#statusbar", Static).render())


@pytest.mark.tui
async def test_the_open_app_shows_what_another_process_wrote(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A `civtui sync` or import in another terminal commits on its own connection; the
    open dashboard's 待同步 count follows within the watch's interval, without a key."""
    monkeypatch.setattr(watch, "WATCH_SECONDS", 0.05)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        before = app.store.pending_count()
        assert f"待同步 {before} 条" in status_line(app)
        other = open_store(app.profile.db_path, app.clock)
        try:
            person = other.all(Person, order_by="id")[0]
            other.save(person.revise(context={"today": TODAY}, notes="[/]另一终端=写入"))
        finally:
            other.close()
        for _ in range(40):
            await pilot.pause(0.05)
            if f"待同步 {before + 1} 条" in status_line(app):
                break
        assert f"待同步 {before + 1} 条" in status_line(app)
