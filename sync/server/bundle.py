"""The server's side of sealed bundles: its key pair, and `civtui server bundle import`.

A bundle is applied by the same `merge.push` as `/v1/push`, as the token that signed it
(its villages, its devices), and answered with the same `merge.pull` pages as `/v1/pull`,
sealed to the laptop that made it. Nothing is written before the bundle is opened, its
signature checked and its whole payload read. The design: sync/README.md, "Bundles".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import nacl.encoding
import nacl.public
import nacl.signing
from sqlalchemy import Engine, delete, insert, select

from sync import protocol
from sync.protocol import Code, PullRequest, Reason
from sync.sealed import (
    LAPTOP,
    REPLY,
    LaptopBundle,
    PushAnswer,
    Reply,
    ServerKey,
    ServerKeys,
    new_seed,
    refuse,
    seal,
    unseal,
)
from sync.server import epochs, merge, tokens
from sync.server.storage import server_secrets
from sync.server.tokens import Identity

#: The name of the key pair's seed in `server_secrets`.
SEED = "bundle_seed"
#: Pull pages of a reply: the size `civtui sync` asks for.
PAGE = 500

Progress = Callable[[str, int, int], None]


def keys(engine: Engine) -> ServerKeys | None:
    """The server's bundle key pair; None before `server init` or `server bundle keygen`."""
    with engine.connect() as conn:
        seed = conn.execute(
            select(server_secrets.c.value).where(server_secrets.c.name == SEED)
        ).scalar()
    return ServerKeys.from_seed(bytes.fromhex(seed)) if seed else None


def make_keys(engine: Engine, *, replace: bool = False) -> tuple[ServerKey, bool]:
    """The server's public key, made now if there is none (or `replace`); and whether it
    was made. A new key makes every bundle sealed to the old one unreadable, and every
    laptop must be given the new one: so only when asked."""
    found = keys(engine)
    if found is not None and not replace:
        return found.public, False
    seed = new_seed()
    with engine.begin() as conn:
        conn.execute(delete(server_secrets).where(server_secrets.c.name == SEED))
        conn.execute(insert(server_secrets).values(name=SEED, value=seed.hex()))
    return ServerKeys.from_seed(seed).public, True


@dataclass
class Imported:
    """What importing a bundle did: the reply to carry back, and its figures."""

    reply: bytes
    who: Identity
    device_id: str
    accepted: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    refused: list[Reason] = field(default_factory=list)


def open_bundle(engine: Engine, data: bytes) -> tuple[LaptopBundle, Identity]:
    """A laptop's bundle opened, its signature checked against its token's key and its
    payload read; refused (nothing written) otherwise."""
    pair = keys(engine)
    if pair is None:
        raise refuse(Code.BUNDLE_NO_KEY_PAIR)
    opened = unseal(data, LAPTOP, pair.box)
    signer = tokens.bundle_signer(engine, opened.signer_id)
    if signer is None:
        raise refuse(Code.BUNDLE_TOKEN_UNKNOWN, token=opened.signer_id)
    who, verify = signer
    opened.check(nacl.signing.VerifyKey(verify.encode(), encoder=nacl.encoding.HexEncoder))
    bundle: LaptopBundle = opened.read(LaptopBundle)
    return bundle, who


def _start(engine: Engine, said: str | None, cursor: int) -> tuple[str, int]:
    """The server's epoch now and where a reply's pages from `cursor`, counted in `said`,
    start (`epochs.start`). The epoch now is the latest the database lists: the import is
    not a server process, and a server restored since (a restart) begins its own at its
    first sync; whatever it holds past a laptop's cursor then is past that epoch's top."""
    ours = epochs.latest(engine) or epochs.begin(engine)
    found = epochs.start(engine, said, cursor, ours)
    assert found is not None  # `ours` is listed
    return found


def import_bundle(engine: Engine, data: bytes, progress: Progress | None = None) -> Imported:
    """Apply a laptop's bundle as its pushes would be applied online, and make its reply."""
    tell = progress or (lambda stage, done, total: None)
    pair = keys(engine)
    bundle, who = open_bundle(engine, data)
    assert pair is not None  # open_bundle refuses without one
    answers: list[PushAnswer] = []
    done = Imported(b"", who, bundle.device_id)
    # Whose the server's changes of this device id are, as a sync asks before it pushes:
    # from the first that is another copy's, the laptop's are not here, and its pushes
    # would go on top of that copy's. It sends them again under a new id.
    others = merge.first_not_own(
        engine, who, bundle.device_id, {s.seq: s.fingerprint for s in bundle.sent}
    )
    for number, push in enumerate(bundle.pushes if others is None else []):
        try:
            answer = merge.push(engine, who, push)
        except merge.DeviceOwnedError:
            refused = Reason.of(Code.DEVICE_TAKEN)
        except merge.SequenceReusedError as exc:
            refused = Reason.of(Code.SEQUENCE_REUSED, seq=exc.seq)
        except merge.SequenceGapError as exc:
            refused = Reason.of(Code.SERVER_BEHIND, applied_through=exc.applied_through)
        else:
            answers.append(PushAnswer(resolved=push.resolved, answer=answer))
            for result in answer.results:
                if result.status == "accepted":
                    done.accepted += 1
                elif result.status == "conflict":
                    done.conflicts += 1
                else:
                    done.rejected += 1
            tell("import", number + 1, len(bundle.pushes))
            continue
        # As online, the pushes after a refused one would not fit: the laptop sets right
        # what the refusal says and sends them again.
        answers.append(PushAnswer(refused=refused))
        done.refused.append(refused)
        break
    pages = []
    reads = protocol.features_of(bundle.reads)
    epoch, cursor = None, bundle.cursor
    if protocol.Feature.BUNDLE_EPOCH in reads:
        # Where the pages start, by the history the cursor counts in, as `/v1/epoch` says
        # online: a laptop that pulled in a history a restore lost lacks records below it.
        epoch, cursor = _start(engine, bundle.epoch, bundle.cursor)
    start = cursor
    while True:
        request = PullRequest(cursor=cursor, limit=PAGE, device_id=bundle.device_id)
        page = merge.pull(engine, who, request, reads)
        pages.append(page)
        done.pulled += len(page.records)
        cursor = page.cursor
        tell("reply", done.pulled, done.pulled + (PAGE if page.has_more else 0))
        if not page.has_more:
            break
    reply = Reply(
        answers=bundle.bundle_id,
        token_id=who.token_id,
        device_id=bundle.device_id,
        made_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        from_cursor=start,
        top=cursor,
        pushes=answers,
        pages=pages,
        others_from=others,
        epoch=epoch,
        counted_in=bundle.epoch if epoch else None,
    )
    to = nacl.public.PublicKey(bundle.reply_key.encode(), encoder=nacl.encoding.HexEncoder)
    done.reply = seal(REPLY, reply, pair.signing, "", to)
    return done
