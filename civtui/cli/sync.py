"""`civtui login` and `civtui sync`: connect this laptop to the township server.

Everything they say goes through the translator (`--lang`, or the saved language); what
sync itself reports arrives as codes (`sync.protocol.Code`) and is rendered by `sync.words`.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from typing import Any, NoReturn

import click
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from civtui.cli.common import Context, profile_store, shown
from civtui.domain.errors import text
from civtui.i18n import Translator
from civtui.services import credentials, syncing
from db import Store, outbox, queries
from sync import bundle, words
from sync.client import (
    Connection,
    DeviceTakenError,
    Refused,
    SyncError,
    SyncReport,
    TokenRefusedError,
    check_url,
    summary,
)
from sync.protocol import Reason
from sync.sealed import BundleError, token_parts

#: `login --offline`'s help (its English in `civtui.i18n.bundle_fixes.HELP_EN`).
OFFLINE_HELP = (
    "不联网：只把令牌和服务器地址保存在本机，供连不上服务器、用U盘同步的电脑；"
    "第一次联网同步时才核对令牌。"
)


def _fail(t: Translator, message: str, code: int = 1) -> NoReturn:
    said = Text.assemble((t("sync.cli.error"), "bold red"), shown(message, lines=True))
    Console(stderr=True, soft_wrap=True).print(said, highlight=False)
    sys.exit(code)


@click.command()
@click.option(
    "--server", "url", required=True, help="乡镇同步服务器地址，如 https://mz.example.gov.cn"
)
@click.option("--token-stdin", is_flag=True, help="从标准输入读取令牌（供脚本使用）。")
@click.option("--offline", is_flag=True, help=OFFLINE_HELP)
@click.pass_obj
def login(obj: Context, url: str, token_stdin: bool, offline: bool) -> None:
    """登录同步服务器：核对令牌，保存在系统密码库中（本机没有密码库时保存在加密的档案里）。"""
    t = Translator(obj.lang)
    prompt = t("sync.cli.token_prompt")
    token = sys.stdin.readline().strip() if token_stdin else click.prompt(prompt, hide_input=True)
    if not token:
        _fail(t, t("sync.cli.no_token"), 2)
    if offline:
        _keep_offline(obj, t, url, token)
        return
    with profile_store(obj) as store:
        try:
            conn = Connection(url, token)
        except SyncError as exc:
            _fail(t, words.say(exc.reason, t), 2)
        try:
            me = conn.me()
            # The key USB-stick bundles are sealed to, taken over this authenticated link.
            sealed_to = bundle.fetch_server_key(conn)
        except SyncError as exc:
            _fail(t, words.say(exc.reason, t))
        finally:
            conn.close()
        local = set(queries.village_names(store))
        with store.transaction():
            store.set_meta(outbox.SERVER_URL, conn.url)
        if sealed_to is not None:
            # The server that answered this token is the one to trust, even over a key
            # trusted before from a file.
            bundle.trust(store, sealed_to, replace=True)
        try:
            credentials.save(obj.profile.name, conn.url, token, store)
        except credentials.CredentialError as exc:
            _fail(t, text(exc, obj.lang))
    console = Console(highlight=False, soft_wrap=True)
    listed = t("list.sep").join
    logged_in = t("sync.cli.logged_in", url=conn.url, staff=me.staff, villages=listed(me.villages))
    console.print(shown(logged_in, lines=True))
    missing = local - set(me.villages)
    if missing:
        outside = t("sync.cli.outside", villages=listed(sorted(missing)))
        console.print(shown(outside, lines=True, style="yellow"))


def _keep_offline(obj: Context, t: Translator, url: str, token: str) -> None:
    """`login --offline`: the token kept exactly where an online login keeps it, and the
    server's address beside it, without asking the server. For a laptop that never reaches
    it (it syncs by USB stick, `civtui bundle`): the token signs its bundles, the township
    checks that signature, and the first online sync, if one ever comes, checks the token
    itself. Only its form is checked here, so a mistyped one is told now, not at the
    township; the server's key comes by `civtui bundle trust`, as no link brings it."""
    try:
        server = check_url(url)
        token_parts(token)
    except (SyncError, BundleError) as exc:
        _fail(t, words.say(exc.reason, t), 2)
    with profile_store(obj) as store:
        with store.transaction():
            store.set_meta(outbox.SERVER_URL, server)
        try:
            credentials.save(obj.profile.name, server, token, store)
        except credentials.CredentialError as exc:
            _fail(t, text(exc, obj.lang))
        keyed = bool(store.get_meta(bundle.SERVER_KEY))
    console = Console(highlight=False, soft_wrap=True)
    console.print(shown(t("bundle.login_offline", url=server), lines=True))
    if not keyed:
        console.print(shown(t("bundle.login_offline_no_key"), lines=True, style="yellow"))


def _exit_code(error: SyncError) -> int:
    # 3: the token or the laptop's place is refused, a person must act; 1: try again later.
    return 3 if isinstance(error, TokenRefusedError | DeviceTakenError) else 1


def report_json(report: SyncReport, pending: int, t: Translator) -> str:
    """`civtui sync --json`: the report's figures, its reasons as codes and parameters (the
    conflicts found, rejections, warnings), and the summary in words."""
    data: dict[str, Any] = {"ok": True, **dataclasses.asdict(report), "pending": pending}
    # The client's own bookkeeping of which conflicts were between this profile's ids.
    for name in ("conflicted", "own_conflicts", "refused"):
        data.pop(name, None)
    data["summary"] = words.say_all(summary(report), t)
    return json.dumps(data, ensure_ascii=False, indent=2, default=_plain)


