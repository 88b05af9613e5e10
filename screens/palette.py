"""The command palette's commands, found as the roster finds people: by the words shown, their
full pinyin or initials (同步, tongbu, tb), or the command's name in the other language (sync).

Each command is matched against one key made with `civtui.domain.search.search_key` from its
title in every UI language, so the palette and the roster understand the same typing. The
keys need pypinyin (a fifth of a second and tens of MiB to load): they are made when the
palette opens, in a thread, and kept for the session; the first frame never pays for them.
Textual's own fuzzy match on the shown title still counts, so 导出 finds every ledger as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Protocol

from textual.command import Hit, Hits
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import Screen
from textual.style import Style
from textual.system_commands import SystemCommandsProvider

from civtui.domain.search import search_key

#: A command's key by its titles in every language; kept while the app runs.
_KEYS: dict[tuple[str, ...], str] = {}
#: Seconds the palette waits before making its keys: long enough to draw its first list.
MAKE_AFTER_S = 0.3
#: The score of a match on the key alone: below a fair fuzzy match on the title shown, so
#: typing a title's own characters lists that command first.
KEY_SCORE = 0.5
#: A match at the start of one of the key's parts (a title, its pinyin, its initials).
KEY_START_SCORE = 0.8


class Named(Protocol):
    """The app, which says each palette command's title in every UI language."""

    def command_names(self, screen: Screen[object]) -> Mapping[str, tuple[str, ...]]: ...


def command_key(names: Iterable[str]) -> str:
    """One `|`-separated key for a command from its titles in every language; spaces dropped,
    as `search.match` drops them from the query ("sync now" and "syncnow" both match)."""
    names = tuple(names)
    key = _KEYS.get(names)
    if key is None:
        key = "|".join(search_key(name).replace(" ", "") for name in names)
        _KEYS[names] = key
    return key


def key_score(key: str, query: str) -> float:
    """How well `query` (as typed) matches `key`: 0 for not at all."""
    text = query.strip().lower().replace(" ", "")
    if not text or text not in key:
        return 0.0
    if any(part.startswith(text) for part in key.split("|")):
        return KEY_START_SCORE
    return KEY_SCORE


async def _made_later(names: list[tuple[str, ...]]) -> list[str]:
    """The keys of these commands, made in a thread once the palette has drawn its list:
    loading pypinyin holds the interpreter, and begun at once it tripled the time the
    first list took to show."""
    if not all(n in _KEYS for n in names):
        await asyncio.sleep(MAKE_AFTER_S)
    return await asyncio.to_thread(lambda: [command_key(n) for n in names])


class PinyinCommands(SystemCommandsProvider):
    """Textual's system commands provider, its search also by pinyin and by either language."""

    def __init__(self, screen: Screen[object], match_style: Style | None = None) -> None:
        super().__init__(screen, match_style)
        self._names: Mapping[str, tuple[str, ...]] = {}
        self._made: asyncio.Future[list[str]] | None = None

    def _app_names(self) -> Mapping[str, tuple[str, ...]]:
        app = self.app
        if not hasattr(app, "command_names"):
            return {}
        named: Named = app
        return named.command_names(self.screen)

    async def startup(self) -> None:
        # The keys are made off the screen's thread and not awaited here: the list of every
        # command shows at once, and only a search typed before they are made waits for them.
        self._names = self._app_names()
        self._made = asyncio.ensure_future(_made_later(list(self._names.values())))

    async def search(self, query: str) -> Hits:
        if self._made is not None:
            # Shielded: the palette cancels a search when the next key comes, and that must
            # not cancel the keys every later search waits for.
            await asyncio.shield(self._made)
        matcher = self.matcher(query)
        for name, help_text, callback, *_ in self.app.get_system_commands(self.screen):
            fuzzy = matcher.match(name)
            key = command_key(self._names.get(name, (name,)))
            score = max(fuzzy, key_score(key, query))
            if score > 0:
                yield Hit(score, highlight(matcher, name), callback, text=name, help=help_text)


def highlight(matcher: Matcher, title: str) -> Content:
    """`Matcher.highlight` without reading the title as markup: a title is plain text."""
    content = Content(title)
    score, offsets = matcher.fuzzy_search.match(matcher.query, title)
    if not score:
        return content
    for offset in offsets:
        if not title[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content
