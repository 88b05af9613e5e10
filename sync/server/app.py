"""The HTTP face of the server: the app that serves the routes (`sync.server.routes`), with
one log line per request and refusals as the protocol has them."""

from __future__ import annotations

import contextlib
import gc
import logging
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from civtui import __version__
from sync import protocol
from sync.server import logs, routes, storage
from sync.server.routes import SCHEMA_HEADER

__all__ = ["SCHEMA_HEADER", "create_app", "from_environment"]

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


#: What this server reads of the protocol, said on every answer (`protocol.PROTOCOL_HEADER`).
_PROTOCOL = (protocol.PROTOCOL_HEADER.lower().encode(), protocol.protocol_said().encode())


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
                # Every answer says what this server reads, the first a laptop gets too.
                message["headers"] = [*message.get("headers", ()), _PROTOCOL]
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


@contextlib.asynccontextmanager
async def _closes_database(app: FastAPI) -> AsyncIterator[None]:
    """Close the database's connections when the server stops (Ctrl-C, SIGTERM): SQLite
    folds its write-ahead log back into the file only when the last one closes, and
    docs/deploy.md's backup is a copy of that one file with the server stopped. Without
    this, the copy lacked the last writes, still in `-wal`."""
    yield
    app.state.engine.dispose()


def create_app(engine: Engine) -> FastAPI:
    """The server's app on `engine`: the routes (`sync.server.routes`), one log line per
    request, and every refusal's body as the protocol has it."""
    app = FastAPI(title="civtui sync server", version=__version__, lifespan=_closes_database)
    app.state.engine = engine
    # The epoch this process serves syncs in, begun at its first (`routes.synced`).
    app.state.epoch = None
    app.state.epoch_lock = threading.Lock()
    app.add_middleware(_RequestLog)
    app.include_router(routes.router)
    app.exception_handler(HTTPException)(_http_error)
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            for name, schema in routes.BODY_DEFS.items():
                schemas.setdefault(name, schema)
        return app.openapi_schema or generate()

    app.openapi = openapi  # type: ignore[method-assign]
    return app


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    routes.note(request, reason=_reason_code(exc.status_code, exc.detail))
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


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
