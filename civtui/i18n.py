"""Every label the screens show, in Chinese (the default) and English.

Screens never hold display text of their own: they ask `Translator` by key,
and field labels come from here too, by model field name. Enum values carry
their own labels (`civtui.domain.choices`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

LANGS = ("zh", "en")

STRINGS: dict[str, tuple[str, str]] = {
    # app and navigation
    "app.title": ("civtui 民政探访", "civtui home visits"),
    "nav.dashboard": ("首页", "Dashboard"),
    "nav.roster": ("名册", "Roster"),
    "nav.pending": ("待同步", "Pending"),
    "nav.help": ("帮助", "Help"),
    "nav.back": ("返回", "Back"),
    "nav.quit": ("退出", "Quit"),
    "nav.sync": ("同步", "Sync"),
    "nav.lang": ("切换语言", "Switch language"),
    "nav.palette": ("命令", "Commands"),
    "cmd.dashboard": (
        "打开首页：本月覆盖率和待访名单",
        "Open the dashboard: coverage and work list",
    ),
    "cmd.roster": (
        "打开对象名册，按姓名、拼音或身份证尾号查找",
        "Open the roster and search people",
    ),
    "cmd.pending": ("查看尚未同步的修改", "Show changes not yet synced"),
    "cmd.help": ("列出所有快捷键", "List every key"),
    "cmd.new_person": ("登记新的服务对象", "Register a new person"),
    "cmd.visit_first": ("为待访名单第一位记录探访", "Record a visit for the first person due"),
    "cmd.lang": ("在中文和英文界面之间切换", "Switch between Chinese and English"),
    "cmd.sync": ("与乡镇服务器同步", "Sync with the township server"),
    # dashboard
    "dash.coverage": ("本月探访覆盖率", "Coverage this month"),
    "dash.category": ("类别", "Category"),
    "dash.required": ("应访", "Due"),
    "dash.contacted": ("已访", "Done"),
    "dash.rate": ("覆盖率", "Rate"),
    "dash.overall": ("合计", "All"),
    "dash.worklist": ("待访名单", "Work list"),
    "dash.needs": ("老人需求", "Elder needs"),
    "dash.high_risk": ("高风险儿童", "High-risk children"),
    "dash.none": ("无", "None"),
    "dash.empty": ("本月重点对象均已探访", "Everyone due this month has been visited"),
    "dash.visit": ("记录探访", "Record visit"),
    "dash.open": ("查看", "Open"),
    "col.state": ("状态", "State"),
    "col.name": ("姓名", "Name"),
    "col.age": ("年龄", "Age"),
    "col.sex": ("性别", "Sex"),
    "col.village": ("村(社区)", "Village"),
    "col.categories": ("类别", "Categories"),
    "col.last": ("上次探访", "Last contact"),
    "col.id": ("身份证号", "ID number"),
    "col.status": ("状态", "Status"),
    "state.overdue": ("逾期", "Overdue"),
    "state.due": ("待访", "Due"),
    "state.high_risk": ("高风险", "High risk"),
    "state.urgent": ("急需", "Urgent"),
    "never": ("从未", "Never"),
    "status.pending": ("待同步 {n} 条", "{n} pending"),
    "status.last_sync": ("上次同步：{when}", "Last sync: {when}"),
    "status.never_synced": ("从未同步", "never synced"),
    "status.month": ("{year}年{month}月", "{year}-{month:02d}"),
    # roster
    "roster.search": (
        "搜索：姓名 / 拼音 / 首字母 / 身份证尾号",
        "Search: name, pinyin, initials, ID tail",
    ),
    "roster.all_categories": ("全部类别", "All categories"),
    "roster.all_villages": ("全部村(社区)", "All villages"),
    "roster.all_statuses": ("全部状态", "All statuses"),
    "roster.count": ("共 {n} 人", "{n} people"),
    "roster.new": ("新增对象", "New person"),
    "roster.limited": (
        "，显示前{n}人，请输入更多字缩小范围",
        ", first {n} shown: type more to narrow",
    ),
    "roster.focus_search": ("搜索", "Search"),
    # person view
    "person.profile": ("基本信息", "Profile"),
    "person.timeline": ("记录", "Timeline"),
    "person.household": ("同户成员", "Household"),
    "person.derived": ("（自动）", " (auto)"),
    "person.guardian": ("监护人", "Guardian"),
    "person.emergency": ("紧急联系人", "Emergency contact"),
    "person.adl": ("最近能力评估", "Latest ADL"),
    "person.no_adl": ("未评估", "Not assessed"),
    "person.reveal": ("显示/隐藏身份证号", "Show/hide ID"),
    "person.visit": ("新探访", "New visit"),
    "person.check": ("新随访", "New check"),
    "person.need": ("新需求", "New need"),
    "person.need_status": ("更新需求", "Update need"),
    "person.assess": ("能力评估", "Assessment"),
    "person.edit": ("编辑", "Edit"),
    "person.add_member": ("同户新增", "Add to household"),
    "person.age": ("{age}岁", "{age} y"),
    "person.no_open_need": ("此人没有未结案的需求", "This person has no open need"),
    "person.not_child": (
        "儿童随访只适用于未满18周岁的儿童",
        "Child checks are for children under 18",
    ),
    "person.not_elder": ("能力评估适用于60岁及以上的老人", "Assessments are for people aged 60+"),
    "kind.visit": ("探访", "Visit"),
    "kind.check": ("儿童随访", "Child check"),
    "kind.need": ("需求", "Need"),
    "kind.need_step": ("需求进展", "Need update"),
    "kind.assessment": ("能力评估", "Assessment"),
    "col.date": ("日期", "Date"),
    "col.kind": ("类型", "Kind"),
    "col.summary": ("内容", "Summary"),
    # forms
    "form.save": ("保存", "Save"),
    "form.cancel": ("取消", "Cancel"),
    "form.saved": ("已保存", "Saved"),
    "form.fix": ("有{n}处需要修改，见标红的栏目", "{n} field(s) need fixing, marked in red"),
    "form.visit": ("探访记录：{name}", "Visit: {name}"),
    "form.check": ("儿童随访：{name}", "Child check: {name}"),
    "form.need": ("老人需求：{name}", "Elder need: {name}"),
    "form.need_status": ("需求进展：{name} · {need}", "Need update: {name} · {need}"),
    "form.assessment": ("能力评估（Barthel 指数）：{name}", "ADL assessment (Barthel): {name}"),
    "form.person_new": ("登记服务对象", "New person"),
    "form.person_edit": ("编辑：{name}", "Edit: {name}"),
    "form.total": ("总分 {total} · {level}", "Total {total} · {level}"),
    "form.hint_report": (
        "风险等级为“高”时须填写强制报告时间和对象",
        "High risk needs the mandatory report details",
    ),
    "form.save_busy": (
        "数据文件正被其他程序占用（如正在导入），没有保存；内容仍在表单里，请稍后再按 Ctrl+S",
        "The data file is busy (an import?); nothing was saved. Your input is still here: "
        "press Ctrl+S again in a moment",
    ),
    "form.save_failed": (
        "没有保存（{error}）；内容仍在表单里。请检查磁盘空间后再按 Ctrl+S",
        "Not saved ({error}); your input is still here. Check the disk, then press Ctrl+S",
    ),
    "form.save_deleted": (
        "这条记录刚在同步中被他人删除，不能再修改；按 Esc 返回",
        "Someone deleted this record (it came with a sync); it cannot be changed. Esc goes back",
    ),
    "form.discard_title": ("放弃未保存的内容？", "Discard unsaved input?"),
    "form.discard_yes": ("放弃", "Discard"),
    "form.discard_no": ("继续填写", "Keep editing"),
    "form.duplicate_id": (
        "身份证号已登记为“{name}”（{village}）；请打开该对象的记录而不是重复登记",
        "This ID number is already registered as {name} ({village})",
    ),
    "form.duplicate_name": (
        "疑似重复：已有同名同生日的“{name}”（{id}）。仍要保存？",
        "Possible duplicate: {name} ({id}) has the same name and birth date. Save anyway?",
    ),
    "form.save_anyway": ("仍要保存", "Save anyway"),
    "form.go_back": ("返回修改", "Go back"),
    "form.choose": ("请选择", "Choose"),
    "hint.id_number": ("18位，末位可为X", "18 characters, the last may be X"),
    "hint.phone": ("13905801234 / 0580-2012345", "13905801234 / 0580-2012345"),
    "hint.reported_to": ("乡镇(街道)民政办 / 110", "Township office / police 110"),
    "short.living": ("居住", "home "),
    "short.health": ("健康", "health "),
    "short.mood": ("精神", "mood "),
    "short.risk": ("风险", "risk "),
    "barthel.2.0": ("自理", "independent"),
    "barthel.2.1": ("需帮助", "needs help"),
    "barthel.3.0": ("自理", "independent"),
    "barthel.3.1": ("需部分帮助", "needs some help"),
    "barthel.3.2": ("完全依赖", "dependent"),
    "barthel.4.0": ("自理", "independent"),
    "barthel.4.1": ("需少量帮助", "minor help"),
    "barthel.4.2": ("需大量帮助", "major help"),
    "barthel.4.3": ("完全依赖", "dependent"),
    "form.yes": ("是", "Yes"),
    "form.no": ("否", "No"),
    "person.contact": ("探访/随访", "Visit/check"),
    "tip.visit": (
        "为选中的人记录探访或儿童随访",
        "Record a visit or child check for the highlighted person",
    ),
    "tip.save": ("校验并保存", "Check and save"),
    "tip.cancel": ("离开；有未保存内容时先确认", "Leave; asks first if anything was typed"),
    "tip.contact": ("新探访（儿童为新随访）", "New visit (child check for a child)"),
    # pending
    "pending.title": ("待同步的修改", "Changes not yet synced"),
    "pending.none": ("所有修改均已同步", "Everything is synced"),
    "pending.when": ("时间", "When"),
    "pending.record": ("记录", "Record"),
    "pending.op": ("操作", "Change"),
    "pending.result": ("结果", "Result"),
    "op.insert": ("新增", "New"),
    "op.update": ("修改", "Edit"),
    "op.delete": ("删除", "Delete"),
    "result.pending": ("待同步", "Pending"),
    "result.accepted": ("已接收", "Accepted"),
    "result.conflict": ("有冲突", "Conflict"),
    "result.rejected": ("被拒绝", "Rejected"),
    "table.villages": ("村(社区)", "Village"),
    "table.staff": ("工作人员", "Staff"),
    "table.households": ("户", "Household"),
    "table.persons": ("服务对象", "Person"),
    "table.visits": ("探访", "Visit"),
    "table.child_checks": ("儿童随访", "Child check"),
    "table.elder_needs": ("老人需求", "Elder need"),
    "table.need_status_changes": ("需求进展", "Need update"),
    "table.assessments": ("能力评估", "Assessment"),
    "table.visit_policy": ("探访频次", "Visit policy"),
    # reports and exports
    "report.coverage": ("各村(社区)探访覆盖率", "Coverage by village"),
    "report.eligible": ("政策找人", "Possibly eligible"),
    "report.action": ("建议", "Suggest"),
    "report.reason": ("依据", "Because"),
    "report.add": ("增加", "Add"),
    "report.remove": ("去掉", "Remove"),
    "cmd.coverage": (
        "各村(社区)、各类别的本月覆盖率",
        "This month's coverage by village and category",
    ),
    "cmd.eligible": (
        "看起来符合某类别却未标记的人",
        "People who look eligible but are not flagged",
    ),
    "cmd.export_visits": ("导出本月探访台账（Excel）", "Export this month's visit ledger (Excel)"),
    "cmd.export_checks": (
        "导出本月儿童随访台账（Excel）",
        "Export this month's child-check ledger",
    ),
    "cmd.export_needs": ("导出老人需求台账（Excel）", "Export the elder-needs ledger"),
    "export.visits": ("探访台账", "Visit ledger"),
    "export.checks": ("儿童随访台账", "Child-check ledger"),
    "export.needs": ("老人需求台账", "Elder-needs ledger"),
    "export.running": ("正在导出{what}…", "Exporting {what}…"),
    "export.where": (
        "把{what}导出到哪个文件夹（或文件）？",
        "Which folder (or file) should the {what} go to?",
    ),
    "export.done": ("已导出{what}：{path}", "{what} saved: {path}"),
    "export.failed": ("导出失败：{error}", "Export failed: {error}"),
    # sync
    "sync.not_logged_in": (
        "尚未登录同步服务器；请在命令行运行 civtui login --server 地址",
        "Not logged in; run civtui login --server URL",
    ),
    "sync.running": ("正在同步…", "Syncing…"),
    "sync.push": ("上传 {done}/{total}", "Uploading {done}/{total}"),
    "sync.pull": ("下载 {done}", "Downloading {done}"),
    "sync.auto": ("自动同步开/关", "Auto sync on/off"),
    "sync.auto_on": (
        "已开启自动同步：联网时每5分钟同步一次",
        "Auto sync on: every 5 minutes when online",
    ),
    "sync.auto_off": ("已关闭自动同步", "Auto sync off"),
    "cmd.auto_sync": ("联网时自动同步", "Sync by itself when a connection appears"),
    "status.online": ("在线", "online"),
    "status.offline": ("离线", "offline"),
    "status.unknown": ("未连接", "not connected"),
    "status.signed_out": ("未登录", "not logged in"),
    "dash.sync": ("同步", "Sync"),
    "person.conflicts": ("同步冲突", "Sync conflicts"),
    "person.choose": ("处理冲突", "Resolve conflict"),
    "person.no_conflict": ("没有待处理的同步冲突", "No open sync conflicts"),
    "conflict.title": ("选择要保留的值", "Choose the value to keep"),
    "conflict.kept": ("现值", "Current"),
    "conflict.lost": ("另一设备的值", "Other device's value"),
    "conflict.use_lost": ("改用另一设备的值", "Use the other value"),
    "conflict.keep": ("保留现值", "Keep current"),
    # help
    "help.title": ("快捷键", "Keys"),
    "help.where": ("位置", "Where"),
    "help.key": ("按键", "Key"),
    "help.action": ("作用", "Action"),
    "help.everywhere": ("任何页面", "Everywhere"),
    "help.forms": ("表单", "Forms"),
    "help.palette": ("命令面板（所有功能）", "Command palette (every action)"),
    # setup
    "setup.title": ("首次使用：创建本机档案", "First use: create this laptop's profile"),
    "setup.intro": (
        "填写你服务的村(社区)和你的姓名。只想先看看？在命令行运行 civtui demo 生成演示数据。",
        "Enter your village and your name. Just looking? Run `civtui demo` for a demo profile.",
    ),
    "setup.village_code": ("村(社区)代码（12位）", "Village code (12 digits)"),
    "setup.village_name": ("村(社区)名称", "Village name"),
    "setup.township": ("乡镇(街道)", "Township"),
    "setup.staff": ("你的姓名", "Your name"),
    "setup.role": ("角色", "Role"),
    "setup.create": ("创建", "Create"),
}

#: English labels of model fields; Chinese ones are the models' own titles.
FIELD_EN: dict[str, str] = {
    "name": "Name",
    "id_number": "ID number",
    "phone": "Phone",
    "address": "Address",
    "categories": "Categories",
    "status": "Status",
    "disability_grade": "Disability grade",
    "guardian_name": "Guardian",
    "guardian_relation": "Relation",
    "guardian_phone": "Guardian phone",
    "emergency_contact_name": "Emergency contact",
    "emergency_contact_phone": "Contact phone",
    "registered_on": "Registered on",
    "notes": "Notes",
    "village_code": "Village",
    "household_id": "Household",
    "visit_date": "Date",
    "visitor": "Visitor",
    "mode": "Mode",
    "living_condition": "Living condition",
    "health": "Health",
    "safety_hazards": "Hazards",
    "mood": "Mood",
    "follow_up_needed": "Follow-up needed",
    "follow_up_note": "Follow-up",
    "check_date": "Date",
    "checker": "Checked by",
    "guardian_situation": "Guardian situation",
    "school_status": "School",
    "risk_flags": "Risk flags",
    "allowance_received": "Allowance received",
    "risk_level": "Risk level",
    "reported_at": "Reported at",
    "reported_to": "Reported to",
    "need_type": "Need",
    "urgency": "Urgency",
    "description": "Description",
    "referred_to": "Referred to",
    "raised_on": "Raised on",
    "to_status": "New status",
    "note": "Note",
    "assessed_on": "Date",
    "assessor": "Assessor",
    "feeding": "Feeding",
    "bathing": "Bathing",
    "grooming": "Grooming",
    "dressing": "Dressing",
    "bowels": "Bowels",
    "bladder": "Bladder",
    "toilet": "Toilet use",
    "transfer": "Transfer",
    "mobility": "Mobility",
    "stairs": "Stairs",
}


class Said(str):
    """A message for a person: the string is the Chinese, `.en` the English."""

    en: str

    def __new__(cls, zh: str, en: str) -> Said:
        said = super().__new__(cls, zh)
        said.en = en
        return said

    def in_(self, lang: str) -> str:
        return self.en if lang == "en" else str(self)


def said(key: str, **values: object) -> Said:
    """The catalogue's message `key` in both languages, filled in: for a rule below the
    screens and the CLI, which cannot know the reader's language when it raises."""
    zh, en = STRINGS[key]
    return Said(zh.format(**values), en.format(**values))


