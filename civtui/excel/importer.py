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
import functools
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import ValidationError

from civtui.domain import resident_id
from civtui.domain.choices import (
    DERIVED_CATEGORIES,
    DISABILITY_GRADES,
    Category,
    Choice,
    PersonStatus,
)
from civtui.domain.errors import explain
from civtui.domain.models import Person, Village
from civtui.excel.cells import write_table
from civtui.i18n import Said, Translator
from db import Store

C = TypeVar("C", bound=Choice)


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
    Column(
        "姓名",
        "name",
        "必填",
        ("名字", "对象姓名", "服务对象姓名", "老人姓名", "儿童姓名"),
        required=True,
        width=10,
    ),
    Column(
        "身份证号",
        "id_number",
        "必填，18位，末位可为X",
        ("公民身份号", "公民身份证号", "居民身份证号", "身份证", "身份证件号", "证件号"),
        required=True,
        width=21,
    ),
    Column(
        "联系电话",
        "phone",
        "手机11位，或带区号的固话如0580-2012345",
        ("电话", "手机", "手机号", "联系方式", "本人电话", "本人联系电话"),
        width=16,
    ),
    Column(
        "村(社区)",
        "village_code",
        "村(社区)名称或12位代码；本机只有一个村时可不填",
        ("村社区", "村", "社区", "所属村", "村(居)"),
        width=12,
    ),
    Column(
        "住址", "address", "", ("地址", "家庭住址", "现住址", "居住地址", "现居住地址"), width=24
    ),
    Column(
        "户籍状况",
        "status",
        "在册 / 迁出 / 死亡；不填为在册",
        ("状态", "人员状态", "户籍状态"),
        width=10,
    ),
    Column(
        "类别",
        "categories",
        "可填多个，用、或逗号分隔："
        + "、".join(c.zh for c in Category if c not in DERIVED_CATEGORIES)
        + "（高龄、失能由系统自动判断）",
        ("对象类别", "人员类别", "对象类型", "人员类型", "类型"),
        width=20,
    ),
    Column("残疾等级", "disability_grade", "1-4级，无残疾不填", ("残疾级别", "残疾程度"), width=8),
    Column("监护人", "guardian_name", "儿童填写", ("监护人姓名",), width=10),
    Column("监护人关系", "guardian_relation", "如祖父母、姑姑", ("与监护人关系",), width=10),
    Column("监护人电话", "guardian_phone", "", ("监护人联系电话",), width=16),
    Column("紧急联系人", "emergency_contact_name", "老人填写", (), width=10),
    Column("紧急联系人电话", "emergency_contact_phone", "", (), width=16),
    Column("备注", "notes", "", (), width=20),
)
NOTE_PREFIX = "说明："
#: Columns rosters carry that the app works out itself (from the ID number or the row);
#: reported as not imported, with why, rather than as unknown.
DERIVED_HEADERS = frozenset(
    {"序号", "编号", "性别", "年龄", "出生日期", "出生年月", "No.", "Sex", "Age", "Birth date"}
)
#: How the lines around a table begin: above it (what, who, when) and below it (who signs).
_PREAMBLE = ("填报单位", "填表单位", "报送单位", "填报日期", "填表日期", "统计时间", "单位")
_FOOTER = ("填表人", "审核人", "制表人", "负责人", "合计", "总计", "小计", "统计人", "填报人")
#: How far down a title, notes and blank rows may push the header.
HEADER_SEARCH_ROWS = 15
_INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff")
#: Fields whose digits matter one by one: Excel must hold them as text, never as numbers.
_NUMBER_FIELDS = ("id_number", "phone", "guardian_phone", "emergency_contact_phone")
_SPLIT = re.compile(r"[、,，;；/\s]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[Ee]\+\d+$")


def _norm_header(text: object) -> str:
    """A header as compared: ASCII brackets (NFKC), no blanks or `*`, 号码 said as 号."""
    raw = unicodedata.normalize("NFKC", str(text or "")).translate(_INVISIBLE)
    return re.sub(r"[\s*:：]+", "", raw).replace("号码", "号")


# A header in English (the labels of the English interface) is understood too.
_BY_HEADER = {
    _norm_header(name): col
    for col in COLUMNS
    for name in (col.header, *col.aliases, Translator("en").of(Person, col.field))
}


def match_header(text: str) -> Column | None:
    """The column a header names: as written, or without a bracketed note (`电话（手机）`)."""
    norm = _norm_header(text)
    found = _BY_HEADER.get(norm)
    if found is None and "(" in norm:
        found = _BY_HEADER.get(re.sub(r"\([^)]*\)", "", norm))
    return found


_DERIVED_NORM = frozenset(_norm_header(h) for h in DERIVED_HEADERS)


@functools.lru_cache(maxsize=4096)
def _choice(kind: type[C], text: str) -> C | None:
    """The value `text` names (code, label or synonym), or None.

    Cached: a roster repeats a handful of labels over thousands of rows, and finding a
    label walks the members.
    """
    try:
        return kind(text.strip())
    except ValueError:
        return None


def _starts(row: list[str], words: tuple[str, ...]) -> bool:
    first = next((c for c in row if c), "")
    return _norm_header(first).startswith(words)


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
    #: The footer row where reading stopped (填表人, 合计…), if any.
    footer_row: int | None = None


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
    #: About the sheet as a whole: where the header was found, columns not imported.
    notes: list[RowProblem] = field(default_factory=list)


