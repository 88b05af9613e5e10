"""The words of `civtui server ...` (operating the server and the township's reports), zh and en."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
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
    "township.col.overdue": ("逾期", "Overdue"),
    "township.all": ("全部乡镇", "All townships"),
    # -- ledgers a township signs
    "township.village_unknown": (
        "--village：服务器上（所选乡镇中）没有代码为“{code}”的村(社区)；请改用其中之一：{known}",
        "--village: the server holds no village with code {code!r} (in the township chosen); "
        "use one of: {known}",
    ),
    "township.unnamed": ("（村记录未填乡镇）", "(no township in the village record)"),
    "township.col.township": ("乡镇(街道)", "Township"),
    "township.col.last_contact": ("上次探访/随访", "Last contact"),
    "township.overdue.people": ("{village}逾期未访 {n} 人", "{village}: {n} overdue"),
    "township.never": ("从未", "never"),
}

#: The English of `civtui server ...` help texts, by their Chinese as written in the code
#: (merged into `civtui.i18n.HELP_EN`).
HELP_EN: dict[str, str] = {
    "TOML 配置文件（默认读 CIVTUI_SERVER_CONFIG）。": (
        "A TOML settings file (default: $CIVTUI_SERVER_CONFIG)."
    ),
    "数据库 URL：sqlite:///路径 或 postgresql://…"
    "（默认读 CIVTUI_SERVER_DATABASE、配置文件，再默认本机 SQLite 文件）": (
        "Database URL: sqlite:///path or postgresql://… (default: $CIVTUI_SERVER_DATABASE, "
        "the settings file, else a SQLite file on this machine)"
    ),
    "创建或升级服务器数据库（SQLite 文件升级前先备份）。": (
        "Create or upgrade the server database (a SQLite file is copied first)."
    ),
    "显示生效的服务器设置（命令行 > CIVTUI_SERVER_* 环境变量 > 配置文件 > 默认）。": (
        "Show the settings in force (flags > CIVTUI_SERVER_* variables > settings file > defaults)."
    ),
    "运行同步服务器。": "Run the sync server.",
    "监听地址；默认 127.0.0.1，只在本机。": "Address to listen on; default 127.0.0.1, this machine only.",
    "端口；默认 8765。": "Port; default 8765.",
    "工作进程数（多于 1 个需 PostgreSQL）；默认 1。": (
        "Worker processes (more than one needs PostgreSQL); default 1."
    ),
    "另把日志按行写成 JSON 到此文件（0600）。": "Also write the log to this file as JSON lines (0600).",
    "工作人员令牌。": "Staff tokens.",
    "创建令牌；令牌只显示这一次，服务器只保存其摘要。": (
        "Create a token; it is shown this once, the server keeps only its digest."
    ),
    "工作人员姓名。": "The staff member's name.",
    "可访问的村(社区)代码，可多次给出。": "A village code the token may reach; give it again for more.",
    "吊销令牌：持有者从此不能再同步。": "Revoke a token: its holder can no longer sync.",
    "列出令牌（不含令牌本身）。": "List the tokens (not the tokens themselves).",
    "探访频次：乡镇统一设定，各村(社区)下次同步后生效。": (
        "Visit frequencies: set by the township, in force in each village after its next sync."
    ),
    "设定一类对象的探访频次，如 civtui server policy set 高龄 每季度。": (
        "Set how often a category is visited, e.g. civtui server policy set 高龄 每季度."
    ),
    "列出每类对象的探访频次（未设定的按默认）。": (
        "List each category's visit frequency (the default where none is set)."
    ),
    "乡镇视角：各村(社区)的覆盖率与逾期，规则与各村电脑相同。": (
        "The township's view: coverage and overdue visits per village, by the laptops' rules."
    ),
    "只看这个乡镇(街道)的村(社区)（按村记录中的乡镇名）；默认全部。": (
        "Only this township's villages (by the township named in the village records); "
        "default: all."
    ),
    "全乡镇的台账（与各村电脑导出的格式相同）。": (
        "The township's ledgers (the same format as a laptop exports)."
    ),
    "全乡镇探访台账、各类别覆盖率、待访名单。": (
        "The township's visit ledger, coverage by category, and who is still due."
    ),
    "全乡镇儿童随访台账。": "The township's child check ledger.",
    "全乡镇老人需求台账。": "The township's elder needs ledger.",
    # -- ledgers a township signs
    "只看这个村(社区)（12位代码）；默认所选乡镇的全部村(社区)。": (
        "Only this village (its 12-digit code); default: every village of the township chosen."
    ),
    "每个村(社区)、每个类别的探访覆盖率，各乡镇小计，及合计。": (
        "Visit coverage of each village and category, each township's subtotal, and the total."
    ),
    "每个村(社区)本月应访、已访和逾期未访（上一周期也未访）的人数，及逾期者名单。": (
        "Each village's people due, visited and overdue this month (missed the previous "
        "period too), and who is overdue."
    ),
}
