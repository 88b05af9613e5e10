"""Taking a village's Excel or CSV roster in without losing or doubling a row.

Columns are found by their Chinese header in any order. Every row is checked
with the domain model; problems are reported per row and column, with the fix.
Nothing is written until the caller decides what to do with the bad rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from civtui.domain.choices import DERIVED_CATEGORIES, Category, PersonStatus
from civtui.domain.errors import explain
from civtui.domain.models import Person, Village
from db import Store


@dataclass(frozen=True)
class Column:
    """One importable column: its header, the Person field, other headers people use."""

    header: str
    field: str
    note: str
    aliases: tuple[str, ...] = ()
    required: bool = False
    width: int = 14


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", "必填", ("名字",), required=True, width=10),
    Column(
        "身份证号",
        "id_number",
        "必填，18位，末位可为X",
        ("身份证号码", "公民身份号码", "身份证"),
        required=True,
        width=21,
    ),
    Column(
        "联系电话",
        "phone",
        "手机11位，或带区号的固话如0580-2012345",
        ("电话", "手机", "手机号", "联系方式"),
        width=16,
    ),
    Column(
        "村(社区)",
        "village_code",
        "村(社区)名称或12位代码；本机只有一个村时可不填",
        ("村社区", "村", "社区", "所属村", "村(居)"),
        width=12,
    ),
    Column("住址", "address", "", ("地址", "家庭住址", "现住址"), width=24),
    Column("户籍状况", "status", "在册 / 迁出 / 死亡；不填为在册", ("状态", "人员状态"), width=10),
    Column(
        "类别",
        "categories",
        "可填多个，用、或逗号分隔："
        + "、".join(c.zh for c in Category if c not in DERIVED_CATEGORIES)
        + "（高龄、失能由系统自动判断）",
        ("对象类别", "人员类别"),
        width=20,
    ),
    Column("残疾等级", "disability_grade", "1-4级，无残疾不填", ("残疾级别",), width=8),
    Column("监护人", "guardian_name", "儿童填写", ("监护人姓名",), width=10),
    Column("监护人关系", "guardian_relation", "如祖父母、姑姑", ("与监护人关系",), width=10),
    Column("监护人电话", "guardian_phone", "", ("监护人联系电话",), width=16),
    Column("紧急联系人", "emergency_contact_name", "老人填写", (), width=10),
    Column("紧急联系人电话", "emergency_contact_phone", "", (), width=16),
    Column("备注", "notes", "", (), width=20),
)
STATUS_LABELS = {
    "在册": PersonStatus.ACTIVE,
    "迁出": PersonStatus.MOVED_OUT,
    "死亡": PersonStatus.DECEASED,
    "注销": PersonStatus.DECEASED,
}
NOTE_PREFIX = "说明："
_SPLIT = re.compile(r"[、,，;；/\s]+")


def _norm_header(text: object) -> str:
    raw = str(text or "").replace("（", "(").replace("）", ")").replace("*", "")
    return re.sub(r"\s+", "", raw)


_BY_HEADER = {_norm_header(name): col for col in COLUMNS for name in (col.header, *col.aliases)}


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong kind, missing columns, bad encoding)."""


@dataclass
class Table:
    """A sheet as read: header texts and the data rows with their sheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    #: (row, column index) of cells Excel held as numbers: long IDs lose digits that way.
    numeric: set[tuple[int, int]] = field(default_factory=set)


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one cell (or row) and how to put it right."""

    row: int
    column: str
    value: str
    problem: str
    fix: str


@dataclass
class ImportPlan:
    """What an import would do: new people, updates, skips, problems and warnings."""

    new: list[Person] = field(default_factory=list)
    updates: list[Person] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    bad_rows: set[int] = field(default_factory=set)


# -- reading ------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        # Excel stores long digit strings typed without a leading ' as numbers.
        return str(int(value))
    return str(value).strip()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(
        "CSV 文件既不是 UTF-8 也不是 GBK/GB18030 编码；请在 Excel 中另存为“CSV UTF-8”"
    )


