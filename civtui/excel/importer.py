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
import posixpath
import re
import unicodedata
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, TypeVar
from xml.parsers import expat

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
from civtui.excel.cells import formula_like, write_table
from civtui.i18n import Said, Translator
from civtui.i18n import label as field_label
from db import Store, queries

if TYPE_CHECKING:
    # Loaded where an .xlsx is read: a CSV import needs none of it.
    from python_calamine import CalamineSheet, CalamineWorkbook, SheetMetadata

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
        field_label("field.name"),
        "name",
        "必填",
        ("名字", "对象姓名", "服务对象姓名", "老人姓名", "儿童姓名"),
        required=True,
        width=10,
    ),
    Column(
        field_label("field.id_number"),
        "id_number",
        "必填，18位，末位可为X",
        ("公民身份号", "公民身份证号", "居民身份证号", "身份证", "身份证件号", "证件号"),
        required=True,
        width=21,
    ),
    Column(
        field_label("field.phone"),
        "phone",
        "手机11位，或带区号的固话如0580-2012345",
        ("电话", "手机", "手机号", "联系方式", "本人电话", "本人联系电话"),
        width=16,
    ),
    Column(
        field_label("field.village_code"),
        "village_code",
        "村(社区)名称或12位代码；本机只有一个村时可不填",
        ("村社区", "村", "社区", "所属村", "村(居)"),
        width=12,
    ),
    Column(
        field_label("field.address"),
        "address",
        "",
        ("地址", "家庭住址", "现住址", "居住地址", "现居住地址"),
        width=24,
    ),
    Column(
        "户籍状况",
        "status",
        "在册 / 迁出 / 死亡；不填为在册",
        ("状态", "人员状态", "户籍状态"),
        width=10,
    ),
    Column(
        field_label("field.categories"),
        "categories",
        "可填多个，用、或逗号分隔："
        + "、".join(c.zh for c in Category if c not in DERIVED_CATEGORIES)
        + "（高龄、失能由系统自动判断）",
        ("对象类别", "人员类别", "对象类型", "人员类型", "类型"),
        width=20,
    ),
    Column(
        field_label("field.disability_grade"),
        "disability_grade",
        "1-4级，无残疾不填",
        ("残疾级别", "残疾程度"),
        width=8,
    ),
    Column(
        field_label("field.guardian_name"), "guardian_name", "儿童填写", ("监护人姓名",), width=10
    ),
    Column(
        field_label("field.guardian_relation"),
        "guardian_relation",
        "如祖父母、姑姑",
        ("与监护人关系",),
        width=10,
    ),
    Column(
        field_label("field.guardian_phone"), "guardian_phone", "", ("监护人联系电话",), width=16
    ),
    Column(
        field_label("field.emergency_contact_name"),
        "emergency_contact_name",
        "老人填写",
        (),
        width=10,
    ),
    Column(
        field_label("field.emergency_contact_phone"), "emergency_contact_phone", "", (), width=16
    ),
    Column(field_label("field.notes"), "notes", "", (), width=20),
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
#: Free-text fields: one a spreadsheet would run as a formula is warned about.
_TEXT_FIELDS = (
    "name",
    "address",
    "notes",
    "guardian_name",
    "guardian_relation",
    "emergency_contact_name",
)
_SPLIT = re.compile(r"[、,，;；/\s]+")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[Ee]\+\d+$")


@dataclass(frozen=True)
class _ChoiceField:
    """A column whose cells must name one of a fixed set of values (or several, `many`)."""

    field: str
    read: Callable[[str], object | None]
    allowed: list[Any]
    many: bool = False


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


def _match_plain(text: str) -> Column | None:
    norm = _norm_header(text)
    found = _BY_HEADER.get(norm)
    if found is None and "(" in norm:
        found = _BY_HEADER.get(re.sub(r"\([^)]*\)", "", norm))
    return found


#: Joins a group header and a column's own header: `监护人·电话`.
GROUP_SEP = "·"
#: Groups whose columns describe the person the row is about.
_SELF_GROUPS = frozenset(
    _norm_header(w)
    for w in (
        "基本信息",
        "基本情况",
        "个人信息",
        "本人信息",
        "本人情况",
        "对象信息",
        "服务对象",
        "服务对象信息",
        "服务对象基本信息",
        "人员信息",
        "人员基本信息",
        "身份信息",
        "户籍信息",
        "老人信息",
        "老人基本信息",
        "儿童信息",
        "儿童基本信息",
        "Basic information",
        "Person",
    )
)
#: Groups whose columns describe someone else, by the Person fields of their name,
#: phone and relation.
_GUARDIAN = {"name": "guardian_name", "phone": "guardian_phone", "relation": "guardian_relation"}
_EMERGENCY = {"name": "emergency_contact_name", "phone": "emergency_contact_phone"}
_ROLE_FIELDS: dict[str, dict[str, str]] = {
    _norm_header(w): _GUARDIAN
    for w in ("监护人", "监护人信息", "监护人情况", "监护人基本信息", "Guardian")
} | {_norm_header(w): _EMERGENCY for w in ("紧急联系人", "紧急联系人信息", "Emergency contact")}
_RELATION = frozenset(
    _norm_header(w)
    for w in ("关系", "与本人关系", "与儿童关系", "与服务对象关系", "与老人关系", "与被监护人关系")
)
_BY_FIELD = {c.field: c for c in COLUMNS}


