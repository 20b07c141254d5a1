"""Excel workbooks → Doc: each sheet's grid regions become Tables, lone text rows Paras.

openpyxl in `read_only=True, data_only=True` mode (formulas give their cached values; a
workbook never opened in Excel/LibreOffice has none, and those cells read blank), closed after.
Numbers are handed on as text the way a person reads them (percent-formatted 0.8 → "80%"),
so the table reader treats Excel and Word alike. An agency may write the whole report in a
sheet: rows with a single text cell become paragraphs, runs of rows with several filled cells
become tables (a single-cell row inside a table, such as a group row, stays in it).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from parsers.document import Block, Doc, Para, Table
from parsers.errors import CorruptFile
from parsers.textnorm import clean
from parsers.vnlegacy import convert_run, fix_text, font_encoding

# Single-cell or empty rows allowed inside a table before it ends.
_MAX_GAP = 3
# A report's sheet is small; a sheet claiming a million rows is read only this far.
MAX_ROWS = 5000
MAX_COLS = 60
_HIGH = re.compile("[\u0080-\u00ff]")
# A cell this long is prose, not a figure or a short label.
_NARRATIVE_CHARS = 60
_LETTER_LABEL = re.compile(r"^[a-zđ][.)]$")
# A short cell holding a figure ("12", "80%", "1.250 lượt").
_FIGURE = re.compile(r"^\D{0,3}\d[\d.,]*\s*%?\s*\w{0,12}$")
_NUMBER_CELL = re.compile(r"^(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})*(?:\.(?:[a-zđ]|dd))?|[a-zđ])[.)]?$")
# An outline id written in its own cell, the way agencies type it: "2.1.a", "2.1. a)", "1. a)",
# "2.2.đ", "2.2 (đ)". Group ids ("2.1", "1.") too; a letter makes it an outline id, not a TT.
_OUTLINE_ID = re.compile(
    r"^(?P<path>\d{1,2}(?:\s*\.\s*\d{1,2}){0,3})\s*\.?\s*(?:\(?\s*(?P<letter>[a-zđ]|dd)\s*[.):]?)?\s*$"
)
# Rows an id column needs before it decides (a sheet keyed by outline ids, not a lone "1.a").
_MIN_ID_ROWS = 3
# A sheet's column header over narrative rows ("Mục | Nội dung", "STT | Nội dung | Kết quả").
_SHEET_HEADER = {"muc", "stt", "tt", "so tt", "noi dung", "noi dung bao cao", "ket qua", "ket qua thuc hien",
                 "ghi chu", "tinh hinh thuc hien", "noi dung cong viec", "de muc", "chi tieu"}


def read_xlsx(data: bytes) -> Doc:
    """Every sheet of an .xlsx as blocks in sheet order (where = "trang tính '<name>'")."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, ValueError, TypeError) as err:
        raise CorruptFile("Tệp Excel bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    try:
        doc = Doc()
        hidden = hidden_rows_and_columns(data)
        for sheet in workbook.worksheets:
            if getattr(sheet, "sheet_state", "visible") != "visible":
                continue
            rows = _visible(sheet.title, list(_rows(sheet)), hidden, doc.problems)
            doc.blocks.extend(_sheet_blocks(sheet, rows))
        return doc
    except (zipfile.BadZipFile, OSError, EOFError) as err:
        raise CorruptFile("Tệp Excel bị hỏng (một trang tính không đọc được); đề nghị đơn vị gửi lại.") from err
    finally:
        workbook.close()


@dataclass
class _Row:
    number: int
    cells: list[str]
    bold: bool = False
    # Hidden rows left out just above this one (they are no gap between the rows around them).
    hidden_above: int = 0

    @property
    def filled(self) -> list[str]:
        return [c for c in self.cells if c]


def _sheet_blocks(sheet: Any, rows: list[_Row] | None = None) -> list[Block]:
    where = f"trang tính '{sheet.title}'"
    rows = list(_rows(sheet)) if rows is None else rows
    blocks: list[Block] = []
    i = 0
    while i < len(rows):
        row = rows[i]
        if len(row.filled) >= 2:
            end = _table_end(rows, i)
            blocks.extend(_region(rows[i:end], where))
            i = end
            continue
        if row.filled:
            blocks.append(Para(row.filled[0], bold=row.bold, where=f"{where}, dòng {row.number}"))
        i += 1
    return blocks


def _region(rows: list[_Row], where: str) -> list[Block]:
    """Rows with several filled cells: a table of figures, text laid out in cells, or both
    (the narrative first, then the table from its header on)."""
    from parsers.table import indicator_header_top, results_table, transposed_table

    if all(len(r.filled) <= 1 for r in rows):
        return [Para(r.filled[0], bold=r.bold, where=f"{where}, dòng {r.number}") for r in rows if r.filled]
    grid = _grid(rows)
    top = indicator_header_top(grid)
    if top is None and (transposed_table(grid) or results_table(grid)):
        # Kế hoạch / Kết quả / Tỷ lệ as rows (a table on its side), or a column of results alone.
        return [Table(_trim_columns(grid), where=where, first_row=rows[0].number)]
    if top is None:
        if any(len(cell) > _NARRATIVE_CHARS for r in grid for cell in r) or _id_column(grid) is not None:
            return list(_narrative(rows, where))
        return [Table(_trim_columns(grid), where=where, first_row=rows[0].number)]
    first = rows[0].number + top
    title = next((r for r in rows if r.number == first), None)
    if title is not None and len(title.filled) == 1:  # a title row above the header: a paragraph
        first += 1
    before = [r for r in rows if r.number < first]
    table = [r for r in rows if r.number >= first]
    table, after = _split_trailing_narrative(table)
    blocks: list[Block] = list(_region(before, where)) if before else []
    blocks.append(Table(_trim_columns(_grid(table)), where=where, first_row=first))
    blocks.extend(_narrative(after, where))
    return blocks


def _split_trailing_narrative(rows: list[_Row]) -> tuple[list[_Row], list[_Row]]:
    """Outline answers written in cells below the table ("a) | Về xây dựng… | Đơn vị đã…").

    The quantitative table numbers its rows with digits or Roman numerals and holds figures;
    a row labelled with a letter whose cells are prose, not figures, starts the narrative (with
    the title rows just above it, such as "Thuyết minh").
    """
    for k, row in enumerate(rows):
        cells = row.filled
        if (
            len(cells) >= 2
            and _LETTER_LABEL.match(cells[0])
            and any(len(c) > _NARRATIVE_CHARS for c in cells[1:])
            and not any(_FIGURE.match(c) for c in cells[1:])
        ):
            while k > 1 and len(rows[k - 1].filled) <= 1:
                k -= 1
            return rows[:k], rows[k:]
    return rows, []


def _grid(rows: list[_Row]) -> list[list[str]]:
    grid = _dense(rows)
    width = max(len(r) for r in grid)
    return [r + [""] * (width - len(r)) for r in grid]


def outline_id(cell: str) -> str | None:
    """The outline id a cell holds, written the way the outline writes it ("2.1. a)" → "2.1.a",
    "1. đ)" → "1.đ", "2.1" → "2.1"); None for anything else."""
    m = _OUTLINE_ID.match(cell.strip())
    if not m:
        return None
    path = re.sub(r"\s+", "", m.group("path")).rstrip(".")
    letter = m.group("letter")
    if not letter:
        return path
    return f"{path}.{'đ' if letter == 'dd' else letter}"


def _id_column(grid: list[list[str]]) -> int | None:
    """The column whose values are outline ids (a sheet keyed by "1.a", "2.1. b)" …): at least
    `_MIN_ID_ROWS` of them, most of the column's values, some with a letter (a TT column of
    1, 2, 3 is not one)."""
    width = max((len(r) for r in grid), default=0)
    for j in range(min(width, 3)):
        values = [r[j] for r in grid if j < len(r) and r[j]]
        ids = [outline_id(v) for v in values]
        found = [i for i in ids if i]
        if len(found) >= _MIN_ID_ROWS and len(found) * 3 >= len(values) * 2 and any("." in i and not i.split(".")[-1].isdigit() for i in found):
            return j
    return None


def _narrative(rows: list[_Row], where: str) -> list[Para]:
    """Each row's cells as paragraphs, a short numbering cell ("a)", "2.1") kept with its text;
    an outline id column's cell ("2.1. a)") written as the outline writes the id, so the row's
    answer is assigned by it."""
    from parsers.textnorm import fold_words

    ids = _id_column(_grid(rows)) if rows else None
    paras: list[Para] = []
    for row in rows:
        cells: list[str] = []
        own = outline_id(row.cells[ids]) if ids is not None and ids < len(row.cells) and row.cells[ids] else None
        filled = row.filled
        if own is not None:
            filled = [own, *(c for k, c in enumerate(row.cells) if c and k != ids)]
        for cell in filled:
            if cell not in cells:
                cells.append(cell)
        if len(cells) >= 2 and all(fold_words(c) in _SHEET_HEADER for c in cells):
            paras.append(Para(" | ".join(cells), style="sheet-header", where=f"{where}, dòng {row.number}"))
            continue
        style = ""
        if len(cells) >= 2 and _NUMBER_CELL.match(cells[0]):
            # A numbered heading in its own cell with the answer beside it: a heading.
            style = "Heading" if len(cells) >= 3 else ""
            cells = [f"{cells[0]} {cells[1]}", *cells[2:]]
        bold = row.bold
        for cell in cells:
            paras.append(Para(cell, bold=bold, style=style, where=f"{where}, dòng {row.number}"))
            bold, style = False, ""
    return paras


def _table_end(rows: list[_Row], start: int) -> int:
    """Index after the last row of the table starting at `start` (short gaps allowed)."""
    end, gap = start + 1, 0
    for k in range(start + 1, len(rows)):
        step = rows[k].number - rows[k - 1].number - rows[k].hidden_above
        if step > 1:
            gap += step - 1
        if len(rows[k].filled) >= 2:
            end, gap = k + 1, 0
        else:
            gap += 1
        if gap > _MAX_GAP:
            break
    return end


def _dense(rows: list[_Row]) -> list[list[str]]:
    """Rows of a region with the empty sheet rows put back (so index + first_row = sheet row)."""
    grid: list[list[str]] = []
    for k, row in enumerate(rows):
        if k:
            grid.extend([] for _ in range(row.number - rows[k - 1].number - 1))
        grid.append(row.cells)
    return grid


def _trim_columns(grid: list[list[str]]) -> list[list[str]]:
    """Drop columns empty in every row (sheets often start at column B)."""
    keep = [j for j in range(len(grid[0])) if any(row[j] for row in grid)]
    return [[row[j] for j in keep] for row in grid]


def _rows(sheet: Any) -> Iterator[_Row]:
    """Every non-empty row: number, cell texts (trailing blanks removed), first text cell bold."""
    for row in sheet.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS):
        cells = [_text(c) for c in row]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            number = next((c.row for c in row if getattr(c, "row", None)), 0)
            first = next((c for c, text in zip(row, cells, strict=False) if text), None)
            yield _Row(number, cells, _is_bold(first))