def read_table(path: Path) -> Table:
    """Read the first sheet of an .xlsx, or a .csv in UTF-8 (with or without BOM) or GBK."""
    suffix = path.suffix.lower()
    numeric: set[tuple[int, int]] = set()
    if suffix == ".csv":
        reader = csv.reader(io.StringIO(_decode(path.read_bytes())))
        raw = [(n, row) for n, row in enumerate(reader, start=1)]
    elif suffix in (".xlsx", ".xlsm"):
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError(
                f"无法读取 Excel 文件 {path.name}：{exc}；请确认文件未损坏"
            ) from exc
        sheet = book.worksheets[0]
        raw = []
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            raw.append((n, [_cell_text(v) for v in row]))
            numeric.update((n, i) for i, v in enumerate(row) if isinstance(v, int | float))
        book.close()
    else:
        raise ImportFileError(f"不支持 {suffix or '无扩展名'} 文件；请使用 .xlsx 或 .csv")
    raw = [(n, [c.strip() for c in row]) for n, row in raw]
    header_at = next((i for i, (_, row) in enumerate(raw) if any(row)), None)
    if header_at is None:
        raise ImportFileError(f"{path.name} 是空的；请在第一行填写表头（姓名、身份证号……）")
    headers = raw[header_at][1]
    rows = [
        (n, row)
        for n, row in raw[header_at + 1 :]
        if any(row) and not all(c.startswith(NOTE_PREFIX) for c in row if c)
    ]
    return Table(headers, rows, numeric)


# -- checking -----------------------------------------------------------------


def _split_message(message: str) -> tuple[str, str]:
    problem, _, fix = message.partition("；")
    return problem, fix or "请按说明修改"


def plan_import(
    store: Store,
    table: Table,
    today: dt.date,
    *,
    update_existing: bool = False,
    progress: Callable[[int], None] | None = None,
) -> ImportPlan:
    """Check every row against the domain model and the people already stored."""
    columns: dict[int, Column] = {}
    for index, header in enumerate(table.headers):
        col = _BY_HEADER.get(_norm_header(header))
        if col is not None and col not in columns.values():
            columns[index] = col
    villages = store.all(Village)
    present = {c.field for c in columns.values()}
    missing = [c.header for c in COLUMNS if c.required and c.field not in present]
    if "village_code" not in present and len(villages) != 1:
        missing.append("村(社区)")
    if missing:
        raise ImportFileError(
            f"缺少必需的列：{'、'.join(missing)}；请在表头加上这些列"
            "（可先用 civtui import template persons 生成模板）"
        )
    by_name = {v.name: v.id for v in villages} | {v.id: v.id for v in villages}
    existing = {p.id_number: p for p in store.all(Person)}
    by_name_birth: dict[tuple[str, str], Person] = {
        (p.name, p.id_number[6:14]): p for p in existing.values()
    }
    seen_in_file: dict[str, int] = {}
    plan = ImportPlan()
    context = {"today": today}
    header_of = {c.field: c.header for c in columns.values()}
    id_column = next(i for i, c in columns.items() if c.field == "id_number")

    def problem(row: int, field_name: str, value: str, message: str, *, warn: bool = False) -> None:
        text, fix = _split_message(message)
        entry = RowProblem(row, header_of.get(field_name, field_name), value, text, fix)
        if warn:
            plan.warnings.append(entry)
        else:
            plan.problems.append(entry)
            plan.bad_rows.add(row)

    for done, (row_no, cells) in enumerate(table.rows, start=1):
        if progress:
            progress(done)
        values = {col.field: (cells[i] if i < len(cells) else "") for i, col in columns.items()}
        data: dict[str, Any] = {k: v for k, v in values.items() if v != ""}
        if "village_code" in data:
            code = by_name.get(data["village_code"])
            if code is None:
                known = "、".join(v.name for v in villages)
                problem(
                    row_no,
                    "village_code",
                    data["village_code"],
                    f"不是本机档案中的村(社区)；请填写：{known}",
                )
                continue
            data["village_code"] = code
        else:
            data["village_code"] = villages[0].id
        if "status" in data:
            data["status"] = STATUS_LABELS.get(data["status"], data["status"])
        if "categories" in data:
            data["categories"] = [c for c in _SPLIT.split(data["categories"]) if c]
        data.setdefault("registered_on", today)
        try:
            person = Person.model_validate(data, context=context)
        except ValidationError as exc:
            for p in explain(exc, Person):
                message = p.message
                if p.field == "id_number" and (row_no, id_column) in table.numeric:
                    message = (
                        "Excel 把身份证号存成了数字，后几位已丢失；"
                        "请把该列设为“文本”格式后重新输入身份证号"
                    )
                problem(row_no, p.field, values.get(p.field, ""), message)
            continue
        number = person.id_number
        if number in seen_in_file:
            problem(
                row_no,
                "id_number",
                number,
                f"与第{seen_in_file[number]}行的身份证号重复；请删除重复的一行",
            )
            continue
        seen_in_file[number] = row_no
        old = existing.get(number)
        if old is not None:
            if update_existing:
                fields = {k: getattr(person, k) for k in data if k != "registered_on"}
                plan.updates.append(old.revise(context=context, **fields))
            else:
                plan.skipped.append(
                    RowProblem(
                        row_no,
                        header_of["id_number"],
                        number,
                        f"已登记为“{old.name}”，本行跳过",
                        "如需用本表更新，请加 --update-existing",
                    )
                )
            continue
        twin = by_name_birth.get((person.name, number[6:14]))
        if twin is not None:
            problem(
                row_no,
                "name",
                person.name,
                f"疑似重复：已有同名同生日的“{twin.name}”（{twin.masked_id}）；请核对是否同一人",
                warn=True,
            )
        plan.new.append(person)
    return plan


