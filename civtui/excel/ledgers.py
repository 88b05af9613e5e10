"""Monthly ledgers (台账) the township can print: visits, child checks and elder needs.

Each ledger is a list of sheets built from the store; `write` turns them into a
printable workbook (A4 landscape, frozen header, column widths) or, for a .csv
path, the first sheet in UTF-8 with a BOM so Excel opens it in Chinese.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet as XlsxSheet

from civtui.domain.choices import (
    Category,
    Choice,
    Condition,
    Frequency,
    Mood,
    NeedStatus,
    Sex,
)
from civtui.domain.models import ChildCheck, ElderNeed, NeedStatusChange, Person, Visit
from civtui.domain.policy import add_months, month_start
from civtui.excel import cells
from civtui.excel.cells import Cell
from civtui.i18n import said
from civtui.services import reports
from db import Store, queries, standings
from db.queries import PersonRow
from db.standings import Standings

#: The two kinds of contact a month's ledger lists.
C = TypeVar("C", Visit, ChildCheck)


@dataclass
class Sheet:
    """One printed sheet: its tab name, the title printed above it, the table, the sign-off."""

    title: str
    headers: list[str]
    widths: list[int]
    rows: list[list[Cell]] = field(default_factory=list)
    #: The title row printed inside the sheet (village and month); the tab name if empty.
    heading: str = ""
    #: A 填表人 / 审核人 / 填表日期 line under the table, for the ledgers that are signed.
    signed: bool = False


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
    #: What the list rows do not carry (address, phones), by person.
    persons: dict[str, queries.Contact]
    #: Whole ID numbers (`civtui export --full-ids`); masked otherwise.
    full_ids: bool = False

    @classmethod
    def read(
        cls,
        store: Store,
        month: dt.date,
        today: dt.date,
        full_ids: bool = False,
        village: str | None = None,
    ) -> _Month:
        """The month of every village the store holds, or of `village` alone."""
        names = _chosen(queries.village_names(store), village)
        standing = reports.month_standings(store, month, today)
        return cls(
            store,
            month,
            {
                r.id: r
                for r in queries.person_rows(store, today)
                if village is None or r.village_code == village
            },
            names,
            {code: s for code, s in standing.items() if code in names},
            queries.contacts(store),
            full_ids,
        )

    def heading(self, what: str) -> str:
        """`海星村2026年11月探访台账`: the villages and the month the sheet covers."""
        return f"{'、'.join(self.names.values())}{self.month:%Y年%m月}{what}"

    def records(self, kind: type[C], day_field: str) -> Iterator[tuple[C, PersonRow, str]]:
        """The month's visits or checks, each with its person and village name."""
        start, end = _month_bounds(self.month)
        where = f"{day_field} BETWEEN ? AND ?"
        for record in self.store.all(kind, where, [start, end], f"{day_field}, rowid"):
            p = self.people.get(record.person_id)
            if p is not None:
                yield record, p, self.names.get(p.village_code, p.village_code)


def _chosen(names: dict[str, str], village: str | None) -> dict[str, str]:
    """The villages a ledger covers: all, or `village` alone (KeyError if not held)."""
    if village is None:
        return names
    return {village: names[village]}


def _sex(code: str) -> str:
    return Sex(code).zh


_RATE_ZH = {Frequency.MONTHLY: "月探访率", Frequency.QUARTERLY: "季度探访率"}
_GROUP_ZH = {"adult": "成人", "child": "儿童"}


