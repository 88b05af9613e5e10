"""A record's history names the fields another laptop changed, when and from which
laptop, as sync brings them; fields this laptop had not sent yet are not among them."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy
from textual.widgets import Static

from civtui.app import make_app
from civtui.domain.choices import Condition, Mood
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person, Visit
from civtui.i18n import Translator
from civtui.services import records
from civtui.services.profile import Profile
from db import Store
from db.history import record_history
from db.store import Remote
from screens.record import RecordScreen
from sync import client as client_module
from sync import words as sync_words
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Server, device, server
from tests.test_tui_records import shown_text
from tests.tui_helpers import demo_profile

__all__ = ["server"]  # the fixture

#: 2026-11-22 10:30 China time, as a stamp's wall-clock part.
AT_MS = int(dt.datetime(2026, 11, 22, 10, 30, tzinfo=CHINA_TZ).timestamp() * 1000)
#: A day before: pulled before anything this laptop does today.
DAY_BEFORE = AT_MS - 24 * 3600 * 1000


def a_visit(person: Person, **fields: object) -> Visit:
    data: dict[str, object] = {
        "person_id": person.id,
        "visit_date": TODAY,
        "visitor": "王晓丽",
        **fields,
    }
    return Visit.model_validate(data, context=CTX)


def pulled(visit: Visit, device_id: str = "laptop-b", ms: int = AT_MS, **fields: object) -> Remote:
    """The visit as another laptop's edit leaves it on the server."""
    row = {**visit.row(), **fields}
    return Remote(
        table="visits",
        record_id=visit.id,
        fields=row,
        deleted=False,
        hlc=f"{ms:013d}-0000-{device_id}",
        device_id=device_id,
    )


def test_a_pulled_edit_is_a_step_with_its_fields_old_and_new(store: Store) -> None:
    person = make_person()
    visit = a_visit(person, safety_hazards=[])
    store.save_many([person, visit])
    with store.transaction():
        store.apply_remote(
            [pulled(visit, health="fair", safety_hazards=["fire"], notes="屋顶漏雨")], {}
        )
    steps = record_history(store, "visits", visit.id)
    [step] = [s for s in steps if s.pulled]
    assert step.op == "update" and not step.local
    assert step.device_id == "laptop-b"
    assert step.at == dt.datetime(2026, 11, 22, 10, 30, tzinfo=CHINA_TZ)
    assert step.fields == {"health": "fair", "safety_hazards": ["fire"], "notes": "屋顶漏雨"}
    assert step.before == {"health": "good", "safety_hazards": [], "notes": ""}
    # No "remote" line without fields beside it: the step says it all.
    assert [s.op for s in steps] == ["insert", "update"]


def test_fields_kept_for_an_unsent_local_edit_are_not_changed_by_the_other_laptop(
    store: Store,
) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    # This laptop changed the mood and has not sent it; the other laptop changed mood and health.
    store.save(visit.model_copy(update={"mood": Mood.LOW}))
    with store.transaction():
        store.apply_remote(
            [pulled(visit, health="poor", mood="fair")],
            {("visits", visit.id): frozenset({"mood"})},
        )
    [step] = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert step.fields == {"health": "poor"}
    assert store.get(Visit, visit.id).mood is Mood.LOW  # type: ignore[union-attr]


def test_a_pull_that_changes_nothing_here_adds_no_step(store: Store) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    with store.transaction():
        store.apply_remote([pulled(visit, device_id=store.device_id)], {})
    assert not [s for s in record_history(store, "visits", visit.id) if s.pulled]


def test_pulled_new_records_and_deletes_are_steps(store: Store) -> None:
    person = make_person()
    store.save(person)
    visit = a_visit(person)
    with store.transaction():
        store.apply_remote([pulled(visit)], {})
    gone = Remote(**{**pulled(visit, ms=AT_MS + 60_000).model_dump(), "deleted": True})
    with store.transaction():
        store.apply_remote([gone], {})
    steps = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert [(s.op, s.device_id) for s in steps] == [("insert", "laptop-b"), ("delete", "laptop-b")]
    assert steps[1].at - steps[0].at == dt.timedelta(minutes=1)


