"""A laptop's device ids across restores and clones: the ids a profile held before it
started over are its own (no conflict between them is reported), and every copy of a
profile after the first to sync is told, at its first sync, that it took a new id and that
nothing was lost."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from civtui.domain.clock import CHINA_TZ, Clock
from civtui.domain.models import Person
from civtui.i18n import Translator
from civtui.services import conflicts
from db import outbox
from db.connection import backup
from db.store import open_store
from sync import client as client_module
from sync import words
from tests.conftest import CTX, make_person
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
