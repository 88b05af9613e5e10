"""The sync protocol, shared by the client and the server: paths, limits and message models.

Bodies travel as gzip-compressed JSON (`Content-Encoding: gzip`) both ways.
"""

from __future__ import annotations

import gzip
import zlib
from typing import Any, Literal

import pydantic_core
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

API = "/v1"
PATH_HEALTH = f"{API}/health"
PATH_ME = f"{API}/me"
PATH_PUSH = f"{API}/push"
PATH_PULL = f"{API}/pull"

#: A request body may be this large on the wire...
MAX_COMPRESSED_BYTES = 2 * 1024 * 1024
#: ...and this large once decompressed (a gzip bomb stops here).
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_PUSH_CHANGES = 1000
MAX_PULL_PAGE = 2000
#: How far ahead of the server's clock a change's stamp may claim to be.
MAX_CLOCK_AHEAD_MS = 5 * 60 * 1000

#: Record kinds a device may push; the village policy is set centrally.
SYNCED_TABLES = (
    "villages",
    "staff",
    "households",
    "persons",
    "visits",
    "child_checks",
    "elder_needs",
    "need_status_changes",
    "assessments",
    # issue #14 (h5-coverage): dated status/category changes and closed months (月报).
    "person_events",
    "month_reports",
)


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(Message):
    """One change-log entry as it travels: the fields it set, stamped by its device."""

    seq: int = Field(ge=1, description="Per-device sequence number, increasing")
    table: Literal[SYNCED_TABLES]  # type: ignore[valid-type]
    record_id: str = Field(min_length=1, max_length=64)
    op: Literal["upsert", "delete"] = "upsert"
    fields: dict[str, Any] = Field(default_factory=dict)
    hlc: str = Field(
        pattern=r"^\d{13}-\d{4}(-[\w\-]{1,64})?$",
        description="Hybrid-logical-clock stamp; the device part may be left out (it is the sender)",
    )
    base_version: int = Field(
        default=0, ge=0, description="Server version of this record the device last saw"
    )


class PushRequest(Message):
    """A batch of one device's changes. On the wire a change's `seq` is left out when it
    is one more than the change before it: a batch is a run of the change log, and the
    numbers were a tenth of its bytes."""

    device_id: str = Field(pattern=r"^[\w\-]{1,64}$")
    changes: list[Change] = Field(max_length=MAX_PUSH_CHANGES)

    @model_validator(mode="before")
    @classmethod
    def _number_runs(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("changes"), list):
            return data
        numbered = []
        previous = None
        for change in data["changes"]:
            if isinstance(change, dict):
                if "seq" not in change and isinstance(previous, int):
                    change = {**change, "seq": previous + 1}
                previous = change.get("seq")
            numbered.append(change)
        return {**data, "changes": numbered}

    @model_serializer(mode="wrap")
    def _leave_out_runs(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if not info.mode_is_json():
            return data
        previous = None
        for change in data.get("changes", []):
            seq = change["seq"]
            if previous is not None and seq == previous + 1:
                del change["seq"]
            previous = seq
        return data


Status = Literal["accepted", "conflict", "rejected"]


class ChangeResult(Message):
    seq: int
    status: Status
    reason: str | None = None
    version: int | None = Field(default=None, description="Server version given to the change")


class PushResponse(Message):
    results: list[ChangeResult]
    #: The highest sequence number of this device the server has applied.
    applied_through: int
    server_time_ms: int
    #: Set when the device's clock runs ahead of the server's by more than allowed.
    clock_warning: str | None = None


class PullRequest(Message):
    cursor: int = Field(ge=0)
    limit: int = Field(default=500, ge=1, le=MAX_PULL_PAGE)
    #: The asking device: records only it has ever written are not sent back to it.
    device_id: str | None = Field(default=None, pattern=r"^[\w\-]{1,64}$")


class PulledRecord(Message):
    """The server's current state of one record."""

    version: int
    table: str
    record_id: str
    fields: dict[str, Any]
    deleted: bool
    hlc: str
    device_id: str


class Conflict(Message):
    """A field two devices set concurrently: the value kept, and the one that lost."""

    id: int
    version: int
    table: str
    record_id: str
    field: str
    kept_value: Any
    lost_value: Any
    kept_device: str
    lost_device: str
    lost_hlc: str


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


class Me(Message):
    staff: str
    role: str
    villages: list[str]


class Health(Message):
    status: Literal["ok"]
    version: str
    server_time_ms: int


class BodyTooLargeError(ValueError):
    """More bytes than the protocol allows, compressed or not."""


def encode(message: BaseModel) -> bytes:
    """A message as gzip-compressed compact JSON; fields at their defaults are left out."""
    return gzip.compress(
        message.model_dump_json(exclude_defaults=True).encode("utf-8"), compresslevel=9
    )


def decompress(body: bytes, limit: int = MAX_DECOMPRESSED_BYTES) -> bytes:
    """Inflate a gzip body, refusing to produce more than `limit` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise ValueError(f"not valid gzip: {exc}") from exc
    if len(data) > limit or inflater.unconsumed_tail:
        raise BodyTooLargeError(f"decompressed body exceeds {limit} bytes")
    return data


def compact_json(value: Any) -> str:
    """JSON text without spaces or escapes, as the server stores data; keys in given order.

    pydantic-core's encoder: the server writes two of these per pushed change, and it is
    several times faster than the json module's."""
    return pydantic_core.to_json(value).decode()