def test_a_pulled_record_is_a_step_per_stamp_that_set_its_changed_fields(store: Store) -> None:
    """With its field stamps (`Remote.stamps`), one pulled record is a step per stamp among
    the fields it changed here: each by its own device and time, a field left out of the
    stamps by the record's; a delete by the stamp of the delete, though a later edit of
    the tombstone made the record's stamp another's."""
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    b_stamp = f"{AT_MS:013d}-0000-former-b"  # made under b's former id, sent under its new
    edited = pulled(visit, device_id="laptop-c", ms=AT_MS + 60_000, health="poor", notes="[/]=1")
    edited = edited.model_copy(update={"stamps": {"health": (b_stamp, "laptop-b")}})
    with store.transaction():
        store.apply_remote([edited], {})
    gone = pulled(visit, device_id="laptop-e", ms=AT_MS + 180_000, health="poor", notes="=2")
    deleted_by = (f"{AT_MS + 120_000:013d}-0000-laptop-d", "laptop-d")
    gone = gone.model_copy(
        update={
            "deleted": True,
            "stamps": {"_deleted": deleted_by, "health": (b_stamp, "laptop-b")},
        }
    )
    with store.transaction():
        store.apply_remote([gone], {})
    steps = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert [(s.op, s.device_id, s.at - steps[0].at, s.before, s.fields) for s in steps] == [
        ("update", "laptop-b", dt.timedelta(0), {"health": "good"}, {"health": "poor"}),
        ("update", "laptop-c", dt.timedelta(minutes=1), {"notes": ""}, {"notes": "[/]=1"}),
        ("delete", "laptop-d", dt.timedelta(minutes=2), {}, {}),
        ("update", "laptop-e", dt.timedelta(minutes=3), {"notes": "[/]=1"}, {"notes": "=2"}),
    ]


def test_two_versions_in_one_page_are_compared_each_with_the_one_before(store: Store) -> None:
    person = make_person()
    visit = a_visit(person)
    store.save_many([person, visit])
    first = pulled(visit, health="fair")
    second = pulled(visit, ms=AT_MS + 1000, health="poor")
    with store.transaction():
        store.apply_remote([first, second], {})
    steps = [s for s in record_history(store, "visits", visit.id) if s.pulled]
    assert [(s.before, s.fields) for s in steps] == [
        ({"health": "good"}, {"health": "fair"}),
        ({"health": "fair"}, {"health": "poor"}),
    ]


@SCREEN_ON_SQLITE
@pytest.mark.tui
async def test_laptop_b_sees_what_laptop_a_changed_in_health(server: object, home: Path) -> None:
    a = device(server, "a")  # type: ignore[arg-type]
    b = device(server, "b")  # type: ignore[arg-type]
    person = make_person(name="王秀英")
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    # Laptop A corrects the visit's health at 15:20, syncs; laptop B syncs.
    a.store.clock = Clock(dt.datetime(2026, 11, 22, 15, 20, tzinfo=CHINA_TZ))
    a.store.save(visit.model_copy(update={"health": Condition.POOR}))
    a.sync()
    b.sync()
    [step] = [s for s in record_history(b.store, "visits", visit.id) if s.op == "update"]
    assert step.pulled and step.device_id == a.store.device_id
    assert (step.before, step.fields) == ({"health": "good"}, {"health": "poor"})
    assert step.at == dt.datetime(2026, 11, 22, 15, 20, tzinfo=CHINA_TZ)
    a_device = a.store.device_id
    b.store.close()
    a.store.close()

    # And on laptop B's screen, in both languages.
    for lang, words in [
        ("zh", ["2026-11-2215:20", f"另一台电脑{a_device[:8]}", "健康状况：良好→较差"]),
        ("en", ["2026-11-2215:20", f"anotherlaptop,{a_device[:8]}", "Health:Good→Poor"]),
    ]:
        app = make_app(Profile("b"), lang=lang, clock=Clock.pinned(TODAY))
        async with app.run_test(size=(120, 40)) as pilot:
            stored = app.store.get(Visit, visit.id)
            shown = app.store.get(Person, person.id)
            assert stored is not None and shown is not None
            app.push_screen(RecordScreen(stored, shown))
            await pilot.pause()
            history = shown_text(app.screen.query_one("#record-history", Static))
            for word in words:
                assert word in history, (word, history)


