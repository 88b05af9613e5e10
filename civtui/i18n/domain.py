"""The rules' own words: why a value typed in, imported or derived is refused or hinted at
(phone numbers, choices, Barthel totals, effective dates, 政策找人's reasons, file kinds)."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # A category's short name, where its name does not fit (the dashboard at 80 columns):
    # whole words a reader knows, never a word cut with ….
    "category.short.advanced_age": ("高龄", "Aged 80+"),
    "category.short.living_alone": ("独居", "Lives alone"),
    "category.short.empty_nest": ("空巢", "Empty nest"),
    "category.short.childless_widowed": ("孤寡", "Childless"),
    "category.short.disabled": ("失能", "Dependent"),
    "category.short.semi_disabled": ("半失能", "Partly dep."),
    "category.short.severe_disability": ("重度残疾", "Disability"),
    "category.short.serious_illness": ("重病", "Illness"),
    "category.short.tekun": ("特困", "Tekun"),
    "category.short.dibao": ("低保", "Dibao"),
    "category.short.dibian": ("低边", "Low income"),
    "category.short.orphan": ("孤儿", "Orphan"),
    "category.short.de_facto_unsupported": ("无人抚养儿童", "Unsupported"),
    "category.short.child_in_distress": ("困境儿童", "In distress"),
    "category.short.left_behind": ("留守儿童", "Left-behind"),
    # Pydantic's own error types (civtui/domain/errors.py), after the field's label.
    "input.missing": ("必须填写；请补上", "is required; please fill it in"),
    "input.empty": ("不能为空；请填写", "cannot be empty; please fill it in"),
    "input.too_long": (
        "太长了（最多{max_length}个字）；请精简",
        "is too long (at most {max_length} characters); please shorten it",
    ),
    "input.choice": (
        "不是可选的值；请从列表中选择",
        "is not one of the choices; pick one from the list",
    ),
    "input.choice_of": (
        "不是可选的值；可选：{choices}",
        "is not one of the choices; write one of: {choices}",
    ),
    "input.date": (
        "不是有效日期；可填 2026-11-20、2026/11/20、2026.11.20、20261120，或 11-20（今年）",
        "is not a date; write 2026-11-20, 2026/11/20, 2026.11.20, 20261120, or 11-20 (this year)",
    ),
    "input.time": (
        "不是有效时间；请填日期和时间，如 2026-11-20 14:30 或 11-20 14:30",
        "is not a time; write a date and a time, such as 2026-11-20 14:30 or 11-20 14:30",
    ),
    "input.int": ("应为整数；请只填数字", "should be a whole number; use digits only"),
    "input.too_small": ("不能小于{ge}；请核对", "cannot be less than {ge}; please check"),
    "input.too_big": ("不能大于{le}；请核对", "cannot be more than {le}; please check"),
    "input.yes_no": ("应为“是”或“否”", "should be yes or no"),
    "input.list": ("格式不对；请从列表中选择", "is not in the right form; pick from the list"),
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
    # The records' own rules (civtui/domain/models.py). A date's field is named in Chinese,
    # where the message starts with it; in English the label stands beside the message, so
    # `{what:.0}` takes the field and prints none of it.
    "date.after_today": (
        "{what}{day}晚于今天；请填写今天或之前的日期",
        "{what:.0}{day} is after today; use today or an earlier day",
    ),
    "village.code": (
        "村(社区)代码应为12位数字（6位县级+3位乡镇+3位村），现为“{value}”；请核对统计用区划代码",
        "a village code has 12 digits (county 6, township 3, village 3), not {value!r}; "
        "check the statistical division code",
    ),
    "person.name_is_number": (
        "姓名“{value}”里有一长串数字，像是身份证号或电话号码；请填写本人姓名，号码填到对应的栏里",
        "{value} looks like an ID or phone number, not a name; put the person's name here and "
        "the number in its own field",
    ),
    "person.child_category_age": (
        "类别“{category}”只适用于未满{limit}周岁的儿童，此人{age}岁；请去掉该类别或核对身份证号",
        "{category} applies to children under {limit} only; this person is {age}: remove it "
        "or check the ID number",
    ),
    "contact.follow_up_unsaid": (
        "已勾选“需要跟进”，请在“跟进事项”中写明要跟进什么",
        "Follow-up is ticked: say in the follow-up note what is to be done",
    ),
    "check.unreported": (
        "风险等级为“高”必须履行强制报告：请填写{missing}（如向乡镇(街道)民政办、公安110报告的时间和对象）",
        "a high-risk child must be reported: fill in {missing} (the township civil-affairs "
        "office, the police on 110)",
    ),
    "check.unreported.when": ("强制报告时间", "when it was reported"),
    "check.unreported.whom": ("报告对象", "to whom"),
    "need.cannot_go": (
        "需求状态不能从“{before}”改为“{to}”；可改为：{allowed}",
        "a need cannot go from {before} to {to}; it can go to: {allowed}",
    ),
    "need.closed": ("无（已结案）", "none (closed)"),
    "need.referred_where": (
        "改为“已转介”时请选择“转介至”（幸福驿家、照料中心等）",
        "a referred need says where it was referred to",
    ),
    "need.unresolvable_why": (
        "改为“无法解决”时请在“说明”中写明原因",
        "say in the note why the need cannot be resolved",
    ),
    "barthel.score": (
        "“{item}”只能评{allowed}分，不能评{value}分；请重新选择",
        "{item} scores {allowed}, not {value}; choose again",
    ),
    "event.one_change": (
        "一条变更记录只记一件事：状态变更（原状态和新状态），或类别增减（类别和是否具有）",
        "an event records one change: a status (before and after) or a category "
        "(which, and whether it is held)",
    ),
    # Deleting a record (civtui/services/records.py), and a person's dated change (the form).
    "delete.no_reason": (
        "请写明删除原因（如“录错了人”“重复录入”）",
        "say why the record is deleted (wrong person, entered twice)",
    ),
    "delete.reason_long": (
        "删除原因最多{most}个字，现为{n}个字；请写短一些",
        "the reason may be at most {most} characters (it has {n})",
    ),
    "person.effective_day_missing": (
        "状态或类别有变化，请填写生效日期（如 2026-11-20 或 11-20）",
        "the status or categories changed: give the date it took effect (2026-11-20 or 11-20)",
    ),
    # Words between the items of a list a message names.
    "list.sep": ("、", ", "),
    "list.and": ("和", " and "),
}