def _plain(value: object) -> Any:
    # asdict leaves the reasons as pydantic models: they are said as their JSON.
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    raise TypeError(f"{type(value).__name__} is not JSON")


@click.command("sync")
@click.option(
    "--server", "url", help="服务器地址（默认用 civtui login 时的地址，或 CIVTUI_SERVER）。"
)
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出结果。")
@click.option(
    "--all-refused",
    "all_refused",
    is_flag=True,
    help="逐条列出本机所有被服务器拒绝、尚未更正的修改（默认按原因汇总本次被拒的）。",
)
@click.pass_obj
def sync_command(obj: Context, url: str | None, as_json: bool, all_refused: bool) -> None:
    """先上传本机修改，再下载其他人的修改。可随时中断、重复运行。"""
    t = Translator(obj.lang)
    with profile_store(obj) as store:
        server, token = credentials.target(obj.profile.name, store, url)
        if not server:
            _fail(t, t("sync.cli.no_server"), 2)
        try:
            server = check_url(server)
        except SyncError as exc:
            _fail(t, words.say(exc.reason, t), 2)
        if not token:
            _fail(t, t("sync.cli.not_logged_in", url=server))
        conn = Connection(server, token)
        stderr = Console(stderr=True)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        try:
            with Progress(*columns, console=stderr, transient=True, disable=as_json) as bar:
                tasks: dict[str, TaskID] = {}

                def tell(stage: str, done: int, total: int) -> None:
                    if stage not in tasks:
                        tasks[stage] = bar.add_task(t(f"sync.cli.{stage}"), total=total)
                    bar.update(tasks[stage], completed=done, total=max(total, done))

                # Pull, then close the months that have ended (月报), then push them.
                report = syncing.sync_and_close(store, conn, obj.clock.today(), tell)
        except SyncError as exc:
            said = words.say(exc.reason, t)
            if as_json:
                failure = {"ok": False, "error": said, **exc.reason.model_dump(mode="json")}
                click.echo(json.dumps(failure, ensure_ascii=False))
            _fail(t, said, _exit_code(exc))
        finally:
            conn.close()
        pending = store.pending_count()
        refused = _refused_lines(store, report, t, every=all_refused)
    if as_json:
        click.echo(report_json(report, pending, t))
        return
    console = Console(highlight=False, soft_wrap=True)
    told = summary(report)
    console.print(shown(t("sync.cli.done", summary=words.say(told[0], t)), lines=True))
    for line in refused:
        console.print(line)
    # The conflicts this sync revealed, named, on both laptops (report.found); the push's
    # own verdicts are said only when the pull did not bring them (it stopped early).
    if not report.found:
        for reason in report.conflict_reasons:
            conflict = shown(words.say(reason, t), lines=True)
            console.print(Text.assemble("  ", (t("sync.cli.conflict"), "yellow"), conflict))
    for note in told[1:]:
        console.print(shown(words.say(note, t), lines=True, style="yellow"))


#: Up to this many refusals are listed one by one; past it they are summed up by reason
#: (the demo profile's first sync against a token of another village refused 863).
LISTED_REFUSALS = 10
#: Examples of each reason in the summed-up list.
EXAMPLES = 3


def _refused_lines(store: Store, report: SyncReport, t: Translator, *, every: bool) -> list[Text]:
    """The refused changes: with `every`, each one this profile holds refused (this sync's
    and earlier ones'); else this sync's, each one when few, or how many for each reason
    with a few examples, and where to read them all."""
    if every:
        listed = outbox.still_refused(store)
        return [
            _refused_line(store, Refused(tb, rid, Reason.stored(why)), t) for tb, rid, why in listed
        ]
    refused = report.refused
    lines: list[Text] = []
    if len(refused) <= LISTED_REFUSALS:
        lines = [_refused_line(store, r, t) for r in refused]
    else:
        groups: dict[tuple[str, bool], list[Refused]] = {}
        for r in refused:
            key = (r.reason.code, syncing.parent_refused(store, r.reason))
            groups.setdefault(key, []).append(r)
        head = t("sync.cli.refused_head", count=len(refused), shown=EXAMPLES)
        lines = [shown(head, style="red")]
        for members in sorted(groups.values(), key=lambda m: -len(m)):
            group = t("sync.cli.refused_group", count=len(members))
            lines.append(Text.assemble("  ", shown(group)))
            lines += [_refused_line(store, r, t, indent=4) for r in members[:EXAMPLES]]
    held = outbox.rejected_count(store)
    if held > len(refused) or len(refused) > LISTED_REFUSALS:
        lines.append(shown(t("sync.cli.refused_all", count=held), style="yellow"))
    return lines


def _refused_line(store: Store, refused: Refused, t: Translator, indent: int = 2) -> Text:
    """One refused change: its record, and why, in words as true as this laptop can say."""
    example = t(
        "sync.cli.refused_example",
        kind=words.table_name(refused.table, t),
        who=queries.change_label(store, refused.table, refused.record_id),
        reason=syncing.refusal_words(store, refused.reason, t),
    )
    label = (t("sync.cli.rejected"), "red")
    return Text.assemble(" " * indent, label, shown(example, lines=True))
