"""The command line's words for choosing a role or a month, export folders that are not
there and the server's help on a laptop; the app's month for a ledger."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "cli.choice_bad": (
        "“{value}”不是可选值；可选：{choices}",
        '"{value}" is not a choice; choose from: {choices}',
    ),
    "cli.choice_one": ("{label}（{code}）", "{code} ({label})"),
    "cli.no_folder": (
        "文件夹不存在：{folder}。请先建好这个文件夹，或用 -o 指定一个已有文件夹里的文件",
        "The folder {folder} does not exist. Create it first, or give -o a file in a folder "
        "that exists",
    ),
    "cli.server_extra": (
        "运行此命令需要安装服务器组件：pip install 'civtui[server]'",
        "Running this command needs the server extra: pip install 'civtui[server]'",
    ),
    "bundle.own_not_reply": (
        "这是本机导出的数据包，不是回执：请把它带到乡镇，由乡镇服务器导入后生成回执"
        "（…-reply.civb），再把回执带回来导入",
        "This is the bundle this laptop exported, not a reply: take it to the township, "
        "where the server imports it and writes a reply (…-reply.civb); import that reply here",
    ),
    "export.month": ("月份", "Month"),
    "export.month_hint": (
        "月份：2026-11 或 2026年11月；按 F3 选上个月",
        "Month: 2026-11; F3 for last month",
    ),
    "export.bad_month": (
        "“{value}”不是月份；请按 2026-11 或 2026年11月 的格式填写",
        "{value!r} is not a month; write it as 2026-11",
    ),
}

HELP_EN: dict[str, str] = {
    "工作人员的角色：assistant（民政协管员）、child_director（儿童主任）、supervisor（督导员）。": (
        "The staff member's role: assistant, child_director or supervisor."
    ),
    "年月，如 2026-11 或 2026年11月（默认本月）。": (
        "The month, e.g. 2026-11 (default: this month)."
    ),
    "你的角色：民政协管员、儿童主任或督导员（也可写 assistant 等）。": (
        "Your role: assistant, child_director or supervisor (the Chinese words work too)."
    ),
    ".xlsx（含探访台账、探访覆盖率、待访名单）或 .csv（仅探访台账）。": (
        ".xlsx (sheets: visits ledger, visit coverage, due list) or .csv (the ledger only)."
    ),
    ".xlsx（含儿童随访台账、覆盖率、待随访名单）或 .csv（仅儿童随访台账）。": (
        ".xlsx (sheets: child-check ledger, coverage, children due) or .csv (the ledger only)."
    ),
    ".xlsx（含老人需求台账、办理记录）或 .csv（仅老人需求台账）。": (
        ".xlsx (sheets: elder needs ledger, status history) or .csv (the needs ledger only)."
    ),
}
