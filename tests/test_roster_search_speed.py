"""The roster's keystroke path made cheap still lists what it listed before.

A keystroke now reuses each person's cells until the next load (and a categories cell for
every row with the same labels at the same width), leaves the table alone
when the same people are listed, fills the table in one change (`add_rows_at_once`), and
keeps each first character's matches until the filters change or the next load
(`search.Letters`). Each shortcut is checked against the plain way, with names that look like markup.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input
from textual.widgets.data_table import ColumnKey, DuplicateKey, RowKey

from civtui.domain import search, shown
from civtui.domain.models import Person
from screens.conflicts import ConflictsScreen
from screens.dashboard import DashboardScreen
from screens.followups import FollowUpScreen
from screens.help import HelpScreen
from screens.pending import PendingScreen
from screens.roster import RosterScreen
from screens.textual_compat import add_rows_at_once
from tests.tui_helpers import app_on, demo_profile, steady

pytestmark = pytest.mark.tui

HOSTILE = ["[/]", "[bold]王=", "李\\[x]", "\x1b[2J张"]


class Tables(App[None]):
    def compose(self) -> ComposeResult:
        yield DataTable(id="one", cursor_type="row")
        yield DataTable(id="bulk", cursor_type="row")


def _state(table: DataTable[Any]) -> tuple[object, ...]:
    rows = [(key.value, row.height, row.auto_height, row.label) for key, row in table.rows.items()]
    data = [
        (key.value, [(c.value, repr(v)) for c, v in cells.items()])
        for key, cells in table._data.items()
    ]
    locations = [table._row_locations.get(key) for key in table.rows]
    return rows, data, locations, table.cursor_coordinate, table.row_count


async def test_rows_added_at_once_leave_the_table_add_row_leaves() -> None:
    app = Tables()
    rows = [(f"id{i}", (Text(name), i, Text(f"村{i}"))) for i, name in enumerate(HOSTILE * 3)]
    async with app.run_test(size=(80, 30)) as pilot:
        one, bulk = app.query_one("#one", DataTable), app.query_one("#bulk", DataTable)
        for table in (one, bulk):
            table.add_columns("name", "age", "village")
        for key, cells in rows:
            one.add_row(*cells, key=key)
        add_rows_at_once(bulk, rows)
        await pilot.pause()
        assert _state(one) == _state(bulk)
        # Drawn the same: the hostile names as their characters.
        assert [one.get_row_at(i) for i in range(len(rows))] == [
            bulk.get_row_at(i) for i in range(len(rows))
        ]
        lines = [strip.text for strip in bulk.render_lines(bulk.region.reset_offset)]
        assert any("[/]" in line for line in lines)
        # Added to a table that has rows, and refused for a key it holds, as add_row does.
        add_rows_at_once(bulk, [("more", (Text("x"),))])
        assert bulk.get_row("more")[0] == Text("x") and bulk.row_count == len(rows) + 1
        with pytest.raises(DuplicateKey):
            add_rows_at_once(bulk, [("id0", (Text("again"),))])
        with pytest.raises(ValueError):
            add_rows_at_once(bulk, [("wide", (1, 2, 3, 4))])


async def test_search_lists_the_same_people_and_a_reload_shows_a_new_name(home: Path) -> None:
    profile = demo_profile(home)
    app = app_on(profile)
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        people = app.store.all(Person, order_by="name")
        for person, name in zip(people, HOSTILE, strict=False):
            app.store.save(person.model_copy(update={"name": name}))
        app.push_screen(RosterScreen())
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        box = roster.query_one("#search", Input)
        table = roster.query_one("#people", DataTable)

        def listed() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        for query, expected in (("[/", "[/]"), ("[bold]王=", "[bold]王="), ("\\[x", "李\\[x]")):
            box.value = query
            await pilot.pause()
            assert listed() == [expected]
            assert [r.name for r in roster.shown] == [expected]
        # The same people listed again: the table keeps its rows, the very same cells.
        box.value = "李\\"
        await pilot.pause()
        before = table.get_row_at(0)
        box.value = "李\\["
        await pilot.pause()
        assert listed() == ["李\\[x]"] and table.get_row_at(0)[0] is before[0]
        # Everyone again, in the order of the plain listing.
        box.value = ""
        await pilot.pause()
        assert [r.id for r in roster.shown] == [r.id for r in roster.rows[: len(roster.shown)]]
        assert listed() == [r.name.replace("\x1b", "␛") for r in roster.shown]
        # A renamed person is shown by the new name after the next load (e.g. back from a save).
        renamed = app.store.get(Person, people[2].id)
        assert renamed is not None
        app.store.save(renamed.model_copy(update={"name": "[red]新名"}))
        roster.load()
        box.value = "新名"
        await pilot.pause()
        assert listed() == ["[red]新名"]


async def test_each_listed_row_s_categories_are_fitted_as_fit_list_fits_them_at_its_width(
    home: Path,
) -> None:
    """A keystroke reuses the categories cell of an earlier row with the same labels at the
    same width; what is drawn is still each row's labels fitted at the column's width now,
    as `fmt.fit_list` fits them, after a narrower window and a new search too."""
    from civtui.domain.choices import CHILD_CATEGORIES, DERIVED_CATEGORIES, Category
    from screens import format as fmt

    app = app_on(demo_profile(home), lang="en")
    typed = [c for c in Category if c not in CHILD_CATEGORIES | DERIVED_CATEGORIES]
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        elders = [p for p in app.store.all(Person, order_by="id") if p.age_on(app.today) >= 75]
        for elder, name in zip(elders[:3], ["[/]甲", "[/]乙=", "[/]丙\\e"], strict=True):
            app.store.save(elder.model_copy(update={"name": name, "categories": typed}))
        app.push_screen(RosterScreen())
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        box = roster.query_one("#search", Input)
        table = roster.query_one("#people", DataTable)

        def fitted_as_fit_list_fits_them() -> int:
            width = table.columns[ColumnKey("categories")].width
            for row in roster.shown:
                labels = fmt.category_labels(row.categories, "en", row.derived)
                expected = fmt.fit_list(labels, "en", width, whole=True)
                cell = table.get_cell(row.id, ColumnKey("categories"))
                assert isinstance(cell, Text) and cell.plain == expected, (row.name, width)
                assert table.rows[RowKey(row.id)].height == expected.count("\n") + 1
            return width

        box.value = "[/]"
        await pilot.pause()
        assert sorted(r.name for r in roster.shown) == ["[/]丙\\e", "[/]乙=", "[/]甲"]
        wide = fitted_as_fit_list_fits_them()
        await pilot.resize_terminal(80, 40)
        await pilot.pause()
        assert fitted_as_fit_list_fits_them() < wide
        box.value = "[/]乙"
        await pilot.pause()
        assert [r.name for r in roster.shown] == ["[/]乙="]
        fitted_as_fit_list_fits_them()
        box.value = ""
        await pilot.pause()
        fitted_as_fit_list_fits_them()


def test_the_quick_check_finds_exactly_the_characters_a_terminal_obeys() -> None:
    """`visible` asks one pattern whether a value needs anything drawn; every code point it
    finds (and none it misses) is one `needs_showing` names."""
    everything = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)
    found = {m.start() for m in shown._NEEDS_SHOWING.finditer(everything)}
    named = {i for i, c in enumerate(everything) if shown.needs_showing(c)}
    assert found == named
    assert shown.visible("[/]\x1b[2J\u202e王=") == "[/]␛[2J\\u202e王="
    assert shown.visible("[bold]王=") == "[bold]王="


def test_pinyin_is_loaded_in_a_thread_of_its_own_and_keys_are_unchanged() -> None:
    started = search.warm()
    if started is not None:
        started.join(60)
    assert "pypinyin" in sys.modules
    assert search.warm() is None  # once per process
    assert search.search_key("曾丰") == "曾丰|cengfeng|cf|zengfeng|zf"
    assert search.search_key("曾[/]丰") == "曾[/]丰|ceng[/]feng|c[f|zeng[/]feng|z[f"


async def test_a_save_from_the_dashboard_or_roster_reloads_the_screen_once(home: Path) -> None:
    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen)
        for screen in (dashboard, RosterScreen()):
            if isinstance(screen, RosterScreen):
                app.push_screen(screen)
                await pilot.pause()
                screen.query_one("#people", DataTable).focus()
            loads: list[int] = []
            real = screen.load

            def counted(real: Any = real, loads: list[int] = loads) -> None:
                loads.append(1)
                real()

            screen.load = counted  # type: ignore[method-assign]
            visits = len(app.store.changes())
            await pilot.press("v")
            await pilot.pause()
            assert app.screen is not screen
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert app.screen is screen and len(app.store.changes()) > visits
            assert len(loads) == 1


LISTS: list[type[RosterScreen | PendingScreen | FollowUpScreen | ConflictsScreen]] = [
    RosterScreen,
    PendingScreen,
    FollowUpScreen,
    ConflictsScreen,
]


async def test_a_list_is_read_once_as_it_opens_and_again_when_it_comes_back(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Textual resumes a screen as it first shows it, right after its mount: a list read on
    mount is not read again then (the 待同步 list of the demo profile is 500 rows), and is
    read again when a screen over it closes."""
    loads: list[str] = []
    for kind in LISTS:

        def counted(self: Any, *args: Any, real: Any = kind.load, **kwargs: Any) -> None:
            loads.append(type(self).__name__)
            real(self, *args, **kwargs)

        monkeypatch.setattr(kind, "load", counted)
    app = app_on(demo_profile(home))
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        for kind in LISTS:
            loads.clear()
            screen = kind()
            app.push_screen(screen)
            await pilot.pause()
            assert app.screen is screen and loads == [kind.__name__]
            app.push_screen(HelpScreen())
            await pilot.pause()
            app.pop_screen()
            await pilot.pause()
            assert app.screen is screen and loads == [kind.__name__] * 2
            app.pop_screen()
            await pilot.pause()
            assert isinstance(app.screen, DashboardScreen)