#: Textual's own command-palette entries, by their English text (see Translator.textual).
TEXTUAL_ZH = {
    "Theme": "配色主题",
    "Change the current theme": "更换界面配色",
    "Quit": "退出",
    "Quit the application as soon as possible": "立即退出程序（已保存的记录不受影响）",
    "Keys": "按键",
    "Show help for the focused widget and a summary of available keys": "显示当前栏目的说明和可用按键",
    "Hide the keys and widget help panel": "隐藏按键和说明面板",
    "Maximize": "放大",
    "Maximize the focused widget": "把当前栏目放大到整个窗口",
    "Minimize": "还原",
    "Minimize the widget and restore to normal size": "把放大的栏目还原",
    "Search for commands…": "输入要做的事，如“名册”“同步”…",
    "Screenshot": "截图",
    "Save an SVG 'screenshot' of the current screen": "把当前画面保存为 SVG 图片",
}


@dataclass(frozen=True)
class Translator:
    """Looks up display text for one language."""

    lang: str = "zh"

    def __call__(self, key: str, **values: Any) -> str:
        zh, en = STRINGS[key]
        text = en if self.lang == "en" else zh
        return text.format(**values) if values else text

    def maybe(self, text: str) -> str:
        """`text` translated if it is a key, else as given (binding descriptions)."""
        return self(text) if text in STRINGS else text

    def textual(self, text: str) -> str:
        """Textual's own English text in this language, where it is known; else as given."""
        return TEXTUAL_ZH.get(text, text) if self.lang == "zh" else text

    def of(self, model: type[BaseModel], name: str) -> str:
        """The label of a model field: its Chinese title, or the English one."""
        if self.lang == "en":
            return FIELD_EN.get(name, name)
        info = model.model_fields.get(name)
        return (info.title if info else None) or name


