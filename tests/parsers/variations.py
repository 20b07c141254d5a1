"""A seeded generator of report variants for metamorphic tests of the parsers.

Each base is a fixture report (tests/fixtures/docx, tests/fixtures/probe) read into the
format-neutral `Doc`; each axis rewrites that Doc the way agencies differ (header words,
column order, header rows, a split table, numbering, headings, section order, number formats,
"-"/"Không" cells) and says how the parse is expected to change (usually: not at all). Format
round-trips go through LibreOffice on the real bytes. `signature()` is what must stay equal:
kind, identity, every section's text, every row's figures, the problem codes.

Used by tests/parsers/test_variations.py (bounded) and bench/bench_variations.py (larger).
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers.columns import aux_role, value_role
from parsers.document import Doc, Para, Table
from parsers.interpret import interpret
from parsers.model import OutlineSpec, ParseResult
from parsers.outline import parse_label
from parsers.table import read_indicators
from parsers.textnorm import fold_words

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SYNONYMS = {
    "plan": ["KH", "Kế hoạch", "KH 2025", "Chỉ tiêu giao", "Mục tiêu đến năm 2025", "Kế hoạch giai đoạn 2018-2025"],
    "result": ["KQ", "KQ 2025", "TH", "Thực hiện", "Đạt được", "Lũy kế đến 2025", "Kết quả thực hiện"],
    "rate": ["%", "% đạt", "Tỷ lệ (%)", "TH/KH (%)", "Tỷ lệ hoàn thành", "So với KH (%)"],
}
# Problem codes that are notes on layout, not on the figures: an axis may add or remove them.
LAYOUT_NOTES = {"boilerplate_removed", "column_from_data"}


@dataclass
class Base:
    """One fixture report: its bytes, format, Doc and the parse to compare with."""

    name: str
    path: Path
    fmt: str
    doc: Doc


@dataclass
class Variant:
    """A rewritten Doc (or bytes for a round-trip) and how the parse should differ."""

    axis: str
    base: str
    doc: Doc | None = None
    data: bytes | None = None
    filename: str = ""
    # Section ids that become unanswered, rows that become explicit none.
    drops: set[str] = field(default_factory=set)
    nones: set[str] = field(default_factory=set)
    note: str = ""


def _read(path: Path) -> Doc:
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        from parsers.xlsx_reader import read_xlsx

        return read_xlsx(data)
    from parsers.docx_reader import read_docx

    return read_docx(data)


def bases(spec: OutlineSpec, *, limit: int | None = None) -> list[Base]:
    """Every fixture report in docx/xlsx (the docx corpus and the probe corpus)."""
    out: list[Base] = []
    for folder in (FIXTURES / "docx", FIXTURES / "probe"):
        for exp in sorted(folder.glob("*.expected.json")):
            want = json.loads(exp.read_text(encoding="utf-8"))
            name = exp.name[: -len(".expected.json")]
            path = next((p for p in (folder / f"{name}.docx", folder / f"{name}.xlsx") if p.exists()), None)
            if want.get("kind") != "report" or path is None:
                continue
            out.append(Base(name, path, path.suffix[1:], _read(path)))
    return out[:limit] if limit else out


def parse(doc: Doc, spec: OutlineSpec, fmt: str = "docx") -> ParseResult:
    """The parse of a Doc (the interpreter every reader feeds)."""
    return interpret(copy.deepcopy(doc), spec, file=f"variant.{fmt}", fmt=fmt)


def signature(result: ParseResult) -> dict[str, Any]:
    """What a variant must keep: kind, identity, sections, figures, the figures' problems."""
    return {
        "kind": result.kind,
        "agency": result.agency.id,
        "number": result.doc_number,
        "date": result.doc_date,
        # getattr: the generator also measures the parser as it was before these fields existed.
        "sections": {
            k: (getattr(v, "answered", not v.empty), " ".join(fold_words(v.text).split()))
            for k, v in result.sections.items()
        },
        "rows": {k: (v.plan, v.result, v.rate, getattr(v, "explicit_none", False)) for k, v in result.indicators.items()},
        "problems": sorted({str(p.code) for p in result.problems} - LAYOUT_NOTES),
    }


def expected(base_sig: dict[str, Any], variant: Variant) -> dict[str, Any]:
    """The base's signature with the variant's announced changes."""
    want = copy.deepcopy(base_sig)
    for sid in variant.drops:
        want["sections"][sid] = (False, "")
    for rid in variant.nones:
        want["rows"][rid] = (None, None, None, True)
    if variant.drops or variant.nones:
        want["problems"] = None  # missing-section/row problems change with the drop
    return want


