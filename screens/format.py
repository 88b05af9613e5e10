"""How values look on screen, the same on every screen."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

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
    cats: Iterable[Category],
    lang: str,
    derived: Iterable[Category] = (),
    width: int | None = None,
) -> list[str]:
    """Category labels in policy order; derived ones marked with * (computed, not typed in).
    With `width`, a label wider than that is the category's short name."""
    auto = set(derived)
    return [
        (c.label(lang) if width is None else category_label(c, lang, width - (c in auto)))
        + ("*" if c in auto else "")
        for c in sorted(cats, key=_ORDER.__getitem__)
    ]


def category_label(category: Category, lang: str, width: int) -> str:
    """A category's name in `width` cells: whole if it fits, else its short name from the
    catalogue (Dibao, Left-behind): a name cut with … left the reader to guess which."""
    label = category.label(lang)
    if cell_len(label) <= width:
        return label
    return Translator(lang)(f"category.short.{category.value}")


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


def fit_list(
    labels: list[str],
    lang: str,
    width: int,
    *,
    whole: bool = False,
    taken: int = 0,
    most: int | None = None,
    more: Callable[[int], str] | None = None,
) -> str:
    """A list in lines of at most `width` cells, broken only between labels (a label never
    wraps inside itself: 失/能 or Lives/alone read as two words); a label wider than a line is
    clipped. A line the list goes on from ends in the list's mark (、 or a comma), and the
    last label needs no room for one.

    With `whole`, an English label wider than a line goes on over the next lines between
    its words ("Minimum living" / "allowance"): only a word, or a Chinese label, wider than
    a line is clipped. A list where each label must be read (the roster) takes the lines;
    the dashboard's work list keeps its rows short: with `most`, the list takes at most that
    many lines, and the labels left out are counted at its end by `more(n)` ("+2").

    `taken` cells of the first line are already used (a heading before the list): a first
    label that does not fit beside it starts on the next line, whole."""
    if most is None or not labels:
        return "\n".join(_fit(labels, lang, width, whole=whole, taken=taken))
    for shown in range(len(labels), -1, -1):
        lines = _fit(labels[:shown], lang, width, whole=whole, taken=taken)
        if shown < len(labels):
            count = (more or (lambda n: f"+{n}"))(len(labels) - shown)
            room = width - (taken if len(lines) == 1 else 0)
            if lines and cell_len(f"{lines[-1]} {count}") <= room:
                lines[-1] = f"{lines[-1]} {count}"
            else:
                lines.append(count)
        if len(lines) <= most or not shown:
            return "\n".join(lines)
    raise AssertionError("unreachable: no label shown always fits")


def _fit(labels: list[str], lang: str, width: int, *, whole: bool, taken: int) -> list[str]:
    sep = "、" if lang == "zh" else ", "
    mark = sep.rstrip()
    lines: list[str] = []
    line = ""
    room = width - taken  # of the line being filled
    for index, label in enumerate(labels):
        # Room kept after the label for the mark, unless the list ends with it.
        tail = cell_len(mark) if index < len(labels) - 1 else 0
        if line and cell_len(f"{line}{sep}{label}") + tail <= room:
            line = f"{line}{sep}{label}"
            continue
        if line:
            lines.append(line + mark)
            line, room = "", width
        elif room < width and cell_len(label) + tail > room:
            # Beside a heading with no room for it: the label starts the next line.
            lines.append("")
            room = width
        if whole and lang != "zh" and cell_len(label) + tail > room and " " in label:
            pieces = _word_lines(label, room - tail)
            lines += pieces[:-1]
            line, room = pieces[-1], width
        else:
            line = clip(label, room - tail)
    if line:
        lines.append(line)
    return lines


def _word_lines(label: str, width: int) -> list[str]:
    """A spaced label in lines of at most `width` cells, broken between its words."""
    lines: list[str] = []
    for word in label.split():
        word = clip(word, width)
        if lines and cell_len(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


#: A run that is read as one word: anything but spaces and Chinese (a date 2026-11-20, a
#: key Ctrl+S, 'follow-up', a typed [b]x[/b]); Chinese breaks between any two characters.
_WORD = re.compile(r"[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+")
#: Marks a line may not start with (they close what came before: 、 ， 。 ） …).
_NO_START = set("、，。；：！？）》」』】,.;:!?)]}%…”’")
#: A mark that stays with the word before it across a space: "Fair →" / "Poor", never
#: "Fair" / "→ Poor", where the arrow would read as the start of a new step.
_AFTER_SPACE = set("→")
#: Marks a line may not end with (they open what follows).
_NO_END = set("（《「『【([{“‘")


def wrap(value: str, width: int, *, keep: Iterable[str] = ()) -> list[str]:
    """`value` in lines of at most `width` cells, broken as a reader breaks it: between two
    Chinese characters or at a space, never inside a run of letters and figures (a date
    2026年 broken as 2/026年), never before 、，。） nor after （. A word wider than a line
    is the one thing cut, at the line's end.

    Each of `keep` found in `value` is one word: a change "Fair → Good" goes to the next
    line whole rather than leaving "→ Good" to start a line (a line that starts with → reads
    as a new step). One wider than a line is broken as any other text."""
    if cell_len(value) <= width:
        # What the breaking below leaves of a value that fits: a timeline's 200 records
        # are mostly one line each, and breaking each into words was most of laying it out.
        return [value.rstrip()]
    kept = sorted((k for k in set(keep) if k.strip() and cell_len(k) <= width), key=len)[::-1]
    atoms: list[str] = []
    at = 0
    while at < len(value):
        whole = next((k for k in kept if value.startswith(k, at)), None)
        found = _WORD.match(value, at)
        end = at + len(whole) if whole else found.end() if found else at + 1
        atom = value[at:end]
        if atom[0] in _AFTER_SPACE and atoms[-1:] == [" "] and len(atoms) > 1:
            atoms.pop()
            atoms[-1] += f" {atom}"
        elif atoms and (atom[0] in _NO_START or atoms[-1][-1:] in _NO_END) and atom != " ":
            atoms[-1] += atom
        else:
            atoms.append(atom)
        at = end
    lines: list[str] = []
    line = ""
    for atom in atoms:
        if cell_len(line + atom) <= width:
            line += atom
            continue
        if atom == " ":
            lines.append(line)
            line = ""
            continue
        if line.strip():
            lines.append(line.rstrip())
        line = atom.lstrip()
        while cell_len(line) > width:
            cut = ""
            for char in line:
                if cell_len(cut + char) > width:
                    break
                cut += char
            lines.append(cut)
            line = line[len(cut) :]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


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


def short(text: str) -> str:
    """A value's words in a dozen characters at most (`screens.values` says them)."""
    return text if len(text) <= 12 else text[:11] + "…"
