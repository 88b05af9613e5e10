"""The laptop's side of sealed bundles: `civtui bundle export`, `import` and `trust`.

A laptop's bundle holds what `civtui sync` would push (the same `PushRequest` bodies) and
its pull cursor; the server applies it with the same `merge.push` and answers with a reply:
the same `PushResponse`s and `PullResponse` pages a sync would have received, stored here
with the same functions as an online sync (`client.apply_push_answer`,
`client.apply_pull_page`). So a bundle is exactly as safe to repeat as a push, and a reply
as a pull. The format and keys: `sync.sealed`; the design: sync/README.md, "Bundles".
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import nacl.encoding
import pydantic_core

from civtui.domain.batches import chunked
from db import Store, outbox, queries
from sync import client, protocol
from sync.protocol import MAX_INT, Code, PushRequest, PushResponse, Reason
from sync.sealed import (
    LAPTOP,
    MAX_FILE_BYTES,
    MAX_SENT,
    REPLY,
    SUFFIX,
    BundleError,
    LaptopBundle,
    Reply,
    Sent,
    ServerKey,
    laptop_box_key,
    laptop_signing_key,
    refuse,
    seal,
    token_parts,
    unseal,
)

__all__ = ["BundleError"]

#: Profile meta: the server's public key, and the last bundle made and reply imported.
SERVER_KEY = "bundle_server_key"
LAST_EXPORT = "bundle_last_export"
LAST_REPLY = "bundle_last_reply"

Progress = Callable[[str, int, int], None]


def trusted_key(store: Store) -> ServerKey:
    """The server key this profile seals its bundles to (from login, or `bundle trust`)."""
    text = store.get_meta(SERVER_KEY)
    if not text:
        raise refuse(Code.BUNDLE_NO_SERVER_KEY)
    return ServerKey.parse(text)


def trust(store: Store, key: ServerKey, *, replace: bool = False) -> bool:
    """Keep `key` as the server's; refused if another is kept (unless `replace`): a key
    swapped on the stick would seal the next bundle to whoever swapped it. Returns whether
    it was new."""
    known = store.get_meta(SERVER_KEY)
    if known == key.text():
        return False
    if known and not replace:
        raise refuse(Code.BUNDLE_KEY_CHANGED, fingerprint=ServerKey.parse(known).fingerprint())
    with store.transaction():
        store.set_meta(SERVER_KEY, key.text())
    return True


def fetch_server_key(conn: client.Connection) -> ServerKey | None:
    """The server's bundle key over the authenticated link (at login); None from a server
    that has none (or predates bundles)."""
    try:
        said = conn.call("GET", protocol.PATH_BUNDLE_KEY, None, protocol.BundleKey)
    except client.RequestRefusedError:
        return None
    return ServerKey.parse(said.key)


@dataclass(frozen=True)
class Exported:
    """A bundle made: its bytes, its id and how many changes it carries."""

    data: bytes
    bundle_id: str
    changes: int
    resolved: int


def export(store: Store, token: str, progress: Progress | None = None) -> Exported:
    """Everything `civtui sync` would push now, and this laptop's pull cursor, as a bundle
    for the server. Writes nothing: the changes stay pending until a reply (or a sync)
    acknowledges them, so a lost stick loses nothing."""
    tell = progress or (lambda stage, done, total: None)
    server = trusted_key(store)
    _token_id, secret = token_parts(token)
    pending = outbox.next_batch(store, MAX_INT)
    resolved = outbox.unsent_resolutions(store, protocol.MAX_PUSH_CHANGES)
    highest = outbox.highest_acked(store)
    reads = client.server_reads(store)
    former = outbox.given_up_ids(store, protocol.MAX_FORMER_IDS)
    pushes: list[PushRequest] = []
    done = 0
    for batch in chunked(pending, client.PUSH_BATCH):
        pushes.append(
            client.push_request(store.device_id, batch, [], highest, reads=reads, former_ids=former)
        )
        done += len(batch)
        tell("export", done, len(pending))
    if resolved:
        if pushes:
            pushes[0] = pushes[0].model_copy(update={"resolved": resolved})
        else:
            pushes.append(
                client.push_request(
                    store.device_id, [], resolved, highest, reads=reads, former_ids=former
                )
            )
    # Only for a server known to compare them: an older one could not read the bundle.
    acked = outbox.acked_seqs(store)[-MAX_SENT:] if _server_compares(store) else []
    # Only for a server known to read them, as the fingerprints.
    epochs = protocol.Feature.BUNDLE_EPOCH in reads
    bundle = LaptopBundle(
        epoch=(store.get_meta(outbox.SERVER_EPOCH) or None) if epochs else None,
        reads=sorted(protocol.FEATURES) if epochs else [],
        sent=[Sent(seq=seq, fingerprint=fp) for seq, fp in client.own_fingerprints(store, acked)],
        bundle_id=uuid.uuid4().hex,
        device_id=store.device_id,
        made_at=store.clock.now().isoformat(timespec="seconds"),
        cursor=outbox.cursor(store),
        reply_key=laptop_box_key(secret).public_key.encode(nacl.encoding.HexEncoder).decode(),
        pushes=pushes,
    )
    data = seal(LAPTOP, bundle, laptop_signing_key(secret), _token_id, server.box)
    return Exported(data, bundle.bundle_id, len(pending), len(resolved))


def _server_compares(store: Store) -> bool:
    """Whether the server has said, online, which changes of this device id it holds: it
    then reads the fingerprints a bundle carries (`LaptopBundle.sent`)."""
    return store.get_meta(outbox.SERVER_ANSWERS_APPLIED) == "1"


def note_export(store: Store, exported: Exported) -> None:
    """Remember the bundle that left (for the 待同步 page), once its file is written."""
    said = {
        "id": exported.bundle_id,
        "at": store.clock.now().isoformat(timespec="seconds"),
        "changes": exported.changes,
    }
    with store.transaction():
        store.set_meta(LAST_EXPORT, pydantic_core.to_json(said).decode())


def open_reply(store: Store, token: str, data: bytes) -> Reply:
    """A reply opened and checked for this laptop; nothing is written. Refused if it is not
    a reply, damaged, not signed by the trusted server, or for another laptop."""
    server = trusted_key(store)
    token_id, secret = token_parts(token)
    opened = unseal(data, REPLY, laptop_box_key(secret))
    opened.check(server.verify)
    reply: Reply = opened.read(Reply)
    if reply.token_id != token_id or reply.device_id != store.device_id:
        raise refuse(Code.BUNDLE_OTHER_LAPTOP)
    return reply


def import_reply(
    store: Store, token: str, data: bytes, progress: Progress | None = None
) -> client.SyncReport:
    """Apply a reply as an online sync applies the same answers and pages.

    Refused, writing nothing, when it was imported already or the laptop has since synced
    past it (its pages would be older than what the laptop holds), or when the laptop holds
    less than where its pages start (a profile restored from an older copy)."""
    tell = progress or (lambda stage, done, total: None)
    reply = open_reply(store, token, data)
    last = store.get_meta(LAST_REPLY)
    if (
        last
        and pydantic_core.from_json(last).get("top") == reply.top
        and (pydantic_core.from_json(last).get("id") == reply.answers)
    ):
        raise refuse(Code.BUNDLE_ALREADY)
    cursor = outbox.cursor(store)
    counted_in = store.get_meta(outbox.SERVER_EPOCH) or None
    moved = reply.epoch is not None and reply.epoch != counted_in
    if moved:
        # The server's history now is not the one this laptop's cursor counts in (it was
        # restored): the cursor cannot be compared with the reply's top. The pages fit if
        # the laptop still counts in the history its bundle said: they start where that
        # and the server's still agree. Counted in another since, it synced elsewhere.
        if counted_in != reply.counted_in:
            raise refuse(Code.BUNDLE_STALE)
    elif cursor > reply.top:
        raise refuse(Code.BUNDLE_STALE)
    if cursor < reply.from_cursor:
        raise refuse(Code.BUNDLE_GAP)
    report = client.SyncReport()
    run = outbox.start_run(store)
    pages = True
    if reply.others_from is not None:
        # The server holds another copy's changes under this laptop's numbers from there
        # on (and applied none of the bundle's): they go again under a new id, and the
        # new device pulls everything, by its next bundle or sync.
        report.resent = outbox.start_over_from(store, reply.others_from)
        report.new_device_id = store.device_id
        pages = False
    for answered in reply.pushes:
        if answered.refused is not None:
            pages = _refused(store, report, answered.refused)
            break
        if answered.answer is not None:
            _acknowledge(store, report, run, answered.resolved, answered.answer)
        tell("push", report.pushed, report.pushed)
    checked = False
    # Offline there is no `/v1/me` to ask for the token's villages: a reply's records are
    # taken for the villages this profile holds, as a pull's are, and any other is refused.
    villages = frozenset(queries.village_names(store))
    for number, page in enumerate(reply.pages if pages else []):
        if page.applied_through is not None and not checked:
            checked = True
            if client.server_holds(store, report, page.applied_through) == "restart":
                break  # a new device pulls everything: by its next bundle or sync
        if report.resent:
            # The server lost changes it had taken (restored from a copy): they go with
            # the next bundle, before anything of these pages is stored, as online. Stored
            # first, each change would name as its base the version just pulled, as if
            # this laptop had seen what another wrote since, and a concurrent edit made
            # meanwhile would lose to it without a conflict. The next reply brings them.
            break
        if moved and reply.epoch is not None:
            # From where the two histories agree, counted in the server's epoch now, as
            # `client.align_cursor` does online before a pull: just before the first page.
            outbox.set_epoch(store, reply.epoch, reply.from_cursor)
            moved = False
        client.apply_pull_page(store, report, page, villages)
        tell("pull", number + 1, len(reply.pages))
    report.held = outbox.held_count(store)
    # A refused record whose missing parent this reply brought goes with the next bundle.
    report.sent_again = outbox.send_refused_again(store)
    client.settle_own_conflicts(store, report)
    said = {"id": reply.answers, "top": reply.top, "at": reply.made_at}
    with store.transaction():
        store.set_meta(LAST_REPLY, pydantic_core.to_json(said).decode())
        store.set_meta(outbox.LAST_SYNC, store.clock.now().isoformat(timespec="seconds"))
        store.set_meta(outbox.LAST_RESULT, client.stored_summary(client.summary(report)))
    return report


def _acknowledge(
    store: Store, report: client.SyncReport, run: int, resolved: list[int], answer: PushResponse
) -> None:
    """One push's answer, for the changes still pending here: one acknowledged since (by a
    sync, or an earlier reply) was answered the same way then."""
    pending = {c.seq: c for c in outbox.next_batch(store, MAX_INT)}
    results = [r for r in answer.results if r.seq in pending]
    batch = [pending[r.seq] for r in results]
    client.apply_push_answer(
        store, report, run, batch, resolved, answer.model_copy(update={"results": results})
    )


def _refused(store: Store, report: client.SyncReport, reason: Reason) -> bool:
    """Set right what the server's refusal of a push says, as `civtui sync` does; returns
    whether the reply's pages still fit this laptop."""
    if reason.code is Code.SERVER_BEHIND:
        # The server lost changes it had acknowledged: they go with the next bundle.
        held = int(reason.params.get("applied_through", 0))
        report.resent = outbox.send_again_after(store, held)
        return True
    if reason.code is Code.SEQUENCE_REUSED:
        # This profile is an older copy: under a new device id its changes are new again,
        # and it pulls everything from the start.
        report.new_device_id = outbox.start_over_as_new_device(store)
        return False
    raise client.SyncError(reason)


def file_name(village: str, day: dt.date, reply: bool = False) -> str:
    """A bundle's file name: the village code and the date, nothing about anyone."""
    return f"{village}-{day:%Y%m%d}{'-reply' if reply else ''}{SUFFIX}"


def write_file(path: Path, data: bytes) -> None:
    """Write a bundle whole or not at all: a stick pulled out mid-write leaves the old file
    (or none), never half of one."""
    partial = path.with_name(path.name + ".part")
    with partial.open("wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    partial.replace(path)


def read_file(path: Path) -> bytes:
    """A bundle's bytes, measured before they are read."""
    if path.stat().st_size > MAX_FILE_BYTES:
        raise refuse(Code.BUNDLE_TOO_LARGE, limit=MAX_FILE_BYTES)
    return path.read_bytes()
