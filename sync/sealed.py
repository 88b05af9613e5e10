"""Sealed bundles, both ends: the file format, the keys and what a bundle and its reply hold.

`sync.bundle` is the laptop's side, `sync.server.bundle` the server's.

Sealed bundles carry `civtui sync` on a USB stick where no link exists at all.

A laptop's bundle holds what `civtui sync` would push (the same `PushRequest` bodies) and
its pull cursor; the server applies it with the same `merge.push` and answers with a reply
bundle: the same `PushResponse`s and `PullResponse` pages a sync would have received, which
the laptop stores with the same functions as an online sync (`client.apply_push_answer`,
`client.apply_pull_page`). So a bundle is exactly as safe to repeat as a push, and a reply as
a pull. The design, and why each check is there: sync/README.md, "Bundles".

A file is `CIVB`, the format's number and its kind (a laptop's bundle or a reply), then a
libsodium sealed box to its reader's Curve25519 key holding the signer's token id, an
Ed25519 signature of the header and the payload, and the payload: compact JSON, gzipped.
Nothing on the stick is readable without the reader's private key, and any byte changed or
missing fails the box's MAC before anything is parsed.
"""

from __future__ import annotations

import base64
import gzip
import os
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.signing
from pydantic import Field, ValidationError

from sync import protocol
from sync.protocol import (
    DEVICE_PATTERN,
    EPOCH_PATTERN,
    MAX_INT,
    Code,
    Message,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
)

MAGIC = b"CIVB"
FORMAT = 1
#: The file's kind, after its format number: a laptop's bundle, or the server's reply.
LAPTOP = b"L"
REPLY = b"R"
HEADER = len(MAGIC) + 2
#: A village's month (3,000 visits) is well under a megabyte; a first reply of a large
#: village a few. The file is read whole, so it is measured first.
MAX_FILE_BYTES = 64 * 1024 * 1024
#: ...and inflated only this far (a gzip bomb inside a valid signature stops here too).
MAX_PAYLOAD_BYTES = 256 * 1024 * 1024
MAX_PUSHES = 10_000
MAX_PAGES = 100_000
#: A bundle carries the fingerprints of this many of its laptop's latest answered changes
#: (`LaptopBundle.sent`): a copy of the profile that pushed other changes under the same
#: numbers, after a server restore, did so among the latest.
MAX_SENT = 10_000
#: The suffix of a bundle's file; its name says only the village code and the date.
SUFFIX = ".civb"
#: The server's public key as text: this prefix, then the box and verify keys, base64url.
KEY_PREFIX = "civkey1_"


class BundleError(protocol.CodedError):
    """A bundle or reply refused, or one that changes nothing; `reason` says why as a code
    (rendered by `sync.words`). Raised before anything is written."""


def refuse(code: Code, **params: Any) -> BundleError:
    return BundleError(Reason.of(code, **params))


# -- keys ------------------------------------------------------------------------------


def _derive(secret: bytes, person: bytes) -> bytes:
    """A 32-byte seed of its own for each use of one secret (BLAKE2b, personalised)."""
    return nacl.hash.blake2b(
        secret, digest_size=32, person=person, encoder=nacl.encoding.RawEncoder
    )


def token_parts(token: str) -> tuple[str, str]:
    """A token's id and secret (`civ_<id>_<secret>`, `sync.server.tokens`)."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "civ" or not parts[1] or not parts[2]:
        raise refuse(Code.TOKEN_INVALID)
    return parts[1], parts[2]


def laptop_signing_key(secret: str) -> nacl.signing.SigningKey:
    """The key a token's laptops sign bundles with: made from the token's secret, so the
    laptop stores nothing more, and the server, which sees the secret only when the token is
    made or presented, keeps its public half (`verify_key_of`)."""
    return nacl.signing.SigningKey(_derive(secret.encode(), b"civtui-bsign"))


def laptop_box_key(secret: str) -> nacl.public.PrivateKey:
    """The key replies are sealed to; its public half travels inside the signed bundle."""
    return nacl.public.PrivateKey(_derive(secret.encode(), b"civtui-bbox"))


def verify_key_of(secret: str) -> str:
    """The public signing key of a token's secret, hex: what the server keeps of it."""
    return laptop_signing_key(secret).verify_key.encode(nacl.encoding.HexEncoder).decode()