# --- hidden rows and columns ----------------------------------------------------------------

_ROW_TAG = re.compile(rb"<(?:\w+:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:\w+:)?col\b([^>]*)>")
_ATTR = re.compile(rb"""\b(r|min|max|hidden)\s*=\s*["']([^"']*)["']""")
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def hidden_rows_and_columns(data: bytes) -> dict[str, tuple[frozenset[int], frozenset[int]]]:
    """Sheet name → (hidden row numbers, hidden column numbers, both from 1) of an .xlsx: rows
    and columns hidden by hand, by a filter or a collapsed group. Neither openpyxl's read-only
    mode nor python-calamine says; the sheet XML does (`<row r="13" hidden="1">`, `<col min max
    hidden>`), read here with a scan of the tags, not a parse. {} when nothing is hidden or the
    file is not an .xlsx (.ods: not looked at)."""
    from lxml import etree

    out: dict[str, tuple[frozenset[int], frozenset[int]]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "xl/workbook.xml" not in names or "xl/_rels/workbook.xml.rels" not in names:
                return {}
            parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
            book = etree.fromstring(archive.read("xl/workbook.xml"), parser)
            rels = etree.fromstring(archive.read("xl/_rels/workbook.xml.rels"), parser)
            targets = {r.get("Id"): r.get("Target", "") for r in rels}
            for sheet in book.iter("{*}sheet"):
                target = targets.get(sheet.get(f"{{{_REL_NS}}}id"), "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                if path not in names:
                    continue
                xml = archive.read(path)
                if b"hidden" not in xml:
                    continue
                found = _hidden_in(xml)
                if found[0] or found[1]:
                    out[sheet.get("name", "")] = found
    except (zipfile.BadZipFile, OSError, EOFError, KeyError, etree.XMLSyntaxError):
        return {}
    return out


def _hidden_in(xml: bytes) -> tuple[frozenset[int], frozenset[int]]:
    rows: set[int] = set()
    number = 0
    for tag in _ROW_TAG.finditer(xml):
        attrs = dict(_ATTR.findall(tag.group(1)))
        number = _attr_int(attrs.get(b"r"), number + 1)  # "r" is optional: the next row
        if attrs.get(b"hidden") in (b"1", b"true") and number <= MAX_ROWS:
            rows.add(number)
    cols: set[int] = set()
    for tag in _COL_TAG.finditer(xml):
        attrs = dict(_ATTR.findall(tag.group(1)))
        if attrs.get(b"hidden") in (b"1", b"true"):
            low = _attr_int(attrs.get(b"min"), 0)
            cols.update(range(max(low, 1), min(_attr_int(attrs.get(b"max"), low), MAX_COLS) + 1))
    return frozenset(rows), frozenset(cols)


def _attr_int(value: bytes | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _visible(
    title: str, rows: list[_Row], hidden: dict[str, tuple[frozenset[int], frozenset[int]]], problems: list
) -> list[_Row]:
    """The sheet's rows without its hidden rows and columns (an old figure hidden under the new
    one must not be read as the answer), saying what was left out when it held anything."""
    from parsers.model import Problem, ProblemCode

    hidden_rows, hidden_cols = hidden.get(title, (frozenset(), frozenset()))
    if not hidden_rows and not hidden_cols:
        return rows
    kept: list[_Row] = []
    dropped_rows: list[int] = []
    dropped_cols: set[int] = set()
    for row in rows:
        if row.number in hidden_rows:
            if row.filled:
                dropped_rows.append(row.number)
            continue
        previous = kept[-1].number if kept else 0
        above = sum(1 for n in range(previous + 1, row.number) if n in hidden_rows)
        cells = list(row.cells)
        for j in hidden_cols:
            if j <= len(cells) and cells[j - 1]:
                dropped_cols.add(j)
                cells[j - 1] = ""
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            kept.append(_Row(row.number, cells, row.bold, above))
    if dropped_rows or dropped_cols:
        parts = []
        if dropped_rows:
            parts.append(f"dòng ẩn {_listed([str(n) for n in dropped_rows])}")
        if dropped_cols:
            parts.append(f"cột ẩn {_listed([_column_name(j) for j in sorted(dropped_cols)])}")
        problems.append(
            Problem(
                ProblemCode.HIDDEN_CONTENT,
                f"Trang tính '{title}' có {' và '.join(parts)} chứa nội dung; phần ẩn không được đọc"
                " (thường là số liệu cũ hoặc nháp). Nếu đó là số liệu báo cáo, đề nghị đơn vị bỏ ẩn và gửi lại.",
                f"trang tính '{title}'",
            )
        )
    return kept


def _listed(items: list[str], limit: int = 8) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f" … ({len(items)} dòng/cột)" if len(items) > limit else "")


def _column_name(number: int) -> str:
    name = ""
    while number:
        number, rest = divmod(number - 1, 26)
        name = chr(65 + rest) + name
    return name


# A broken style reference (`s=""` on a cell, an xf pointing nowhere) makes openpyxl's style
# lookups raise: the cell's value is still good, it is read without its style.
STYLE_ERRORS = (AttributeError, IndexError, KeyError, TypeError, ValueError)


def _number_format(cell: Any) -> str:
    try:
        return getattr(cell, "number_format", "General") or "General"
    except STYLE_ERRORS:
        return "General"


def _is_bold(cell: Any) -> bool:
    try:
        return bool(cell is not None and cell.font is not None and cell.font.b)
    except STYLE_ERRORS:
        return False


def _text(cell: Any) -> str:
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int | float):
        return _number_text(value, _number_format(cell))
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    return clean(_unicode(str(value), cell))


def _unicode(text: str, cell: Any) -> str:
    """Text typed in a TCVN3/VNI font (old .xls files) decoded by the cell's font, or by its
    look when the font says nothing."""
    if not _HIGH.search(text):
        return text
    try:
        font = cell.font.name if cell.font is not None else None
    except STYLE_ERRORS:
        font = None
    if font_encoding(font):
        return convert_run(text, font)
    return fix_text(text)


def _number_text(value: float, number_format: str) -> str:
    """A number as a Vietnamese reader would write it (no thousands dots: they are ambiguous)."""
    if "%" in number_format:
        value = value * 100
        suffix = "%"
    else:
        suffix = ""
    value = round(value, 4)
    if float(value).is_integer():
        return f"{int(value)}{suffix}"
    whole, _, decimals = f"{value:.4f}".rstrip("0").partition(".")
    # Three decimals read as a thousands group ("111,652" is 111652 to a Vietnamese reader):
    # a fourth digit keeps the cell's number exactly what Excel holds (111,6520 → 111.652).
    if len(decimals) == 3:
        decimals += "0"
    return f"{whole},{decimals}{suffix}"


# --- python-calamine: the fast path ---------------------------------------------------------

# Legacy Vietnamese fonts: their text needs the cell's font to be decoded (openpyxl).
_LEGACY_FONT = re.compile(rb"(?i)\.vn[a-z]|vni[- ]")
# Percent formats (built-in 9, 10 or a custom one with %): only openpyxl sees them.
_STYLE_NEEDS = re.compile(rb'numFmtId="(?:9|10)"|formatCode="[^"]*%|percentage-style')
# A sheet with more lone text rows than a form's titles is a report written in cells: its
# headings are told by bold, which only openpyxl sees.
MAX_FAST_PARAGRAPHS = 6


def calamine_suits(data: bytes, fmt: str) -> bool:
    """An .xlsx/.ods whose cell values alone say everything (no legacy-font text, no percent
    formats), so python-calamine (Rust, many times faster than openpyxl) can read it."""
    parts = {"xlsx": ("xl/styles.xml",), "ods": ("styles.xml", "content.xml")}.get(fmt)
    if parts is None:
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in parts:
                if name not in archive.namelist():
                    continue
                with archive.open(name) as part:
                    xml = part.read(4_000_000)
                if _LEGACY_FONT.search(xml) or _STYLE_NEEDS.search(xml):
                    return False
    except (zipfile.BadZipFile, OSError, EOFError, KeyError) as err:
        raise CorruptFile("Tệp bảng tính bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    return True


@dataclass
class _Sheet:
    title: str


def read_calamine(data: bytes) -> Doc | None:
    """Every visible sheet read by python-calamine (values only), as `read_xlsx` does; None
    when the sheets hold more prose than a form's titles (bold headings matter there)."""
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        doc = Doc()
        hidden = hidden_rows_and_columns(data)
        for meta in workbook.sheets_metadata:
            if str(meta.visible).rsplit(".", 1)[-1].lower() != "visible":
                continue
            grid = workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False, nrows=MAX_ROWS)
            rows = _visible(meta.name, list(_calamine_rows(grid)), hidden, doc.problems)
            doc.blocks.extend(_sheet_blocks(_Sheet(meta.name), rows))
        return doc if len(doc.paragraphs) <= MAX_FAST_PARAGRAPHS else None
    except (CalamineError, ValueError, OSError) as err:
        raise CorruptFile("Tệp bảng tính bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    finally:
        with contextlib.suppress(Exception):
            workbook.close()


def _calamine_rows(grid: list[list[Any]]) -> Iterator[_Row]:
    for number, values in enumerate(grid, start=1):
        cells = [_value_text(v) for v in values[:MAX_COLS]]
        while cells and not cells[-1]:
            cells.pop()
        if cells:
            yield _Row(number, cells)


def _value_text(value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    if isinstance(value, int | float):
        return _number_text(value, "General")
    if isinstance(value, dt.datetime | dt.date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    return clean(fix_text(str(value)))
