from __future__ import annotations

import datetime as dt
import gc
import importlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from click.testing import CliRunner, Result
from keyring.backend import KeyringBackend

from civtui.domain import resident_id
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Village
from civtui.services import keys
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from db import Store

# What the app imports after its first frame (civtui/app.py STORE_MODULES), imported here so
# that every pilot opens its profile at once, as the app does when nothing is left to import:
# a pilot's first pause then finds the profile's screens, on a busy machine too. The path
# through the first frame, in a fresh interpreter, is tests/test_opening_frame.py's.
for _module in ("civtui.guard", "civtui.watch", "screens.dashboard", "screens.lock"):
    importlib.import_module(_module)

#: The layer markers: which part of the code each test file checks (tests/code_map.py).
pytest_plugins = ["tests.code_map"]

#: Set by `scripts/dev.py test --fast`: generated tests draw fewer examples there.
FAST = os.environ.get("CIVTUI_TEST_FAST") == "1"


def examples(full: int, fast: int) -> int:
    """How many examples a generated test draws: `full` in the whole suite, `fast` per commit."""
    return fast if FAST else full


#: Every test runs on this day unless it says otherwise.
TODAY = dt.date(2026, 11, 22)
CTX = {"today": TODAY}
VILLAGE = "330902112201"
#: `civtui init` for the test village; a later `--staff` on the command line wins.
INIT = [
    "init",
    "--village-code",
    VILLAGE,
    "--village-name",
    "海星村",
    "--staff",
    "王",
    "--role",
    "assistant",
]


def synthetic_id(birth: dt.date, seq: int = 101, area: str = "330902") -> str:
    """A checksummed, made-up resident ID (odd `seq` = male)."""
    return resident_id.make(area, birth, seq)


class MemoryKeyring(KeyringBackend):
    """A keyring that lives in memory, standing in for the OS one during tests.

    tests/test_keys.py uses the real Secret Service (gnome-keyring) instead.
    """

    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def delete_password(self, service: str, username: str) -> None:
        self.items.pop((service, username), None)


@pytest.fixture(autouse=True)
def no_user_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the user's own data directory: a test that asks for no `home`
    still gets an empty one of its own (a CLI run saves settings there, --lang among them)."""
    monkeypatch.setenv("CIVTUI_HOME", str(tmp_path_factory.mktemp("no-user-home")))


@pytest.fixture(autouse=True)
def vault(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """Every test's profiles are encrypted, their keys kept in a keyring of the test's own."""
    monkeypatch.delenv(keys.PASSPHRASE_ENV, raising=False)
    before = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    keys.forget()
    keys.set_prompt(None)  # a test that needs a passphrase gives it (stdin or the env)
    yield memory
    keys.forget()
    keys.set_prompt(None)
    keyring.set_keyring(before)


#: scrypt's N for a passphrase key derived inside a test process: 2^10 costs about 4 ms,
#: production's `keys.SCRYPT_N` (2^17) about half a second of CPU, paid at every init, open,
#: key export and import with a passphrase (38 times in the files that use one).
QUICK_SCRYPT_N = 2**10


@pytest.fixture(autouse=True)
def quick_scrypt(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A passphrase key is derived with N=2^10 where civtui asks for production's N.

    Every derivation in the test process goes through here, so what one step derives the
    next derives again alike; key.json and key files still say production's costs, and
    those costs are still checked when read. A test that hands a passphrase profile to a
    `civtui` process of its own (which derives with the real cost) is marked `real_kdf`, as
    are the tests of the production KDF itself: tests/test_no_keyring.py and
    tests/test_security.py's passphrase round trip.
    """
    if request.node.get_closest_marker("real_kdf"):
        return
    derive = keys.derive

    def quick(
        passphrase: str,
        salt: bytes,
        n: int = keys.SCRYPT_N,
        r: int = keys.SCRYPT_R,
        p: int = keys.SCRYPT_P,
    ) -> bytes:
        return derive(passphrase, salt, QUICK_SCRYPT_N if n == keys.SCRYPT_N else n, r, p)

    monkeypatch.setattr(keys, "derive", quick)


@pytest.fixture
def clock() -> Clock:
    return Clock.pinned(TODAY)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data directory that the CLI and profiles use instead of the user's."""
    path = tmp_path / "home"
    monkeypatch.setenv("CIVTUI_HOME", str(path))
    monkeypatch.delenv("CIVTUI_PROFILE", raising=False)
    monkeypatch.delenv("CIVTUI_TODAY", raising=False)
    # Never the developer's own server or token: a test syncs only where it says so.
    monkeypatch.delenv("CIVTUI_SERVER", raising=False)
    monkeypatch.delenv("CIVTUI_TOKEN", raising=False)
    # The app's exports go to the documents folder (platformdirs): the test's own.
    monkeypatch.setenv("XDG_DOCUMENTS_DIR", str(tmp_path / "documents"))
    return path


def run_cli(*args: str) -> Result:
    """`civtui` on TODAY, in process, as the command-line tests run it."""
    from civtui.cli import main

    return CliRunner().invoke(main, ["--today", TODAY.isoformat(), *args], catch_exceptions=False)


@pytest.fixture
def cli_profile(home: Path) -> Profile:
    """The default profile as `civtui init` makes it for the test village."""
    result = run_cli(*INIT)
    assert result.exit_code == 0, result.output
    return Profile("default")