def _match_grouped(group: str, own: str) -> Column | None:
    """A column under a group: whose it is comes from the group, never from a guess.

    Under a group that is someone else's (监护人) a name or phone is theirs; under a
    group not known, a column is left out (父亲·电话 is not the person's phone) unless
    group and column together name one (联系电话·手机).
    """
    norm = _norm_header(group)
    if norm in _SELF_GROUPS:
        return _match_plain(own)
    fields = _ROLE_FIELDS.get(norm)
    if fields is not None:
        if _norm_header(own) in _RELATION:
            return _BY_FIELD.get(fields.get("relation", ""))
        col = _match_plain(own)
        if col is None:
            return None
        if col.field in fields.values():
            return col
        return _BY_FIELD.get(fields.get(col.field, ""))
    together = _match_plain(group + own)
    if together is not None:
        return together
    col, whole = _match_plain(own), _match_plain(group)
    return col if col is not None and col == whole else None


def match_header(text: str) -> Column | None:
    """The column a header names: as written, or without a bracketed note (`电话（手机）`).

    A header joined from a group and its own cell (`监护人·电话`) is read as a whole.
    """
    group, sep, own = text.partition(GROUP_SEP)
    if sep and group and own:
        return _match_grouped(group, own)
    return _match_plain(text)


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
    #: The row of merged group cells over the header (基本信息 / 监护人), if any.
    group_row: int | None = None
    #: The sheet read (None for a CSV), the hidden sheets and other rosters passed over.
    sheet: str | None = None
    hidden_sheets: list[str] = field(default_factory=list)
    other_sheets: list[str] = field(default_factory=list)


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


# -- limits -------------------------------------------------------------------

_MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of a file the importer reads before it refuses it.

    Sized for real rosters (a village's is a few hundred rows, a township's a few thousand)
    with room to spare; anything beyond is a bomb or the wrong file, and reading it would
    take the laptop's memory before it gave an answer.
    """

    #: The file as it lies on disk.
    file_bytes: int = 20 * _MB
    #: All parts of an .xlsx unpacked, by the sizes the archive declares (zipfile never
    #: unpacks more than a member declares).
    unpacked_bytes: int = 200 * _MB
    #: One part that is parsed whole (styles, workbook, shared strings), unlike sheets.
    part_bytes: int = 50 * _MB
    #: Unpacked to packed, for parts big enough to matter: sheet XML packs 5-30 times,
    #: a decompression bomb hundreds of times.
    ratio: int = 100
    ratio_from_bytes: int = 1 * _MB
    #: The highest sheet row number read, blank rows included.
    rows: int = 50_000
    #: The highest column number in any row.
    columns: int = 200
    #: Rows × columns of a sheet's grid, its first cell to its last. The sheet is read
    #: (calamine) as the whole grid, ~32 bytes a cell, so a cell at A1 and one at GR50000,
    #: each within the limits above, would take 320 MB; this is 10,000 rows of 200 columns,
    #: or 50,000 rows of 40.
    cells: int = 2_000_000
    #: Distinct texts in the workbook's shared-string table (calamine loads it whole when
    #: it opens the book).
    shared_strings: int = 500_000
    #: One line of a CSV, in characters. A roster line of every column with long notes is
    #: a few KB; the csv module builds a list of every field of a line before anyone can
    #: count them, so a line of commas alone would take gigabytes.
    line_chars: int = 256 * 1024


#: The limits `read_table` applies unless given others; tests put small ones here.
LIMITS = Limits()


def _size(n: int) -> str:
    return f"{n / _MB:.1f} MB" if n >= _MB else f"{n / 1024:.0f} KB"


# -- what a file is ---------------------------------------------------------------

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = (b"PK\x03\x04", b"PK\x05\x06")
_HTML = (b"<!doctype html", b"<html", b"<table", b"<head", b"<body", b"<meta", b"mime-version:")
_XML_SHEET = (b"urn:schemas-microsoft-com:office:spreadsheet", b"excel.sheet")


def sniff(path: Path) -> str:
    """What the file's first bytes say it is, whatever its name says.

    One of `empty`, `zip`, `encrypted` (an Office file with a password to open), `ole`
    (Excel 97-2003 and other old Office files), `html` (a web page or XML spreadsheet
    saved as .xls), `text`, `binary`.
    """
    with path.open("rb") as handle:
        head = handle.read(8192)
    if not head:
        return "empty"
    if head.startswith(_ZIP):
        return "zip"
    if head.startswith(_OLE2):
        # An encrypted .xlsx is an OLE2 container holding the streams EncryptionInfo and
        # EncryptedPackage; their names are stored in UTF-16 in the directory.
        data = path.read_bytes()
        return "encrypted" if "EncryptionInfo".encode("utf-16-le") in data else "ole"
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "text"
    lowered = head.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    if lowered.startswith(_HTML) or b"<html" in lowered[:2048]:
        return "html"
    if lowered.startswith(b"<?xml") and any(mark in lowered for mark in _XML_SHEET):
        return "html"
    return "binary" if b"\x00" in head else "text"


#: The file kinds that cannot be read, each with its own message.
_NOT_EXCEL = {
    "empty": "file.zero_bytes",
    "encrypted": "file.encrypted",
    "ole": "file.old_xls",
    "html": "file.looks_html",
    "binary": "file.not_excel",
}
_EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".et", ".xlsb")


# -- the parts of an .xlsx, measured before they are parsed ----------------------


@functools.lru_cache(maxsize=256)
def _local(tag: str) -> str:
    # Cached: a sheet's hundred thousand elements carry a handful of tags (and a hostile
    # file's thousands of made-up ones cannot grow the cache).
    return tag.rpartition("}")[2]


def _check_archive(archive: zipfile.ZipFile, name: str, limits: Limits) -> None:
    """Refuse an archive that is no workbook or would unpack beyond the limits."""
    infos = archive.infolist()
    names = {info.filename for info in infos}
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ImportFileError("file.zip_not_xlsx", name=name)
    total = 0
    for info in infos:
        total += info.file_size
        if total > limits.unpacked_bytes:
            raise ImportFileError(
                "file.unpacked_too_large",
                name=name,
                size=_size(total),
                limit=_size(limits.unpacked_bytes),
            )
        packed = max(info.compress_size, 1)
        if info.file_size >= limits.ratio_from_bytes and info.file_size > limits.ratio * packed:
            raise ImportFileError(
                "file.zip_ratio",
                name=name,
                part=info.filename,
                ratio=info.file_size // packed,
                limit=limits.ratio,
            )
        whole = not info.filename.startswith("xl/worksheets/")
        if whole and info.file_size > limits.part_bytes:
            raise ImportFileError(
                "file.unpacked_too_large",
                name=name,
                size=_size(info.file_size),
                limit=_size(limits.part_bytes),
            )


def _parts(archive: zipfile.ZipFile, content_type: str, usual: Callable[[str], bool]) -> set[str]:
    """The parts of a kind: where the content types put them, and where they usually are."""
    parts = {n for n in archive.namelist() if usual(n)}
    with archive.open("[Content_Types].xml") as stream:
        for _, elem in ET.iterparse(stream):
            if elem.get("ContentType", "").endswith(content_type):
                parts.add(elem.get("PartName", "").lstrip("/"))
    return {p for p in parts if p in archive.NameToInfo}


def _check_shared_strings(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Count the shared strings as they stream by; the declared count is only a hint."""
    shared = _parts(archive, "sharedStrings+xml", lambda n: n.lower().endswith("sharedstrings.xml"))
    for part in shared:
        count = 0
        with archive.open(part) as stream:
            table: ET.Element | None = None
            for event, elem in ET.iterparse(stream, events=("start", "end")):
                tag = _local(elem.tag)
                if event == "start" and tag == "sst":
                    table = elem
                    declared = max(_int(elem.get("uniqueCount")) or 0, _int(elem.get("count")) or 0)
                    if declared > limits.shared_strings:
                        count = declared
                        break
                elif event == "start" and tag == "si":
                    count += 1
                    if count > limits.shared_strings:
                        break
                elif event == "end" and tag == "si" and table is not None:
                    table.clear()
        if count > limits.shared_strings:
            raise ImportFileError("file.too_many_strings", count=count, limit=limits.shared_strings)


def _int(text: str | None) -> int | None:
    return int(text) if text and text.isdigit() and len(text) < 20 else None


Merge = tuple[int, int, int, int]


@dataclass
class SheetScan:
    """A worksheet part as measured by streaming it: its merged ranges and any limit broken."""

    #: Merged ranges as (min_col, min_row, max_col, max_row).
    merges: list[Merge] = field(default_factory=list)
    #: The first limit broken: ("rows", "columns" or "cells", row number, column number).
    breach: tuple[str, int, int] | None = None
    #: Error cells (`#N/A`, `#DIV/0!`) by (row, column from 0): calamine reads them as
    #: blank, and a person sees the error.
    errors: dict[tuple[int, int], str] = field(default_factory=dict)


_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?\d*$")
_RANGE_REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+):\$?([A-Za-z]{1,3})\$?(\d+)$")


def _merge_of(ref: str) -> Merge | None:
    """A merged range (`A1:C2`) as (min_col, min_row, max_col, max_row), or None."""
    found = _RANGE_REF.match(ref)
    if found is None:
        return None
    cols = column_index(found.group(1).upper()), column_index(found.group(3).upper())
    rows = int(found.group(2)), int(found.group(4))
    return min(cols), min(rows), max(cols), max(rows)


class _StopScanError(Exception):
    """Raised from inside the parser to stop it at the first limit broken."""


