"""Tables laid out to the window's width: one column wraps, none runs off the edge.

A DataTable sizes its columns to their content and scrolls sideways when they do not fit,
so at 80 columns the last one is cut at the edge with nothing to say so. Here every column
is given a fixed width (its widest cell or heading), and one chosen column gets what is
left and wraps its cells onto more lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import DataTable

from screens import format as fmt
from screens.textual_compat import add_rows_at_once

#: A cell's padding on each side, and a vertical scrollbar's width.
CELL_PAD = 1
SCROLLBAR = 2


def fill(
    table: DataTable[object],
    headings: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    wraps: int,
    width: int,
    keys: Sequence[str] | None = None,
    styles: Sequence[str] | None = None,
    least: int = 10,
    keep: Iterable[str] = (),
) -> None:
    """Put `rows` in `table` (cleared, columns and all) in `width` cells: column `wraps`
    gets the width the others leave (at least `least`), its long cells on several lines,
    each of `keep` in them kept on one line (`fmt.wrap`)."""
    table.clear(columns=True)
    widths = [
        max(cell_len(fmt.plain(cell)) for cell in (heading, *(row[i] for row in rows)))
        for i, heading in enumerate(headings)
    ]
    others = sum(w + 2 * CELL_PAD for i, w in enumerate(widths) if i != wraps)
    widths[wraps] = max(width - others - 2 * CELL_PAD - SCROLLBAR, least)
    for index, (heading, column_width) in enumerate(zip(headings, widths, strict=True)):
        table.add_column(fmt.text(heading), key=str(index), width=column_width)
    laid: list[tuple[str, list[Text]]] = []
    heights: dict[str, int] = {}
    for index, row in enumerate(rows):
        style = styles[index] if styles else ""
        cells = [fmt.text(cell, style=style) for cell in row]
        # Broken into lines here, as a reader breaks them (`fmt.wrap`): the table's own
        # wrapping folds a word without spaces anywhere, 2026年 as 2 / 026年.
        lines = fmt.wrap(cells[wraps].plain, widths[wraps], keep=keep)
        cells[wraps] = Text("\n".join(lines), style=style)
        key = keys[index] if keys else str(index)
        laid.append((key, cells))
        heights[key] = len(lines)
    # As one change: row by row, a person's 200 records were half of laying out the page.
    add_rows_at_once(table, laid, heights, measure=False)  # every column's width is fixed
