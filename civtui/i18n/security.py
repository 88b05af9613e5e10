"""Display text for encryption, keys, backups and the app lock."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # the key
    "key.no_keyring_no_passphrase": (
        "本机没有可用的系统密码库（keyring），需要一个口令来加密档案。"
        "请在“首次使用”页面的“档案口令”两栏设置口令，或在终端里运行 civtui init 按提示设置"
        "（也可设置环境变量 CIVTUI_PASSPHRASE）",
        "This computer has no usable keyring, so the profile needs a passphrase to be "
        "encrypted. Choose one in the setup screen's passphrase fields, or run civtui init "
        "in a terminal and choose one when asked (or set CIVTUI_PASSPHRASE)",
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
    "key.imported": ("已导入档案“{profile}”的密钥", "Imported profile {profile}'s key"),
    "key.bad_file": ("{path} 不是 civtui 密钥文件", "{path} is not a civtui key file"),
    "key.not_encrypted": (
        "档案“{profile}”还没有加密；请先运行 civtui encrypt",
        "Profile {profile} is not encrypted yet; run civtui encrypt first",
    ),
    "key.import_mismatch": (
        "这个密钥打不开档案“{profile}”现有的数据文件；请换用这个档案导出的密钥文件",
        "This key does not open profile {profile}'s data file; "
        "use the key file exported from this profile",
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
    "restore.done_new": (
        "已从备份恢复（本机原来没有这个档案，没有要保留的旧文件）。"
        "下次同步会以新设备身份重新下载服务器上的全部记录",
        "Restored from the backup (this computer had no such profile, so there was no "
        "previous file to keep). The next sync downloads everything on the server again, "
        "under a new device id",
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
    "lock.wrong": (
        "不对，请重试（已输错 {n} 次，请等 {seconds} 秒）",
        "Wrong; try again ({n} wrong so far, wait {seconds} s)",
    ),
    "lock.wait": ("请等 {seconds} 秒再试", "Wait {seconds} s before trying again"),
    "lock.kept": (
        "离开时填写的内容都还在，解锁后继续",
        "Everything you were typing is kept; carry on after unlocking",
    ),
    # one owner of a profile (services/ownership.py): the open app, or a step that replaces it
    "owner.busy_app": (
        "档案“{profile}”正在另一个 civtui 窗口里打开（进程 {pid}，{since} 起）。"
        "请先到那个窗口按 Ctrl+Q 退出，再重试；备份（civtui backup）和同步（civtui sync）可以照常进行",
        "Profile {profile} is open in another civtui window (process {pid}, since {since}). "
        "Quit it there with Ctrl+Q first, then try again; civtui backup and civtui sync "
        "can run beside it",
    ),
    "owner.busy_command": (
        "档案“{profile}”正被另一个 civtui 命令（{what}，进程 {pid}，{since} 起）使用。"
        "请等它结束后再重试",
        "Profile {profile} is in use by another civtui command ({what}, process {pid}, "
        "since {since}). Wait for it to finish, then try again",
    ),
    "owner.busy_unknown": (
        "档案“{profile}”正被另一个 civtui 进程使用。请先关闭其他 civtui 窗口（Ctrl+Q），再重试",
        "Profile {profile} is in use by another civtui process. Close the other civtui "
        "windows (Ctrl+Q) first, then try again",
    ),
    "owner.replaced": (
        "档案文件已被替换（可能是在别处恢复了备份），本窗口停止保存，以免写进旧文件。"
        "请按 Ctrl+Q 退出后重新打开 civtui，再把没保存的内容重新录入",
        "The profile's file was replaced under this window (a backup restored elsewhere?), "
        "so this window has stopped saving, lest it write to the old file. Quit with "
        "Ctrl+Q, open civtui again and enter anything unsaved once more",
    ),
    "restore.busy": (
        "{path} 正在被另一个进程写入（如同步），现在不能恢复；请等同步结束后重试",
        "{path} is being written by another process (a sync?), so it cannot be restored "
        "now; wait for the sync to finish and try again",
    ),
    # key files (civtui key export / import)
    "key.file_needs_passphrase": (
        "{path} 是用口令保护的密钥文件，需要输入导出时设置的口令",
        "{path} is a passphrase-protected key file; the passphrase set at export is needed",
    ),
    "key.file_wrong_passphrase": (
        "密钥文件 {path} 的口令不对（或文件已损坏）；请输入导出时设置的口令",
        "Wrong passphrase for key file {path} (or the file is damaged); "
        "enter the passphrase set when it was exported",
    ),
    "key.export_passphrase": (
        "为密钥文件设置一个口令（至少8个字符；导入时要用，请另外记住）",
        "Choose a passphrase for the key file (at least 8 characters; "
        "it is needed to import it, so remember it separately)",
    ),
    "key.import_passphrase": ("密钥文件的口令", "The key file's passphrase"),
    "key.exported_plain": (
        "密钥以明文写入 {path}：谁拿到这个文件都能打开档案和备份。请把它和备份分开存放，"
        "不要放在同一个U盘上",
        "The key is in {path} in plain: whoever has this file can open the profile and its "
        "backups. Keep it apart from the backups, never on the same USB stick",
    ),
    "key.exported_sealed": (
        "密钥已写入 {path}，用你刚设的口令保护。请把它和备份分开存放（不要放在同一个U盘上），"
        "口令另外记住",
        "The key is in {path}, protected by the passphrase you just chose. Keep it apart "
        "from the backups (not on the same USB stick) and remember the passphrase separately",
    ),
    "key.import_has_key": (
        "档案“{profile}”已经有密钥；如确要换用这个密钥文件，请加 --force（旧的 key.json 会改名保留）",
        "Profile {profile} has a key already; add --force to use this key file instead "
        "(the old key.json is kept under another name)",
    ),
    "key.import_mismatch_force": (
        "这个密钥打不开档案“{profile}”现有的数据文件，换用后档案将无法打开。"
        "如果确实要这样做，请同时加 --force 和 --even-if-wrong",
        "This key does not open profile {profile}'s data file; with it the profile could "
        "not be opened. If you really mean it, add both --force and --even-if-wrong",
    ),
    "key.import_kept": ("原来的 key.json 保留在 {path}", "The previous key.json is kept at {path}"),
    # the PIN, asked by the CLI as by the lock screen
    "key.pin_current": ("当前的解锁PIN", "The current unlock PIN"),
    "key.pin_wrong": (
        "解锁PIN不对（已连续输错 {n} 次）；请 {seconds} 秒后再试",
        "Wrong unlock PIN ({n} wrong in a row); try again in {seconds} s",
    ),
    "key.pin_wait": (
        "之前输错过解锁PIN，请 {seconds} 秒后再试",
        "The unlock PIN was entered wrongly before; try again in {seconds} s",
    ),
    "key.pin_needed": (
        "档案“{profile}”设了解锁PIN：导出或查看个人信息前要输入PIN；请在终端里运行并按提示输入",
        "Profile {profile} has an unlock PIN: it is asked before personal data is exported "
        "or shown; run the command in a terminal and enter it when asked",
    ),
    "key.secret_not_given": (
        "没有读到输入：{prompt}。请在终端里运行并按提示输入两次（脚本里从标准输入给两行）",
        "Nothing was entered for: {prompt}. Run it in a terminal and enter it twice when "
        "asked (a script gives two lines on standard input)",
    ),
    # the sync token where no keyring works (services/credentials.py)
    "token.no_keyring_plain": (
        "本机没有可用的系统密码库，而档案“{profile}”还没有加密，令牌无处安全保存。"
        "请先运行 civtui encrypt（会请你设置口令），再运行 civtui login；"
        "或每次通过环境变量 CIVTUI_TOKEN 提供令牌",
        "This computer has no usable keyring and profile {profile} is not encrypted yet, "
        "so the token has nowhere safe to go. Run civtui encrypt (it asks for a passphrase), "
        "then civtui login; or give the token in CIVTUI_TOKEN each time",
    ),
    # exports made in the app (civtui/app.py): outside the profile, and not kept for ever
    "export.old_offer": (
        "{folder} 里有 {n} 个超过 {days} 天的导出文件（不加密，含个人信息）。现在删除吗？",
        "{folder} holds {n} exported files older than {days} days (not encrypted, with "
        "personal data). Delete them now?",
    ),
    "export.old_delete": ("删除", "Delete"),
    "export.old_deleted": ("已删除 {n} 个旧导出文件", "Deleted {n} old exported files"),
    # laptops with no keyring: the passphrase chosen in the terminal or on the setup screen
    "key.passphrase_not_chosen": (
        "{tries} 次都没有设成口令（口令至少要8个字符，两次输入要一样）；请重新运行，慢慢输入",
        "No passphrase was chosen in {tries} tries (at least 8 characters, the same twice); "
        "run it again and type carefully",
    ),
    "key.import_no_keyring": (
        "这个密钥文件来自用系统密码库保存密钥的档案，而本机没有可用的系统密码库，无法使用它。"
        "请安装并解锁系统密码库（Windows 凭据管理器、macOS 钥匙串，或 Linux 的 GNOME Keyring / "
        "KWallet）后再导入",
        "This key file comes from a profile whose key was kept in a keyring, and this "
        "computer has no usable keyring to keep it in. Install and unlock one (Windows "
        "Credential Manager, the macOS Keychain, GNOME Keyring or KWallet), then import again",
    ),
    "setup.passphrase": ("档案口令（至少8个字符）", "Passphrase (8+ characters)"),
    "setup.passphrase_again": ("再输入一次口令", "Passphrase again"),
    "setup.passphrase_needed": (
        "本机没有可用的系统密码库（keyring），档案要用口令加密：请在下方“档案口令”两栏输入同一个口令"
        "（至少8个字符），再按 Ctrl+S。以后每次打开 civtui 都要输入它，忘记了无法找回",
        "This computer has no usable keyring, so the profile is encrypted with a passphrase: "
        "type the same one (at least 8 characters) in both passphrase fields below, then "
        "press Ctrl+S. civtui asks for it at every start, and it cannot be recovered",
    ),
    # one owner of a profile: key file costs, commands sharing the profile
    "key.file_cost": (
        "{path} 的 scrypt 参数（n={n}, r={r}, p={p}）不是 civtui 写出的，读取它可能耗尽内存或卡住，已拒绝。"
        "请用原电脑上的 civtui key export 重新导出密钥文件",
        "{path} has scrypt costs (n={n}, r={r}, p={p}) that civtui never writes; reading it "
        "could exhaust memory or hang, so it was refused. Export the key file again with "
        "civtui key export on the original laptop",
    ),
    "owner.busy_shared": (
        "档案“{profile}”正被 civtui sync、civtui backup 或其他 civtui 命令使用，现在不能运行 civtui {what}。"
        "请等这些命令结束后再重试",
        "Profile {profile} is in use by civtui sync, civtui backup or another civtui command, "
        "so civtui {what} cannot run now. Wait for them to finish, then try again",
    ),
}


#: English help of the commands in civtui/cli/security.py (and export's --full-ids), by
#: their Chinese text, as `civtui --lang en … --help` shows them (merged into `civtui.i18n.HELP_EN`).
HELP_EN: dict[str, str] = {
    "档案已有密钥时换用这个密钥（旧 key.json 改名保留）。": (
        "Replace a key the profile has already (the old key.json is kept under another name)."
    ),
    "与 --force 一起：密钥打不开现有数据文件时也导入（档案将打不开）。": (
        "With --force: import even when the key does not open the existing file "
        "(the profile will not open)."
    ),
    "不加口令保护，明文写出密钥（不推荐）。": (
        "Write the key in plain, without a passphrase (not recommended)."
    ),
    "从标准输入读PIN（脚本用）。": "Read the PIN from standard input (for scripts).",
    "以后 app 打开时自动备份到这个文件夹。": "From now on, back up to this folder automatically.",
    "自动备份间隔（小时，默认24）。": "Hours between automatic backups (default 24).",
    "自动备份保留几份（默认7）。": "How many automatic backups to keep (default 7).",
    "不再确认。": "Do not ask for confirmation.",
    "档案密钥：导出到U盘保管、在新电脑上导入、设置解锁PIN。": (
        "The profile's key: export it to a USB stick, import it on a new laptop, set the PIN."
    ),
    "把档案密钥写入文件（默认用口令保护；存到U盘，和电脑、备份分开保管）。": (
        "Write the profile's key to a file (sealed with a passphrase by default; keep it on "
        "a USB stick, away from the laptop and the backups)."
    ),
    "导入 civtui key export 写出的密钥文件，保存到本机系统密码库。": (
        "Import a key file written by civtui key export into this laptop's keyring."
    ),
    "设置解锁PIN：界面闲置锁定后用它解锁；已有PIN时先问当前的PIN。": (
        "Set the PIN that unlocks the app after it locks; asks for the current one first."
    ),
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
