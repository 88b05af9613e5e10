"""Where a profile lives on disk, and the few settings kept beside it.

The data directory is `CIVTUI_HOME` if set, else the platform's user data
directory. It holds `settings.json` (language, current profile — nothing
secret) and one folder per profile with its SQLite file.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

from civtui.i18n import said
from db.connection import PRIVATE_FILE, backup, private_folder

if TYPE_CHECKING:
    # The settings and the profile's paths are read before the app's first frame; the
    # records, the store and the keys only when a profile is made (imported there).
    from civtui.domain.choices import Role
    from civtui.domain.clock import Clock
    from civtui.domain.errors import Problem
    from civtui.domain.models import Record, Staff, Village
    from db import Store

#: Beside an encrypted profile's database: where its key comes from (`civtui.services.keys`).
KEY_FILE = "key.json"
DEFAULT_PROFILE = "default"
DEMO_PROFILE = "demo"
_NAME = re.compile(r"^[\w\-]{1,40}$")


def home_dir() -> Path:
    env = os.environ.get("CIVTUI_HOME")
    return Path(env).expanduser() if env else Path(platformdirs.user_data_dir("civtui"))


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (0600) through a temporary file, so a crash leaves the old."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    tmp.replace(path)


def secure_home() -> Path:
    """The data folder and its profiles/ folder, made private (they may predate this)."""
    home = private_folder(home_dir())
    private_folder(home / "profiles")
    return home


@dataclass
class Settings:
    """User settings; a token never goes here (it lives in the OS keyring).

    A dataclass, not a pydantic model: the settings are read before the app's first frame,
    which pydantic would add a tenth of a second of CPU to. Its methods are named as
    pydantic's are, so callers read like every other model's."""

    profile: str = DEFAULT_PROFILE
    lang: str = "zh"
    auto_sync: bool = True
    #: A Textual theme name; light themes suit bright rooms and old screens.
    theme: str = "textual-dark"
    #: Key overrides by binding id, e.g. {"dashboard.visit": "f2"} (Textual keymaps).
    keymap: dict[str, str] = field(default_factory=dict)
    #: Minutes without a key press or click after which the app locks (0: never).
    lock_minutes: int = 10
    #: Where automatic backups go (typically a USB stick); None: no automatic backups.
    backup_dir: str | None = None
    #: How often an automatic backup is taken, and how many are kept in backup_dir.
    backup_every_hours: int = 24
    backups_kept: int = 7
    #: Where the app writes ledgers (plain .xlsx, outside the encrypted profile); None: a
    #: civtui folder in the user's documents folder, never the profile's own home.
    export_dir: str | None = None
    #: Exports older than this many days in that folder are offered for deletion.
    exports_kept_days: int = 30
    #: The ledgers the app wrote (absolute paths): only these are ever offered for deletion.
    exports_written: list[str] = field(default_factory=list)

    def model_copy(self, *, update: Mapping[str, Any] | None = None) -> Settings:
        return replace(self, **dict(update or {}))

    def model_dump(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def model_validate_json(cls, text: str) -> Settings:
        """The settings in `text`; SettingsError if it is not JSON or a value has the wrong
        type (a key it does not know is left out, as an older or newer civtui wrote it)."""
        try:
            data = json.loads(text)
        except ValueError:
            raise SettingsError("not JSON") from None
        if not isinstance(data, dict):
            raise SettingsError("not an object")
        given = {}
        for f in fields(cls):
            if f.name in data:
                if not _SETTING_TYPES[str(f.type)](data[f.name]):
                    raise SettingsError(f"{f.name}: not {f.type}")
                given[f.name] = data[f.name]
        return cls(**given)


class SettingsError(ValueError):
    """settings.json cannot be read as settings."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


#: What each type of setting accepts from the file. A setting of a type not here fails the
#: check below when this module is imported: a new type is added here with it.
_SETTING_TYPES: dict[str, Callable[[object], bool]] = {
    "str": lambda v: isinstance(v, str),
    "bool": lambda v: isinstance(v, bool),
    "int": _is_int,
    "str | None": lambda v: v is None or isinstance(v, str),
    "dict[str, str]": lambda v: (
        isinstance(v, dict) and all(isinstance(x, str) for pair in v.items() for x in pair)
    ),
    "list[str]": lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
}
assert {str(f.type) for f in fields(Settings)} <= set(_SETTING_TYPES), "a setting's type"


