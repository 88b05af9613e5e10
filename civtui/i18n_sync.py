"""What sync says, in Chinese and English: one entry per `sync.protocol.Code`, and the words
of `civtui login` / `civtui sync`. Merged into `civtui.i18n.STRINGS`; rendered by `sync.words`.

Placeholders are the code's parameters (`sync.protocol.PARAMS`), already made readable by
`sync.words` (tables and fields as labels, lists joined).
"""

from __future__ import annotations

SYNC_STRINGS: dict[str, tuple[str, str]] = {
    # -- the server's verdict on one change
    "sync.code.parent_missing": (
        "所属记录（{table} {id}）尚未同步到服务器；它一到，本机会自动重新上传",
        "the record it belongs to ({table} {id}) is not on the server yet; this laptop "
        "sends it again once that record arrives",
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
    "sync.code.summary": (
        "上传 {pushed} 条（冲突 {conflicts}，被拒 {rejected}），下载 {pulled} 条",
        "{pushed} sent ({conflicts} in conflict, {rejected} refused), {pulled} received",
    ),
    "sync.code.new_device": (
        "本机数据来自旧副本：已换用新的设备编号，并重新下载了全部记录",
        "this laptop's data came from an older copy: it took a new device id and "
        "downloaded everything again",
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
    "sync.list": ("、", ", "),
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
    # -- civtui server ...
    "server.not_ready": (
        "服务器数据库尚未初始化；请先运行 civtui server init",
        "the server's database is not set up yet: run civtui server init first",
    ),
    "server.no_extra": (
        "服务器组件未安装；请运行 pip install 'civtui[server]'",
        "the server parts are not installed: run pip install 'civtui[server]'",
    ),
    "server.initialised": ("已初始化：{applied}", "Set up: {applied}"),
    "server.up_to_date": ("数据库已是最新", "the database is up to date"),
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
}