def differences(want: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Human-readable differences between two signatures (empty when invariant)."""
    out = []
    for key in ("kind", "agency", "number", "date"):
        if want[key] != got[key]:
            out.append(f"{key}: {want[key]!r} → {got[key]!r}")
    for sid, value in want["sections"].items():
        if got["sections"].get(sid) != value:
            out.append(f"section {sid}: {value[1][:50]!r} → {got['sections'].get(sid, (0, ''))[1][:50]!r}")
    for rid, value in want["rows"].items():
        if got["rows"].get(rid) != value:
            out.append(f"row {rid}: {value} → {got['rows'].get(rid)}")
    if want["problems"] is not None and want["problems"] != got["problems"]:
        out.append(f"problems: {want['problems']} → {got['problems']}")
    return out


# --- the table --------------------------------------------------------------------------------


def _quant_table(doc: Doc, spec: OutlineSpec) -> tuple[int, int, dict[str, int]] | None:
    """Block index of the quantitative table, its header's last row and role → column."""
    tables = [i for i, b in enumerate(doc.blocks) if isinstance(b, Table)]
    reading = read_indicators([doc.blocks[i] for i in tables], spec.rows)  # type: ignore[misc]
    if not reading.found:
        return None
    k = min(reading.used_tables)
    block = doc.blocks[tables[k]]
    assert isinstance(block, Table)
    for r, row in enumerate(block.rows):
        roles = {value_role(c): j for j, c in enumerate(row) if c and value_role(c)}
        if len(roles) >= 2:
            bottom = r
            while bottom + 1 < len(block.rows) and any(value_role(c) or aux_role(c) == "period" for c in block.rows[bottom + 1] if c) \
                    and not any(re.fullmatch(r"[\d.,%\s]+", c) for c in block.rows[bottom + 1][1:] if c):
                bottom += 1
            cols: dict[str, int] = {}
            for j in range(max(len(x) for x in block.rows[r : bottom + 1])):
                for rr in range(bottom, r - 1, -1):
                    cell = block.rows[rr][j] if j < len(block.rows[rr]) else ""
                    if cell:
                        role = value_role(cell)
                        if role and role not in cols:
                            cols[role] = j
                        break
            if set(cols) == {"plan", "result", "rate"}:
                return tables[k], bottom, cols
            return None
    return None


def _with_table(doc: Doc, index: int, rows: list[list[str]]) -> Doc:
    new = copy.deepcopy(doc)
    block = new.blocks[index]
    assert isinstance(block, Table)
    block.rows = rows
    return new


def header_synonyms(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """The value columns named with the abbreviations and synonyms agencies use."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, cols = found
    rows = copy.deepcopy(base.doc.blocks[index].rows)  # type: ignore[union-attr]
    for role, j in cols.items():
        word = rng.choice(SYNONYMS[role])
        for r in range(bottom + 1):
            if j < len(rows[r]) and value_role(rows[r][j]) == role:
                rows[r][j] = word
    return Variant("header_synonyms", base.name, _with_table(base.doc, index, rows), note=str(cols))


def column_order(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """The plan, result and rate columns in another order (every row moved alike)."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, _, cols = found
    order = sorted(cols.values())
    shuffled = order[:]
    while shuffled == order:
        rng.shuffle(shuffled)
    # Every part of the table moves alike: a table split over pages (its continuation without
    # a header) is one table whose columns an agency orders once.
    doc = base.doc
    for part in _table_parts(base.doc, spec, index):
        rows = []
        for row in base.doc.blocks[part].rows:  # type: ignore[union-attr]
            new = list(row)
            for src, dst in zip(order, shuffled, strict=True):
                if src < len(row) and dst < len(new):
                    new[dst] = row[src]
            rows.append(new)
        doc = _with_table(doc, part, rows)
    return Variant("column_order", base.name, doc)


def _table_parts(doc: Doc, spec: OutlineSpec, index: int) -> list[int]:
    """Block indices of the quantitative table's parts: the one at `index` and the tables the
    reader read as its continuation (same width)."""
    tables = [i for i, b in enumerate(doc.blocks) if isinstance(b, Table)]
    reading = read_indicators([doc.blocks[i] for i in tables], spec.rows)  # type: ignore[misc]
    width = max(len(r) for r in doc.blocks[index].rows)  # type: ignore[union-attr]
    parts = [tables[k] for k in sorted(reading.used_tables) if tables[k] >= index]
    return [i for i in parts if max(len(r) for r in doc.blocks[i].rows) == width]  # type: ignore[union-attr]


def extra_header_rows(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """A merged title row over the header, and/or a row of column numbers under it."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, _ = found
    rows = copy.deepcopy(base.doc.blocks[index].rows)  # type: ignore[union-attr]
    width = max(len(r) for r in rows)
    if rng.random() < 0.5:
        rows.insert(bottom + 1, [f"({k + 1})" for k in range(width)])
    else:
        title = "Định lượng kết quả lũy kế đạt được từ năm 2018 - 2025"
        rows.insert(0, [title] * width)
    return Variant("extra_header_rows", base.name, _with_table(base.doc, index, rows))


def merged_header(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """A two-row header: the role over its period ("Kết quả" / "2025"), merged cells repeated."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, cols = found
    rows = copy.deepcopy(base.doc.blocks[index].rows)  # type: ignore[union-attr]
    width = max(len(r) for r in rows[: bottom + 1])
    top = [rows[bottom][j] if j < len(rows[bottom]) else "" for j in range(width)]
    low = list(top)
    for role, j in cols.items():
        top[j] = {"plan": "Kế hoạch", "result": "Kết quả", "rate": "Tỷ lệ (%)"}[role]
        low[j] = rng.choice(["2025", "đến năm 2025", "giai đoạn 2018-2025"]) if role != "rate" else top[j]
    rows[bottom : bottom + 1] = [top, low]
    return Variant("merged_header", base.name, _with_table(base.doc, index, rows))


def table_split(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """The table broken in two at a data row (a page break), the second part without header."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, _ = found
    table = base.doc.blocks[index]
    assert isinstance(table, Table)
    if len(table.rows) - bottom < 4:
        return None
    cut = rng.randint(bottom + 2, len(table.rows) - 2)
    new = copy.deepcopy(base.doc)
    first, second = copy.deepcopy(table), copy.deepcopy(table)
    first.rows, second.rows = table.rows[:cut], table.rows[cut:]
    second.first_row = table.first_row + cut
    new.blocks[index : index + 1] = [first, second]
    return Variant("table_split", base.name, new)


_PLAIN = re.compile(r"^\d+(?:[.,]\d+)?$")


def number_formats(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """Figures written another way: thousands dots, "%" after rates, leading zeros, spaces."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, cols = found
    rows = copy.deepcopy(base.doc.blocks[index].rows)  # type: ignore[union-attr]
    for row in rows[bottom + 1 :]:
        for role, j in cols.items():
            cell = row[j] if j < len(row) else ""
            if not _PLAIN.match(cell) or "." in cell:
                continue
            whole = cell.isdigit()
            if role == "rate":
                row[j] = cell + rng.choice(["%", " %"])
            elif whole and len(cell) >= 4:
                row[j] = f"{int(cell):,}".replace(",", rng.choice([".", " "]))
            elif whole and len(cell) == 1:
                row[j] = "0" + cell
    return Variant("number_formats", base.name, _with_table(base.doc, index, rows))


def none_cells(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """One row answered "none" in every value cell ("-", "x", "Không", "Không phát sinh")."""
    found = _quant_table(base.doc, spec)
    if not found:
        return None
    index, bottom, cols = found
    sig = signature(parse(base.doc, spec, base.fmt))
    rows = copy.deepcopy(base.doc.blocks[index].rows)  # type: ignore[union-attr]
    result = read_indicators([base.doc.blocks[index]], spec.rows)  # type: ignore[list-item]
    filled = [rid for rid, ind in result.indicators.items() if ind.plan is not None and sig["rows"][rid][0] is not None]
    if not filled:
        return None
    rid = rng.choice(filled)
    r = int(result.indicators[rid].where.rsplit("dòng ", 1)[1]) - base.doc.blocks[index].first_row  # type: ignore[union-attr]
    word = rng.choice(["-", "x", "Không", "Không phát sinh"])
    for j in cols.values():
        rows[r][j] = word
    return Variant("none_cells", base.name, _with_table(base.doc, index, rows), nones={rid}, note=word)


# --- the narrative ----------------------------------------------------------------------------


def _heading_blocks(base: Base, spec: OutlineSpec) -> dict[str, int]:
    """Section id → block index of its heading paragraph (as the base parse found it)."""
    result = parse(base.doc, spec, base.fmt)
    # A sheet row gives its heading and its answer the same place ("dòng 18"): the heading
    # is the first block there (the last one would make the answer pass for the heading).
    at: dict[str, int] = {}
    for i, b in enumerate(base.doc.blocks):
        if isinstance(b, Para) and b.where:
            at.setdefault(b.where, i)
    heads: dict[str, int] = {}
    for sid, s in result.sections.items():
        if s.where not in at or s.empty:
            continue
        # A section's place is its answer's first line: the heading's own line when the answer
        # follows it there, else the heading is the paragraph just above the answer.
        i = at[s.where]
        block = base.doc.blocks[i]
        alone = i > 0 and isinstance(block, Para) and fold_words(s.text).startswith(fold_words(block.text)[:25])
        heads[sid] = i - 1 if alone and isinstance(base.doc.blocks[i - 1], Para) else i
    return heads


def _span(doc: Doc, start: int, heads: set[int]) -> int:
    """Index after a section's last block: the next heading, group heading or table."""
    k = start + 1
    while k < len(doc.blocks):
        block = doc.blocks[k]
        if k in heads or not isinstance(block, Para):
            break
        if parse_label(block.text, block.numbering).kind in {"roman", "path"} and len(block.text) < 200:
            break
        k += 1
    return k


_TYPED = re.compile(r"^\s*(\(?[a-zđ][).]|\d+(?:\.\d+)*\.(?:[a-zđ][).])?)\s*")


def numbering_styles(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """Section letters typed another way ("a)" → "a." / "a/" / "a -"), or made automatic."""
    heads = _heading_blocks(base, spec)
    if not heads:
        return None
    style = rng.choice(["dot", "slash", "dash", "auto", "none"])
    new = copy.deepcopy(base.doc)
    changed = 0
    for i in heads.values():
        para = new.blocks[i]
        assert isinstance(para, Para)
        m = re.match(r"^\s*([a-zđ])\)\s*", para.text)
        if not m:
            continue
        letter, rest = m.group(1), para.text[m.end() :]
        if style == "auto":
            para.text, para.numbering = rest, f"{letter})"
        elif style == "none":
            para.text, para.bold = rest, True  # no label at all: a bold heading
        else:
            para.text = {"dot": f"{letter}. ", "slash": f"{letter}/ ", "dash": f"{letter} - "}[style] + rest
        changed += 1
    return Variant("numbering_styles", base.name, new, note=style) if changed else None


def shortened_headings(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """Headings shortened the way agencies retype them (the first words, then a colon)."""
    heads = _heading_blocks(base, spec)
    if not heads:
        return None
    result = parse(base.doc, spec, base.fmt)
    new = copy.deepcopy(base.doc)
    changed = 0
    for sid, i in heads.items():
        para = new.blocks[i]
        assert isinstance(para, Para)
        if fold_words(result.sections[sid].text)[:30] in fold_words(para.text):
            continue  # the answer shares the heading's line: leave it
        m = _TYPED.match(para.text)
        label, heading = (m.group(0), para.text[m.end() :]) if m else ("", para.text)
        words = heading.rstrip(":.… ").split()
        if len(words) < 8:
            continue
        keep = max(6, int(len(words) * rng.uniform(0.6, 0.8)))
        para.text = f"{label}{' '.join(words[:keep])}:"
        changed += 1
    return Variant("shortened_headings", base.name, new) if changed else None


def sections_reordered(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """Two sections of one group swapped (heading and answer move together)."""
    heads = _heading_blocks(base, spec)
    by_group: dict[str, list[str]] = {}
    for sid in heads:
        by_group.setdefault(sid.rpartition(".")[0], []).append(sid)
    pairs = [(a, b) for ids in by_group.values() for a, b in zip(ids, ids[1:], strict=False)]
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    ia, ib = sorted((heads[a], heads[b]))
    marks = set(heads.values())
    end_a, end_b = _span(base.doc, ia, marks), _span(base.doc, ib, marks)
    if end_a != ib:
        return None
    blocks = base.doc.blocks
    new = Doc(blocks=[*blocks[:ia], *blocks[ib:end_b], *blocks[ia:end_a], *blocks[end_b:]], footnotes=list(base.doc.footnotes))
    return Variant("sections_reordered", base.name, copy.deepcopy(new), note=f"{a}<->{b}")


def section_missing(base: Base, spec: OutlineSpec, rng: random.Random) -> Variant | None:
    """One section left out entirely (heading and answer)."""
    heads = _heading_blocks(base, spec)
    if len(heads) < 3:
        return None
    sid = rng.choice(sorted(heads))
    start = heads[sid]
    end = _span(base.doc, start, set(heads.values()))
    new = Doc(blocks=[*base.doc.blocks[:start], *base.doc.blocks[end:]], footnotes=list(base.doc.footnotes))
    return Variant("section_missing", base.name, copy.deepcopy(new), drops={sid}, note=sid)


AXES: dict[str, Callable[[Base, OutlineSpec, random.Random], Variant | None]] = {
    "header_synonyms": header_synonyms,
    "column_order": column_order,
    "extra_header_rows": extra_header_rows,
    "merged_header": merged_header,
    "table_split": table_split,
    "number_formats": number_formats,
    "none_cells": none_cells,
    "numbering_styles": numbering_styles,
    "shortened_headings": shortened_headings,
    "sections_reordered": sections_reordered,
    "section_missing": section_missing,
}


# --- format round-trips -----------------------------------------------------------------------

ROUND_TRIPS = {"docx": ("odt", "doc", "pdf"), "xlsx": ("xls", "ods")}


def round_trip(path: Path, target: str, *, timeout: float = 900) -> bytes:
    """The file converted by LibreOffice: the test process's warm one (tests/lo_warm.py), or
    one start with a profile of its own in a temp dir when that cannot run."""
    from tests.lo_warm import saved_as

    return saved_as(path, target, timeout=timeout)


def round_trip_variant(base: Base, target: str) -> Variant:
    """The base file saved by LibreOffice as `target` (docx → odt/doc/pdf, xlsx → xls/ods)."""
    data = round_trip(base.path, target)
    return Variant(f"roundtrip_{base.fmt}_{target}", base.name, data=data, filename=f"{base.name}.{target}")


def check_round_trip(base: Base, target: str, spec: OutlineSpec) -> Outcome:
    """A round-trip compared with the parse of the original bytes (same entry point)."""
    from parsers.api import parse_bytes

    want = signature(parse_bytes(base.path.read_bytes(), base.path.name, spec))
    variant = round_trip_variant(base, target)
    got = signature(parse_bytes(variant.data or b"", variant.filename, spec))
    diffs = differences(want, got)
    return Outcome(variant.axis, base.name, not diffs, diffs)


@dataclass
class Outcome:
    """One variant's verdict."""

    axis: str
    base: str
    ok: bool
    diffs: list[str]
    note: str = ""


def check(base: Base, variant: Variant, spec: OutlineSpec, base_sig: dict[str, Any] | None = None) -> Outcome:
    """Parse a variant and compare it with the base's parse (plus the announced changes)."""
    from parsers.api import parse_bytes

    base_sig = base_sig or signature(parse(base.doc, spec, base.fmt))
    if variant.data is not None:
        got = signature(parse_bytes(variant.data, variant.filename, spec))
    else:
        assert variant.doc is not None
        got = signature(parse(variant.doc, spec, base.fmt))
    diffs = differences(expected(base_sig, variant), got)
    return Outcome(variant.axis, variant.base, not diffs, diffs, variant.note)


def run(spec: OutlineSpec, *, seed: int, per_axis: int, axes: list[str] | None = None,
        limit: int | None = None) -> list[Outcome]:
    """`per_axis` seeded variants of each axis over the bases (round-robin), each checked."""
    rng = random.Random(seed)
    pool = bases(spec, limit=limit)
    sigs = {b.name: signature(parse(b.doc, spec, b.fmt)) for b in pool}
    outcomes: list[Outcome] = []
    for axis in axes or list(AXES):
        made = tries = 0
        order = pool[:]
        rng.shuffle(order)
        while made < per_axis and tries < len(order) * 3:
            base = order[tries % len(order)]
            tries += 1
            variant = AXES[axis](base, spec, rng)
            if variant is None:
                continue
            made += 1
            outcomes.append(check(base, variant, spec, sigs[base.name]))
    return outcomes


def rates(outcomes: list[Outcome]) -> dict[str, tuple[int, int]]:
    """Axis → (passed, total)."""
    out: dict[str, tuple[int, int]] = {}
    for o in outcomes:
        ok, n = out.get(o.axis, (0, 0))
        out[o.axis] = (ok + o.ok, n + 1)
    return out
