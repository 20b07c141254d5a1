"""Excel workbooks → Doc: each sheet's grid regions become Tables, lone text rows Paras.

openpyxl in `read_only=True, data_only=True` mode (formulas give their cached values; a
workbook never opened in Excel/LibreOffice has none, and those cells read blank), closed after.
Numbers are handed on as text the way a person reads them (percent-formatted 0.8 → "80%"),
so the table reader treats Excel and Word alike. An agency may write the whole report in a
sheet: rows with a single text cell become paragraphs, runs of rows with several filled cells
become tables (a single-cell row inside a table, such as a group row, stays in it).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from typing import Any

from parsers.document import Block, Doc, Para, Table
from parsers.errors import CorruptFile
from parsers.textnorm import clean

# Single-cell or empty rows allowed inside a table before it ends.
_MAX_GAP = 3
# A report's sheet is small; a sheet claiming a million rows is read only this far.
MAX_ROWS = 5000
MAX_COLS = 60


def read_xlsx(data: bytes) -> Doc:
    """Every sheet of an .xlsx as blocks in sheet order (where = "trang tính '<name>'")."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError) as err:
        raise CorruptFile("Tệp Excel bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    try:
        doc = Doc()
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            doc.blocks.extend(_sheet_blocks(sheet))
        return doc
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise CorruptFile("Tệp Excel bị hỏng (một trang tính không đọc được); đề nghị đơn vị gửi lại.") from err
    finally:
        workbook.close()


def _sheet_blocks(sheet: Any) -> list[Block]:
    where = f"trang tính '{sheet.title}'"
    rows = list(_rows(sheet))
    blocks: list[Block] = []
    i = 0
    while i < len(rows):
        number, cells = rows[i]
        filled = [c for c in cells if c]
        if len(filled) >= 2:
            end = _table_end(rows, i)
            grid = _dense(rows[i:end])
            width = max(len(r) for r in grid)
            grid = [r + [""] * (width - len(r)) for r in grid]
            blocks.append(Table(_trim_columns(grid), where=where, first_row=number))
            i = end
            continue
        if filled:
            blocks.append(Para(filled[0], where=f"{where}, dòng {number}"))
        i += 1
    return blocks


def _table_end(rows: list[tuple[int, list[str]]], start: int) -> int:
    """Index after the last row of the table starting at `start` (short gaps allowed)."""
    end, gap = start + 1, 0
    for k in range(start + 1, len(rows)):
        number, cells = rows[k]
        if number - rows[k - 1][0] > 1:
            gap += number - rows[k - 1][0] - 1
        if sum(1 for c in cells if c) >= 2:
            end, gap = k + 1, 0
        else:
            gap += 1
        if gap > _MAX_GAP:
            break
    return end


def _dense(rows: list[tuple[int, list[str]]]) -> list[list[str]]:
    """Rows of a region with the empty sheet rows put back (so index + first_row = sheet row)."""
    grid: list[list[str]] = []
    for k, (number, cells) in enumerate(rows):
        if k:
            grid.extend([] for _ in range(number - rows[k - 1][0] - 1))
        grid.append(cells)
    return grid


def _trim_columns(grid: list[list[str]]) -> list[list[str]]:
    """Drop columns empty in every row (sheets often start at column B)."""
    keep = [j for j in range(len(grid[0])) if any(row[j] for row in grid)]
    return [[row[j] for j in keep] for row in grid]


def _rows(sheet: Any) -> Iterator[tuple[int, list[str]]]:
    """(row number, cell texts) for every non-empty row, trailing blanks removed."""
    for row in sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS):
        cells = [_text(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            number = next((c.row for c in row if getattr(c, "row", None)), 0)
            yield number, cells


def _text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int | float):
        return _number_text(value, getattr(cell, "number_format", "General") or "General")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return clean(str(value))


def _number_text(value: float, number_format: str) -> str:
    """A number as a Vietnamese reader would write it (no thousands dots: they are ambiguous)."""
    if "%" in number_format:
        value = value * 100
        suffix = "%"
    else:
        suffix = ""
    if float(value).is_integer():
        return f"{int(value)}{suffix}"
    text = f"{round(value, 4):.4f}".rstrip("0").rstrip(".").replace(".", ",")
    return text + suffix
