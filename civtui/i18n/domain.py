"""The rules' own words: why a value typed in, imported or derived is refused or hinted at
(phone numbers, choices, Barthel totals, effective dates, 政策找人's reasons, file kinds)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "phone.short": (
        "手机号“{raw}”只有{n}位，少了{missing}位（手机号为1开头的11位数字）；请向本人核对完整号码",
        "the mobile number {raw} has {n} digits, {missing} too few (a mobile has 11 digits "
        "starting with 1); ask for the whole number",
    ),
    "phone.no_area": (
        "固定电话“{raw}”缺少区号；请加上区号，如 0580-{digits}",
        "the landline {raw} has no area code; add it, as in 0580-{digits}",
    ),
    "phone.mobile_length": (
        "手机号“{raw}”应为1开头的11位数字，现为{n}位；请核对",
        "a mobile number has 11 digits starting with 1; {raw} has {n}",
    ),
    "phone.invalid": (
        "“{raw}”不是有效的电话号码；手机号为11位（如13905801234），固定电话需带区号（如0580-2012345）",
        "{raw} is not a phone number; a mobile has 11 digits (13905801234), a landline "
        "its area code (0580-2012345)",
    ),
    "barthel.total": (
        "Barthel 总分应在0到100之间，现为{total}",
        "a Barthel total is 0 to 100, not {total}",
    ),
    "choice.unknown": (
        "“{text}”不是可选值；可选：{choices}",
        "“{text}” is not a choice; choose from: {choices}",
    ),
    "effective.future": (
        "生效日期不能晚于今天（{today}）：请填今天或之前的日期",
        "the effective date cannot be after today ({today}): give today or earlier",
    ),
    "effective.before_registered": (
        "生效日期不能早于登记日期（{day}）：请填{day}或之后的日期",
        "the effective date cannot be before the person was registered ({day}): "
        "give {day} or later",
    ),
    "effective.before_status": (
        "生效日期不能早于上一次状态变更的生效日期（{day}）：请填{day}或之后的日期，或先更正那一次变更",
        "the effective date cannot be before the last change of the status ({day}): "
        "give {day} or later, or correct that change first",
    ),
    "effective.before_category": (
        "生效日期不能早于上一次“{category}”类别变更的生效日期（{day}）：请填{day}或之后的日期，"
        "或先更正那一次变更",
        "the effective date cannot be before the last change of {category} ({day}): "
        "give {day} or later, or correct that change first",
    ),
    "hint.means": ("所在户经济状况为“{status}”", "the household's means: {status}"),
    "hint.disability": ("残疾等级为{grade}级", "disability grade {grade}"),
    "hint.alone": ("{age}岁，户内只有本人", "aged {age}, alone in the household"),
    "hint.empty_nest": (
        "{age}岁，同户成员均已年满60岁",
        "aged {age}, everyone in the household is 60 or over",
    ),
    "hint.both_away": ("{day}随访记录为“父母均外出”", "the check of {day}: both parents away"),
    "hint.no_guardian": ("{day}随访记录为“无人监护”", "the check of {day}: no guardian"),
    "hint.past_limit": (
        "已满{limit}周岁（{age}岁），应去掉该儿童类别",
        "aged {age}, at or past the limit of {limit}: remove the child category",
    ),
    "ledger.bad_suffix": (
        "不支持 {suffix} 文件；请用 .xlsx 或 .csv 结尾的文件名",
        "{suffix} is not supported; give a file name ending in .xlsx or .csv",
    ),
    "ledger.no_suffix": (
        "不支持无扩展名的文件；请用 .xlsx 或 .csv 结尾的文件名",
        "a file without an extension is not supported; give a file name ending in .xlsx or .csv",
    ),
}
