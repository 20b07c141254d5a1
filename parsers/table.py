"""Find the quantitative table (Kế hoạch / Kết quả / Tỷ lệ) among a document's tables and read it.

Agencies rebuild the table their own way, so nothing here trusts positions: the header is
found by its words (accent-folded) anywhere in any table, its columns by the lowest header row
that names them (two-row headers with merged cells), rows are matched to the outline by their
label (fuzzy similarity plus agreement on the words that tell outline rows apart, weighted by
how few rows use them; abbreviations spelt out; one outline row per table row), and a table
with no header right after the found one with the same number of columns is its continuation
(a table split across pages). Rows still missing may come from another table with its own
header. Rows that match no outline row are the agency's own (`extra_rows`); total rows are
dropped. Every value keeps its raw text and where it was read.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz

from parsers.caching import per_outline
from parsers.columns import ColumnRoles, aux_role, confirm_by_data, header_roles, value_role
from parsers.document import Block, Para, Table
from parsers.model import ExtraRow, Indicator, IndicatorValue, Problem, ProblemCode, RowSpec
from parsers.numbers import Number, parse_number, vn_number
from parsers.textnorm import clean
from parsers.textnorm import fold_words as _fold_words
from parsers.units import COUNT_UNITS, PERCENT, Unit, header_unit, note_unit, read_unit

# Table cells and outline labels repeat (header rows, merged cells, one label scored 7 times).
fold_words = lru_cache(maxsize=8192)(_fold_words)

ROLES = ("plan", "result", "rate")
ROLE_NAMES = {"plan": "Kế hoạch", "result": "Kết quả", "rate": "Tỷ lệ"}
# How far a reported rate may be from result/plan×100 (percentage points) before we flag it.
RATE_TOLERANCE = 1.0
MATCH_THRESHOLD = 68.0
_STT_WORDS = {"tt", "stt", "so tt", "so thu tu", "thu tu"}
_UNIT_WORDS = ("don vi tinh", "dvt", "don vi do")
_NOTE_WORDS = ("ghi chu",)
_NUMBERING = re.compile(r"^\s*((?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]|\d{1,2}(?=\s))\s*(.*)$", re.S)
_ROMAN = re.compile(r"^[IVX]{1,4}[.)]?$")
_LETTER = re.compile(r"[^\W\d_]")


@dataclass
class TableReading:
    """What the quantitative table says: every outline row, the agency's own rows, doubts."""

    indicators: dict[str, Indicator]
    extra_rows: list[ExtraRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    used_tables: set[int] = field(default_factory=set)
    # The plan and result columns' headings as printed (header rows stacked) with where: the
    # period the figures are for ("Kết quả năm 2023") is read from them.
    column_headers: list[tuple[str, str]] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Whether a quantitative table was found at all."""
        return bool(self.used_tables)


@dataclass
class _Header:
    bottom: int
    columns: dict[str, int]
    label_col: int
    stt_col: int | None
    width: int
    top: int = 0
    # Row after the table's last (the next header in the same grid, or the grid's end).
    end: int = 0
    roles: ColumnRoles | None = None
    where: str = ""
    # A unit a value column's header names ("Kết quả (nghìn lượt)"): role → unit.
    units: dict[str, Unit] = field(default_factory=dict)
    # Read from the table turned on its side (outline rows as columns, measures as rows).
    transposed: bool = False


@dataclass
class _Line:
    label: str
    group: str
    number: str
    cells: dict[str, str]
    where: str
    table: int
    cols: dict[str, int] = field(default_factory=dict)
    unit: str = ""
    note: str = ""
    # A total row ("Tổng cộng", "Cộng (I + II)"): checked against its rows, not a row itself.
    total: bool = False
    # A breakdown line under a row ("Trong đó: - Cân thương mại", "- Công tơ điện").
    sub: bool = False
    units: dict[str, Unit] = field(default_factory=dict)
    # Role → where its cell is, when not "<where>, cột <n>" (a transposed table).
    cell_where: dict[str, str] = field(default_factory=dict)


def read_indicators(tables: Sequence[Table], rows: Sequence[RowSpec]) -> TableReading:
    """Read the outline's rows from whichever of `tables` holds the quantitative table."""
    candidates = _candidates(tables, rows)
    if not candidates:
        reading = TableReading({r.id: Indicator(label=r.label) for r in rows})
        reading.problems.append(
            Problem("table_missing", "Không tìm thấy bảng định lượng (cột Kế hoạch / Kết quả / Tỷ lệ).")
        )
        return reading
    candidates.sort(key=lambda c: -c.rank)
    best = candidates[0]
    lines, matches, used = list(best.lines), dict(best.matches), set(best.group)
    header_problems = list(best.problems)
    # The rest of the table in another table with its own header (a different column layout):
    # take only the outline rows still missing, never the same row twice.
    for other in candidates[1:]:
        missing = [k for k in range(len(rows)) if k not in matches.values()]
        extra = _assign(other.lines, [rows[k] for k in missing], among=rows)
        found = {i: missing[k] for i, k in extra.items() if any(other.lines[i].cells.values())}
        if found:
            for i, k in found.items():
                matches[len(lines)] = k
                lines.append(other.lines[i])
            used |= set(other.group)
            header_problems += other.problems
    reading = _reading(rows, lines, matches, used)
    reading.problems[:0] = header_problems
    reading.column_headers = list(best.headers)
    return reading


@dataclass
class _Candidate:
    rank: int
    group: list[int]
    lines: list[_Line]
    matches: dict[int, int]
    problems: list[Problem] = field(default_factory=list)
    headers: list[tuple[str, str]] = field(default_factory=list)


def _candidates(tables: Sequence[Table], rows: Sequence[RowSpec]) -> list[_Candidate]:
    """Every table with a header (plus its continuations) and how well it matches the outline."""
    grids = [_grid(t) for t in tables]
    out: list[_Candidate] = []
    covered: set[int] = set()
    for index, grid in enumerate(grids):
        if index in covered:
            continue
        where = tables[index].where or f"bảng {index + 1}"
        headers, own = _headers(grid, where), grids
        if not headers and transposed_table(grid):
            # The outline's rows along the header row, Kế hoạch / Kết quả / Tỷ lệ down the first
            # column: read it turned on its side.
            turned = _transpose(grid)
            headers, own = _headers(turned, where), [*grids[:index], turned, *grids[index + 1 :]]
            for header in headers:
                header.transposed = True
        for header in headers:
            # Only a grid's last table can go on in the next table (a sheet may hold several).
            more = _continuations(grids, index, header) if header.end == len(grid) and not header.transposed else []
            group = [index, *more]
            covered.update(group)
            lines = _lines(tables, own, group, header)
            matches = _assign(lines, rows)
            if not matches or (header.transposed and len(matches) < 2):
                continue
            # Most outline rows matched; on a tie the table with more values (not an empty copy).
            rank = len(matches) * 1000 + sum(1 for i in matches for v in lines[i].cells.values() if v)
            problems = list(header.roles.problems) if header.roles else []
            if tables[index].from_text:
                problems.append(Problem(
                    ProblemCode.TABLE_FROM_TEXT,
                    "Bảng định lượng không phải bảng mà là các dòng chữ cách nhau bằng dấu tab; đã đọc theo cột,"
                    " đề nghị kiểm tra số liệu (một ô trống có thể làm lệch cột).",
                    where,
                ))
            if header.transposed:
                problems.append(Problem(
                    ProblemCode.TABLE_TRANSPOSED,
                    "Bảng định lượng ghi theo chiều ngang (các dòng của đề cương là cột, Kế hoạch / Kết quả / Tỷ lệ"
                    " là dòng); đã đọc theo từng cột, đề nghị kiểm tra.",
                    where,
                ))
            grid_read = own[index]
            heads = [
                (_stack(grid_read, header.top, header.bottom, j), where)
                for role, j in header.columns.items() if role in ("plan", "result")
            ]
            out.append(_Candidate(rank, group, lines, matches, problems, heads))
    return out or _single_role(tables, grids, rows)


def _figures_column(grid: list[list[str]], header: _Header) -> tuple[int, bool]:
    """How many figures the header's value columns hold, and whether they are mostly figures
    (a column of answers in words is narrative, not results)."""
    cells = [
        row[j] for row in grid[header.bottom + 1 : header.end] for j in header.columns.values() if j < len(row) and row[j]
    ]
    figures = sum(1 for c in cells if len(c) <= 30 and parse_number(c).value is not None)
    return figures, bool(figures) and figures * 5 >= len(cells) * 3


def results_table(grid: list[list[str]]) -> bool:
    """A table with one value column only ("Kết quả đạt được") whose cells are figures."""
    header = _find_header(_grid(Table(grid)), least=1)
    return header is not None and _figures_column(grid, header)[1]


def _single_role(tables: Sequence[Table], grids: list[list[list[str]]], rows: Sequence[RowSpec]) -> list[_Candidate]:
    """No table names two of Kế hoạch / Kết quả / Tỷ lệ: a table with one of them only ("Kết quả
    đạt được" beside the outline's row labels) gives that column, the others missing and said
    so. Only when its cells are figures: a column of answers in words is the narrative."""
    out: list[_Candidate] = []
    for index, grid in enumerate(grids):
        where = tables[index].where or f"bảng {index + 1}"
        for header in _headers(grid, where, least=1):
            named = list(header.columns)  # the figures may have found another role since
            lines = _lines(tables, grids, [index], header)
            count, mostly = _figures_column(grid, header)
            if not mostly:
                continue
            matches = {i: k for i, k in _assign(lines, rows).items() if any(lines[i].cells.get(r) for r in named)}
            if not matches:
                continue
            rank = len(matches) * 1000 + count
            problems = list(header.roles.problems) if header.roles else []
            given = [ROLE_NAMES[r] for r in ROLES if r in named]
            absent = [ROLE_NAMES[r] for r in ROLES if r not in named]
            if absent:
                problems.append(Problem(
                    ProblemCode.PLAN_MISSING if "plan" not in named else ProblemCode.COLUMN_ROLE_MISSING,
                    f"Bảng định lượng chỉ có cột {' / '.join(given)}, không có cột {' / '.join(absent)}; đã lấy số"
                    f" liệu của {len(matches)} dòng, {' và '.join(a.lower() for a in absent)} để trống"
                    " (không tính là 0), đề nghị kiểm tra.",
                    where,
                ))
            out.append(_Candidate(rank, [index], lines, matches, problems))
    return out


def outline_rows_named(texts: Sequence[str], rows: Sequence[RowSpec], limit: int = 600) -> int:
    """How many of the outline's table rows some text names (a cell or a line labelled as the
    row, matched as a table row's label is): outline content that no table was read from."""
    scorer = _scorer(tuple(rows))
    found: set[int] = set()
    seen = 0
    for text in texts:
        label = clean(text)
        if not 10 <= len(label) <= 250 or len(_LETTER.findall(label)) < 8:
            continue
        seen += 1
        if seen > limit:
            break
        if m := _NUMBERING.match(label):
            label = m.group(2).strip() or label
        line = _Line(label, "", "", {}, "", 0)
        prepared = scorer.prepare(label)
        for k, spec in enumerate(rows):
            if k not in found and scorer.score(line, spec, prepared, needed=MATCH_THRESHOLD) >= MATCH_THRESHOLD:
                found.add(k)
                break
    return len(found)


def tables_from_text(blocks: Sequence[Block]) -> list[Block]:
    """Lines of text with tab stops that lay out the quantitative table ("TT⇥Nội dung⇥Kế
    hoạch⇥Kết quả⇥Tỷ lệ", then one line per row): a table read from text (`from_text`, said so
    when read). Other runs of tabbed lines stay text."""
    out: list[Block] = []
    run: list[Para] = []

    def flush() -> None:
        grid = [list(p.cells) for p in run]
        if len(run) >= 3 and indicator_header_top(grid) is not None:
            where = f"các dòng chữ {run[0].where}–{run[-1].where.removeprefix('đoạn ')}"
            out.append(Table(grid, where=where, from_text=True))
        else:
            out.extend(run)
        run.clear()

    for block in blocks:
        if isinstance(block, Para) and block.cells:
            run.append(block)
            continue
        flush()
        out.append(block)
    flush()
    return out


def _transpose(grid: list[list[str]]) -> list[list[str]]:
    width = max((len(r) for r in grid), default=0)
    return [list(col) for col in zip(*(r + [""] * (width - len(r)) for r in grid), strict=True)]


def _measure_rows(grid: list[list[str]]) -> dict[int, str]:
    """Rows whose first text cell names a value role (Kế hoạch, Kết quả, Tỷ lệ) and whose other
    cells are mostly figures: the measures of a table written on its side. Row → role."""
    out: dict[int, str] = {}
    for i, row in enumerate(grid):
        filled = [c for c in row if c]
        texts = [k for k, c in enumerate(filled) if len(_LETTER.findall(c)) >= 3]
        if not texts or texts[0] > 1 or len(filled) < 3:
            continue
        first = filled[texts[0]]
        role = _role(first) if len(first) <= 60 else None
        rest = filled[texts[0] + 1 :]
        figures = sum(1 for c in rest if len(c) <= 25 and parse_number(c).value is not None)
        if role and figures >= 2 and figures * 2 >= len(rest):
            out[i] = role
    return out


def transposed_table(grid: list[list[str]]) -> bool:
    """A table on its side: at least two rows of figures named by different value roles."""
    return len(set(_measure_rows(grid).values())) >= 2


def _headers(grid: list[list[str]], where: str = "", *, least: int = 2) -> list[_Header]:
    """Every header block of a grid, each with the rows up to the next one."""
    found: list[_Header] = []
    header = _find_header(grid, least=least)
    while header is not None:
        found.append(header)
        header = _find_header(grid, header.bottom + 1, least=least)
    for k, current in enumerate(found):
        current.end = found[k + 1].top if k + 1 < len(found) else len(grid)
        if current.roles is not None:
            skip = {current.label_col, *( [current.stt_col] if current.stt_col is not None else [])}
            skip |= {j for j, kind in current.roles.aux.items() if kind != "period"}
            confirm_by_data(current.roles, grid, range(current.bottom + 1, current.end), skip=skip, where=where)
            current.columns = current.roles.columns
            current.where = where
    return found


def _grid(table: Table) -> list[list[str]]:
    """Cell texts cleaned (NFC, whitespace collapsed, line breaks inside a cell joined)."""
    return [[clean(str(c or "")) for c in row] for row in table.rows]


def _role(text: str) -> str | None:
    """Which value column a header cell names, if any (parsers.columns decides)."""
    return value_role(text)


def _period_row(row: list[str], above: list[str]) -> bool:
    """A header row of periods under a role ("" | "" | "2023" | "2024" | "Lũy kế"); cells merged
    down from the row above repeat its text."""
    cells = [(c, above[j] if j < len(above) else "") for j, c in enumerate(row) if c]
    if len(cells) < 2:
        return False
    own = [c for c, up in cells if c != up]
    return bool(own) and all(aux_role(c) in ("period", "stt", "unit", "note") or _role(c) for c in own) and any(
        aux_role(c) == "period" for c in own
    )


def _row_roles(row: list[str]) -> dict[int, str]:
    return {j: r for j, cell in enumerate(row) if (r := _role(cell))}


def _find_header(grid: list[list[str]], start: int = 0, *, least: int = 2) -> _Header | None:
    """The first header block from `start`: consecutive rows naming value columns, ≥ `least`
    roles (one only for a table of results alone, read when no table names two)."""
    for top in range(start, len(grid)):
        if not _row_roles(grid[top]) or _has_numbers(grid[top]):
            continue
        bottom = top
        # Rows above naming only the number, label, unit or note columns (their cells merged
        # down, which some readers leave blank below): the same header block.
        while top > start and _aux_header_row(grid[top - 1]):
            top -= 1
        while bottom + 1 < len(grid) and (
            (_row_roles(grid[bottom + 1]) and not _has_numbers(grid[bottom + 1]))
            or _period_row(grid[bottom + 1], grid[bottom])
        ):
            bottom += 1
        _realign(grid, top, bottom)
        roles = header_roles(grid, top, bottom)
        columns = roles.columns
        if len(columns) >= least:
            width = max(len(r) for r in grid[top : bottom + 1])
            stt_col = _stt_col(grid, top, bottom, columns)
            label_col = _label_col(grid, bottom, columns, stt_col, roles)
            if stt_col is None and label_col > 0 and _short_column(grid[bottom + 1 :], label_col - 1):
                stt_col = label_col - 1  # a number column with no "TT" over it
            units = {
                role: unit for role, j in columns.items()
                if role != "rate" and (unit := header_unit(_stack(grid, top, bottom, j))) is not None
            }
            return _Header(bottom, columns, label_col, stt_col, width, top=top, end=len(grid), roles=roles, units=units)
    return None


def _stack(grid: list[list[str]], top: int, bottom: int, j: int) -> str:
    return " ".join(dict.fromkeys(grid[r][j] for r in range(top, bottom + 1) if j < len(grid[r]) and grid[r][j]))


def _aux_header_row(row: list[str]) -> bool:
    """A header row over the value columns' names: no figures, a cell naming the number, unit
    or note column ("TT", "Đơn vị tính", "Ghi chú") and none naming a value role."""
    filled = [c for c in row if c]
    if len(filled) < 2 or _has_numbers(row) or _row_roles(row):
        return False
    return any(aux_role(c) in ("stt", "unit", "note") for c in filled)


def _realign(grid: list[list[str]], top: int, bottom: int) -> None:
    """A lower header row that lost its vertically merged cells (some converters drop them)
    starts under the number/label columns with its values and ends in empty cells: shift it
    right so the value names sit under their columns."""
    for r in range(top + 1, bottom + 1):
        row, above = grid[r], grid[r - 1]
        trailing = next((k for k, cell in enumerate(reversed(row)) if cell), 0)
        if trailing and _role(row[0]) and above and above[0] and not _role(above[0]):
            grid[r] = [""] * trailing + row[: len(row) - trailing]


def indicator_header_top(rows: list[list[str]]) -> int | None:
    """Index of the first row of a header naming value columns (Kế hoạch / Kết quả / Tỷ lệ)."""
    header = _find_header(_grid(Table(rows)))
    return header.top if header else None


def _has_numbers(row: list[str]) -> bool:
    """A row with a numeric cell after the first one is data, not header."""
    return any(parse_number(c).value is not None and not _LETTER.search(c) for c in row[1:])


def _columns(grid: list[list[str]], top: int, bottom: int) -> dict[str, int]:
    """Role → column, each column named by the lowest header row that names it."""
    return header_roles(grid, top, bottom).columns


def _stt_col(grid: list[list[str]], top: int, bottom: int, columns: dict[str, int]) -> int | None:
    first_value = min(columns.values())
    for j in range(first_value):
        words = {fold_words(grid[r][j]) for r in range(top, bottom + 1) if j < len(grid[r])}
        if words & _STT_WORDS:
            return j
    return None


def _short_column(rows: list[list[str]], j: int) -> bool:
    """A column whose filled cells are all short (numbers like 1, 2.1, I, a)."""
    cells = [r[j] for r in rows if j < len(r) and r[j]]
    return bool(cells) and all(len(c) <= 5 for c in cells)


def _label_col(
    grid: list[list[str]], bottom: int, columns: dict[str, int], stt_col: int | None, roles: ColumnRoles | None = None
) -> int:
    """The label column: the non-value column left of the values with the most letters."""
    first_value = min(columns.values())
    header = grid[bottom]
    skip = {stt_col}
    for j in range(first_value):
        text = fold_words(header[j]) if j < len(header) else ""
        if any(w in text for w in _UNIT_WORDS + _NOTE_WORDS):
            skip.add(j)
    skip |= {j for j, kind in (roles.aux.items() if roles else ()) if kind in ("unit", "note")}
    candidates = [j for j in range(first_value) if j not in skip] or [0]
    data = grid[bottom + 1 :]

    def letters(j: int) -> int:
        # Distinct texts only: a group column merged down the rows repeats one long text.
        return sum(len(_LETTER.findall(text)) for text in {r[j] for r in data if j < len(r)})

    return max(candidates, key=letters)


def _continuations(grids: list[list[list[str]]], index: int, header: _Header) -> list[int]:
    """Following tables with no header (or a repeated one) and as many columns: the same table."""
    out = []
    for k in range(index + 1, len(grids)):
        grid = grids[k]
        widths = {len(r) for r in grid if any(r)}
        if not widths or max(widths) != header.width:
            break
        other = _find_header(grid)
        if other is not None and other.columns != header.columns:
            break
        first = next((r for r in grid if any(r)), [])
        if other is None and first and fold_words(first[0]) in _STT_WORDS:
            break  # a table of its own ("STT | Tên hoạt động | …"), not the rest of this one
        out.append(k)
    return out


def _lines(tables: Sequence[Table], grids: list[list[list[str]]], group: list[int], header: _Header) -> list[_Line]:
    """The data rows of the table (over its continuations), group rows and titles skipped."""
    lines: list[_Line] = []
    current_group = ""
    for k in group:
        grid = grids[k]
        start = header.bottom + 1 if k == group[0] else _start_after_header(grid)
        end = header.end if k == group[0] else len(grid)
        base = tables[k].where or f"bảng {k + 1}"
        for i in range(start, end):
            row = grid[i] + [""] * (header.width - len(grid[i]))
            where = f"{base}, cột {i + 1}" if header.transposed else f"{base}, dòng {tables[k].first_row + i}"
            current_group, line = _line(row, header, current_group, where, k)
            if line is None:
                continue
            if header.transposed:  # a row of the turned table is a column of the table
                line.cell_where = {r: f"{base}, dòng {tables[k].first_row + j}, cột {i + 1}" for r, j in line.cols.items()}
            if lines and not line.total and not lines[-1].total and _continues(lines[-1], line):
                previous = lines[-1]
                previous.label = f"{previous.label} {line.label}"
                if not any(previous.cells.values()):  # the values sit on the label's last line
                    previous.cells, previous.where = line.cells, line.where
                continue
            lines.append(line)
    return lines


def _start_after_header(grid: list[list[str]]) -> int:
    header = _find_header(grid)
    return header.bottom + 1 if header else 0


def _line(row: list[str], header: _Header, group: str, where: str, table: int) -> tuple[str, _Line | None]:
    """One table row → (current group, a data line or None for group/title/numbering rows)."""
    label = row[header.label_col]
    number = row[header.stt_col] if header.stt_col is not None else ""
    if len(number) > 8 or number == label:  # the label merged over the number column
        number = ""
    if not number and (m := _NUMBERING.match(label)):
        number, label = m.group(1), m.group(2).strip()
    number = number.strip()
    cells = {role: row[j] for role, j in header.columns.items()}
    filled = [c for c in row if c]
    if filled and len(set(filled)) == 1 and len(filled) > 1:  # merged across: a group or title row
        m = _NUMBERING.match(filled[0])
        number = m.group(1) if m else ""
    if _ROMAN.match(number) or (filled and len(set(filled)) == 1 and len(filled) > 1):
        return (number.rstrip(".)") if _ROMAN.match(number) else group), None
    if len(_LETTER.findall(label)) < 3:  # column numbering rows: (1) (2) … or A | B | 1 | 2
        return group, None
    aux = header.roles.aux if header.roles else {}
    unit = next((row[j] for j, kind in aux.items() if kind == "unit" and j < len(row)), "")
    note = next((row[j] for j, kind in aux.items() if kind == "note" and j < len(row)), "")
    if not read_unit(unit) and (stated := note_unit(note)) is not None:
        unit = stated.text  # "tỷ đồng" in the Ghi chú column: the row's unit, as in a unit column
    line = _Line(label, group, number.rstrip(".)"), cells, where, table, dict(header.columns), unit, note)
    line.units = header.units
    if not number:
        line.total = _total_label(label)  # "Tổng cộng", "Cộng (I + II)": checked against its rows
        line.sub = not line.total and _sub_label(label)
    return group, line


def _total_label(label: str) -> bool:
    """"Tổng cộng", "Tổng số", "Cộng (I + II)": a total; "- Công tơ điện" (a breakdown line;
    folded, "Công" is "Cộng") is none."""
    text = clean(label)
    if text[:1] in "-–—+•*":
        return False
    words = fold_words(text).split()
    if not words or words[0] not in ("tong", "cong") or len(words) > 4:
        return False
    first = text.split()[0].lower().strip(":.,(")
    # Accents tell "Cộng" from "Công"; a label typed without any accents cannot, and counts.
    return first in ("tổng", "cộng") or fold_words(text) == text.lower()


_SUB_START = re.compile(r"^\s*(?:[-–—+•*]|trong đó\b|trong do\b|gồm\b|bao gồm\b)", re.I)


def _sub_label(label: str) -> bool:
    """A breakdown line under a row: "- Công tơ điện", "Trong đó: …", "+ Cân thương mại"."""
    return bool(_SUB_START.match(clean(label)))


def _continues(previous: _Line, line: _Line) -> bool:
    """A label broken over two rows: the second has no number, starts in lower case, and one
    of the two rows has no values."""
    if line.number or not line.label[:1].islower() or line.table != previous.table:
        return False
    return not any(line.cells.values()) or not any(previous.cells.values())


# Abbreviations agencies use in row labels (accent-folded), expanded before matching.
_ABBREVIATIONS = {
    "kh cn": "khoa hoc cong nghe", "khcn": "khoa hoc cong nghe", "kh va cn": "khoa hoc cong nghe",
    "ptd": "phuong tien do", "dn": "doanh nghiep", "kd": "kiem dinh", "hc": "hieu chuan",
    "tn": "thu nghiem", "sx": "san xuat", "cb": "can bo", "cbnv": "can bo nhan vien",
    "dl": "do luong", "ccdl": "chuan do luong", "dbdl": "dam bao do luong",
    "ctdbdl": "chuong trinh dam bao do luong", "nckh": "nghien cuu khoa hoc", "tmh": "thuong mai hoa",
    "kdv": "kiem dinh vien",
}


@lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """Folded words with the usual abbreviations spelt out."""
    words = fold_words(text).split()
    out: list[str] = []
    i = 0
    while i < len(words):
        pair = " ".join(words[i : i + 2])
        if pair in _ABBREVIATIONS:
            out.extend(_ABBREVIATIONS[pair].split())
            i += 2
            continue
        out.extend(_ABBREVIATIONS.get(words[i], words[i]).split())
        i += 1
    return tuple(out)


@lru_cache(maxsize=4096)
def _features(text: str) -> frozenset[str]:
    """Words and word pairs ("kiem dinh" is not "kiem tra")."""
    words = _words(text)
    return frozenset(words) | frozenset(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))


