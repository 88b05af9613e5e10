"""A conflict's values read in the reader's words on every screen that shows them.

The change log keeps choices as codes ("fair", "living_alone"); the person page, the list of
conflicts and the conflict dialog show the words the forms show (一般, 独居、空巢 / "Lives
alone, Empty nest"), and a value typed by a person stays literal text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from civtui.domain.models import Person, Visit
from screens.conflict import ConflictModal
from screens.person import PersonScreen
from tests.conftest import CTX
from tests.tui_helpers import app_on, demo_profile, open_from_pending, pull_conflict, steady

pytestmark = pytest.mark.tui

#: What each screen must say for the lost categories, and the codes it must not show.
CATEGORIES = {"zh": "独居、空巢", "en": "Lives alone, Empty nest"}
CODES = ("living_alone", "empty_nest", "fair")


def static(screen: object, selector: str) -> str:
    assert isinstance(screen, (PersonScreen, ConflictModal))
    return str(screen.query_one(selector, Static).render())


@pytest.mark.parametrize("lang", ["zh", "en"])
async def test_lost_choices_read_as_words_on_the_person_page_the_list_and_the_dialog(
    home: Path, lang: str
) -> None:
    app = app_on(demo_profile(home), lang)
    categories = CATEGORIES[lang]
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        person = app.store.all(Person, order_by="id")[0]
        person = person.revise(context=CTX, name="[/]王=秀英")
        app.store.save(person)
        pull_conflict(
            app,
            1,
            "persons",
            person.id,
            "categories",
            kept=None,
            lost=["living_alone", "empty_nest"],
        )
        pull_conflict(app, 2, "persons", person.id, "notes", kept=None, lost="[b]=SUM(A1)\\e")

        app.push_screen(PersonScreen(person.id))
        await pilot.pause()
        page = static(app.screen, "#conflicts")
        assert categories[:11] in page  # the page shortens a value to a dozen characters
        assert "[b]=SUM(A1" in page
        assert not any(code in page for code in CODES)

        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConflictModal)
        lost = static(app.screen, "#conflict-lost")
        shown_first = app.screen.choice.conflict.field
        assert lost == (categories if shown_first == "categories" else "[b]=SUM(A1)\\e")
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()

        await open_from_pending(pilot)
        table = app.screen.query_one("#conflicts", DataTable)
        cells = [str(c) for i in range(table.row_count) for c in table.get_row_at(i)]
        assert categories[:11] in " ".join(cells)
        assert not any(code in " ".join(cells) for code in CODES)


async def test_a_record_s_choice_in_a_conflict_reads_as_its_label(home: Path) -> None:
    """A visit's 健康状况 that lost shows 一般 in the dialog opened from the list."""
    app = app_on(demo_profile(home), "zh")
    async with app.run_test(size=(80, 24)) as pilot:
        await steady(pilot)
        visit = next(v for v in app.store.all(Visit) if v.health is not None)
        pull_conflict(app, 1, "visits", visit.id, "health", kept=None, lost="fair")
        await open_from_pending(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictModal)
        assert static(app.screen, "#conflict-lost") == "一般"
