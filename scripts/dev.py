#!/usr/bin/env python3
"""Set up a virtual environment and run civtui's demo or its whole check suite.

    python3 scripts/dev.py demo   # install, create the demo profile if missing, open the app
    python3 scripts/dev.py test   # install with dev tools, then ruff, mypy and pytest
    python3 scripts/dev.py test --fast   # ruff and the fast tier: under a minute, per commit
    python3 scripts/dev.py bench  # the full benchmark suite (add --tiny for the quick one)
    python3 scripts/dev.py guard  # the ratios CI holds start-up and saves to (bench/guard.py)
    python3 scripts/dev.py build-laptop  # the laptop app without Python: dist/laptop/civtui/

Needs only Python >= 3.11 and the package index; everything else is installed
into .venv beside this repository.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import venv
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: Exact versions the suite was last run with: snapshots depend on Textual's rendering,
#: so a fresh machine must get the same libraries, not whatever is newest that day.
CONSTRAINTS = ROOT / "scripts" / "constraints.txt"
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")


def sh(*args: str | Path, check: bool = True) -> int:
    print("+", " ".join(str(a) for a in args), flush=True)
    return subprocess.run([str(a) for a in args], cwd=ROOT, check=check).returncode


class Background:
    """A check run beside the tests, its output held back and printed when it is waited for,
    so that it does not break into pytest's."""

    def __init__(self, *args: str | Path) -> None:
        self.command = " ".join(str(a) for a in args)
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 (closed in finish())
        self.process = subprocess.Popen(
            [str(a) for a in args], cwd=ROOT, stdout=self.output, stderr=subprocess.STDOUT
        )
        self.returncode: int | None = None

    def finish(self) -> int:
        """Wait for the check, print what it said (once), and give its exit status."""
        if self.returncode is None:
            self.returncode = self.process.wait()
            self.output.seek(0)
            print("+", self.command, flush=True)
            sys.stdout.buffer.write(self.output.read())
            sys.stdout.flush()
            self.output.close()
        return self.returncode


#: What install() last installed from (a digest of INSTALL_SOURCES) and with which extras:
#: kept in the venv, so a new or deleted venv installs again.
INSTALL_STAMP = VENV / "civtui-install.json"
#: The files whose change means pip must run again.
INSTALL_SOURCES = (ROOT / "pyproject.toml", CONSTRAINTS)


def sources_digest(sources: tuple[Path, ...]) -> str:
    """One digest of the files' names and bytes."""
    digest = hashlib.sha256()
    for path in sources:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _extras(extras: str) -> set[str]:
    return {name.strip() for name in extras.split(",") if name.strip()}