def _coverage_sheet(ctx: _Month, children: bool) -> Sheet:
    """Both rates, each village's 合计 = 成人 + 儿童, then this ledger's group by category."""
    sheet = Sheet(
        "覆盖率",
        ["村(社区)", "口径", "人群", "类别", "应访", "已访", "覆盖率", "补录"],
        [14, 12, 8, 18, 8, 8, 8, 8],
        heading=ctx.heading("儿童随访覆盖率" if children else "探访覆盖率"),
    )
    group = "child" if children else "adult"
    rows = reports.with_reports(
        ctx.store, ctx.month, reports.coverage_rows(ctx.standings, ctx.names)
    )
    for row in rows:
        if (row.category is not None and row.group != group) or row.only_now:
            # A closed month prints exactly its 月报's rows (a row only today's records
            # have would add 0/0 lines its subtotals never counted).
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
    """Who is still due this month.

    The visit ledger's list holds everyone due, children too (marked 儿童随访), so the one
    printed work list misses no one; the child ledger's holds the children, by last check.
    """
    last = "上次随访" if children else "上次探访/随访"
    sheet = Sheet(
        "待随访名单" if children else "待访名单",
        ["序号", "村(社区)", "姓名", "性别", "年龄", "身份证号", "联系电话", "类别"]
        + ([] if children else ["应做"])
        + [last, "是否逾期"],
        [5, 12, 9, 5, 5, 20, 14, 22] + ([] if children else [9]) + [12, 8],
        heading=ctx.heading("待随访名单" if children else "待访名单"),
    )
    for code, village in ctx.standings.items():
        for item in standings.work_list(ctx.store, village, village_code=code):
            row = ctx.people[item.person_id]
            if children and not row.is_child:
                continue
            person = ctx.persons[row.id]
            phone = (person.guardian_phone if row.is_child else None) or person.phone or ""
            sheet.rows.append(
                [
                    len(sheet.rows) + 1,
                    ctx.names[code],
                    row.name,
                    _sex(row.sex),
                    row.age,
                    _id(row, ctx.full_ids),
                    phone,
                    _cats(row.categories),
                    *([] if children else ["儿童随访" if row.is_child else "探访"]),
                    item.last_contact.isoformat() if item.last_contact else "从未",
                    "是" if item.overdue else "否",
                ]
            )
    return sheet


def _problems(c: Visit | ChildCheck) -> str:
    """存在问题 as the record says it: the problems ticked and written, then what its other
    fields show (安全隐患 ticked, a poor condition, low spirits)."""
    found = c.found("zh")
    if isinstance(c, Visit):
        found += [h.zh for h in c.safety_hazards]
        if c.living_condition is Condition.POOR:
            found.append("居住状况较差")
        if c.health is Condition.POOR:
            found.append("健康状况较差")
        if c.mood is Mood.LOW:
            found.append("精神低落")
    elif c.health is Condition.POOR:
        # A child's risk factors have their own column (风险因素).
        found.append("健康状况较差")
    return "；".join(found) or "无"


def _handling(c: Visit | ChildCheck) -> str:
    """处理情况: done (with the day it was marked done), still to follow up, or nothing to do."""
    if not c.follow_up_needed:
        return "无需跟进"
    if c.follow_up_done_on is not None:
        return f"已处理（{c.follow_up_done_on.isoformat()}）：{c.follow_up_note}"
    return f"需跟进：{c.follow_up_note}"


def _id(person: PersonRow | Person, full: bool) -> str:
    """An ID number as an export shows it: masked unless the whole one was asked for."""
    return person.id_number if full else person.masked_id


def visits(
    store: Store,
    month: dt.date,
    today: dt.date,
    *,
    full_ids: bool = False,
    village: str | None = None,
) -> list[Sheet]:
    """探访台账: one row per visit in the month, then coverage, then who is still due.

    Laid out as township ledgers are printed: 序号, who (性别, 年龄, 住址, 联系电话), the
    visit, 存在问题 and 处理情况 as their own columns, and two columns to sign.
    """
    ctx = _Month.read(store, month, today, full_ids, village)
    ledger = Sheet(
        "探访台账",
        [
            "序号",
            "村(社区)",
            "姓名",
            "性别",
            "年龄",
            "身份证号",
            "住址",
            "联系电话",
            "类别",
            "探访日期",
            "方式",
            "居住状况",
            "健康状况",
            "精神状态",
            "探访情况",
            "存在问题",
            "处理情况",
            "探访人签字",
            "对象（家属）签字",
        ],
        [5, 10, 8, 5, 5, 20, 18, 13, 14, 11, 6, 6, 6, 6, 28, 16, 18, 10, 10],
        heading=ctx.heading("探访台账"),
        signed=True,
    )
    for v, p, village in ctx.records(Visit, "visit_date"):
        person = ctx.persons[p.id]
        ledger.rows.append(
            [
                len(ledger.rows) + 1,
                village,
                p.name,
                _sex(p.sex),
                p.age,
                _id(p, full_ids),
                person.address,
                person.phone or "",
                _cats(p.categories),
                v.visit_date.isoformat(),
                v.mode.zh,
                v.living_condition.zh,
                v.health.zh,
                v.mood.zh,
                v.notes,
                _problems(v),
                _handling(v),
                "",
                "",
            ]
        )
    return [
        ledger,
        _coverage_sheet(ctx, children=False),
        _due_sheet(ctx, children=False),
    ]


