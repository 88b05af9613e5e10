"""Monthly ledgers (台账) the township can print: visits, child checks and elder needs.

Each ledger is a list of sheets built from the store; `write` turns them into a
printable workbook (A4 landscape, frozen header, column widths) or, for a .csv
path, the first sheet in UTF-8 with a BOM so Excel opens it in Chinese.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from civtui.domain.choices import Category, Choice, Frequency, NeedStatus
from civtui.domain.models import ChildCheck, ElderNeed, NeedStatusChange, Person, Visit
from civtui.domain.policy import add_months, month_start
from civtui.services import reports
from db import Store, queries, standings
from db.queries import PersonRow
from db.standings import Standings

#: The two kinds of contact a month's ledger lists.
C = TypeVar("C", Visit, ChildCheck)

Cell = str | int | float | None


@dataclass
class Sheet:
    title: str
    headers: list[str]
    widths: list[int]
    rows: list[list[Cell]] = field(default_factory=list)


def _labels(values: Sequence[Choice]) -> str:
    return "、".join(v.zh for v in values)


def _cats(cats: frozenset[Category]) -> str:
    order = list(Category)
    return "、".join(c.zh for c in sorted(cats, key=order.index))


def _month_bounds(month: dt.date) -> tuple[str, str]:
    start = month_start(month)
    end = add_months(start, 1) - dt.timedelta(days=1)
    return start.isoformat(), end.isoformat()


@dataclass(frozen=True)
class _Month:
    """What every sheet of a month's ledger reads, read once: people, villages, standings."""

    store: Store
    month: dt.date
    people: dict[str, PersonRow]
    names: dict[str, str]
    standings: dict[str, Standings]

    @classmethod
    def read(cls, store: Store, month: dt.date, today: dt.date) -> _Month:
        return cls(
            store,
            month,
            {r.id: r for r in queries.person_rows(store, today)},
            queries.village_names(store),
            reports.month_standings(store, month, today),
        )

    def records(self, kind: type[C], day_field: str) -> Iterator[tuple[C, PersonRow, str]]:
        """The month's visits or checks, each with its person and village name."""
        start, end = _month_bounds(self.month)
        where = f"{day_field} BETWEEN ? AND ?"
        for record in self.store.all(kind, where, [start, end], f"{day_field}, rowid"):
            p = self.people.get(record.person_id)
            if p is not None:
                yield record, p, self.names.get(p.village_code, p.village_code)


_RATE_ZH = {Frequency.MONTHLY: "月探访率", Frequency.QUARTERLY: "季度探访率"}
_GROUP_ZH = {"adult": "成人", "child": "儿童"}


def _coverage_sheet(ctx: _Month, children: bool) -> Sheet:
    """Both rates, each village's 合计 = 成人 + 儿童, then this ledger's group by category."""
    sheet = Sheet(
        "覆盖率",
        ["村(社区)", "口径", "人群", "类别", "应访", "已访", "覆盖率", "补录"],
        [14, 12, 8, 18, 8, 8, 8, 8],
    )
    group = "child" if children else "adult"
    rows = reports.with_reports(
        ctx.store, ctx.month, reports.coverage_rows(ctx.standings, ctx.names)
    )
    for row in rows:
        if row.category is not None and row.group != group:
            continue
        rate = f"{row.rate:.0%}" if row.rate is not None else "—"
        who = _GROUP_ZH[row.group] if row.group else "合计"
        label = row.category.zh if row.category else "小计" if row.group else "合计"
        sheet.rows.append(
            [
                row.village,
                _RATE_ZH[row.rate_kind],
                who,
                label,
                row.required,
                row.contacted,
                rate,
                row.late,
            ]
        )
    return sheet


def _due_sheet(ctx: _Month, children: bool) -> Sheet:
    sheet = Sheet(
        "待访名单",
        ["村(社区)", "姓名", "身份证号", "年龄", "类别", "上次探访", "是否逾期"],
        [12, 10, 21, 6, 24, 12, 8],
    )
    for code, village in ctx.standings.items():
        for item in standings.work_list(ctx.store, village, village_code=code):
            row = ctx.people[item.person_id]
            if row.is_child != children:
                continue
            sheet.rows.append(
                [
                    ctx.names[code],
                    row.name,
                    row.masked_id,
                    row.age,
                    _cats(row.categories),
                    item.last_contact.isoformat() if item.last_contact else "从未",
                    "逾期" if item.overdue else "",
                ]
            )
    return sheet


