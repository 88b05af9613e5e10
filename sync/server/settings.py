"""The server's settings in one place: flags, then `CIVTUI_SERVER_*` variables, then a TOML file.

`civtui server config` prints what is in force, so an office can see which of the three a
value came from when something is not as expected.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)
from sqlalchemy.engine import make_url

#: Names the TOML file when no `--config` is given.
CONFIG_ENV = "CIVTUI_SERVER_CONFIG"

Level = Literal["DEBUG", "INFO", "WARNING", "ERROR"]


class ServerSettings(BaseSettings):
    """What `civtui server ...` runs with; each field is also `CIVTUI_SERVER_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="CIVTUI_SERVER_", extra="forbid")

    database: str | None = Field(
        default=None,
        description="sqlite:///path or postgresql://…; unset: a SQLite file in the user's data folder",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8765, ge=1, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    log_level: Level = "INFO"
    #: JSON lines, one per event; unset: plain lines on the terminal only.
    log_file: Path | None = None
    #: Where a SQLite database is copied before a migration; unset: beside the database.
    backup_dir: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Flags (passed as init values) beat the environment, which beats the file.
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def database_url(self) -> str:
        from sync.server import storage

        return storage.database_url(self.database)

    def environment(self) -> dict[str, str]:
        """These settings as `CIVTUI_SERVER_*` variables, for worker processes to read back."""
        values = self.model_dump(mode="json", exclude_none=True)
        return {f"CIVTUI_SERVER_{k.upper()}": str(v) for k, v in values.items()}

    def shown(self) -> dict[str, Any]:
        """The settings as printed: the database URL with its password masked."""
        values = self.model_dump(mode="json")
        values["database"] = masked(self.database_url())
        return values


def masked(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def load(config: Path | None = None, **flags: Any) -> ServerSettings:
    """The settings in force: `flags` that were given (not None), the environment, the file.

    The file is `config`, else `$CIVTUI_SERVER_CONFIG`, else none.
    """
    path = config or (Path(os.environ[CONFIG_ENV]) if os.environ.get(CONFIG_ENV) else None)
    given = {k: v for k, v in flags.items() if v is not None}
    if path is None:
        return ServerSettings(**given)
    if not path.is_file():
        raise FileNotFoundError(path)

    class FromFile(ServerSettings):
        model_config = SettingsConfigDict(toml_file=path)

    return FromFile(**given)
