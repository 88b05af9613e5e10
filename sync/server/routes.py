"""The server's routes, on one `APIRouter`: health, identity, the bundle key, push and pull.

Each route only translates HTTP to `merge` and back: it reads the body within the
protocol's limits, asks `merge`, and answers gzip JSON or a refusal as a code
(`refuse`). The app around them (`sync.server.app`) adds the request log and the error
body's shape.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from civtui import __version__
from sync import protocol
from sync.protocol import (
    AppliedRequest,
    AppliedResponse,
    BundleKey,
    Code,
    EpochRequest,
    EpochResponse,
    Health,
    Me,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
)
from sync.server import epochs, logs, merge, storage, tokens
from sync.server.tokens import Identity

M = TypeVar("M", bound=BaseModel)
#: The response header of `/v1/health` that says the database's schema version.
SCHEMA_HEADER = "Civtui-Schema-Version"

#: Schemas the request bodies refer to, for the app to add to the document's components.
BODY_DEFS: dict[str, Any] = {}
_REF = "#/components/schemas/{model}"

router = APIRouter()


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    # Bodies are read by hand (to enforce size limits before parsing), so the
    # OpenAPI document is told their schema explicitly; the models they refer to go where
    # the document's own references point (pydantic's "#/$defs/..." resolve nowhere there).
    schema = model.model_json_schema(ref_template=_REF)
    BODY_DEFS.update(schema.pop("$defs", {}))
    return {
        "requestBody": {
            "required": True,
            "description": "gzip-compressed JSON (Content-Encoding: gzip), or plain JSON",
            "content": {"application/json": {"schema": schema}},
        }
    }


def refuse(
    status: int, code: Code, headers: dict[str, str] | None = None, **params: Any
) -> HTTPException:
    """An error answer as the protocol has it: a code and its parameters, no words."""
    detail = Reason.of(code, **params).model_dump(mode="json")
    return HTTPException(status, detail, headers=headers)


def note(request: Request, **fields: Any) -> None:
    """Add to what this request's log line says (see `logs.FIELDS`)."""
    request.state.log.update(fields)


async def database(request: Request) -> Engine:
    """The server's database, as `create_app` was given it. Async though it awaits nothing:
    FastAPI runs a plain function dependency in a worker thread, a hand-off per request
    for reading an attribute."""
    engine: Engine = request.app.state.engine
    return engine


Database = Annotated[Engine, Depends(database)]


def synced(request: Request, engine: Database) -> Engine:
    """The database, once this process has begun its epoch there (`sync.server.epochs`),
    before it serves anything of a sync: a restore is a restart, so the restored database
    starts a new history before any laptop pulls from it."""
    state = request.app.state
    with state.epoch_lock:
        if state.epoch is None:
            state.epoch = epochs.begin(engine)
    return engine


#: The database of a sync's routes: `synced`.
Synced = Annotated[Engine, Depends(synced)]


