"""The sync protocol, shared by the client and the server: paths, limits and message models.

Bodies travel as gzip-compressed JSON (`Content-Encoding: gzip`) both ways. The models here
are the wire's own: the server never loads the laptop's store, so the client converts them
to and from the store's types (`sync.stored`).
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

import pydantic_core
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
)
from pydantic_core import PydanticCustomError

from civtui.domain.models import SYNCED_TYPES

API = "/v1"
PATH_HEALTH = f"{API}/health"
PATH_ME = f"{API}/me"
PATH_PUSH = f"{API}/push"
PATH_PULL = f"{API}/pull"
#: The server's public key for sealed bundles (`sync.bundle`), asked at login.
PATH_BUNDLE_KEY = f"{API}/bundle-key"
#: Whose the server's changes of a device id are (`AppliedRequest`), asked before a sync.
PATH_APPLIED = f"{API}/applied"
#: Where a laptop's pull starts, by the server's history it counted its cursor in
#: (`EpochRequest`), asked before every pull.
PATH_EPOCH = f"{API}/epoch"

#: A request body may be this large on the wire...
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
#: ...and this large once decompressed (a gzip bomb stops here).
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_PUSH_CHANGES = 1000
MAX_PULL_PAGE = 2000
#: Change numbers one `AppliedRequest` asks about: a laptop narrows down where its own
#: changes end on the server by this factor per request.
MAX_PROBES = 64
#: Former device ids one push names: a profile takes a new id once per restore or copy.
MAX_FORMER_IDS = 32
#: Villages a pull answer names as its token's (`PullResponse.villages`); a token of more
#: (a county's) is not named there, and its laptop asks `PATH_ME` as before.
MAX_PULL_VILLAGES = 500
#: An answer the client reads may be this large, on the wire and again once inflated: a
#: server's answer is read within a limit like a request (a gzip bomb stops here). A pull
#: page larger than this is asked for again in smaller pages (`sync.client`).
MAX_ANSWER_BYTES = MAX_DECOMPRESSED_BYTES
#: Numbers are stored as 64-bit integers on both databases: one past it was a 500.
MAX_INT = 2**63 - 1
#: A record has a few dozen fields; more is not a record.
MAX_FIELDS = 64
#: Ids: no control characters (PostgreSQL refuses NUL in text, which would fail the whole
#: request) and no spaces at the ends; what the models make are UUIDs, 12-digit codes and
#: category codes.
ID_PATTERN = r"^[^\x00-\x20\x7f]([^\x00-\x1f\x7f]*[^\x00-\x20\x7f])?$"
#: A device id, and the device part of a stamp: what `uuid4` makes, in ASCII. Not `\w`:
#: Unicode classes made the stamp's pattern a sixth of what reading a push took, and a
#: stamp's digits are compared as text, which other scripts' digits would break.
DEVICE_PATTERN = r"[A-Za-z0-9_\-]{1,64}"
#: How far ahead of the server's clock a laptop's may run before it is told to fix it (its
#: stamps are held to the server's time whatever the lead).
MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000


def clock_skew_ms(clock_ms: int | None, server_ms: int) -> int:
    """How far a push reads its stamps back: how far the laptop's clock as the push left
    (`PushRequest.clock_ms`) is ahead of the server's as it arrived (`PushResponse.
    server_time_ms`). Never less than 0: a clock behind, or a request long on its way, is
    not read forward; 0 without a clock (a bundle, made long before it is read). Both ends
    hold both numbers, so the laptop knows what the server took off (`sync.client`)."""
    return max(0, clock_ms - server_ms) if clock_ms is not None else 0


def read_back_ms(wall_ms: int, skew_ms: int, server_ms: int) -> int:
    """The wall-clock part of a pushed stamp as the server reads it (`merge._Clamp`): back
    by the push's skew, and no later than the server's clock (a stamp still ahead counts as
    made when it arrived). The server also numbers a device's own stamps of a record on
    after its latest there; what that moves is the order, which a laptop's history keeps
    by its own change numbers (`db.history`)."""
    return min(max(0, wall_ms - skew_ms), server_ms)


#: What each end understands of the protocol, said in a header of every answer and of each
#: request whose answer may carry a new field (`PROTOCOL_HEADER`): the protocol's number,
#: then the name of each `Feature` it reads. Every message refuses fields it does not
#: know (`Message`), so a new field goes only to an end that said it reads it: a laptop
#: sends one to a server whose answers named it, a server puts one in an answer to a
#: laptop whose request named it. What an end reads is not said in a message body: an
#: older laptop refuses an answer with a field it does not know, Health's too, while every
#: HTTP client passes over a header it does not know. No header: an end from before it,
#: which reads none of them.
PROTOCOL_HEADER = "Civtui-Protocol"


class Feature(StrEnum):
    """A part of the protocol an end may or may not read, by the fields it adds."""

    #: `Conflict.lost_made` and `HeldConflict.lost_made`: the lost value's stamp as its
    #: laptop made it, where the server read it back (`merge._Clamp`).
    LOSS_AS_MADE = "loss_as_made"
    #: `sealed.LaptopBundle.epoch` and `.reads`, `sealed.Reply.epoch`: a bundle says the
    #: server epoch its cursor counts in, and its reply where its pages start by it, as
    #: `PATH_EPOCH` does online.
    BUNDLE_EPOCH = "bundle_epoch"
    #: `PullResponse.staff`: the staff label of each device a page names, so a laptop's
    #: history names another laptop's staff member, not only its device code.
    DEVICE_STAFF = "device_staff"
    #: `PulledRecord.stamps`: the stamp and device of each field another change set than
    #: the record's latest, so a laptop's history credits each field to its own writer.
    FIELD_STAMPS = "field_stamps"
    #: `PushRequest.former_ids`: the device ids the pushing laptop gave up when it started
    #: over as a new device (`merge.FormerIds`).
    FORMER_IDS = "former_ids"
    #: `AppliedResponse.epoch` and `.version`: the server's epoch and version top with the
    #: answer to the question every sync asks first, so a laptop whose cursor counts in that
    #: epoch needs no `PATH_EPOCH` request (`sync.client.align_cursor`).
    APPLIED_EPOCH = "applied_epoch"
    #: `PullResponse.villages`: the villages the token covers, so a laptop whose profile
    #: holds them all needs no `PATH_ME` request before it stores a page
    #: (`sync.client._own_villages`).
    PULL_VILLAGES = "pull_villages"


#: The protocol this code speaks: its number, and every feature it reads.
PROTOCOL = 2
FEATURES = frozenset(Feature)


def protocol_said() -> str:
    """This end's `PROTOCOL_HEADER`: `2 loss_as_made ...`."""
    return " ".join([str(PROTOCOL), *sorted(FEATURES)])


def features_said(header: str | None) -> frozenset[Feature]:
    """The features the other end named in its `PROTOCOL_HEADER` (none without one, or
    with one that is not a number then names): only those it reads may be sent to it."""
    words = (header or "").split()
    if not words or not words[0].isdigit():
        return frozenset()
    return features_of(words[1:])


def features_of(names: Iterable[str]) -> frozenset[Feature]:
    """The features among `names` that this code knows (a later end may name more)."""
    known = {feature.value: feature for feature in Feature}
    return frozenset(known[name] for name in names if name in known)


#: Record kinds a device may push (each says so on its model); the visit policy is set
#: centrally.
SYNCED_TABLES = tuple(SYNCED_TYPES)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Code(StrEnum):
    """Everything sync says to a person, as a code; the words are in `civtui.i18n.sync`.

    Codes and their parameters (`PARAMS`) travel on the wire and are stored (the change
    log's reasons, the last sync's result); the CLI and the screens render them in the
    user's language. Parameters are plain JSON: strings, numbers and lists of them.
    """

    # -- the server's verdict on one change (ChangeResult.reason)
    PARENT_MISSING = "parent_missing"
    RECORD_MISSING = "record_missing"
    REFERENCE_ELSEWHERE = "reference_elsewhere"
    OUTSIDE_VILLAGES = "outside_villages"
    VILLAGE_UNKNOWN = "village_unknown"
    STAFF_VILLAGES = "staff_villages"
    UNKNOWN_FIELDS = "unknown_fields"
    INVALID = "invalid"
    DELETE_MISSING = "delete_missing"
    ID_MISMATCH = "id_mismatch"
    EDIT_OF_DELETED = "edit_of_deleted"
    #: A contact (a visit's, a child check's) dated after the server's today in China.
    FUTURE_DATE = "future_date"
    CONFLICT = "conflict"
    #: A reason stored by a server from before codes (its words, as they were).
    OTHER = "other"
    # -- warnings (PushResponse.warnings)
    CLOCK_AHEAD = "clock_ahead"
    # -- error bodies: {"detail": {"code": ..., "params": ...}}
    TOKEN_INVALID = "token_invalid"
    BODY_TOO_LARGE = "body_too_large"
    BAD_GZIP = "bad_gzip"
    BAD_REQUEST = "bad_request"
    DEVICE_TAKEN = "device_taken"
    SEQUENCE_REUSED = "sequence_reused"
    SERVER_BEHIND = "server_behind"
    # -- the client's own outcomes (sync.client raises them as typed exceptions)
    OFFLINE = "offline"
    #: The server answered, with a server error (5xx), at every try.
    SERVER_FAILING = "server_failing"
    REFUSED = "refused"
    BAD_ANSWER = "bad_answer"
    URL_INVALID = "url_invalid"
    URL_INSECURE = "url_insecure"
    DISK_FULL = "disk_full"
    #: The server's answer was larger than the client reads (`MAX_ANSWER_BYTES`).
    ANSWER_TOO_LARGE = "answer_too_large"
    #: A pull page held more records than the client asked for: nothing of it is stored.
    PAGE_TOO_LARGE = "page_too_large"
    # -- the summary of one sync
    SUMMARY = "summary"
    NEW_DEVICE = "new_device"
    RESENT = "resent"
    SENT_AGAIN = "sent_again"
    HELD = "held"
    #: A conflict this sync revealed, on either side of it: whose record, which field, and
    #: this laptop's part in it (`CONFLICT_SIDES`). `who` is the record's person (or
    #: household, village...) as this laptop names it, looked up when the sync stored it.
    CONFLICT_FOUND = "conflict_found"
    CONFLICTS_MORE = "conflicts_more"
    #: Conflicts a person resolved on another laptop, closed here by this sync.
    CONFLICTS_CLOSED = "conflicts_closed"
    # -- sealed bundles on a USB stick (sync.bundle): why one is refused or changes nothing
    BUNDLE_NOT_ONE = "bundle_not_one"
    BUNDLE_UNREADABLE = "bundle_unreadable"
    BUNDLE_BAD_SIGNATURE = "bundle_bad_signature"
    BUNDLE_TOKEN_UNKNOWN = "bundle_token_unknown"
    BUNDLE_TOO_LARGE = "bundle_too_large"
    BUNDLE_NO_SERVER_KEY = "bundle_no_server_key"
    BUNDLE_NO_KEY_PAIR = "bundle_no_key_pair"
    BUNDLE_KEY_INVALID = "bundle_key_invalid"
    BUNDLE_KEY_CHANGED = "bundle_key_changed"
    BUNDLE_OTHER_LAPTOP = "bundle_other_laptop"
    BUNDLE_ALREADY = "bundle_already"
    BUNDLE_STALE = "bundle_stale"
    BUNDLE_GAP = "bundle_gap"
    #: Pulled records of villages this laptop does not sync: refused, not stored.
    PULLED_ELSEWHERE = "pulled_elsewhere"
    #: Pulled records of kinds this version does not know: kept aside, not written.
    UNKNOWN_KINDS = "unknown_kinds"


#: The parameters each code carries, by name.
PARAMS: dict[Code, tuple[str, ...]] = {
    Code.PARENT_MISSING: ("table", "id"),
    Code.RECORD_MISSING: ("table", "id"),
    Code.REFERENCE_ELSEWHERE: ("table", "id", "village"),
    Code.OUTSIDE_VILLAGES: ("village",),
    Code.VILLAGE_UNKNOWN: (),
    Code.STAFF_VILLAGES: ("villages",),
    Code.UNKNOWN_FIELDS: ("table", "fields"),
    #: problems: [{"field": name, "zh": ..., "en": ...}] - the domain's rules say what is
    #: wrong in both languages (civtui.domain.errors); the edge picks one.
    Code.INVALID: ("table", "problems"),
    Code.DELETE_MISSING: (),
    Code.ID_MISMATCH: (),
    Code.EDIT_OF_DELETED: (),
    Code.FUTURE_DATE: ("table", "field", "date", "today"),
    Code.CONFLICT: ("table", "fields"),
    Code.OTHER: ("text",),
    Code.CLOCK_AHEAD: ("ahead_s",),
    Code.TOKEN_INVALID: (),
    Code.BODY_TOO_LARGE: ("limit",),
    Code.BAD_GZIP: (),
    Code.BAD_REQUEST: ("errors",),
    Code.DEVICE_TAKEN: (),
    Code.SEQUENCE_REUSED: ("seq",),
    Code.SERVER_BEHIND: ("applied_through",),
    Code.OFFLINE: ("url", "cause"),
    Code.SERVER_FAILING: ("url", "status"),
    Code.REFUSED: ("status", "detail"),
    Code.BAD_ANSWER: (),
    Code.URL_INVALID: ("url",),
    Code.URL_INSECURE: ("url",),
    Code.DISK_FULL: (),
    Code.ANSWER_TOO_LARGE: ("limit",),
    Code.PAGE_TOO_LARGE: ("asked", "got"),
    Code.SUMMARY: ("pushed", "conflicts", "rejected", "pulled"),
    Code.NEW_DEVICE: (),
    Code.RESENT: ("count",),
    Code.SENT_AGAIN: ("count",),
    Code.HELD: ("count",),
    Code.CONFLICT_FOUND: ("table", "id", "field", "who", "side"),
    Code.CONFLICTS_MORE: ("count",),
    Code.CONFLICTS_CLOSED: ("count",),
    #: `expected`: "bundle" (a laptop's, for the server) or "reply" (the server's answer).
    Code.BUNDLE_NOT_ONE: ("expected",),
    Code.BUNDLE_UNREADABLE: (),
    Code.BUNDLE_BAD_SIGNATURE: (),
    Code.BUNDLE_TOKEN_UNKNOWN: ("token",),
    Code.BUNDLE_TOO_LARGE: ("limit",),
    Code.BUNDLE_NO_SERVER_KEY: (),
    Code.BUNDLE_NO_KEY_PAIR: (),
    Code.BUNDLE_KEY_INVALID: (),
    Code.BUNDLE_KEY_CHANGED: ("fingerprint",),
    Code.BUNDLE_OTHER_LAPTOP: (),
    Code.BUNDLE_ALREADY: (),
    Code.BUNDLE_STALE: (),
    Code.BUNDLE_GAP: (),
    Code.PULLED_ELSEWHERE: ("count", "villages"),
    Code.UNKNOWN_KINDS: ("count", "tables"),
}

#: This laptop's part in a conflict (Code.CONFLICT_FOUND's `side`): its own value lost, its
#: own value was kept over another device's, two other devices clashed, or the record was
#: deleted while this or another laptop edited it.
CONFLICT_SIDES = ("lost_here", "kept_here", "others", "deleted")
#: The device a conflict names as kept when the record had been deleted (merge._lost).
DELETED_DEVICE = "(deleted)"


class Reason(Message):
    """Something sync says, as a code and its parameters (see `Code` and `PARAMS`)."""

    code: Code
    params: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def of(cls, code: Code, **params: Any) -> Reason:
        return cls(code=code, params=params)

    @classmethod
    def stored(cls, text: str) -> Reason:
        """A reason as it was stored: its JSON, or the words of a server from before codes."""
        try:
            return cls.model_validate_json(text)
        except ValidationError:
            return cls.of(Code.OTHER, text=text)

    def stored_text(self) -> str:
        return self.model_dump_json()


class CodedError(Exception):
    """Something that stopped, saying why as a code and its parameters (`reason`), which
    `sync.words` renders in the user's language: a sync, a bundle, a reply."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(reason)
        self.reason = reason

    @property
    def code(self) -> Code:
        return self.reason.code


class Change(Message):
    """One change-log entry as it travels: the fields it set, stamped by its device.

    Its `seq` may be left out only on the wire, inside a push body (`PushRequest`
    numbers it); a change made in code says its own."""

    seq: int = Field(
        default=0,
        ge=0,
        le=MAX_INT,
        description="Per-device sequence number, increasing. Left out in a push: one more "
        "than the change before it; the first change of a push carries its own",
    )
    table: Literal[SYNCED_TABLES]  # type: ignore[valid-type]
    record_id: str = Field(min_length=1, max_length=64, pattern=ID_PATTERN)
    op: Literal["upsert", "delete"] = "upsert"
    fields: dict[Annotated[str, Field(max_length=64)], Any] = Field(
        default_factory=dict, max_length=MAX_FIELDS
    )
    hlc: str = Field(
        pattern=rf"^[0-9]{{13}}-[0-9]{{4}}(-{DEVICE_PATTERN})?$",
        description="Hybrid-logical-clock stamp; the device part may be left out (it is the sender)",
    )
    base_version: int = Field(
        default=0, ge=0, le=MAX_INT, description="Server version of this record the device last saw"
    )


class HeldConflict(Message):
    """A conflict as a laptop holds it, sent back to a server that may have lost it (restored
    from a backup): with each resolution, and with the first push after the laptop finds
    the server restored (`merge._take_back`)."""

    id: int = Field(ge=1, le=MAX_INT)
    table: str = Field(max_length=40)
    record_id: str = Field(max_length=64)
    field: str = Field(max_length=64)
    kept_value: Any
    lost_value: Any
    kept_device: str = Field(max_length=64)
    lost_device: str = Field(max_length=64)
    lost_hlc: str = Field(max_length=100)
    #: The lost value's stamp as its laptop made it, where it is not `lost_hlc` (sent only
    #: to a server that reads it: `Feature.LOSS_AS_MADE`).
    lost_made: str | None = Field(default=None, max_length=100)
    resolved: bool = False


class PushRequest(Message):
    """A batch of one device's changes. On the wire a change's `seq` is left out when it
    is one more than the change before it: a batch is a run of the change log, and the
    numbers were a tenth of its bytes."""

    device_id: str = Field(pattern=f"^{DEVICE_PATTERN}$")
    changes: list[Change] = Field(max_length=MAX_PUSH_CHANGES)
    #: Conflicts a person on this laptop resolved (their ids, as pulled): the server closes
    #: them under a new version, so every laptop of the village closes them too.
    resolved: list[Annotated[int, Field(ge=1, le=MAX_INT)]] = Field(
        default_factory=list, max_length=MAX_PUSH_CHANGES
    )
    #: The highest of this device's changes the server has acknowledged, as the laptop
    #: knows it. A server that holds fewer was restored from a backup, perhaps one taken
    #: before it knew this device at all; it answers that it is behind.
    acked_through: int = Field(default=0, ge=0, le=MAX_INT)
    #: The laptop's clock, in milliseconds, when it sent the push: the server reads the
    #: push's stamps back by how far this is ahead of its own clock (`merge._Clamp`). None
    #: from a bundle (made long before it is read) and from older laptops.
    clock_ms: int | None = Field(default=None, ge=0, le=MAX_INT)
    #: Conflicts this laptop holds that the server may lack: those resolved in `resolved`,
    #: and after a server restore every one it holds (newest first, at most this many).
    conflicts: list[HeldConflict] = Field(default_factory=list, max_length=MAX_PUSH_CHANGES)
    #: The device ids this laptop's profile held before it started over as a new device (a
    #: restore from an older copy, or a copy that was not the first to sync): a value one of
    #: them left on the server that this device's change beats is the profile's own older
    #: value, and the server records that loss closed (`merge.FormerIds`).
    former_ids: list[Annotated[str, Field(pattern=f"^{DEVICE_PATTERN}$")]] = Field(
        default_factory=list, max_length=MAX_FORMER_IDS
    )

    @field_validator("changes", mode="after")
    @classmethod
    def _number_runs(cls, changes: list[Change]) -> list[Change]:
        # After, not before: a "before" validator is handed the body as Python objects, and
        # making them first, then the models from them, doubled what reading a push took.
        # The changes were made from this body a moment ago: numbering them in place is
        # still part of making them.
        previous = 0
        for index, change in enumerate(changes):
            if "seq" in change.model_fields_set:
                if change.seq == 0:
                    raise PydanticCustomError(
                        "seq_zero", "changes[{index}].seq: 0", {"index": index}
                    )
            elif previous == 0:
                raise PydanticCustomError(
                    "seq_missing",
                    "changes[{index}].seq: the first change carries its own",
                    {"index": index},
                )
            elif previous >= MAX_INT:
                raise PydanticCustomError(
                    "seq_too_large", "changes[{index}].seq: past 2^63 - 1", {"index": index}
                )
            else:
                change.__dict__["seq"] = previous + 1
                change.__pydantic_fields_set__.add("seq")
            previous = change.seq
        return changes

    def wire_exclude(self) -> dict[str, Any]:
        """What `encode` leaves out: each `seq` one more than the change before it. Said to
        the serializer rather than taken out of a dump: a dump of a thousand changes made
        as many Python objects, and the laptop's collector then walked its whole heap."""
        runs: dict[int, set[str]] = {}
        previous = None
        for index, change in enumerate(self.changes):
            if previous is not None and change.seq == previous + 1:
                runs[index] = {"seq"}
            previous = change.seq
        return {"changes": runs} if runs else {}


Status = Literal["accepted", "conflict", "rejected"]


class ChangeResult(Message):
    seq: int
    status: Status
    #: Why a change was rejected, or what it conflicted with.
    reason: Reason | None = None
    version: int | None = Field(default=None, description="Server version given to the change")


class PushResponse(Message):
    results: list[ChangeResult]
    #: The highest sequence number of this device the server has applied.
    applied_through: int
    server_time_ms: int
    #: What the device should know about the whole batch (its clock runs ahead...).
    warnings: list[Reason] = Field(default_factory=list)


class PullRequest(Message):
    cursor: int = Field(ge=0, le=MAX_INT)
    limit: int = Field(default=500, ge=1, le=MAX_PULL_PAGE)
    #: The asking device: records only it has ever written are not sent back to it.
    device_id: str | None = Field(default=None, pattern=f"^{DEVICE_PATTERN}$")


class FieldStamps(Message):
    """The fields of a pulled record that one change set, by that change's stamp
    (`PulledRecord.stamps`)."""

    hlc: str = Field(max_length=100)
    #: The device that made the change, left out where it is the stamp's own device part,
    #: as nearly always (not: a change made under a laptop's former id, sent under its new).
    device_id: str | None = Field(default=None, max_length=64)
    fields: list[Annotated[str, Field(max_length=64)]] = Field(max_length=MAX_FIELDS + 1)

    @property
    def writer(self) -> str:
        """The device that made the change."""
        return self.device_id or self.hlc.split("-", 2)[-1]


class PulledRecord(Message):
    """The server's current state of one record, as a pull or a reply bundle carries it.

    `hlc` and `device_id` are the record's latest stamp, its writer's; a field another
    change set keeps its own in `stamps`."""

    table: str
    record_id: str
    fields: dict[str, Any]
    deleted: bool
    hlc: str
    device_id: str
    version: int
    #: The fields (and the delete, `_deleted`) whose stamp is not the record's (`hlc`,
    #: `device_id`), grouped by stamp, each stamp said once; a field in no group was set
    #: by the record's own stamp. Only for a laptop that reads it
    #: (`Feature.FIELD_STAMPS`): two laptops that edited different fields between this
    #: laptop's pulls arrive as one record, and its history names each field's writer and
    #: time by these.
    stamps: list[FieldStamps] = Field(default_factory=list, max_length=MAX_FIELDS + 1)


class Conflict(Message):
    """A field two devices set concurrently: the value kept, and the one that lost, and the
    server version that made it, or, once a laptop resolved it (`resolved`), the version of
    that resolution."""

    id: int
    table: str
    record_id: str
    field: str
    kept_value: Any
    lost_value: Any
    kept_device: str
    lost_device: str
    #: The lost value's stamp as the server read it (`merge._Clamp`): when it was made, as
    #: far as the server can tell, which a history shows.
    lost_hlc: str
    #: The same stamp as its laptop made it, where the server read it back: what the loss
    #: is named by (`merge._loss`), the same at every send, and what its laptop knows as
    #: its own. Left out when it is `lost_hlc`, and for a laptop that does not read it
    #: (`Feature.LOSS_AS_MADE`).
    lost_made: str | None = None
    #: A laptop resolved it: every laptop closes it.
    resolved: bool = False
    version: int


#: A push answered with this status changed nothing: the server has lost changes of this
#: device (restored from a backup). The body's detail says up to which seq it holds them.
BEHIND_STATUS = 412


class PullResponse(Message):
    records: list[PulledRecord]
    conflicts: list[Conflict]
    cursor: int
    has_more: bool
    #: The highest seq of the asking device the server has applied (0: none; left out when
    #: the device id is not the caller's). More than the device has ever written means its
    #: database is an older copy; less than the server once acknowledged means the server's
    #: is (restored from a backup).
    applied_through: int | None = None
    #: The staff label of the token each device the page names (its records' and its
    #: conflicts' devices) syncs with, by device id: only for a laptop that reads it
    #: (`Feature.DEVICE_STAFF`), and only devices with a label.
    staff: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=80)]] = Field(
        default_factory=dict, max_length=3 * MAX_PULL_PAGE + 3 * MAX_PUSH_CHANGES
    )
    #: The villages the asking token covers, as `PATH_ME` says them: only for a laptop that
    #: reads it (`Feature.PULL_VILLAGES`), and only for a token of at most
    #: `MAX_PULL_VILLAGES`. A laptop takes it only where its profile holds every village it
    #: names, so it can never widen what the laptop accepts (`sync.client._own_villages`).
    villages: list[Annotated[str, Field(max_length=64)]] | None = Field(
        default=None, max_length=MAX_PULL_VILLAGES
    )


class Me(Message):
    staff: str
    role: str
    villages: list[str]


class Health(Message):
    status: Literal["ok"]
    version: str
    server_time_ms: int


#: A server epoch's id: 32 hex digits, made at random when a server process starts.
EPOCH_PATTERN = r"[0-9a-f]{32}"


class AppliedRequest(Message):
    """Which changes of a device id the server holds, asked by change number.

    Two copies of a profile (a clone, or a profile restored onto a second laptop) share a
    device id and its change numbers until the server tells them apart; after a server
    restore each may have pushed other changes under the same numbers. The fingerprints
    (`fingerprint`) of the server's changes say, number by number, whether they are this
    laptop's (`sync.client.check_own_history`)."""

    device_id: str = Field(pattern=f"^{DEVICE_PATTERN}$")
    seqs: list[Annotated[int, Field(ge=1, le=MAX_INT)]] = Field(max_length=MAX_PROBES)


class AppliedResponse(Message):
    #: The highest change number of the device the server has applied (0: none); None
    #: when the device id is another token's.
    applied_through: int | None = None
    #: The fingerprint of the server's change at each number asked, in the same order; None
    #: past `applied_through`, or for a change stored before fingerprints were.
    fingerprints: list[str | None] = Field(default_factory=list, max_length=MAX_PROBES)
    #: The server's epoch now and its version top, as `PATH_EPOCH` reads them: only for a
    #: laptop that reads them (`Feature.APPLIED_EPOCH`). A laptop whose cursor counts in
    #: this epoch starts its pull at the lesser of its cursor and `version`, as `PATH_EPOCH`
    #: would answer; any other asks `PATH_EPOCH` (`sync.client.align_cursor`).
    epoch: str | None = Field(default=None, pattern=f"^{EPOCH_PATTERN}$")
    version: int | None = Field(default=None, ge=0, le=MAX_INT)


class EpochRequest(Message):
    """Where a pull from `cursor` must start, for a laptop that counted that cursor in the
    server's history `epoch` (None: before it knew of epochs, or before its first pull).

    A server restored from a copy holds versions up to the copy's, then new ones, and a
    laptop that pulled from another history (a later copy's, or one a later restore lost)
    may lack records of the copy below its cursor. Each server process starts an epoch, so
    every restore makes one; the server keeps them in order, and a copy brings back its own
    list (`sync.server.epochs`)."""

    epoch: str | None = Field(default=None, pattern=f"^{EPOCH_PATTERN}$")
    cursor: int = Field(ge=0, le=MAX_INT)


class EpochResponse(Message):
    #: The server's epoch now: the laptop keeps it with the cursor it pulls to.
    epoch: str = Field(pattern=f"^{EPOCH_PATTERN}$")
    #: Where the pull starts: the cursor if the laptop's epoch is in the server's history up
    #: to there, else as far back as the two histories agree; 0 for an epoch it never had.
    start: int = Field(ge=0, le=MAX_INT)


def fingerprint(change: Change, device: str) -> str:
    """What a change says, digested: a retry sends the same, a reused number something else.

    Not the stamp alone: a restored laptop whose clock is behind makes the same stamps
    again. A retry is built from the same stored row, so its fields come in the same order.
    The server stores it with every change it applies; a laptop computes it of its own
    change as it sends it (`sync.client.push_request`) to tell it from another copy's."""
    said = [change.table, change.record_id, change.op, change.fields, change.hlc, device]
    return hashlib.blake2b(pydantic_core.to_json(said), digest_size=16).hexdigest()


class BundleKey(Message):
    """The server's public key for sealed bundles, as `civtui bundle trust` reads it too."""

    key: str = Field(max_length=200)


class BodyTooLargeError(ValueError):
    """More bytes than the protocol allows, compressed or not."""


def encode(message: BaseModel) -> bytes:
    """A message as gzip-compressed compact JSON; fields at their defaults are left out."""
    exclude = message.wire_exclude() if isinstance(message, PushRequest) else None
    return gzip.compress(
        message.model_dump_json(exclude_defaults=True, exclude=exclude).encode("utf-8"),
        compresslevel=9,
    )


def decompress(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Inflate a gzip body whole, refusing to produce more than `limit` bytes.

    A gzip file may hold several members one after another (RFC 1952), and a reader
    that stops after the first would let the rest through unread and unmeasured: each
    member is inflated in turn, all of them within the one limit, and a body that ends
    inside a member or carries anything but members after the first is refused.
    """
    data = bytearray()
    rest = body
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            # The room left, plus one byte to notice a body that would go past it.
            data += inflater.decompress(rest, limit + 1 - len(data))
        except zlib.error as exc:
            raise ValueError(f"not valid gzip: {exc}") from exc
        if len(data) > limit or inflater.unconsumed_tail:
            raise BodyTooLargeError(f"decompressed body exceeds {limit} bytes")
        if not inflater.eof:
            raise ValueError("not valid gzip: the body ends inside a member")
        rest = inflater.unused_data
        if not rest:
            return bytes(data)


def compact_json(value: Any) -> str:
    """JSON text without spaces or escapes, as the server stores data; keys in given order.

    pydantic-core's encoder: the server writes two of these per pushed change, and it is
    several times faster than the json module's."""
    return pydantic_core.to_json(value).decode()