def test_first_characters_kept_find_what_match_finds() -> None:
    """`search.Letters` keeps each one-character query's matches; every query, asked once or
    again, past its limit of kept characters too, finds what `search.match` finds."""
    people = search.entries(
        [
            ("a", "张三|zhangsan|zs", "33090219500101123X"),
            ("b", "[/]王=|[/]wang=|[w", "330902195001010123"),
            ("c", "李\\[x]|li\\[x]|l[", "330902195001010456"),
            ("d", "\x1b[2j张|\x1b[2jzhang|\x1b[2z", "330902195001010789"),
            ("e", "x先生|xxiansheng|xxs", "330902195001011000"),
        ]
    )
    letters = search.Letters(people)
    typed = {c for e in people for c in e.search_key + e.id_number} | {"x", "X", " x ", "Q"}
    queries = [*sorted(typed), "", "zh", "1230", "123x", "[/", "\\[", "张三"]
    for _ in range(2):
        for query in queries:
            assert letters.match(query) == search.match(people, query), query
    assert [e.person_id for e in letters.match("x")] == ["a", "c", "e"]
    assert [e.person_id for e in letters.match("X")] == ["a", "c", "e"]
    assert [e.person_id for e in letters.match("[")] == ["b", "c", "d"]
    few = search.Letters(people)
    few.LIMIT = 3
    for query in queries * 2:
        assert few.match(query) == search.match(people, query), query
    assert len(few._kept) <= 3


