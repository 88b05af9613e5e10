"""The HTTP face of the server: FastAPI routes for health, identity, push and pull."""

from __future__ import annotations

import os
from typing import Annotated, Any, TypeVar

from fastapi import Depends, FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine

from civtui import __version__
from sync import protocol
from sync.protocol import (
    Code,
    Health,
    Me,
    PullRequest,
    PullResponse,
    PushRequest,
    PushResponse,
    Reason,
)
from sync.server import merge, tokens
from sync.server.tokens import Identity

M = TypeVar("M", bound=BaseModel)


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
    return who


Caller = Annotated[Identity, Depends(identity)]


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="civtui sync server", version=__version__)
    app.state.engine = engine

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
    def health() -> Health:
        return Health(status="ok", version=__version__, server_time_ms=merge.now_ms())

    @app.get(protocol.PATH_ME, response_model=Me)
    def me(who: Caller) -> Me:
        return Me(staff=who.staff, role=who.role, villages=sorted(who.villages))

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
        return gzip_response(result)

    @app.post(
        protocol.PATH_PULL, response_model=PullResponse, openapi_extra=_body_schema(PullRequest)
    )
    async def pull(request: Request, who: Caller) -> Response:
        message = await read_body(request, PullRequest)
        return gzip_response(await _in_thread(merge.pull, engine, who, message))

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
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)

    fault = os.environ.get("CIVTUI_SERVER_FAULT", "")
    if fault:
        _install_fault(app, fault)
    return app


async def _in_thread(func: Any, *args: Any) -> Any:
    # Database work blocks; keep the event loop free for other devices.
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(func, *args)


def _install_fault(app: FastAPI, fault: str) -> None:
    """Test hook: die at a chosen dangerous point, as a crashed or unplugged server would.

    `crash-after-push-commit:N` exits after the Nth push has committed but before answering;
    `crash-in-pull:N` exits while answering the Nth pull. Only for the test suite.
    """
    kind, _, count = fault.partition(":")
    remaining = {"n": int(count or "1")}
    target = {"crash-after-push-commit": protocol.PATH_PUSH, "crash-in-pull": protocol.PATH_PULL}[
        kind
    ]

    @app.middleware("http")
    async def crash(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        if request.url.path == target:
            remaining["n"] -= 1
            if remaining["n"] == 0:
                os._exit(17)
        return response
