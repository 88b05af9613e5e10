"""Strings for opening, correcting and tracing records, the follow-up list and the guards
against losing typed input."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # one saved record
    "record.correcting": ("更正 · {what}", "Correcting · {what}"),
    "record.history": ("修改记录", "History"),
    "help.record": ("一条记录", "A record"),
    "record.correct": ("更正", "Correct"),
    "record.delete": ("删除", "Delete"),
    "record.total": ("总分", "Total"),
    "record.by_me": ("{staff}（本机 {device}）", "{staff} (this laptop, {device})"),
    "record.by_other": ("另一台电脑 {device}", "another laptop, {device}"),
    "record.remote": ("修改（同步带来）", "changed (brought by sync)"),
    "record.lost": ("同时修改、未被采用：{what}", "concurrent edit not kept: {what}"),
    "record.deleted": ("已删除这条{what}记录", "{what} record deleted"),
    "record.delete_question": (
        "删除这条{what}记录？删除会同步到乡镇，请写明原因。",
        "Delete this {what} record? The deletion is synced to the township; say why.",
    ),
    "record.reason_hint": (
        "删除原因，如：录错了人、重复录入",
        "Why, e.g. wrong person, entered twice",
    ),
    "record.reason_needed": ("请写明删除原因", "Say why it is deleted"),
    "tip.correct": (
        "更正这条记录（只保存改动的栏目）",
        "Correct this record (only changed fields are saved)",
    ),
    "tip.delete": ("删除这条记录（需写明原因）", "Delete this record (asks why)"),
    "tip.done": ("把跟进事项标记为已完成", "Mark the follow-up as done"),
    "tip.open_record": ("查看光标所在的记录", "Open the record under the cursor"),
    "person.open": ("查看", "Open"),
    # the person screen's footer, short enough for 80 columns
    "key.contact": ("探访", "Visit"),
    "key.need": ("需求", "Need"),
    "key.need_status": ("进展", "Step"),
    "key.assess": ("评估", "ADL"),
    "key.add_member": ("同户", "Add"),
    "key.reveal": ("证号", "ID"),
    "key.conflict": ("冲突", "Choose"),
    # follow-ups
    "followup.title": ("待跟进", "Follow-ups"),
    "followup.done": ("跟进完成", "Follow-up done"),
    "followup.none_here": ("这条记录没有待办的跟进事项", "This record has no open follow-up"),
    "followup.only_follow_ups": (
        "只有探访或随访的跟进事项可以直接标记完成；需求请用 u 更新进展",
        "Only a visit's or check's follow-up is marked done here; move a need on with u",
    ),
    "followup.kind.visit": ("探访跟进", "Visit follow-up"),
    "followup.kind.check": ("随访跟进", "Check follow-up"),
    "followup.kind.need": ("需求", "Need"),
    "followup.kind.report": ("缺强制报告", "Report missing"),
    "followup.kind.assessment": ("评估过期", "ADL expired"),
    "followup.days": ("{n}天", "{n}d"),
    "followup.assessed": ("上次评估 {day}", "last assessed {day}"),
    "followup.report": ("高风险，未填报告时间或对象", "high risk, no report recorded"),
    "col.what": ("事项", "What"),
    "col.waiting": ("已等", "Waiting"),
    "dash.followups": ("待跟进", "Follow-ups"),
    "dash.focus_followups": ("待跟进", "Follow-ups"),
    "tip.focus_followups": (
        "打开全部待跟进事项（逾期最久的在前）",
        "Open every follow-up (the most overdue first)",
    ),
    "dash.nobody_due": ("本月没有需要探访的重点对象", "Nobody is due a visit this month"),
    "sync.offline_toast": (
        "无法连接乡镇服务器（可能没有网络）。修改都已保存在本机，联网后会再同步。",
        "Sync: cannot reach the server (no network?). Every change is kept on this "
        "laptop and is synced once online.",
    ),
    "pending.newest": ("最新的修改", "Newest change"),
    "pending.oldest": ("最早的修改", "Oldest change"),
    "form.ok": ("知道了", "OK"),
    # losing typed input
    "quit.unsaved": (
        "有尚未保存的输入，退出会丢失。确定退出吗？",
        "Some input is not saved and would be lost. Quit anyway?",
    ),
    "quit.yes": ("退出", "Quit"),
    "leave.unsaved": (
        "有尚未保存的输入，离开会丢失。确定离开吗？",
        "Some input is not saved and would be lost. Leave anyway?",
    ),
    "leave.yes": ("离开", "Leave"),
    "derived.short": ("*自动得出", "* worked out"),
    "derived.legend": (
        "* 由系统根据年龄或能力评估得出",
        "* worked out from age or the ADL assessment",
    ),
    # an error nobody caught (civtui.app: the crash report)
    "crash.message": (
        "civtui 遇到意外错误（{error}）已关闭。已保存的记录都在；未保存的输入已留作草稿"
        "（{drafts} 份），重新打开 civtui 时可以继续填写。\n"
        "错误详情已写入 {path}，请把这个文件交给乡镇民政办或技术支持。",
        "civtui met an unexpected error ({error}) and closed. Saved records are safe; unsaved "
        "input was kept as {drafts} draft(s), offered back when you open civtui again.\n"
        "The details are in {path}: please send that file to the township office or support.",
    ),
    # the 待跟进 screen (screens/followups.py) and the keys of F1 (screens/help.py)
    "cmd.followups": (
        "所有待跟进事项，逾期最久的在前",
        "Every open follow-up, the most overdue first",
    ),
    "col.overdue": ("逾期", "Overdue"),
    "followup.search": (
        "搜索：姓名 / 拼音 / 首字母 / 跟进内容",
        "Search: name, pinyin, initials, what to do",
    ),
    "followup.all_kinds": ("全部事项", "All kinds"),
    "followup.count": ("共 {n} 项", "{n} open"),
    "followup.undo": ("撤销", "Undo"),
    "tip.undo": (
        "把刚才标记完成的跟进事项恢复为待跟进",
        "Reopen the follow-up just marked done",
    ),
    "followup.confirm": (
        "把 {name} 的「{what}」标记为跟进完成？\n标记后可按 z 撤销。",
        'Mark {name}\'s follow-up "{what}" as done?\nPress z afterwards to undo.',
    ),
    "followup.marked_undo": (
        "已标记 {name} 的跟进完成；按 z 撤销",
        "{name}'s follow-up marked done; press z to undo",
    ),
    "followup.reopened": (
        "已撤销：{name} 的跟进事项恢复为待跟进",
        "Undone: {name}'s follow-up is open again",
    ),
    "followup.nothing_to_undo": (
        "没有可撤销的跟进完成（只能撤销本次打开程序后标记的）",
        "Nothing to undo (only follow-ups marked since the app was opened)",
    ),
    "help.this_page": ("本页：{page}", "This page: {page}"),
    "help.confirm": ("确认框", "Yes/no question"),
    "help.draft": ("未保存的输入", "Unsaved input"),
    "help.dates": ("日期", "Dates"),
    "help.form_tab": ("到下一栏 / 上一栏", "Next / previous field"),
    "help.form_space": (
        "勾选或取消勾选；在多选栏中选中光标所在的项",
        "Tick or untick a box; in a multi-choice field, pick the item under the cursor",
    ),
    "help.form_enter": (
        "打开下拉列表，再按一次选定光标所在的项",
        "Open a drop-down list; press again to choose the item under the cursor",
    ),
    "help.form_arrows": (
        "在下拉列表或多选栏中上下移动",
        "Move up and down a drop-down list or a multi-choice field",
    ),
    "help.form_dates": (
        "可写 2026-11-20、2026/11/20、2026.11.20、2026年11月20日、20261120，"
        "今年的日子可只写 11-20；时间写在日期后，如 2026/11/22 9:30",
        "Write 2026-11-20, 2026/11/20, 2026.11.20 or 20261120, or 11-20 for this year; "
        "a time follows the day, as in 2026/11/22 9:30",
    ),
    "hint.findings_note": ("上面未列出的问题，用文字写", "A problem not listed above, in words"),
    "form.likely_duplicate": (
        "{day} 已有一条{kind}（{by}）：\n{summary}\n\n"
        "同一人同一天再存一条，多半是重复录入。仍要保存吗？",
        "There is already a {kind} on {day} ({by}):\n{summary}\n\n"
        "A second one for the same person and day is most often the same one entered twice. "
        "Save anyway?",
    ),
    "form.barthel_keys": (
        "每项按数字键选择（1 为最高分），光标自动到下一项；Ctrl+S 保存",
        "Press a digit for each item (1 is the highest score); the cursor moves on; Ctrl+S saves",
    ),
    "help.notes": ("备注栏", "Note field"),
    "help.form_note": (
        "备注可写多行：Enter 换行，Tab 到下一栏",
        "A note may take several lines: Enter starts a new line, Tab goes to the next field",
    ),
    # the dashboard while its slow panels are counted, after the first frame
    "dash.counting": ("计算中…", "Counting…"),
    # the work list's categories in two lines at most, and F1's word on them
    "dash.more_categories": ("+{n}", "+{n}"),
    "col.last_short": ("上次", "Seen"),
    "help.more_mark": ("类别 +2", "Categories +2"),
    "help.more_categories": (
        "待访名单的类别栏写不下的还有 2 个；长的类别名写作简称（如 无人抚养儿童），"
        "栏窄时“上次”即上次探访；人员页列出全部类别的全称",
        "2 more categories than the work list's column holds; a long name is short there "
        "(Dibao, Partly dep.), and where the list is narrow Seen is the last visit: the "
        "person's page lists every category in full",
    ),
    "followup.kind_what": ("{kind}：{what}", "{kind}: {what}"),
    "dash.title_none": ("{title}：{none}", "{title}: {none}"),
    "village.code_name": ("{code}（{name}）", "{code} ({name})"),
}

#: Textual's own English words that civtui's screens show, in Chinese.
TEXTUAL_ZH: dict[str, str] = {
    "Dismiss menu": "关闭列表",
    "No matches found": "没有找到匹配的命令",
}
