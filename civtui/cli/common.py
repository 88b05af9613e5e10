"""What every `civtui` subcommand shares: the context object, errors, opening the store.

Every message goes out in the user's language: `--lang`, else the saved one (Chinese by
default). The words are keys in `civtui.i18n.cli`.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.status import Status
from rich.table import Table
from rich.text import Text

from civtui.domain.choices import Choice
from civtui.domain.clock import SYSTEM_CLOCK, Clock
from civtui.domain.shown import visible
from civtui.i18n import Said, Translator, said
from civtui.services import ownership
from civtui.services.profile import Profile, current_profile, load_settings

if TYPE_CHECKING:
    # The keys (pydantic's models), the error wording and the store load when a command
    # uses them: opening the app imports this module before its first frame.
    from civtui.services.keys import Prompt
    from db import Store


@dataclass
class Context:
    """What every subcommand shares: which profile, which language, what day it is."""

    profile_name: str | None
    lang: str
    clock: Clock

    @property
    def t(self) -> Translator:
        return Translator(self.lang)

    @property
    def profile(self) -> Profile:
        try:
            return current_profile(self.profile_name)
        except ValueError:
            name = self.profile_name or "?"
            fail(self.t("cli.bad_profile_name", name=name), 2)


def current_lang() -> str:
    """The language of the command being run: its context's, else the saved setting."""
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if isinstance(ctx.obj, Context):
            return ctx.obj.lang
        ctx = ctx.parent
    return load_settings().lang


def say(key: str, **values: Any) -> str:
    """A CLI string in the language of the command being run."""
    return Translator(current_lang())(key, **values)


def shown(value: object, *, lines: bool = False, style: str = "") -> Text:
    """Anything a person, a file or a server supplied, for a rich print or table cell: text,
    never markup (a village named `[red]…` is not printed red), with its control characters
    drawn rather than sent to the terminal (`civtui.domain.shown`). `lines` keeps newlines."""
    return Text(visible(value, lines=lines), style=style)


def coverage_table(table: Table, rows: list[tuple[list[Text], str]], width: int) -> Table:
    """A coverage report's table (village, rate, group, category, then figures) with `rows`
    (cells and style) added, laid out so each word is printed whole in `width` columns.

    Rich narrows the widest columns first, below their longest word, and cut 事实无人抚养
    儿童 to 事实无人抚 … at 80 columns. Here every column gets a width: the village, the
    group and the figures their widest cell, the headings their longest word (they wrap
    between words), the rate's phrase (月探访率, 'Monthly rate') whole when there is room,
    and the category what is left, never less than its longest word."""
    category, rate = 3, 1
    # A rule under the headings and one blank between columns, no lines and no edges: the
    # nine columns' borders and padding took the cells 事实无人抚养儿童 needs at 80 columns.
    table.box, table.show_edge, table.padding = box.SIMPLE_HEAD, False, (0, 1, 0, 0)

    def words(cells: list[str]) -> int:
        return max((cell_len(word) for cell in cells for word in cell.split()), default=1)

    def whole(cells: list[str]) -> int:
        return max((cell_len(cell) for cell in cells), default=1)

    needs: list[int] = []
    for index, column in enumerate(table.columns):
        cells = [row[index].plain for row, _ in rows]
        heading = words([str(column.header)])
        needs.append(max(heading, words(cells) if index in (rate, category) else whole(cells)))
    # Each column's padding, and the box's line between two columns (a blank, but a cell).
    overhead = len(needs) + len(needs) - 1
    left = width - overhead - sum(n for i, n in enumerate(needs) if i != category)
    # The rate's phrase whole first (it is on every row: wrapped, every row takes two
    # lines), if the category keeps its longest word; then the category what is left.
    rates = whole([row[rate].plain for row, _ in rows])
    grow = max(0, min(rates - needs[rate], left - needs[category]))
    needs[rate] += grow
    left -= grow
    labels = [row[category].plain for row, _ in rows]
    needs[category] = max(needs[category], min(whole(labels), left))
    for column, need in zip(table.columns, needs, strict=True):
        column.width = need
    for row, style in rows:
        table.add_row(*row, style=style)
    return table


def labelled(label: str, value: object) -> Text:
    """`label value`, the label in bold: a line of `civtui status`."""
    return Text.assemble((label, "bold"), " ", shown(value))


def echo(message: object, *, err: bool = False) -> None:
    """`click.echo` for a message that carries data (a path, a profile name, a server's
    words): its control characters drawn rather than obeyed."""
    click.echo(visible(message, lines=True), err=err)


def fail(message: str, code: int = 1, lang: str | None = None) -> NoReturn:
    heading = Translator(lang or current_lang())("cli.error")
    said = Text.assemble((heading, "bold red"), shown(message, lines=True))
    Console(stderr=True, soft_wrap=True).print(said, highlight=False)
    sys.exit(code)


def output_folder_exists(output: Path) -> None:
    """Refuse, in the user's words, a file to write in a folder that is not there: every
    command that writes a file asks here, before any work, rather than ending on Python's
    `[Errno 2] No such file or directory`."""
    folder = output.expanduser().absolute().parent
    if not folder.is_dir():
        fail(say("cli.no_folder", folder=folder), 2)


