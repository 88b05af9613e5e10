"""Text is data, end to end: what a person types travels as it is and never runs.

Hostile names, addresses and notes (markup, terminal escapes, formulas, bidi marks, emoji,
astral characters) are typed into a laptop's visit form, synced through the real server
app to a second laptop, shown on that laptop's screens and written to every ledger. They
must arrive byte for byte, crash nothing, and come out of each export as text.

The expectations for the exports are written here from the rules the README and
civtui/excel/cells.py's docstring state (a string cell for every string; a `'` before a
.csv field a spreadsheet would read as a formula; control characters a workbook cannot hold
shown as their Unicode control pictures), not by calling the code that applies them.
"""

from __future__ import annotations

import asyncio
import atexit
import csv
import datetime as dt
import functools
import html
import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, assume, example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pydantic import ValidationError
from textual.widgets import TextArea

from civtui.app import CivtuiApp, make_app
from civtui.domain.clock import Clock
from civtui.domain.models import Person, Visit
from civtui.excel.export import Ledger, export_ledger
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from screens.confirm import ConfirmModal
from screens.person import PersonScreen
from tests.conftest import CTX, TODAY, examples, synthetic_id
from tests.sync_model import ROLES, VILLAGE_A, Laptop, Server, Templates, World, make_templates

pytestmark = pytest.mark.tui

#: Pieces a hostile string is made of: Rich/Textual markup, terminal escapes (CSI, OSC 8
#: hyperlinks, bell), spreadsheet formulas, bidi overrides and isolates, zero-width and
#: astral characters, quotes and format strings.
CHUNKS = [
    "[/]",
    "[bold]",
    "[reverse]反[/]",
    "[link=https://127.0.0.1/x]点我[/link]",
    "[@click=app.quit]",
    "\x1b[2J",
    "\x1b]8;;http://127.0.0.1/\x07链接\x1b]8;;\x07",
    "\x07",
    "\u202e",
    "\u2067",
    "\u200b",
    "=1+2",
    '=HYPERLINK("http://127.0.0.1/","看")',
    "+86",
    "-2+3",
    "@SUM(A1)",
    "\t",
    "\r",
    "😀",
    "𠀀",
    "张",
    "秀英",
    "\\",
    "'",
    '"',
    "{name}",
    "%s",
    "<b>",
]
#: Every name that the screens are checked to show literally, whatever else is drawn.
SHOWN = ["[/]张三", "[bold]李四", "=1+2王五"]

pieces = st.lists(
    st.one_of(
        st.sampled_from(CHUNKS),
        st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=3),
    ),
    min_size=1,
    max_size=8,
).map("".join)


def person_with(name: str, address: str, seq: int) -> Person | None:
    """The person the form's model makes of these words, or None if it refuses them."""
    try:
        return Person.model_validate(
            {
                "village_code": VILLAGE_A,
                "name": name,
                "id_number": synthetic_id(dt.date(1940, 3, 1), seq),
                "address": address,
                "categories": ["独居"],
                "registered_on": dt.date(2025, 1, 1),
            },
            context=CTX,
        )
    except ValidationError:
        return None


# -- what each export must hold, from the stated rules -------------------------------------

_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def in_workbook(text: str) -> str:
    """A string as a workbook keeps it: control pictures for what XML cannot hold, and line
    ends as XML reads them (CR and CR LF become LF)."""
    shown = _NOT_IN_XML.sub(lambda m: chr(0x2400 + ord(m.group())), text)
    return shown.replace("\r\n", "\n").replace("\r", "\n")


def in_csv(text: str) -> str:
    shown = _NOT_IN_XML.sub(lambda m: chr(0x2400 + ord(m.group())), text)
    first = unicodedata.normalize("NFKC", shown[:1])
    return "'" + shown if first[:1] in ("=", "+", "-", "@", "\t", "\r") else shown


@contextmanager
def civtui_home(folder: Path) -> Iterator[None]:
    saved = os.environ.get("CIVTUI_HOME")
    os.environ["CIVTUI_HOME"] = str(folder)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("CIVTUI_HOME", None)
        else:
            os.environ["CIVTUI_HOME"] = saved


def app_for(name: str) -> CivtuiApp:
    return make_app(Profile(name), clock=Clock.pinned(TODAY))


def screen_text(app: CivtuiApp) -> str:
    """What the terminal shows, as text: the screenshot's characters, row after row."""
    svg = app.export_screenshot()
    runs = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    return html.unescape("".join(runs)).replace("\xa0", " ")