def visits(store: Store, month: dt.date, today: dt.date) -> list[Sheet]:
    """探访台账: one row per visit in the month, then coverage, then who is still due."""
    ledger = Sheet(
        "探访台账",
        [
            "村(社区)",
            "姓名",
            "身份证号",
            "类别",
            "探访日期",
            "方式",
            "居住状况",
            "健康状况",
            "精神状态",
            "安全隐患",
            "探访情况",
            "需要跟进",
            "跟进事项",
            "探访人",
        ],
        [12, 10, 21, 18, 12, 6, 8, 8, 8, 14, 30, 8, 20, 10],
    )
    ctx = _Month.read(store, month, today)
    for v, p, village in ctx.records(Visit, "visit_date"):
        ledger.rows.append(
            [
                village,
                p.name,
                p.masked_id,
                _cats(p.categories),
                v.visit_date.isoformat(),
                v.mode.zh,
                v.living_condition.zh,
                v.health.zh,
                v.mood.zh,
                _labels(v.safety_hazards),
                v.notes,
                "是" if v.follow_up_needed else "否",
                v.follow_up_note,
                v.visitor,
            ]
        )
    return [
        ledger,
        _coverage_sheet(ctx, children=False),
        _due_sheet(ctx, children=False),
    ]


def child_checks(store: Store, month: dt.date, today: dt.date) -> list[Sheet]:
    """儿童随访台账: one row per check in the month, coverage of child categories, who is due."""
    ledger = Sheet(
        "儿童随访台账",
        [
            "村(社区)",
            "姓名",
            "身份证号",
            "年龄",
            "类别",
            "随访日期",
            "监护情况",
            "就学情况",
            "健康状况",
            "风险因素",
            "风险等级",
            "强制报告时间",
            "报告对象",
            "补贴到位",
            "随访人",
        ],
        [12, 10, 21, 6, 16, 12, 12, 8, 8, 14, 8, 16, 16, 8, 10],
    )
    ctx = _Month.read(store, month, today)
    for c, p, village in ctx.records(ChildCheck, "check_date"):
        ledger.rows.append(
            [
                village,
                p.name,
                p.masked_id,
                p.age,
                _cats(p.categories),
                c.check_date.isoformat(),
                c.guardian_situation.zh,
                c.school_status.zh,
                c.health.zh,
                _labels(c.risk_flags),
                c.risk_level.zh,
                c.reported_at.strftime("%Y-%m-%d %H:%M") if c.reported_at else "",
                c.reported_to,
                "是" if c.allowance_received else "否",
                c.checker,
            ]
        )
    return [
        ledger,
        _coverage_sheet(ctx, children=True),
        _due_sheet(ctx, children=True),
    ]


def needs(store: Store, today: dt.date, statuses: set[NeedStatus] | None = None) -> list[Sheet]:
    """老人需求台账: each need with its current status, then every status step."""
    ledger = Sheet(
        "老人需求台账",
        [
            "村(社区)",
            "姓名",
            "身份证号",
            "需求类型",
            "紧急程度",
            "需求描述",
            "状态",
            "转介至",
            "提出日期",
            "登记人",
            "办理结果",
        ],
        [12, 10, 21, 12, 8, 30, 8, 12, 12, 10, 24],
    )
    history = Sheet(
        "办理记录",
        ["姓名", "需求类型", "原状态", "新状态", "时间", "经办人", "说明"],
        [10, 12, 8, 8, 18, 10, 30],
    )
    people = {p.id: p for p in store.all(Person)}
    names = queries.village_names(store)
    shown: dict[str, ElderNeed] = {}
    for n in store.all(ElderNeed, order_by="raised_on, rowid"):
        if statuses and n.status not in statuses:
            continue
        p = people.get(n.person_id)
        if p is None:
            continue
        shown[n.id] = n
        ledger.rows.append(
            [
                names.get(p.village_code, p.village_code),
                p.name,
                p.masked_id,
                n.need_type.zh,
                n.urgency.zh,
                n.description,
                n.status.zh,
                n.referred_to.zh if n.referred_to else "",
                n.raised_on.isoformat(),
                n.raised_by,
                n.resolution_note,
            ]
        )
    for step in store.all(NeedStatusChange, order_by="changed_at, rowid"):
        need = shown.get(step.need_id)
        if need is None:
            continue
        history.rows.append(
            [
                people[need.person_id].name,
                need.need_type.zh,
                step.from_status.zh if step.from_status else "",
                step.to_status.zh,
                step.changed_at.strftime("%Y-%m-%d %H:%M"),
                step.staff,
                step.note,
            ]
        )
    return [ledger, history]


_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def write(path: Path, sheets: list[Sheet], title: str) -> None:
    """Save `sheets` as a printable .xlsx, or the first sheet as a .csv."""
    if path.suffix.lower() == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(sheets[0].headers)
            writer.writerows(sheets[0].rows)
        return
    if path.suffix.lower() != ".xlsx":
        raise ValueError(
            f"不支持 {path.suffix or '无扩展名'} 文件；请用 .xlsx 或 .csv 结尾的文件名"
        )
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet in sheets:
        ws = book.create_sheet(sheet.title)
        ws.append(sheet.headers)
        for row in sheet.rows:
            ws.append(row)
        for index, width in enumerate(sheet.widths, start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = _HEADER_FILL
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.oddHeader.center.text = f"{title} — {sheet.title}"
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
    book.save(path)