class _SheetScanner:
    """The handlers of one worksheet's scan: expat calls `start` for each element's start
    tag and builds nothing, so a 10,000-row sheet is measured in a fraction of the time
    ElementTree takes to build and drop its elements."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.scan = SheetScan()
        self.row_no = self.column = 0
        #: The rows and columns the cells sit in, first to last.
        self.first_row = self.first_col = 10**9
        self.last_row = self.last_col = 0
        #: The error cell being read, and its value's text so far.
        self.error_at: tuple[int, int] | None = None
        self.error_text: list[str] = []
        self.parser = expat.ParserCreate()
        self.parser.StartElementHandler = self.start

    def start(self, name: str, attrs: dict[str, str]) -> None:
        tag = _local_name(name)
        if self.error_at is not None:
            # An error cell's text is its <v>'s (a formula's <f> comes first); it ends
            # where the next element starts.
            reading = self.parser.CharacterDataHandler is not None
            if tag == "v" and not reading:
                self.parser.CharacterDataHandler = self.error_text.append
                return
            if reading or tag in ("c", "row"):
                self.end_error()
        if tag == "c":
            found = _CELL_REF.match(attrs.get("r") or "")
            column = column_index(found.group(1).upper()) if found else self.column + 1
            self.column = column
            if column > self.limits.columns:
                self.scan.breach = ("columns", self.row_no, column)
                raise _StopScanError
            row_no = self.row_no
            if row_no < self.first_row:
                self.first_row = row_no
            if row_no > self.last_row:
                self.last_row = row_no
            if column < self.first_col:
                self.first_col = column
            if column > self.last_col:
                self.last_col = column
            if attrs.get("t") == "e":
                self.error_at = (row_no, column - 1)
        elif tag == "row":
            self.row_no = _int(attrs.get("r")) or self.row_no + 1
            self.column = 0
            if self.row_no > self.limits.rows:
                self.scan.breach = ("rows", self.row_no, 0)
                raise _StopScanError
        elif tag == "mergeCell":
            merge = _merge_of(attrs.get("ref") or "")
            if merge is not None:
                self.scan.merges.append(merge)

    def end_error(self) -> None:
        assert self.error_at is not None
        self.scan.errors[self.error_at] = "".join(self.error_text).strip()
        self.error_at = None
        self.error_text = []
        self.parser.CharacterDataHandler = None

    def read(self, stream: IO[bytes]) -> SheetScan:
        try:
            while chunk := stream.read(1 << 16):
                self.parser.Parse(chunk, False)
            self.parser.Parse(b"", True)
        except _StopScanError:
            pass
        if self.error_at is not None:
            self.end_error()
        scan = self.scan
        if self.last_row and scan.breach is None:
            # Calamine builds the grid from the first cell to the last, every cell of it.
            rows = self.last_row - self.first_row + 1
            columns = self.last_col - self.first_col + 1
            if rows * columns > self.limits.cells:
                scan.breach = ("cells", rows, columns)
        return scan


@functools.lru_cache(maxsize=256)
def _local_name(name: str) -> str:
    # An element's name as written, prefix and all (`x:c`): calamine, too, goes by the
    # local name whatever the namespace. Cached as `_local` is.
    return name.rpartition(":")[2]


def _scan_sheet(archive: zipfile.ZipFile, part: str, limits: Limits) -> SheetScan:
    """Stream a worksheet's XML and stop at the first limit.

    Row and column numbers are taken from each row's and cell's own reference, as
    calamine takes them, so a single cell far out (row 1,048,576, column XFD) is caught
    before anything is built for the empty space before it; and so is a grid that is
    within both limits but mostly empty space (a cell at A1 and one at GR50000).
    """
    with archive.open(part) as stream:
        return _SheetScanner(limits).read(stream)


def _breach_error(breach: tuple[str, int, int], sheet: str, limits: Limits) -> ImportFileError:
    kind, row, column = breach
    if kind == "rows":
        return ImportFileError("file.too_many_rows", sheet=sheet, row=row, limit=limits.rows)
    if kind == "cells":
        return ImportFileError(
            "file.too_many_cells",
            sheet=sheet,
            rows=row,
            columns=column,
            cells=row * column,
            limit=limits.cells,
        )
    return ImportFileError(
        "file.too_many_columns", sheet=sheet, row=row, column=column, limit=limits.columns
    )


@functools.lru_cache(maxsize=1024)
def column_index(letters: str) -> int:
    """1 for A, 27 for AA; letters beyond Excel's last column count as very far.

    Cached: the scan asks it for every cell, of a few hundred columns at most.
    """
    if not (0 < len(letters) <= 3 and letters.isascii() and letters.isalpha()):
        return 10**9
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def column_letter(index: int) -> str:
    """A for 1, AA for 27: a column as the spreadsheet names it."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


# -- which part holds which sheet -------------------------------------------------


