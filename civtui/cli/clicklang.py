"""Click's own messages (missing option, bad value, no such command, usage) in the CLI's language.

Click asks gettext for every message it prints, through names its modules import as
`_` and `ngettext` (documented: "Click uses gettext for its messages"). Installing a
catalogue would change gettext for the whole process and could not follow `--lang`
per command; so those two names in click's modules are pointed at a lookup that follows
the language of the command being run (`use`). English is click's own text.

Checked against click 8.5.1 (scripts/constraints.txt): the modules below import
`_` / `ngettext` at module level, and messages are looked up when they are shown.
"""

from __future__ import annotations

import importlib

from civtui.i18n import CLICK_ZH

_MODULES = (
    "click.core",
    "click.exceptions",
    "click.types",
    "click.parser",
    "click.decorators",
    "click.formatting",
    "click.termui",
    "click.utils",
)
_state = {"lang": "zh"}


def use(lang: str) -> None:
    """Say click's messages in `lang` from now on."""
    _state["lang"] = lang


def say(message: str) -> str:
    """Click's `message` in the current language."""
    return CLICK_ZH.get(message, message) if _state["lang"] == "zh" else message


def _gettext(message: str) -> str:
    return say(message)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return say(singular if n == 1 else plural)


def install() -> None:
    """Point click's message lookups at `say` (idempotent)."""
    for name in _MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "_"):
            module._ = _gettext  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = _ngettext  # type: ignore[attr-defined]
