from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from civtui.domain import resident_id
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Village
from db import Store, open_store

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
    return path


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Iterator[Store]:
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