def test_a_first_release_profile_migrated_keeps_pulled_steps(tmp_path: Path, clock: Clock) -> None:
    """m012 on a profile from the first release (m001 only) that already holds a record pulled
    from another laptop: that record shows one line without fields (all this laptop knew of
    it), and the next pull is a step with its fields, which takes that line's place."""
    from db import migrations
    from db.connection import connect
    from db.store import open_store

    path = tmp_path / "old.db"
    old = connect(path)
    migrations.migrations.apply(old, stop_before="m002_person_search")
    person = make_person()
    visit = a_visit(person)
    stamp = f"{AT_MS:013d}-0000-laptop-b"
    old.execute(
        "INSERT INTO villages (id, name, township, updated_at, device_id, hlc) "
        "VALUES (?, '海星村', '金塘镇', '2026-11-01', 'laptop-b', ?)",
        [person.village_code, stamp],
    )
    for table, row in (("persons", person.row()), ("visits", visit.row())):
        columns = {
            k: json.dumps(v, ensure_ascii=False) if isinstance(v, list) else v
            for k, v in row.items()
            if k in {c.name for c in old.table(table).columns}
        }
        columns |= {"updated_at": "2026-11-01", "device_id": "laptop-b", "hlc": stamp}
        old.table(table).insert(columns)
    old.conn.close()

    store = open_store(path, clock)  # migrates, m012 included
    try:
        assert [(s.op, s.fields) for s in record_history(store, "visits", visit.id)] == [
            ("remote", {})
        ]
        with store.transaction():
            store.apply_remote([pulled(visit, ms=AT_MS + 60_000, health="fair")], {})
        [step] = record_history(store, "visits", visit.id)
        assert step.pulled and (step.before, step.fields) == (
            {"health": "good"},
            {"health": "fair"},
        )
    finally:
        store.close()


def test_history_credits_the_laptop_whose_value_won_not_the_one_that_pushed_last(
    server: Server, home: Path
) -> None:
    """Laptop A edits a phone, B edits it 2 s later, B syncs, then A: on A the value pulled
    is B's, at the time B made it, with A's own value that lost beside it; on the server
    the record's stamp is B's, as its field's is."""
    clock = Clock(dt.datetime(2026, 11, 22, 10, 0, tzinfo=CHINA_TZ))
    a = device(server, "a", clock=clock)
    b = device(server, "b", clock=clock)
    person = make_person(name="王秀英", phone="13905800001")
    a.store.save(person)
    a.sync()
    b.sync()
    a.store.clock = Clock(dt.datetime(2026, 11, 22, 10, 5, 0, tzinfo=CHINA_TZ))
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    b.store.clock = Clock(dt.datetime(2026, 11, 22, 10, 5, 2, tzinfo=CHINA_TZ))
    b.store.save(person.revise(context=CTX, phone="13905800003"))
    b.sync()
    a.sync()

    with server.engine.connect() as conn:
        row = conn.execute(
            sqlalchemy.text("SELECT hlc, device_id, stamps FROM records WHERE record_id = :id"),
            {"id": person.id},
        ).one()
    assert row.device_id == b.store.device_id
    assert json.loads(row.stamps)["phone"][1] == b.store.device_id
    assert row.hlc.startswith(json.loads(row.stamps)["phone"][0][:18])

    steps = record_history(a.store, "persons", person.id)
    [theirs] = [s for s in steps if s.pulled and "phone" in s.fields]
    assert theirs.device_id == b.store.device_id
    assert theirs.at == dt.datetime(2026, 11, 22, 10, 5, 2, tzinfo=CHINA_TZ)
    assert (theirs.before, theirs.fields) == ({"phone": "13905800002"}, {"phone": "13905800003"})
    assert theirs.lost_here == {"phone": "13905800002"}
    [mine] = [s for s in steps if s.local and s.op == "update"]
    assert mine.device_id == a.store.device_id and mine.status == "conflict"
    a.store.close()
    b.store.close()


