"""What every `civtui` subcommand shares: the context object, errors, opening the store."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn

import click
from rich.console import Console

from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.domain.errors import text
from civtui.i18n import Said
from civtui.i18n_security import said
from civtui.services.keys import KeyUnavailableError, Prompt, open_store
from civtui.services.profile import Profile, current_profile
from db import Store


@dataclass
class Context:
    """What every subcommand shares: which profile, which language, what day it is."""

    profile_name: str | None
    lang: str
    clock: Clock

    @property
    def profile(self) -> Profile:
        return current_profile(self.profile_name)


def fail(message: str, code: int = 1) -> NoReturn:
    Console(stderr=True, soft_wrap=True).print(f"[bold red]错误：[/]{message}", highlight=False)
    sys.exit(code)


def clock_from(today: str | None) -> Clock:
    if not today:
        return SYSTEM_CLOCK
    try:
        return Clock.pinned(dt.date.fromisoformat(today))
    except ValueError:
        fail(f"--today “{today}”不是有效日期；请按 2026-03-05 的格式填写", 2)


@contextmanager
def profile_store(context: Context) -> Iterator[Store]:
    """The current profile's store, or a clear message if there is no profile yet."""
    profile = context.profile
    if not profile.exists():
        fail(f"档案“{profile.name}”不存在；请先运行 civtui init 或 civtui demo")
    try:
        store = open_store(profile.db_path, context.clock)
    except KeyUnavailableError as exc:
        fail(text(exc, context.lang))
    try:
        yield store
    finally:
        store.close()


def passphrase_prompt(lang: str) -> Prompt:
    """The terminal prompt services.keys uses where a profile's key comes from a passphrase."""

    def ask(prompt: Said, new: bool) -> str:
        again = said("key.passphrase_again").in_(lang) if new else False
        return str(click.prompt(prompt.in_(lang), hide_input=True, confirmation_prompt=again))

    return ask
