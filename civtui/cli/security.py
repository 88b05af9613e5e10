"""`civtui key`, `civtui encrypt`, `civtui backup`, `civtui restore`: keeping a profile safe."""

from __future__ import annotations

import time
from pathlib import Path

import click

from civtui.cli.common import Context, echo, fail, profile_store, read_secret
from civtui.domain.errors import text
from civtui.i18n import Translator, said
from civtui.services import backups, keys, ownership
from civtui.services.encryption import EncryptError, encrypt_profile
from civtui.services.profile import load_settings, save_settings


def _no_profile(obj: Context) -> None:
    profile = obj.profile
    if not profile.exists():
        fail(f"档案“{profile.name}”不存在；请先运行 civtui init 或 civtui demo")


@click.group("key")
def key_group() -> None:
    """档案密钥：导出到U盘保管、在新电脑上导入、设置解锁PIN。"""


@key_group.command("export")
@click.argument("output", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--plain", is_flag=True, help="不加口令保护，明文写出密钥（不推荐）。")
@click.pass_obj
def key_export(obj: Context, output: Path, plain: bool) -> None:
    """把档案密钥写入文件（默认用口令保护；存到U盘，和电脑、备份分开保管）。"""
    _no_profile(obj)
    t = Translator(obj.lang)
    # The key opens everything the profile holds: on a profile with an unlock PIN, whoever
    # finds the laptop locked must not walk off with it, so the PIN is asked first.
    with profile_store(obj, personal=True):
        passphrase = None
        if not plain:
            passphrase = _new_secret(t("key.export_passphrase"), t)
        try:
            keys.export_key(obj.profile.db_path, output, passphrase)
        except keys.KeyUnavailableError as exc:
            fail(text(exc, obj.lang))
    click.echo(t("key.exported_plain" if plain else "key.exported_sealed", path=output))


def _new_secret(prompt: str, t: Translator) -> str:
    """A new secret asked twice (a terminal) or two lines of standard input (scripts)."""
    try:
        first = read_secret(prompt)
        again = read_secret(t("key.passphrase_again"))
    except click.Abort:
        fail(t("key.secret_not_given", prompt=prompt), 2)
    if first != again:
        fail(t("key.passphrase_mismatch"), 2)
    return first


@key_group.command("import")
@click.argument("source", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="档案已有密钥时换用这个密钥（旧 key.json 改名保留）。")
@click.option(
    "--even-if-wrong",
    is_flag=True,
    help="与 --force 一起：密钥打不开现有数据文件时也导入（档案将打不开）。",
)
@click.pass_obj
def key_import(obj: Context, source: Path, force: bool, even_if_wrong: bool) -> None:
    """导入 civtui key export 写出的密钥文件，保存到本机系统密码库。"""
    profile = obj.profile
    t = Translator(obj.lang)
    try:
        kept = keys.import_key(
            profile.db_path,
            source,
            force=force,
            even_if_wrong=even_if_wrong,
            ask=lambda: read_secret(t("key.import_passphrase")),
        )
    except (keys.KeyUnavailableError, ownership.ProfileBusyError) as exc:
        fail(text(exc, obj.lang))
    except click.Abort:
        fail(said("key.file_needs_passphrase", path=source).in_(obj.lang))
    if kept is not None:
        click.echo(t("key.import_kept", path=kept))
    click.echo(t("key.imported", profile=profile.name))


@key_group.command("pin")
@click.option("--pin-stdin", is_flag=True, help="从标准输入读PIN（脚本用）。")
@click.pass_obj
def key_pin(obj: Context, pin_stdin: bool) -> None:
    """设置解锁PIN：界面闲置锁定后用它解锁；已有PIN时先问当前的PIN。"""
    t = Translator(obj.lang)
    with profile_store(obj) as store:
        current = None
        try:
            if keys.lock_kind(store) == "pin":
                current = read_secret(t("key.pin_current"))
            # --pin-stdin: one line for the new PIN (after the current one, if asked).
            prompt = t("key.pin_prompt")
            pin = read_secret(prompt).strip() if pin_stdin else _new_secret(prompt, t)
        except click.Abort:
            fail(said("key.pin_needed", profile=obj.profile.name).in_(obj.lang), 2)
        try:
            keys.change_pin(store, current, pin, time.time())
        except keys.KeyUnavailableError as exc:
            fail(text(exc, obj.lang), 2)
    click.echo(t("key.pin_set"))


@click.command("encrypt")
@click.pass_obj
def encrypt_command(obj: Context) -> None:
    """加密旧的（未加密的）档案：先复制、核对，再替换，最后删除未加密的文件。"""
    _no_profile(obj)
    profile = obj.profile
    t = Translator(obj.lang)
    try:
        done = encrypt_profile(profile)
    except (keys.KeyUnavailableError, EncryptError, ownership.ProfileBusyError) as exc:
        fail(text(exc, obj.lang))
    if not done:
        click.echo(t("encrypt.already", profile=profile.name))
        return
    click.echo(t("encrypt.done", profile=profile.name))
    info = keys.read_info(profile.db_path)
    where = "key.where_passphrase" if info and info.source == "passphrase" else "key.where_keyring"
    click.echo(t("key.loss_warning", where=t(where)))


@click.command("backup")
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--auto", is_flag=True, help="以后 app 打开时自动备份到这个文件夹。")
@click.option("--every", type=click.IntRange(1, 24 * 30), help="自动备份间隔（小时，默认24）。")
@click.option("--keep", type=click.IntRange(1, 1000), help="自动备份保留几份（默认7）。")
@click.pass_obj
def backup_command(
    obj: Context, folder: Path | None, auto: bool, every: int | None, keep: int | None
) -> None:
    """备份档案到文件夹（如U盘），app 开着也能安全备份；备份同样加密。"""
    t = Translator(obj.lang)
    if auto and folder is not None:
        settings = load_settings()
        changes: dict[str, object] = {"backup_dir": str(folder.expanduser().resolve())}
        if every:
            changes["backup_every_hours"] = every
        if keep:
            changes["backups_kept"] = keep
        save_settings(settings.model_copy(update=changes))
        click.echo(t("backup.auto_set", path=changes["backup_dir"]))
    if folder is None:
        chosen = load_settings().backup_dir
        if not chosen:
            fail(t("backup.no_folder"), 2)
        folder = Path(chosen).expanduser()
    with profile_store(obj) as store:
        try:
            path = backups.take(store, folder, obj.profile.name, obj.clock)
        except OSError as exc:
            fail(str(exc))
    click.echo(t("backup.done", path=path))


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="不再确认。")
@click.pass_obj
def restore_command(obj: Context, file: Path, yes: bool) -> None:
    """用备份文件替换当前档案（先确认；当前档案改名保留）。"""
    profile = obj.profile
    t = Translator(obj.lang)
    owner = ownership.holder(profile.db_path)
    if owner is not None:
        fail(text(ownership.busy_message(profile.db_path, owner), obj.lang))
    try:
        checked = backups.check(profile, file)
    except (backups.BackupError, keys.KeyUnavailableError) as exc:
        fail(text(exc, obj.lang))
    when = f"{checked.taken:%Y-%m-%d %H:%M}" if checked.taken else "?"
    question = t("restore.confirm", path=file, when=when, profile=profile.name)
    if not yes and not click.confirm(question, default=False):
        click.echo(t("restore.cancelled"))
        return
    try:
        moved = backups.restore(profile, file, obj.clock)
    except (backups.BackupError, keys.KeyUnavailableError, ownership.ProfileBusyError) as exc:
        fail(text(exc, obj.lang))
    # On a new machine there was no profile to put aside: say so, not where "-" is kept.
    echo(t("restore.done", moved=moved) if moved else t("restore.done_new"))
