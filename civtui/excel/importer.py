"""Taking a village's Excel or CSV roster in without losing or doubling a row.

Columns are found by their Chinese header in any order. Every row is checked
with the domain model; problems are reported per row and column, with the fix.
Nothing is written until the caller decides what to do with the bad rows.

A problem is a code with parameters (`RowProblem`, `ImportFileError`); it becomes words
only where a person reads it (`describe`, the rejects file), in that person's language.
"""

from __future__ import annotations

import csv
import dataclasses
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

from civtui.domain.choices import DERIVED_CATEGORIES, Category, Choice, PersonStatus
from civtui.domain.errors import explain
from civtui.domain.models import Person, Village
from civtui.i18n import Said, Translator
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
#: Fields whose digits matter one by one: Excel must hold them as text, never as numbers.
_NUMBER_FIELDS = ("id_number", "phone", "guardian_phone", "emergency_contact_phone")
_SPLIT = re.compile(r"[、,，;；/\s]+")


def _norm_header(text: object) -> str:
    raw = str(text or "").replace("（", "(").replace("）", ")").replace("*", "")
    return re.sub(r"\s+", "", raw)


# A header in English (the labels of the English interface) is understood too.
_BY_HEADER = {
    _norm_header(name): col
    for col in COLUMNS
    for name in (col.header, *col.aliases, Translator("en").of(Person, col.field))
}


class FieldLabel(str):
    """A Person field name given as a parameter: said as the field's label in each language."""


def _render(value: object, lang: str) -> str:
    if isinstance(value, Said):
        return value.in_(lang)
    if isinstance(value, Choice):
        return value.label(lang)
    if isinstance(value, FieldLabel):
        return Translator(lang).of(Person, value)
    if isinstance(value, list | tuple):
        return ("、" if lang == "zh" else ", ").join(_render(v, lang) for v in value)
    return str(value)


