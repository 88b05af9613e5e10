"""A laptop's device ids across restores and clones: the ids a profile held before it
started over are its own (no conflict between them is reported), and every copy of a
profile after the first to sync is told, at its first sync, that it took a new id and that
nothing was lost."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

from sqlalchemy import select

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person
from civtui.i18n import Translator
from civtui.services import conflicts, reads
from db import outbox
from db.connection import backup
from db.store import open_store
from sync import client as client_module
from sync import protocol, words
from sync.server import merge, storage, tokens
from sync.server.tokens import Identity
from tests.conftest import CTX, VILLAGE, make_person
from tests.sync_harness import Device, Server, device, server

__all__ = ["server"]  # the fixture


def at(minute: int, second: int = 0) -> Clock:
    return Clock(dt.datetime(2026, 11, 22, 10, minute, second, tzinfo=CHINA_TZ))


def said(report: client_module.SyncReport, lang: str = "zh") -> str:
    t = Translator(lang)
    return " ".join(words.say(r, t) for r in client_module.summary(report))


def sides(report: client_module.SyncReport) -> list[str]:
    return [str(r.params["side"]) for r in report.found]


def phone_of(d: Device, person_id: str) -> str | None:
    person = d.store.get(Person, person_id)
    assert person is not None
    return person.phone


def clone(d: Device, name: str) -> Device:
    """A copy of `d`'s profile as it is now, set up on another laptop (same device id)."""
    target = d.store.path.parent.parent / name / d.store.path.name
    target.parent.mkdir(parents=True)
    backup(d.store.db, target, d.store.key)
    return Device(open_store(target, d.store.clock, d.store.key), d.token, d.server)


def _restored_after_an_edit(server: Server, name: str) -> tuple[Device, Person, str]:
    """Laptop a with a person it synced, a copy of it kept, then an edit of the phone synced
    past the copy, then a restored from the copy: the laptop, the person, its former id."""
    a = device(server, "a", clock=at(0))
    person = make_person(name=name, phone="13905800001")
    a.store.save(person)
    a.sync()
    copy = a.keep_copy()
    a.store.clock = at(1)
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    a.sync()
    old_id = a.store.device_id
    a.restore(copy)
    return a, person, old_id


def test_a_restored_laptop_is_not_told_its_own_kept_edit_lost_to_its_former_id(
    server: Server, home: Path
) -> None:
    a, person, old_id = _restored_after_an_edit(server, "王秀英")
    # Before its next sync it edits the record only it ever wrote.
    a.store.clock = at(2)
    a.store.save(person.revise(context=CTX, phone="13905800003"))
    report = a.sync()
    assert report.new_device_id not in (None, old_id)
    assert phone_of(a, person.id) == "13905800003"  # its value was kept
    assert "lost_here" not in sides(report), said(report)
    assert "未被采用" not in said(report)
    # Nor counted as a conflict, in the summary or in the change log (待同步).
    assert (report.conflicts, report.conflict_reasons) == (0, []), said(report)
    assert "冲突 0" in said(report)
    assert [c.status for c in a.store.changes(status=None)][-1] == "accepted"
    # The former id is kept in meta, so it stays this laptop's whatever the change log holds.
    assert old_id in dict(json.loads(a.store.get_meta(outbox.FORMER_DEVICES) or "[]"))
    assert outbox.own_devices(a.store) >= {old_id, a.store.device_id}
    told_what_happened(report)


def told_what_happened(report: client_module.SyncReport) -> None:
    """The sync's report says, in both languages and through the catalogue, that the profile
    is a restored copy, that it took a new id, and that nothing was lost."""
    for lang, restored, nothing_lost in (
        ("zh", "从备份恢复", "没有丢失任何数据"),
        ("en", "restored from a backup", "nothing was lost"),
    ):
        text = said(report, lang)
        assert Translator(lang)("sync.code.new_device") in text, text
        assert restored in text and nothing_lost in text, text


def test_a_laptop_restored_from_its_own_backup_is_told_so_at_its_first_sync(
    server: Server, home: Path
) -> None:
    """Restored with nothing to send: the pull, not a push, shows the copy is older than
    what the server holds of it; the message is the same, and only the first sync says it."""
    a, person, old_id = _restored_after_an_edit(server, "王[/b]=1")
    a.store.clock = at(2)
    report = a.sync()
    assert report.new_device_id not in (None, old_id)
    told_what_happened(report)
    assert (report.conflicts, report.rejected) == (0, 0), said(report)
    assert phone_of(a, person.id) == "13905800002"  # the edit after the backup came back
    again = a.sync()
    assert again.new_device_id is None
    assert Translator("zh")("sync.code.new_device") not in said(again)


