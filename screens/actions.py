"""Opening the right form for a person, shared by the dashboard, roster and person view."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from civtui.domain.models import Person
from civtui.services import reads
from screens.base import CivScreen


def open_contact_form(screen: CivScreen[Any], person_id: str, on_saved: Callable[[], None]) -> None:
    """A child check for a child, a visit for anyone else; `on_saved` runs after a save."""
    from screens.child_check_form import ChildCheckForm
    from screens.visit_form import VisitForm

    host, app = screen.civ, screen.app
    person = host.store.get(Person, person_id)
    if person is None:
        return

    def done(saved: bool | None) -> None:
        if saved:
            on_saved()

    if person.is_child(host.today):
        previous = reads.latest_child_check(host.store, person.id)
        app.push_screen(ChildCheckForm(person, previous), done)
    else:
        app.push_screen(VisitForm(person), done)
