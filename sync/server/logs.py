"""The server's log: plain lines on a terminal, JSON lines in a file, with the standard library.

One line per request says who (token id, never the secret; staff; device; villages), what
(counts accepted / conflict / rejected), how much (bytes in and out) and how long (ms); every
refusal carries its reason code. What a line holds is chosen field by field below: never an
ID number, a resident's name or a note, because no record's content is ever handed to it.
"""

from __future__ import annotations

import io
import json
import logging
import logging.handlers
import sys
from pathlib import Path
from typing import Any, TextIO

from civtui.domain.shown import needs_showing

LOGGER = "civtui.server"
log = logging.getLogger(LOGGER)

#: The fields a line may carry, in the order a plain line shows them.
FIELDS = (
    "method",
    "path",
    "status",
    "reason",
    "token",
    "staff",
    "device",
    "villages",
    "accepted",
    "conflict",
    "rejected",
    "records",
    "bytes_in",
    "bytes_out",
    "ms",
    "seq",
    "table",
    "version",
    "database",
    "address",
    "workers",
    "log_file",
    "schema",
    "backup",
)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    given: dict[str, Any] = getattr(record, "fields", {})
    return {k: given[k] for k in FIELDS if given.get(k) is not None}


class PlainFormatter(logging.Formatter):
    """`2026-11-22 10:00:00 INFO push status=200 token=ab12cd34 …`, for a person reading along."""

    def format(self, record: logging.LogRecord) -> str:
        parts = [
            self.formatTime(record, "%Y-%m-%d %H:%M:%S"),
            record.levelname,
            record.getMessage(),
        ]
        for key, value in _fields(record).items():
            shown = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            parts.append(f"{key}={field_value(shown)}")
        return " ".join(str(p) for p in parts)


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def field_value(text: str) -> str:
    """`text` as the value of one `key=value` field of a plain line.

    A value comes from the request (a path is whatever the client sent, percent-decoded):
    control characters and bidi overrides are written as `\\x1b`, `\\u202e`, so a line on a
    terminal cannot clear the screen or hide what follows; a value with a space, a quote,
    an equals sign or a backslash is put in double quotes (its quotes and backslashes
    escaped), so ` status=200 ` in a path stays inside the path and never reads as a field.
    """
    if text and not any(c.isspace() or c in '"=\\' or needs_showing(c) for c in text):
        return text
    body = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(_escaped(c) if needs_showing(c) else c for c in body) + '"'


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a program reading the file."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "event": record.getMessage(),
            **_fields(record),
        }
        return json.dumps(line, ensure_ascii=False, default=str)


class PrivateWatchedFileHandler(logging.handlers.WatchedFileHandler):
    """Reopens the file when logrotate moves it away; a new file is created 0600 too."""

    def _open(self) -> io.TextIOWrapper:
        from sync.server.storage import private_file

        private_file(Path(self.baseFilename))
        return super()._open()


def configure(level: str = "INFO", file: Path | None = None, stream: TextIO | None = None) -> None:
    """Send the server's log to the terminal (plain) and, if given, to `file` (JSON lines)."""
    log.handlers.clear()
    log.setLevel(level)
    log.propagate = False
    terminal = logging.StreamHandler(stream or sys.stderr)
    terminal.setFormatter(PlainFormatter())
    log.addHandler(terminal)
    if file is not None:
        to_file = PrivateWatchedFileHandler(file, encoding="utf-8")
        to_file.setFormatter(JsonFormatter())
        log.addHandler(to_file)


def event(name: str, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, name, extra={"fields": fields})