def test_clones_after_the_first_to_sync_each_take_a_new_id_and_are_told_nothing_was_lost(
    server: Server, home: Path
) -> None:
    a = device(server, "a", clock=at(0))
    person = make_person(name="王秀英", phone="13905800001")
    a.store.save(person)
    a.sync()
    b, c = clone(a, "b"), clone(a, "c")
    original = a.store.device_id
    assert b.store.device_id == c.store.device_id == original
    for n, d in enumerate((a, b, c)):
        d.store.clock = at(1, n)
        d.store.save(person.revise(context=CTX, address=f"海星路{n}号"))
    first = a.sync()
    assert first.new_device_id is None and a.store.device_id == original
    second, third = b.sync(), c.sync()
    assert second.new_device_id and third.new_device_id
    assert len({a.store.device_id, b.store.device_id, c.store.device_id}) == 3
    for report in (second, third):
        assert "没有丢失" in said(report), said(report)
        assert "nothing was lost" in said(report, "en"), said(report, "en")
    # c's address, the latest, was kept over a's (another laptop's) and b's: c is not told
    # its own value was not kept.
    assert "lost_here" not in sides(third), said(third)
    for d in (a, b, c):
        d.sync()
    # The laptop whose value really lost says so.
    assert {str(x.lost_device) for x in outbox.open_conflicts(a.store)} >= {original}
    # A value lost under the original id after the copies parted is a's, which kept the id:
    # its dialog says "this laptop's"; the copies', whose former id it is, say it is another
    # copy's (they cannot tell a clone's from their own before a restore), never their own.
    t = Translator("zh")
    for d, whose in ((a, "mine"), (b, "copy"), (c, "copy")):
        held = [x for x in outbox.open_conflicts(d.store) if x.lost_device == original]
        assert held, d.store.path
        for x in held:
            choice = conflicts.look(d.store, x.id)
            assert choice is not None and choice.lost_from == whose, (d.store.path, x)
            assert choice.lost_mine is (whose == "mine")
    assert t("conflict.copy") == "本机档案另一副本的值（或本机恢复备份前的值）"
    addresses = {d.store.get(Person, person.id).address for d in (a, b, c)}  # type: ignore[union-attr]
    assert addresses == {"海星路2号"}
    for d in (a, b, c):
        d.store.close()


def server_conflicts(server: Server, record_id: str) -> list[dict[str, object]]:
    with server.engine.connect() as conn:
        found = conn.execute(
            select(storage.conflicts).where(storage.conflicts.c.record_id == record_id)
        )
        return [dict(row._mapping) for row in found]


def open_on(d: Device, record_id: str) -> list[outbox.StoredConflict]:
    return outbox.open_conflicts(d.store, [record_id])


def test_a_loss_of_a_former_id_to_the_laptop_that_gave_it_up_is_closed_everywhere(
    server: Server, home: Path
) -> None:
    """Restored from its own backup, the laptop edits a field it had edited after the backup
    (and sent): its new value wins over its own older one, made under the id it gives up at
    this sync. The server records the loss closed, with the lost value kept for anyone who
    looks, so neither this laptop nor another of the village shows it open or counts it."""
    b = device(server, "b", clock=at(0))
    a, person, old_id = _restored_after_an_edit(server, "王[/b]=秀英\\")
    a.store.clock = at(2)
    a.store.save(person.revise(context=CTX, phone="13905800003"))
    report = a.sync()
    new_id = a.store.device_id
    assert new_id != old_id
    (held,) = server_conflicts(server, person.id)
    assert (held["kept_device"], held["lost_device"]) == (new_id, old_id)
    assert json.loads(str(held["lost_value"])) == "13905800002"
    assert held["resolved_version"] is not None, held
    assert (report.conflicts, report.found) == (0, []), said(report)
    assert open_on(a, person.id) == []
    a.sync()
    assert open_on(a, person.id) == []
    b.store.clock = at(3)
    b_report = b.sync()
    assert phone_of(b, person.id) == "13905800003"
    assert open_on(b, person.id) == [], said(b_report)
    assert b_report.found == [], said(b_report)
    # Nothing counts it in a pending hint (the 待同步 screen counts the open conflicts).
    assert reads.open_conflicts(b.store) == reads.open_conflicts(a.store) == []


