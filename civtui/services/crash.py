"""What is kept of an error nobody caught: a log file for whoever fixes it, never for the screen.

The screen (or terminal) says only what happened and where this file is. The file holds the
traceback without local variables: a frame's locals are records, and a record carries an
ID number, a name and a phone. Exception messages can quote a value too (pydantic's
`input_value=…`), so anything shaped like a resident ID or a mobile number is masked.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from pathlib import Path

from civtui.services.profile import home_dir
from db.connection import create_private

#: 18-digit resident IDs (the last may be X) and 11-digit mainland mobile numbers, wherever
#: they appear in a message: not next to other digits, so a long count is left alone.
_PERSONAL = re.compile(r"(?<!\d)(?:\d{17}[\dXx]|1\d{10})(?![\dXx])")


def masked(text: str) -> str:
    """`text` with every ID-number- or phone-shaped run of digits replaced by asterisks."""
    return _PERSONAL.sub(lambda m: m.group()[:3] + "*" * (len(m.group()) - 3), text)


def log_path() -> Path:
    return home_dir() / "logs" / "crash.log"


def record(error: BaseException, now: dt.datetime | None = None) -> Path:
    """Append `error`'s traceback (no locals, personal numbers masked) to the crash log,
    created readable by its owner only; where the log is."""
    path = log_path()
    create_private(path)
    stamp = (now or dt.datetime.now()).isoformat(timespec="seconds")
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    with path.open("a", encoding="utf-8") as log:
        log.write(f"--- {stamp}\n{masked(''.join(lines))}\n")
    return path
