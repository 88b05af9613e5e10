"""Sealed bundles on a USB stick: a laptop's sync carried to the server and its reply back.

In process, on the state machine's pieces (`tests/sync_model.py`): the real server app on a
SQLite file, laptops with their own tokens. Every hostile file is refused (or changes
nothing) before anything is written, on either end.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from civtui.domain.models import Visit
from db import outbox
from sync import bundle, sealed
from sync.protocol import Code
from sync.sealed import LAPTOP, MAGIC, BundleError, ServerKeys, new_seed, seal, unseal
from sync.server import bundle as server_bundle
from tests.conftest import make_person
from tests.sync_model import (
    VILLAGE_A,
    Laptop,
    Server,
    Templates,
    World,
    make_templates,
    open_laptops,
)


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> Templates:
    return make_templates(tmp_path_factory.mktemp("templates"))


class Office:
    """A server and the three laptops of the machine's roles."""

    def __init__(self, templates: Templates, folder: Path) -> None:

        self.world = World()
        self.server = Server(folder, templates.server)
        self.laptops = open_laptops(templates, folder, self.world)
        # Set up at the township, as island laptops are: their village and staff on the
        # server, nothing pending.
        for lap in self.laptops.values():
            lap.sync(self.server)

    def close(self) -> None:
        for lap in self.laptops.values():
            lap.store.close()
        self.server.close()


@pytest.fixture
def office(templates: Templates, tmp_path: Path) -> Iterator[Office]:
    made = Office(templates, tmp_path)
    try:
        yield made
    finally:
        made.close()


def visits(lap: Laptop, count: int, name: str = "张三") -> str:
    """A person of village A and `count` visits of them, written as the app writes them."""
    person = make_person(name=name, village_code=VILLAGE_A)
    lap.store.save(person)
    for day in range(count):
        lap.store.save(
            Visit(
                person_id=person.id,
                visit_date=lap.today.replace(day=1 + day % 20),
                visitor="王",
                mode="home",
            )
        )
    return person.id


def server_state(office: Office) -> tuple[Any, ...]:
    """Everything the server holds that a bundle could change."""
    return (office.server.version(), office.server.records(), office.server.conflicts())


def laptop_state(lap: Laptop) -> tuple[Any, ...]:
    changes = [(c.seq, c.status) for c in lap.store.changes(status=None)]
    return (lap.rows(), changes, outbox.cursor(lap.store), lap.store.device_id)


def refused(code: Code, call: Any, *args: Any) -> None:
    with pytest.raises(BundleError) as caught:
        call(*args)
    assert caught.value.code is code, caught.value.reason


def test_a_bundle_carries_a_sync_there_and_its_reply_back(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    person = visits(a1, 12)
    assert a1.store.pending_count() == 13
    imported = office.server.import_bundle(a1.export_bundle())
    assert (imported.accepted, imported.rejected) == (13, 0)
    assert ("persons", person) in office.server.records()
    report = a1.import_reply(imported.reply)
    assert report.pushed == 13 and a1.store.pending_count() == 0
    assert outbox.cursor(a1.store) == office.server.version()
    # The other laptop of the village gets it by a bundle too, and then by online sync
    # nothing is left to move.
    reply = office.server.import_bundle(a2.export_bundle()).reply
    assert a2.import_reply(reply).pulled >= 13
    assert set(a2.live(Visit)) == set(a1.live(Visit)) and len(a1.live(Visit)) == 12
    online = a1.sync(office.server)
    assert (online.pushed, online.pulled) == (0, 0)


def test_nothing_personal_is_readable_on_the_stick(office: Office) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 3, name="欧阳秀英")
    data = a1.export_bundle()
    assert data.startswith(MAGIC)
    for clear in ("欧阳秀英".encode(), b"visits", VILLAGE_A.encode(), a1.store.device_id.encode()):
        assert clear not in data
    reply = office.server.import_bundle(data).reply
    assert "欧阳秀英".encode() not in reply and b"persons" not in reply