def test_history_credits_each_field_to_its_own_writer_when_two_laptops_edit_between_pulls(
    server: Server, home: Path
) -> None:
    """Laptops B and C edit different fields of one person, both sync, then A pulls once:
    A's history shows each field's step with its own device, staff label and time, taken
    from the field's stamp on the server, not the whole record credited to C (the last to
    write it) at C's time."""
    a = device(server, "a", clock=_at(0))
    b = device(server, "b", clock=_at(0))
    hostile = "王[/b]=1"
    c = device(server, "c", clock=_at(0), token=server.token(hostile, [VILLAGE]))
    person = make_person(name="王秀英", phone="13905800001", address="东路1号")
    a.store.save(person)
    for laptop in (a, b, c):
        laptop.sync()
    b.store.clock = _at(5)
    b.store.save(person.revise(context=CTX, phone="13905800003"))
    b.sync()
    c.store.clock = _at(7)
    c.store.save(person.revise(context=CTX, address="西路[/]=2号", notes="[b]家中无人\\e"))
    c.sync()
    a.sync()

    steps = [s for s in record_history(a.store, "persons", person.id) if s.pulled]
    assert [(s.device_id, s.at, s.staff, s.before, s.fields) for s in steps] == [
        (
            b.store.device_id,
            _at(5).now(),
            "员工b",
            {"phone": "13905800001"},
            {"phone": "13905800003"},
        ),
        (
            c.store.device_id,
            _at(7).now(),
            hostile,
            {"address": "东路1号", "notes": ""},
            {"address": "西路[/]=2号", "notes": "[b]家中无人\\e"},
        ),
    ]
    # A second pull of the same record (nothing new here) adds no step.
    a.sync()
    assert len([s for s in record_history(a.store, "persons", person.id) if s.pulled]) == 2

    # A laptop that first gets the person now: created by A at 10:00, then each later field
    # by its own writer, with its new value only (what it replaced never reached D).
    d = device(server, "d", clock=_at(9))
    d.sync()
    steps = record_history(d.store, "persons", person.id)
    assert [(s.op, s.device_id, s.at, s.staff, s.before, s.fields) for s in steps] == [
        ("insert", a.store.device_id, _at(0).now(), "员工a", {}, {}),
        ("update", b.store.device_id, _at(5).now(), "员工b", {}, {"phone": "13905800003"}),
        (
            "update",
            c.store.device_id,
            _at(7).now(),
            hostile,
            {},
            {"address": "西路[/]=2号", "notes": "[b]家中无人\\e"},
        ),
    ]
    for laptop in (a, b, c, d):
        laptop.store.close()


def _at(minute: int) -> Clock:
    return Clock(dt.datetime(2026, 11, 22, 10, minute, tzinfo=CHINA_TZ))


async def _history_on(name: str, lang: str, person: Person, visit: Visit) -> str:
    app = make_app(Profile(name), lang=lang, clock=Clock.pinned(TODAY))
    async with app.run_test(size=(120, 40)) as pilot:
        stored, shown = app.store.get(Visit, visit.id), app.store.get(Person, person.id)
        assert stored is not None and shown is not None
        app.push_screen(RecordScreen(stored, shown))
        await pilot.pause()
        return shown_text(app.screen.query_one("#record-history", Static))