def child_checks(
    store: Store,
    month: dt.date,
    today: dt.date,
    *,
    full_ids: bool = False,
    village: str | None = None,
) -> list[Sheet]:
    """儿童随访台账: one row per check in the month, coverage of child categories, who is due."""
    ctx = _Month.read(store, month, today, full_ids, village)
    ledger = Sheet(
        "儿童随访台账",
        [
            "序号",
            "村(社区)",
            "姓名",
            "性别",
            "年龄",
            "身份证号",
            "监护人",
            "监护人电话",
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
            "随访情况",
            "存在问题",
            "处理情况",
            "随访人签字",
            "监护人签字",
        ],
        [5, 10, 8, 5, 5, 20, 8, 13, 14, 11, 11, 7, 7, 12, 7, 16, 14, 7, 22, 16, 18, 10, 10],
        heading=ctx.heading("儿童随访台账"),
        signed=True,
    )
    for c, p, village in ctx.records(ChildCheck, "check_date"):
        person = ctx.persons[p.id]
        ledger.rows.append(
            [
                len(ledger.rows) + 1,
                village,
                p.name,
                _sex(p.sex),
                p.age,
                _id(p, full_ids),
                person.guardian_name,
                person.guardian_phone or "",
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
                c.notes,
                _problems(c),
                _handling(c),
                "",
                "",
            ]
        )
    return [
        ledger,
        _coverage_sheet(ctx, children=True),
        _due_sheet(ctx, children=True),
    ]


