"""The `civtui` command: opens the app; its subcommands load only when they are run.

Opening the app is what people do most, many times a day on old laptops: it should not
pay for importing Excel, HTTP and server libraries it does not use (that was ~0.3 s).
"""

from __future__ import annotations

import importlib

import click

from civtui import __version__
from civtui.cli.common import Context, clock_from, fail, passphrase_prompt
from civtui.domain.errors import text
from civtui.services import keys
from civtui.services.profile import load_settings

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
    "server": "sync.server.cli:server_group",
    "key": "civtui.cli.security:key_group",
    "encrypt": "civtui.cli.security:encrypt_command",
    "backup": "civtui.cli.security:backup_command",
    "restore": "civtui.cli.security:restore_command",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported when asked for (click's documented pattern)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted([*super().list_commands(ctx), *SUBCOMMANDS])

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        module, attribute = SUBCOMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command)
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
    ctx.obj = Context(profile_name, lang or load_settings().lang, clock_from(today))
    # Where no keyring works, a profile's key comes from a passphrase typed here.
    keys.set_prompt(passphrase_prompt(ctx.obj.lang))
    if ctx.invoked_subcommand is None:
        run_app(ctx.obj)


def run_app(context: Context) -> None:
    """Open the TUI; without a profile it starts on the setup screen."""
    from civtui.app import make_app  # Textual loads only when the app is opened.

    profile = context.profile
    if profile.exists():
        try:
            # Asked here, in the terminal, before the screen is taken over.
            keys.unlock(profile.db_path)
        except keys.KeyUnavailableError as exc:
            fail(text(exc, context.lang))
    # From here Textual owns the terminal: nothing may prompt on it (the setup screen says
    # to run civtui init where a passphrase would be needed).
    keys.set_prompt(None)
    make_app(context.profile, lang=context.lang, clock=context.clock).run()
