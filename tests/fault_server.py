"""A sync server that dies at a chosen dangerous point, as a crashed or unplugged one would.

Only the crash tests start it (`Server.start(fault=...)` in tests/sync_harness.py): the hook
wraps the real app from outside, so nothing of it ships in `create_app`.

    python -m tests.fault_server crash-after-push-commit:1 PORT

`crash-after-push-commit:N` exits after the Nth push has committed but before answering;
`crash-in-pull:N` exits while answering the Nth pull.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import uvicorn

from sync import protocol
from sync.server.app import from_environment

TARGETS = {"crash-after-push-commit": protocol.PATH_PUSH, "crash-in-pull": protocol.PATH_PULL}
EXIT_CODE = 17


class CrashAt:
    """ASGI middleware: exit the process as the Nth answer to `path` is about to go out."""

    def __init__(self, app: Any, path: str, count: int) -> None:
        self.app, self.path, self.remaining = app, path, count

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return

        async def send_or_die(message: Any) -> None:
            if message["type"] == "http.response.start":
                self.remaining -= 1
                if self.remaining == 0:
                    os._exit(EXIT_CODE)
            await send(message)

        await self.app(scope, receive, send_or_die)


def main() -> None:
    fault, port = sys.argv[1], int(sys.argv[2])
    kind, _, count = fault.partition(":")
    app = CrashAt(from_environment(), TARGETS[kind], int(count or "1"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main()
