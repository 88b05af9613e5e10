"""What sync says, in Chinese and English: one entry per `sync.protocol.Code`, and the words
of `civtui login` / `civtui sync`, rendered by `sync.words`.

Placeholders are the code's parameters (`sync.protocol.PARAMS`), already made readable by
`sync.words` (tables and fields as labels, lists joined).
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # -- the server's verdict on one change
    "sync.code.parent_missing": (
        "所属记录（{table} {id}）尚未同步到服务器；它被服务器接受后，本机会自动重新上传这一条",
        "the record it belongs to ({table} {id}) is not on the server yet; this laptop "
        "sends it again once the server has that record",
    ),
    "sync.code.record_missing": (
        "这条记录（{table} {id}）不在服务器上（服务器可能从备份恢复过）；它一到，本机会自动重新上传这次修改",
        "this record ({table} {id}) is not on the server (restored from a backup?); this "
        "laptop sends the change again once the record arrives",
    ),
    "sync.code.reference_elsewhere": (
        "所指的{table} {id} 属于另一个村(社区) {village}；只能指向本村(社区)的记录",
        "the {table} {id} it names belongs to another village ({village}); a record may "
        "name only records of its own village",
    ),
    "sync.code.outside_villages": (
        "该记录属于村(社区) {village}，不在您的权限范围内",
        "the record belongs to village {village}, which your token does not cover",
    ),
    "sync.code.village_unknown": (
        "无法确定该记录属于哪个村(社区)",
        "the record's village cannot be told",
    ),
    "sync.code.staff_villages": (
        "工作人员记录包含您无权管理的村(社区)：{villages}",
        "the staff record names villages you may not manage: {villages}",
    ),
    "sync.code.unknown_fields": (
        "{table}有未知字段：{fields}",
        "{table} has unknown fields: {fields}",
    ),
    "sync.code.invalid": ("{table}数据不合法：{problems}", "{table} is not valid: {problems}"),
    "sync.code.delete_missing": (
        "服务器上没有这条记录，无法删除",
        "the server has no such record to delete",
    ),
    "sync.code.id_mismatch": (
        "记录编号与内容不一致",
        "the record's id does not match its contents",
    ),
    "sync.code.edit_of_deleted": (
        "记录已被删除，修改未生效（已保留在冲突记录中）",
        "the record was deleted; the edit did not apply (it is kept as a conflict)",
    ),
    "sync.code.conflict": (
        "{table}的{fields}与其他设备的修改冲突",
        "{table}: {fields} conflicted with another device's edit",
    ),
    "sync.code.other": ("服务器说：{text}", "the server said: {text}"),
    # -- warnings
    "sync.code.clock_ahead": (
        "您电脑的时钟比服务器快了约 {ahead}，请校正系统时间；这些修改按服务器时间计",
        "this laptop's clock is about {ahead} ahead of the server's: set the "
        "system time right; these changes count at the server's time",
    ),
    "sync.minutes": ("{n} 分钟", "{n} minutes"),
    "sync.hours": ("{n} 小时", "{n} hours"),
    "sync.days": ("{n} 天", "{n} days"),
    # -- what the server refused a request with
    "sync.code.token_invalid": (
        "令牌无效或已被吊销；请向乡镇民政办索取新令牌后重新 civtui login",
        "the token is wrong or revoked; ask the township office for a new one, "
        "then civtui login again",
    ),
    "sync.code.body_too_large": (
        "请求体过大（上限 {limit} 字节）",
        "the request is too large (at most {limit} bytes)",
    ),
    "sync.code.bad_gzip": ("请求体不是有效的 gzip 数据", "the request body is not valid gzip"),
    "sync.code.bad_request": ("请求内容有误：{errors}", "the request is not right: {errors}"),
    "sync.code.device_taken": (
        "本机的设备编号已被其他工作人员使用；请向乡镇民政办确认本机的令牌",
        "this laptop's device id is used by another staff member; ask the township "
        "office about this laptop's token",
    ),
    "sync.code.sequence_reused": (
        "本机的同步序号 {seq} 在服务器上已用于另一条修改（数据可能是从旧副本恢复的）",
        "change no. {seq} of this laptop was already used on the server for another "
        "change (the data may come from an older copy)",
    ),
    "sync.code.server_behind": (
        "服务器上本机的修改只到第 {applied_through} 条，之后的需要重新上传",
        "the server holds this laptop's changes up to no. {applied_through} only; "
        "the rest must be sent again",
    ),
    # -- the client's own outcomes
    "sync.code.offline": (
        "无法连接服务器 {url}（{cause}）。可能没有网络或服务器未运行；"
        "修改都已保存在本机，联网后再同步即可",
        "cannot reach the server {url} ({cause}): no network, or the server is not "
        "running. Every change is kept on this laptop; sync again when online",
    ),
    "sync.code.server_failing": (
        "服务器 {url} 出错（HTTP {status}），本次同步没有完成；修改都已保存在本机。"
        "请稍后再同步，一直如此请告知乡镇管理员查看服务器日志",
        "the server {url} failed (HTTP {status}) and this sync did not finish; every change "
        "is kept on this laptop. Sync again later; if it keeps failing, tell the township "
        "administrator to look at the server's log",
    ),
    "sync.code.refused": (
        "服务器拒绝了请求（HTTP {status}）：{detail}",
        "the server refused the request (HTTP {status}): {detail}",
    ),
    "sync.code.bad_answer": (
        "服务器的回答无法识别；请确认服务器地址正确、版本匹配",
        "the server's answer makes no sense; check the address and that the versions match",
    ),
    "sync.code.url_invalid": (
        "服务器地址“{url}”不对；应以 https:// 开头",
        "the server address {url} is not right; it starts with https://",
    ),
    "sync.code.url_insecure": (
        "为保护个人信息，只能用 https:// 连接其他电脑上的服务器；http:// 只允许本机地址"
        "（现为 {url}）",
        "to protect personal data, a server on another computer is reached over https:// "
        "only; http:// is for this machine (not {url})",
    ),
    "sync.code.disk_full": (
        "本机磁盘已满，同步已停止；已有的记录和修改都没有丢失。请腾出磁盘空间后再同步",
        "this laptop's disk is full, so sync stopped; nothing was lost. Free some disk "
        "space, then sync again",
    ),
    # -- the summary of one sync
    # {taken}: the changes the server took (accepted, or merged with a conflict); the
    # refused ones are counted apart, since they did not reach it.
    "sync.code.summary": (
        "上传 {taken} 条（冲突 {conflicts}），被拒 {rejected} 条，下载 {pulled} 条",
        "{taken} sent ({conflicts} in conflict), {rejected} refused, {pulled} received",
    ),
    "sync.code.new_device": (
        "本机档案是一份副本（从备份恢复，或从另一台电脑复制），原档案在那之后又同步过："
        "本机已换用新的设备编号，上传了本机的修改并重新下载了全部记录，没有丢失任何数据",
        "this laptop's profile is a copy (restored from a backup, or copied from another "
        "laptop) of one that has synced since: it took a new device id, sent its own "
        "changes and downloaded everything again; nothing was lost",
    ),
    "sync.code.resent": (
        "服务器缺少本机的 {count} 条修改（可能从备份恢复过），已重新上传",
        "the server lacked {count} of this laptop's changes (restored from a backup?); "
        "they were sent again",
    ),
    "sync.code.sent_again": (
        "{count} 条此前因缺少所属记录被拒的修改，所属记录已到，已重新上传",
        "{count} changes refused for lack of a record they name were sent again, now that "
        "it has arrived",
    ),
    "sync.code.held": (
        "{count} 条下载的记录所属的记录尚未到达本机，已暂存，到达后自动写入",
        "{count} received records wait for a record they belong to that this laptop does "
        "not have yet; they are written when it arrives",
    ),
    # -- how the pieces are put together
    "sync.join": ("；", "; "),
    "sync.label": ("{label}：{message}", "{label}: {message}"),
    # -- civtui login / civtui sync
    "sync.cli.error": ("错误：", "Error: "),
    "sync.cli.token_prompt": ("令牌", "Token"),
    "sync.cli.no_token": ("没有输入令牌", "no token was given"),
    "sync.cli.logged_in": (
        "已登录 {url}：{staff}，可同步村(社区) {villages}",
        "logged in to {url} as {staff}; villages you may sync: {villages}",
    ),
    "sync.cli.outside": (
        "注意：本机档案中的 {villages} 不在令牌权限内，其记录会被服务器拒绝",
        "Note: {villages} in this profile are outside the token; the server will refuse "
        "their records",
    ),
    "sync.cli.no_server": (
        "还不知道服务器地址；请先运行 civtui login --server https://…，或用 --server 指定",
        "no server address yet: run civtui login --server https://… first, or give --server",
    ),
    "sync.cli.not_logged_in": (
        "尚未登录 {url}；请先运行 civtui login --server {url}，或设置环境变量 CIVTUI_TOKEN",
        "not logged in to {url}: run civtui login --server {url}, or set CIVTUI_TOKEN",
    ),
    "sync.cli.push": ("上传", "Sending"),
    "sync.cli.pull": ("下载", "Receiving"),
    "sync.cli.done": ("同步完成：{summary}", "Sync done: {summary}"),
    "sync.cli.pulled_conflicts": ("下载冲突 {n}", "{n} conflicts received"),
    "sync.cli.rejected": ("被拒：", "Refused: "),
    "sync.cli.conflict": ("冲突：", "Conflict: "),
    # -- what a refusal means where the record it waits for was refused too
    "sync.refusal.parent_refused": (
        "所属的{table}（{who}）也被服务器拒绝了，这一条要等它更正并被服务器接受后才会自动重新上传；"
        "请先按它被拒的原因更正它（或删除）",
        "the {table} it belongs to ({who}) was refused by the server too: this one goes "
        "again by itself only once that one is corrected and taken; correct it (or delete "
        "it) first, as its own refusal says",
    ),
    "sync.refusal.record_refused": (
        "这条{table}（{who}）的新增已被服务器拒绝，这次修改要等它更正并被服务器接受后才会自动重新上传；"
        "请先按新增被拒的原因更正它（或删除）",
        "this {table} ({who}) was refused by the server when it was added: this change goes "
        "again by itself only once the record is corrected and taken; correct it (or delete "
        "it) first, as the refusal of its adding says",
    ),
    # -- civtui sync: the refused changes, by reason
    "sync.cli.refused_head": (
        "被拒 {count} 条，按原因（每种举例 {shown} 条）：",
        "{count} refused, by reason ({shown} examples of each):",
    ),
    "sync.cli.refused_group": ("{count} 条，例如：", "{count}, for example:"),
    "sync.cli.refused_example": ("{kind} {who}：{reason}", "{kind} {who}: {reason}"),
    "sync.cli.refused_all": (
        "本机共有 {count} 条记录被拒、等待更正；逐条列出：civtui sync --all-refused，"
        "或在 app 的待同步页（p）查看",
        "{count} refused records on this laptop wait to be corrected; to list each: "
        "civtui sync --all-refused, or the app's Pending page (p)",
    ),
    # -- 待同步 (screens.pending)
    "pending.refused_title": (
        "待同步：没有待上传的修改；{count} 条被服务器拒绝，需要更正",
        "Pending: nothing left to send; {count} refused by the server, to correct",
    ),
    "pending.refused_more": (
        "待同步（{pending}）· 另有 {count} 条被服务器拒绝，需要更正",
        "Pending ({pending}) · {count} more refused by the server, to correct",
    ),
    "pending.detail_hint": (
        "选中一行，这里显示服务器对它说的完整原因",
        "Highlight a row to read here all the server said about it",
    ),
    # -- civtui server ...
    "server.no_extra": (
        "服务器组件未安装；请运行 pip install 'civtui[server]'"
        "（在本仓库的副本中：.venv/bin/pip install -e '.[server]'，见 docs/deploy.md）",
        "the server parts are not installed: run pip install 'civtui[server]' (in a clone of "
        "this repository: .venv/bin/pip install -e '.[server]'; see docs/deploy.md)",
    ),
    "server.bad_codes": (
        "村(社区)代码应为12位数字：{codes}",
        "a village code has 12 digits: {codes}",
    ),
    "server.token_id": ("令牌编号：{id}", "Token id: {id}"),
    "server.token_once": (
        "请把下面的令牌交给本人（只显示这一次）：",
        "Give this token to its holder (it is shown only this once):",
    ),
    "server.no_such_token": ("没有有效的令牌 {id}", "no valid token {id}"),
    "server.revoked": ("已吊销令牌 {id}", "Token {id} revoked"),
    "server.revoked_at": ("已吊销 {at}", "revoked {at}"),
    "server.valid": ("有效", "valid"),
    "server.bad_category": ("类别{error}", "category {error}"),
    "server.bad_frequency": ("探访频次{error}", "visit frequency {error}"),
    "server.policy_set": (
        "已设定：{category}{frequency}探访；各村(社区)下次同步后生效",
        "Set: {category}, visited {frequency}; every village gets it at its next sync",
    ),
    "server.default": ("（默认）", " (default)"),
    "server.listening": (
        "注意：服务器将监听 {host}，其他电脑可以连接；请放在 HTTPS 反向代理之后。",
        "Note: the server will listen on {host}, where other computers can reach it; put "
        "it behind an HTTPS reverse proxy.",
    ),
    # -- Sealed bundles on a USB stick (civtui bundle ..., civtui server bundle ...;
    #    sync.bundle, sync.sealed, sync.server.bundle, screens.bundle)
    "sync.code.bundle_not_one": (
        "这不是 civtui 的{expected}文件；请选 civtui 生成的 .civb 文件",
        "this is not a civtui {expected} file; choose a .civb file civtui made",
    ),
    "sync.code.bundle_unreadable": (
        "无法打开该文件：它不完整、被改动过，或是为另一台服务器/电脑加密的；请重新导出",
        "the file cannot be opened: it is incomplete, was altered, or was sealed for another "
        "server or laptop; export it again",
    ),
    "sync.code.bundle_bad_signature": (
        "签名不符：该文件不是由持有该令牌的电脑（或本乡镇服务器）生成的，未导入任何内容",
        "the signature does not match: the file was not made by that token's laptop (or this "
        "township's server); nothing was imported",
    ),
    "sync.code.bundle_token_unknown": (
        "令牌 {token} 无效、已吊销，或自升级以来从未联网同步过；请联网同步一次或换发令牌",
        "token {token} is unknown, revoked, or has not synced online since the server was "
        "upgraded; sync online once or issue a new token",
    ),
    "sync.code.bundle_too_large": (
        "文件超过 {limit} 字节的上限，未导入",
        "the file is larger than the {limit}-byte limit; nothing was imported",
    ),
    "sync.code.bundle_no_server_key": (
        "本机还没有服务器的U盘同步公钥；请运行 civtui login，或用 civtui bundle trust 导入公钥文件",
        "this laptop has no server key for USB bundles yet; run civtui login, or civtui "
        "bundle trust with the key file",
    ),
    "sync.code.bundle_no_key_pair": (
        "服务器还没有U盘同步密钥；请运行 civtui server bundle keygen",
        "the server has no bundle key yet; run civtui server bundle keygen",
    ),
    "sync.code.bundle_key_invalid": (
        "公钥文件格式不对：应以 civkey1_ 开头；请向乡镇索取 civtui server bundle key 生成的文件",
        "the key file is not a server key (it starts with civkey1_); ask the township for "
        "the file civtui server bundle key writes",
    ),
    "sync.code.bundle_key_changed": (
        "本机已信任另一把服务器公钥（指纹 {fingerprint}）；请先电话核对新公钥的指纹，确认后加 --force",
        "this laptop already trusts another server key (fingerprint {fingerprint}); check the "
        "new key's fingerprint with the township by phone, then add --force",
    ),
    "sync.code.bundle_other_laptop": (
        "该回执是给另一台电脑的，未导入；请导入本机导出的数据包的回执",
        "this reply is for another laptop; nothing was imported. Import the reply to this "
        "laptop's own bundle",
    ),
    "sync.code.bundle_already": (
        "该回执已导入过，无需再导入",
        "this reply was imported already; nothing to do",
    ),
    "sync.code.bundle_stale": (
        "本机之后已同步到更新的数据，这份回执已过时，无需导入（其中的修改不会丢失）",
        "this laptop has synced past this reply since; it is out of date and not needed "
        "(nothing in it is lost)",
    ),
    "sync.code.bundle_gap": (
        "本机的数据比该回执的起点更旧（档案可能从备份恢复过）；请重新导出数据包或联网同步",
        "this laptop holds less than where the reply starts (was the profile restored from "
        "a backup?); export a new bundle or sync online",
    ),
    "sync.code.bundle_kind.bundle": ("数据包", "bundle"),
    "sync.code.bundle_kind.reply": ("回执", "reply"),
    "bundle.cli.export": ("导出", "Exporting"),
    "bundle.cli.import": ("导入", "Importing"),
    "bundle.cli.reply": ("生成回执", "Making the reply"),
    "bundle.cli.exported": (
        "已导出到 {path}：{changes} 条修改，{size} 字节；只有乡镇服务器能打开。请带到乡镇导入，"
        "再把回执带回来用 civtui bundle import 导入",
        "Exported to {path}: {changes} changes, {size} bytes, readable only by the township "
        "server. Import it there, then bring the reply back for civtui bundle import",
    ),
    "bundle.cli.imported": (
        "回执已导入：{summary}",
        "Reply imported: {summary}",
    ),
    "bundle.cli.server_imported": (
        "已导入 {staff} 的数据包：采用 {accepted}，冲突 {conflicts}，被拒 {rejected}；"
        "回执（{pulled} 条记录）已写入 {path}",
        "Imported {staff}'s bundle: {accepted} accepted, {conflicts} conflicts, {rejected} "
        "refused; the reply ({pulled} records) is in {path}",
    ),
    "bundle.cli.trusted": (
        "已信任服务器公钥，指纹 {fingerprint}（请与乡镇核对）",
        "Server key trusted, fingerprint {fingerprint} (check it with the township)",
    ),
    "bundle.cli.trusted_already": (
        "该服务器公钥早已信任，指纹 {fingerprint}",
        "This server key is trusted already, fingerprint {fingerprint}",
    ),
    "bundle.cli.key": (
        "服务器公钥指纹 {fingerprint}；公钥已写入 {path}，可拷给无法联网的电脑用 civtui bundle trust 导入",
        "Server key fingerprint {fingerprint}; the key is in {path}, for laptops that "
        "cannot go online to take with civtui bundle trust",
    ),
    "bundle.cli.keygen": (
        "已生成服务器U盘同步密钥，指纹 {fingerprint}",
        "Server bundle key made, fingerprint {fingerprint}",
    ),
    "bundle.cli.keygen_exists": (
        "服务器已有密钥（指纹 {fingerprint}）；换新密钥会使尚未导入的数据包全部作废，确需更换请加 --force",
        "the server has a key already (fingerprint {fingerprint}); a new one makes every bundle "
        "not yet imported unreadable: add --force if you mean it",
    ),
    "bundle.cli.not_found": ("找不到文件 {path}", "no file {path}"),
    # the 待同步 page (screens.pending, screens.bundle)
    "bundle.export_key": ("导出到U盘", "Export to USB"),
    "bundle.import_key": ("导入回执", "Import reply"),
    "bundle.ok": ("确定", "OK"),
    "bundle.export_where": (
        "导出到哪个文件夹（U盘）？文件名只含村代码和日期，内容已加密，只有乡镇服务器能打开。",
        "Export to which folder (the USB stick)? The file is named by village code and date "
        "only, and sealed: only the township server can open it.",
    ),
    "bundle.import_which": (
        "回执文件的路径（乡镇服务器生成的 …-reply.civb）：",
        "The reply file's path (the …-reply.civb the township server made):",
    ),
    "bundle.no_file": (
        "路径：没有这个文件；请输入回执文件的完整路径",
        "path: there is no such file; type the reply file's full path",
    ),
    "bundle.no_folder": (
        "路径：没有这个文件夹；请输入U盘上已有的文件夹",
        "path: there is no such folder; type a folder that exists on the USB stick",
    ),
    "bundle.never": (
        "U盘同步：还没有导出过数据包（e 导出到U盘，r 导入回执）",
        "USB sync: no bundle exported yet (e exports to USB, r imports a reply)",
    ),
    "bundle.reply_awaited": (
        "U盘同步：最近一次数据包于 {at} 导出（{changes} 条修改），回执尚未导回",
        "USB sync: the last bundle left at {at} ({changes} changes); its reply has not come back yet",
    ),
    "bundle.reply_back": (
        "U盘同步：最近一次数据包于 {at} 导出（{changes} 条修改），回执已导回",
        "USB sync: the last bundle left at {at} ({changes} changes); its reply came back",
    ),
    "bundle.exported": (
        "已导出到 {path}（{changes} 条修改）；请带到乡镇导入",
        "Exported to {path} ({changes} changes); take it to the township",
    ),
    "bundle.imported": ("回执已导入：{summary}", "Reply imported: {summary}"),
    "bundle.os_error": (
        "文件读写失败：{error}；请检查U盘是否插好",
        "the file could not be read or written: {error}; check the USB stick",
    ),
    # -- the client's bounds on what a server answers (sync.client, db.outbox.apply_page)
    "sync.code.answer_too_large": (
        "服务器的回复超过上限（{limit} 字节），已拒收，本机数据没有改动。"
        "请确认服务器地址无误；如再次出现，请联系乡镇管理员检查服务器",
        "the server's answer was larger than this laptop reads (at most {limit} bytes) and "
        "was refused; nothing here changed. Check the server address; if it happens again, "
        "ask the township administrator to check the server",
    ),
    "sync.code.page_too_large": (
        "服务器一次发来 {got} 条记录，本机只请求了 {asked} 条，整页已拒收，本机数据没有改动。"
        "请联系乡镇管理员检查服务器版本",
        "the server sent {got} records where this laptop asked for {asked}; the page was "
        "refused and nothing here changed. Ask the township administrator to check the "
        "server's version",
    ),
    "sync.code.pulled_elsewhere": (
        "服务器发来 {count} 条不属于本机村(社区)的记录（{villages}），已拒收，没有保存；"
        "请告知乡镇管理员检查令牌权限",
        "the server sent {count} records of villages this laptop does not sync "
        "({villages}); they were refused and not stored. Tell the township administrator "
        "to check the token's villages",
    ),
    "sync.code.unknown_kinds": (
        "{count} 条下载的记录属于本版本不认识的类型（{tables}），已另行保存；"
        "请升级 civtui，升级后下次同步自动写入",
        "{count} received records are of kinds this version does not know ({tables}); they "
        "are kept aside. Update civtui: the next sync after the update writes them",
    ),
    # -- clocks and dated contacts
    "sync.code.future_date": (
        "{table}的{field}是 {date}，晚于服务器的今天（{today}，北京时间）；请校正本机时间，"
        "再把日期改为今天或之前",
        "{table}: {field} is {date}, after the server's today ({today}, China time); set "
        "this laptop's clock right, then change the date to today or earlier",
    ),
}

#: The English of `civtui bundle ...` and `civtui server bundle ...` help (merged into
#: `civtui.i18n.HELP_EN`).
HELP_EN: dict[str, str] = {
    "乡镇同步服务器地址，如 https://mz.example.gov.cn": (
        "The township's sync server address, e.g. https://mz.example.gov.cn"
    ),
    "从标准输入读取令牌（供脚本使用）。": "Read the token from standard input (for scripts).",
    "服务器地址（默认用 civtui login 时的地址，或 CIVTUI_SERVER）。": (
        "The server address (by default the one of civtui login, or CIVTUI_SERVER)."
    ),
    "无网络时用U盘同步：导出数据包、导入回执、信任服务器公钥。": (
        "Sync on a USB stick where there is no link: export a bundle, import its reply, "
        "trust the server's key."
    ),
    "把待上传的修改导出为加密数据包（FILE 为目录时按村代码和日期命名）。": (
        "Export what a sync would send as a sealed bundle (a FILE that is a folder gets a "
        "name of village code and date)."
    ),
    "导入乡镇服务器生成的回执：确认已上传的修改，并下载其他人的修改。": (
        "Import the township server's reply: acknowledges what was sent and brings what "
        "others changed."
    ),
    "替换本机已信任的另一把服务器公钥。": "Replace another server key this laptop trusts.",
    "信任服务器公钥文件（由 civtui server bundle key 生成），供无法联网登录的电脑使用。": (
        "Trust a server key file (from civtui server bundle key), for a laptop that cannot "
        "log in online."
    ),
    "U盘数据包：服务器密钥、导入村里带来的数据包。": (
        "USB-stick bundles: the server's key, and importing the bundles villages bring."
    ),
    "替换现有密钥（尚未导入的数据包将全部作废）。": (
        "Replace the existing key (bundles not yet imported become unreadable)."
    ),
    "生成服务器的U盘同步密钥（civtui server init 已自动生成）。": (
        "Make the server's bundle key (civtui server init makes one already)."
    ),
    "公钥写入的文件。": "The file to write the public key to.",
    "写出服务器公钥文件，供电脑用 civtui bundle trust 导入。": (
        "Write the server's public key to a file, for laptops to take with civtui bundle trust."
    ),
    "回执文件（默认在数据包旁）。": "The reply file (default: beside the bundle).",
    "导入村里电脑导出的数据包（与联网同步相同的合并），并生成给该电脑的回执。": (
        "Import a village laptop's bundle (merged as an online sync is) and write that "
        "laptop's reply."
    ),
    "逐条列出本机所有被服务器拒绝、尚未更正的修改（默认按原因汇总本次被拒的）。": (
        "List each change of this laptop's that the server refused and that is not corrected "
        "yet (by default, this sync's refusals are counted by reason)."
    ),
}
