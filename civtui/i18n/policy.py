"""The visit rules' words: the two rates, groups, 补录, reassessment, and setting a rule."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "rate.monthly": ("月探访率", "Monthly rate"),
    "table.person_events": ("状态和类别变更", "Status and category changes"),
    "table.month_reports": ("月报", "Month reports"),
    "server.rule_set": (
        "已设定：{name} = {value}；各村(社区)下次同步后生效",
        "Set: {name} = {value}; every village has it after its next sync",
    ),
    "cli.col.rate_kind": ("口径", "Rate"),
    "cli.col.group": ("人群", "Group"),
    "rate.quarterly": ("季度探访率", "Quarterly rate"),
    "group.adult": ("成人", "Adults"),
    "group.child": ("儿童", "Children"),
    "group.subtotal": ("小计", "Subtotal"),
    "dash.late": ("补录", "Entered late"),
    "state.reassess": ("待复评", "Reassess"),
    # -- setting a rule (`civtui server policy rule set NAME VALUE`) ------------------
    "rule.bad_age": (
        "{name} 应为1到120的整数（周岁），不是“{value}”",
        "{name} takes a whole number of years from 1 to 120, not “{value}”",
    ),
    "rule.bad_kinds": (
        "{name} 应为 visit、check 或 visit,check，不是“{value}”",
        "{name} takes visit, check or visit,check, not “{value}”",
    ),
    "rule.bad_number": (
        "{name} 应为1到120的整数，不是“{value}”",
        "{name} takes a whole number from 1 to 120, not “{value}”",
    ),
    "rule.unknown": (
        "没有名为“{name}”的规则；可设：adl_valid_months、adl_min_age、age_limit.<类别>、"
        "contact_kinds.<类别>",
        "There is no rule named “{name}”; the rules are: adl_valid_months, adl_min_age, "
        "age_limit.<category>, contact_kinds.<category>",
    ),
    # -- figures that hold: closed months shown through their 月报 -------------------
    "report.only_now": ("{what}（月报中无，仅现有）", "{what} (not in the report; now only)"),
    # -- figures that hold: a policy change takes effect from a month ---------------
    "server.policy_before": (
        "“{name}”已有更晚月份起生效的设定；--from 请写该月或之后的月份（YYYY-MM）",
        "{name} already has a setting in force from a later month; give --from as that "
        "month or a later one (YYYY-MM)",
    ),
}


#: English help of `civtui server policy rule`, by its Chinese text (merged into `civtui.i18n.HELP_EN`).
HELP_EN: dict[str, str] = {
    "从哪个月起生效（YYYY-MM，默认本月）；此前的月份不变。": (
        "The month it takes effect from (YYYY-MM, this month by default); earlier months "
        "keep what they had."
    ),
    "探访规则：年龄上限、哪些记录算探访、能力评估有效期等，乡镇统一设定。": (
        "Visit rules the township sets for every village: age limits, which records count "
        "as a visit, how long an ADL assessment stays valid."
    ),
    "设定一条规则，如 civtui server policy rule set adl_valid_months 12、\n    "
    "age_limit.留守儿童 16、contact_kinds.留守儿童 check。": (
        "Set one rule, e.g. civtui server policy rule set adl_valid_months 12,\n    "
        "age_limit.left_behind 16, contact_kinds.left_behind check."
    ),
    "列出乡镇设定的探访规则（其余按默认，见 README 的覆盖率一节）。": (
        "List the rules the township set (the rest are the defaults: see the README's "
        "coverage section)."
    ),
}