@pytest.mark.parametrize("where", ["header", "middle", "last byte"])
def test_a_tampered_bundle_is_refused_with_nothing_written(office: Office, where: str) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 5)
    data = bytearray(a1.export_bundle())
    spot = {"header": 4, "middle": len(data) // 2, "last byte": len(data) - 1}[where]
    data[spot] ^= 0x01
    before = server_state(office)
    with pytest.raises(BundleError) as caught:
        office.server.import_bundle(bytes(data))
    assert caught.value.code in (Code.BUNDLE_UNREADABLE, Code.BUNDLE_NOT_ONE)
    assert server_state(office) == before


@pytest.mark.parametrize("keep", [0, 3, 6, 60, -1])
def test_a_truncated_bundle_is_refused_with_nothing_written(office: Office, keep: int) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 5)
    data = a1.export_bundle()
    before = server_state(office)
    with pytest.raises(BundleError):
        office.server.import_bundle(data[:keep])
    assert server_state(office) == before


def test_a_reply_tampered_or_cut_short_is_refused_with_nothing_written(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a2, 4)
    a2.sync(office.server)
    visits(a1, 4, name="李四")
    reply = office.server.import_bundle(a1.export_bundle()).reply
    before = laptop_state(a1)
    changed = bytearray(reply)
    changed[len(changed) // 3] ^= 0x80
    refused(Code.BUNDLE_UNREADABLE, a1.import_reply, bytes(changed))
    refused(Code.BUNDLE_UNREADABLE, a1.import_reply, reply[:-1])
    # A laptop's own bundle is not a reply.
    refused(Code.BUNDLE_NOT_ONE, a1.import_reply, a1.export_bundle())
    assert laptop_state(a1) == before
    a1.import_reply(reply)  # the real one still goes in
    assert a1.store.pending_count() == 0


def test_a_bundle_sealed_to_another_server_is_refused(office: Office) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 2)
    elsewhere = ServerKeys.from_seed(new_seed()).public
    bundle.trust(a1.store, elsewhere, replace=True)
    data = a1.export_bundle()
    before = server_state(office)
    refused(Code.BUNDLE_UNREADABLE, office.server.import_bundle, data)
    assert server_state(office) == before


def test_a_bundle_signed_with_another_token_s_key_is_refused(office: Office) -> None:
    """Sealed to the right server and naming a1's token, but signed by a2's key: someone
    holding one token cannot write as another."""
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a2, 2)
    a1_id, _ = sealed.token_parts(a1.token)
    _, a2_secret = sealed.token_parts(a2.token)
    keys = server_bundle.keys(office.server.engine)
    assert keys is not None
    genuine = unseal(a2.export_bundle(), LAPTOP, keys.box)
    payload = json.loads(gzip.decompress(genuine.body))
    forged = seal(
        LAPTOP,
        sealed.LaptopBundle.model_validate(payload),
        sealed.laptop_signing_key(a2_secret),
        a1_id,
        keys.public.box,
    )
    before = server_state(office)
    refused(Code.BUNDLE_BAD_SIGNATURE, office.server.import_bundle, forged)
    assert server_state(office) == before


def test_a_revoked_token_s_bundle_is_refused(office: Office) -> None:
    from sync.server import tokens

    a1 = office.laptops["a1"]
    visits(a1, 2)
    data = a1.export_bundle()
    token_id, _ = sealed.token_parts(a1.token)
    assert tokens.revoke(office.server.engine, token_id)
    before = server_state(office)
    refused(Code.BUNDLE_TOKEN_UNKNOWN, office.server.import_bundle, data)
    assert server_state(office) == before


