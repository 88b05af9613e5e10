"""On screen, at 80×24: two laptops of one village and a real server, each app showing from
its own side who changed what and which value won, once after laptop A's clock, three days
ahead, was set right, and once after A was restored from its own backup. (After a server
restore: tests/test_tui_sync_truth.py.)

The staff members the server issued the two tokens to have labels that read like markup or
a formula (`王[/b]=1`, `李=SUM(A1)`); the person's name and the values are hostile text too.
Everything is read off the screens by `tests.test_tui_sync_truth.look`: the sync's summary,
the visit's history, the list of open conflicts, the person page and the dialog.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person, Visit
from sync.protocol import Code
from tests.conftest import VILLAGE, make_person
from tests.sync_harness import SCREEN_ON_SQLITE, Device, Server, device, server
from tests.test_tui_sync_truth import FIRST, MINE, NAME, THEIRS, Seen, _at, a_visit, at, look

pytestmark = pytest.mark.tui

__all__ = ["server"]

LABEL_A, LABEL_B = "王[/b]=1", "李=SUM(A1)"
SCREEN = (80, 24)
#: A's value made while its clock ran ahead, or before its backup was restored.
EARLIER = "=屋顶[/i]补好"
FAST = "时钟比服务器快"


def two_laptops(server: Server, clock: Clock) -> tuple[Device, Device, Person, Visit]:
    """Laptops A and B, their tokens issued to `LABEL_A` and `LABEL_B`, both holding a person
    and a visit A made and synced."""
    a = device(server, "a", clock=clock, token=server.token(LABEL_A, [VILLAGE]))
    b = device(server, "b", clock=clock, token=server.token(LABEL_B, [VILLAGE]))
    person = make_person(name=NAME)
    visit = a_visit(person)
    a.store.save_many([person, visit])
    a.sync()
    b.sync()
    return a, b, person, visit


def _restored(server: Server) -> tuple[Device, Device, Person, Visit, str]:
    """`two_laptops` at 10:00; A kept a backup, edited the visit's notes at 10:01 and synced,
    B synced and saw it; then A was restored from the backup. Both laptops, the person, the
    visit, A's former device id."""
    a, b, person, visit = two_laptops(server, _at(0))
    copy = a.keep_copy()
    a.store.clock = _at(1)
    a.store.save(visit.model_copy(update={"notes": EARLIER}))
    a.sync()
    b.sync()
    old_id = a.store.device_id
    a.restore(copy)
    return a, b, person, visit, old_id


def own_step(history: str, step: str, *ids: str) -> str:
    """The time shown for `step` as laptop A's own (员工a, this laptop) under any of `ids`."""
    shown = {when(history, f"员工a（本机{i[:8]}）{step}") for i in ids} - {""}
    assert len(shown) == 1, history
    return shown.pop()


def shows_conflict(seen: Seen, *, current: str, lost: str, lost_here: bool) -> None:
    """The visit's notes are the one open conflict `seen` lists, and the person page and
    the dialog show it: `current` kept, `lost` not, that one this laptop's if `lost_here`."""
    mine, theirs = "本机的值", "另一设备的值"
    assert seen.listed == [[NAME, "探访的备注", lost, mine if lost_here else theirs]]
    assert seen.on_person == f"探访的备注：未被采用的值{lost}"
    assert seen.dialog["heading"] == f"同步冲突：{NAME} · 探访的备注"
    assert seen.dialog["current-label"] == f"现值（{theirs if lost_here else mine}）"
    assert (seen.dialog["current"], seen.dialog["lost"]) == (current, lost)
    assert seen.dialog["lost-label"] == f"未被采用的值（{mine if lost_here else theirs}）"


def when(history: str, step: str) -> str:
    """The time shown before `step` in a history (as `at` writes it); "" if not shown."""
    found = re.search(r"(\d{4}-\d{2}-\d{2}\d{2}:\d{2})" + re.escape(step), history)
    return found.group(1) if found else ""


