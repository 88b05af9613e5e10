"""Finding a person by what a village assistant types: 张三丰, zhangsanfeng, zsf, or 123X.

Each person gets one lower-case key string holding the name, its full pinyin
and its initials (and the surname's other reading where a surname is read
differently from the everyday character, 曾 zeng, 单 shan). A query matches
when it is a substring of that key, or the tail of the ID number.
"""

from __future__ import annotations

import operator
import re
import sys
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import compress, repeat
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
    """`match` over one list searched again and again, each one-character query's matches
    kept once found.

    Typing on narrows the last matches, so the keystroke that reads every key is a word's
    first character: at 50,000 people that scan was half of the keystroke (~3 ms of CPU).
    Names start with the same few letters again and again, so each character's matches are
    kept as one byte per item (50 kB at 50,000 people; a list of the matches would be up
    to eight times that), and listing them again is a scan in C (~0.5 ms).
    """

    #: Characters kept at most; past it the kept ones are dropped and found again.
    LIMIT = 64

    def __init__(self, items: Sequence[S]) -> None:
        self.items = items
        self._masks: dict[str, bytes] = {}

    def match(self, query: str) -> list[S]:
        """`match(self.items, query)`."""
        text = query.strip().lower().replace(" ", "")
        if len(text) != 1:
            return match(self.items, query)
        mask = self._masks.get(text)
        if mask is None:
            if len(self._masks) >= self.LIMIT:
                self._masks.clear()
            if _ID_TAIL.match(text):
                # "x" is also an ID's last character, which nothing typed after it narrows.
                tail = text.upper()
                mask = bytes(text in i.search_key or i.id_number.endswith(tail) for i in self.items)
            else:
                keys = map(operator.attrgetter("search_key"), self.items)
                mask = bytes(map(operator.contains, keys, repeat(text)))
            self._masks[text] = mask
        return list(compress(self.items, mask))


def narrows(previous: str, query: str) -> bool:
    """True when every match for `query` is also a match for `previous`.

    Holds for name and pinyin text typed on; not for ID tails, where "123" is no
    subset of "12" (…0123 ends in one, not the other).
    """
    return bool(previous) and query.startswith(previous) and not _ID_TAIL.match(query)


def entries(rows: Iterable[tuple[str, str, str]]) -> list[Entry]:
    """Entries from (person_id, key, id_number) rows."""
    return [Entry(pid, key, number) for pid, key, number in rows]