@functools.cache
def village_templates() -> Templates:
    """The migrated server database and each laptop's new profile, made once per test process
    and copied by every journey (as tests/test_sync_machine.py does): a migration and three
    profiles cost more than a journey's sync."""
    folder = Path(tempfile.mkdtemp(prefix="civtui-hostile-templates-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return make_templates(folder)


class Village:
    """Two laptops of one village and the real server app between them, in one folder."""

    def __init__(self, folder: Path) -> None:
        templates = village_templates()
        self.world = World()
        self.server = Server(folder, templates.server)
        self.laptops: dict[str, Laptop] = {}
        for role in ROLES[:2]:
            path = folder / "profiles" / role.name / "civtui.db"
            path.parent.mkdir(parents=True)
            shutil.copytree(templates.profiles[role.name].parent, path.parent, dirs_exist_ok=True)
            store = open_store(path, Clock.pinned(TODAY))
            self.laptops[role.name] = Laptop(role, templates.tokens[role.name], store, self.world)

    def close(self) -> None:
        for laptop in self.laptops.values():
            laptop.store.close()
        self.server.close()

    def reopen(self, name: str) -> Laptop:
        laptop = self.laptops[name]
        laptop.store = open_store(laptop.store.path, Clock.pinned(TODAY))
        return laptop


def people(names: list[str], address: str) -> list[Person | None]:
    return [person_with(n, address, 101 + 2 * i) for i, n in enumerate(names)]


async def type_the_note(person: Person, note: str) -> None:
    """On laptop a1: the person's page, `v`, the note typed into the visit form, Ctrl+S."""
    app = app_for("a1")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.push_screen(PersonScreen(person.id))
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        app.screen.query_one("#in-notes", TextArea).text = note
        await pilot.press("ctrl+s")
        await pilot.pause()
        # The person has a visit today already: asked whether it is a second one, it is.
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, PersonScreen)


async def walk_the_screens(persons: list[Person]) -> None:
    """On laptop a2: the dashboard, the roster, each person's page and a visit of theirs."""
    app = app_for("a2")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        for person in persons:
            app.push_screen(PersonScreen(person.id))
            await pilot.pause()
            if person.name in SHOWN:
                assert person.name in screen_text(app)
            await pilot.press("enter")  # the visit under the cursor
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
        assert app.is_running


def lines_of(note: str | None) -> list[str]:
    """The note's lines, without the blank space around the whole."""
    return (note or "").strip().splitlines()


def journey(folder: Path, persons: list[Person], note: str) -> None:
    village = Village(folder)
    try:
        a1 = village.laptops["a1"]
        a1.store.save_many(persons)
        saved = [
            Visit.model_validate(
                {"person_id": person.id, "visit_date": TODAY, "visitor": "王", "notes": note},
                context=CTX,
            )
            for person in persons
        ]
        for visit in saved:
            a1.store.save(visit)
        a1.store.close()
        asyncio.run(type_the_note(persons[0], note))
        a1 = village.reopen("a1")
        typed = [v for v in a1.store.all(Visit) if v.person_id == persons[0].id]
        typed.sort(key=lambda v: v.id != saved[0].id)  # the one saved directly first
        # A record keeps the words and not the blank space around them (a leading
        # line break included), whichever way they came. The note area holds lines:
        # a typed copy keeps every line's words, though a rarer line separator (form
        # feed, U+2028 …) comes back as the area's own line break.
        assert len(typed) == 2
        direct = typed[0].notes or ""
        assert direct in note and direct.strip() == note.strip()
        assert lines_of(typed[1].notes) == lines_of(note)
        kept = {v.id: v.notes for v in a1.store.all(Visit)}
        sent = {p.id: p for p in a1.store.all(Person)}

        a1.sync(village.server)
        a2 = village.laptops["a2"]
        a2.sync(village.server)

        # Byte for byte on the second laptop.
        arrived = {p.id: p for p in a2.store.all(Person)}
        for person in persons:
            assert arrived[person.id].name == sent[person.id].name
            assert arrived[person.id].address == sent[person.id].address
        assert {v.id: v.notes for v in a2.store.all(Visit)} == kept

        # Every ledger, .xlsx and .csv.
        for ledger in Ledger:
            for suffix in (".xlsx", ".csv"):
                path = folder / f"{ledger.value}{suffix}"
                export_ledger(a2.store, ledger, path, month=TODAY.replace(day=1), today=TODAY)
        book = load_workbook(folder / "visits.xlsx")
        cells = [c for row in book.worksheets[0].iter_rows() for c in row if c.value is not None]
        for cell in cells:
            assert cell.data_type != "f", f"a formula in the ledger: {cell.value!r}"
        values = {c.value for c in cells}
        for person in persons:
            assert in_workbook(sent[person.id].name) in values
        with (folder / "visits.csv").open(encoding="utf-8-sig", newline="") as handle:
            fields = {f for row in csv.reader(handle) for f in row}
        for person in persons:
            assert in_csv(sent[person.id].name) in fields
        a2.store.close()

        asyncio.run(walk_the_screens([sent[p.id] for p in persons]))
        village.reopen("a2")
    finally:
        village.close()


@settings(
    max_examples=examples(6, 2),
    deadline=None,
    # Each example runs two apps and a sync: a failure is reported as found, not shrunk.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(name=pieces, address=pieces, note=pieces)
# Drawn once in CI: a note that begins with a line break is typed without it.
@example(name="[/]", address="=1", note="\r@\x96\x98\x1b")
def test_hostile_words_reach_the_other_laptop_and_every_export_as_text(
    name: str, address: str, note: str
) -> None:
    with tempfile.TemporaryDirectory(prefix="civtui-hostile-") as tmp:
        folder = Path(tmp)
        with civtui_home(folder):
            found = people([*SHOWN, name], address[:120])
            assume(all(p is not None for p in found))
            journey(folder, [p for p in found if p is not None], note)


def test_a_2000_character_hostile_note_and_every_chunk_pass_through(tmp_path: Path) -> None:
    note = ("".join(CHUNKS) * 40)[:2000]
    with civtui_home(tmp_path):
        found = people([*SHOWN, *CHUNKS[:6]], "".join(CHUNKS)[:120])
        persons = [p for p in found if p is not None]
        assert len(persons) == len(found), "the form's model refused a hostile name"
        journey(tmp_path, persons, note)
