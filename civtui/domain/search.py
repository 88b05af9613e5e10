"""Finding a person by what a village assistant types: 张三丰, zhangsanfeng, zsf, or 123X.

Each person gets one lower-case key string holding the name, its full pinyin
and its initials (and the surname's other reading where a surname is read
differently from the everyday character, 曾 zeng, 单 shan). A query matches
when it is a substring of that key, or the tail of the ID number.
"""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

#: Surnames whose reading differs from the character's common one.
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "乐": "yue",
    "仇": "qiu",
    "区": "ou",
    "查": "zha",
    "解": "xie",
    "朴": "piao",
    "盖": "ge",
    "缪": "miao",
    "覃": "qin",
    "翟": "zhai",
    "种": "chong",
    "尉": "yu",
    "召": "shao",
    "员": "yun",
    "繁": "po",
    "长": "chang",
}
_ID_TAIL = re.compile(r"^\d{2,17}[xX]?$|^[xX]$")


def search_key(name: str) -> str:
    """The text a query is matched against, `|`-separated so no match spans two parts."""
    # Loaded on first use: its phrase dictionary costs a fifth of a second at start-up.
    from pypinyin import lazy_pinyin

    syllables = lazy_pinyin(name, errors="default")
    parts = [name.lower(), "".join(syllables), "".join(s[:1] for s in syllables)]
    surname = SURNAME_READINGS.get(name[:1])
    if surname and syllables and syllables[0] != surname:
        alt = [surname, *syllables[1:]]
        parts += ["".join(alt), "".join(s[:1] for s in alt)]
    return "|".join(parts).lower()


_warming: threading.Thread | None = None


def warm() -> threading.Thread | None:
    """Load pypinyin's dictionaries in a thread of their own, now, so that the save of a
    person the form is being filled in for does not wait on them; the thread, if one started.

    Loading them takes ~0.5 s on a quiet laptop (1–2 s on a busy one) and ~55 MiB, which is
    why neither the first frame nor the screens that never make a key pay it. A save that
    comes first waits only for the rest of the load (Python's import lock).
    """
    global _warming
    if _warming is not None or "pypinyin" in sys.modules:
        return None
    _warming = threading.Thread(target=search_key, args=("张",), name="pinyin", daemon=True)
    _warming.start()
    return _warming


class Searchable(Protocol):
    """Anything with a person's search key and ID number (a roster row, an Entry)."""

    @property
    def search_key(self) -> str: ...

    @property
    def id_number(self) -> str: ...


S = TypeVar("S", bound=Searchable)


@dataclass(frozen=True)
class Entry:
    """One searchable person."""

    person_id: str
    search_key: str
    id_number: str


def match(items: Sequence[S], query: str) -> list[S]:
    """The items matching `query`, in the order given; all of them for an empty query.

    Typing on usually narrows a search (see `narrows`): then a caller may pass the
    previous result instead of everyone.
    """
    text = query.strip().lower().replace(" ", "")
    if not text:
        return list(items)
    tail = text.upper() if _ID_TAIL.match(text) else None
    if tail is None:
        return [i for i in items if text in i.search_key]
    return [i for i in items if text in i.search_key or i.id_number.endswith(tail)]


class Letters(Generic[S]):
    """`match` over one list searched again and again, the latest one-character queries'
    matches kept.

    Typing on narrows the last matches, so the keystroke that reads every key is a word's
    first character: at 50,000 people that scan was half of the keystroke (~3 ms of CPU;
    "x", also an ID's last character, twice that). Names start with the same few letters
    again and again, so the matches of the last `LIMIT` such characters are kept: at most
    8 bytes a person each (a byte a person per character, kept as a mask, made the first
    scan a third slower), and a kept one is listed again in ~0.1 ms.
    """

    #: One-character queries kept at most; the one asked longest ago goes first.
    LIMIT = 8

    def __init__(self, items: Sequence[S]) -> None:
        self.items = items
        self._kept: dict[str, list[S]] = {}

    def match(self, query: str) -> list[S]:
        """`match(self.items, query)`."""
        text = query.strip().lower().replace(" ", "")
        if len(text) != 1:
            return match(self.items, query)
        found = self._kept.pop(text, None)
        if found is None:
            found = match(self.items, text)
            if len(self._kept) >= self.LIMIT:
                del self._kept[next(iter(self._kept))]
        self._kept[text] = found  # last: the most recently asked
        return list(found)


def narrows(previous: str, query: str) -> bool:
    """True when every match for `query` is also a match for `previous`.

    Holds for name and pinyin text typed on; not for ID tails, where "123" is no
    subset of "12" (…0123 ends in one, not the other).
    """
    return bool(previous) and query.startswith(previous) and not _ID_TAIL.match(query)


def entries(rows: Iterable[tuple[str, str, str]]) -> list[Entry]:
    """Entries from (person_id, key, id_number) rows."""
    return [Entry(pid, key, number) for pid, key, number in rows]