class Labelled(click.ParamType[Choice, object]):
    """A `Choice` typed by its code or by its label in either language (`民政协管员`,
    `协管员`), as people know it; a wrong one is refused with the choices in the user's
    language."""

    def __init__(self, choices: type[Choice]) -> None:
        self.choices = choices
        self.name = "|".join(member.value for member in choices)

    def get_metavar(self, param: click.Parameter, ctx: click.Context) -> str:
        return f"[{self.name}]"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> Choice:
        if isinstance(value, self.choices):
            return value
        try:
            return self.choices(str(value).strip())
        except ValueError:
            lang = current_lang()
            t = Translator(lang)
            listed = t("list.sep").join(
                t("cli.choice_one", label=member.label(lang), code=member.value)
                for member in self.choices
            )
            self.fail(t("cli.choice_bad", value=str(value), choices=listed), param, ctx)


def clock_from(today: str | None, lang: str = "zh") -> Clock:
    if not today:
        return SYSTEM_CLOCK
    try:
        return Clock.pinned(dt.date.fromisoformat(today))
    except ValueError:
        fail(Translator(lang)("cli.bad_today", value=today), 2, lang)


@contextmanager
def profile_store(context: Context, *, personal: bool = False) -> Iterator[Store]:
    """The current profile's store, or a clear message if there is no profile yet.

    `personal`: the command prints or writes personal data, so a profile with an unlock
    PIN asks for it first, as the app does after a restart (a passphrase-keyed profile has
    asked for its passphrase to open at all).
    """
    from civtui.domain.errors import text
    from civtui.services.keys import KeyUnavailableError, open_store

    profile = context.profile
    if not profile.exists():
        fail(context.t("cli.no_profile", name=profile.name))
    # Shared with the app and other commands, never with a restore or a key step that
    # moves the file this command would be writing into (services.ownership).
    with ExitStack() as held:
        try:
            held.enter_context(ownership.sharing(profile.db_path))
        except ownership.ProfileBusyError as exc:
            fail(text(exc, context.lang))
        try:
            store = open_store(profile.db_path, context.clock)
        except KeyUnavailableError as exc:
            fail(text(exc, context.lang))
        try:
            if personal:
                ask_pin(store, context)
            yield store
        finally:
            store.close()


def read_secret(prompt: str) -> str:
    """A secret from the terminal (hidden), or a line of standard input in scripts."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        if not line:
            raise click.Abort
        return line.rstrip("\r\n")
    return str(click.prompt(prompt, hide_input=True))


def ask_pin(store: Store, context: Context) -> None:
    """Ask for the unlock PIN if the profile has one; refuse (exit) unless it is right."""
    from civtui.services import keys

    if keys.lock_kind(store) != "pin":
        return
    t = context.t
    left = keys.wait_left(store, time.time())
    if left > 0:
        fail(said("key.pin_wait", seconds=int(left) + 1).in_(context.lang))
    try:
        pin = read_secret(t("lock.prompt_pin"))
    except click.Abort:
        fail(said("key.pin_needed", profile=context.profile.name).in_(context.lang))
    answer = keys.try_unlock(store, pin, time.time())
    if not answer.ok:
        key = "key.pin_wait" if answer.too_soon else "key.pin_wrong"
        fail(said(key, seconds=int(answer.wait) + 1, n=answer.failures).in_(context.lang))


#: The spinner on screen, if any: a passphrase prompt must not be drawn over by it.
_spinning: list[Status] = []


@contextmanager
def working(message: str) -> Iterator[None]:
    """A spinner on stderr while long work runs; a passphrase asked meanwhile pauses it."""
    with Console(stderr=True).status(message) as status:
        _spinning.append(status)
        try:
            yield
        finally:
            _spinning.remove(status)


def passphrase_prompt(lang: str) -> Prompt:
    """The terminal prompt services.keys uses where a profile's key comes from a passphrase."""

    def ask(prompt: Said, new: bool) -> str:
        for status in _spinning:
            status.stop()
        try:
            if new:
                return new_passphrase(prompt.in_(lang), lang)
            return str(click.prompt(prompt.in_(lang), hide_input=True))
        finally:
            for status in _spinning:
                status.start()

    return ask


#: How many times a new passphrase is asked for before giving up (a script feeding bad lines
#: must end, not loop).
NEW_PASSPHRASE_TRIES = 5


def new_passphrase(prompt: str, lang: str) -> str:
    """A new passphrase, typed twice. One too short is refused as soon as it is typed and
    asked for again: confirming a passphrase only to hear it was never usable wastes both."""
    from civtui.domain.errors import text
    from civtui.services import keys
    from civtui.services.keys import KeyUnavailableError

    for _ in range(NEW_PASSPHRASE_TRIES):
        first = str(click.prompt(prompt, hide_input=True))
        try:
            keys.check_passphrase(first)
        except KeyUnavailableError as exc:
            click.echo(text(exc, lang), err=True)
            continue
        again = str(click.prompt(said("key.passphrase_again").in_(lang), hide_input=True))
        if again == first:
            return first
        click.echo(said("key.passphrase_mismatch").in_(lang), err=True)
    raise KeyUnavailableError(said("key.passphrase_not_chosen", tries=NEW_PASSPHRASE_TRIES))
