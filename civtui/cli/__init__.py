"""The `civtui` command: opens the app; its subcommands load only when they are run.

Opening the app is what people do most, many times a day on old laptops: it should not
pay for importing Excel, HTTP and server libraries it does not use (that was ~0.3 s).
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from types import TracebackType

import click

from civtui import __version__
from civtui.cli import clicklang
from civtui.cli.common import Context, clock_from, fail, passphrase_prompt
from civtui.i18n import CLICK_ZH, HELP_EN, LANGS
from civtui.services.profile import KEY_FILE, load_settings

_CLICK_EN = {zh: en for en, zh in CLICK_ZH.items()}
#: How many times the app's start asks for a profile's passphrase before giving up.
PASSPHRASE_TRIES = 3

#: Subcommand name → "module:attribute" of its click command, imported when it runs.
SUBCOMMANDS = {
    "init": "civtui.cli.profile:init",
    "demo": "civtui.cli.profile:demo_command",
    "status": "civtui.cli.profile:status",
    "import": "civtui.cli.excel:import_group",
    "export": "civtui.cli.excel:export_group",
    "report": "civtui.cli.excel:report_group",
    "login": "civtui.cli.sync:login",
    "sync": "civtui.cli.sync:sync_command",
    "bundle": "civtui.cli.bundle:bundle_group",
    # The server group, with the township's reports (which use the laptops' own code) added.
    "server": "civtui.cli.township:server_group",
    "key": "civtui.cli.security:key_group",
    "encrypt": "civtui.cli.security:encrypt_command",
    "backup": "civtui.cli.security:backup_command",
    "restore": "civtui.cli.security:restore_command",
}


def lang_in(args: list[str]) -> str | None:
    """The `--lang` given in `args`, if any: help is shown before options are processed."""
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            return args[index + 1]
        if arg.startswith("--lang="):
            return arg.partition("=")[2]
    return None


def _help_in(original: str, lang: str) -> str:
    # Click's own help (its English message ids) may already have been said in Chinese.
    english = _CLICK_EN.get(original, original)
    if lang == "en":
        return HELP_EN.get(english, english)
    return CLICK_ZH.get(english, english)


def localise(command: click.Command, lang: str, ctx: click.Context) -> None:
    """Put the help texts of `command` (and its subcommands) in `lang`.

    Help is written in Chinese in the decorators; the English is looked up by that text.
    The Chinese is kept on the object, so one process can show either language.
    """
    options = [p for p in command.params if isinstance(p, click.Option)]
    help_option = command.get_help_option(ctx)
    targets: list[object] = [command, *options, *([help_option] if help_option else [])]
    for target in targets:
        original = getattr(target, "_civtui_help", None) or getattr(target, "help", None)
        if not original:
            continue
        target._civtui_help = original  # type: ignore[attr-defined]
        target.help = _help_in(original, lang)  # type: ignore[attr-defined]
    for param in command.params:
        # A path's kind ("file") is named when the type is made, in whatever language
        # was current then; it shows in the usage line and in click's messages.
        if isinstance(param.type, click.Path):
            param.type.name = _help_in(param.type.name, lang)
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            localise(sub, lang, ctx)


class LazyGroup(click.Group):
    """A group whose subcommands are imported when asked for (click's documented pattern)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        lang = lang_in(args)
        ctx.meta["civtui.lang"] = lang if lang in LANGS else load_settings().lang
        clicklang.use(ctx.meta["civtui.lang"])
        localise(self, ctx.meta["civtui.lang"], ctx)
        return super().parse_args(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = SUBCOMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
        localise(command, ctx.meta.get("civtui.lang", "zh"), ctx)
        return command


@click.group(
    cls=LazyGroup,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "--version", "-V", prog_name="civtui")
@click.option("--profile", "profile_name", help="使用的档案名（默认：上次使用的档案）。")
@click.option("--lang", type=click.Choice(["zh", "en"]), help="界面语言。")
@click.option("--today", envvar="CIVTUI_TODAY", hidden=True, help="Pin the date (tests, demos).")
@click.pass_context
def main(ctx: click.Context, profile_name: str | None, lang: str | None, today: str | None) -> None:
    """civtui：村(社区)民政探访、儿童随访与老人需求记录。不带子命令时打开界面。"""
    # `--lang` is for this command only (reading English help must not turn the app
    # English); the saved language changes only where the user switches it in the app.
    chosen = lang or load_settings().lang
    clicklang.use(chosen)
    ctx.obj = Context(profile_name, chosen, clock_from(today, chosen))
    sys.excepthook = _crash_report
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj)
    else:
        from civtui.services import keys

        # Where no keyring works, a profile's key comes from a passphrase typed here.
        keys.set_prompt(passphrase_prompt(ctx.obj.lang))


def _crash_report(
    kind: type[BaseException], error: BaseException, trace: TracebackType | None
) -> None:
    """An error no command caught: its traceback goes to the crash log, not the terminal.

    Python's own report prints the exception's message, and a message can quote a value
    (pydantic's `input_value=` holds a whole ID number); the terminal gets what happened
    and where the log is (`civtui.services.crash`)."""
    from civtui.cli.common import current_lang, shown
    from civtui.i18n import Translator
    from civtui.services import crash

    if isinstance(error, KeyboardInterrupt):
        sys.__excepthook__(kind, error, trace)
        return
    try:
        where: object = crash.record(error.with_traceback(trace))
    except OSError as exc:
        where = f"({type(exc).__name__})"
    try:
        lang = current_lang()
    except Exception:  # the settings file may be what failed
        lang = "zh"
    said = Translator(lang)("cli.crash", error=kind.__name__, path=where)
    from rich.console import Console

    Console(stderr=True, soft_wrap=True).print(shown(said, lines=True, style="red"))


def _in_keyring(key_file: Path) -> bool:
    """Whether key.json says the key is in the keyring; anything else (a passphrase, a file
    that cannot be read) is left to `keys.unlock`, in the terminal, as it says what is wrong."""
    try:
        info = json.loads(key_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(info, dict) and info.get("source") == "keyring"


def run_app(context: Context) -> None:
    """Open the TUI; without a profile it starts on the setup screen."""
    from civtui.app import keep_out_of_collections, make_app  # Textual loads only here.

    profile = context.profile
    key_file = profile.db_path.with_name(KEY_FILE)
    if profile.exists() and key_file.exists() and not _in_keyring(key_file):
        # A passphrase-keyed profile's passphrase is asked here, in the terminal, before
        # the screen is taken over; a mistyped one is said as such and asked again, a few
        # times. A key kept in the keyring is found by the app after its first frame, and a
        # plain profile (made before encryption) has none to find.
        from civtui.domain.errors import text
        from civtui.services import keys

        keys.set_prompt(passphrase_prompt(context.lang))
        for tries_left in reversed(range(PASSPHRASE_TRIES)):
            try:
                keys.unlock(profile.db_path)
                break
            except keys.WrongPassphraseError as exc:
                if not tries_left:
                    fail(text(exc, context.lang))
                click.echo(text(exc, context.lang), err=True)
            except keys.KeyUnavailableError as exc:
                fail(text(exc, context.lang))
        # From here Textual owns the terminal: nothing may prompt on it (the setup screen
        # says to run civtui init where a passphrase would be needed).
        keys.set_prompt(None)
    app = make_app(context.profile, lang=context.lang, clock=context.clock)
    keep_out_of_collections()
    app.run()


# After the decorators above: they keep click's English help, which `localise` says in
# the command's language; from here on click's messages follow it too.
clicklang.install()