class _Scorer:
    """Matches table labels to outline rows: fuzzy similarity and distinctive-word agreement.

    Fuzzy ratios alone rate "Số doanh nghiệp được kiểm tra" close to row 6 (shared common
    words); weighting words by how few outline rows use them (IDF over labels + synonyms) and
    asking that the label's distinctive words be explained by the row (precision) and the
    row's by the label (recall, against the label or any synonym) keeps such rows apart.
    """

    def __init__(self, rows: Sequence[RowSpec]) -> None:
        self.texts = {r.id: (r.label, *r.synonyms) for r in rows}
        self.docs = {rid: frozenset().union(*(_features(t) for t in texts)) for rid, texts in self.texts.items()}
        n = len(rows)
        counts: dict[str, int] = {}
        for doc in self.docs.values():
            for f in doc:
                counts[f] = counts.get(f, 0) + 1
        self.idf = {f: math.log((n + 1) / (c + 0.5)) for f, c in counts.items()}
        self.unknown = math.log((n + 1) / 0.5)
        # Per row: each of label and synonyms as (features with their IDF, in the set's own
        # order, so sums add the same floats in the same order), its weight, and spelt out.
        self.candidates = {
            rid: [(self._weighted(_features(t)), self.weight(_features(t))) for t in texts]
            for rid, texts in self.texts.items()
        }
        self.spelt = {rid: [" ".join(_words(t)) for t in texts] for rid, texts in self.texts.items()}
        # The same with the words sorted: token_sort_ratio(a, b) is ratio(sorted a, sorted b),
        # and a row's label is compared with every line of every table.
        self.sorted = {rid: [_sorted_words(t) for t in spelt] for rid, spelt in self.spelt.items()}

    def weight(self, features: frozenset[str]) -> float:
        return sum(self.idf.get(f, self.unknown) for f in features) or 1.0

    def _weighted(self, features: frozenset[str]) -> tuple[tuple[str, float], ...]:
        return tuple((f, self.idf.get(f, self.unknown)) for f in features)

    def prepare(self, label: str) -> _Prepared:
        """What scoring a table label needs, computed once for all the outline's rows."""
        text = " ".join(_words(label))
        features = _features(label)
        weighted = self._weighted(features)
        return _Prepared(text, _sorted_words(text), features, weighted, sum(w for _, w in weighted) or 1.0)

    def keywords(self, text: str, rid: str, prepared: _Prepared | None = None) -> float:
        """F(β=0.5) of distinctive-word agreement, 0–100 (precision counts double)."""
        line = prepared or self.prepare(text)
        doc = self.docs[rid]
        # Lists, not generators, summed: the same floats in the same order, half the cost.
        precision = sum([w for f, w in line.weighted if f in doc]) / line.weight
        features = line.features
        recall = max([sum([w for f, w in cand if f in features]) / weight for cand, weight in self.candidates[rid]])
        if precision + recall == 0:
            return 0.0
        return 100 * 1.25 * precision * recall / (0.25 * recall + precision)

    def score(self, line: _Line, spec: RowSpec, prepared: _Prepared | None = None, needed: float = 0.0) -> float:
        """How well a table row's label matches an outline row (0–100), group-aware.

        `needed`: for a caller that only uses a score reaching it: when even a perfect fuzzy
        match could not get there, that bound (below `needed`) comes back instead."""
        prepared = prepared or self.prepare(line.label)
        keywords = self.keywords(line.label, spec.id, prepared)
        adjust = 0.0
        if line.group and spec.group and line.group != spec.group:
            adjust -= 10
        if line.number and line.number == spec.id:
            adjust += 3
        if needed and (bound := (100 + keywords) / 2 + adjust) < needed:
            return bound
        text = prepared.text
        label = self.spelt[spec.id][0]
        sorted_label, *sorted_synonyms = self.sorted[spec.id]
        share = min(1.0, 0.6 + len(text) / max(len(label), 1))
        fuzzy = fuzz.ratio(prepared.sorted_text, sorted_label)  # = token_sort_ratio(text, label)
        fuzzy = max(fuzzy, fuzz.token_set_ratio(text, label, score_cutoff=fuzzy) * share)
        for synonym in sorted_synonyms:
            fuzzy = max(fuzzy, fuzz.ratio(prepared.sorted_text, synonym, score_cutoff=fuzzy))
        score = (fuzzy + keywords) / 2
        if line.group and spec.group and line.group != spec.group:
            score -= 10
        if line.number and line.number == spec.id:
            score += 3
        return score