@dataclass(frozen=True)
class ServerKey:
    """The server's public key: laptops seal bundles to `box` and check replies with
    `verify`."""

    box: nacl.public.PublicKey
    verify: nacl.signing.VerifyKey

    def text(self) -> str:
        raw = bytes(self.box) + bytes(self.verify)
        return KEY_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def fingerprint(self) -> str:
        """Short enough to read out over the phone and compare with the township's."""
        digest = nacl.hash.blake2b(bytes(self.box) + bytes(self.verify), digest_size=8)
        text = digest.decode()
        return " ".join(text[i : i + 4] for i in range(0, len(text), 4))

    @classmethod
    def parse(cls, text: str) -> ServerKey:
        body = text.strip()
        if not body.startswith(KEY_PREFIX):
            raise refuse(Code.BUNDLE_KEY_INVALID)
        try:
            encoded = body[len(KEY_PREFIX) :]
            raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise refuse(Code.BUNDLE_KEY_INVALID) from None
        if len(raw) != 64:
            raise refuse(Code.BUNDLE_KEY_INVALID)
        return cls(nacl.public.PublicKey(raw[:32]), nacl.signing.VerifyKey(raw[32:]))


@dataclass(frozen=True)
class ServerKeys:
    """The server's key pair, made from one random seed it keeps (`sync.server.bundle`)."""

    box: nacl.public.PrivateKey
    signing: nacl.signing.SigningKey

    @classmethod
    def from_seed(cls, seed: bytes) -> ServerKeys:
        return cls(
            nacl.public.PrivateKey(_derive(seed, b"civtui-sbox")),
            nacl.signing.SigningKey(_derive(seed, b"civtui-ssign")),
        )

    @property
    def public(self) -> ServerKey:
        return ServerKey(self.box.public_key, self.signing.verify_key)


def new_seed() -> bytes:
    return os.urandom(32)


# -- what travels ----------------------------------------------------------------------


class Sent(Message):
    """One of the laptop's answered changes, by its number and fingerprint."""

    seq: int = Field(ge=1, le=MAX_INT)
    fingerprint: str = Field(pattern=r"^[0-9a-f]{32}$")


class LaptopBundle(Message):
    """What a laptop's bundle holds: `civtui sync`'s pushes and where its pull stands."""

    format: Literal[1] = 1
    bundle_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    device_id: str = Field(pattern=f"^{DEVICE_PATTERN}$")
    made_at: str = Field(max_length=40)
    cursor: int = Field(ge=0, le=MAX_INT)
    #: The laptop's public key (hex) the reply is sealed to.
    reply_key: str = Field(pattern=r"^[0-9a-f]{64}$")
    pushes: list[PushRequest] = Field(default_factory=list, max_length=MAX_PUSHES)
    #: The fingerprints of the latest changes the server answered this laptop under its
    #: device id (`protocol.fingerprint`), oldest first: what a sync asks online before it
    #: pushes (`sync.client.check_own_history`), carried for the server to compare.
    sent: list[Sent] = Field(default_factory=list, max_length=MAX_SENT)
    #: The server epoch the cursor counts in (`protocol.EpochRequest`), and the features
    #: this laptop reads (`protocol.Feature`): both only in a bundle for a server that said
    #: online it reads them (`Feature.BUNDLE_EPOCH`), since an older one refuses a field
    #: it does not know. Without them the reply's pages start at the cursor, as before.
    epoch: str | None = Field(default=None, pattern=f"^{EPOCH_PATTERN}$")
    reads: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=32)


class PushAnswer(Message):
    """The server's word on one push of a bundle: its answer, or why it refused the push
    (a device held by another token, a change number reused, a server behind)."""

    resolved: list[int] = Field(default_factory=list)
    answer: PushResponse | None = None
    refused: Reason | None = None


class Reply(Message):
    """What a reply bundle holds: the answers to a bundle's pushes and the pull pages from
    its cursor, for that laptop only."""

    format: Literal[1] = 1
    answers: str = Field(pattern=r"^[0-9a-f]{32}$")
    token_id: str = Field(max_length=16)
    device_id: str = Field(pattern=f"^{DEVICE_PATTERN}$")
    made_at: str = Field(max_length=40)
    #: The bundle's cursor, where the pages start, and the server's version at their end.
    from_cursor: int = Field(ge=0, le=MAX_INT)
    top: int = Field(ge=0, le=MAX_INT)
    pushes: list[PushAnswer] = Field(default_factory=list, max_length=MAX_PUSHES)
    pages: list[PullResponse] = Field(default_factory=list, max_length=MAX_PAGES)
    #: The first of the bundle's `sent` changes the server holds as another change under
    #: the same number (another copy of the profile's): from it on, the laptop's changes
    #: are not on the server, and no push of the bundle was applied.
    others_from: int | None = Field(default=None, ge=1, le=MAX_INT)
    #: For a bundle that reads epochs (`LaptopBundle.reads`; None for an older laptop,
    #: which would refuse the fields): the server's epoch when the reply was made, and the
    #: one the bundle's cursor counted in. The laptop counts its cursor in `epoch` from
    #: `from_cursor`, which is then where the two histories still agree
    #: (`sync.server.epochs.start`), at or before the bundle's cursor.
    epoch: str | None = Field(default=None, pattern=f"^{EPOCH_PATTERN}$")
    counted_in: str | None = Field(default=None, pattern=f"^{EPOCH_PATTERN}$")


