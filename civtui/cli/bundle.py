"""`civtui bundle ...` (the laptop) and `civtui server bundle ...` (the township): sync on a
USB stick where there is no link at all. The design: sync/README.md, "Bundles"."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from civtui.cli.common import Context, echo, profile_store, shown
from civtui.i18n import Translator
from civtui.services import bundles
from sync import words
from sync.client import SyncError, summary
from sync.protocol import Code, Reason
from sync.sealed import BundleError
from sync.server.cli import _engine, database, server_group


def _fail(t: Translator, reason: Reason | str, code: int = 1) -> NoReturn:
    message = words.say(reason, t) if isinstance(reason, Reason) else reason
    said = Text.assemble((t("sync.cli.error"), "bold red"), shown(message, lines=True))
    Console(stderr=True, soft_wrap=True).print(said, highlight=False)
    raise SystemExit(code)


class _Bar:
    """A progress line on stderr for a large bundle (a village's month is thousands of
    changes), one task per stage."""

    def __init__(self, t: Translator) -> None:
        self.t = t
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        self.progress = Progress(*columns, console=Console(stderr=True), transient=True)
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            # Its own stages, and a reply's push and pull said as `civtui sync` says them.
            own = stage in ("export", "import", "reply")
            label = self.t(f"bundle.cli.{stage}" if own else f"sync.cli.{stage}")
            self.tasks[stage] = self.progress.add_task(label, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=max(total, done))


def _read(t: Translator, path: Path) -> bytes:
    if not path.is_file():
        _fail(t, t("bundle.cli.not_found", path=path), 2)
    try:
        return bundles.read_file(path)
    except BundleError as exc:
        _fail(t, exc.reason)


def _not_logged_in(t: Translator, error: bundles.NotLoggedInError) -> str:
    """What to do without a token: `login --offline` needs no link, so an island can."""
    return t("bundle.not_logged_in", url=error.url or t("bundle.server_placeholder"))


@click.group("bundle")
def bundle_group() -> None:
    """无网络时用U盘同步：导出数据包、导入回执、信任服务器公钥。"""


@bundle_group.command("export")
@click.argument("file", type=click.Path(path_type=Path))
@click.pass_obj
def export_command(obj: Context, file: Path) -> None:
    """把待上传的修改导出为加密数据包（FILE 为目录时按村代码和日期命名）。"""
    t = Translator(obj.lang)
    with profile_store(obj) as store:
        bar = _Bar(t)
        try:
            with bar.progress:
                path, made = bundles.export_to(obj.profile.name, store, file, bar)
        except bundles.NotLoggedInError as exc:
            _fail(t, _not_logged_in(t, exc))
        except (BundleError, SyncError) as exc:
            _fail(t, exc.reason)
    echo(t("bundle.cli.exported", path=path, changes=made.changes, size=len(made.data)))


@bundle_group.command("import")
@click.argument("reply", type=click.Path(path_type=Path))
@click.pass_obj
def import_command(obj: Context, reply: Path) -> None:
    """导入乡镇服务器生成的回执：确认已上传的修改，并下载其他人的修改。"""
    t = Translator(obj.lang)
    data = _read(t, reply)
    with profile_store(obj) as store:
        bar = _Bar(t)
        try:
            with bar.progress:
                report = bundles.import_reply(obj.profile.name, store, data, bar)
        except bundles.NotLoggedInError as exc:
            _fail(t, _not_logged_in(t, exc))
        except (BundleError, SyncError) as exc:
            _fail(t, exc.reason)
    told = summary(report)
    console = Console(highlight=False, soft_wrap=True)
    console.print(shown(t("bundle.cli.imported", summary=words.say(told[0], t)), lines=True))
    for note in [*report.rejected_reasons, *told[1:]]:
        console.print(shown(words.say(note, t), lines=True, style="yellow"))


@bundle_group.command("trust")
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--force", is_flag=True, help="替换本机已信任的另一把服务器公钥。")
@click.pass_obj
def trust_command(obj: Context, file: Path, force: bool) -> None:
    """信任服务器公钥文件（由 civtui server bundle key 生成），供无法联网登录的电脑使用。"""
    t = Translator(obj.lang)
    if not file.is_file():
        _fail(t, t("bundle.cli.not_found", path=file), 2)
    text = file.read_text(encoding="utf-8", errors="replace")[:1000]
    with profile_store(obj) as store:
        try:
            key, new = bundles.trust(store, text, replace=force)
        except BundleError as exc:
            _fail(t, exc.reason)
    said = "bundle.cli.trusted" if new else "bundle.cli.trusted_already"
    echo(t(said, fingerprint=key.fingerprint()))


def _t() -> Translator:
    root = click.get_current_context().find_root().obj
    return Translator(getattr(root, "lang", "zh"))


@server_group.group("bundle")
def server_bundle_group() -> None:
    """U盘数据包：服务器密钥、导入村里带来的数据包。"""


@server_bundle_group.command("keygen")
@database
@click.option("--force", is_flag=True, help="替换现有密钥（尚未导入的数据包将全部作废）。")
def keygen_command(url: str | None, force: bool) -> None:
    """生成服务器的U盘同步密钥（civtui server init 已自动生成）。"""
    from sync.server import bundle as on_server

    t = _t()
    engine = _engine(url)
    existing = on_server.keys(engine)
    if existing is not None and not force:
        raise click.ClickException(
            t("bundle.cli.keygen_exists", fingerprint=existing.public.fingerprint())
        )
    key, _ = on_server.make_keys(engine, replace=True)
    echo(t("bundle.cli.keygen", fingerprint=key.fingerprint()))


@server_bundle_group.command("key")
@database
@click.option(
    "-o", "output", type=click.Path(path_type=Path), default=Path("civtui-server.key"),
    help="公钥写入的文件。",
)  # fmt: skip
def key_command(url: str | None, output: Path) -> None:
    """写出服务器公钥文件，供电脑用 civtui bundle trust 导入。"""
    from sync.server import bundle as on_server

    t = _t()
    found = on_server.keys(_engine(url))
    if found is None:
        raise click.ClickException(words.say(Reason.of(Code.BUNDLE_NO_KEY_PAIR), t))
    output.write_text(found.public.text() + "\n", encoding="utf-8")
    echo(t("bundle.cli.key", fingerprint=found.public.fingerprint(), path=output))


@server_bundle_group.command("import")
@database
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "output", type=click.Path(path_type=Path), help="回执文件（默认在数据包旁）。")
def server_import_command(url: str | None, file: Path, output: Path | None) -> None:
    """导入村里电脑导出的数据包（与联网同步相同的合并），并生成给该电脑的回执。"""
    from sync.server import bundle as on_server

    t = _t()
    data = _read(t, file)
    engine = _engine(url)
    bar = _Bar(t)
    try:
        with bar.progress:
            done = on_server.import_bundle(engine, data, bar)
    except BundleError as exc:
        raise click.ClickException(words.say(exc.reason, t)) from None
    target = output or file.with_name(file.stem + "-reply" + bundles.SUFFIX)
    if target.is_dir():
        target = target / (file.stem + "-reply" + bundles.SUFFIX)
    bundles.write_file(target, done.reply)
    for reason in done.refused:
        echo(words.say(reason, t), err=True)
    echo(
        t(
            "bundle.cli.server_imported",
            staff=done.who.staff,
            accepted=done.accepted,
            conflicts=done.conflicts,
            rejected=done.rejected,
            pulled=done.pulled,
            path=target,
        )
    )