class _Prepared(NamedTuple):
    """A table label ready for scoring: spelt out, its words sorted, its weighted features."""

    text: str
    sorted_text: str
    features: frozenset[str]
    weighted: tuple[tuple[str, float], ...]
    weight: float


def _sorted_words(text: str) -> str:
    return " ".join(sorted(text.split()))


@per_outline(maxsize=16)
def _scorer(rows: tuple[RowSpec, ...]) -> _Scorer:
    return _Scorer(rows)


def _assign(lines: list[_Line], rows: Sequence[RowSpec], among: Sequence[RowSpec] | None = None) -> dict[int, int]:
    """Line index → index in `rows`, best scores first, one to one, above the threshold.

    `among` is the whole outline (word weights come from it) when `rows` is a part of it.
    """
    scorer = _scorer(tuple(among or rows))
    prepared = [scorer.prepare(line.label) for line in lines]
    scored = sorted(
        (
            (scorer.score(line, spec, prepared[i], needed=MATCH_THRESHOLD), i, k)  # below it: unused
            for i, line in enumerate(lines)
            if not line.total
            for k, spec in enumerate(rows)
        ),
        key=lambda t: (-t[0], t[1], t[2]),  # ties: the earlier table row
    )
    taken_lines: dict[int, int] = {}
    taken_rows: set[int] = set()
    for score, i, k in scored:
        if score < MATCH_THRESHOLD:
            break
        if i in taken_lines or k in taken_rows:
            continue
        taken_lines[i] = k
        taken_rows.add(k)
    return taken_lines