def test_the_same_bundle_twice_applies_once(office: Office) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 6)
    data = a1.export_bundle()
    first = office.server.import_bundle(data)
    after_first = server_state(office)
    again = office.server.import_bundle(data)
    assert server_state(office) == after_first
    assert again.accepted == first.accepted == 7  # answered the same, not applied again
    a1.import_reply(again.reply)
    refused(Code.BUNDLE_ALREADY, a1.import_reply, again.reply)
    # The first reply answers the same bundle at the same server state: the same reply.
    refused(Code.BUNDLE_ALREADY, a1.import_reply, first.reply)
    assert a1.store.pending_count() == 0
    assert len(a1.live(Visit)) == 6


def test_an_older_bundle_after_a_newer_one_changes_nothing(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a1, 3)
    older = a1.export_bundle()
    visits(a1, 4, name="李四")
    newer = a1.export_bundle()
    office.server.import_bundle(newer)
    after_newer = server_state(office)
    late = office.server.import_bundle(older)
    assert server_state(office) == after_newer
    # Its reply is no older than what the laptop holds: it goes in, and only acknowledges.
    a1.import_reply(late.reply)
    assert a1.store.pending_count() == 4 + 1  # the newer bundle's changes wait for theirs
    a2.sync(office.server)
    assert len(a2.live(Visit)) == 7


def test_a_reply_older_than_one_applied_is_refused(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a1, 2)
    first = office.server.import_bundle(a1.export_bundle()).reply
    visits(a2, 2, name="李四")
    a2.sync(office.server)
    second = office.server.import_bundle(a1.export_bundle()).reply
    a1.import_reply(second)
    before = laptop_state(a1)
    refused(Code.BUNDLE_STALE, a1.import_reply, first)
    assert laptop_state(a1) == before


def test_a_reply_after_an_online_sync_went_further_is_refused(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a1, 2)
    reply = office.server.import_bundle(a1.export_bundle()).reply
    visits(a2, 2, name="李四")
    a2.sync(office.server)
    a1.sync(office.server)  # the link came back before the stick did
    before = laptop_state(a1)
    refused(Code.BUNDLE_STALE, a1.import_reply, reply)
    assert laptop_state(a1) == before
    assert a1.store.pending_count() == 0


def test_a_bundle_mixed_with_online_sync_doubles_nothing(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a1, 3)
    data = a1.export_bundle()
    a1.sync(office.server)  # the same changes went online meanwhile
    visits(a1, 2, name="李四")  # and more, pending
    imported = office.server.import_bundle(data)
    report = a1.import_reply(imported.reply)
    assert report.pushed == 0  # acknowledged online already
    assert a1.store.pending_count() == 3
    a1.sync(office.server)
    a2.sync(office.server)
    assert len(a2.live(Visit)) == 5 and a1.rows() == a2.rows()


def test_a_reply_for_another_laptop_is_refused(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a2, 2)
    reply = office.server.import_bundle(a2.export_bundle()).reply
    before = laptop_state(a1)
    # Sealed to a2's key: a1 cannot even open it.
    refused(Code.BUNDLE_UNREADABLE, a1.import_reply, reply)
    assert laptop_state(a1) == before


def test_a_reply_for_another_device_of_the_same_token_is_refused(office: Office) -> None:
    """Two laptops set up with one token (or one profile set up again): the reply opens,
    and names the device it answers."""
    a1 = office.laptops["a1"]
    visits(a1, 2)
    reply = office.server.import_bundle(a1.export_bundle()).reply
    client_device = a1.store.device_id
    outbox.start_over_as_new_device(a1.store)
    assert a1.store.device_id != client_device
    before = laptop_state(a1)
    refused(Code.BUNDLE_OTHER_LAPTOP, a1.import_reply, reply)
    assert laptop_state(a1) == before


def test_a_reply_signed_by_another_server_is_refused(office: Office) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 2)
    data = a1.export_bundle()
    reply = office.server.import_bundle(data).reply
    # The laptop now trusts another server: the reply's signature is not its server's.
    bundle.trust(a1.store, ServerKeys.from_seed(new_seed()).public, replace=True)
    before = laptop_state(a1)
    refused(Code.BUNDLE_BAD_SIGNATURE, a1.import_reply, reply)
    assert laptop_state(a1) == before


