"""On screen: two laptops of one village and a real server, each app showing from
its own side who changed what and which value won, once with laptop A's clock three days
ahead and once after the server was restored from a backup.

Both laptops edit a visit's notes offline; the names and values are hostile text (`[/]`,
`=`), shown as typed. What each app says is read off its screens: the sync's summary, the
visit's history (the other laptop's step with this laptop's lost value beside it, or this
laptop's step with the other's lost value under it), the list of open conflicts and the
dialog that settles one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from civtui.app import CivtuiApp, make_app
from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person, Visit
from civtui.services.keys import open_store
from civtui.services.profile import Profile
from screens.conflict import ConflictModal
from screens.conflicts import ConflictsScreen
from screens.pending import PendingScreen
from screens.person import PersonScreen
from screens.record import RecordScreen
from tests.conftest import CTX, TODAY, VILLAGE, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Device, Server, device, server
from tests.test_tui_records import shown_text

pytestmark = pytest.mark.tui

__all__ = ["server"]

NAME = "[/]王=秀英"
FIRST, MINE, THEIRS = "[b]初访[/]", "[/]屋顶=漏雨", "家中无人=[red]"


def a_visit(person: Person) -> Visit:
    data = {"person_id": person.id, "visit_date": TODAY, "visitor": "[/]王", "notes": FIRST}
    return Visit.model_validate(data, context=CTX)


async def settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def told(app: CivtuiApp) -> str:
    return " ".join(str(n.message) for n in app._notifications)


def static(screen: object, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)  # type: ignore[attr-defined]


class Seen:
    """What one app showed: its sync summary, the visit's history, the conflicts list, the
    person page's open conflicts and the dialog's labels and values."""

    def __init__(self) -> None:
        self.summary = ""
        self.history = ""
        self.listed: list[list[str]] = []
        self.on_person = ""
        self.dialog: dict[str, str] = {}


async def look(
    laptop: Device,
    monkeypatch: pytest.MonkeyPatch,
    clock: Clock,
    person: Person,
    visit: Visit,
    size: tuple[int, int] = (100, 40),
) -> Seen:
    """Open `laptop`'s app (it syncs as it starts), then read what it shows in a terminal
    of `size`."""
    laptop.store.close()
    monkeypatch.setenv("CIVTUI_SERVER", laptop.server.base)
    monkeypatch.setenv("CIVTUI_TOKEN", laptop.token)
    app = make_app(Profile(laptop.store.path.parent.name), lang="zh", clock=clock)
    seen = Seen()
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        seen.summary = told(app)
        stored, whose = app.store.get(Visit, visit.id), app.store.get(Person, person.id)
        assert stored is not None and whose is not None
        app.push_screen(RecordScreen(stored, whose))
        await pilot.pause()
        seen.history = shown_text(app.screen.query_one("#record-history", Static))
        await pilot.press("escape")
        await pilot.pause()
        app.push_screen(PendingScreen())
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        assert isinstance(app.screen, ConflictsScreen)
        table = app.screen.query_one("#conflicts", DataTable)
        seen.listed = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        await pilot.press("escape", "escape")
        await pilot.pause()
        if seen.listed:
            app.push_screen(PersonScreen(person.id))
            await pilot.pause()
            seen.on_person = shown_text(app.screen.query_one("#conflicts", Static))
            await pilot.press("c")
            await pilot.pause()
            modal = app.screen
            assert isinstance(modal, ConflictModal)
            for part in ("heading", "current-label", "current", "lost-label", "lost"):
                seen.dialog[part] = static(modal, f"#conflict-{part}")
            await pilot.press("escape")
            await pilot.pause()
    laptop.store = open_store(laptop.store.path, clock)
    return seen


def at(when: dt.datetime) -> str:
    """A time as the history shows it, spaces taken out."""
    return f"{when:%Y-%m-%d%H:%M}"


@SCREEN_ON_SQLITE
async def test_with_a_clock_three_days_ahead_each_laptop_is_told_the_truth(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's clock runs three days ahead. A edits the notes offline; B edits them later in real
    time; A syncs, then B, then A. B's edit, the later in real time, wins: B is told it kept
    its value over another device's, A that its value was not kept; the history on each
    names the other laptop for the other's value, at the real time it was made, never
    three days ahead."""
    # A edited ten minutes ago by the real time, B five; A's clock is still ahead as it syncs.
    start = (dt.datetime.now(CHINA_TZ) - dt.timedelta(minutes=10)).replace(second=0)
    a = device(server, "a", clock=Clock(start))
    b = device(server, "b", clock=Clock(start))
    person = make_person(name=NAME)
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    a.store.clock = Clock(start + dt.timedelta(days=3))
    a.store.save(visit.model_copy(update={"notes": MINE}))
    later = Clock(start + dt.timedelta(minutes=5))
    b.store.clock = later
    b.store.save(visit.model_copy(update={"notes": THEIRS}))
    a_id, b_id = a.store.device_id, b.store.device_id

    def ahead() -> Clock:
        return Clock(dt.datetime.now(CHINA_TZ) + dt.timedelta(days=3))

    first_a = await look(a, monkeypatch, ahead(), person, visit)
    assert "您电脑的时钟比服务器快了约 3 天" in first_a.summary, first_a.summary
    assert "冲突：" not in first_a.summary and first_a.listed == []

    on_b = await look(b, monkeypatch, later, person, visit)
    on_a = await look(a, monkeypatch, ahead(), person, visit)

    assert f"冲突：{NAME} · 探访的备注（本机的值已保留，另一设备的值未被采用" in on_b.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值未被采用，可在人员页按 c 处理）" in on_a.summary

    # B: its own edit, and A's value that lost, credited to A at the real time A made it.
    assert f"本机{b_id[:8]}）修改备注：{FIRST}→{THEIRS}" in on_b.history, on_b.history
    lost_line = f"员工a（另一台电脑{a_id[:8]}）同时修改、未被采用：备注：{MINE}"
    assert lost_line in on_b.history, on_b.history
    assert at(start) + lost_line in on_b.history, on_b.history
    assert at(start + dt.timedelta(days=3)) + lost_line not in on_b.history
    assert on_b.listed == [[NAME, "探访的备注", MINE, "另一设备的值"]]
    assert on_b.dialog["current-label"] == "现值（本机的值）"
    assert (on_b.dialog["current"], on_b.dialog["lost"]) == (THEIRS, MINE)
    assert on_b.dialog["lost-label"] == "未被采用的值（另一设备的值）"

    # A: B's value, credited to B at B's time, with A's own value that lost beside it.
    pulled = f"{at(later.now())}员工b（另一台电脑{b_id[:8]}）修改（同步带来）"
    assert pulled in on_a.history, on_a.history
    assert f"备注：{MINE}→{THEIRS}（本机同时改为{MINE}，未被采用）" in on_a.history
    # A's own value that lost, at the time the server read it as made (its clock read back).
    assert f"{at(start)}员工a（本机{a_id[:8]}）同时修改、未被采用：备注：{MINE}" in on_a.history
    assert f"另一台电脑{a_id[:8]}" not in on_a.history
    assert on_a.listed == [[NAME, "探访的备注", MINE, "本机的值"]]
    assert on_a.dialog["heading"] == f"同步冲突：{NAME} · 探访的备注"
    assert on_a.dialog["current-label"] == "现值（另一设备的值）"
    assert (on_a.dialog["current"], on_a.dialog["lost"]) == (THEIRS, MINE)
    assert on_a.dialog["lost-label"] == "未被采用的值（本机的值）"
    a.store.close()
    b.store.close()


