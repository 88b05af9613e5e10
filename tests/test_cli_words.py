"""The CLI's words as a village assistant meets them: the language a command runs in, errors
that say what to do in the user's language, help that is always there and true."""

from __future__ import annotations

import builtins
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook
from textual.widgets import Input, OptionList, Static

from civtui.app import CivtuiApp
from civtui.cli import main
from civtui.domain import dates
from civtui.domain.policy import add_months
from civtui.services.profile import Profile
from screens.path_dialog import PathModal
from tests.conftest import INIT, TODAY, VILLAGE, MemoryKeyring
from tests.test_bundle_cli import key_file, set_up, stick, township
from tests.tui_helpers import app_on, demo_profile

__all__ = ["key_file", "stick", "township"]  # fixtures, re-exported for pytest

#: Text a terminal or Rich could take for something else.
HOSTILE = "[/]=1+2\\x"


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args])


@pytest.mark.tui
async def test_the_chinese_palette_finds_the_language_switch_by_its_english_word(
    home: Path,
) -> None:
    app: CivtuiApp = app_on(demo_profile(home), lang="zh")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"language")
        await pilot.pause(1.0)
        options = app.screen.query_one(OptionList)
        texts = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("切换语言" in t for t in texts), texts
        await pilot.press("enter")
        await pilot.pause()
        assert app.t.lang == "en"


@pytest.mark.parametrize(
    ("typed", "month"),
    [
        ("2026-11", dt.date(2026, 11, 1)),
        ("2026年11月", dt.date(2026, 11, 1)),
        ("2026年1月", dt.date(2026, 1, 1)),
        (" 2026/03 ", dt.date(2026, 3, 1)),
        ("2026.12", dt.date(2026, 12, 1)),
        ("2026年13月", None),
        ("2026-11-20", None),
        (HOSTILE, None),
        ("", None),
    ],
)
def test_one_month_reading_for_every_command(typed: str, month: dt.date | None) -> None:
    assert dates.parse_month(typed) == month


@pytest.mark.parametrize("command", ["visits", "child-checks"])
def test_export_takes_a_chinese_month(cli_profile: Profile, tmp_path: Path, command: str) -> None:
    out = tmp_path / "x.xlsx"
    done = run("export", command, "--month", f"{TODAY:%Y年%-m月}", "-o", str(out))
    assert done.exit_code == 0, done.output
    assert out.is_file()
    refused = run("export", command, "--month", f"11月{HOSTILE}", "-o", str(out))
    assert refused.exit_code == 2
    assert "2026年3月" in refused.output and f"11月{HOSTILE}" in refused.output


def test_report_takes_a_chinese_month(cli_profile: Profile) -> None:
    done = run("report", "coverage", "--month", f"{TODAY:%Y年%m月}", "--json")
    assert done.exit_code == 0, done.output
    assert f'"month": "{TODAY:%Y-%m}"' in done.output