def needs(
    store: Store,
    today: dt.date,
    statuses: set[NeedStatus] | None = None,
    *,
    full_ids: bool = False,
    village: str | None = None,
) -> list[Sheet]:
    """老人需求台账: each need with its current status, then every status step."""
    names = _chosen(queries.village_names(store), village)
    villages = "、".join(names.values())
    ledger = Sheet(
        "老人需求台账",
        [
            "序号",
            "村(社区)",
            "姓名",
            "性别",
            "年龄",
            "身份证号",
            "联系电话",
            "需求类型",
            "紧急程度",
            "需求描述",
            "状态",
            "转介至",
            "提出日期",
            "登记人",
            "办理结果",
        ],
        [5, 10, 8, 5, 5, 20, 13, 11, 7, 30, 7, 11, 11, 8, 24],
        heading=f"{villages}老人需求台账（截至{today:%Y年%m月%d日}）",
        signed=True,
    )
    history = Sheet(
        "办理记录",
        ["序号", "姓名", "需求类型", "原状态", "新状态", "时间", "经办人", "说明"],
        [5, 10, 12, 8, 8, 17, 10, 36],
        heading=f"{villages}老人需求办理记录",
    )
    people = {p.id: p for p in store.all(Person)}
    shown: dict[str, ElderNeed] = {}
    for n in store.all(ElderNeed, order_by="raised_on, rowid"):
        if statuses and n.status not in statuses:
            continue
        p = people.get(n.person_id)
        if p is None or (village is not None and p.village_code != village):
            continue
        shown[n.id] = n
        ledger.rows.append(
            [
                len(ledger.rows) + 1,
                names.get(p.village_code, p.village_code),
                p.name,
                p.sex.zh,
                p.age_on(today),
                _id(p, full_ids),
                p.phone or "",
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
                len(history.rows) + 1,
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


_HEADER_FILL = "#DDEBF7"
#: xlsxwriter's number for A4 paper.
_A4 = 9
#: 宋体 is the face government forms are printed in; where it is missing (LibreOffice on
#: Linux) fontconfig falls back to another CJK face, never to boxes.
CJK_FONT = "宋体"
#: Points per printed line of 10-point text, and the lines a signature needs. Every height
#: here is whole pixels (0.75 pt each), as a spreadsheet program shows a row and xlsxwriter
#: rounds it: the rows `_Pages` counts are the rows printed.
_LINE_PT = 14.25
_SIGN_LINES = 2
#: Lines one row holds at most. Excel refuses rows over 409 pt and LibreOffice prints no
#: more of a cell than its row shows; 24 lines (336 pt) leave room for a CJK face whose
#: lines run taller than `_LINE_PT`. Longer text goes on to the rows below (`_split`).
MAX_ROW_LINES = 24
#: The heights of the rows above the table: the title, and the sign-off line below it.
_TITLE_PT = 30.0
_SIGN_OFF_PT = 28.5
#: A4 landscape less the margins set below, in points, with room kept for the footer.
_PAGE_WIDTH_PT = 841.89 - 2 * 0.4 * 72
_PAGE_HEIGHT_PT = 595.28 - 2 * 0.6 * 72 - 24
SIGN_OFF = "填表人：________________    审核人：________________    填表日期：______年____月____日"


#: Column units of a wide (CJK) character and of any other.
_WIDE = 2.0
_NARROW = 1.1


def _char_width(char: str) -> float:
    return _WIDE if unicodedata.east_asian_width(char) in "WF" else _NARROW


@functools.lru_cache(maxsize=8192)
def _text_width(text: str) -> float:
    """Width in Excel's column units: a CJK character takes two, others about one.

    Kept per text: wrapping measures each CJK character as a piece of its own, and the
    same few thousand characters and words come back in every row of a ledger."""
    return sum(map(_char_width, text))


#: What a line may break between: each CJK character, a run of other letters, a space.
_PIECES = re.compile(
    r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]|[^\s\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]+|\s"
)


def _wrapped(value: Cell, width: int) -> list[tuple[str, bool]]:
    """The lines `value` takes in a column `width` units wide, each with whether a line
    break of the text (not of the column) ends it.

    Broken as a spreadsheet breaks them, a word of Latin letters or digits whole unless it
    is wider than the column; joined again (`_joined`) they give back the text exactly.
    """
    text = "" if value is None else str(value)
    usable = max(width - 1.5, 1.0)
    if "\n" not in text and _fits(text, usable):
        return [(text, True)]
    return _broken(text, usable)


def _broken(text: str, usable: float) -> list[tuple[str, bool]]:
    """`_wrapped`, piece by piece: `usable` is the column's width less its padding."""
    lines: list[tuple[str, bool]] = []
    for part in text.split("\n"):
        line, used = "", 0.0
        for piece in _PIECES.findall(part):
            size = _text_width(piece)
            if line and used + size > usable:
                lines.append((line, False))
                line, used = "", 0.0
            while size > usable and len(piece) > 1:
                # A word wider than the column breaks where the column ends.
                cut = 1
                while cut < len(piece) and _text_width(piece[: cut + 1]) <= usable:
                    cut += 1
                lines.append((piece[:cut], False))
                piece = piece[cut:]
                size = _text_width(piece)
            line += piece
            used += size
        lines.append((line, True))
    return lines


def _fits(text: str, usable: float) -> bool:
    """Whether `text` is surely narrower than `usable`: most cells of a ledger are, and need
    no breaking into pieces. A text near the edge says no, and is wrapped piece by piece."""
    margin = usable - 1e-6
    if text.isascii():
        return len(text) * _NARROW < margin
    # Measured whole, not kept: a note is seldom seen twice, and would push out the pieces.
    return len(text) * _WIDE < margin or sum(map(_char_width, text)) < margin


def _lines(value: Cell, width: int) -> int:
    """How many wrapped lines `value` takes in a column `width` units wide."""
    return len(_wrapped(value, width))


def _joined(lines: list[tuple[str, bool]]) -> str:
    return "".join(
        text + ("\n" if ends and n < len(lines) - 1 else "") for n, (text, ends) in enumerate(lines)
    )


def _split(row: Sequence[Cell], widths: Sequence[int]) -> list[list[Cell]]:
    """`row` as printed rows of at most `MAX_ROW_LINES` lines each.

    A cell longer than that (a 2,000-character note) goes on in the same column of the rows
    below, whose first cell says which row they continue (`12续`); every other cell is
    written once, on the first. Nothing is cut: the pieces joined are the text.
    """
    wrapped = [
        _wrapped(v, w) if isinstance(v, str) else [] for v, w in zip(row, widths, strict=True)
    ]
    parts = max(1, *(math.ceil(len(lines) / MAX_ROW_LINES) for lines in wrapped))
    if parts == 1:
        return [list(row)]
    out: list[list[Cell]] = []
    for part in range(parts):
        printed: list[Cell] = []
        for column, (value, lines) in enumerate(zip(row, wrapped, strict=True)):
            if len(lines) > MAX_ROW_LINES:
                piece = lines[part * MAX_ROW_LINES : (part + 1) * MAX_ROW_LINES]
                printed.append(_joined(piece) if piece else None)
            elif part == 0:
                printed.append(value)
            elif column == 0:
                printed.append(f"{row[0]}续" if row[0] is not None else "续")
            else:
                printed.append(None)
        out.append(printed)
    return out


def _printed(row: Sequence[Cell], widths: Sequence[int]) -> list[tuple[list[Cell], int]]:
    """`_split(row, widths)`, each printed row with the lines its tallest cell takes.

    Almost every row fits in one printed row: its cells are wrapped once, for both."""
    wrapped = [_wrapped(v, w) for v, w in zip(row, widths, strict=True)]
    texts = (lines for v, lines in zip(row, wrapped, strict=True) if isinstance(v, str))
    if all(len(lines) <= MAX_ROW_LINES for lines in texts):
        return [(list(row), max(len(lines) for lines in wrapped))]
    return [
        (printed, max(_lines(v, w) for v, w in zip(printed, widths, strict=True)))
        for printed in _split(row, widths)
    ]


def _fitted(headers: Sequence[str], widths: Sequence[int]) -> list[int]:
    """Column widths that hold each header on one line: a narrow column wrapped 居住状况
    as 居住状/况, and a word broken in two reads as two."""
    return [max(w, math.ceil(_text_width(h) + 1.5)) for h, w in zip(headers, widths, strict=True)]


def _page_room(widths: Sequence[int]) -> float:
    """The points of rows one printed page holds, in the sheet's own points.

    Printed one page wide, the sheet is shrunk by the paper's width over its own; a column
    `w` units wide is about 7w + 5 pixels (3/4 pt each). Counted a little large, so that a
    page this module fills is never broken again by the spreadsheet program, which would
    put its page numbers out.
    """
    sheet_pt = sum(7 * w + 5 for w in widths) * 0.75
    scale = min(1.0, _PAGE_WIDTH_PT / sheet_pt) * 1.05
    return _PAGE_HEIGHT_PT / scale


@dataclass
class _Pages:
    """Where a sheet's pages break, decided row by row as the rows are written.

    Pages are broken here, not by the spreadsheet program: only so can each page say how
    many its own sheet has (a footer's &N counts the whole workbook's pages).
    """

    #: The points of rows a page holds (`_page_room`).
    room: float
    #: The header row, printed again at the top of every page.
    header_pt: float
    #: What the current page holds so far.
    used: float
    #: The rows after which a new page starts.
    breaks: list[int] = field(default_factory=list)

    def place(self, number: int, height: float) -> None:
        """Row `number`, `height` points tall, goes on this page or starts the next."""
        if self.used + height > self.room and number > 3:
            self.breaks.append(number - 1)
            self.used = self.header_pt
        self.used += height


#: Rows written between two calls of `write`'s progress callback.
PROGRESS_EVERY = 200


def write(
    path: Path,
    sheets: list[Sheet],
    title: str,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Save `sheets` as a printable .xlsx, or the first sheet as a .csv.

    Printable means: A4 landscape, one page wide, the title row inside the sheet, the
    header repeated on every page, text wrapped with rows tall enough for it (a long note
    going on to the rows below, none taller than Excel allows), a CJK font, borders, on
    the signed ledgers a 填表人 / 审核人 / 填表日期 line, and page x of y per sheet.

    `progress(done, total)`: rows of `sheets` written so far, every `PROGRESS_EVERY` rows
    and once at the end, when the file is saved.
    Raises OSError when the file cannot be written.
    """
    if path.suffix.lower() == ".csv":
        cells.write_csv(path, [sheets[0].headers, *sheets[0].rows])
        return
    if path.suffix.lower() != ".xlsx":
        if path.suffix:
            raise ValueError(said("ledger.bad_suffix", suffix=path.suffix))
        raise ValueError(said("ledger.no_suffix"))
    # xlsxwriter, row by row (`constant_memory`): a month of 50,000 people is written in a
    # fraction of openpyxl's time and memory. Its rows wait in files of a private folder that
    # goes when the book is saved or the writing fails: they are the ledger's personal data.
    with tempfile.TemporaryDirectory(prefix="civtui-ledger-") as spool:
        book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "tmpdir": spool,
                # `cells.write_row` writes strings as strings; these keep `write` from ever
                # reading one as a formula, a number or a link should a call slip past it.
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
            },
        )
        styles = _Styles.of(book)
        total = sum(len(sheet.rows) for sheet in sheets)
        done = 0
        for sheet in sheets:
            done = _write_sheet(
                book.add_worksheet(sheet.title), sheet, title, styles, done, total, progress
            )
        try:
            book.close()
        except FileCreateError as exc:
            # Raised from the OSError, which says what went wrong (no room, no such folder).
            raise (exc.__cause__ or exc.__context__ or OSError(str(exc))) from None
    if progress is not None:
        progress(total, total)


@dataclass(frozen=True)
class _Styles:
    """The four looks of a ledger, made once per book: xlsxwriter numbers each format once."""

    title: Format
    header: Format
    #: Every body cell: 宋体 10, wrapped, centred up and down, in a thin box.
    body: Format
    sign_off: Format

    @classmethod
    def of(cls, book: xlsxwriter.Workbook) -> _Styles:
        font = {"font_name": CJK_FONT, "font_size": 10}
        box = {"border": 1, "border_color": "#000000"}
        return cls(
            title=book.add_format(
                {"font_name": CJK_FONT, "font_size": 16, "bold": True, "align": "center"}
                | {"valign": "vcenter"}
            ),
            header=book.add_format(
                font
                | box
                | {"bold": True, "pattern": 1, "bg_color": _HEADER_FILL}
                | {"align": "center", "valign": "vcenter", "text_wrap": True}
            ),
            body=book.add_format(font | box | {"text_wrap": True, "valign": "vcenter"}),
            sign_off=book.add_format({"font_name": CJK_FONT, "font_size": 11, "valign": "vcenter"}),
        )


def _write_sheet(
    ws: XlsxSheet,
    sheet: Sheet,
    title: str,
    styles: _Styles,
    done: int,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    """Write `sheet` into `ws` row by row (each row is final once the next is begun);
    returns `done` with this sheet's rows added."""
    widths = _fitted(sheet.headers, sheet.widths)
    last = len(sheet.headers) - 1
    # Every row goes in through `cells.write_row`: a village or person named `=…` is text.
    ws.merge_range(0, 0, 0, last, None, styles.title)
    cells.write_row(ws, 0, [sheet.heading or f"{title} — {sheet.title}"], styles.title)
    ws.set_row(0, _TITLE_PT)
    cells.write_row(ws, 1, sheet.headers, styles.header)
    header_pt = _LINE_PT * max(_lines(h, w) for h, w in zip(sheet.headers, widths, strict=True))
    ws.set_row(1, header_pt)
    pages = _Pages(_page_room(widths), header_pt, _TITLE_PT + header_pt)
    signed = any(h.endswith("签字") for h in sheet.headers)
    # Rows counted from 1, as a spreadsheet shows them and `_Pages` breaks them.
    number = 2
    for row in sheet.rows:
        done += 1
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total)
        for printed, lines in _printed(row, widths):
            number += 1
            cells.write_row(ws, number - 1, printed, styles.body)
            # Wrapped text is only readable on paper if the row grows with it; a row
            # with a place to sign needs room for a handwritten name.
            height = _LINE_PT * max(lines, _SIGN_LINES if signed else 1)
            ws.set_row(number - 1, height)
            pages.place(number, height)
    for index, width in enumerate(widths):
        ws.set_column(index, index, width)
    if sheet.signed:
        number += 1
        ws.merge_range(number - 1, 0, number - 1, last, None, styles.sign_off)
        cells.write_row(ws, number - 1, [SIGN_OFF], styles.sign_off)
        ws.set_row(number - 1, _SIGN_OFF_PT)
        pages.place(number, _SIGN_OFF_PT)
    ws.set_h_pagebreaks(pages.breaks)
    ws.freeze_panes(2, 0)
    ws.repeat_rows(1)
    ws.set_landscape()
    ws.set_paper(_A4)
    ws.fit_to_pages(1, 0)
    # Each sheet is numbered from 1, out of its own pages.
    ws.set_start_page(1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(f"&C第 &P 页，共 {len(pages.breaks) + 1} 页")
    return done
