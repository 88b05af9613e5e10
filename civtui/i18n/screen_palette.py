"""Strings for the status bar's one line at 80 columns: a sync's counts said short (the
notice at the sync and the bar's tooltip keep the full sentence)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "status.sync_sent": ("上传 {n}", "sent {n}"),
    "status.sync_got": ("下载 {n}", "got {n}"),
    "status.sync_conflicts": ("冲突 {n}", "conflicts {n}"),
    "status.sync_refused": ("被拒 {n}", "refused {n}"),
}