def settings_path() -> Path:
    return home_dir() / "settings.json"


def load_settings() -> Settings:
    path = settings_path()
    try:
        return Settings.model_validate_json(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, SettingsError, UnicodeDecodeError):
        # A missing or damaged settings file must never stop the app from opening.
        return Settings()


def save_settings(settings: Settings) -> None:
    secure_home()
    write_private(settings_path(), json.dumps(settings.model_dump(), ensure_ascii=False, indent=2))


@dataclass(frozen=True)
class Profile:
    """A named profile: one folder, one database file."""

    name: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name):
            raise ValueError(said("profile.bad_name", name=self.name))

    @property
    def folder(self) -> Path:
        return home_dir() / "profiles" / self.name

    @property
    def db_path(self) -> Path:
        return self.folder / "civtui.db"

    def exists(self) -> bool:
        return self.db_path.exists()


def current_profile(name: str | None = None) -> Profile:
    """The profile named on the command line, else `CIVTUI_PROFILE`, else the saved one."""
    chosen = name or os.environ.get("CIVTUI_PROFILE") or load_settings().profile
    return Profile(chosen)


def make_current(profile: Profile) -> None:
    settings = load_settings()
    save_settings(settings.model_copy(update={"profile": profile.name}))


class ProfileExistsError(FileExistsError):
    """A profile is already there and --force was not given."""


def create_profile(
    profile: Profile,
    records: list[Record],
    staff_id: str,
    clock: Clock,
    *,
    force: bool = False,
    passphrase: str | None = None,
) -> Path | None:
    """Create `profile` holding `records`, all logged for sync; returns where an old one went.

    An existing profile is never deleted: with `force` it is moved aside, so
    records it had not synced yet can still be recovered. `passphrase` makes a new
    profile's key from it (a laptop with no keyring, asked on the setup screen); a
    profile rebuilt with `force` keeps its key, which the copy moved aside needs.
    """
    if not profile.exists():
        _fill(profile, records, staff_id, clock, passphrase)
        return None
    if not force:
        raise ProfileExistsError(
            f"档案“{profile.name}”已存在（{profile.db_path}）；"
            "如确需重建，请加 --force（旧文件会改名保留）"
        )
    from civtui.services import ownership
    from civtui.services.keys import open_store

    # Replacing a profile moves its files: not while the app (or a restore) has it.
    with ownership.exclusive(profile.db_path, "init --force"):
        stamp = clock.now().strftime("%Y%m%d-%H%M%S")
        moved = profile.db_path.with_name(f"civtui.db.replaced-{stamp}.bak")
        old = open_store(profile.db_path, clock)
        try:
            backup(old.db, moved, old.key)
        finally:
            old.close()
        for suffix in ("", "-wal", "-shm"):
            profile.db_path.with_name(profile.db_path.name + suffix).unlink(missing_ok=True)
        _fill(profile, records, staff_id, clock)
    return moved


def _fill(
    profile: Profile,
    records: list[Record],
    staff_id: str,
    clock: Clock,
    passphrase: str | None = None,
) -> None:
    from civtui.services import keys
    from civtui.services.keys import open_store

    secure_home()
    private_folder(profile.folder)
    if passphrase is not None:
        keys.create_key(profile.db_path, passphrase)  # open_store below finds it
    store = open_store(profile.db_path, clock)
    try:
        first_writes(store, records, staff_id, clock)
    finally:
        store.close()


def first_writes(store: Store, records: list[Record], staff_id: str, clock: Clock) -> None:
    """What a new profile's empty store is given: its first records, all logged for sync,
    and who made it, when."""
    store.save_many(records)
    with store.transaction():
        store.set_meta("staff_id", staff_id)
        store.set_meta("created_at", clock.now().isoformat(timespec="seconds"))


#: The details a new profile asks for, each with the (record kind's name, field) it fills.
SETUP_FIELDS: dict[str, tuple[str, str]] = {
    "village_code": ("Village", "id"),
    "village_name": ("Village", "name"),
    "township": ("Village", "township"),
    "staff": ("Staff", "name"),
    "role": ("Staff", "role"),
}


class SetupError(ValueError):
    """A new profile's details are wrong: a message for each wrong detail (SETUP_FIELDS keys)."""

    def __init__(self, problems: dict[str, Problem]) -> None:
        super().__init__("\n".join(map(str, problems.values())))
        self.problems = problems


