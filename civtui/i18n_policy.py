"""Strings for the visit rules' two rates, groups, 补录 and reassessment (issue #14).

Kept apart from `civtui.i18n.STRINGS` so parallel work does not collide there; merged into it
at the end of that module.
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "rate.monthly": ("月探访率", "Monthly rate"),
    "cli.col.rate_kind": ("口径", "Rate"),
    "cli.col.group": ("人群", "Group"),
    "rate.quarterly": ("季度探访率", "Quarterly rate"),
    "group.adult": ("成人", "Adults"),
    "group.child": ("儿童", "Children"),
    "group.subtotal": ("小计", "Subtotal"),
    "dash.late": ("补录", "Entered late"),
    "state.reassess": ("待复评", "Reassess"),
}
