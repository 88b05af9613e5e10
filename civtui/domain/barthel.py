"""The Barthel index of activities of daily living (ADL, 日常生活活动能力).

Ten items, each with its allowed scores; the total runs from 0 to 100.
"""

from __future__ import annotations

from dataclasses import dataclass

from civtui.domain.choices import DependencyLevel
from civtui.i18n import said


@dataclass(frozen=True)
class Item:
    """One Barthel item: its field name, labels and the only scores it accepts."""

    field: str
    zh: str
    en: str
    scores: tuple[int, ...]

    def label(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh


ITEMS: tuple[Item, ...] = (
    Item("feeding", "进食", "Feeding", (0, 5, 10)),
    Item("bathing", "洗澡", "Bathing", (0, 5)),
    Item("grooming", "修饰", "Grooming", (0, 5)),
    Item("dressing", "穿衣", "Dressing", (0, 5, 10)),
    Item("bowels", "控制大便", "Bowels", (0, 5, 10)),
    Item("bladder", "控制小便", "Bladder", (0, 5, 10)),
    Item("toilet", "如厕", "Toilet use", (0, 5, 10)),
    Item("transfer", "床椅转移", "Transfer", (0, 5, 10, 15)),
    Item("mobility", "平地行走", "Mobility", (0, 5, 10, 15)),
    Item("stairs", "上下楼梯", "Stairs", (0, 5, 10)),
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
