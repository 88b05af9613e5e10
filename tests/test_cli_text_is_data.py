"""The CLI prints names, villages and a server's words as text: never markup, never a
terminal instruction (a village name tagged red printed red; `\\x1b[2J` cleared the screen)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from civtui.cli import _crash_report, main
from civtui.cli.sync import _fail
from civtui.domain.models import Person
from civtui.i18n import Translator
from civtui.services import crash, reports
from civtui.services.keys import open_store
from tests.conftest import INIT, TODAY, synthetic_id
from tests.tui_helpers import demo_profile

PINNED = ["--today", TODAY.isoformat()]
VILLAGE_NAME = "[red]海星村[/]\x1b[2J"
CHILD_NAME = "[/]\u202e"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [*PINNED, *args], catch_exceptions=False)


def test_status_prints_a_markup_village_name_as_typed(home: Path) -> None:
    args = list(INIT)
    args[args.index("--village-name") + 1] = VILLAGE_NAME
    assert run(*args).exit_code == 0
    result = run("status")
    assert result.exit_code == 0, result.output
    assert "[red]海星村[/]␛[2J" in result.output
    assert "\x1b" not in result.output


def test_report_eligible_and_coverage_survive_a_markup_name(home: Path) -> None:
    profile = demo_profile(home)
    store = open_store(profile.db_path)
    try:
        hint = reports.eligible(store, TODAY)[0]
        person = store.get(Person, hint.person.id)
        assert person is not None
        store.save(person.model_copy(update={"name": CHILD_NAME}))
    finally:
        store.close()
    eligible = run("--profile", profile.name, "report", "eligible")
    assert eligible.exit_code == 0, eligible.output
    assert "[/]\\u202e" in eligible.output
    assert "\u202e" not in eligible.output
    coverage = run("--profile", profile.name, "report", "coverage")
    assert coverage.exit_code == 0, coverage.output


def test_a_servers_error_body_is_printed_as_text(capsys: pytest.CaptureFixture[str]) -> None:
    body = "[bold]坏了[/bold]\x1b[2J\x1b]0;title\x07"
    with pytest.raises(SystemExit):
        _fail(Translator("zh"), body)
    err = capsys.readouterr().err
    assert "[bold]坏了[/bold]␛[2J␛]0;title␇" in err
    assert "\x1b" not in err and "\x07" not in err


def test_a_command_that_fails_prints_no_id_number(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    id_number = synthetic_id(TODAY.replace(year=1950), 117)
    try:
        raise ValueError(f"input_value='{id_number}'")
    except ValueError as exc:
        error = exc
    _crash_report(ValueError, error, error.__traceback__)
    err = capsys.readouterr().err
    assert id_number not in err
    assert "ValueError" in err and "crash.log" in err
    logged = crash.log_path().read_text(encoding="utf-8")
    assert "input_value=" in logged and id_number not in logged
