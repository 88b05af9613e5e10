"""civtui as an office installs it: the wheel `python -m build` makes, in a fresh venv.

Not the editable install of a clone: only what the wheel carries is there, so a stylesheet,
a migration or the Alembic template left out of the package data fails here, not in an office.
"""

from __future__ import annotations

import json
import subprocess
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.install_helpers import (
    FILE_KEYRING,
    PASSPHRASE,
    ROOT,
    WHEEL_PORTS,
    clean_env,
    free_port,
    make_venv,
    shared_release,
    shared_wheelhouse,
    stop,
    wait_healthy,
)

pytestmark = pytest.mark.slow

PACKAGES = ("civtui", "screens", "db", "sync")
#: The demo profile's villages (civtui/services/demo.py, DEMO_VILLAGES).
DEMO_VILLAGES = ("330902112201", "330903103202", "330922101203")


@dataclass
class Installed:
    sdist: Path
    wheel: Path
    bin: Path
    folder: Path

    def civtui(self, *args: str, env: dict[str, str], stdin: str | None = None) -> str:
        """Run the installed `civtui` console script; its output, failing on a non-zero exit."""
        done = subprocess.run(
            [str(self.bin / "civtui"), "--lang", "en", *args],
            input=stdin, capture_output=True, text=True, env=env, cwd=self.folder, timeout=180,
        )  # fmt: skip
        assert done.returncode == 0, f"civtui {' '.join(args)}: {done.stdout}\n{done.stderr}"
        return done.stdout


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel, built once per run (tests/test_deploy_doc.py installs it too)."""
    return shared_release(tmp_path_factory)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory, release: tuple[Path, Path]) -> Installed:
    folder = tmp_path_factory.mktemp("wheel")
    sdist, wheel = release
    bin_dir = make_venv(folder / "venv", f"{wheel}[server]", shared_wheelhouse(tmp_path_factory))
    return Installed(sdist, wheel, bin_dir, folder)


def test_the_wheel_carries_every_file_the_code_reads(release: tuple[Path, Path]) -> None:
    """Every non-Python file in the packages (stylesheets, the Alembic template, markers)."""
    names = set(zipfile.ZipFile(release[1]).namelist())
    wanted = {
        path.relative_to(ROOT).as_posix()
        for package in PACKAGES
        for path in (ROOT / package).rglob("*")
        if path.is_file() and path.suffix not in (".py", ".pyc", ".md")
        and "__pycache__" not in path.parts
    }  # fmt: skip
    assert {"civtui/app.tcss", "sync/server/migrations/script.py.mako"} <= wanted
    assert wanted - names == set()
    migrations = {p.name for p in (ROOT / "sync/server/migrations/versions").glob("0*.py")}
    assert migrations and all(f"sync/server/migrations/versions/{m}" in names for m in migrations)
    # The tests and scripts of the clone are not part of what an office installs.
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "bench/"))]


def test_the_sdist_carries_the_source_and_no_local_state(release: tuple[Path, Path]) -> None:
    with tarfile.open(release[0]) as sdist:
        names = {name.partition("/")[2] for name in sdist.getnames()}
    assert {
        "pyproject.toml",
        "civtui/app.tcss",
        "scripts/constraints.txt",
        "tests/conftest.py",
    } <= names
    assert not [n for n in names if n.startswith((".venv", ".git/")) or "__pycache__" in n]


@pytest.fixture
def laptop_env(installed: Installed, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A laptop's environment: its own data folder, a passphrase profile, a file keyring."""
    (tmp_path / "keyring").mkdir()
    (tmp_path / "keyring" / "file_keyring.py").write_text(FILE_KEYRING, encoding="utf-8")
    yield clean_env(
        CIVTUI_HOME=str(tmp_path / "home"),
        CIVTUI_PASSPHRASE=PASSPHRASE,
        PYTHONPATH=str(tmp_path / "keyring"),
        TEST_KEYRING_FILE=str(tmp_path / "keyring.json"),
    )