def _reading(rows: Sequence[RowSpec], lines: list[_Line], matches: dict[int, int], used: set[int]) -> TableReading:
    indicators = {r.id: Indicator(label=r.label) for r in rows}
    reading = TableReading(indicators, used_tables=used)
    scorer = _scorer(tuple(rows))
    matches, copies, doubtful = _duplicates(rows, lines, matches, scorer, reading.problems)
    for i, line in enumerate(lines):
        if line.total or i in copies:
            continue
        if i in matches:
            spec = rows[matches[i]]
            match = min(1.0, scorer.score(line, spec) / 90)
            indicators[spec.id] = _indicator(line, spec, reading.problems, match)
        elif any(parse_number(v).value is not None for v in line.cells.values()):
            # A row of the agency's own (at least one figure; a signature line under the table has none).
            values = _values(line, line.label, reading.problems)
            reading.extra_rows.append(
                ExtraRow(line.label, values["plan"].value, values["result"].value, values["rate"].value, line.where)
            )
    for k in doubtful:
        for value in indicators[rows[k].id].values.values():
            value.confidence *= 0.5
        indicators[rows[k].id].confidence *= 0.5
    for k, spec in enumerate(rows):
        if k not in matches.values():
            reading.problems.append(
                Problem("row_missing", f"Không tìm thấy dòng {spec.id} «{_short(spec.label)}» trong bảng định lượng.")
            )
    reading.problems.extend(_results_missing(indicators))
    reading.problems.extend(_totals(lines, matches))
    return reading