def stored_people(profile: Profile) -> list[Person]:
    """Everyone in `profile`, by name."""
    store = open_store(profile.db_path)
    try:
        return store.all(Person, order_by="name")
    finally:
        store.close()


@pytest.fixture(scope="session")
def store_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A new profile's folder, migrated once per test process, and its key's id and key.

    Creating the schema is ~0.1 s of CPU (hundreds of statements), paid by every test that
    asks for `store`; a copy of the files costs a millisecond. Built in a keyring of its own,
    and without a device id, so each copy is given a new one as a new profile would be.
    """
    before = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        path = tmp_path_factory.mktemp("store-template") / "p" / "civtui.db"
        made = open_store(path, Clock.pinned(TODAY))
        with made.db.atomic():
            made.db.execute("DELETE FROM meta WHERE key = 'device_id'")
        made.close()
        info, key = keys.read_info(path), keys.key_for(path)
    finally:
        keys.forget()
        keyring.set_keyring(before)
    assert info is not None and key is not None
    return path.parent, info.id, key.hex()


@pytest.fixture
def store(
    tmp_path: Path, clock: Clock, vault: MemoryKeyring, store_template: tuple[Path, str, str]
) -> Iterator[Store]:
    folder, key_id, key = store_template
    shutil.copytree(folder, tmp_path / "p")
    vault.set_password(keys.SERVICE, f"key:{key_id}", key)
    s = open_store(tmp_path / "p" / "civtui.db", clock)
    s.save(Village(id=VILLAGE, name="海星村", township="金塘镇"))
    yield s
    s.close()


def make_person(birth: dt.date = dt.date(1950, 5, 6), seq: int = 101, **fields: object) -> Person:
    data: dict[str, object] = {
        "village_code": VILLAGE,
        "name": "测试人",
        "id_number": synthetic_id(birth, seq),
        "registered_on": dt.date(2025, 1, 1),
        **fields,
    }
    return Person.model_validate(data, context=CTX)


#: Fixtures that start a server process or open PostgreSQL: a test asking for one is in the
#: `server` tier, wherever it is written, so a new test cannot slip into the fast tier.
SERVER_FIXTURES = frozenset({"server", "empty_database", "postgres_database"})
#: Likewise a snapshot test runs the app, so it is in the `tui` tier.
TUI_FIXTURES = frozenset({"snap_compare"})


#: The longest tests of the whole suite (`--durations`, bench/RESULTS.md 2026-12-06 (b)), run
#: first: scripts/dev.py hands tests to the two workers in collection order (`--dist
#: loadgroup --no-loadscope-reorder`), so a long one started last would leave one worker
#: idle while the other finishes it. A prefix of a test's id; one no longer here is no harm.
LONGEST_FIRST = (
    "tests/test_sync_machine.py::test_the_sync_machine",
    "tests/test_laptop_build.py",
    "tests/test_wheel.py",
    "tests/test_bench.py",
    # One test each of 1–3 minutes' wall on a loaded machine (bench/RESULTS.md 2026-12-06 (f)):
    # the deploy page after the wheel, whose build it shares (tests/install_helpers.py).
    "tests/test_deploy_doc.py::test_the_deploy_page_runs_as_written",
    "tests/test_hostile_text_journey.py",
    "tests/test_standings.py",
    "tests/test_contact_facts.py",
)


def _longest_first(item: pytest.Item) -> int:
    for rank, prefix in enumerate(LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(LONGEST_FIRST)


def _module_scoped(item: pytest.Item) -> bool:
    """Whether the test uses a fixture built once per module (a build): its module's tests
    then run on one worker, so it is built once. (A session fixture, such as the state
    machine's templates, is built once per worker and leaves the module free to spread.)"""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return False
    return any(
        d.scope in ("module", "package", "class")
        for defs in info.name2fixturedefs.values()
        for d in defs
    )


#: The cyclic collector's first threshold in the test process (CPython's default is 700).
#: A pilot test makes and drops Textual's widgets, styles and strips by the hundred thousand;
#: at 700, a full pass over the process's half a million objects (Textual, pydantic,
#: hypothesis, the cached demo profile) came every test or two and took a fifth of a pilot
#: file's CPU (bench/RESULTS.md 2026-12-06 (s)). Garbage is still collected, less often.
GC_FIRST_THRESHOLD = 10_000


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the collection imported stays for the whole run: kept out of the collector's
    passes (as `sync/server/app.py` does for the server's start-up), and the passes made
    rarer. This changes when cycles are freed, never what a test runs or checks."""
    gc.collect()
    gc.freeze()
    _, second, third = gc.get_threshold()
    gc.set_threshold(GC_FIRST_THRESHOLD, second, third)


@pytest.hookimpl(tryfirst=True)  # before xdist reads the xdist_group marks
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & SERVER_FIXTURES:
            item.add_marker(pytest.mark.server)
        if names & TUI_FIXTURES:
            item.add_marker(pytest.mark.tui)
    grouped = {item.path for item in items if _module_scoped(item)}
    for item in items:
        if item.path in grouped:
            item.add_marker(pytest.mark.xdist_group(item.path.stem))
    items.sort(key=_longest_first)  # stable: the rest keep their order