def _relations(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id to (type, target part), targets made absolute."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    found: dict[str, tuple[str, str]] = {}
    if rels not in archive.NameToInfo:
        return found
    with archive.open(rels) as stream:
        for _, elem in ET.iterparse(stream):
            if _local(elem.tag) == "Relationship":
                target = elem.get("Target", "")
                if target.startswith("/"):
                    target = target.lstrip("/")
                else:
                    target = posixpath.normpath(posixpath.join(folder, target))
                found[elem.get("Id", "")] = (elem.get("Type", ""), target)
                elem.clear()
    return found


def _sheet_parts(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each worksheet's name and the part that holds it, as the workbook lists them."""
    office = [t for kind, t in _relations(archive, "").values() if kind.endswith("/officeDocument")]
    book = office[0] if office else "xl/workbook.xml"
    if book not in archive.NameToInfo:
        return {}
    targets = _relations(archive, book)
    parts: dict[str, str] = {}
    with archive.open(book) as stream:
        for _, elem in ET.iterparse(stream):
            if _local(elem.tag) != "sheet":
                continue
            rel = next((v for k, v in elem.attrib.items() if _local(k) == "id"), "")
            kind, target = targets.get(rel, ("", ""))
            if kind.endswith("/worksheet") and target in archive.NameToInfo:
                parts[elem.get("name", "")] = target
            elem.clear()
    return parts


# -- reading ------------------------------------------------------------------

#: Floats hold every whole number below this exactly; above it calamine's number is only
#: the nearest one, and Excel shows 15 significant digits of it.
_EXACT = 2.0**53


def _cell_text(value: object) -> str:
    """A cell as a person sees it in Excel: text as typed, a whole number without `.0`."""
    if isinstance(value, str):
        return value.translate(_INVISIBLE).strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        # Excel stores long digit strings typed without a leading ' as numbers.
        if abs(value) < _EXACT:
            return str(int(value))
        return format(Decimal(f"{value:.14e}"), "f")
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError("file.encoding")


# -- choosing the sheet -------------------------------------------------------------


def _known(row: list[str]) -> int:
    return sum(match_header(c) is not None for c in row if c)


def _sheet_rows(
    sheet: CalamineSheet, scan: SheetScan, max_row: int | None = None
) -> tuple[list[tuple[int, list[str]]], set[tuple[int, int]]]:
    """A sheet's rows as text from row 1 and column A, and which cells held numbers.

    The scan has measured the sheet, so the grid calamine built is within the limits.
    """
    raw: list[tuple[int, list[str]]] = []
    numeric: set[tuple[int, int]] = set()
    for n, values in enumerate(sheet.to_python(skip_empty_area=False, nrows=max_row), start=1):
        raw.append((n, [_cell_text(v) for v in values]))
        numeric.update((n, i) for i, v in enumerate(values) if type(v) in (float, int))
    for (n, i), text in scan.errors.items():
        if n <= len(raw) and i < len(raw[n - 1][1]):
            raw[n - 1][1][i] = text.strip()
    return raw, numeric


def _choose_sheet(
    book: CalamineWorkbook, scan_of: Callable[[str], SheetScan], wanted: str | None, limits: Limits
) -> tuple[str, CalamineSheet, list[str], list[str]]:
    """The sheet to read (its name and calamine's grid), the hidden sheets passed over,
    other visible rosters passed over.

    Hidden sheets hold what offices keep out of sight (last year's roster, lookup lists):
    they are read only when named. Of the visible sheets, the first that looks like a
    roster is read; the others that do are named, never merged in. A sheet past a limit
    cannot be looked at: before the roster it is refused (it may be the roster), after
    it, it is passed over.
    """
    from python_calamine import SheetVisibleEnum

    sheets = _worksheets(book)
    if wanted is not None:
        for meta in sheets:
            if meta.name.strip() == wanted.strip():
                return meta.name, _load(book, meta.name, scan_of, limits), [], []
        raise ImportFileError("file.no_sheet", sheet=wanted, names=[m.name for m in sheets])
    hidden = [m.name for m in sheets if m.visible != SheetVisibleEnum.Visible]
    visible = [m.name for m in sheets if m.visible == SheetVisibleEnum.Visible]
    if not visible:
        raise ImportFileError("file.no_visible_sheet", names=hidden)
    rosters: list[str] = []
    chosen: CalamineSheet | None = None
    for name in visible:
        if scan_of(name).breach is not None and rosters:
            continue
        grid = _load(book, name, scan_of, limits)
        top, _ = _sheet_rows(grid, scan_of(name), max_row=HEADER_SEARCH_ROWS)
        if any(_known(row) >= 2 for _, row in top):
            rosters.append(name)
            chosen = grid if chosen is None else chosen
    if chosen is None:
        return visible[0], _load(book, visible[0], scan_of, limits), hidden, []
    return rosters[0], chosen, hidden, rosters[1:]


def _load(
    book: CalamineWorkbook, name: str, scan_of: Callable[[str], SheetScan], limits: Limits
) -> CalamineSheet:
    """Calamine's grid of a sheet the scan found within the limits."""
    scan = scan_of(name)
    if scan.breach is not None:
        raise _breach_error(scan.breach, name, limits)
    return book.get_sheet_by_name(name)


def _read_workbook(path: Path, wanted: str | None, limits: Limits) -> Table:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportFileError("file.unreadable", name=path.name) from exc
    with archive:
        _check_archive(archive, path.name, limits)
        scans: dict[str, SheetScan] = {}

        def scan_of(name: str) -> SheetScan:
            # Measured when first needed: a hidden sheet is never read, so never scanned.
            part = parts[name]
            if part not in scans:
                scans[part] = _scan_sheet(archive, part, limits)
            return scans[part]

        try:
            # Calamine reads the shared strings whole when it opens the workbook.
            _check_shared_strings(archive, limits)
            parts = _sheet_parts(archive)
        except ET.ParseError as exc:
            raise ImportFileError("file.unreadable", name=path.name) from exc
        book = _open_book(path)
        with book:
            try:
                if any(m.name not in parts for m in _worksheets(book)):
                    raise ImportFileError("file.unreadable", name=path.name)
                name, grid, hidden, others = _choose_sheet(book, scan_of, wanted, limits)
                scan = scan_of(name)
                raw, numeric = _sheet_rows(grid, scan)
            except (ImportFileError, KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # a panic in calamine is a BaseException
                raise ImportFileError("file.unreadable", name=path.name) from exc
    table = _table(path, raw, numeric, scan.merges)
    table.sheet, table.hidden_sheets, table.other_sheets = name, hidden, others
    return table


def _worksheets(book: CalamineWorkbook) -> list[SheetMetadata]:
    """The workbook's worksheets in order (chart and macro sheets hold no roster)."""
    from python_calamine import SheetTypeEnum

    return [m for m in book.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def _open_book(path: Path) -> CalamineWorkbook:
    from python_calamine import CalamineWorkbook

    # Read from a handle: calamine judges a path by its name, and the bytes said zip.
    with path.open("rb") as handle:
        try:
            return CalamineWorkbook.from_filelike(handle)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a panic in calamine is a BaseException
            raise ImportFileError("file.unreadable", name=path.name) from exc


def _csv_lines(text: str, name: str, limits: Limits) -> Iterator[str]:
    """The lines of `text` for the csv reader, each measured before the reader builds it.

    Separators are counted outside quotes, record by record (a quoted cell may hold a
    comma or a line break). A quote the count reads differently from the csv module (one
    inside an unquoted cell) can hide separators only up to the end of its line, and a line
    is bounded by `limits.line_chars`.
    """
    record = 1
    separators = 0
    quoted = False
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        if end - start > limits.line_chars:
            raise ImportFileError(
                "file.csv_line_too_long", name=name, row=record, limit=limits.line_chars
            )
        line = text[start:end]
        for outside, part in enumerate(line.split('"'), start=int(quoted) + 1):
            if outside % 2:
                separators += part.count(",")
        quoted = (quoted + line.count('"')) % 2 == 1
        if separators >= limits.columns:
            raise _breach_error(("columns", record, separators + 1), name, limits)
        if not quoted:
            record += 1
            separators = 0
        yield line
        start = end


def _read_csv(path: Path, limits: Limits) -> Table:
    # Strict: an unclosed quote would otherwise take every later line into one cell
    # without a word, and those people would be missing from the import.
    reader = csv.reader(_csv_lines(_decode(path.read_bytes()), path.name, limits), strict=True)
    raw: list[tuple[int, list[str]]] = []
    try:
        for n, row in enumerate(reader, start=1):
            if n > limits.rows:
                raise _breach_error(("rows", n, 0), path.name, limits)
            if len(row) > limits.columns:
                raise _breach_error(("columns", n, len(row)), path.name, limits)
            raw.append((n, [_unmark(c.translate(_INVISIBLE)) for c in row]))
    except csv.Error as exc:
        # An unclosed or stray quote, or a cell past the csv module's limit: its own words
        # are English and name neither the line nor the fix.
        raise ImportFileError(
            "file.csv_malformed", name=path.name, row=len(raw) + 1, limit=csv.field_size_limit()
        ) from exc
    # A CSV saved by Excel writes a long number as it showed it: 3.30902E+17.
    numeric = {(n, i) for n, row in raw for i, c in enumerate(row) if _SCIENTIFIC.match(c.strip())}
    return _table(path, raw, numeric, [])


def _unmark(cell: str) -> str:
    """A CSV cell without the `'` an export (this app's rejects file too) puts before text
    a spreadsheet would run as a formula: `'-林阿婆` is `-林阿婆`, warned about as formula-like.
    """
    if cell.startswith("'") and formula_like(cell[1:]):
        return cell[1:]
    return cell


def read_table(path: Path, *, sheet: str | None = None, limits: Limits | None = None) -> Table:
    """Read a roster: an .xlsx's sheet people see, or a .csv in UTF-8 (BOM or not) or GBK.

    What the file is comes from its first bytes, not its name. Everything is measured
    against `limits` (default: `LIMITS`) before or while it is read, never after. `sheet`
    names the sheet to read, hidden or not.
    """
    limits = limits or LIMITS
    size = path.stat().st_size
    if size > limits.file_bytes:
        raise ImportFileError(
            "file.too_large", name=path.name, size=_size(size), limit=_size(limits.file_bytes)
        )
    kind = sniff(path)
    suffix = path.suffix.lower()
    if kind in _NOT_EXCEL:
        raise ImportFileError(_NOT_EXCEL[kind], name=path.name)
    if kind == "zip":
        return _read_workbook(path, sheet, limits)
    if suffix == ".csv":
        return _read_csv(path, limits)
    if suffix in _EXCEL_SUFFIXES:
        raise ImportFileError("file.looks_text", name=path.name)
    if not suffix:
        raise ImportFileError("file.no_extension")
    raise ImportFileError("file.unsupported", suffix=suffix)


def _group_merges(sub: list[str], group_no: int, merges: list[Merge]) -> list[Merge]:
    """The merged cells of row `group_no` that group some of the columns of `sub`.

    A merge across every filled column is the sheet's title, not a group. A cell of `sub`
    merged down from the row above (a header of its own spanning both rows, 姓名 beside
    监护人 over 姓名 | 电话) is filled too: it reads empty but is no column under the merge.
    """
    filled = {c + 1 for c, text in enumerate(sub) if text}
    filled.update(
        c
        for min_col, min_row, max_col, max_row in merges
        if min_row <= group_no < group_no + 1 <= max_row
        for c in range(min_col, max_col + 1)
    )
    return [
        (min_col, min_row, max_col, max_row)
        for min_col, min_row, max_col, max_row in merges
        if min_row == max_row == group_no
        and max_col > min_col
        and not all(min_col <= c <= max_col for c in filled)
    ]


def _grouped(by_no: dict[int, list[str]], header_no: int, merges: list[Merge]) -> int | None:
    """The header's own row when merged group cells sit over it (基本信息 / 监护人).

    The group row is the header row found or the one above it. It counts only when a
    cell under a group is a header itself, so a merged cell over the first data row does
    not turn that person into a header.
    """
    for group_no in (header_no - 1, header_no):
        sub = by_no.get(group_no + 1, [])
        under = [
            sub[c - 1]
            for min_col, _, max_col, _ in _group_merges(sub, group_no, merges)
            for c in range(min_col, max_col + 1)
            if c - 1 < len(sub) and sub[c - 1]
        ]
        if any(match_header(t) is not None or _norm_header(t) in _RELATION for t in under):
            return group_no
    return None


def _combine(upper: list[str], lower: list[str], groups: list[Merge]) -> list[str]:
    """One header per column from a group row and the row below: `监护人·电话`."""
    group_of: dict[int, str] = {}
    for min_col, _, max_col, _ in groups:
        text = upper[min_col - 1] if min_col - 1 < len(upper) else ""
        group_of.update(dict.fromkeys(range(min_col - 1, max_col), text))
    names = []
    for i in range(max(len(upper), len(lower))):
        top = group_of.get(i, upper[i] if i < len(upper) else "")
        own = lower[i] if i < len(lower) else ""
        names.append(f"{top}{GROUP_SEP}{own}" if top and own else own or top)
    return names


def _table(
    path: Path,
    raw: list[tuple[int, list[str]]],
    numeric: set[tuple[int, int]],
    merges: list[Merge],
) -> Table:
    raw = [(n, [c.strip() for c in row]) for n, row in raw]
    filled = [i for i, (_, row) in enumerate(raw) if any(row)]
    if not filled:
        raise ImportFileError("file.empty", name=path.name)
    # The header is the first row, among the first few filled ones, that names at least
    # two known columns: a merged title, a 填报单位 line or notes above it are passed over.
    header_at = next((i for i in filled[:HEADER_SEARCH_ROWS] if _known(raw[i][1]) >= 2), filled[0])
    by_no = dict(raw)
    headers = raw[header_at][1]
    group_row = _grouped(by_no, raw[header_at][0], merges)
    if group_row is not None:
        lower = by_no[group_row + 1]
        groups = _group_merges(lower, group_row, merges)
        headers = _combine(by_no.get(group_row, []), lower, groups)
        header_at = next(i for i, (n, _) in enumerate(raw) if n == group_row + 1)
    rows = []
    footer_row = None
    for n, row in raw[header_at + 1 :]:
        if not any(row) or all(c.startswith(NOTE_PREFIX) for c in row if c):
            continue
        first = _norm_header(next((c for c in row if c), ""))
        if first.startswith(_PREAMBLE):
            continue
        if first.startswith(_FOOTER):
            footer_row = n
            break
        rows.append((n, row))
    table = Table(headers, rows, numeric, raw[header_at][0], footer_row)
    table.group_row = group_row
    return table


# -- checking -----------------------------------------------------------------

#: The choice columns, each read the same way: the value named by code, label or synonym,
#: or a `not_a_choice` problem listing what is allowed.
_CHOICE_FIELDS = (
    _ChoiceField("status", functools.partial(_choice, PersonStatus), list(PersonStatus)),
    _ChoiceField(
        "categories",
        functools.partial(_choice, Category),
        [c for c in Category if c not in DERIVED_CATEGORIES],
        many=True,
    ),
    _ChoiceField("disability_grade", DISABILITY_GRADES.get, ["1", "2", "3", "4"]),
)


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

    first_header_row = table.group_row or at
    said_of_the_sheet = (
        (
            table.sheet is not None,
            "sheet_used",
            {"sheet": table.sheet, "header_row": first_header_row},
        ),
        (bool(table.hidden_sheets), "hidden_sheets_skipped", {"names": table.hidden_sheets}),
        (
            bool(table.other_sheets),
            "other_roster_sheets",
            {"sheet": table.sheet or "", "names": table.other_sheets},
        ),
        (first_header_row > 1, "header_found", {"header_row": first_header_row}),
        (
            table.group_row is not None,
            "grouped_header",
            {"group_row": table.group_row, "header_row": at},
        ),
    )
    for applies, what, params in said_of_the_sheet:
        if applies:
            note(what, **params)
    for index, header in enumerate(table.headers):
        if not header:
            # A column without a header is not read; if it holds data, that is said.
            example = next((r[index] for _, r in table.rows if index < len(r) and r[index]), "")
            if example:
                note(
                    "unnamed_column",
                    "",
                    example,
                    letter=column_letter(index + 1),
                    example=example,
                )
            continue
        col = match_header(header)
        if col is not None and col not in columns.values():
            columns[index] = col
        elif col is not None:
            # Two columns that read as one field: taking either would be a guess, and the
            # wrong one stores a guardian's phone as the child's own.
            first = next(i for i, c in columns.items() if c == col)
            raise ImportFileError(
                "file.ambiguous_columns",
                field=FieldLabel(col.field),
                first=table.headers[first],
                first_column=column_letter(first + 1),
                second=header,
                second_column=column_letter(index + 1),
            )
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
    existing = queries.registered(store)
    by_name_birth = {(p.name, p.id_number[6:14]): p for p in existing.values()}
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
        for choice in _CHOICE_FIELDS:
            if choice.field not in data:
                continue
            typed = data[choice.field]
            labels = [c for c in _SPLIT.split(typed) if c] if choice.many else [typed]
            found = [choice.read(label) for label in labels]
            for label, value in zip(labels, found, strict=True):
                if value is None:
                    problem(row_no, choice.field, label, "not_a_choice", allowed=choice.allowed)
                    refused = True
            if choice.many:
                data[choice.field] = [v for v in found if v is not None]
            elif found[0] is None:
                del data[choice.field]
            else:
                data[choice.field] = found[0]
        if "id_number" in data:
            typed = data["id_number"]
            if resident_id.has_foreign_digits(typed):
                # Digits of another script (٣, ३) read as the same number but are not the
                # characters every other system stores and searches by.
                data["id_number"] = resident_id.ascii_digits(typed)
                problem(
                    row_no,
                    "id_number",
                    typed,
                    "id_digits_converted",
                    warn=True,
                    new=data["id_number"],
                )
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
        for name in _TEXT_FIELDS:
            text = getattr(person, name)
            if formula_like(text):
                # Kept as typed: it is what the office wrote. Exports write it as text.
                problem(row_no, name, text, "formula_like", warn=True)
        number = person.id_number
        if number in seen_in_file:
            problem(
                row_no, "id_number", number, "duplicate_in_file", first_row=seen_in_file[number]
            )
            continue
        seen_in_file[number] = row_no
        old = existing.get(number)
        if old is not None:
            stored = store.get(Person, old.id) if update_existing else None
            if stored is not None:
                fields = {k: getattr(person, k) for k in data if k != "registered_on"}
                plan.updates.append(stored.revise(context=context, **fields))
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
                masked=resident_id.mask(twin.id_number),
            )
        plan.new.append(person)
    return plan


#: People written per `save_many` call of an import: the progress bar moves once a chunk.
APPLY_CHUNK = 250


def apply(store: Store, plan: ImportPlan, progress: Callable[[int], None] | None = None) -> int:
    """Write the planned people in one transaction, through the write API; returns how many.

    All or nothing: an import stopped part way (a power cut, Ctrl+C, a full disk) leaves
    the store as it was, each row with its change-log entry or neither, and the same file
    imports again. New people go in by `save_new` a chunk at a time (each chunk a few
    statements, its people's dashboard facts built together); updates by `save_many`, which
    also writes each changed status's dated events.
    """
    total = len(plan.new) + len(plan.updates)
    done = 0
    with store.transaction():
        for records, write in ((plan.new, store.save_new), (plan.updates, store.save_many)):
            for start in range(0, len(records), APPLY_CHUNK):
                chunk = records[start : start + APPLY_CHUNK]
                write(chunk)
                done += len(chunk)
                if progress:
                    progress(done)
    return total


# -- files the importer writes --------------------------------------------------


def write_template(path: Path, villages: Iterable[Village]) -> None:
    """An empty roster with Chinese headers, a notes row and drop-downs for fixed values."""
    # openpyxl writes; nothing reads with it, so a CSV or .xlsx import never loads it.
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    header_fill = PatternFill("solid", fgColor="DDEBF7")
    note_font = Font(color="808080", italic=True)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "服务对象"
    village_names = [v.name for v in villages]
    for index, col in enumerate(COLUMNS, start=1):
        head = sheet.cell(row=1, column=index, value=col.header + ("*" if col.required else ""))
        head.font = Font(bold=True)
        head.fill = header_fill
        note = sheet.cell(row=2, column=index, value=f"{NOTE_PREFIX}{col.note or '选填'}")
        note.font = note_font
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
