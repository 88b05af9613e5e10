"""Every word the user reads exists in both languages and takes the same parameters."""

from __future__ import annotations

import re
import string

from civtui.i18n import STRINGS

CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_both_languages_say_every_string_with_the_same_parameters() -> None:
    wrong = []
    for key, (zh, en) in STRINGS.items():
        if not zh.strip() or not en.strip():
            wrong.append(f"{key}: empty")
        if CJK.search(en):
            wrong.append(f"{key}: Chinese in the English {en!r}")
        if placeholders(zh) != placeholders(en):
            wrong.append(f"{key}: {placeholders(zh)} vs {placeholders(en)}")
    assert wrong == []