def test_a_changed_server_key_is_not_trusted_without_force(office: Office) -> None:
    a1 = office.laptops["a1"]
    known = bundle.trusted_key(a1.store)
    other = ServerKeys.from_seed(new_seed()).public
    refused(Code.BUNDLE_KEY_CHANGED, bundle.trust, a1.store, other)
    assert bundle.trusted_key(a1.store) == known
    for bad in ("", "civkey1_", "civkey1_" + "A" * 20, "ssh-ed25519 AAAA", known.text()[:-4]):
        refused(Code.BUNDLE_KEY_INVALID, sealed.ServerKey.parse, bad)


def test_a_token_made_before_bundles_can_sign_once_it_was_presented(office: Office) -> None:
    from sqlalchemy import update

    from sync.server import storage, tokens

    a1 = office.laptops["a1"]
    token_id, _ = sealed.token_parts(a1.token)
    with office.server.engine.begin() as conn:
        conn.execute(
            update(storage.tokens).where(storage.tokens.c.id == token_id).values(bundle_key=None)
        )
    visits(a1, 1)
    data = a1.export_bundle()
    refused(Code.BUNDLE_TOKEN_UNKNOWN, office.server.import_bundle, data)
    assert tokens.verify(office.server.engine, a1.token) is not None  # one online request
    assert office.server.import_bundle(data).accepted == 2


def test_a_reply_refusing_a_reused_sequence_takes_a_new_device(office: Office) -> None:
    """A laptop restored from an older copy, whose change numbers the server has seen with
    other changes: the reply says so, and the laptop goes on as a new device, as online."""
    a1 = office.laptops["a1"]
    copy = a1.keep_copy()
    visits(a1, 2)
    a1.sync(office.server)
    a1.restore(copy)
    visits(a1, 2, name="李四")
    old_device = a1.store.device_id
    reply = office.server.import_bundle(a1.export_bundle())
    assert reply.refused and reply.refused[0].code is Code.SEQUENCE_REUSED
    report = a1.import_reply(reply.reply)
    assert report.new_device_id and a1.store.device_id != old_device
    a1.sync(office.server)
    assert a1.store.pending_count() == 0 and len(a1.live(Visit)) == 4


def test_the_bundle_is_near_the_gzip_floor(office: Office) -> None:
    a1 = office.laptops["a1"]
    visits(a1, 300)
    rows = [json.loads(f) for (f,) in a1.store.db.execute("SELECT fields FROM changes")]
    floor = len(gzip.compress(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()))
    assert len(a1.export_bundle()) / floor <= 1.2


def test_a_bundle_with_nothing_pending_still_brings_a_reply(office: Office) -> None:
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    visits(a2, 3)
    a2.sync(office.server)
    reply = office.server.import_bundle(a1.export_bundle()).reply
    assert a1.import_reply(reply).pulled >= 4
    assert len(a1.live(Visit)) == 3


