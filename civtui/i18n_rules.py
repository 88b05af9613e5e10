"""Strings for effective dates and closed months seen beside today's figures (issue #14).

Kept apart from `civtui.i18n.STRINGS` so parallel work does not collide there; merged into it
at the end of that module.
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "rules.effective_on": ("生效日期", "Effective date"),
    "report.month_open": ("{month}（本月未结束）", "{month} (not ended yet)"),
    "report.month_closed": (
        "{month} 月报（{taken}生成，数字不再改变；“现”为按现有记录重算，含其后补录和更正）",
        "{month} report (taken {taken}; its figures never change. “Now” counts today's "
        "records, with later entries and corrections)",
    ),
    "report.month_live": ("{month}（尚未生成月报）", "{month} (no month report yet)"),
    "report.now": ("现", "Now"),
    "report.earlier": ("上月", "Previous month"),
    "report.later": ("下月", "Next month"),
}
