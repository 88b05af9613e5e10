"""A conflict's values read in the reader's words on every screen that shows them.

The change log keeps choices as codes ("fair", "living_alone"); the person page, the list of
conflicts and the conflict dialog show the words the forms show (一般, 独居、空巢 / "Lives
alone, Empty nest"), and a value typed by a person stays literal text.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from civtui.app import CivtuiApp
from civtui.domain.models import Person, Visit
from db import outbox
from db.outbox import PulledConflict
from screens.conflict import ConflictModal
from screens.person import PersonScreen
from tests.conftest import CTX
from tests.tui_helpers import app_on, demo_profile, open_from_pending, steady

pytestmark = pytest.mark.tui

#: What each screen must say for the lost categories, and the codes it must not show.
CATEGORIES = {"zh": "独居、空巢", "en": "Lives alone, Empty nest"}
CODES = ("living_alone", "empty_nest", "fair")


def pull(
    app: CivtuiApp, conflict_id: int, table: str, record_id: str, field: str, lost: object
) -> None:
    """A conflict as a pull brings it: this laptop's value of `field` lost."""
    outbox.apply_page(
        app.store,
        [],
        [
            PulledConflict(
                id=conflict_id,
                table=table,
                record_id=record_id,
                field=field,
                kept_value=None,
                lost_value=lost,
                kept_device="other",
                lost_device=app.store.device_id,
                lost_hlc="1764118800000-0000-other",
            )
        ],
        outbox.cursor(app.store),
    )


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
        pull(app, 1, "persons", person.id, "categories", ["living_alone", "empty_nest"])
        pull(app, 2, "persons", person.id, "notes", "[b]=SUM(A1)\\e")

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
        pull(app, 1, "visits", visit.id, "health", "fair")
        await open_from_pending(pilot)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConflictModal)
        assert static(app.screen, "#conflict-lost") == "一般"
