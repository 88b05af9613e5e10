from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from sqlcipher3.dbapi2 import Connection

from civtui import __version__
from civtui.cli import main
from civtui.services import keys
from civtui.services.profile import Profile
from db.connection import raw_connect
from tests.conftest import INIT, TODAY, VILLAGE

PINNED = ["--today", TODAY.isoformat()]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, [*PINNED, *args], catch_exceptions=False)


def status(*profile: str) -> dict[str, Any]:
    result = run(*profile, "status", "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.output)
    return data


def test_version() -> None:
    result = run("--version")
    assert result.exit_code == 0 and __version__ in result.output


def test_init_creates_the_profile_and_refuses_to_overwrite(home: Path) -> None:
    args = [
        "init",
        "--village-code",
        "330902112201",
        "--village-name",
        "海星村",
        "--staff",
        "王晓丽",
        "--role",
        "assistant",
    ]
    first = run(*args)
    assert first.exit_code == 0, first.output
    report = status()
    assert report["profile"] == "default"
    assert report["villages"] == [{"code": "330902112201", "name": "海星村", "township": ""}]
    assert report["counts"]["staff"] == 1
    assert report["pending_changes"] == 2  # the village and the staff member
    again = run(*args)
    assert again.exit_code == 1
    assert "已存在" in again.output and "--force" in again.output
    forced = run(*args, "--force")
    assert forced.exit_code == 0
    assert list(Profile("default").folder.glob("civtui.db.replaced-*.bak"))


def test_init_explains_a_bad_village_code_in_chinese(home: Path) -> None:
    result = run(*["3309" if arg == VILLAGE else arg for arg in INIT])
    assert result.exit_code == 2
    assert "12位数字" in result.output
    assert not Profile("default").exists()


def test_status_json_on_a_fresh_demo_is_truthful(home: Path) -> None:
    result = run("demo", "--persons", "150", "--seed", "4")
    assert result.exit_code == 0, result.output
    report = status()  # demo became the current profile
    assert report["profile"] == "demo"
    assert set(report) == {
        "profile",
        "path",
        "device_id",
        "villages",
        "counts",
        "pending_changes",
        "last_sync",
    }
    conn = opened(report["path"])
    for table, count in report["counts"].items():
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == count, table
    assert report["counts"]["persons"] == 150
    assert report["pending_changes"] == sum(report["counts"].values())
    assert report["pending_changes"] == conn.execute("SELECT count(*) FROM changes").fetchone()[0]
    assert report["last_sync"] is None
    assert len(report["villages"]) == 3


def opened(path: str) -> Connection:
    """A connection to a profile's encrypted file, with its key."""
    return raw_connect(Path(path), keys.key_for(Path(path)))


def test_demo_is_deterministic_on_disk(home: Path) -> None:
    def table_rows(profile: str) -> list[tuple[Any, ...]]:
        path = status("--profile", profile)["path"]
        conn = opened(path)
        return (
            conn.execute(
                "SELECT id, name, id_number, categories FROM persons ORDER BY id"
            ).fetchall()
            + conn.execute(
                "SELECT id, person_id, visit_date, mode FROM visits ORDER BY id"
            ).fetchall()
        )

    assert run("--profile", "a", "demo", "--persons", "80", "--seed", "9").exit_code == 0
    assert run("--profile", "b", "demo", "--persons", "80", "--seed", "9").exit_code == 0
    assert table_rows("a") == table_rows("b")


def test_status_without_a_profile_says_what_to_do(home: Path) -> None:
    result = run("status")
    assert result.exit_code == 1
    assert "civtui init" in result.output and "civtui demo" in result.output


@pytest.mark.slow  # a civtui process of its own
def test_console_script_is_installed(home: Path) -> None:
    exe = Path(sys.executable).with_name("civtui")
    result = subprocess.run(
        [str(exe), "--version"],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "CIVTUI_HOME": str(home)},
    )
    assert result.returncode == 0 and __version__ in result.stdout