def _duplicates(
    rows: Sequence[RowSpec], lines: list[_Line], matches: dict[int, int], scorer: _Scorer, problems: list[Problem]
) -> tuple[dict[int, int], dict[int, int], set[int]]:
    """Lines that are a second copy of a matched outline row (as good a match as the one taken:
    a row written twice, an old version left in the table). Copies with the same figures are
    harmless; different figures are for a person to settle (`row_duplicate`), never silently
    one of them: the first line with figures is kept, with its confidence halved.

    Returns the matches (a copy with figures replaces a matched line without any), copy
    line → outline row index (copies are not the agency's own rows) and the outline rows whose
    copies disagree."""
    by_row = {k: i for i, k in matches.items()}
    found: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        if line.total or i in matches or not any(line.cells.values()):
            continue
        prepared = scorer.prepare(line.label)
        # Below the threshold a score is unused: one that cannot reach it comes back as a bound
        # below it, which leaves the best (and whether it reaches the threshold) as it was.
        best = max(
            ((scorer.score(line, rows[k], prepared, needed=MATCH_THRESHOLD), k) for k in by_row), default=None
        )
        if best is None or best[0] < MATCH_THRESHOLD:
            continue
        score, k = best
        taken = by_row[k]
        if score >= scorer.score(lines[taken], rows[k]) - 5:
            found.setdefault(k, []).append(i)
    matches = dict(matches)
    copies: dict[int, int] = {}
    doubtful: set[int] = set()
    for k, extra in found.items():
        group = sorted([by_row[k], *extra])
        figures = {i: tuple(parse_number(lines[i].cells.get(r, "")).value for r in ROLES) for i in group}
        raws = {i: tuple(clean(lines[i].cells.get(r, "")) for r in ROLES) for i in group}
        if len(set(figures.values())) == 1 and len(set(raws.values())) == 1:
            for i in extra:  # the same row written twice with the same figures
                copies[i] = k
            continue
        doubtful.add(k)
        kept = next((i for i in group if any(v is not None for v in figures[i])), group[0])
        del matches[by_row[k]]
        matches[kept] = k
        for i in group:
            if i != kept:
                copies[i] = k
        shown = "; ".join(
            f"{lines[i].where}: "
            + ", ".join(f"{ROLE_NAMES[r]} {_shown(lines[i].cells.get(r, ''))}" for r in ROLES if r in lines[i].cells)
            for i in group
        )
        problems.append(
            Problem(
                ProblemCode.ROW_DUPLICATE,
                f"Dòng {rows[k].id} «{_short(rows[k].label)}» được ghi {len(group)} lần với số liệu khác nhau ({shown});"
                f" tạm lấy {lines[kept].where}, đề nghị đơn vị hoặc cán bộ xác định số đúng.",
                lines[kept].where,
            )
        )
    return matches, copies, doubtful


