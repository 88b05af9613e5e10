"""The HTTP face of the server: FastAPI routes for health, identity, push and pull."""

from __future__ import annotations

import gc
import logging
import time
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civtui import __version__
from sync import protocol
from sync.protocol import (
    BundleKey,
    Code,
    Health,
    Me,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
)
from sync.server import logs, merge, storage, tokens
from sync.server.tokens import Identity

M = TypeVar("M", bound=BaseModel)
#: The response header of `/v1/health` that says the database's schema version.
SCHEMA_HEADER = "Civtui-Schema-Version"


#: Schemas the request bodies refer to, added to the document's components.
_BODY_DEFS: dict[str, Any] = {}
_REF = "#/components/schemas/{model}"


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    # Bodies are read by hand (to enforce size limits before parsing), so the
    # OpenAPI document is told their schema explicitly; the models they refer to go where
    # the document's own references point (pydantic's "#/$defs/..." resolve nowhere there).
    schema = model.model_json_schema(ref_template=_REF)
    _BODY_DEFS.update(schema.pop("$defs", {}))
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


def identity(request: Request) -> Identity:
    """The caller's identity from `Authorization: Bearer …`; 401 if missing, wrong or revoked."""
    header = request.headers.get("authorization", "")
    scheme, _, presented = header.partition(" ")
    engine: Engine = request.app.state.engine
    who = tokens.verify(engine, presented.strip()) if scheme.lower() == "bearer" else None
    if who is None:
        raise refuse(401, Code.TOKEN_INVALID, headers={"WWW-Authenticate": "Bearer"})
    _note(request, token=who.token_id, staff=who.staff, villages=sorted(who.villages))
    return who


Caller = Annotated[Identity, Depends(identity)]

#: The reason code of a refusal whose body carries none, by HTTP status.
_REASONS = {
    400: "bad_request",
    401: "token_invalid",
    403: "device_taken",
    409: "sequence_reused",
    protocol.BEHIND_STATUS: "server_behind",
    413: "body_too_large",
    422: "bad_request",
}


def _note(request: Request, **fields: Any) -> None:
    """Add to what this request's log line says (see `logs.FIELDS`)."""
    request.state.log.update(fields)


def _reason_code(status: int, detail: Any) -> str:
    code = detail.get("code") if isinstance(detail, dict) else None
    return str(code) if code else _REASONS.get(status, f"http_{status}")


class _RequestLog:
    """One log line per request (`logs`): what the routes noted in `request.state.log`, the
    status, the bytes and the time taken.

    Plain ASGI, not `@app.middleware("http")`: Starlette's BaseHTTPMiddleware passes the
    body through task groups and memory streams, one hop per chunk, and a push trickling in
    over a slow link arrives in many chunks: in the bench's 2G sync, more than half of the
    server's busy samples were inside it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        fields: dict[str, Any] = {}
        scope.setdefault("state", {})["log"] = fields  # what `request.state.log` reads
        answered: dict[str, Any] = {"status": 500}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                answered["status"] = message["status"]
                for key, value in message.get("headers", ()):
                    if key.lower() == b"content-length":
                        answered["length"] = value.decode("latin-1")
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            status: int = answered["status"]
            if status >= 400:
                fields.setdefault("reason", _REASONS.get(status, f"http_{status}"))
            length = answered.get("length")
            if length and length.isdigit():
                fields.setdefault("bytes_out", int(length))
            request = Request(scope)
            declared = request.headers.get("content-length", "")
            level = logging.WARNING if status >= 400 else logging.INFO
            if status == 200 and request.url.path == protocol.PATH_HEALTH:
                level = logging.DEBUG  # a monitor asks every few seconds
            logs.event(
                "request",
                level,
                method=request.method,
                path=request.url.path,
                status=status,
                bytes_in=fields.pop("bytes_in", int(declared) if declared.isdigit() else None),
                ms=round((time.perf_counter() - started) * 1000, 1),
                **fields,
            )


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="civtui sync server", version=__version__)
    app.state.engine = engine

    app.add_middleware(_RequestLog)

    async def read_body(request: Request, model: type[M]) -> M:
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
        _note(request, bytes_in=len(raw))
        if request.headers.get("content-encoding", "").lower() == "gzip":
            try:
                raw = protocol.decompress(raw)
            except protocol.BodyTooLargeError:
                raise refuse(
                    413, Code.BODY_TOO_LARGE, limit=protocol.MAX_DECOMPRESSED_BYTES
                ) from None
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

    @app.get(protocol.PATH_HEALTH, response_model=Health)
    def health(request: Request) -> Response:
        # Healthy means the database answers, not only the process. The body stays what
        # laptops already parse (strictly: a new field would fail every older laptop's
        # automatic sync); the schema version goes in a header for monitors and people.
        try:
            schema = storage.schema_version(engine)
        except SQLAlchemyError as exc:
            _note(request, reason="database_unreachable")
            logs.event("database unreachable", logging.ERROR, reason=type(exc).__name__)
            return JSONResponse({"detail": {"code": "database_unreachable", "params": {}}}, 503)
        body = Health(status="ok", version=__version__, server_time_ms=merge.now_ms())
        return Response(body.model_dump_json(), media_type="application/json",
                        headers={SCHEMA_HEADER: str(schema)})  # fmt: skip

    @app.get(protocol.PATH_ME, response_model=Me)
    def me(who: Caller) -> Me:
        return Me(staff=who.staff, role=who.role, villages=sorted(who.villages))

    @app.get(protocol.PATH_BUNDLE_KEY, response_model=BundleKey)
    def bundle_key(who: Caller) -> BundleKey:
        # Asked at login over the authenticated link: laptops seal USB-stick bundles to it.
        from sync.server import bundle

        pair = bundle.keys(engine)
        if pair is None:
            raise refuse(404, Code.BUNDLE_NO_KEY_PAIR)
        return BundleKey(key=pair.public.text())

    @app.post(
        protocol.PATH_PUSH, response_model=PushResponse, openapi_extra=_body_schema(PushRequest)
    )
    async def push(request: Request, who: Caller) -> Response:
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
        _note(request, device=message.device_id, **counts)
        return gzip_response(result)

    @app.post(
        protocol.PATH_PULL, response_model=PullResponse, openapi_extra=_body_schema(PullRequest)
    )
    async def pull(request: Request, who: Caller) -> Response:
        message = await read_body(request, PullRequest)
        answer = await _in_thread(merge.pull, engine, who, message)
        _note(request, device=message.device_id, records=len(answer.records))
        return gzip_response(answer)

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in _BODY_DEFS.items():
                schemas.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        _note(request, reason=_reason_code(exc.status_code, exc.detail))
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    return app


def from_environment() -> FastAPI:
    """The app as `civtui server run` starts it, in each worker process: settings from the
    environment `run` prepared (uvicorn's factory)."""
    from sync.server.settings import load

    chosen = load()
    logs.configure(chosen.log_level, chosen.log_file)
    app = create_app(storage.make_engine(chosen.database_url()))
    # What is loaded by now lives as long as the process. Frozen, the collector's full
    # passes no longer walk it while a large push is merged: they took 0.7 of the 4 CPU
    # seconds the server spent on the bench's 11,000-change sync, 0.4 once frozen.
    gc.collect()
    gc.freeze()
    return app


async def _in_thread(func: Any, *args: Any) -> Any:
    # Database work blocks; keep the event loop free for other devices.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)
