"""Shared by the tests of civtui as installed software: a built wheel, a fresh venv, ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

import httpx
import pytest
from filelock import FileLock

ROOT = Path(__file__).resolve().parent.parent
CONSTRAINTS = ROOT / "scripts" / "constraints.txt"


def _ports(first: int) -> range:
    """Five ports from `first`, or from the top of CIVTUI_TEST_PORTS (`LOW-HIGH`, a machine
    shared by several test runs gives each its own range) when that is set; the sync tests
    draw theirs at random from the whole range (tests/sync_harness.py), so these stay apart
    from most of its draws."""
    low, _, high = os.environ.get("CIVTUI_TEST_PORTS", "").partition("-")
    if low.isdigit() and high.isdigit() and int(high) - int(low) >= 19:
        first = int(high) - 9 + (first - 8860)
    return range(first, first + 5)


#: This suite's ports for the servers it starts, a half for each test file: under xdist the
#: two files run at once, and a port one picks stays free until its server starts, minutes
#: later, so a shared range could be handed to both.
WHEEL_PORTS = _ports(8860)
DEPLOY_PORTS = _ports(8865)
#: A profile passphrase for tests only (the demo asks for 8 characters at least).
PASSPHRASE = "test-passphrase-1"

#: A keyring kept in a JSON file, for a civtui running in another process: `login` must store
#: its token somewhere, and never in the developer's own keyring. Loaded by keyring through
#: PYTHON_KEYRING_BACKEND from a folder of its own, so the installed civtui is the one run.
FILE_KEYRING = """
import json, os
from pathlib import Path
from keyring.backend import KeyringBackend


class FileKeyring(KeyringBackend):
    priority = 1

    def _path(self):
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _load(self):
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service, username):
        return self._load().get(f"{service}/{username}")

    def set_password(self, service, username, password):
        items = self._load()
        items[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(items))

    def delete_password(self, service, username):
        items = self._load()
        items.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(items))
"""


def free_port(ports: range) -> int:
    """A port of `ports` that nothing listens on now."""
    for port in ports:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"every port in {ports} is taken")


#: What is not source: a copy of the checkout for a build leaves these behind.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".*_cache", ".hypothesis",
    ".import_linter_cache", ".cache", "snapshot_report.html",
)  # fmt: skip


def build_release(out: Path) -> tuple[Path, Path]:
    """What `python -m build` makes of a copy of this checkout, into `out`: the sdist, then
    the wheel built from the unpacked sdist, so a file the sdist leaves out is missing from
    the wheel too.

    From a copy, because setuptools writes build/ and *.egg-info into the source folder and
    two tests building at once would write over each other's. Through build's API rather than
    its command line only to make the isolated environment (a venv with the pyproject's
    build requirements) once for both: the command line makes one for each, and each cost
    ~1.5 s of CPU of a ~7 s build. The steps are the command line's own.
    """
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    subprocess.run([sys.executable, "-c", _BUILD, str(source), str(out)],
                   check=True, capture_output=True, cwd=source)  # fmt: skip
    (sdist,) = out.glob("civtui-*.tar.gz")
    (wheel,) = out.glob("civtui-*.whl")
    return sdist, wheel


#: `python -m build SOURCE --outdir OUT` in one isolated environment (build.__main__'s
#: _build_in_isolated_env, twice). In a child: the build frontend's logging and its
#: environment variables stay out of the test process.
_BUILD = """
import sys, tarfile, tempfile
from pathlib import Path
import build
from build.env import DefaultIsolatedEnv

source, out = Path(sys.argv[1]), Path(sys.argv[2])
with DefaultIsolatedEnv() as env:
    def make(folder, distribution):
        builder = build.ProjectBuilder.from_isolated_env(env, folder)
        env.install(builder.build_system_requires)
        env.install(builder.get_requires_for_build(distribution))
        return Path(builder.build(distribution, out))

    sdist = make(source, "sdist")
    with tempfile.TemporaryDirectory() as unpacked, tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
        make(Path(unpacked) / sdist.name.removesuffix(".tar.gz"), "wheel")
