"""Strings for what the wire carries since the protocol header (`sync.protocol.Feature`):
another laptop's staff label in a record's history."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # a record's history: a step another laptop made, by its staff label from the server
    "wire.by_staff": ("{staff}（另一台电脑 {device}）", "{staff} (another laptop, {device})"),
}
