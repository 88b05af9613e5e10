"""Opening the right form for a person, shared by the dashboard, roster and person view."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from civtui.domain.models import Person
from db import queries

if TYPE_CHECKING:
    from civtui.app import CivtuiApp


def open_contact_form(app: CivtuiApp, person_id: str, on_saved: Callable[[], None]) -> None:
    """A child check for a child, a visit for anyone else; `on_saved` runs after a save."""
    from screens.child_check_form import ChildCheckForm
    from screens.visit_form import VisitForm

    person = app.store.get(Person, person_id)
    if person is None:
        return

    def done(saved: bool | None) -> None:
        if saved:
            on_saved()

    if person.is_child(app.today):
        previous = queries.latest_child_check(app.store, person.id)
        app.push_screen(ChildCheckForm(person, previous), done)
    else:
        app.push_screen(VisitForm(person), done)