def test_the_loss_opens_again_everywhere_once_the_former_id_speaks_again(
    server: Server, home: Path
) -> None:
    """The same shape, but the laptop that made the lost edit goes on under the old id: the
    restored profile is a clone on another laptop. Once the old id syncs again, the loss is
    open on the server and on every laptop of the village."""
    b = device(server, "b", clock=at(0))
    a = device(server, "a", clock=at(0))
    person = make_person(name="王=[i]秀英", phone="13905800001")
    a.store.save(person)
    a.sync()
    copy = a.keep_copy()
    a.store.clock = at(1)
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    a.sync()
    old_id = a.store.device_id
    # The copy is set up on a second laptop, which edits the phone before its first sync.
    target = home / "r" / a.store.path.name
    target.parent.mkdir(parents=True)
    shutil.copy(copy, target)
    r = Device(open_store(target, at(2), a.store.key), a.token, server)
    r.store.save(person.revise(context=CTX, phone="13905800003"))
    r.sync()
    assert r.store.device_id != old_id
    (held,) = server_conflicts(server, person.id)
    assert held["resolved_version"] is not None
    # The first laptop, which kept the old id, syncs again: it was a clone, not a restore.
    a.store.clock = at(3)
    held_by_a = a.store.get(Person, person.id)
    assert held_by_a is not None
    a.store.save(held_by_a.revise(context=CTX, address="海星路[/]9号"))
    heard = a.sync()
    # Its own value lost, and now it is told (the pull of the same sync brings it).
    assert sides(heard) == ["lost_here"], said(heard)
    opened = [c for c in server_conflicts(server, person.id) if c["resolved_version"] is None]
    assert [(c["kept_device"], c["lost_device"]) for c in opened] == [(r.store.device_id, old_id)]
    for d in (a, r, b, a):
        d.sync()
    for d in (a, r, b):
        (shown,) = open_on(d, person.id)
        assert (shown.lost_device, shown.lost_value) == (old_id, "13905800002"), d.store.path


def test_a_laptop_that_merely_syncs_under_the_old_id_opens_the_loss_again(
    server: Server, home: Path
) -> None:
    """A clone that kept the old id and has nothing to send still asks the server about
    its changes at every sync: that is the old id speaking, and the loss opens again."""
    a = device(server, "a", clock=at(0))
    person = make_person(name="王秀英", phone="13905800001")
    a.store.save(person)
    a.sync()
    c = clone(a, "c")
    a.store.clock = c.store.clock = at(1)
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    a.sync()
    c.store.clock = at(2)
    c.store.save(person.revise(context=CTX, phone="13905800003"))
    c.sync()
    assert c.store.device_id != a.store.device_id
    assert all(x["resolved_version"] is not None for x in server_conflicts(server, person.id))
    a.sync()
    assert any(x["resolved_version"] is None for x in server_conflicts(server, person.id))
    c.sync()
    for d in (a, c):
        assert [x.lost_device for x in open_on(d, person.id)] == [a.store.device_id]


def test_a_laptop_cannot_close_another_laptops_loss_by_naming_its_id(
    server: Server, home: Path
) -> None:
    """The ids a push names as given up count only if the same token synced under them: a
    laptop of another staff member that names a's id still makes a's loss an open conflict."""
    a = device(server, "a", clock=at(0))
    b = device(server, "b", clock=at(0))
    person = make_person(name="王[/]秀英=", phone="13905800001")
    a.store.save(person)
    a.sync()
    b.sync()
    a.store.clock, b.store.clock = at(1), at(2)
    a.store.save(person.revise(context=CTX, phone="13905800002"))
    b.store.save(person.revise(context=CTX, phone="13905800003"))
    a.sync()
    with b.store.transaction():
        b.store.set_meta(outbox.FORMER_DEVICES, json.dumps([[a.store.device_id, ""]]))
    b.sync()
    (held,) = server_conflicts(server, person.id)
    assert (held["kept_device"], held["lost_device"]) == (b.store.device_id, a.store.device_id)
    assert held["resolved_version"] is None
    a.sync()
    assert [x.lost_device for x in open_on(a, person.id)] == [a.store.device_id]


def test_a_push_under_the_old_id_opens_the_loss_again_without_asking_first(
    server: Server, home: Path
) -> None:
    """A bundle's push reaches the server without the question a sync asks first: the push
    itself is the old id speaking."""
    token_id, _token = tokens.create(server.engine, "员工[/]", "assistant", [VILLAGE])
    who = Identity(token_id, "员工[/]", "assistant", frozenset({VILLAGE}))
    person = make_person(name="王秀英", phone="13905800001")
    first = {
        k: v for k, v in json.loads(json.dumps(person.row(), default=str)).items() if k != "id"
    }

    def change(seq: int, ms: int, **values: object) -> protocol.Change:
        return protocol.Change(
            seq=seq,
            table="persons",
            record_id=person.id,
            op="upsert",
            fields=dict(values),
            hlc=f"{1795000000000 + ms:013d}-0000",
            base_version=0,
        )

    def push(device: str, seq: int, *changes: protocol.Change, former: list[str]) -> None:
        merge.push(
            server.engine,
            who,
            protocol.PushRequest(
                device_id=device, changes=list(changes), acked_through=seq, former_ids=former
            ),
        )

    push("old", 0, change(1, 0, **first), change(2, 1000, phone="13905800002"), former=[])
    push("new", 0, change(1, 2000, phone="13905800003"), former=["old"])
    assert [c["resolved_version"] is None for c in server_conflicts(server, person.id)] == [False]
    push("old", 2, change(3, 3000, address="海星路=1号"), former=[])
    opened = [c for c in server_conflicts(server, person.id) if c["resolved_version"] is None]
    assert [(c["kept_device"], c["lost_device"]) for c in opened] == [("new", "old")]
