"""Strings for what reading a roster's .xlsx as one grid (calamine) adds to the importer."""

from __future__ import annotations

STRINGS: dict[str, tuple[str, str]] = {
    "import.file.too_many_cells": (
        "工作表“{sheet}”从第一个到最后一个有内容或格式的格子，跨{rows}行、{columns}列，"
        "共{cells}格，超过上限{limit}格",
        "the sheet {sheet!r} runs over {rows} rows and {columns} columns from its first "
        "cell to its last, {cells} cells, past the limit of {limit}",
    ),
    "import.file.too_many_cells.fix": (
        "名册远处有零散的内容或格式（在 Excel 中按 Ctrl+End 可找到最后一格）；"
        "请删去名册右侧和下方多余的行和列后另存，或把名册复制到新工作表再导入",
        "something stands far from the roster (Ctrl+End in Excel finds the last cell); "
        "delete the extra rows and columns right of and below the roster and save again, "
        "or copy the roster to a new sheet and import that",
    ),
}