async def test_a_first_character_after_a_filter_or_a_reload_lists_the_people_shown_now(
    home: Path,
) -> None:
    """The kept first characters belong to one listing: a filter or a reload starts anew."""
    from textual.widgets import Select

    app = app_on(demo_profile(home))
    async with app.run_test(size=(120, 40)) as pilot:
        await steady(pilot)
        app.push_screen(RosterScreen())
        await pilot.pause()
        roster = app.screen
        assert isinstance(roster, RosterScreen)
        box = roster.query_one("#search", Input)

        async def shown_for(query: str) -> list[str]:
            box.value = ""
            await pilot.pause()
            box.value = query
            await pilot.pause()
            return [r.id for r in roster.shown]

        everyone = await shown_for("z")
        assert everyone == [r.id for r in search.match(roster._filtered, "z")][:100]
        village = roster.rows[-1].village_code
        roster.query_one("#filter-village", Select).value = village
        await pilot.pause()
        in_village = await shown_for("z")
        assert in_village == [r.id for r in search.match(roster._filtered, "z")][:100]
        assert in_village != everyone
        assert all(r.village_code == village for r in roster.shown)
        # A first character nobody's name has, asked (and kept) before someone gets it.
        assert await shown_for("曦") == []
        person = next(r for r in roster.rows if r.village_code == village and r.age >= 18)
        stored = app.store.get(Person, person.id)
        assert stored is not None
        app.store.save(stored.model_copy(update={"name": "[/]曦="}))
        roster.load()
        assert await shown_for("曦") == [person.id]
        assert [r.name for r in roster.shown] == ["[/]曦="]


@pytest.mark.parametrize("compact", [False, True])
async def test_the_footer_s_keys_end_as_textual_s_own_footer_leaves_them(compact: bool) -> None:
    """`textual_compat.Footer` gives each key the footer's style before it mounts; the keys,
    their classes and what they draw are those of Textual's footer, compact or not."""
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widgets import Footer as TextualFooter
    from textual.widgets._footer import FooterKey

    from screens.textual_compat import Footer

    class Keys(Screen[None]):
        BINDINGS = [
            Binding("a", "first", "[/]甲=", id="a"),
            Binding("b", "second", "乙\\[x]", id="b"),
            Binding("c", "third", "丙", show=False),
        ]

        def __init__(self, footer: TextualFooter) -> None:
            super().__init__()
            self.footer = footer

        def compose(self) -> ComposeResult:
            yield self.footer

    async def keys(footer: TextualFooter) -> list[tuple[object, ...]]:
        app: App[None] = App()
        async with app.run_test(size=(80, 10)) as pilot:
            app.push_screen(Keys(footer))
            await pilot.pause()
            await pilot.pause()
            return [
                (k.key, k.description, sorted(k.classes), k.compact, k.render().plain)
                for k in app.screen.query(FooterKey)
            ]

    stock = await keys(TextualFooter(compact=compact))
    ours = await keys(Footer(compact=compact))
    assert ours == stock
    assert [k[:2] for k in ours] == [("a", "[/]甲="), ("b", "乙\\[x]"), ("ctrl+p", "palette")]