def _shown(raw: str) -> str:
    """A cell's figure for a message: as a Vietnamese reader writes it, or its text quoted."""
    n = parse_number(raw)
    if n.value is not None and not n.several:
        return vn_number(n.value)
    return f"«{clean(raw)}»" if clean(raw) else "(trống)"


def _results_missing(indicators: dict[str, Indicator]) -> list[Problem]:
    """Rows with a plan and a rate but a blank result: the result column was not read."""
    blank = [
        rid for rid, ind in indicators.items()
        if ind.plan is not None and ind.value("rate").source == "read" and ind.value("result").source == "missing"
    ]
    if not blank:
        return []
    where = indicators[blank[0]].where
    everywhere = all(ind.value("result").source == "missing" for ind in indicators.values())
    scope = "Toàn bộ cột Kết quả trống" if everywhere else f"Dòng {', '.join(blank)}: kết quả trống"
    return [
        Problem(
            ProblemCode.RESULTS_MISSING,
            f"{scope} trong khi có kế hoạch và tỷ lệ; kết quả không được tính là 0, đề nghị kiểm tra"
            " (cột kết quả có thể mang tiêu đề lạ hoặc đơn vị quên điền).",
            where,
        )
    ]


def _totals(lines: list[_Line], matches: dict[int, int]) -> list[Problem]:
    """A total row must equal the sum of its rows (all rows above it, or its group's)."""
    problems: list[Problem] = []
    start = 0
    for i, line in enumerate(lines):
        if not line.total:
            continue
        above = [ln for ln in lines[start:i] if not ln.total]
        same_group = [ln for ln in above if ln.group == line.group] if line.group else above
        everything = [ln for ln in lines[:i] if not ln.total]
        for role in ("plan", "result"):
            total = parse_number(line.cells.get(role, "")).value
            if total is None:
                continue
            # A breakdown line ("Trong đó: - Cân thương mại") is part of the row above it.
            sums = {
                _sum(rows, role) for scope in (above, same_group, everything)
                for rows in (scope, [ln for ln in scope if not ln.sub])
            }
            if not any(abs(total - s) <= 0.5 for s in sums):
                problems.append(
                    Problem(
                        ProblemCode.TOTAL_MISMATCH,
                        f"Dòng «{line.label}» ghi {ROLE_NAMES[role]} = {vn_number(total)}, nhưng tổng các dòng là"
                        f" {vn_number(_sum([ln for ln in above if not ln.sub], role))}; đề nghị kiểm tra.",
                        line.where,
                    )
                )
        start = i + 1
    return problems


def _sum(lines: list[_Line], role: str) -> float:
    return sum(v for ln in lines if (v := parse_number(ln.cells.get(role, "")).value) is not None)


