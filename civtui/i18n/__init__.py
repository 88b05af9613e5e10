"""Every word a person reads, in Chinese (the default) and English: one catalogue.

Each part of the app keeps its words in a module of this package (`app`, `cli`, `sync`,
…), declared the same way: `STRINGS` maps a key to its (Chinese, English) pair, and a part
may add `HELP_EN` (English `--help` of CLI options by their Chinese text), `TEXTUAL_ZH`
(Textual's own words in Chinese) and `CLICK_ZH` (click's own words in Chinese). The labels
of the records' fields are `field.` keys of the part `fields`: a model's title is
`label(key)`, and `Translator.of` finds the English by it. This
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
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    # Only named in signatures: the catalogue loads before the first frame, pydantic need not.
    from pydantic import BaseModel

LANGS = ("zh", "en")

#: The parts, in the order they are merged (the order matters to nothing but error text).
PARTS = (
    "app",
    "cli",
    "cli_fixes",
    "policy",
    "security",
    "server",
    "sync",
    "tui",
    "conflict",
    "rules",
    "history",
    "sync_wire",
    "domain",
    "screen",
    "fields",
    "import_calamine",
    "bundle_fixes",
    "screen_palette",
)

STRINGS: dict[str, tuple[str, str]] = {}
HELP_EN: dict[str, str] = {}
TEXTUAL_ZH: dict[str, str] = {}
CLICK_ZH: dict[str, str] = {}
#: The keys of the fields' labels start so (the part `fields`).
FIELD = "field."
#: A field label's key by its Chinese, which is the model's title: how the English is found.
FIELD_KEYS: dict[str, str] = {}


def _merge() -> None:
    tables: dict[str, dict[str, Any]] = {
        "STRINGS": STRINGS,
        "HELP_EN": HELP_EN,
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
    FIELD_KEYS.clear()
    for key, (zh, _en) in STRINGS.items():
        if key.startswith(FIELD):
            first = FIELD_KEYS.setdefault(zh, key)
            if first != key:
                raise ValueError(f"the field label {zh!r} is declared as both {first} and {key}")


# Every part, imported so that the build finds it; `_merge` reads them in `PARTS` order.
from civtui.i18n import (  # noqa: E402, F401
    app,
    bundle_fixes,
    cli,
    cli_fixes,
    conflict,
    domain,
    fields,
    history,
    import_calamine,
    policy,
    rules,
    screen,
    screen_palette,
    security,
    server,
    sync,
    sync_wire,
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
        """The label of a model field in this language, found by its title (`label`); a
        field with no catalogue label is called by its title, in English by its name."""
        info = model.model_fields.get(name) or model.model_computed_fields.get(name)
        title = (info.title if info else None) or ""
        key = FIELD_KEYS.get(title)
        if key is not None:
            return self(key)
        return title or name if self.lang != "en" else name


class Said(str):
    """A message for a person: the string is the Chinese, `.en` the English."""

    en: str

    def __new__(cls, zh: str, en: str) -> Said:
        said = super().__new__(cls, zh)
        said.en = en
        return said

    def in_(self, lang: str) -> str:
        return self.en if lang == "en" else str(self)


def label(key: str) -> str:
    """A model field's title: the Chinese of the catalogue's field label `key`. Pydantic
    names the field by it; `Translator.of` says it in either language."""
    if not key.startswith(FIELD):
        raise KeyError(f"{key!r} is not a field label (they start with {FIELD!r})")
    return STRINGS[key][0]


def labelled(model: type[BaseModel], name: str) -> Said:
    """Field `name` of `model` by its label, in both languages: for a rule's message."""
    return Said(Translator("zh").of(model, name), Translator("en").of(model, name))


def joined(values: Sequence[object], by: str) -> Said:
    """`values` in a row, each in both languages as `said` fills them in, between the
    catalogue's separator `by` (its Chinese between the Chinese, its English between the
    English)."""
    zh, en = STRINGS[by]
    return Said(
        zh.join(str(_one(v, "zh")) for v in values), en.join(str(_one(v, "en")) for v in values)
    )


def said(key: str, **values: object) -> Said:
    """The catalogue's message `key` in both languages, filled in: for a rule below the
    screens and the CLI, which cannot know the reader's language when it raises. A value
    that is itself said in two languages (a `Said`, or a choice with `label(lang)`) is
    filled in in each language."""
    zh, en = STRINGS[key]
    return Said(zh.format(**_in(values, "zh")), en.format(**_in(values, "en")))


def _one(value: object, lang: str) -> object:
    """A value in `lang`: a `Said`, or a choice with `label(lang)`; anything else as it is."""
    if isinstance(value, Said):
        return value.in_(lang)
    say = getattr(value, "label", None)
    return say(lang) if callable(say) else value


def _in(values: dict[str, object], lang: str) -> dict[str, object]:
    return {name: _one(value, lang) for name, value in values.items()}
