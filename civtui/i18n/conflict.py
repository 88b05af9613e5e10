"""What the conflict flow says, in Chinese and English: the sync summary's named conflicts
(`sync.protocol.Code.CONFLICT_FOUND` and the codes after it, rendered by `sync.words`) and
the dialog that settles one (`screens.conflict`).
"""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    # -- the sync summary
    "sync.code.conflict_found": (
        "冲突：{who} · {what}（{side}{where}）",
        "Conflict: {who} · {what} ({side}{where})",
    ),
    "sync.code.conflicts_more": ("还有 {count} 处冲突", "{count} more conflicts"),
    "sync.code.conflicts_closed": (
        "{count} 处冲突已在另一设备上处理，本机已关闭",
        "{count} conflicts were resolved on another device and are closed here",
    ),
    "conflict.what": ("{table}的{field}", "{table}: {field}"),
    "conflict.side.lost_here": ("本机的值未被采用", "this laptop's value was not kept"),
    "conflict.side.kept_here": (
        "本机的值已保留，另一设备的值未被采用",
        "this laptop's value was kept over another device's",
    ),
    "conflict.side.others": ("两台其他设备的修改冲突", "two other devices' edits clashed"),
    "conflict.side.deleted": (
        "记录已被删除，修改未生效",
        "the record was deleted, so the edit did not apply",
    ),
    "conflict.where": ("，可在人员页按 c 处理", "; press c on the person's page to choose"),
    "conflict.where_list": (
        "，可在待同步页按 c 处理",
        "; press c on the Pending page to choose",
    ),
    # -- the list of every open conflict (screens.conflicts), opened from 待同步
    "conflicts.title": ("未处理的同步冲突（{count}）", "Open sync conflicts ({count})"),
    "conflicts.none": ("没有未处理的同步冲突", "No open sync conflicts"),
    "conflicts.field": ("内容", "Field"),
    "conflicts.whose": ("该值来自", "Whose"),
    "conflicts.open": ("处理", "Choose"),
    "pending.conflicts_key": ("冲突", "Conflicts"),
    "pending.conflicts_hint": (
        "{title} · 同步冲突 {count} 处，按 c 处理",
        "{title} · {count} sync conflicts, c to choose",
    ),
    # -- the dialog
    "conflict.heading": ("同步冲突：{label}", "Sync conflict: {label}"),
    "conflict.explain": (
        "两台设备都修改了这一项，同步先采用了较晚的修改。请选择要保留的值。",
        "Two devices changed this at the same time; sync took the later change. "
        "Choose the value to keep.",
    ),
    "conflict.current": ("现值", "Current value"),
    "conflict.whose": ("（{whose}）", " ({whose})"),
    "conflict.use": ("改用另一值", "Use the other value"),
    "conflict.mine": ("本机的值", "this laptop's value"),
    "conflict.theirs": ("另一设备的值", "the other device's value"),
    "conflict.edited_since": ("之后又修改过", "changed since"),
    "conflict.not_taken": ("未被采用的值", "Value not kept"),
    "conflict.use_mine": ("改用本机的值", "Use this laptop's value"),
    "conflict.use_theirs": ("改用另一设备的值", "Use the other device's value"),
    "conflict.keep_current": ("保留现值", "Keep current value"),
    "conflict.close": ("关闭", "Close"),
    "conflict.gone": (
        "这条记录已被删除；未被采用的值仍保留在这里，无法再写入。",
        "This record was deleted; the value not kept is shown here but can no longer be written.",
    ),
    "conflict.same": (
        "现值已与未被采用的值相同，无需选择。",
        "The current value already equals the value not kept: nothing to choose.",
    ),
    "conflict.closed_elsewhere": (
        "这个冲突已在另一设备上处理，本机已关闭；现值如上。",
        "This conflict was resolved on another device and is closed here; the current "
        "value is shown above.",
    ),
    "conflict.changed": (
        "记录刚刚有了变化（同步或另一处修改），已按现值重新显示；请再选一次。",
        "The record just changed (a sync or another edit); the dialog now shows it as it "
        "is. Choose again.",
    ),
    "conflict.empty": ("（空）", "(empty)"),
    "conflict.deleted_value": ("（已删除）", "(deleted)"),
    # -- a value made under an id this profile gave up, after the last change it made there
    "conflict.copy": (
        "本机档案另一副本的值（或本机恢复备份前的值）",
        "another copy of this profile's value (or this laptop's, before it was restored)",
    ),
    "conflict.use_copy": ("改用该副本的值", "Use that copy's value"),
}