def first_records(
    *,
    village_code: str,
    village_name: str,
    township: str,
    staff_name: str,
    role: Role | str,
    clock: Clock,
    lang: str = "zh",
) -> tuple[Village, Staff]:
    """The village and the staff member a new profile starts with, or SetupError in `lang`."""
    from pydantic import ValidationError

    from civtui.domain.errors import explain
    from civtui.domain.models import Staff, Village

    given: dict[str, object] = {
        "village_code": village_code,
        "village_name": village_name,
        "township": township,
        "staff": staff_name,
        "role": role,
    }
    problems: dict[str, Problem] = {}
    records: list[Record] = []
    for kind in (Village, Staff):
        data = {f: given[n] for n, (k, f) in SETUP_FIELDS.items() if k == kind.__name__}
        if kind is Staff:
            data["village_codes"] = [village_code]
        try:
            records.append(kind.model_validate(data, context={"today": clock.today()}))
        except ValidationError as exc:
            field_to_name = {f: n for n, (k, f) in SETUP_FIELDS.items() if k == kind.__name__}
            for problem in explain(exc, kind, lang):
                name = field_to_name.get(problem.field, "village_code")
                problems.setdefault(name, problem)
    if problems:
        raise SetupError(problems)
    village, staff = records
    assert isinstance(village, Village) and isinstance(staff, Staff)
    return village, staff


def install(
    profile: Profile,
    records: list[Record],
    staff_id: str,
    clock: Clock,
    *,
    force: bool = False,
    passphrase: str | None = None,
) -> Path | None:
    """Create `profile` with `records` and make it the current one; returns where an old one went."""
    moved = create_profile(profile, records, staff_id, clock, force=force, passphrase=passphrase)
    make_current(profile)
    return moved


def set_up(
    profile: Profile,
    *,
    village_code: str,
    village_name: str,
    township: str,
    staff_name: str,
    role: Role | str,
    clock: Clock,
    lang: str = "zh",
    force: bool = False,
    passphrase: str | None = None,
) -> Path | None:
    """Set this laptop up: one village, the staff member using it; `civtui init` and the setup
    screen both come here. Raises SetupError (nothing written) or ProfileExistsError.

    `passphrase`: the new profile's key is made from it (no keyring; the setup screen)."""
    village, staff = first_records(
        village_code=village_code,
        village_name=village_name,
        township=township,
        staff_name=staff_name,
        role=role,
        clock=clock,
        lang=lang,
    )
    return install(profile, [village, staff], staff.id, clock, force=force, passphrase=passphrase)


def export_folder(settings: Settings) -> Path:
    """Where the app writes ledgers: the setting, else <documents>/civtui-exports (made 0700)."""
    chosen = settings.export_dir
    folder = (
        Path(chosen).expanduser()
        if chosen
        else Path(platformdirs.user_documents_dir()) / "civtui-exports"
    )
    return private_folder(folder)


#: How many written ledgers are remembered; older entries are forgotten, never deleted.
EXPORTS_REMEMBERED = 500


def remember_export(path: Path) -> None:
    """Note that the app wrote the ledger at `path` (see old_exports)."""
    settings = load_settings()
    written = [p for p in settings.exports_written if p != str(path)] + [str(path)]
    save_settings(settings.model_copy(update={"exports_written": written[-EXPORTS_REMEMBERED:]}))


def forget_exports(paths: list[Path]) -> None:
    settings = load_settings()
    gone = {str(p) for p in paths}
    kept = [p for p in settings.exports_written if p not in gone]
    save_settings(settings.model_copy(update={"exports_written": kept}))


def old_exports(folder: Path, days: int, now: float, written: list[str]) -> list[Path]:
    """The ledgers the app wrote into `folder` (`written`) older than `days` days, oldest first.

    Only files civtui noted it wrote, never every .xlsx there: the folder may be one the
    user chose, their own documents folder, and their own spreadsheets are not ours to
    offer for deletion. A ledger's name alone would not tell (people copy and rename).
    """
    cutoff = now - days * 86400
    found = [
        p
        for p in map(Path, written)
        if p.parent == folder and p.is_file() and p.stat().st_mtime < cutoff
    ]
    return sorted(found, key=lambda p: p.stat().st_mtime)