@SCREEN_ON_SQLITE
@pytest.mark.tui
async def test_after_a_restore_each_laptop_credits_each_value_to_the_laptop_that_made_it(
    server: object, home: Path
) -> None:
    """Laptop A is restored from its backup and edits a visit's health and notes; B had
    changed its health meanwhile and synced first. A's health wins over B's; its notes
    replace a value A itself wrote before the restore (under its former device id)."""
    a = device(server, "a", clock=_at(0))  # type: ignore[arg-type]
    b = device(server, "b", clock=_at(0))  # type: ignore[arg-type]
    person = make_person(name="王秀英")
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    copy = a.keep_copy()
    a.store.clock = _at(1)
    a.store.save(visit.model_copy(update={"notes": "家中无人"}))
    a.sync()
    former = a.store.device_id
    a.restore(copy)
    b.store.clock = _at(2)
    b.store.save(visit.model_copy(update={"health": Condition.FAIR}))
    a.store.clock = _at(3)
    a.store.save(visit.model_copy(update={"health": Condition.POOR, "notes": "屋顶漏雨"}))
    b.sync()
    on_a = a.sync()
    on_b = b.sync()
    a_now, b_id = a.store.device_id, b.store.device_id

    # The conflict words, from each side: A kept its health over B's and is told nothing of
    # its notes (both values its own); B's health lost to A's.
    t = Translator("zh")
    said_a = [sync_words.say(r, t) for r in client_module.summary(on_a)]
    said_b = [sync_words.say(r, t) for r in client_module.summary(on_b)]
    assert (
        "冲突：王秀英 · 探访的健康状况（本机的值已保留，另一设备的值未被采用，可在人员页按 c 处理）"
        in said_a
    ), said_a
    assert not [s for s in said_a if "备注" in s], said_a
    assert "冲突：王秀英 · 探访的健康状况（本机的值未被采用，可在人员页按 c 处理）" in said_b, (
        said_b
    )
    a.store.close()
    b.store.close()

    # On B: the health is A's (its new id), at 10:03, with B's own value that lost beside it.
    history_b = await _history_on("b", "zh", person, visit)
    for word in [
        f"2026-11-2210:03员工a（另一台电脑{a_now[:8]}）",
        "健康状况：一般→较差（本机同时改为一般，未被采用）",
    ]:
        assert word in history_b, (word, history_b)
    # B's own edit of a visit it first got from sync, with the value it replaced.
    assert f"本机{b_id[:8]}）修改健康状况：良好→一般" in history_b, history_b
    history_b_en = await _history_on("b", "en", person, visit)
    assert "Health:Fair→Poor(thislaptop'sFair,madeatthesametime,wasnotkept)" in history_b_en

    # On A: its own edit, B's value that lost to it, and the notes it wrote before the
    # restore (its former id: this laptop), never credited to another laptop.
    history_a = await _history_on("a", "zh", person, visit)
    for word in [
        # (Made under the id it held then, sent under the new one: this laptop's either way.)
        "2026-11-2210:03员工a（本机",
        "）修改健康状况：良好→较差；备注：—→屋顶漏雨",
        f"2026-11-2210:02员工b（另一台电脑{b_id[:8]}）同时修改、未被采用：健康状况：一般",
        f"2026-11-2210:01员工a（本机{former[:8]}）同时修改、未被采用：备注：家中无人",
    ]:
        assert word in history_a, (word, history_a)
    assert f"另一台电脑{former[:8]}" not in history_a