def apply(store: Store, plan: ImportPlan, progress: Callable[[int], None] | None = None) -> int:
    """Write the planned people in one transaction, through the write API; returns how many."""
    records = [*plan.new, *plan.updates]
    with store.transaction():
        for done, person in enumerate(records, start=1):
            store.save(person)
            if progress:
                progress(done)
    return len(records)


# -- files the importer writes --------------------------------------------------

_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
_NOTE_FONT = Font(color="808080", italic=True)


def write_template(path: Path, villages: Iterable[Village]) -> None:
    """An empty roster with Chinese headers, a notes row and drop-downs for fixed values."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "服务对象"
    village_names = [v.name for v in villages]
    for index, col in enumerate(COLUMNS, start=1):
        head = sheet.cell(row=1, column=index, value=col.header + ("*" if col.required else ""))
        head.font = Font(bold=True)
        head.fill = _HEADER_FILL
        note = sheet.cell(row=2, column=index, value=f"{NOTE_PREFIX}{col.note or '选填'}")
        note.font = _NOTE_FONT
        note.alignment = Alignment(wrap_text=True, vertical="top")
        head.comment = Comment(col.note or "选填", "civtui")
        letter = head.column_letter
        sheet.column_dimensions[letter].width = col.width
        choices: list[str] = []
        if col.field == "status":
            choices = ["在册", "迁出", "死亡"]
        elif col.field == "village_code":
            choices = village_names
        elif col.field == "disability_grade":
            choices = ["1", "2", "3", "4"]
        if choices:
            rule = DataValidation(
                type="list",
                formula1='"' + ",".join(choices) + '"',
                allow_blank=True,
                showErrorMessage=True,
                errorTitle=col.header,
                error="请从下拉列表中选择",
            )
            rule.add(f"{letter}3:{letter}1002")
            sheet.add_data_validation(rule)
        if col.field in ("id_number", "phone", "guardian_phone", "emergency_contact_phone"):
            # Text format keeps 18-digit IDs and leading zeros of landlines intact.
            for row in range(3, 1003):
                sheet.cell(row=row, column=index).number_format = "@"
    sheet.row_dimensions[2].height = 45
    sheet.freeze_panes = "A3"
    book.save(path)


def write_rejects(source: Path, table: Table, plan: ImportPlan) -> Path:
    """The bad rows with a reason column, next to the input, in the input's format."""
    reasons: dict[int, list[str]] = {}
    for p in plan.problems:
        reasons.setdefault(p.row, []).append(f"{p.column}：{p.problem}；{p.fix}")
    rows = [(n, cells) for n, cells in table.rows if n in reasons]
    target = source.with_name(f"{source.stem}.错误行{source.suffix.lower()}")
    header = [*table.headers, "原行号", "错误原因"]
    body = [[*cells, str(n), "\n".join(reasons[n])] for n, cells in rows]
    if source.suffix.lower() == ".csv":
        with target.open("w", encoding="utf-8-sig", newline="") as handle:
            csv.writer(handle).writerows([header, *body])
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for line in body:
            sheet.append(line)
        book.save(target)
    return target