def _values(line: _Line, name: str, problems: list[Problem]) -> dict[str, Number]:
    values = {role: parse_number(line.cells.get(role, "")) for role in ROLES}
    for role, n in values.items():
        if n.unreadable:
            problems.append(
                Problem("number_unreadable", f"Không đọc được số «{n.raw}» ở cột {ROLE_NAMES[role]} ({name}).", line.where)
            )
        elif n.several:
            problems.append(
                Problem(
                    "number_several",
                    f"Ô «{n.raw}» ở cột {ROLE_NAMES[role]} ({name}) có nhiều số; đã lấy số đầu tiên"
                    f" ({vn_number(n.value)}), đề nghị kiểm tra.",
                    line.where,
                )
            )
        elif n.ambiguous:
            problems.append(
                Problem(
                    "number_ambiguous",
                    f"«{n.raw}» ở cột {ROLE_NAMES[role]} ({name}) được hiểu là {vn_number(n.value)}"
                    " (dấu phẩy phân cách hàng nghìn); nếu là số thập phân, đề nghị đơn vị kiểm tra lại.",
                    line.where,
                )
            )
        if n.approx and n.value is not None:
            problems.append(
                Problem(
                    ProblemCode.NUMBER_APPROXIMATE,
                    f"«{n.raw}» ở cột {ROLE_NAMES[role]} ({name}) không phải một số chính xác (chữ «{n.approx}»);"
                    f" tạm lấy {vn_number(n.value)}, đề nghị đơn vị cho số chính xác.",
                    line.where,
                )
            )
        if n.scale and n.value is not None:
            problems.append(
                Problem(
                    ProblemCode.NUMBER_SCALED,
                    f"«{n.raw}» ở cột {ROLE_NAMES[role]} ({name}) được hiểu là {vn_number(n.value)}"
                    f" (theo chữ «{n.scale}»); nếu đơn vị tính của dòng đã là {n.scale}, đề nghị kiểm tra lại.",
                    line.where,
                )
            )
    return values


def _header_scale(line: _Line, values: dict[str, Number], name: str, problems: list[Problem]) -> dict[str, str]:
    """Each figure's unit: the row's "Đơn vị tính" cell, else its column header's ("Kết quả
    (nghìn lượt)"). A scale in the header is applied (1,8 nghìn lượt → 1.800 lượt, the value
    stays in the row's base unit as a figure written "1,8 nghìn" would) and a person confirms
    (`number_scaled`, blocking): a scale on one column only often holds for the other too."""
    if line.unit:
        return {r: line.unit for r in ROLES if r != "rate"}
    named = [line.units.get(r) for r in ("plan", "result") if r in line.cols]
    if len(named) == 2 and named[0] == named[1] and named[0] is not None:
        # Both columns in one unit ("Kế hoạch (triệu đồng)", "Kết quả (triệu đồng)"): the
        # figures are in it, as with a unit cell; the report converts when it must.
        return {r: named[0].text for r in ("plan", "result")}
    out: dict[str, str] = {}
    for role, unit in line.units.items():
        n = values.get(role)
        if n is None or n.value is None or n.explicit_none:
            out[role] = unit.name(1) if unit.scale != 1 else unit.text
            continue
        if unit.scale == 1 or n.scale:
            out[role] = unit.text if unit.scale == 1 else unit.name(1)
            continue
        scaled = float(Decimal(str(n.value)) * unit.scale)
        values[role] = replace(n, value=scaled, scale=_SCALE_NAME.get(unit.scale, ""))
        out[role] = unit.name(1)
        others = [ROLE_NAMES[r] for r in ("plan", "result") if r != role and r not in line.units and r in line.cols]
        unscaled = f"; cột {', '.join(others)} không ghi đơn vị này, đề nghị kiểm tra cả cột đó" if others else ""
        problems.append(
            Problem(
                ProblemCode.NUMBER_SCALED,
                f"«{n.raw}» ở cột {ROLE_NAMES[role]} ({name}) được hiểu là {vn_number(scaled)}"
                f"{f' {unit.base}' if unit.base else ''} (tiêu đề cột ghi «{unit.text}»){unscaled}.",
                line.where,
            )
        )
    return out


_SCALE_NAME = {1000: "nghìn", 10**6: "triệu", 10**9: "tỷ"}


def _outline_unit(spec: RowSpec, indicator: Indicator, where: str, problems: list[Problem]) -> None:
    """The agency's unit against the outline's (when the outline names one): another scale of
    it is a note (the report converts it), another kind blocks (the report leaves it out)."""
    wanted, given = read_unit(spec.unit), read_unit(indicator.unit)
    if wanted is None or given is None or not wanted.kind or not given.kind or not indicator.answered:
        return
    if not wanted.same_kind(given):
        problems.append(
            Problem(
                ProblemCode.UNIT_MISMATCH,
                f"Dòng {spec.id}: đơn vị tính «{given.text}» khác đơn vị của đề cương «{wanted.text}»; số liệu"
                " không được cộng vào tổng, đề nghị đơn vị hoặc cán bộ kiểm tra.",
                where,
            )
        )
    elif given.scale != wanted.scale:
        problems.append(
            Problem(
                ProblemCode.UNIT_CONVERTED,
                f"Dòng {spec.id}: số liệu ghi theo «{given.text}», đề cương dùng «{wanted.text}»; báo cáo tổng hợp"
                " đổi sang đơn vị của đề cương khi cộng tổng.",
                where,
            )
        )


def _figure(n: Number, where: str, confidence: float) -> IndicatorValue:
    """One cell's figure with its source and confidence."""
    if n.explicit_none:
        return IndicatorValue(n.value, "explicit_none", n.raw, where, 0.95 * confidence)
    if n.value is None:
        return IndicatorValue(None, "missing", n.raw, where, 0.0)
    doubt = 0.6 if n.several else 0.75 if n.ambiguous or n.scale or n.approx else 1.0
    return IndicatorValue(n.value, "read", n.raw, where, doubt * confidence)


