"""The words of `civtui server ...` (operating the server and the township's reports), zh and en.

Merged into `civtui.i18n.STRINGS` by the last lines of that module.
"""

from __future__ import annotations

SERVER_STRINGS: dict[str, tuple[str, str]] = {
    "server.database": ("数据库：{url}", "Database: {url}"),
    "server.init.done": (
        "已将数据库从第 {before} 版升级到第 {after} 版",
        "Database upgraded from schema {before} to {after}",
    ),
    "server.init.created": ("已创建数据库（第 {after} 版）", "Database created (schema {after})"),
    "server.init.current": (
        "数据库已是最新（第 {after} 版）",
        "Database is up to date (schema {after})",
    ),
    "server.init.backup": ("升级前的备份：{path}", "Backup taken before upgrading: {path}"),
    "server.schema_behind": (
        "服务器数据库是第 {found} 版，本程序需要第 {head} 版；请先运行 civtui server init",
        "The server database is at schema {found}, this release needs {head}; run civtui server init first",
    ),
    "server.too_new": (
        "服务器数据库是第 {found} 版，比本程序（第 {head} 版）新：它已被更新的 civtui 升级过。"
        "请安装更新的 civtui，不要用旧版本打开它",
        "The server database is at schema {found}, newer than this release ({head}): a newer civtui "
        "upgraded it. Install that newer civtui; do not run an older one on it",
    ),
    "server.config_missing": ("找不到配置文件：{path}", "Configuration file not found: {path}"),
    "server.config_invalid": ("服务器设置有误：{problems}", "Invalid server settings: {problems}"),
    "server.run.version": ("civtui 同步服务器 {version}", "civtui sync server {version}"),
    "server.run.address": ("监听地址：http://{host}:{port}", "Listening on http://{host}:{port}"),
    "server.run.workers": ("工作进程：{workers}", "Worker processes: {workers}"),
    "server.run.log_file": (
        "日志：终端，以及 {path}（每行一个 JSON）",
        "Log: this terminal, and {path} (JSON lines)",
    ),
    "server.run.log_terminal": ("日志：仅终端", "Log: this terminal only"),
    "server.run.workers_sqlite": (
        "多个工作进程需要 PostgreSQL；SQLite 只能有一个写入者，请用 --workers 1",
        "Several workers need PostgreSQL; SQLite has a single writer, use --workers 1",
    ),
    # -- the township's view
    "township.none": (
        "服务器上还没有任何村(社区)的记录",
        "The server holds no village's records yet",
    ),
    "township.unknown": (
        "服务器上没有乡镇(街道)“{township}”",
        "No township “{township}” on the server",
    ),
    "township.coverage.title": (
        "{township}{month:%Y年%m月}探访覆盖率",
        "{township} visit coverage, {month:%Y-%m}",
    ),
    "township.overdue.title": (
        "{township}{month:%Y年%m月}逾期未访",
        "{township} overdue visits, {month:%Y-%m}",
    ),
    "township.col.village": ("村(社区)", "Village"),
    "township.col.overdue": ("逾期", "Overdue"),
    "township.all": ("全乡镇", "Whole township"),
}