def test_a_reply_from_a_restored_server_sends_its_lost_changes_before_storing_pages(
    office: Office,
) -> None:
    """a1's phone was taken, then lost with the server's restore; a2, which never saw it,
    set the phone later. a1's reply says the server lacks a1's change: it goes again with
    the next bundle, and the reply's pages wait for that bundle's reply. Stored first, they
    made the change name a2's version as its base, as if a1 had seen a2's phone, and a2's
    later value won without a conflict (as online: sync/README.md, "Versions")."""
    a1, a2 = office.laptops["a1"], office.laptops["a2"]
    person = make_person(name="[/]王=秀英", village_code=VILLAGE_A, phone="13905800001")
    a1.store.save(person)
    a1.sync(office.server)
    a2.sync(office.server)
    copy = office.server.keep_copy()
    office.world.ms += 60_000
    a1.tick()
    a1.store.save(person.revise(context={"today": a1.today}, phone="13905800002"))
    a1.sync(office.server)
    office.server.restore(copy)
    office.world.ms += 60_000
    a2.tick()
    a2.store.save(person.revise(context={"today": a2.today}, phone="13905800003"))
    a2.sync(office.server)
    cursor = outbox.cursor(a1.store)
    report = a1.import_reply(office.server.import_bundle(a1.export_bundle()).reply)
    assert report.resent == 1 and report.pulled == 0
    # Pending: the phone, and the person (the server's last change of a1's id, sent again
    # to tell it from another copy's: `outbox.send_again_after`).
    assert outbox.cursor(a1.store) == cursor and a1.store.pending_count() == 2
    report = a1.import_reply(office.server.import_bundle(a1.export_bundle()).reply)
    assert report.conflicts == 1
    assert [r.params["side"] for r in report.found] == ["lost_here"]
    assert [r.params["who"] for r in report.found] == ["[/]王=秀英"]
    a2.sync(office.server)
    for lap in (a1, a2):
        held = lap.store.get(type(person), person.id)
        assert held is not None and held.phone == "13905800003", lap.name
    (lost,) = office.server.conflicts()
    assert (json.loads(lost["kept_value"]), json.loads(lost["lost_value"])) == (
        "13905800003",
        "13905800002",
    )


def test_a_clone_s_bundle_finds_its_changes_under_its_original_s_numbers(
    office: Office,
) -> None:
    """Issue #32, by stick: a1's profile copied onto another laptop, which synced a
    household under a1's id; the server, restored from a copy, lost it, and a1 pushed
    another household under the same number. The clone's bundle carries the fingerprints
    of its answered changes: the server finds its household's number held by a1's, applies
    nothing of the bundle, and the reply makes the clone a new device that sends both its
    households again (as online: `client.check_own_history`)."""
    from civtui.domain.models import Household

    a1 = office.laptops["a1"]
    copy = office.server.keep_copy()
    clone = a1.clone("a1-clone")
    made = [Household(village_code=VILLAGE_A, address="克隆路[/]1号")]
    clone.store.save(made[0])
    clone.sync(office.server)
    office.server.restore(copy)
    a1.store.save(Household(village_code=VILLAGE_A, address="原路1号"))
    a1.sync(office.server)
    made.append(Household(village_code=VILLAGE_A, address="克隆路2号"))
    clone.store.save(made[1])
    imported = office.server.import_bundle(clone.export_bundle())
    assert imported.accepted == 0 and imported.rejected == 0
    report = clone.import_reply(imported.reply)
    assert report.new_device_id and report.resent == 1
    assert clone.store.device_id != a1.store.device_id
    clone.sync(office.server)
    a1.sync(office.server)
    on_server = office.server.records()
    for household in made:
        assert ("households", household.id) in on_server
        assert a1.store.get(Household, household.id) is not None
    assert clone.store.pending_count() == 0


