"""The Barthel index of activities of daily living (ADL, 日常生活活动能力).

Ten items, each with its allowed scores; the total runs from 0 to 100.
"""

from __future__ import annotations

from dataclasses import dataclass

from civtui.domain.choices import DependencyLevel
from civtui.i18n import said


@dataclass(frozen=True)
class Item:
    """One Barthel item: its field of `Assessment` (whose label names it) and the only
    scores it accepts."""

    field: str
    scores: tuple[int, ...]


ITEMS: tuple[Item, ...] = (
    Item("feeding", (0, 5, 10)),
    Item("bathing", (0, 5)),
    Item("grooming", (0, 5)),
    Item("dressing", (0, 5, 10)),
    Item("bowels", (0, 5, 10)),
    Item("bladder", (0, 5, 10)),
    Item("toilet", (0, 5, 10)),
    Item("transfer", (0, 5, 10, 15)),
    Item("mobility", (0, 5, 10, 15)),
    Item("stairs", (0, 5, 10)),
)
ITEMS_BY_FIELD = {item.field: item for item in ITEMS}


def level_for(total: int) -> DependencyLevel:
    """Dependency level: 100 none, 61-99 mild, 41-60 moderate, 40 and below severe."""
    if not 0 <= total <= 100:
        raise ValueError(said("barthel.total", total=total))
    if total == 100:
        return DependencyLevel.NONE
    if total >= 61:
        return DependencyLevel.MILD
    if total >= 41:
        return DependencyLevel.MODERATE
    return DependencyLevel.SEVERE
