"""How values look on screen, the same on every screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from civtui.domain.choices import Category, Choice
from civtui.i18n import Translator

_ORDER = {c: i for i, c in enumerate(Category)}


def categories(cats: Iterable[Category], lang: str, derived: Iterable[Category] = ()) -> str:
    """Category labels in policy order; derived ones marked with * (computed, not typed in)."""
    auto = set(derived)
    return "、".join(
        c.label(lang) + ("*" if c in auto else "") for c in sorted(cats, key=_ORDER.__getitem__)
    )


def coverage(contacted: int, required: int) -> str:
    """`183/252 73%`; a dash where nobody is due, rather than a made-up 0% or 100%."""
    rate = f"{contacted / required:.0%}" if required else "—"
    return f"{contacted}/{required} {rate}"


def day(value: dt.date | None, t: Translator) -> str:
    return value.isoformat() if value else t("never")


def choice(value: Choice | None, lang: str) -> str:
    return value.label(lang) if value is not None else "—"


def choices(values: Iterable[Choice], lang: str) -> str:
    return "、".join(v.label(lang) for v in values) or "—"


def short(value: object) -> str:
    """A field's value in a dozen characters at most: lists joined, nothing as a dash."""
    text = "、".join(map(str, value)) if isinstance(value, list) else str(value or "—")
    return text if len(text) <= 12 else text[:11] + "…"
