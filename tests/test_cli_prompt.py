"""A passphrase asked while a spinner shows is asked on a still terminal, not under the spinner."""

from __future__ import annotations

import click
import pytest

from civtui.cli import common
from civtui.i18n import said


def test_a_passphrase_prompt_pauses_the_spinner(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []

    def prompt(text: str, **options: object) -> str:
        seen.extend(status._live.is_started for status in common._spinning)
        return "a long enough passphrase"

    monkeypatch.setattr(click, "prompt", prompt)
    ask = common.passphrase_prompt("zh")
    with common.working("正在生成"):
        (status,) = common._spinning
        assert status._live.is_started
        assert ask(said("key.passphrase_new", profile="demo"), True) == "a long enough passphrase"
        assert seen == [False, False]  # stopped while the person types it, and again
        assert status._live.is_started  # and spinning again afterwards
    assert common._spinning == []
