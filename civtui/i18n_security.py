"""Display text for encryption, keys, backups and the app lock (merged into i18n.STRINGS)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from civtui.i18n import Said

STRINGS: dict[str, tuple[str, str]] = {
    # the key
    "key.no_keyring_no_passphrase": (
        "本机没有可用的系统密码库（keyring），需要一个口令来加密档案。"
        "请在终端里运行 civtui，按提示设置口令（或设置环境变量 CIVTUI_PASSPHRASE）",
        "This computer has no usable keyring, so the profile needs a passphrase to be "
        "encrypted. Run civtui in a terminal and choose one when asked "
        "(or set CIVTUI_PASSPHRASE)",
    ),
    "key.keyring_unavailable": (
        "系统密码库（keyring）现在无法使用，读不到档案“{profile}”的密钥。"
        "请解锁系统密码库后重试，或用 civtui key import 导入密钥文件",
        "The keyring cannot be used right now, so profile {profile}'s key cannot be read. "
        "Unlock the keyring and try again, or import the key file with civtui key import",
    ),
    "key.missing": (
        "本机密码库里没有档案“{profile}”的密钥，档案无法打开。"
        "请用 civtui key import 导入当初导出的密钥文件",
        "This computer's keyring does not hold profile {profile}'s key, so it cannot be "
        "opened. Import the key file you exported with civtui key import",
    ),
    "key.wrong_key": (
        "密钥与档案“{profile}”不符，无法解密（{path}）。请用 civtui key import 导入这个档案的密钥文件",
        "The key does not fit profile {profile} ({path}). "
        "Import this profile's key file with civtui key import",
    ),
    "key.wrong_passphrase": (
        "口令不对，档案没有打开；请重试",
        "Wrong passphrase; please try again",
    ),
    "key.passphrase_prompt": ("档案“{profile}”的口令", "Passphrase for profile {profile}"),
    "key.passphrase_new": (
        "本机没有系统密码库：请为档案“{profile}”设置一个口令（至少8个字符）",
        "No keyring here: choose a passphrase for profile {profile} (at least 8 characters)",
    ),
    "key.passphrase_again": ("再输入一次", "Repeat it"),
    "key.passphrase_mismatch": ("两次输入的不一样", "The two entries differ"),
    "key.passphrase_short": ("口令至少要8个字符", "A passphrase needs at least 8 characters"),
    "key.loss_warning": (
        "档案已加密，密钥保存在{where}。丢失密钥就等于丢失档案：请立即运行 "
        "civtui key export 把密钥存到U盘，和电脑分开保管",
        "The profile is encrypted; its key is kept in {where}. Losing the key loses the "
        "profile: run civtui key export now and keep the key on a USB stick, apart from "
        "the laptop",
    ),
    "key.where_keyring": ("系统密码库", "the system keyring"),
    "key.where_passphrase": (
        "你的口令里（忘记口令无法找回）",
        "your passphrase (it cannot be recovered)",
    ),
    "key.exported": (
        "密钥已写入 {path}。有了这个文件就能打开档案和备份：请把它和电脑分开保管，不要发给别人",
        "The key is in {path}. Whoever has this file can open the profile and its backups: "
        "keep it apart from the laptop and share it with no one",
    ),
    "key.imported": ("已导入档案“{profile}”的密钥", "Imported profile {profile}'s key"),
    "key.bad_file": ("{path} 不是 civtui 密钥文件", "{path} is not a civtui key file"),
    "key.not_encrypted": (
        "档案“{profile}”还没有加密；请先运行 civtui encrypt",
        "Profile {profile} is not encrypted yet; run civtui encrypt first",
    ),
    "key.import_mismatch": (
        "这个密钥打不开档案“{profile}”现有的数据文件；如确要换用，请加 --force",
        "This key does not open profile {profile}'s data file; add --force to use it anyway",
    ),
    "key.pin_set": ("已设置解锁PIN", "Unlock PIN set"),
    "key.pin_prompt": ("解锁PIN（至少4位）", "Unlock PIN (at least 4 characters)"),
    "key.pin_short": ("PIN至少要4位", "A PIN needs at least 4 characters"),
    "key.pin_hint": (
        "提示：运行 civtui key pin 设置解锁PIN，离开电脑时界面会自动锁定",
        "Tip: run civtui key pin to set an unlock PIN; the app then locks when left idle",
    ),
    # civtui encrypt
    "encrypt.done": (
        "档案“{profile}”已加密；未加密的旧文件已删除",
        "Profile {profile} is encrypted; the plain file is removed",
    ),
    "encrypt.already": ("档案“{profile}”已经是加密的", "Profile {profile} is already encrypted"),
    "encrypt.verify_failed": (
        "加密后的副本与原档案不一致，原档案保持不变：{detail}",
        "The encrypted copy does not match the profile, which is left as it was: {detail}",
    ),
    # backups
    "backup.done": ("已备份到 {path}（已加密）", "Backed up to {path} (encrypted)"),
    "backup.no_folder": (
        "没有指定备份文件夹；请写上文件夹，如 civtui backup E:\\civtui-备份",
        "No backup folder given; name one, e.g. civtui backup /media/usb/civtui-backups",
    ),
    "backup.auto_set": (
        "已设置：app 打开时自动备份到 {path}",
        "Set: the open app backs up to {path} automatically",
    ),
    "backup.auto_done": ("已自动备份到 {path}", "Backed up automatically to {path}"),
    "backup.auto_failed": ("自动备份失败：{error}", "Automatic backup failed: {error}"),
    "backup.status_old": ("上次备份：{when}", "Last backup: {when}"),
    "backup.status_never": ("从未备份", "never backed up"),
    "restore.confirm": (
        "用备份 {path}（{when}）替换档案“{profile}”？备份之后的修改会丢失，除非已经同步；"
        "当前档案会改名保留",
        "Replace profile {profile} with backup {path} ({when})? Changes made after the "
        "backup are lost unless they were synced; the current file is kept under a new name",
    ),
    "restore.done": (
        "已从备份恢复。原档案保留在 {moved}。下次同步会以新设备身份重新下载服务器上的全部记录",
        "Restored from the backup. The previous file is kept at {moved}. The next sync "
        "downloads everything on the server again, under a new device id",
    ),
    "restore.bad": (
        "{path} 不是可用的备份：{detail}",
        "{path} is not a usable backup: {detail}",
    ),
    "restore.cancelled": ("没有恢复", "Nothing restored"),
    # exports
    "export.leaves_store": (
        "注意：导出的文件不加密，离开了加密档案；请妥善保管，用完删除",
        "Note: the exported file is not encrypted; it leaves the encrypted profile. "
        "Keep it safe and delete it when done",
    ),
    # the app lock
    "lock.title": ("已锁定", "Locked"),
    "lock.prompt_pin": ("请输入解锁PIN", "Enter your unlock PIN"),
    "lock.prompt_passphrase": ("请输入档案口令", "Enter the profile passphrase"),
    "lock.unlock": ("解锁", "Unlock"),
    "lock.wrong": (
        "不对，请重试（已输错 {n} 次，请等 {seconds} 秒）",
        "Wrong; try again ({n} wrong so far, wait {seconds} s)",
    ),
    "lock.wait": ("请等 {seconds} 秒再试", "Wait {seconds} s before trying again"),
    "lock.kept": (
        "离开时填写的内容都还在，解锁后继续",
        "Everything you were typing is kept; carry on after unlocking",
    ),
    "cmd.lock": ("立即锁定界面", "Lock the app now"),
    "nav.lock": ("锁定", "Lock"),
}


def said(key: str, **values: object) -> Said:
    """The message `key` in both languages, for an error raised below the CLI and screens."""
    # Imported here: civtui.i18n imports this module at its end.
    from civtui.i18n import Said

    zh, en = STRINGS[key]
    return Said(zh.format(**values), en.format(**values))


#: English help of the commands in civtui/cli/security.py (and export's --full-ids), by
#: their Chinese text, as `civtui --lang en … --help` shows them (see CLI_HELP_EN).
SECURITY_HELP_EN: dict[str, str] = {
    "密钥打不开现有数据文件时也导入。": "Import even when the key does not open the existing file.",
    "从标准输入读PIN（脚本用）。": "Read the PIN from standard input (for scripts).",
    "以后 app 打开时自动备份到这个文件夹。": "From now on, back up to this folder automatically.",
    "自动备份间隔（小时，默认24）。": "Hours between automatic backups (default 24).",
    "自动备份保留几份（默认7）。": "How many automatic backups to keep (default 7).",
    "不再确认。": "Do not ask for confirmation.",
    "档案密钥：导出到U盘保管、在新电脑上导入、设置解锁PIN。": (
        "The profile's key: export it to a USB stick, import it on a new laptop, set the PIN."
    ),
    "把档案密钥写入文件（存到U盘，和电脑分开保管）。": (
        "Write the profile's key to a file (keep it on a USB stick, away from the laptop)."
    ),
    "导入 civtui key export 写出的密钥文件，保存到本机系统密码库。": (
        "Import a key file written by civtui key export into this laptop's keyring."
    ),
    "设置解锁PIN：界面闲置锁定后用它解锁。": "Set the PIN that unlocks the app after it locks.",
    "加密旧的（未加密的）档案：先复制、核对，再替换，最后删除未加密的文件。": (
        "Encrypt an old (plain) profile: copy, verify, swap, then remove the plain file."
    ),
    "备份档案到文件夹（如U盘），app 开着也能安全备份；备份同样加密。": (
        "Back up the profile to a folder (a USB stick); safe while the app is open; "
        "the backup is encrypted too."
    ),
    "用备份文件替换当前档案（先确认；当前档案改名保留）。": (
        "Replace the profile with a backup (asks first; the current file is kept)."
    ),
    "写出完整身份证号（默认只显示前6位和后4位）；文件不加密，请妥善保管。": (
        "Write whole ID numbers (by default only the first 6 and last 4 digits); "
        "the file is not encrypted, keep it safe."
    ),
}