def _say(code: str, params: dict[str, Any], lang: str) -> tuple[str, str]:
    t = Translator(lang)
    values = {k: _render(v, lang) for k, v in params.items()}
    return t(f"import.{code}", **values), t(f"import.{code}.fix", **values)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (wrong kind, missing columns, bad encoding).

    `code` names the problem (`import.<code>` in the strings) and `params` fill it in;
    `str()` is the Chinese, `text(lang)` the message in any language.
    """

    def __init__(self, code: str, **params: Any) -> None:
        self.code = code
        self.params = params
        super().__init__(self.text("zh"))

    def text(self, lang: str) -> str:
        problem, fix = _say(self.code, self.params, lang)
        return f"{problem}{'；' if lang == 'zh' else '; '}{fix}"


@dataclass
class Table:
    """A sheet as read: header texts and the data rows with their sheet row numbers."""

    headers: list[str]
    rows: list[tuple[int, list[str]]]
    #: (row, column index) of cells Excel held as numbers: long IDs lose digits that way.
    numeric: set[tuple[int, int]] = field(default_factory=set)
    #: The sheet row the headers were read from.
    header_row: int = 1


@dataclass(frozen=True)
class RowProblem:
    """What is wrong in one cell (or row): where, which code, with which parameters.

    `column` is the header as the file has it; `field` the Person field it fills. The words
    (problem and fix) come from `describe` in the reader's language.
    """

    row: int
    column: str
    field: str
    value: str
    code: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def describe(self, lang: str = "zh") -> tuple[str, str]:
        """The problem and its fix, in `lang`."""
        return _say(self.code, self.params, lang)

    def column_in(self, lang: str) -> str:
        """The column as the reader knows it: the file's own header, or the field's label."""
        if lang == "zh" or not self.field:
            return self.column
        return Translator(lang).of(Person, self.field)

    def as_json(self, lang: str = "zh") -> dict[str, Any]:
        """A stable JSON form: code and parameters for programs, words for people."""
        problem, fix = self.describe(lang)
        return {
            "row": self.row,
            "column": self.column_in(lang),
            "field": self.field,
            "value": self.value,
            "code": self.code,
            "params": {k: _render(v, lang) for k, v in self.params.items()},
            "problem": problem,
            "fix": fix,
        }


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
    raise ImportFileError("file.encoding")


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
            raise ImportFileError("file.unreadable", name=path.name, error=exc) from exc
        sheet = book.worksheets[0]
        raw = []
        for n, row in enumerate(sheet.iter_rows(values_only=True), start=1):
            raw.append((n, [_cell_text(v) for v in row]))
            numeric.update((n, i) for i, v in enumerate(row) if isinstance(v, int | float))
        book.close()
    else:
        if not suffix:
            raise ImportFileError("file.no_extension")
        raise ImportFileError("file.unsupported", suffix=suffix)
    raw = [(n, [c.strip() for c in row]) for n, row in raw]
    header_at = next((i for i, (_, row) in enumerate(raw) if any(row)), None)
    if header_at is None:
        raise ImportFileError("file.empty", name=path.name)
    headers = raw[header_at][1]
    rows = [
        (n, row)
        for n, row in raw[header_at + 1 :]
        if any(row) and not all(c.startswith(NOTE_PREFIX) for c in row if c)
    ]
    return Table(headers, rows, numeric, raw[header_at][0])


# -- checking -----------------------------------------------------------------


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
    missing = [FieldLabel(c.field) for c in COLUMNS if c.required and c.field not in present]
    if "village_code" not in present and len(villages) != 1:
        missing.append(FieldLabel("village_code"))
    if missing:
        raise ImportFileError("file.missing_columns", columns=missing, header_row=table.header_row)
    by_name = {v.name: v.id for v in villages} | {v.id: v.id for v in villages}
    existing = {p.id_number: p for p in store.all(Person)}
    by_name_birth: dict[tuple[str, str], Person] = {
        (p.name, p.id_number[6:14]): p for p in existing.values()
    }
    seen_in_file: dict[str, int] = {}
    plan = ImportPlan()
    context = {"today": today}
    header_of = {c.field: c.header for c in columns.values()}
    number_columns = [(c.field, i) for i, c in columns.items() if c.field in _NUMBER_FIELDS]

    def problem(
        row: int, field_name: str, value: str, code: str, *, warn: bool = False, **params: Any
    ) -> None:
        entry = RowProblem(row, header_of.get(field_name, ""), field_name, value, code, params)
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
                known = [v.name for v in villages]
                problem(
                    row_no, "village_code", data["village_code"], "unknown_village", known=known
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
        # Excel keeps 15 significant digits of a number: an ID read from a number cell has
        # lost its last digits even when what is left passes the checksum, and a phone its
        # leading 0. Such a cell is refused whatever the number looks like.
        numbers_in_cells = [f for f, i in number_columns if (row_no, i) in table.numeric]
        for name in numbers_in_cells:
            code = "numeric_id" if name == "id_number" else "numeric_phone"
            problem(row_no, name, values[name], code)
        try:
            person = Person.model_validate(data, context=context)
        except ValidationError as exc:
            # The domain says each problem in both languages; keep both until it is read.
            both = zip(explain(exc, Person, "zh"), explain(exc, Person, "en"), strict=True)
            for zh, en in both:
                if zh.field not in numbers_in_cells:
                    message = Said(zh.message, en.message)
                    problem(row_no, zh.field, values.get(zh.field, ""), "invalid", message=message)
            continue
        if numbers_in_cells:
            continue
        number = person.id_number
        if number in seen_in_file:
            problem(
                row_no, "id_number", number, "duplicate_in_file", first_row=seen_in_file[number]
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
                        "id_number",
                        number,
                        "already_registered",
                        {"name": old.name},
                    )
                )
            continue
        twin = by_name_birth.get((person.name, number[6:14]))
        if twin is not None:
            problem(
                row_no,
                "name",
                person.name,
                "likely_duplicate",
                warn=True,
                name=twin.name,
                masked=twin.masked_id,
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


#: The rejects file's name and its two added columns, by language.
_REJECTS = {"zh": ("错误行", "原行号", "错误原因"), "en": ("rejects", "Row", "Problem")}


def write_rejects(source: Path, table: Table, plan: ImportPlan, lang: str = "zh") -> Path:
    """The bad rows with a reason column, next to the input, in the input's format."""
    reasons: dict[int, list[str]] = {}
    colon, semi = ("：", "；") if lang == "zh" else (": ", "; ")
    for p in plan.problems:
        problem, fix = p.describe(lang)
        reasons.setdefault(p.row, []).append(f"{p.column_in(lang)}{colon}{problem}{semi}{fix}")
    rows = [(n, cells) for n, cells in table.rows if n in reasons]
    suffix_word, row_word, reason_word = _REJECTS.get(lang, _REJECTS["zh"])
    target = source.with_name(f"{source.stem}.{suffix_word}{source.suffix.lower()}")
    header = [*table.headers, row_word, reason_word]
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