def test_a_server_from_before_fingerprints_is_synced_with_as_before(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server older than `/v1/applied` answers 404: the laptop syncs as before, and its
    bundles carry no fingerprints, which that server could not read. Once a server
    answers, they do."""
    from fastapi import HTTPException

    from sync.server import merge

    a1 = office.laptops["a1"]

    def unknown(*_args: Any) -> None:
        raise HTTPException(404)

    with monkeypatch.context() as old:
        old.setattr(merge, "applied", unknown)
        visits(a1, 2)
        report = a1.sync(office.server)
        assert report.accepted == 3 and not report.new_device_id
        bundle, _who = server_bundle.open_bundle(office.server.engine, a1.export_bundle())
        assert bundle.sent == []
    a1.sync(office.server)
    bundle, _who = server_bundle.open_bundle(office.server.engine, a1.export_bundle())
    assert [s.seq for s in bundle.sent] == outbox.acked_seqs(a1.store)


def test_a_reply_credits_each_field_to_its_own_writer(office: Office) -> None:
    """A reply's pages carry the field stamps as a pull does, for a bundle that says it
    reads them: a2's phone and sup's address, set between a1's syncs, are two steps of
    a1's history, each with its own device and time."""
    from civtui.domain.models import Person
    from db.history import record_history

    a1, a2, sup = office.laptops["a1"], office.laptops["a2"], office.laptops["sup"]
    person = make_person(name="王[/b]=1", village_code=VILLAGE_A)
    a1.store.save(person)
    for lap in (a1, a2, sup):
        lap.sync(office.server)
    for lap, fields in ((a2, {"phone": "13905800003"}), (sup, {"address": "西路[/]=2号"})):
        office.world.ms += 60_000
        lap.tick()
        held = lap.store.get(Person, person.id)
        assert held is not None
        lap.store.save(held.revise(context={"today": lap.today}, **fields))
        lap.sync(office.server)
    a1.import_reply(office.server.import_bundle(a1.export_bundle()).reply)
    steps = [s for s in record_history(a1.store, "persons", person.id) if s.pulled]
    assert [(s.device_id, s.fields) for s in steps] == [
        (a2.store.device_id, {"phone": "13905800003"}),
        (sup.store.device_id, {"address": "西路[/]=2号"}),
    ]
    assert steps[1].at - steps[0].at == dt.timedelta(minutes=1)


def test_a_reply_moves_an_edit_made_ahead_to_the_time_the_server_read_it(
    office: Office, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle says no clock: the server holds a stamp still ahead of its own to the
    time it imports it, and the laptop works that time out of the reply's answer, so its
    own history shows the edit then, not at the three days ahead its clock said."""
    from db.history import record_history
    from sync.server import merge

    monkeypatch.setattr(merge, "now_ms", office.world.now_ms)  # the server's clock: the world's
    a1 = office.laptops["a1"]
    person = make_person(name="王[/b]=1", village_code=VILLAGE_A)
    a1.store.save(person)
    a1.sync(office.server)
    a1.skew_ms = 3 * 86_400_000
    a1.tick()
    made_ms = office.world.now_ms() + a1.skew_ms
    a1.store.save(
        person.revise(context={"today": office.world.clock(0).today()}, address="西路[/]=2号")
    )
    office.world.ms += 3_600_000  # the stick reaches the township an hour later
    imported_ms = office.world.now_ms()
    reply = office.server.import_bundle(a1.export_bundle()).reply

    def edit_ms() -> int:
        (step,) = [s for s in record_history(a1.store, "persons", person.id) if s.op == "update"]
        return round(step.at.timestamp() * 1000)

    assert edit_ms() == made_ms  # not sent: the time its clock said
    a1.import_reply(reply)
    assert edit_ms() == imported_ms


def test_a_bundle_after_a_first_sync_of_more_than_a_push_carries_every_fingerprint(
    office: Office,
) -> None:
    """A first online sync of more changes than one push holds (the demo profile's 1267),
    then one visit: the bundle carries the fingerprints of all of them, each computed a
    push's worth at a time, and the server reads them and applies the visit."""
    from sync.protocol import MAX_PUSH_CHANGES

    a1 = office.laptops["a1"]
    visits(a1, MAX_PUSH_CHANGES + 50, name="钱[/b]=1")
    a1.sync(office.server)
    assert len(outbox.acked_seqs(a1.store)) > MAX_PUSH_CHANGES
    assert a1.store.get_meta(outbox.SERVER_ANSWERS_APPLIED) == "1"  # it sends fingerprints
    visits(a1, 1, name="孙=2[/]")
    imported = office.server.import_bundle(a1.export_bundle())
    assert (imported.accepted, imported.rejected) == (2, 0)
    report = a1.import_reply(imported.reply)
    assert report.new_device_id is None and a1.store.pending_count() == 0
