"""docs/deploy.md works as written: its marked blocks run in order in a temporary root.

The page is written for a real server (`sudo`, a `civtui` account, systemd, /etc, /var). Here:
- `/etc/civtui`, `/etc/systemd/system`, `/etc/cron.d`, `/var/lib/civtui` and `/var/log/civtui`
  are moved under a temporary root (the only change made to the page's text, besides the port);
  the venv in `/var/lib/civtui/venv` under a root the module's tests share, so the page's
  `python3 -m venv` and `pip install` make it once per run (about 12 s of CPU) and the other
  database's run does them again on it, as on a server that already has civtui, in seconds;
  every other folder is the test's own;
- the page's `pip install` finds the wheel's dependencies in the run's wheelhouse
  (tests/install_helpers.py: the same pinned releases, resolved from the indexes once per
  run) and writes no bytecode up front, through pip's environment variables as a server's
  pip.conf would say it; the command is the page's;
- `sudo [-u USER]` runs the command as this test's user; `install -o/-g` and `chown` keep the
  owner (the test cannot make a `civtui` account) but the modes are checked;
- `systemctl` starts and stops the unit file's `ExecStart=` with its `Environment=`;
- the database is a SQLite file, or (CIVTUI_TEST_POSTGRES_URL) a database `civtui` on the test
  cluster, reached through PGHOST/PGPORT/PGUSER as the page's `createdb`, `pg_dump` and
  `pg_restore` expect; `CIVTUI_SERVER_DATABASE` stands in for the page's socket URL.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from sync.server import storage
from tests.install_helpers import (
    DEPLOY_PORTS,
    ROOT,
    clean_env,
    free_port,
    shared_release,
    shared_wheelhouse,
)
from tests.sync_harness import POSTGRES_ENV
from tests.test_restore_drill import pg_tool

PAGE = ROOT / "docs" / "deploy.md"
#: The page's folders, each moved under the temporary root.
MOVED = ("/etc/civtui", "/etc/systemd/system", "/etc/cron.d", "/var/lib/civtui", "/var/log/civtui")
#: The page's venv, moved under the module's shared root instead (see above).
VENV = "/var/lib/civtui/venv"
#: One pass over the page's text, the longest folder first: the venv before the folder it is in.
FOLDERS = re.compile("|".join(re.escape(f) for f in sorted((*MOVED, VENV), key=len, reverse=True)))
PAGE_PORT = "8765"

#: Stands in for the commands a real server has and a test machine must not touch.
SHELL_PREAMBLE = r"""
set -euo pipefail
sudo() {
    if [ "$1" = -u ]; then shift 2; fi
    local -a vars=()
    while [[ "$1" == *=* ]]; do vars+=("$1"); shift; done
    if [ ${#vars[@]} -gt 0 ]; then (export "${vars[@]}"; "$@"); else "$@"; fi
}
install() {
    local -a kept=()
    while [ $# -gt 0 ]; do
        case "$1" in -o|-g) shift 2 ;; *) kept+=("$1"); shift ;; esac
    done
    command install "${kept[@]}"
}
chown() { :; }
journalctl() { :; }
systemctl() {
    local verb
    for verb in "$@"; do
        case "$verb" in
            start|--now) _start ;;
            restart) _stop; _start ;;
            stop) _stop ;;
        esac
    done
}
_start() {
    (export $_UNIT_ENV; setsid $_UNIT_EXEC >>"$_UNIT_LOG" 2>&1 & echo $! >"$_UNIT_PID")
}
_stop() {
    local pid
    pid=$(cat "$_UNIT_PID")
    kill "$pid"
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
"""


@dataclass
class Block:
    info: str
    body: str
    line: int


def blocks(page: str) -> list[Block]:
    found = []
    for match in re.finditer(r"^```([^\n]*)\n(.*?)^```$", page, re.MULTILINE | re.DOTALL):
        found.append(
            Block(match.group(1).strip(), match.group(2), page.count("\n", 0, match.start()) + 1)
        )
    return found


def moved(body: str, root: Path, port: int, venv_root: Path) -> str:
    body = FOLDERS.sub(lambda m: f"{venv_root if m.group(0) == VENV else root}{m.group(0)}", body)
    return body.replace(f"127.0.0.1:{PAGE_PORT}", f"127.0.0.1:{port}")


def unit_setting(unit: str, name: str) -> str:
    (line,) = [line for line in unit.splitlines() if line.startswith(f"{name}=")]
    return line.partition("=")[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder section 1 of the page ends with: the wheel and constraints.txt."""
    folder = tmp_path_factory.mktemp("release")
    _, wheel = shared_release(tmp_path_factory)  # the one tests/test_wheel.py installs
    (folder / wheel.name).write_bytes(wheel.read_bytes())
    (folder / "constraints.txt").write_bytes((ROOT / "scripts/constraints.txt").read_bytes())
    return folder


@pytest.fixture(scope="module")
def pip_settings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Where the page's `pip install` takes the wheel's dependencies from, and no bytecode.

    Resolving against the indexes, the page's pip (the older one `python3 -m venv` seeds)
    parsed every release of every dependency, ~9 s of CPU; compiling every module of every
    package another ~8 s, where what runs is compiled when first imported. pip reads the
    variable of a `--no-…` flag as the value of what the flag turns off: PIP_NO_COMPILE=0
    is `--no-compile`.
    """
    return {
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(shared_wheelhouse(tmp_path_factory)),
        "PIP_NO_COMPILE": "0",
    }


@pytest.fixture(scope="module")
def venv_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The root the page's venv is moved under, shared by the module's runs of the page."""
    return tmp_path_factory.mktemp("venv-root")


def backends() -> list[str]:
    if os.environ.get(POSTGRES_ENV):
        return ["sqlite", "postgres"]
    if os.environ.get("CI"):
        # CI must prove the PostgreSQL half of the page; scripts/dev.py test starts the cluster.
        return ["sqlite", "postgres-missing"]
    return ["sqlite"]


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment that points the page's commands at this test's database."""
    if request.param == "postgres-missing":
        pytest.fail(f"{POSTGRES_ENV} is not set: the deploy page's PostgreSQL half must run in CI")
    if request.param == "sqlite":
        yield {"CIVTUI_SERVER_DATABASE": f"sqlite:///{tmp_path / 'root/var/lib/civtui/server.db'}",
               "CIVTUI_SERVER_WORKERS": "1"}  # fmt: skip
        return
    admin_url = make_url(os.environ[POSTGRES_ENV])
    admin = create_engine(
        storage.database_url(os.environ[POSTGRES_ENV]), isolation_level="AUTOCOMMIT"
    )

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text('DROP DATABASE IF EXISTS "civtui" WITH (FORCE)'))

    drop()
    bindir = Path(pg_tool("pg_dump")).parent
    try:
        yield {
            "CIVTUI_SERVER_DATABASE": admin_url.set(database="civtui").render_as_string(hide_password=False),
            "PGHOST": str(admin_url.host), "PGPORT": str(admin_url.port),
            "PGUSER": str(admin_url.username), "PATH": f"{bindir}:{os.environ['PATH']}",
        }  # fmt: skip
    finally:
        drop()
        admin.dispose()


@pytest.mark.slow
@pytest.mark.parametrize("database", backends(), indirect=True)
def test_the_deploy_page_runs_as_written(
    database: dict[str, str],
    release: Path,
    pip_settings: dict[str, str],
    venv_root: Path,
    tmp_path: Path,
) -> None:
    postgres = "PGHOST" in database
    page = PAGE.read_text(encoding="utf-8")
    root, port = tmp_path / "root", free_port(DEPLOY_PORTS)
    wanted = ("sh deploy-test", "sh deploy-test-postgres") if postgres else ("sh deploy-test",)
    unit_log, unit_pid = tmp_path / "unit.log", tmp_path / "unit.pid"
    unit = ""
    env = clean_env(
        **database, **pip_settings, CIVTUI_SERVER_PORT=str(port), CIVTUI_HOME=str(tmp_path / "home")
    )
    ran, outputs = 0, []
    try:
        for block in blocks(page):
            if block.info.startswith(
                ("toml deploy-file=", "ini deploy-file=", "cron deploy-file=")
            ):
                target = Path(f"{root}{block.info.partition('deploy-file=')[2]}")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(moved(block.body, root, port, venv_root), encoding="utf-8")
                if block.info.startswith("ini"):
                    unit = target.read_text(encoding="utf-8")
                continue
            if block.info not in wanted:
                continue
            script = SHELL_PREAMBLE + moved(block.body, root, port, venv_root)
            if unit:
                env.update(
                    _UNIT_EXEC=unit_setting(unit, "ExecStart"), _UNIT_ENV=unit_setting(unit, "Environment"),
                    _UNIT_LOG=str(unit_log), _UNIT_PID=str(unit_pid),
                )  # fmt: skip
            done = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                                  env=env, cwd=release, timeout=600)  # fmt: skip
            log = unit_log.read_text(errors="replace") if unit_log.exists() else ""
            assert done.returncode == 0, f"deploy.md line {block.line}:\n{done.stderr}\n{log}"
            outputs.append(done.stdout)
            ran += 1
            if "pg_dump" in block.body:
                # Made after last night's dump: the restore drill must take it away again.
                late = subprocess.run(
                    [f"{venv_root}{VENV}/bin/civtui", "server", "token", "create",
                     "--staff", "赵新", "--role", "assistant", "--village", "330902112201"],
                    capture_output=True, text=True, check=True, env={
                        **env, "CIVTUI_SERVER_CONFIG": str(root / "etc/civtui/server.toml")},
                ).stdout.strip()  # fmt: skip
        assert ran == (8 if postgres else 5)  # a block that lost its mark would go unnoticed

        # Folders and files with the modes the page's table gives.
        assert mode(root / "etc/civtui") == mode(root / "var/lib/civtui/backups") == 0o750
        assert mode(root / "etc/civtui/server.toml") == 0o640
        assert mode(root / "var/log/civtui/server.jsonl") == 0o600
        # The token is the only thing `token create` prints on standard output.
        tokens = [line for out in outputs for line in out.splitlines() if line.startswith("civ_")]
        assert len(tokens) == 2, outputs  # one per person of section 6
        base = f"http://127.0.0.1:{port}"
        with httpx.Client(base_url=base, timeout=10) as client:
            wait_for(client, unit_log)  # the drill's last line starts the server again

            def answer(token: str) -> int:
                return client.get(
                    "/v1/me", headers={"Authorization": f"Bearer {token}"}
                ).status_code

            assert [answer(token) for token in tokens] == [200, 200]
            assert answer("not-a-token") == 401
            if postgres:
                assert answer(late) == 401  # the drill put back the dump from before it
        if postgres:
            (dump,) = (root / "var/lib/civtui/backups").glob("civtui-*.dump")
            assert mode(dump) == 0o600
            # The nightly cron line runs the command the page has one take by hand.
            by_hand = re.search(r"sh -c '([^']*)'", page)
            cron = (
                (root / "etc/cron.d/civtui-backup").read_text(encoding="utf-8").split(maxsplit=6)[6]
            )
            assert by_hand and cron.replace("\\%", "%").startswith(
                moved(by_hand.group(1), root, port, venv_root)
            )
    finally:
        if unit_pid.exists():
            end_server(int(unit_pid.read_text()))


def wait_for(client: httpx.Client, log: Path) -> None:
    deadline = time.monotonic() + 60  # a loaded 2-core machine starts Python slowly
    while time.monotonic() < deadline:
        try:
            if client.get("/v1/health").status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    pytest.fail(f"the server did not answer: {log.read_text(errors='replace')}")


def end_server(pid: int) -> None:
    """End the server `systemctl` started (its own session, workers included)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            os.kill(pid, 0)  # ProcessLookupError once it has gone
            time.sleep(0.1)
        os.killpg(pid, signal.SIGKILL)


def shell(script: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", SHELL_PREAMBLE + script], capture_output=True,
                          text=True, env=clean_env(**env), timeout=60)  # fmt: skip


def test_the_stand_ins_stop_a_block_at_its_first_failing_line() -> None:
    done = shell("sudo -u civtui false\necho never reached")
    assert done.returncode != 0 and "never" not in done.stdout
    piped = shell("sudo -u postgres false | cat\necho never reached")
    assert piped.returncode != 0 and "never" not in piped.stdout


def test_the_sudo_stand_in_passes_variables_and_arguments_as_sudo_does() -> None:
    done = shell("sudo -u civtui GREETING='a b' sh -c 'echo \"$GREETING\" \"$0\"' 'c d'")
    assert done.stdout == "a b c d\n", done.stderr


def test_the_page_moves_only_its_own_folders(tmp_path: Path) -> None:
    body = (
        "install -d /etc/civtui /var/lib/civtui/backups /etc/passwd http://127.0.0.1:8765/x "
        "/var/lib/civtui/venv/bin/civtui"
    )
    shared = tmp_path / "shared"
    assert moved(body, tmp_path, 8861, shared).split() == [
        "install", "-d", f"{tmp_path}/etc/civtui", f"{tmp_path}/var/lib/civtui/backups",
        "/etc/passwd", "http://127.0.0.1:8861/x", f"{shared}/var/lib/civtui/venv/bin/civtui",
    ]  # fmt: skip


def test_every_marked_block_of_the_page_is_one_the_test_knows() -> None:
    """A mistyped mark (`sh deploytest`) would leave a block untested without a word."""
    infos = {block.info for block in blocks(PAGE.read_text(encoding="utf-8"))}
    marked = {info for info in infos if "deploy" in info}
    assert marked == {
        "sh deploy-test", "sh deploy-test-postgres",
        "toml deploy-file=/etc/civtui/server.toml",
        "ini deploy-file=/etc/systemd/system/civtui-server.service",
        "cron deploy-file=/etc/cron.d/civtui-backup",
    }  # fmt: skip
