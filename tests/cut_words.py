"""Finding words cut by the edge of a column or of the screen, in rendered terminal rows.

A cut word is a visible prefix of something the app says (a catalogue label, a choice's
label, a field's title) or shows (a name, a village), ending where the text stops, or
where a `…` stands for the rest of the label ("Left-behi…", "Lives…" of "Lives alone"): an
ellipsis shows that a label was cut, not what it said. Text that is itself a label before
its … ("Counting…", "Minimum living…" of the phrase "Minimum living") is no cut. What
counts as the end of a word depends on the script:

- English: the visible text stops inside a word ("Minimum liv", "Childless a", "f Follo");
- Chinese: the visible text stops inside a label or name that has no break there
  ("事实无人抚", "居住良好 · 健"); a whole label, or a name that is itself a name, is not a cut;
- English output also must not carry Chinese list punctuation next to English words
  ("Aged 80+、Empty nest"), nor say "1 conflicts".

Only the prefix rule can see a cut, so a label cut exactly between two words by a column
edge is found only when the shorter phrase is no label of its own and the text meets an
edge (a box line, a scrollbar, the end of the row). Data typed by people (notes, needs'
descriptions) is free text: a cut of it is found only where it is one of the known values.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Set
from dataclasses import dataclass

from rich.cells import cell_len

from civtui.domain import choices
from civtui.i18n import STRINGS

#: Box lines, panel borders, scrollbar cells and a drop-down's arrow: the edge of a region.
EDGES = set("│┃▏▕▎▊▌▐█▁▂▃▄▅▆▇▔─━╸╺╹╻┏┓┗┛┌┐└┘▼▲")
#: Where a phrase may start inside a run of text: after a space or a list separator.
STARTS = set(" 、，,：:·/（(")
#: What may follow a whole Chinese word inside a longer label.
BREAKS = set(" 、，,：:·/（()）*?？！。；;-—→…")
CJK = re.compile(r"[\u4e00-\u9fff]")
ZH_PUNCT_BY_ASCII = re.compile(r"[A-Za-z0-9*+)][、，：；。（]|[、，：；。）][A-Za-z]")
ONE_PLURAL = re.compile(r"(?<![\d.,/])\b1 ([a-z]{3,}[^s\W]s)\b")
PLACEHOLDER = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True)
class Cut:
    row: int
    text: str
    of: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.text!r} (of {self.of!r})"


def catalogue(lang: str) -> set[str]:
    """Every label the app can show in `lang`, and the literal pieces of its messages."""
    found: set[str] = set()
    index = 1 if lang == "en" else 0
    for pair in STRINGS.values():
        if lang == "zh" and _prose(pair[index]):
            continue  # a Chinese sentence wraps at any character: none of it is a label
        for line in PLACEHOLDER.split(pair[index]):
            for piece in line.split("\n"):
                found.add(piece.strip())
    for member_type in vars(choices).values():
        if isinstance(member_type, type) and issubclass(member_type, choices.Choice):
            found.update(m.label(lang) for m in member_type)
    return {label for label in found if label}


def _words(label: str) -> Iterable[str]:
    """A label and every phrase of it that starts after a space or separator."""
    yield label
    for i, ch in enumerate(label):
        if ch in STARTS and label[i + 1 :].strip():
            yield label[i + 1 :].strip()


@dataclass(frozen=True)
class _Tables:
    """What a detector looks words up in: the whole phrases, the phrases a … may follow, and
    the prefixes that are cuts (of a word, or before a …) with the phrase each was cut from."""

    whole: frozenset[str]
    phrases: frozenset[str]
    cut_of: dict[str, str]
    clipped_of: dict[str, str]


NOTHING = _Tables(frozenset(), frozenset(), {}, {})


@functools.cache
def _catalogue_tables(lang: str) -> _Tables:
    """The tables of what the app says in `lang`: the same for every detector, and most of
    its cost (English: ~6,000 phrases, ~270,000 prefixes), so made once a process; each
    detector adds the names it is given (`_added`)."""
    return _added(NOTHING, lang, catalogue(lang))


def _added(base: _Tables, lang: str, labels: Iterable[str]) -> _Tables:
    """What `labels` add to `base`: their phrases that are new, and the cuts those make."""
    whole: set[str] = set()
    phrases: set[str] = set()
    for label in labels:
        # A Chinese sentence's pieces are no labels: it wraps at any character.
        phrases.update([label] if lang == "zh" and _prose(label) else _words(label))
        whole.update([label] if lang == "zh" and _prose(label) else _words(label))
        if lang == "en":
            # Its words too; a lone capital is left out: "A" is "All …" cut to a letter.
            whole.update(re.findall(r"[A-Za-z][A-Za-z'-]+", label))
    whole -= base.whole
    phrases -= base.phrases
    # Every proper prefix that is a cut, mapped to the label it was cut from.
    cut_of: dict[str, str] = {}
    for phrase in whole:
        if lang == "zh" and _prose(phrase):
            continue
        for end in range(1, len(phrase)):
            prefix = phrase[:end].rstrip()
            if prefix in base.whole or prefix in whole or prefix in base.cut_of:
                continue
            if prefix in cut_of or _no_word(prefix):
                continue
            if _mid_word(prefix, phrase[len(prefix) :]):
                cut_of[prefix] = phrase
    # Every proper prefix that is no phrase of its own, mapped to the phrase: before a … it
    # is a cut even between words ("Lives…" of "Lives alone"), the words left out being the
    # ones that told the categories apart.
    clipped_of: dict[str, str] = {}
    for phrase in phrases:
        if lang == "zh" and _prose(phrase):
            continue
        for end in range(1, len(phrase)):
            prefix = phrase[:end].rstrip()
            if prefix in base.phrases or prefix in phrases or prefix in base.clipped_of:
                continue
            if not _no_word(prefix):
                clipped_of.setdefault(prefix, phrase)
    return _Tables(frozenset(whole), frozenset(phrases), cut_of, clipped_of)


class _Over:
    """A table of prefixes: `base`'s with `added` over it, less those `whole` (a phrase
    added) says are no cut; `base` (the catalogue's) is shared, not copied."""

    def __init__(self, base: dict[str, str], added: dict[str, str], whole: Set[str]) -> None:
        self.base, self.added, self.whole = base, added, whole

    def get(self, prefix: str) -> str | None:
        """The phrase `prefix` was cut from, or None when it is no cut."""
        found = self.added.get(prefix)
        if found is None and prefix not in self.whole:
            found = self.base.get(prefix)
        return found

    def __contains__(self, prefix: str) -> bool:
        return self.get(prefix) is not None

    def keys(self) -> set[str]:
        return {p for p in self.base if p not in self.whole} | set(self.added)


def _mid_word(shown: str, rest: str) -> bool:
    last, following = shown[-1], rest[0]
    if CJK.match(last):
        return following not in BREAKS
    return last.isalnum() and following.isalnum() and not CJK.match(following)


class Detector:
    """Looks for cut words in rows drawn in `lang`, knowing what the app says and shows."""

    def __init__(self, lang: str, data: Iterable[str] = ()) -> None:
        self.lang = lang
        #: Where a shown phrase may start: in Chinese not after ，or ： (a sentence goes on).
        self.starts = STARTS - set("，：:") if lang == "zh" else STARTS
        base = _catalogue_tables(lang)
        added = _added(base, lang, {d for d in data if d})
        self.whole = base.whole | added.whole
        #: Labels and their phrases (not their single words): what a … may follow.
        self.phrases = base.phrases | added.phrases
        #: Every proper prefix that is a cut, mapped to the label it was cut from.
        self.cut_of = _Over(base.cut_of, added.cut_of, added.whole)
        #: Every proper prefix that is no phrase of its own, mapped to the phrase.
        self.clipped_of = _Over(base.clipped_of, added.clipped_of, added.phrases)

    def cuts(self, rows: list[str]) -> list[Cut]:
        found: list[Cut] = []
        placed = [_placed_runs(row) for row in rows]
        for number, row in enumerate(rows):
            below = dict(placed[number + 1]) if number + 1 < len(rows) else {}
            for column, run in placed[number]:
                # The run as it meets an edge, and the text before each … in it: a word cut
                # with … ("Left-behi…", "Lives…", 事实无…) is as cut as one the edge cut.
                ends = [(run, "")] + [(run[:at], "…") for at, ch in enumerate(run) if ch == "…"]
                for text, ellipsis in ends:
                    for start in range(len(text)):
                        if start and text[start - 1] not in self.starts:
                            continue
                        shown = text[start:].rstrip()
                        of = self.cut_of.get(shown)
                        if ellipsis and of is None and shown + ellipsis not in self.whole:
                            of = self.clipped_of.get(shown)
                        if of is not None and not ellipsis and self._goes_on(shown, below, column):
                            break
                        if of is not None:
                            found.append(Cut(number, shown + ellipsis, of))
                            break
            if self.lang == "en":
                found += [
                    Cut(number, m.group(), "Chinese punctuation")
                    for m in ZH_PUNCT_BY_ASCII.finditer(row)
                ]
                found += [
                    Cut(number, m.group(), "plural after 1") for m in ONE_PLURAL.finditer(row)
                ]
        return found

    def _goes_on(self, shown: str, below: dict[int, str], column: int) -> bool:
        """English text wrapped at a space: the next row goes on in the same column with
        what the phrase says next ("in a" / "multi-choice field" is no cut of "in all"). A
        word cut by an edge has no such line below it ("Childless a" / "Tekun")."""
        if self.lang != "en" or column not in below:
            return False
        went_on = f"{shown} {below[column]}"
        return any(phrase.startswith(went_on) for phrase in self.phrases)


def _prose(phrase: str) -> bool:
    """A Chinese sentence, which may wrap at any character, unlike a label or a name."""
    return len(phrase) > 16 or any(mark in phrase for mark in "，。；：")


def _no_word(prefix: str) -> bool:
    """Not the start of a word: a figure or a date, or a lone lower-case letter (a key,
    as the footer and F1 print keys)."""
    return not prefix or prefix[0].isdigit() or (len(prefix) == 1 and prefix.islower())


def _placed_runs(row: str) -> list[tuple[int, str]]:
    """The row's runs of text, each with the terminal column it starts at: split at region
    edges and at gaps of two or more spaces (a column's padding), each stripped."""
    cleaned = "".join("\x00" if ch in EDGES else ch for ch in row)
    placed = []
    for found in re.finditer(r"[^\x00 ]+(?: [^\x00 ]+)*", cleaned):
        placed.append((cell_len(cleaned[: found.start()]), found.group()))
    return placed