# -- reading ------------------------------------------------------------------


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        # Excel stores long digit strings typed without a leading ' as numbers.
        return str(int(value))
    return str(value).translate(_INVISIBLE).strip()


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
        raw = [(n, [c.translate(_INVISIBLE) for c in row]) for n, row in enumerate(reader, start=1)]
        # A CSV saved by Excel writes a long number as it showed it: 3.30902E+17.
        numeric.update(
            (n, i) for n, row in raw for i, c in enumerate(row) if _SCIENTIFIC.match(c.strip())
        )
    elif suffix in (".xlsx", ".xlsm"):
        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise ImportFileError("file.unreadable", name=path.name, error=exc) from exc
        sheet = book.worksheets[0]
        raw = []
        for n, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            raw.append((n, [_cell_text(v) for v in values]))
            numeric.update((n, i) for i, v in enumerate(values) if isinstance(v, int | float))
        book.close()
    else:
        if not suffix:
            raise ImportFileError("file.no_extension")
        raise ImportFileError("file.unsupported", suffix=suffix)
    raw = [(n, [c.strip() for c in row]) for n, row in raw]
    filled = [i for i, (_, row) in enumerate(raw) if any(row)]
    if not filled:
        raise ImportFileError("file.empty", name=path.name)
    # The header is the first row, among the first few filled ones, that names at least
    # two known columns: a merged title, a 填报单位 line or notes above it are passed over.
    header_at = next(
        (
            i
            for i in filled[:HEADER_SEARCH_ROWS]
            if sum(match_header(c) is not None for c in raw[i][1] if c) >= 2
        ),
        filled[0],
    )
    headers = raw[header_at][1]
    rows = []
    footer_row = None
    for n, row in raw[header_at + 1 :]:
        if not any(row) or all(c.startswith(NOTE_PREFIX) for c in row if c):
            continue
        if _starts(row, _PREAMBLE):
            continue
        if _starts(row, _FOOTER):
            footer_row = n
            break
        rows.append((n, row))
    return Table(headers, rows, numeric, raw[header_at][0], footer_row)


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
    plan = ImportPlan()
    at = table.header_row

    def note(code: str, column: str = "", value: str = "", **params: Any) -> None:
        plan.notes.append(RowProblem(at, column, "", value, code, params))

    if at > 1:
        note("header_found", header_row=at)
    for index, header in enumerate(table.headers):
        if not header:
            continue
        col = match_header(header)
        if col is not None and col not in columns.values():
            columns[index] = col
        elif col is not None:
            note("duplicate_column", header, header, used=FieldLabel(col.field))
        elif _norm_header(header) in _DERIVED_NORM:
            note("derived_column", header, header)
        else:
            # Nothing a roster holds is dropped without a word.
            note("unused_column", header, header)
    if table.footer_row is not None:
        plan.notes.append(RowProblem(table.footer_row, "", "", "", "footer_stopped", {}))
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
    context = {"today": today}
    header_of = {c.field: c.header for c in columns.values()}
    number_columns = [(c.field, i) for i, c in columns.items() if c.field in _NUMBER_FIELDS]
    id_at = next(i for i, c in columns.items() if c.field == "id_number")

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
        # A value that is no choice is reported here and left out, so that the model still
        # reports everything else wrong with the row; the row is not imported.
        refused = False
        if "status" in data:
            status = _choice(PersonStatus, data["status"])
            if status is None:
                problem(
                    row_no, "status", data["status"], "not_a_choice", allowed=list(PersonStatus)
                )
                refused = True
                del data["status"]
            else:
                data["status"] = status
        if "categories" in data:
            labels = [c for c in _SPLIT.split(data["categories"]) if c]
            found = [_choice(Category, c) for c in labels]
            for label, category in zip(labels, found, strict=True):
                if category is None:
                    allowed = [c for c in Category if c not in DERIVED_CATEGORIES]
                    problem(row_no, "categories", label, "not_a_choice", allowed=allowed)
                    refused = True
            data["categories"] = [c for c in found if c is not None]
        if "disability_grade" in data:
            grade = DISABILITY_GRADES.get(data["disability_grade"])
            if grade is None:
                problem(
                    row_no,
                    "disability_grade",
                    data["disability_grade"],
                    "not_a_choice",
                    allowed=["1", "2", "3", "4"],
                )
                refused = True
                del data["disability_grade"]
            else:
                data["disability_grade"] = grade
        if "id_number" in data:
            number = resident_id.normalize(data["id_number"])
            if resident_id.is_first_generation(number) and (row_no, id_at) not in table.numeric:
                data["id_number"] = resident_id.upgrade(number)
                problem(
                    row_no,
                    "id_number",
                    number,
                    "id_upgraded",
                    warn=True,
                    line=row_no,
                    new=data["id_number"],
                )
        data.setdefault("registered_on", today)
        # Excel keeps 15 significant digits of a number: an ID read from a number cell has
        # lost its last digits even when what is left passes the checksum, and a phone its
        # leading 0. Such a cell is refused whatever the number looks like.
        numbers_in_cells = [f for f, i in number_columns if (row_no, i) in table.numeric]
        for name in numbers_in_cells:
            kind = "numeric_id" if name == "id_number" else "numeric_phone"
            problem(row_no, name, values[name], kind)
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
        if numbers_in_cells or refused:
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
    # The rows are what someone typed: written inert, as every export is.
    write_table(target, [header, *body])
    return target