async def test_the_footer_makes_its_keys_again_only_when_they_change() -> None:
    """Through changes of focus that add a key, take it away, leave the keys as they are and
    disable one, `textual_compat.Footer` shows what Textual's footer shows; where the keys
    are the same, the same keys stay rather than being made again."""
    from textual.binding import Binding
    from textual.screen import Screen
    from textual.widgets import Footer as TextualFooter
    from textual.widgets._footer import FooterKey

    from screens.textual_compat import Footer

    class Field(Input):
        BINDINGS = [Binding("f2", "pick", "[/]选=")]

    class Keys(Screen[None]):
        BINDINGS = [Binding("f3", "first", "[/]甲="), Binding("f4", "second", "乙\\[x]")]
        second: bool | None = True

        def __init__(self, footer: TextualFooter) -> None:
            super().__init__()
            self.footer = footer

        def compose(self) -> ComposeResult:
            yield Field(id="one")
            yield Input(id="two")
            yield Input(id="three")
            yield self.footer

        def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
            return self.second if action == "second" else True

    async def walk(footer: TextualFooter) -> list[list[tuple[Any, ...]]]:
        app: App[None] = App()
        seen: list[list[tuple[Any, ...]]] = []
        async with app.run_test(size=(80, 10)) as pilot:
            screen = Keys(footer)
            app.push_screen(screen)
            await pilot.pause()
            for step in ("#one", "#two", "#three", "disable", "#one"):
                if step == "disable":
                    screen.second = None  # shown, but cannot be used
                    screen.refresh_bindings()
                else:
                    screen.query_one(step, Input).focus()
                await pilot.pause()
                await pilot.pause()
                seen.append(
                    [
                        (k, k.key, k.description, sorted(k.classes), k.render().plain)
                        for k in screen.query(FooterKey)
                    ]
                )
        return seen

    stock, ours = await walk(TextualFooter()), await walk(Footer())
    assert [[k[1:] for k in keys] for keys in ours] == [[k[1:] for k in keys] for keys in stock]
    one, two, _, _, again = ([k[1] for k in keys] for keys in ours)
    assert "f2" in one and "f2" not in two and "f2" in again
    assert any("-disabled" in k[3] for k in ours[3]) and not any(
        "-disabled" in k[3] for k in ours[2]
    )
    # From one input to another with the same keys: the very same keys, not new ones (each
    # step's keys are held in `seen`, so a new key cannot be one made before).
    assert all(a[0] is b[0] for a, b in zip(ours[2], ours[1], strict=True))
    assert not any(a[0] is b[0] for a, b in zip(stock[2], stock[1], strict=True))


def test_roster_rows_share_category_sets_and_are_what_each_person_s_own_read_gives(
    home: Path,
) -> None:
    """`person_rows` works each set of categories out once per load; every row is the row
    read for that person alone, and equal sets are one object."""
    from civtui.domain.choices import Category
    from civtui.services.keys import open_store
    from db import queries
    from tests.conftest import TODAY

    profile = demo_profile(home)
    store = open_store(profile.db_path)
    try:
        people = store.all(Person, order_by="id")
        adults = [p for p in people if p.age_on(TODAY) >= 60]
        two = [Category.SERIOUS_ILLNESS, Category.DIBAO]
        for person, cats, name in zip(
            adults[:4], [two, two[::-1], [], two], ["[/]甲=", "乙\\[x]", "丙", "丁"], strict=True
        ):
            store.save(person.model_copy(update={"categories": cats, "name": name}))
        rows = queries.person_rows(store, TODAY)
        assert len(rows) == len(people)
        for row in rows:
            assert queries.person_rows(store, TODAY, [row.id]) == [row]
        assert len({id(r.categories) for r in rows}) == len({r.categories for r in rows})
        assert len({id(r.derived) for r in rows}) == len({r.derived for r in rows})
        first = {r.id: r for r in rows}
        assert first[adults[0].id].categories >= set(two)
        assert first[adults[0].id].categories is first[adults[1].id].categories
        assert first[adults[1].id].name == "乙\\[x]"
    finally:
        store.close()