# Strings of one part of the app, kept in its own module (one line here per module).
from civtui.i18n_cli import CLI_HELP_EN, CLI_STRINGS  # noqa: E402
from civtui.i18n_policy import POLICY_HELP_EN  # noqa: E402
from civtui.i18n_policy import STRINGS as _POLICY_STRINGS  # noqa: E402
from civtui.i18n_security import SECURITY_HELP_EN  # noqa: E402
from civtui.i18n_security import STRINGS as _SECURITY_STRINGS  # noqa: E402
from civtui.i18n_server import SERVER_HELP_EN, SERVER_STRINGS  # noqa: E402
from civtui.i18n_sync import BUNDLE_HELP_EN, SYNC_STRINGS  # noqa: E402

STRINGS.update(CLI_STRINGS)
STRINGS.update(_POLICY_STRINGS)
STRINGS.update(_SECURITY_STRINGS)
STRINGS.update(SERVER_STRINGS)
STRINGS.update(SYNC_STRINGS)
CLI_HELP_EN.update(SERVER_HELP_EN)
CLI_HELP_EN.update(BUNDLE_HELP_EN)
CLI_HELP_EN.update(SECURITY_HELP_EN)
CLI_HELP_EN.update(POLICY_HELP_EN)


def _merge_tui_strings() -> None:
    from civtui.i18n_tui import FIELD_EN_TUI, STRINGS_TUI, TEXTUAL_ZH_TUI

    STRINGS.update(STRINGS_TUI)
    FIELD_EN.update(FIELD_EN_TUI)
    TEXTUAL_ZH.update(TEXTUAL_ZH_TUI)


_merge_tui_strings()

from civtui.i18n_conflict import CONFLICT_STRINGS  # noqa: E402

STRINGS.update(CONFLICT_STRINGS)


def _merge_rules_strings() -> None:
    from civtui.i18n_rules import STRINGS as RULES_STRINGS

    STRINGS.update(RULES_STRINGS)


_merge_rules_strings()


def _merge_history_strings() -> None:
    from civtui.i18n_history import STRINGS_HISTORY

    STRINGS.update(STRINGS_HISTORY)


_merge_history_strings()


def _merge_screen_strings() -> None:
    from civtui.i18n_screen import STRINGS_SCREEN

    STRINGS.update(STRINGS_SCREEN)


_merge_screen_strings()