def test_the_installed_wheel_runs_demo_status_server_sync_and_the_app(
    installed: Installed, laptop_env: dict[str, str], tmp_path: Path
) -> None:
    no_keyring = {**laptop_env, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    with_keyring = {**laptop_env, "PYTHON_KEYRING_BACKEND": "file_keyring.FileKeyring"}
    assert "civtui, version 0.1.0" in installed.civtui("--version", env=no_keyring)

    # The demo's profile is encrypted with a key from the passphrase (no keyring here).
    installed.civtui("demo", env=no_keyring)
    key = json.loads((tmp_path / "home/profiles/demo/key.json").read_text(encoding="utf-8"))
    assert key["source"] == "passphrase"
    status = json.loads(installed.civtui("status", "--json", env=no_keyring))
    assert status["profile"] == "demo"
    assert status["counts"]["persons"] > 0 and status["pending_changes"] > 0

    # The township's server from the same wheel: migrations, a token, a real process.
    db = f"sqlite:///{tmp_path / 'server.db'}"
    server_env = clean_env(CIVTUI_HOME=str(tmp_path / "server-home"))
    init = installed.civtui("server", "init", "--database", db, env=server_env)
    migrations = len(list((ROOT / "sync/server/migrations/versions").glob("0*.py")))
    assert f"schema {migrations}" in init  # every migration and Alembic's template came along
    villages = [arg for code in DEMO_VILLAGES for arg in ("--village", code)]
    token = installed.civtui(
        "server", "token", "create", "--database", db, "--staff", "王晓丽",
        "--role", "assistant", *villages, env=server_env,
    ).strip()  # fmt: skip
    port = free_port(WHEEL_PORTS)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [str(installed.bin / "civtui"), "server", "run", "--database", db,
             "--host", "127.0.0.1", "--port", str(port)],
            env=server_env, stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path,
        )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        wait_healthy(base, server, log)
        installed.civtui("login", "--server", base, "--token-stdin", env=with_keyring, stdin=token)
        stored = json.loads((tmp_path / "keyring.json").read_text(encoding="utf-8"))
        assert token in stored.values()  # the token went to the keyring, nowhere else
        report = json.loads(installed.civtui("sync", "--json", env=with_keyring))
        assert report["pushed"] > 0 and report["rejected"] == 0
        with httpx.Client(base_url=base) as client:
            me = client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200
    finally:
        stop(server)
    after = json.loads(installed.civtui("status", "--json", env=no_keyring))
    assert after["pending_changes"] == 0 and after["last_sync"]

    # One frame of the app, headless, from the installed package (its stylesheets).
    frame = subprocess.run(
        [str(installed.bin / "python"), "-c", APP_FRAME],
        capture_output=True, text=True, env=no_keyring, cwd=tmp_path, timeout=120,
    )  # fmt: skip
    assert frame.returncode == 0, frame.stderr
    where, screen, text = frame.stdout.split("\n", 2)
    assert where.startswith(str(installed.folder / "venv")), where
    assert screen == "DashboardScreen"
    assert "civtui" in text.lower() or "海星村" in text


#: Opens the demo profile in the installed app until its first screen after the opening one,
#: and prints where the package was loaded from, the screen shown and the screen's text.
APP_FRAME = """
import asyncio
import civtui
from civtui.app import make_app
from civtui.services import keys
from civtui.services.profile import Profile

async def main():
    profile = Profile("demo")
    keys.unlock(profile.db_path)
    app = make_app(profile, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        # The first frame is the opening screen; the profile's screens follow once a worker
        # has imported the store, seconds later on a loaded machine.
        for _ in range(600):
            await pilot.pause(0.1)
            if type(app.screen).__name__ != "OpeningScreen":
                break
        await pilot.pause()
        print(civtui.__file__)
        print(type(app.screen).__name__)
        print(app.export_screenshot())

asyncio.run(main())
"""