@SCREEN_ON_SQLITE
@pytest.mark.tui
async def test_each_field_of_a_visit_is_shown_with_its_own_writer_on_screen(
    server: Server, home: Path
) -> None:
    """B corrects a visit's health at 10:02 and C (a staff label that reads like markup)
    its notes at 10:04, between A's pulls; D first gets the visit after both. Each screen
    names each field's writer and time, as text; D, which never held the visit before,
    shows C's notes without a value before them."""
    hostile = "王[/b]=1"
    a = device(server, "a", clock=_at(0))
    b = device(server, "b", clock=_at(0))
    c = device(server, "c", clock=_at(0), token=server.token(hostile, [VILLAGE]))
    person = make_person(name="王秀英")
    visit = a_visit(person)
    a.store.save_many([person, visit])
    for laptop in (a, b, c):
        laptop.sync()
    b.store.clock = _at(2)
    b.store.save(visit.model_copy(update={"health": Condition.POOR}))
    b.sync()
    c.store.clock = _at(4)
    c.store.save(visit.model_copy(update={"notes": "[b]屋顶漏雨[/]"}))
    c.sync()
    a.sync()
    d = device(server, "d", clock=_at(6))
    d.sync()
    b_id, c_id = b.store.device_id[:8], c.store.device_id[:8]
    for laptop in (a, b, c, d):
        laptop.store.close()

    on_a = await _history_on("a", "zh", person, visit)
    for word in [
        f"2026-11-2210:02员工b（另一台电脑{b_id}）修改（同步带来）健康状况：良好→较差",
        f"2026-11-2210:04王[/b]=1（另一台电脑{c_id}）修改（同步带来）备注：—→[b]屋顶漏雨[/]",
    ]:
        assert word in on_a, (word, on_a)
    on_d = await _history_on("d", "en", person, visit)
    for word in [
        f"2026-11-2210:02员工b(anotherlaptop,{b_id})changed(broughtbysync)Health:Poor",
        f"2026-11-2210:04王[/b]=1(anotherlaptop,{c_id})changed(broughtbysync)Notes:[b]屋顶漏雨[/]",
    ]:
        assert word in on_d, (word, on_d)


def test_a_correction_of_a_visit_first_pulled_reads_old_and_new(store: Store) -> None:
    """The visit came from another laptop (its pulled step says only that it arrived); the
    correction made here still says what it replaced, from its own change-log entry."""
    person = make_person()
    store.save(person)
    visit = a_visit(person, health="fair", notes="[b]=1+1[/b] \\e")
    with store.transaction():
        store.apply_remote([pulled(visit, ms=DAY_BEFORE)], {})
    here = store.get(Visit, visit.id)
    assert here is not None
    fixed = records.correct(store, here, {"health": Condition.POOR, "notes": "=2"}, TODAY)
    records.save(store, [fixed])
    steps = record_history(store, "visits", visit.id)
    assert [(s.op, s.pulled) for s in steps] == [("insert", True), ("update", False)]
    assert steps[1].fields == {"health": "poor", "notes": "=2"}
    assert steps[1].before == {"health": "fair", "notes": "[b]=1+1[/b] \\e"}
    # A second correction replays the first, as before.
    again = records.correct(store, fixed, {"health": Condition.GOOD}, TODAY)
    records.save(store, [again])
    last = record_history(store, "visits", visit.id)[-1]
    assert (last.before, last.fields) == ({"health": "poor"}, {"health": "good"})


@pytest.mark.tui
@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["健康状况：一般→较差", "=1+1[b]x[/b]→[/]=2"]),
        ("en", ["Health:Fair→Poor", "=1+1[b]x[/b]→[/]=2"]),
    ],
)
async def test_a_pulled_visit_corrected_here_shows_old_to_new_on_screen(
    home: Path, lang: str, words: list[str]
) -> None:
    profile = demo_profile(home)
    app = make_app(profile, lang=lang, clock=Clock.pinned(TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        person = app.store.all(Person, order_by="id")[0]
        visit = a_visit(person, health="fair", notes="=1+1 [b]x[/b]")
        with app.store.transaction():
            app.store.apply_remote([pulled(visit, ms=DAY_BEFORE)], {})
        here = app.store.get(Visit, visit.id)
        assert here is not None
        changes = {"health": Condition.POOR, "notes": "[/]=2"}
        fixed = records.correct(app.store, here, changes, TODAY)
        records.save(app.store, [fixed])
        app.push_screen(RecordScreen(fixed, person))
        await pilot.pause()
        history = shown_text(app.screen.query_one("#record-history", Static))
        for word in words:
            assert word in history, (word, history)