@SCREEN_ON_SQLITE
async def test_once_the_ahead_clock_is_set_right_each_laptop_is_told_the_truth(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A's clock ran three days ahead while it edited the notes and synced (and was told to
    fix it). Its clock set right, A edits the notes again; B, later in real time and without
    having seen that, edits them too. A syncs first, then B, then A: B's later edit wins
    (A is no longer ahead), B is told it kept its value, A that its value was not kept, and
    neither is told its clock is fast. Each history names the other laptop by its staff
    label, as typed, at the real time it made its edit."""
    a, b, person, visit = two_laptops(server, Clock())
    ahead = at(dt.datetime.now(CHINA_TZ))
    a.store.clock = Clock(dt.datetime.now(CHINA_TZ) + dt.timedelta(days=3))
    a.store.save(visit.model_copy(update={"notes": EARLIER}))
    assert [w.code for w in a.sync().warnings] == [Code.CLOCK_AHEAD]
    a.store.clock = Clock()  # set right
    before = at(dt.datetime.now(CHINA_TZ))
    a.store.save(visit.model_copy(update={"notes": MINE}))
    # Two seconds later by the real time: never the same millisecond as A's edit.
    b.store.clock = Clock(dt.datetime.now(CHINA_TZ) + dt.timedelta(seconds=2))
    b.store.save(visit.model_copy(update={"notes": THEIRS}))
    a_id, b_id = a.store.device_id, b.store.device_id

    first_a = await look(a, monkeypatch, Clock(), person, visit, size=SCREEN)
    on_b = await look(b, monkeypatch, Clock(), person, visit, size=SCREEN)
    on_a = await look(a, monkeypatch, Clock(), person, visit, size=SCREEN)
    after = at(dt.datetime.now(CHINA_TZ))

    for seen in (first_a, on_a):
        assert FAST not in seen.summary, seen.summary
    assert "冲突：" not in first_a.summary and first_a.listed == [], first_a.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值已保留，另一设备的值未被采用" in on_b.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值未被采用，可在人员页按 c 处理）" in on_a.summary

    # B: its own edit, and A's that lost, credited to A's staff label at the real time A
    # made it; nothing B shows is dated ahead of the real time.
    own = f"员工b（本机{b_id[:8]}）修改备注：{FIRST}→{THEIRS}"
    assert before <= when(on_b.history, own) <= after, on_b.history
    lost = f"{LABEL_A}（另一台电脑{a_id[:8]}）同时修改、未被采用：备注：{MINE}"
    assert before <= when(on_b.history, lost) <= after, on_b.history
    shown = re.findall(r"\d{4}-\d{2}-\d{2}\d{2}:\d{2}", on_b.history)
    assert shown and max(shown) <= after, on_b.history
    shows_conflict(on_b, current=THEIRS, lost=MINE, lost_here=False)

    # A: B's value, credited to B's staff label at B's time, with A's own that lost beside
    # it, and A's own lost edit as made, at the real time.
    pulled = (
        f"{LABEL_B}（另一台电脑{b_id[:8]}）修改（同步带来）"
        f"备注：{MINE}→{THEIRS}（本机同时改为{MINE}，未被采用）"
    )
    assert before <= when(on_a.history, pulled) <= after, on_a.history
    mine = f"员工a（本机{a_id[:8]}）同时修改、未被采用：备注：{MINE}"
    assert before <= when(on_a.history, mine) <= after, on_a.history
    assert f"另一台电脑{a_id[:8]}" not in on_a.history
    # A's own edits in the order it made them, the one made while its clock ran ahead at
    # the time the server read it at, as B would show it: nothing A shows is dated ahead.
    made_ahead = f"修改备注：{FIRST}→{EARLIER}"
    set_right = f"修改备注：{EARLIER}→{MINE}"
    assert ahead <= own_step(on_a.history, made_ahead, a_id) <= before, on_a.history
    assert before <= own_step(on_a.history, set_right, a_id) <= after, on_a.history
    assert on_a.history.index(made_ahead) < on_a.history.index(set_right), on_a.history
    shown = re.findall(r"\d{4}-\d{2}-\d{2}\d{2}:\d{2}", on_a.history)
    assert shown and max(shown) <= after, on_a.history
    shows_conflict(on_a, current=THEIRS, lost=MINE, lost_here=True)
    a.store.close()
    b.store.close()


@SCREEN_ON_SQLITE
async def test_after_a_laptop_is_restored_from_its_own_backup_each_is_told_the_truth(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A keeps a backup, then at 10:01 edits the visit's notes and syncs; B syncs and sees
    it. A is restored from the backup. B edits the notes at 10:02 and syncs; A, before its
    next sync, edits them at 10:03. A's sync finds it is a restored copy and tells it so;
    its later value wins: A is told it kept its value, B that its value was not kept. On B
    the history names A's steps under its former and its new device id by A's staff label;
    on A, its steps are this laptop's."""
    a, b, person, visit, old_id = _restored(server)
    b.store.clock = _at(2)
    b.store.save(visit.model_copy(update={"notes": THEIRS}))
    b.sync()
    a.store.clock = _at(3)
    a.store.save(visit.model_copy(update={"notes": MINE}))
    b_id = b.store.device_id

    on_a = await look(a, monkeypatch, _at(4), person, visit, size=SCREEN)
    new_id = a.store.device_id
    on_b = await look(b, monkeypatch, _at(5), person, visit, size=SCREEN)
    assert new_id != old_id

    assert "本机档案是一份副本（从备份恢复" in on_a.summary, on_a.summary
    assert "没有丢失任何数据" in on_a.summary, on_a.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值已保留，另一设备的值未被采用" in on_a.summary
    assert f"冲突：{NAME} · 探访的备注（本机的值未被采用，可在人员页按 c 处理）" in on_b.summary
    assert "本机的值未被采用" not in on_a.summary
    assert "本机的值已保留" not in on_b.summary

    # A: its steps under the former id and the new one are this laptop's; B's value that
    # lost is B's, by its staff label, at 10:02.
    assert f"2026-11-2210:00员工a（本机{old_id[:8]}）新增" in on_a.history, on_a.history
    # Made before the sync that took the new id: under either id, this laptop's.
    assert own_step(on_a.history, f"修改备注：{FIRST}→{MINE}", old_id, new_id) == "2026-11-2210:03"
    lost = f"{LABEL_B}（另一台电脑{b_id[:8]}）同时修改、未被采用：备注：{THEIRS}"
    assert when(on_a.history, lost) == "2026-11-2210:02", on_a.history
    for own_id in (old_id, new_id):
        assert f"另一台电脑{own_id[:8]}" not in on_a.history
    shows_conflict(on_a, current=MINE, lost=THEIRS, lost_here=False)

    # B: A's edit before the restore, under its former id, and after it, under its new one,
    # both by A's staff label; B's own edit and its value that lost, as this laptop's.
    before = f"{LABEL_A}（另一台电脑{old_id[:8]}）修改（同步带来）备注：{FIRST}→{EARLIER}"
    assert when(on_b.history, before) == "2026-11-2210:01", on_b.history
    own = f"员工b（本机{b_id[:8]}）修改备注：{EARLIER}→{THEIRS}"
    assert when(on_b.history, own) == "2026-11-2210:02", on_b.history
    pulled = (
        f"{LABEL_A}（另一台电脑{new_id[:8]}）修改（同步带来）"
        f"备注：{THEIRS}→{MINE}（本机同时改为{THEIRS}，未被采用）"
    )
    assert when(on_b.history, pulled) == "2026-11-2210:03", on_b.history
    lost_here = f"员工b（本机{b_id[:8]}）同时修改、未被采用：备注：{THEIRS}"
    assert when(on_b.history, lost_here) == "2026-11-2210:02", on_b.history
    shows_conflict(on_b, current=MINE, lost=THEIRS, lost_here=True)
    a.store.close()
    b.store.close()