def install_needed(stamp: Path, digest: str, extras: str) -> bool:
    """Whether pip must run: the sources changed since the stamp, or an extra is new.

    Extras installed before stay installed (pip adds, never removes), so asking for fewer
    than last time needs nothing.
    """
    try:
        noted = json.loads(stamp.read_text(encoding="utf-8"))
        same = noted["digest"] == digest
        had = set(noted["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        return True
    return not (same and _extras(extras) <= had)


def note_install(stamp: Path, digest: str, extras: str) -> None:
    """Remember a finished install; extras noted with the same digest are kept."""
    had: set[str] = set()
    try:
        noted = json.loads(stamp.read_text(encoding="utf-8"))
        if noted["digest"] == digest:
            had = set(noted["extras"])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    data = {"digest": digest, "extras": sorted(had | _extras(extras))}
    stamp.write_text(json.dumps(data), encoding="utf-8")


def install(extras: str) -> None:
    """Make the venv and install civtui with `extras` into it, unless that was done already
    from the same pyproject.toml and constraints (pip takes seconds even with nothing to do)."""
    python = BIN / "python"
    if not python.exists() and not (BIN / "python.exe").exists():
        venv.create(VENV, with_pip=True)
    digest = sources_digest(INSTALL_SOURCES)
    if not install_needed(INSTALL_STAMP, digest, extras):
        print(f"+ .venv is up to date with [{extras}] (pyproject.toml, constraints.txt)")
        return
    sh(python, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--constraint",
        CONSTRAINTS,
        "--editable",
        f".[{extras}]",
    )
    note_install(INSTALL_STAMP, digest, extras)


#: Exit code of the demo-profile check below when there is no demo profile yet.
NO_DEMO_PROFILE = 3


def demo() -> int:
    install("dev")
    civtui = BIN / "civtui"
    # Whether the demo profile is there, asked without opening it: opening it would ask
    # for its passphrase (no keyring) only to ask again when the app starts, and a wrong
    # passphrase must not be taken for "no profile yet".
    check = (
        "import sys\n"
        "from civtui.services.profile import DEMO_PROFILE, Profile\n"
        f"sys.exit(0 if Profile(DEMO_PROFILE).exists() else {NO_DEMO_PROFILE})\n"
    )
    found = subprocess.run([str(BIN / "python"), "-c", check], cwd=ROOT, check=False)
    if found.returncode == NO_DEMO_PROFILE:
        made = sh(civtui, "demo", check=False)
        if made != 0:
            return made
    elif found.returncode != 0:
        return found.returncode
    # The app asks for the passphrase where there is no keyring, and says if it is wrong.
    return sh(civtui, "--profile", "demo", check=False)


#: The fast tier: what needs no pilot, no server process, no PostgreSQL and no long run.
FAST_TIER = "not (tui or server or slow)"


def _workers() -> str:
    """How many pytest workers: one more than the cores. With one per core, a sixth of the
    cores stood idle while tests waited on a server, a subprocess or pip; a third worker on
    the 2-core machine took the whole suite from 558 s to 472 s, all of it passing."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return str((cores or 1) + 1)


#: How pytest spreads the tests over the workers. Not `loadfile`: a whole file per worker
#: left one worker idle for minutes at the end while the other ran a long file. Test by
#: test instead, in collection order (tests/conftest.py puts the longest first), except
#: that a file with a fixture built once per module stays on one worker (tests/conftest.py
#: groups it), so a build is not made twice.
PYTEST_XDIST = ["-n", _workers(), "--dist", "loadgroup", "--no-loadscope-reorder"]


def pytest_env() -> dict[str, str]:
    """The environment pytest runs in: ours, but free to cache compiled modules.

    With PYTHONDONTWRITEBYTECODE set, every pytest process compiles the project's modules from
    source again and rewrites the asserts of its plugins' ~280 modules (schemathesis,
    hypothesis: pytest rewrites a plugin's whole package), about 2 s of CPU per process
    before the first test; the caches land in .venv and in __pycache__ folders git ignores.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def test_fast() -> int:
    """Ruff and the fast tier of the tests, for every commit; CI runs the whole `test`."""
    install("dev,server")
    python = BIN / "python"
    sh(python, "-m", "ruff", "check", ".")
    sh(python, "-m", "ruff", "format", "--check", ".")
    # Generated tests (the state machine, the coverage oracle) draw fewer examples here.
    env = {**pytest_env(), "CIVTUI_TEST_FAST": "1"}
    env.pop("CIVTUI_TEST_POSTGRES_URL", None)
    cmd = [str(python), "-m", "pytest", *PYTEST_XDIST, "-m", FAST_TIER]
    print("+", " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode


def test() -> int:
    if "--fast" in sys.argv[2:]:
        return test_fast()
    install("dev,server")
    python = BIN / "python"
    sh(python, "-m", "ruff", "check", ".")
    sh(python, "-m", "ruff", "format", "--check", ".")
    sh(BIN / "lint-imports")  # the layers contract in pyproject.toml
    # mypy (~27 s of one core on a fresh clone) runs beside pytest, whose two workers leave
    # about a sixth of the cores idle while tests wait on servers and subprocesses; its
    # verdict is read after the tests, and a type error still fails the run.
    mypy = Background(python, "-m", "mypy")
    ensure_print_tools()
    env = pytest_env()
    stop = None
    try:
        url, stop = start_postgres()
        env["CIVTUI_TEST_POSTGRES_URL"] = url
    except PostgresUnavailableError as exc:
        if os.environ.get("CI"):
            raise SystemExit(f"PostgreSQL is needed for the sync tests in CI: {exc}") from None
        print(f"! PostgreSQL not available ({exc}); sync tests run on SQLite only", flush=True)
    try:
        cmd = [str(python), "-m", "pytest", *PYTEST_XDIST]
        if ensure_keyring():
            # The profile-key tests need a real Secret Service: a private D-Bus session
            # with a throwaway gnome-keyring, never the developer's own.
            cmd = ["dbus-run-session", "--", sys.executable, __file__, "with-keyring", *cmd]
        elif os.environ.get("CI"):
            raise SystemExit(
                "gnome-keyring and dbus-run-session are needed for the key tests in CI"
            )
        else:
            print("! gnome-keyring not available; tests/test_keyring.py skips", flush=True)
        print("+", " ".join(cmd), flush=True)
        tests = subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
        return tests or mypy.finish()
    finally:
        mypy.finish()
        if stop:
            stop()


#: Debian's packages behind ensure_keyring: the Secret Service daemon and dbus-run-session.
KEYRING_PACKAGES = ["gnome-keyring", "dbus-daemon", "dbus-bin"]


def _have_keyring() -> bool:
    return all(shutil.which(tool) for tool in ("dbus-run-session", "gnome-keyring-daemon"))


def ensure_keyring() -> bool:
    """Whether gnome-keyring and dbus-run-session are here; installs them on Debian if root."""
    if not _have_keyring() and shutil.which("apt-get") and os.geteuid() == 0:
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-qq", *KEYRING_PACKAGES], check=False, env=apt)
    return _have_keyring()


def with_keyring() -> int:
    """Inside dbus-run-session: start an unlocked, throwaway gnome-keyring, then run argv[2:]."""
    data = Path(tempfile.mkdtemp(prefix="civtui-keyring-"))
    daemon_env = {**os.environ, "XDG_DATA_HOME": str(data)}
    started = subprocess.run(
        ["gnome-keyring-daemon", "--unlock", "--components=secrets"],
        input=b"civtui-test-keyring",  # the throwaway keyring's password, on stdin
        env=daemon_env,
        capture_output=True,
        check=False,
    )
    if started.returncode != 0:
        raise SystemExit(f"gnome-keyring-daemon failed: {started.stderr.decode(errors='replace')}")
    print("+ gnome-keyring (Secret Service) on a private D-Bus session", flush=True)
    try:
        env = {**os.environ, "CIVTUI_TEST_SECRET_SERVICE": "1"}
        return subprocess.run(sys.argv[2:], cwd=ROOT, env=env, check=False).returncode
    finally:
        # The daemon ends with its D-Bus session, when dbus-run-session returns.
        shutil.rmtree(data, ignore_errors=True)


def bench() -> int:
    """The full benchmark suite (python -m bench), with PostgreSQL for the server-load figure."""
    install("dev,server")
    env = dict(os.environ)
    stop = None
    try:
        url, stop = start_postgres()
        env["CIVTUI_TEST_POSTGRES_URL"] = url
    except PostgresUnavailableError as exc:
        print(f"! PostgreSQL not available ({exc}); its server-load figure is skipped", flush=True)
    try:
        cmd = [str(BIN / "python"), "-m", "bench", *sys.argv[2:]]
        print("+", " ".join(cmd), flush=True)
        return subprocess.run(cmd, cwd=ROOT, env=env, check=False).returncode
    finally:
        if stop:
            stop()


def guard() -> int:
    """The bench guard (bench/guard.py): fails naming each ratio over its ceiling."""
    install("dev,server")
    return sh(BIN / "python", "-m", "bench.guard", *sys.argv[2:], check=False)


def build_laptop() -> int:
    """The one-folder laptop build (scripts/build_laptop.py; PyInstaller is in the dev extra)."""
    install("dev")
    return sh(BIN / "python", ROOT / "scripts" / "build_laptop.py", *sys.argv[2:], check=False)


#: What the print test (tests/test_print.py) runs, and the Debian package that brings it:
#: LibreOffice's spreadsheet without a GUI, poppler's PDF tools, a CJK font for the text.
PRINT_TOOLS = {"soffice": "libreoffice-calc-nogui", "pdftotext": "poppler-utils"}
CJK_FONT_PACKAGE = "fonts-noto-cjk"


def _has_cjk_font() -> bool:
    if shutil.which("fc-list") is None:
        return False
    found = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def _missing_print_packages() -> list[str]:
    missing = [pkg for tool, pkg in PRINT_TOOLS.items() if shutil.which(tool) is None]
    return missing + ([] if _has_cjk_font() else [CJK_FONT_PACKAGE])


def ensure_print_tools() -> None:
    """Install LibreOffice and poppler-utils on Debian when missing (as root), as for PostgreSQL.

    In CI they must be there: the print test is how a ledger is known to fit the paper.
    """
    missing = _missing_print_packages()
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=apt)
        install = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing]
        subprocess.run(install, check=False, env=apt)
        missing = _missing_print_packages()
    if missing:
        if os.environ.get("CI"):
            raise SystemExit(f"The print test needs {', '.join(missing)} in CI")
        print(f"! {', '.join(missing)} not installed; the print test is skipped", flush=True)


class PostgresUnavailableError(RuntimeError):
    pass


def _pg_bin() -> Path | None:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    return versions[-1].parent if versions else None


def start_postgres() -> tuple[str, Callable[[], None]]:
    """A throwaway PostgreSQL cluster on 127.0.0.1 for the tests; installs it on Debian if root."""
    if _pg_bin() is None and shutil.which("apt-get") and os.geteuid() == 0:
        apt = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=apt)
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=False, env=apt)
    bindir = _pg_bin()
    if bindir is None:
        raise PostgresUnavailableError("pg_ctl not found and it cannot be installed here")
    folder = Path(tempfile.mkdtemp(prefix="civtui-pg-"))
    data = folder / "data"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
    prefix: list[str] = []
    if os.geteuid() == 0:
        user = "postgres"
        shutil.chown(folder, user)
        prefix = ["runuser", "-u", user, "--"]
    initdb = [
        *prefix,
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        "civtui",
        "--auth=trust",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    ]
    if subprocess.run(initdb, capture_output=True, check=False).returncode != 0:
        raise PostgresUnavailableError("initdb failed")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    start = [
        *prefix,
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(folder / "log"),
        "-w",
        "start",
    ]
    if subprocess.run(start, capture_output=True, check=False).returncode != 0:
        raise PostgresUnavailableError((folder / "log").read_text(errors="replace")[-500:])

    def stop() -> None:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)

    print(f"+ PostgreSQL {bindir.parent.name} on 127.0.0.1:{port}", flush=True)
    return f"postgresql://civtui@127.0.0.1:{port}/postgres", stop


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 (this script may meet an old python3)
        sys.exit("civtui needs Python 3.11 or newer")
    commands = {
        "demo": demo,
        "test": test,
        "bench": bench,
        "guard": guard,
        "with-keyring": with_keyring,
        "build-laptop": build_laptop,
    }
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        return commands[sys.argv[1]]()
    except subprocess.CalledProcessError as exc:
        return exc.returncode or 1


if __name__ == "__main__":
    sys.exit(main())