@pytest.mark.parametrize(
    ("args", "sheet"),
    [
        (["export", "visits"], "-o"),
        (["export", "child-checks"], "-o"),
        (["export", "needs"], "-o"),
        (["import", "template", "persons"], "-o"),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_export_says_a_missing_folder_in_the_users_words(
    cli_profile: Profile, tmp_path: Path, args: list[str], sheet: str, lang: str
) -> None:
    missing = tmp_path / f"no{HOSTILE}" / "dir"
    said = run("--lang", lang, *args, sheet, str(missing / "x.xlsx"))
    assert said.exit_code == 2, said.output
    assert "Errno" not in said.output and "Traceback" not in said.output
    flat = said.output.replace("\n", "")
    assert str(missing) in flat
    if lang == "zh":
        assert "文件夹不存在" in flat and "请先建好" in flat
    else:
        assert "does not exist" in flat and "Create it" in flat
    assert not missing.exists()


def test_each_exports_help_names_its_own_sheets(home: Path) -> None:
    needs = run("export", "needs", "--help").output
    assert "老人需求台账" in needs and "办理记录" in needs
    assert "覆盖率" not in needs and "待访名单" not in needs
    visits = run("export", "visits", "--help").output
    assert "探访台账" in visits and "待访名单" in visits and "办理记录" not in visits
    checks = run("export", "child-checks", "--help").output
    assert "待随访名单" in checks and "办理记录" not in checks
    english = " ".join(run("--lang", "en", "export", "needs", "--help").output.split())
    assert "status history" in english and "coverage" not in english
    assert "2026年11月" in visits


@pytest.mark.parametrize("role", ["协管员", "民政协管员", "儿童主任", "supervisor"])
def test_init_takes_the_chinese_role_words(home: Path, role: str) -> None:
    args = [*INIT]
    args[args.index("--role") + 1] = role
    made = run(*args)
    assert made.exit_code == 0, made.output


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_wrong_role_lists_the_choices_in_the_users_language(home: Path, lang: str) -> None:
    args = [*INIT]
    args[args.index("--role") + 1] = HOSTILE
    said = run("--lang", lang, *args)
    assert said.exit_code == 2
    assert HOSTILE in said.output
    if lang == "zh":
        assert "民政协管员（assistant）" in said.output and "督导员" in said.output
    else:
        assert "assistant (Civil-affairs assistant)" in said.output
        assert "民政" not in said.output
    assert not Profile("default").exists()


def test_every_help_text_written_in_chinese_has_its_english() -> None:
    """`civtui --lang en … --help` shows English for every command and option, the lazily
    loaded ones too (help is written in Chinese and looked up by that text)."""
    import re

    import click

    from civtui.i18n import HELP_EN

    ctx = click.Context(main)

    def written(target: object) -> str:
        return str(getattr(target, "_civtui_help", None) or getattr(target, "help", None) or "")

    def texts(command: click.Command) -> list[str]:
        found = [written(command)]
        found += [written(p) for p in command.params if isinstance(p, click.Option)]
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                found += texts(sub)
        return found

    chinese = [t for t in texts(main) if re.search("[\u4e00-\u9fff]", t)]
    assert len(chinese) > 100  # every command's, not only the first group's
    assert "可访问的村(社区)代码，可多次给出。" in chinese  # the server's, loaded lazily
    assert [t for t in chinese if t not in HELP_EN] == []
    said = run("--lang", "en", "login", "--help").output
    assert "Read the token from standard input" in said and "读取" not in said


def test_server_token_create_role_has_help(home: Path) -> None:
    said = run("server", "token", "create", "--help").output
    assert "工作人员的角色" in said and "child_director" in said
    assert (
        "staff member's role" in run("--lang", "en", "server", "token", "create", "--help").output
    )


@pytest.fixture
def laptop_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a village laptop installed without the `server` extra."""
    real = builtins.__import__

    def without_server(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.split(".")[0] in ("fastapi", "uvicorn", "sqlalchemy"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", without_server)


@pytest.mark.parametrize(
    "args", [["server", "init"], ["server", "token", "create"], ["server", "run"], ["server"]]
)
def test_server_help_shows_without_the_server_extra(
    home: Path, laptop_only: None, args: list[str]
) -> None:
    said = run(*args, "--help")
    assert said.exit_code == 0, said.output
    assert "Usage" in said.output or "用法" in said.output
    assert "错误" not in said.output
    assert "civtui[server]" in said.output
    # Running it still says what is missing.
    if args != ["server"]:
        ran = run("server", "init")
        assert ran.exit_code != 0 and "pip install" in ran.output


def test_a_laptops_own_bundle_given_as_a_reply_is_said_as_such(
    township: Any,
    key_file: Path,
    stick: Path,
    vault: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lap = set_up(township, monkeypatch, "a", key_file)
    lap.add_person(HOSTILE, seq=101)
    assert lap("bundle", "export", str(stick)).exit_code == 0
    own = stick / f"{VILLAGE}-{TODAY:%Y%m%d}.civb"
    zh = lap("bundle", "import", str(own))
    assert zh.exit_code != 0
    assert "本机导出的数据包" in zh.output and "带到乡镇" in zh.output
    assert "这不是 civtui" not in zh.output
    en = lap("bundle", "import", str(own), lang="en")
    assert "take it to the township" in en.output


async def _export_dialog(app: CivtuiApp, pilot: Any) -> PathModal:
    await pilot.pause()
    app.ask_export("visits")
    await pilot.pause()
    assert isinstance(app.screen, PathModal)
    return app.screen


@pytest.mark.tui
async def test_the_app_exports_last_months_ledger_with_one_key(home: Path, tmp_path: Path) -> None:
    app = app_on(demo_profile(home))
    folder = tmp_path / "out[b]=1+2\\x"
    folder.mkdir()
    last = add_months(TODAY.replace(day=1), -1)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _export_dialog(app, pilot)
        assert dialog.query_one("#export-month", Input).value == f"{TODAY:%Y-%m}"
        dialog.query_one("#bundle-path", Input).value = str(folder)
        await pilot.press("f3")
        assert dialog.query_one("#export-month", Input).value == f"{last:%Y-%m}"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    [path] = folder.glob("*.xlsx")
    assert path.name == f"探访台账-{app.profile.name}-{last:%Y-%m}.xlsx"
    sheet = load_workbook(path, read_only=True)["探访台账"]
    heading = next(sheet.iter_rows(values_only=True))[0]
    assert heading is not None and f"{last:%Y年%m月}" in str(heading)


@pytest.mark.tui
async def test_the_app_takes_a_chinese_month_and_refuses_a_wrong_one(
    home: Path, tmp_path: Path
) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _export_dialog(app, pilot)
        dialog.query_one("#bundle-path", Input).value = str(tmp_path)
        month = dialog.query_one("#export-month", Input)
        month.value = HOSTILE
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is dialog
        error = str(dialog.query_one("#bundle-error", Static).render())
        assert HOSTILE in error and "2026-11" in error
        month.value = "2026年10月"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert [p.name for p in tmp_path.glob("*.xlsx")] == [
        f"探访台账-{app.profile.name}-2026-10.xlsx"
    ]