@SCREEN_ON_SQLITE
async def test_a_restored_laptop_is_not_told_its_own_kept_value_lost(
    server: Server, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A, restored from its backup, edits at 10:03 the notes only it ever wrote (its 10:01
    value, made under its former device id, is on the server and on B). A's value is kept:
    A is told it is a restored copy and nothing was lost, never that its value was not
    kept, and B that no value of its own was lost; B's history names both of A's steps by
    A's staff label, each under the device id it was made with, and A's shows its own steps
    as this laptop's. (Whether a value made under a former id, which a clone could have
    made as well, is listed for a choice is the device-identity tests' matter.)"""
    a, b, person, visit, old_id = _restored(server)
    a.store.clock = _at(3)
    a.store.save(visit.model_copy(update={"notes": MINE}))

    on_a = await look(a, monkeypatch, _at(4), person, visit, size=SCREEN)
    new_id = a.store.device_id
    on_b = await look(b, monkeypatch, _at(5), person, visit, size=SCREEN)
    assert new_id != old_id

    assert "本机档案是一份副本（从备份恢复" in on_a.summary, on_a.summary
    assert "没有丢失任何数据" in on_a.summary, on_a.summary
    assert "冲突：" not in on_a.summary, on_a.summary
    assert "本机的值" not in on_b.summary, on_b.summary
    kept = [row for row in on_a.listed + on_b.listed if row[3] == "本机的值"]
    assert kept == [], (on_a.listed, on_b.listed)
    assert "本机同时改为" not in on_a.history + on_b.history
    # Made before the sync that took the new id: under either id, this laptop's.
    assert own_step(on_a.history, f"修改备注：{FIRST}→{MINE}", old_id, new_id) == "2026-11-2210:03"
    for own_id in (old_id, new_id):
        assert f"另一台电脑{own_id[:8]}" not in on_a.history

    earlier = f"{LABEL_A}（另一台电脑{old_id[:8]}）修改（同步带来）备注：{FIRST}→{EARLIER}"
    assert when(on_b.history, earlier) == "2026-11-2210:01", on_b.history
    mine = f"{LABEL_A}（另一台电脑{new_id[:8]}）修改（同步带来）备注：{EARLIER}→{MINE}"
    assert when(on_b.history, mine) == "2026-11-2210:03", on_b.history
    a.store.close()
    b.store.close()