def _at(minute: int) -> Clock:
    return Clock(dt.datetime(2026, 11, 22, 10, minute, tzinfo=CHINA_TZ))


# A backup and its restore are shown on the SQLite file; what the server does is the same.
@pytest.mark.parametrize("server", ["sqlite"], indirect=True)
async def test_after_a_server_restore_each_laptop_is_told_the_truth(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server is restored from last night's copy, losing A's edit of the notes (10:01);
    B, which never saw it, edits them at 10:02 and syncs; then A syncs, finds the server
    lacking its edit and sends it again. B's later edit wins: A is told the server had lost
    its change and that its value was not kept, B that its value was kept; each history
    names the other laptop for the other's value, at the time it was made."""
    a = device(server, "a", clock=_at(0))
    b = device(server, "b", clock=_at(0))
    person = make_person(name=NAME)
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    copy = server.backup()
    a.store.clock = _at(1)
    a.store.save(visit.model_copy(update={"notes": MINE}))
    a.sync()
    server.restore(copy)
    b.store.clock = _at(2)
    b.store.save(visit.model_copy(update={"notes": THEIRS}))
    a_id, b_id = a.store.device_id, b.store.device_id

    first_b = await look(b, monkeypatch, _at(3), person, visit)
    assert "冲突：" not in first_b.summary and first_b.listed == [], first_b.summary
    on_a = await look(a, monkeypatch, _at(4), person, visit)
    on_b = await look(b, monkeypatch, _at(5), person, visit)

    assert "服务器缺少本机的 1 条修改（可能从备份恢复过），已重新上传" in on_a.summary, on_a.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值未被采用，可在人员页按 c 处理）" in on_a.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值已保留，另一设备的值未被采用" in on_b.summary

    # A: B's value at 10:02, credited to B, with A's own that lost beside it.
    assert f"2026-11-2210:02员工b（另一台电脑{b_id[:8]}）修改（同步带来）" in on_a.history, (
        on_a.history
    )
    assert f"备注：{MINE}→{THEIRS}（本机同时改为{MINE}，未被采用）" in on_a.history
    assert f"2026-11-2210:01员工a（本机{a_id[:8]}）修改备注：{FIRST}→{MINE}" in on_a.history
    assert f"另一台电脑{a_id[:8]}" not in on_a.history
    assert on_a.listed == [[NAME, "探访的备注", MINE, "本机的值"]]
    assert on_a.dialog["current-label"] == "现值（另一设备的值）"
    assert on_a.dialog["lost-label"] == "未被采用的值（本机的值）"
    assert (on_a.dialog["current"], on_a.dialog["lost"]) == (THEIRS, MINE)

    # B: its own edit, and A's value that lost, credited to A at 10:01.
    assert f"2026-11-2210:02员工b（本机{b_id[:8]}）修改备注：{FIRST}→{THEIRS}" in on_b.history
    lost = f"2026-11-2210:01员工a（另一台电脑{a_id[:8]}）同时修改、未被采用：备注：{MINE}"
    assert lost in on_b.history, on_b.history
    assert on_b.listed == [[NAME, "探访的备注", MINE, "另一设备的值"]]
    assert on_b.dialog["current-label"] == "现值（本机的值）"
    assert on_b.dialog["lost-label"] == "未被采用的值（另一设备的值）"
    assert (on_b.dialog["current"], on_b.dialog["lost"]) == (THEIRS, MINE)
    a.store.close()
    b.store.close()


@SCREEN_ON_SQLITE
async def test_another_laptops_step_is_named_by_its_staff_label_as_text(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's token is issued to a staff member whose label reads like markup. B edits the
    visit's notes and syncs; on A, at 80×24, the history names B's step by that label, as
    typed, beside B's device code: the server sends it with the pulled record
    (`PullResponse.staff`), to a laptop that says it reads it."""
    label = "王[/b]=1"
    a = device(server, "a", clock=_at(0))
    b = device(server, "b", clock=_at(0), token=server.token(label, [VILLAGE]))
    person = make_person(name=NAME)
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    b.store.clock = _at(2)
    b.store.save(visit.model_copy(update={"notes": THEIRS}))
    b.sync()
    a.sync()
    b_id = b.store.device_id
    a.store.close()
    b.store.close()

    app = make_app(Profile("a"), lang="zh", clock=_at(5))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        stored, whose = app.store.get(Visit, visit.id), app.store.get(Person, person.id)
        assert stored is not None and whose is not None
        app.push_screen(RecordScreen(stored, whose))
        await pilot.pause()
        history = app.screen.query_one("#record-history", Static)
        shown = shown_text(history)
        assert f"2026-11-2210:02{label}（另一台电脑{b_id[:8]}）修改（同步带来）" in shown, shown
        assert f"员工a（本机{a.store.device_id[:8]}）" in shown, shown
        assert history.size.width <= 80


@SCREEN_ON_SQLITE
async def test_the_pending_page_says_what_was_refused_and_shows_each_reason_whole(
    server: Server, home: Path
) -> None:
    """A person of a village outside the token is refused, and so, for lack of it, is their
    visit. 待同步 does not say everything is synced; the highlighted row's whole reason is
    shown under the table, wrapped at 80 columns, the visit's saying it waits for the person
    to be corrected (not that it goes again once the person arrives)."""
    from civtui.domain.models import Village
    from tests.sync_harness import OTHER_VILLAGE

    laptop = device(server, "a")
    person = make_person(name=NAME, village_code=OTHER_VILLAGE)
    laptop.store.save_many([Village(id=OTHER_VILLAGE, name="渔港村=[/]"), person, a_visit(person)])
    report = laptop.sync()
    assert report.rejected == 3 and laptop.store.pending_count() == 0
    laptop.store.close()

    app = make_app(Profile("a"), lang="zh", clock=Clock.pinned(TODAY))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(PendingScreen())
        await pilot.pause()
        title = static(app.screen, "#pending-title")
        assert title == "待同步：没有待上传的修改；3 条被服务器拒绝，需要更正", title
        assert "所有修改均已同步" not in title
        table = app.screen.query_one("#changes", DataTable)
        assert table.row_count >= 3  # and what the same sync took
        detail = app.screen.query_one("#pending-detail", Static)
        # Newest first: the visit.
        said = str(detail.content)
        assert said == (
            f"探访 {NAME}：被拒绝：所属的服务对象（{NAME}）也被服务器拒绝了，这一条要等它更正并被服务器"
            "接受后才会自动重新上传；请先按它被拒的原因更正它（或删除）"
        ), said
        shown = shown_text(detail)
        assert "请先按它被拒的原因更正它（或删除）" in shown, shown  # all of it, wrapped
        assert detail.size.height >= 2 and detail.size.width <= 80
        await pilot.press("down")
        await pilot.pause()
        said = str(detail.content)
        assert (
            said
            == f"服务对象 {NAME}：被拒绝：该记录属于村(社区) {OTHER_VILLAGE}，不在您的权限范围内"
        )