"""


def download_wheelhouse(wheel: Path, constraints: Path, out: Path) -> None:
    """Into `out`: the wheel and every distribution `wheel[server]` needs, as `constraints`
    pins them, as pip resolves them from the indexes.

    Installs from this folder only (`--no-index`): resolving against the indexes parses every
    release of every dependency (~46,000 links), ~9 s of CPU for the page's older pip, and
    the suite installs the wheel three times.
    """
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check",
               "--dest", str(out), "--constraint", str(constraints), f"{wheel}[server]"]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, env=clean_env())


def shared_release(factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sdist and the wheel of this checkout, built once per test run.

    tests/test_wheel.py and tests/test_deploy_doc.py both install the wheel; a build costs
    about 6 s of CPU, and the two files may run at once on two xdist workers. The folder
    above a worker's base temp is the run's own (every worker of the run shares it, a later
    run gets a new one), so the first file to ask builds there under a lock and the other
    waits for it and reads the same files: one build of one source tree, as a release is.
    The wheelhouse both install from (`shared_wheelhouse`) is made with it.
    """
    out = _release_folder(factory)
    (sdist,) = out.glob("civtui-*.tar.gz")
    (wheel,) = out.glob("civtui-*.whl")
    return sdist, wheel


def shared_wheelhouse(factory: pytest.TempPathFactory) -> Path:
    """The folder of `download_wheelhouse` for this run's wheel, made once per run."""
    return _release_folder(factory) / "wheelhouse"


def _release_folder(factory: pytest.TempPathFactory) -> Path:
    run = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        run = run.parent
    out, done = run / "release", run / "release.built"
    with FileLock(str(run / "release.lock")):
        if not done.exists():
            shutil.rmtree(out, ignore_errors=True)  # a build that failed half-way
            out.mkdir()
            _, wheel = build_release(out)
            download_wheelhouse(wheel, CONSTRAINTS, out / "wheelhouse")
            done.touch()
    return out


def make_venv(folder: Path, requirement: str, wheelhouse: Path) -> Path:
    """A fresh venv with `requirement` installed (not editable) from `wheelhouse` only,
    pinned; its bin folder.

    Installed by this interpreter's pip into the venv's Python (`pip --python`), not by a pip
    of the venv's own: seeding one (ensurepip) and running the older pip it bundles cost
    about 12 s of CPU of the 20 s an install took. What lands in the venv is the same.
    """
    venv.create(folder, with_pip=False, clear=True)
    bin_dir = folder / ("Scripts" if os.name == "nt" else "bin")
    # --no-compile: bytecode is written for what runs, not for every module of every package.
    command = [sys.executable, "-m", "pip", "--python", str(bin_dir / "python"), "install",
               "--quiet", "--no-compile", "--disable-pip-version-check",
               "--no-index", "--find-links", str(wheelhouse),
               "--constraint", str(CONSTRAINTS), requirement]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, env=clean_env())
    return bin_dir


def clean_env(**extra: str) -> dict[str, str]:
    """The environment without this checkout on the path: only the installed civtui runs,
    and it keeps the bytecode it compiles, as an installed program does. The installs write
    none up front (`--no-compile`): under a PYTHONDONTWRITEBYTECODE of the caller's, each
    command would compile every module it imports again, ~1 s of CPU a start.
    """
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE")
    }
    for name in ("CIVTUI_PROFILE", "CIVTUI_TODAY", "CIVTUI_SERVER", "CIVTUI_TOKEN"):
        env.pop(name, None)
    env.update(extra)
    return env


def wait_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60  # a loaded 2-core machine starts Python slowly
    # One client for every try: `httpx.get` makes one each time, and each loads the system's
    # certificates (~50 ms of CPU, for a plain-HTTP address) while the server starts.
    with httpx.Client(base_url=base, timeout=1) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"server exited: {log.read_text(errors='replace')}")
            try:
                if client.get("/v1/health").status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
    raise RuntimeError(f"server did not start: {log.read_text(errors='replace')}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