def _indicator(line: _Line, spec: RowSpec, problems: list[Problem], match: float = 1.0) -> Indicator:
    """Numbers of one outline row, the rate computed or checked against plan and result."""
    name = f"dòng {spec.id}"
    values = _values(line, name, problems)
    units = _header_scale(line, values, name, problems)
    plan, result, rate = (values[r].value for r in ROLES)
    indicator = Indicator(plan, result, rate, {r: values[r].raw for r in ROLES}, line.where, label=line.label)
    shared = {u for r, u in units.items() if r != "rate" and values[r].value is not None}
    indicator.unit = line.unit or (shared.pop() if len(shared) == 1 else "")
    indicator.note = line.note
    indicator.values = {
        r: replace(
            _figure(values[r], line.cell_where.get(r) or (
                f"{line.where}, cột {line.cols[r] + 1}" if r in line.cols else line.where), match),
            unit=units.get(r, "") if values[r].value is not None else "",
        )
        for r in ROLES
    }
    _outline_unit(spec, indicator, line.where, problems)
    if _percent_figures(spec, line, values, indicator, problems):
        pass  # percentages where the row counts things: left out of the totals, never counted
    elif _counts(spec, indicator.unit, line.note):
        _whole_counts(spec, line, values, indicator, problems)
    expected = round(result / plan * 100, 1) if plan and result is not None else None
    if _is_fraction(rate, expected, values["rate"].raw):
        indicator.rate = rate = round(rate * 100, 1)  # type: ignore[operator]
        indicator.values["rate"].value = rate
    if rate is None and expected is not None and not values["rate"].unreadable:
        indicator.rate, indicator.rate_computed = expected, True
        indicator.values["rate"] = replace(indicator.values["rate"], value=expected, source="derived", confidence=0.9 * match)
        problems.append(
            Problem(
                "rate_computed",
                f"Dòng {spec.id}: tỷ lệ để trống, đã tính = kết quả / kế hoạch × 100 = {vn_number(expected)}%.",
                line.where,
            )
        )
    elif rate is not None and expected is not None and abs(rate - expected) > RATE_TOLERANCE:
        indicator.values["rate"].confidence *= 0.5
        problems.append(
            Problem(
                "rate_inconsistent",
                f"Dòng {spec.id}: tỷ lệ báo cáo {vn_number(rate)}% không khớp kết quả / kế hoạch"
                f" ({vn_number(result)} / {vn_number(plan)} = {vn_number(expected)}%); giữ số đơn vị báo cáo.",
                line.where,
            )
        )
    given = [v.confidence for r, v in indicator.values.items() if r != "rate" and v.source != "missing"]
    indicator.confidence = min(given) if given else 0.0
    return indicator


# Units of things counted one by one (folded): a count is a whole number (parsers.units).
_COUNT_UNITS = COUNT_UNITS
# Words of amounts, not counts (money, percentages), compared with their accents: folded,
# "tiền" (money) and "tiện" (phương tiện) are one word.
_AMOUNT_WORDS = frozenset({"đồng", "vnđ", "vnd", "triệu", "tỷ", "tỉ", "nghìn", "ngàn", "tiền", "phí", "lệ", "%"})
_MONEY_WORDS = frozenset({"đồng", "vnđ", "vnd", "triệu", "tỷ", "tỉ"})


def _accented_words(text: str) -> set[str]:
    return set(re.findall(r"%|\w+", clean(text).lower()))


def _counts(spec: RowSpec, agency_unit: str, note: str = "") -> bool:
    """Whether the row counts things (số doanh nghiệp / người / phương tiện …): by the unit
    the outline or the agency gives, else by the outline label "Số …" (not "Số tiền …"). A
    note naming money ("tỷ đồng" beside a unit "chuẩn": the figures are what was spent) makes
    it an amount."""
    if note and _MONEY_WORDS & _accented_words(note):
        return False
    for unit in (spec.unit, agency_unit):
        if not unit or not fold_words(unit):
            continue
        if _AMOUNT_WORDS & _accented_words(unit):
            return False
        folded = fold_words(unit)
        if any(folded == u or folded.startswith(u + " ") for u in _COUNT_UNITS):
            return True
    label = fold_words(spec.label)
    words = clean(spec.label).lower().split()
    return label.startswith("so ") and not (len(words) > 1 and words[1] in ("tiền", "kinh", "vốn"))


def _percent_figures(
    spec: RowSpec, line: _Line, values: dict[str, Number], indicator: Indicator, problems: list[Problem]
) -> bool:
    """Plan or result written as a percentage ("100% cơ sở", "95%") in a row whose unit is no
    percentage (a count, an amount): the figure is a share, not the row's quantity. The row's
    unit becomes "%" (so the consolidated totals leave it out, as any other unit of another
    kind) and a person checks (`unit_mismatch`, blocking); never summed as 100 enterprises."""
    given = [r for r in ("plan", "result") if values[r].value is not None and "%" in values[r].raw]
    if not given:
        return False
    for unit in (spec.unit, line.unit):
        stated = read_unit(unit)
        if stated is not None and stated.kind == PERCENT:
            return False  # the row is a percentage: "95%" is its figure
    stated = read_unit(line.unit) or read_unit(spec.unit)
    what = f"có đơn vị «{stated.text}»" if stated is not None and stated.kind else (
        "đếm số lượng" if _counts(spec, "", "") else "không phải tỷ lệ phần trăm"
    )
    shown = " / ".join(f"{ROLE_NAMES[r]} «{clean(values[r].raw)}»" for r in given)
    indicator.unit = "%"
    for role in ("plan", "result"):
        if values[role].value is not None:
            indicator.values[role].unit = "%"
            if role in given:
                indicator.values[role].confidence *= 0.5
    problems.append(
        Problem(
            ProblemCode.UNIT_MISMATCH,
            f"Dòng {spec.id}: số liệu ghi theo phần trăm ({shown}) trong khi dòng này {what}; số liệu không"
            " được cộng vào tổng, đề nghị đơn vị cho số lượng cụ thể.",
            line.where,
        )
    )
    return True


def _whole_counts(
    spec: RowSpec, line: _Line, values: dict[str, Number], indicator: Indicator, problems: list[Problem]
) -> None:
    """A count holding a fraction (1,25 người) is impossible: most often 1.250 typed in an Excel
    set to English (the dot read as a decimal point). Kept as read, its confidence halved and
    a problem raised; never multiplied by 1.000 on a guess."""
    for role in ("plan", "result"):
        n = values[role]
        if n.value is None or float(n.value).is_integer():
            continue
        indicator.values[role].confidence *= 0.5
        thousand = n.value * 1000
        hint = (
            f"; có thể là {vn_number(round(thousand))} (số «{vn_number(round(thousand))}» gõ trong Excel đặt kiểu"
            " tiếng Anh, dấu chấm bị hiểu là dấu thập phân)"
            if abs(thousand - round(thousand)) < 1e-6 and abs(n.value) < 1000
            else ""
        )
        unit = line.unit or spec.unit
        problems.append(
            Problem(
                ProblemCode.COUNT_NOT_INTEGER,
                f"Dòng {spec.id}: «{n.raw}» ở cột {ROLE_NAMES[role]} không phải số nguyên, nhưng dòng này đếm số lượng"
                f"{f' ({unit})' if unit else ''}{hint}; giữ số đơn vị báo cáo, đề nghị kiểm tra.",
                line.where,
            )
        )


def _is_fraction(rate: float | None, expected: float | None, raw: str) -> bool:
    """0.8 where 80 was meant (a cell in Excel's percent format read as a plain number)."""
    if rate is None or expected is None or "%" in raw or rate > 1.5:
        return False
    return abs(rate * 100 - expected) <= RATE_TOLERANCE


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
