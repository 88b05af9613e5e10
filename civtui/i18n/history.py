"""Strings for a record's history as sync brings it and for drafts kept when the terminal
closed."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # a record's history: steps another laptop made, as sync brought them
    "history.pulled_update": ("修改（同步带来）{what}", "changed (brought by sync) {what}"),
    "history.pulled_insert": ("新增（同步带来）", "new (brought by sync)"),
    "history.pulled_delete": ("删除（同步带来）", "deleted (brought by sync)"),
    "history.field": ("{field}：{old} → {new}", "{field}: {old} → {new}"),
    # drafts: a form's input kept when the terminal went away
    "draft.title": ("上次未保存的输入：", "Input not saved last time:"),
    "draft.offer": (
        "{what}\n保存于 {when}\n\n按 Enter 继续填写，按 Del 丢弃，按 Esc 以后再说。",
        "{what}\nkept at {when}\n\nEnter: go on filling it in; Del: discard it; Esc: later.",
    ),
    "draft.what": ("{name} 的{form}", "{form} for {name}"),
    "draft.form.visit": ("探访记录", "visit"),
    "draft.form.check": ("儿童随访", "child check"),
    "draft.form.need": ("需求登记", "need"),
    "draft.form.need_status": ("需求进展", "need update"),
    "draft.form.assessment": ("能力评估", "assessment"),
    "draft.form.person": ("服务对象信息", "person's details"),
    "draft.form.new_person": ("新增服务对象", "new person"),
    "draft.correcting": ("更正 · {what}", "correcting · {what}"),
    "draft.resume": ("继续填写", "Go on"),
    "draft.discard": ("丢弃", "Discard"),
    "draft.later": ("以后再说", "Later"),
    "draft.discarded": ("已丢弃上次未保存的输入", "Input from last time discarded"),
    "draft.gone": (
        "这份输入所属的记录已不在（已删除或同步后改动），已丢弃",
        "The record this input was for is gone (deleted, or changed by sync); discarded",
    ),
    # a record's history: a pulled value that beat this laptop's own concurrent edit
    "history.lost_here": (
        "（本机同时改为 {value}，未被采用）",
        " (this laptop's {value}, made at the same time, was not kept)",
    ),
}
