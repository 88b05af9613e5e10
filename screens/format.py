"""How values look on screen, the same on every screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from rich.cells import cell_len
from rich.text import Text

from civtui.domain.choices import Category, Choice
from civtui.domain.shown import visible
from civtui.i18n import Translator

_ORDER = {c: i for i, c in enumerate(Category)}


def text(value: object, *, lines: bool = False, style: str = "") -> Text:
    """A value for a widget, shown as the characters it holds: never read as markup (a child
    named `[/]` is called `[/]`), its control characters drawn rather than obeyed
    (`civtui.domain.shown`). Every screen passes what it shows through here: names, notes,
    village names, server words, and messages that carry any of them.

    `lines` keeps a note's newlines; without it the value is one line (a list cell, a title).
    """
    return Text(visible(value, lines=lines), style=style)


def plain(value: object, *, lines: bool = False) -> str:
    """`text` for the few places Textual takes only a `str` it does not read as markup
    (`Screen.sub_title`, a notice sent with markup off)."""
    return visible(value, lines=lines)


def listed(labels: Iterable[str], lang: str) -> str:
    """Labels as a list in `lang`: 、 between Chinese ones, a comma and a space between
    English ones (so a long list wraps between words, and no Chinese mark sits in English)."""
    return ("、" if lang == "zh" else ", ").join(labels)


def aside(main: str, note: str, lang: str) -> str:
    """`main` with `note` in brackets: full-width ones in Chinese, ASCII in English."""
    return f"{main}（{note}）" if lang == "zh" else f"{main} ({note})"


def category_labels(
    cats: Iterable[Category], lang: str, derived: Iterable[Category] = ()
) -> list[str]:
    """Category labels in policy order; derived ones marked with * (computed, not typed in)."""
    auto = set(derived)
    return [
        c.label(lang) + ("*" if c in auto else "") for c in sorted(cats, key=_ORDER.__getitem__)
    ]


def categories(cats: Iterable[Category], lang: str, derived: Iterable[Category] = ()) -> str:
    return listed(category_labels(cats, lang, derived), lang)


def clip(label: str, width: int) -> str:
    """`label` whole if it fits `width` cells, else cut with … so the cut shows."""
    if cell_len(label) <= width:
        return label
    out = ""
    for char in label:
        if cell_len(out + char) > width - 1:
            break
        out += char
    # Words of a spaced language are cut between words where one fits ("Aged…", not "Aged 8…").
    if " " in out.strip() and label[len(out) : len(out) + 1] not in ("", " "):
        out = out.rsplit(" ", 1)[0]
    return out.rstrip() + "…"


def fit_list(labels: list[str], lang: str, width: int) -> str:
    """A list in lines of at most `width` cells, broken only between labels (a label never
    wraps inside itself: 失/能 read as two words); a label wider than a line is clipped."""
    sep = "、" if lang == "zh" else ", "
    lines: list[str] = []
    line = ""
    for label in labels:
        label = clip(label, width - cell_len(sep))
        joined = f"{line}{sep}{label}" if line else label
        if line and cell_len(joined + sep) > width:
            lines.append(line + sep.rstrip())
            line = label
        else:
            line = joined
    if line:
        lines.append(line)
    return "\n".join(lines)


def coverage(contacted: int, required: int) -> str:
    """`183/252 73%`; a dash where nobody is due, rather than a made-up 0% or 100%."""
    rate = f"{contacted / required:.0%}" if required else "—"
    return f"{contacted}/{required} {rate}"


def day(value: dt.date | None, t: Translator) -> str:
    return value.isoformat() if value else t("never")


def choice(value: Choice | None, lang: str) -> str:
    return value.label(lang) if value is not None else "—"


def choices(values: Iterable[Choice], lang: str) -> str:
    return listed((v.label(lang) for v in values), lang) or "—"


def short(value: object) -> str:
    """A field's value in a dozen characters at most: lists joined, nothing as a dash."""
    text = "、".join(map(str, value)) if isinstance(value, list) else str(value or "—")
    return text if len(text) <= 12 else text[:11] + "…"
