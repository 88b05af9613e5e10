"""Every word a person reads, in Chinese (the default) and English: one catalogue.

Each part of the app keeps its words in a module of this package (`app`, `cli`, `sync`,
…), declared the same way: `STRINGS` maps a key to its (Chinese, English) pair, and a part
may add `HELP_EN` (English `--help` of CLI options by their Chinese text), `FIELD_EN`
(English labels of model fields; the Chinese ones are the models' titles), `TEXTUAL_ZH`
(Textual's own words in Chinese) and `CLICK_ZH` (click's own words in Chinese). This
module merges the parts once, refusing a key that two parts both declare, so a word has
one place. Python dicts rather than gettext catalogues: the keys are checked by mypy-typed
code and by tests (tests/test_i18n_catalogue.py: no duplicate, no unused key), the app
ships as one wheel with no compile step, and both languages sit side by side for review.

Screens never hold display text of their own: they ask `Translator` by key. Code below
the screens, which cannot know the reader's language, raises `said(key, …)`: both
languages at once, shown by whoever catches it.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

LANGS = ("zh", "en")

#: The parts, in the order they are merged (the order matters to nothing but error text).
PARTS = (
    "app",
    "cli",
    "policy",
    "security",
    "server",
    "sync",
    "tui",
    "conflict",
    "rules",
    "history",
    "domain",
    "screen",
)

STRINGS: dict[str, tuple[str, str]] = {}
HELP_EN: dict[str, str] = {}
FIELD_EN: dict[str, str] = {}
TEXTUAL_ZH: dict[str, str] = {}
CLICK_ZH: dict[str, str] = {}


def _merge() -> None:
    tables: dict[str, dict[str, Any]] = {
        "STRINGS": STRINGS,
        "HELP_EN": HELP_EN,
        "FIELD_EN": FIELD_EN,
        "TEXTUAL_ZH": TEXTUAL_ZH,
        "CLICK_ZH": CLICK_ZH,
    }
    seen: dict[tuple[str, str], str] = {}
    for part in PARTS:
        # By name, after the static imports below made them known: the one-folder laptop
        # build (PyInstaller) packs only what is imported by name in the code.
        module = sys.modules[f"civtui.i18n.{part}"]
        for table, merged in tables.items():
            for key, value in getattr(module, table, {}).items():
                first = seen.setdefault((table, key), part)
                if first != part:
                    raise ValueError(f"{table}[{key!r}] is declared in both {first} and {part}")
                merged[key] = value


# Every part, imported so that the build finds it; `_merge` reads them in `PARTS` order.
from civtui.i18n import (  # noqa: E402, F401
    app,
    cli,
    conflict,
    domain,
    history,
    policy,
    rules,
    screen,
    security,
    server,
    sync,
    tui,
)

_merge()


@dataclass(frozen=True)
class Translator:
    """Looks up display text for one language."""

    lang: str = "zh"

    def __call__(self, key: str, **values: Any) -> str:
        zh, en = STRINGS[key]
        text = en if self.lang == "en" else zh
        return text.format(**values) if values else text

    def maybe(self, text: str) -> str:
        """`text` translated if it is a key, else as given (binding descriptions)."""
        return self(text) if text in STRINGS else text

    def textual(self, text: str) -> str:
        """Textual's own English text in this language, where it is known; else as given."""
        return TEXTUAL_ZH.get(text, text) if self.lang == "zh" else text

    def of(self, model: type[BaseModel], name: str) -> str:
        """The label of a model field: its Chinese title, or the English one."""
        if self.lang == "en":
            return FIELD_EN.get(name, name)
        info = model.model_fields.get(name)
        return (info.title if info else None) or name


class Said(str):
    """A message for a person: the string is the Chinese, `.en` the English."""

    en: str

    def __new__(cls, zh: str, en: str) -> Said:
        said = super().__new__(cls, zh)
        said.en = en
        return said

    def in_(self, lang: str) -> str:
        return self.en if lang == "en" else str(self)


def said(key: str, **values: object) -> Said:
    """The catalogue's message `key` in both languages, filled in: for a rule below the
    screens and the CLI, which cannot know the reader's language when it raises. A value
    that is itself said in two languages (a `Said`, or a choice with `label(lang)`) is
    filled in in each language."""
    zh, en = STRINGS[key]
    return Said(zh.format(**_in(values, "zh")), en.format(**_in(values, "en")))


def _in(values: dict[str, object], lang: str) -> dict[str, object]:
    def one(value: object) -> object:
        if isinstance(value, Said):
            return value.in_(lang)
        label = getattr(value, "label", None)
        return label(lang) if callable(label) else value

    return {name: one(value) for name, value in values.items()}