def identity(request: Request, engine: Database) -> Identity:
    """The caller's identity from `Authorization: Bearer …`; 401 if missing, wrong or revoked."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    who = tokens.verify(engine, presented.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise refuse(401, Code.TOKEN_INVALID, headers={"WWW-Authenticate": "Bearer"})
    note(request, token=who.token_id, staff=who.staff, villages=sorted(who.villages))
    return who


Caller = Annotated[Identity, Depends(identity)]


async def read_body(request: Request, model: type[M]) -> M:
    """The request's body as `model`, read within the protocol's limits before it is parsed:
    compressed, inflated (a gzip bomb stops at the limit), then validated."""
    declared = request.headers.get("content-length")
    compressed = protocol.MAX_COMPRESSED_BYTES
    if declared and declared.isdigit() and int(declared) > compressed:
        raise refuse(413, Code.BODY_TOO_LARGE, limit=compressed)
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > compressed:
            raise refuse(413, Code.BODY_TOO_LARGE, limit=compressed)
    raw = bytes(body)
    note(request, bytes_in=len(raw))
    if request.headers.get("content-encoding", "").lower() == "gzip":
        try:
            raw = protocol.decompress(raw)
        except protocol.BodyTooLargeError:
            raise refuse(413, Code.BODY_TOO_LARGE, limit=protocol.MAX_DECOMPRESSED_BYTES) from None
        except ValueError:
            raise refuse(400, Code.BAD_GZIP) from None
    elif len(raw) > protocol.MAX_DECOMPRESSED_BYTES:
        raise refuse(413, Code.BODY_TOO_LARGE, limit=protocol.MAX_DECOMPRESSED_BYTES)
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)
        raise refuse(422, Code.BAD_REQUEST, errors=errors) from None


def gzip_response(message: BaseModel) -> Response:
    return Response(protocol.encode(message), media_type="application/json",
                    headers={"Content-Encoding": "gzip"})  # fmt: skip


@router.get(protocol.PATH_HEALTH, response_model=Health)
def health(request: Request, engine: Database) -> Response:
    # Healthy means the database answers, not only the process. The body stays what
    # laptops already parse (strictly: a new field would fail every older laptop's
    # automatic sync); the schema version goes in a header for monitors and people.
    try:
        schema = storage.schema_version(engine)
    except SQLAlchemyError as exc:
        note(request, reason="database_unreachable")
        logs.event("database unreachable", logging.ERROR, reason=type(exc).__name__)
        return JSONResponse({"detail": {"code": "database_unreachable", "params": {}}}, 503)
    body = Health(status="ok", version=__version__, server_time_ms=merge.now_ms())
    return Response(body.model_dump_json(), media_type="application/json",
                    headers={SCHEMA_HEADER: str(schema)})  # fmt: skip


@router.get(protocol.PATH_ME, response_model=Me)
def me(who: Caller) -> Me:
    return Me(staff=who.staff, role=who.role, villages=sorted(who.villages))


@router.get(protocol.PATH_BUNDLE_KEY, response_model=BundleKey)
def bundle_key(who: Caller, engine: Database) -> BundleKey:
    # Asked at login over the authenticated link: laptops seal USB-stick bundles to it.
    from sync.server import bundle

    pair = bundle.keys(engine)
    if pair is None:
        raise refuse(404, Code.BUNDLE_NO_KEY_PAIR)
    return BundleKey(key=pair.public.text())


@router.post(
    protocol.PATH_PUSH, response_model=PushResponse, openapi_extra=_body_schema(PushRequest)
)
async def push(request: Request, who: Caller, engine: Synced) -> Response:
    message = await read_body(request, PushRequest)
    try:
        result = await _in_thread(merge.push, engine, who, message)
    except merge.DeviceOwnedError:
        raise refuse(403, Code.DEVICE_TAKEN) from None
    except merge.SequenceReusedError as exc:
        # 409 means exactly this to the client: continue under a new device id.
        raise refuse(409, Code.SEQUENCE_REUSED, seq=exc.seq) from None
    except merge.SequenceGapError as exc:
        # The device sends again everything after `applied_through`.
        raise refuse(
            protocol.BEHIND_STATUS, Code.SERVER_BEHIND, applied_through=exc.applied_through
        ) from None
    counts = dict.fromkeys(("accepted", "conflict", "rejected"), 0)
    for outcome in result.results:
        counts[outcome.status] += 1
        if outcome.status == "rejected":
            # The code only: a reason's words may quote what was sent.
            code = getattr(outcome.reason, "code", None) or "rejected"
            logs.event("change rejected", logging.WARNING, token=who.token_id,
                       device=message.device_id, seq=outcome.seq, reason=str(code))  # fmt: skip
    note(request, device=message.device_id, **counts)
    return gzip_response(result)


@router.post(
    protocol.PATH_PULL, response_model=PullResponse, openapi_extra=_body_schema(PullRequest)
)
async def pull(request: Request, who: Caller, engine: Synced) -> Response:
    message = await read_body(request, PullRequest)
    reads = protocol.features_said(request.headers.get(protocol.PROTOCOL_HEADER))
    answer = await _in_thread(merge.pull, engine, who, message, reads)
    note(request, device=message.device_id, records=len(answer.records))
    return gzip_response(answer)


@router.post(
    protocol.PATH_APPLIED,
    response_model=AppliedResponse,
    openapi_extra=_body_schema(AppliedRequest),
)
async def applied(request: Request, who: Caller, engine: Synced) -> Response:
    message = await read_body(request, AppliedRequest)
    reads = protocol.features_said(request.headers.get(protocol.PROTOCOL_HEADER))
    answer = await _in_thread(_applied, request.app.state, engine, who, message, reads)
    note(request, device=message.device_id)
    return gzip_response(answer)


def _applied(
    state: Any,
    engine: Engine,
    who: Identity,
    message: AppliedRequest,
    reads: frozenset[protocol.Feature],
) -> AppliedResponse:
    answer = merge.applied(engine, who, message)
    if protocol.Feature.APPLIED_EPOCH not in reads:
        return answer
    # With the epoch now and the top, a laptop whose cursor counts in that epoch knows
    # where its pull starts without asking `PATH_EPOCH`.
    found = epochs.now(engine, state.epoch)
    while found is None:
        # The database lacks this process's epoch: it was restored while the server ran.
        with state.epoch_lock:
            state.epoch = epochs.begin(engine)
        found = epochs.now(engine, state.epoch)
    epoch, version = found
    return AppliedResponse(
        applied_through=answer.applied_through,
        fingerprints=answer.fingerprints,
        epoch=epoch,
        version=version,
    )


@router.post(
    protocol.PATH_EPOCH, response_model=EpochResponse, openapi_extra=_body_schema(EpochRequest)
)
async def epoch(request: Request, _who: Caller, engine: Synced) -> Response:
    message = await read_body(request, EpochRequest)
    now, start = await _in_thread(_start, request.app.state, engine, message)
    return gzip_response(EpochResponse(epoch=now, start=start))


def _start(state: Any, engine: Engine, message: EpochRequest) -> tuple[str, int]:
    found = epochs.start(engine, message.epoch, message.cursor, state.epoch)
    while found is None:
        # The database lacks this process's epoch: it was restored while the server ran.
        with state.epoch_lock:
            state.epoch = epochs.begin(engine)
        found = epochs.start(engine, message.epoch, message.cursor, state.epoch)
    return found


async def _in_thread(func: Any, *args: Any) -> Any:
    # Database work blocks; keep the event loop free for other devices.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)