def _payload(message: LaptopBundle | Reply) -> bytes:
    # A push body is written as it goes on the wire (`protocol.encode`): a change's seq is
    # left out where it is one more than the one before.
    exclude: dict[str, Any] | None = None
    if isinstance(message, LaptopBundle):
        runs = {i: p.wire_exclude() for i, p in enumerate(message.pushes) if p.wire_exclude()}
        exclude = {"pushes": runs} if runs else None
    text = message.model_dump_json(exclude_defaults=True, exclude=exclude)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def seal(
    kind: bytes,
    message: LaptopBundle | Reply,
    signer: nacl.signing.SigningKey,
    signer_id: str,
    to: nacl.public.PublicKey,
) -> bytes:
    """A bundle file's bytes: `message` signed by `signer`, sealed to `to`."""
    header = MAGIC + bytes([FORMAT]) + kind
    body = _payload(message)
    signature = signer.sign(header + body).signature
    named = signer_id.encode("ascii")
    inner = bytes([len(named)]) + named + signature + body
    return header + nacl.public.SealedBox(to).encrypt(inner)


@dataclass(frozen=True)
class Opened:
    """A bundle file opened with its reader's key; the signature is not yet checked."""

    header: bytes
    signer_id: str
    signature: bytes
    body: bytes

    def check(self, verify: nacl.signing.VerifyKey) -> None:
        try:
            verify.verify(self.header + self.body, self.signature)
        except nacl.exceptions.BadSignatureError:
            raise refuse(Code.BUNDLE_BAD_SIGNATURE) from None

    def read(self, model: type[LaptopBundle] | type[Reply]) -> Any:
        try:
            text = protocol.decompress(self.body, MAX_PAYLOAD_BYTES)
        except protocol.BodyTooLargeError:
            raise refuse(Code.BUNDLE_TOO_LARGE, limit=MAX_PAYLOAD_BYTES) from None
        except ValueError:
            raise refuse(Code.BUNDLE_UNREADABLE) from None
        try:
            return model.model_validate_json(text)
        except ValidationError:
            # Signed, so made by a key holder: a version of civtui this one cannot read.
            raise refuse(Code.BUNDLE_UNREADABLE) from None


def unseal(data: bytes, kind: bytes, key: nacl.public.PrivateKey) -> Opened:
    """Open a bundle file of `kind` with the reader's private key; refused if it is not one,
    or damaged, cut short, changed or sealed for another key."""
    expected = "bundle" if kind == LAPTOP else "reply"
    if len(data) > MAX_FILE_BYTES:
        raise refuse(Code.BUNDLE_TOO_LARGE, limit=MAX_FILE_BYTES)
    header = data[:HEADER]
    if header[: len(MAGIC)] != MAGIC:
        raise refuse(Code.BUNDLE_NOT_ONE, expected=expected)
    if header[len(MAGIC) + 1 :] != kind:
        # A civtui file of the other kind: said as such (a laptop's own bundle, brought
        # back instead of the township's reply, is the usual mix-up).
        found = "bundle" if header[len(MAGIC) + 1 :] == LAPTOP else "reply"
        raise refuse(Code.BUNDLE_NOT_ONE, expected=expected, found=found)
    if header[len(MAGIC)] != FORMAT:
        raise refuse(Code.BUNDLE_UNREADABLE)
    try:
        inner = nacl.public.SealedBox(key).decrypt(data[HEADER:])
    except nacl.exceptions.CryptoError:
        raise refuse(Code.BUNDLE_UNREADABLE) from None
    size = inner[0] if inner else 0
    if len(inner) < 1 + size + 64:
        raise refuse(Code.BUNDLE_UNREADABLE)
    try:
        signer_id = inner[1 : 1 + size].decode("ascii")
    except UnicodeDecodeError:
        raise refuse(Code.BUNDLE_UNREADABLE) from None
    return Opened(header, signer_id, inner[1 + size : 1 + size + 64], inner[1 + size + 64 :])
