"""A village's township is kept: a laptop set up without one never blanks it elsewhere.

`civtui init` takes `--township` as optional. A second laptop of a village set up without
it sends the village record with an empty township, stamped later than the first laptop's;
the server's merge and the laptops' pull keep a set township (`Synced.kept_when_blank`),
and the new laptop gets the township with its first sync.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from civtui.domain.models import Village
from civtui.services.profile import first_records
from db import outbox
from db.store import Remote, open_store
from tests.sync_model import ROLES, VILLAGE_A, Laptop, Server, World, make_templates

TOWNSHIP = "金塘镇"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Server, Laptop, Laptop]]:
    templates = make_templates(tmp_path / "templates")
    world = World()
    server = Server(tmp_path, templates.server)
    first_role, second_role = ROLES[0], ROLES[1]
    first = Laptop(
        first_role,
        templates.tokens[first_role.name],
        open_store(templates.profiles[first_role.name], world.clock(0)),
        world,
    )
    # The second laptop as `civtui init` without `--township` makes it, a day later.
    world.ms += 86_400_000
    clock = world.clock(0)
    village, staff = first_records(
        village_code=VILLAGE_A,
        village_name="海星村",
        township="",
        staff_name="李四",
        role="assistant",
        clock=clock,
    )
    store = open_store(tmp_path / "second" / "civtui.db", clock)
    store.save_many([village, staff])
    with store.transaction():
        store.set_meta("staff_id", staff.id)
    second = Laptop(second_role, templates.tokens[second_role.name], store, world)
    yield server, first, second
    first.store.close()
    second.store.close()
    server.close()


def _township(laptop: Laptop) -> str:
    return laptop.store.get(Village, VILLAGE_A).township  # type: ignore[union-attr]


def test_second_laptop_init_without_township_keeps_it_everywhere(
    world: tuple[Server, Laptop, Laptop],
) -> None:
    server, first, second = world
    first.sync(server)
    assert server.records()[("villages", VILLAGE_A)].data["township"] == TOWNSHIP
    assert _township(second) == ""

    report = second.sync(server)
    assert report.rejected == 0, report

    assert server.records()[("villages", VILLAGE_A)].data["township"] == TOWNSHIP
    # The new laptop learns the township from the server with its first sync.
    assert _township(second) == TOWNSHIP
    first.sync(server)
    assert _township(first) == TOWNSHIP
    # Nothing left to send, and the blank was no conflict to resolve.
    assert second.store.pending_count() == 0
    assert not server.conflicts()


def test_a_township_can_still_be_renamed(world: tuple[Server, Laptop, Laptop]) -> None:
    server, first, second = world
    first.sync(server)
    second.sync(server)
    renamed = second.store.get(Village, VILLAGE_A)
    assert renamed is not None
    second.store.save(renamed.model_copy(update={"township": "金塘镇（新）"}))
    second.sync(server)
    first.sync(server)
    assert server.records()[("villages", VILLAGE_A)].data["township"] == "金塘镇（新）"
    assert _township(first) == "金塘镇（新）"


def test_pull_never_blanks_a_set_township(world: tuple[Server, Laptop, Laptop]) -> None:
    """A server that took a blank before it kept townships: the laptop keeps its own."""
    server, first, _second = world
    first.sync(server)  # nothing unsent: the pull alone decides
    blank = Remote(
        table="villages",
        record_id=VILLAGE_A,
        fields={"id": VILLAGE_A, "name": "海星村（更名）", "township": "  "},
        deleted=False,
        hlc="9999999999999-0000-elsewhere",
        device_id="elsewhere",
        version=10**15,
    )
    outbox.apply_page(first.store, [blank], [], 10**15)
    village = first.store.get(Village, VILLAGE_A)
    assert village is not None
    # The rest of the record is the server's; only the blank is refused.
    assert (village.name, village.township) == ("海星村（更名）", TOWNSHIP)


def test_a_township_that_arrives_after_the_blank_still_stands(
    world: tuple[Server, Laptop, Laptop],
) -> None:
    """The laptop set up without a township syncs first; the one with it, later, though
    its village record is older."""
    server, first, second = world
    second.sync(server)
    assert server.records()[("villages", VILLAGE_A)].data["township"] == ""
    assert first.sync(server).rejected == 0
    assert server.records()[("villages", VILLAGE_A)].data["township"] == TOWNSHIP
    second.sync(server)
    assert (_township(first), _township(second)) == (TOWNSHIP, TOWNSHIP)
    assert not [c for c in server.conflicts() if c["field"] == "township"]
