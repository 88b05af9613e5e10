"""Strings for fitting the screens at 80×24 in both languages: short labels, legends, and
the words of the app's refresh when another process writes the profile."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # The in-app coverage report's narrow column headings; the CLI keeps its longer ones.
    "screen.late": ("补录", "Late"),
    "screen.now_legend": (
        "现：按今天的记录重算的 已访/应访，只在与月报不同时列出",
        "Now: done/due from today's records, listed where it differs from the report",
    ),
    # A count of one, where English needs the singular (sync.words.say picks `.one`).
    "sync.code.conflicts_closed.one": (
        "{count} 处冲突已在另一设备上处理，本机已关闭",
        "{count} conflict was resolved on another device and is closed here",
    ),
    "sync.code.conflicts_more.one": ("还有 {count} 处冲突", "{count} more conflict"),
    "cmd.export_ledger": ("导出{what}", "Export: {what}"),
    "help.adl_form": ("能力评估", "ADL assessment"),
    "form.digit_keys": (
        "在下拉栏按数字键选第几项（1 为第一项），光标自动到下一栏",
        "On a drop-down, press a digit to choose that item (1 the first); the cursor moves on",
    ),
}
