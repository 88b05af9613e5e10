"""The app as issue #29 found it at 80×24: the language kept, dialogs centred, the timeline
saying risk first, and the open app noticing what another process wrote."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

from click.testing import CliRunner

from civtui.cli import main
from civtui.cli.common import Context
from civtui.services.profile import load_settings
from tests.conftest import TODAY


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
