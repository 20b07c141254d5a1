"""Text PDFs → Doc with pdfplumber: paragraphs in reading order, tables via find_tables.

Text inside a table's box is left to the table. Lines are joined into paragraphs; a new one
starts after a larger vertical gap, at a line that starts with outline numbering (`2.1.`,
`a)`, `-`), after a line that ends a sentence well short of the right margin, after a line the
next word would have fitted on, at a first-line indent or where the style changes at the line
break (`_breaks`). The PDF is made to read like the document it was printed from: running
headers/footers and page numbers, footnotes (to `Doc.footnotes`) and struck-through text leave
the text; a table or paragraph broken by a page is joined back (`_join_pages`). A PDF with
(almost) no text layer is a scan: `ScannedPdf`.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zlib
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any

from parsers.document import Block, Doc, Para, Table
from parsers.errors import CorruptFile, EncryptedFile, ParserError, ScannedPdf
from parsers.textnorm import clean
from parsers.vnlegacy import Encoding, detect, fix_text, to_unicode

# Fewer visible characters per page than this and the PDF is a scan.
MIN_CHARS_PER_PAGE = 40
# Space between the two columns of a letter's header (words in a line are 2–8 pt apart).
_COLUMN_GAP = 14
# A report is a few pages; a long attachment (a whole plan, a law) is read this far only.
MAX_PAGES = 40
_STARTS_ITEM = re.compile(r"^(?:[IVX]{1,4}\.|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)|[a-zđ]\.\s|[-–•+*]\s)")


def read_pdf(data: bytes, *, ruling: Mapping[int, list[dict[str, Any]]] | None = None) -> Doc:
    """Paragraphs and tables of every page, top to bottom.

    `ruling` (page number → line objects) adds table lines the PDF does not draw: the grid an
    OCR found in a scan's image (its text layer has words only).
    """
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except _pdf_errors() as err:
        raise _pdf_error(err, "Tệp PDF bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    try:
        with pdf:  # closing reads the page tree too: inside the try
            state = _TextTable()
            read = pdf.pages[:MAX_PAGES]
            running = _running_lines(read)
            pages = [
                _page_blocks(page, n, state, (ruling or {}).get(n), running.get(n, []))
                for n, page in enumerate(read, start=1)
            ]
    except _pdf_errors() as err:
        raise _pdf_error(err, "Tệp PDF bị hỏng (một trang không đọc được); đề nghị đơn vị gửi lại.") from err
    chars = sum(n for _, n, _ in pages)
    if not pages or chars < MIN_CHARS_PER_PAGE * len(pages) / 4 or chars < MIN_CHARS_PER_PAGE:
        raise ScannedPdf(
            "Tệp PDF là bản quét, không có lớp chữ: không đọc được nội dung. Đề nghị đơn vị gửi kèm"
            " bản Word/Excel (hoặc PDF xuất trực tiếp từ Word)."
        )
    doc = Doc(
        blocks=_join_pages([blocks for blocks, _, _ in pages]), footnotes=[f for _, _, notes in pages for f in notes]
    )
    text = " ".join(p.text for p in doc.paragraphs)
    if text.count("(cid:") * 8 > len(text) * 0.3:
        raise ScannedPdf(
            "Tệp PDF dùng phông chữ không trích được chữ (chỉ thấy mã «(cid:…)»): đề nghị đơn vị gửi kèm"
            " bản Word/Excel."
        )
    return doc


def _join_pages(pages: list[list[Block]]) -> list[Block]:
    """The pages' blocks in order, a table broken by a page joined back into one (as its Word
    original has it): a table that ends a page and one that starts the next with as many
    columns. The repeated header rows are dropped; a first row without its number whose text
    starts in lower case or that has no figure is the rest of the row the page broke ("Nhiệm vụ
    nghiên cứu" / "khoa học cơ bản, …"). A paragraph the page broke mid-sentence is one again."""
    out: list[Block] = []
    for k, blocks in enumerate(pages):
        first = blocks[0] if blocks else None
        last = out[-1] if out and k else None
        if (
            isinstance(first, Table)
            and isinstance(last, Table)
            and not first.borderless
            and not last.borderless
            and _width(first) == _width(last)
        ):
            _continue_table(last, first.rows)
            blocks = blocks[1:]
        elif isinstance(first, Para) and isinstance(last, Para) and _runs_on(last, first):
            last.text = f"{last.text} {first.text}"
            blocks = blocks[1:]
        out.extend(blocks)
    return out


def _runs_on(last: Para, first: Para) -> bool:
    """Whether the first paragraph of a page carries on the last one of the page before: same
    weight, the last stops mid-sentence and the first starts in lower case, not with a label."""
    return (
        last.bold == first.bold
        and bool(last.text) and bool(first.text)
        and not last.text.rstrip().endswith((".", ":", ";", "!", "?"))
        and first.text[0].islower()
        and not _STARTS_ITEM.match(first.text)
    )


def _width(table: Table) -> int:
    return max((len(r) for r in table.rows), default=0)


def _continue_table(table: Table, rows: list[list[str]]) -> None:
    """Append a table's rows from the next page (see `_join_pages`)."""
    header = [_fold_row(r) for r in table.rows[:3]]
    rows = list(rows)
    while rows and _fold_row(rows[0]) in header and any(rows[0]):
        rows.pop(0)
    if rows and table.rows and _rest_of_row(table.rows[-1], rows[0]):
        previous = table.rows[-1]
        table.rows[-1] = [f"{a} {b}".strip() for a, b in zip(previous, rows.pop(0), strict=False)]
    table.rows.extend(rows)


def _fold_row(row: list[str]) -> list[str]:
    return [" ".join(c.split()).lower() for c in row]


def _rest_of_row(previous: list[str], row: list[str]) -> bool:
    """Whether `row` carries on the row `previous`: its first cell, the number, is empty, and its
    text starts in lower case (mid-sentence) or it has no figure at all (a row of its own without
    a number, such as a total, has figures)."""
    if not previous or not row or row[0] or not previous[0]:
        return False
    text = next((c for c in row if c), "")
    return bool(text) and (text[0].islower() or not any(ch.isdigit() for c in row for ch in c))


def _pdf_errors() -> tuple[type[BaseException], ...]:
    """What pdfminer/pdfplumber raise on a damaged file (their own and plain Python errors)."""
    from pdfminer.psexceptions import PSException
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException

    return (PdfminerException, MalformedPDFException, PSException, ValueError, TypeError, KeyError, IndexError,
            AttributeError, OSError, zlib.error, RecursionError)


def _pdf_error(err: BaseException, message: str) -> ParserError:
    """EncryptedFile for a password (pdfplumber wraps pdfminer's error), else CorruptFile."""
    from pdfminer.pdfdocument import PDFPasswordIncorrect

    causes = [err, err.__cause__, *(a for a in getattr(err, "args", ()) if isinstance(a, BaseException))]
    if any(isinstance(c, PDFPasswordIncorrect) for c in causes):
        return EncryptedFile("Tệp PDF có mật khẩu: đề nghị đơn vị gửi bản không đặt mật khẩu.")
    return CorruptFile(message)


def _page_blocks(
    page: Any,
    number: int,
    state: _TextTable,
    ruling: list[dict[str, Any]] | None = None,
    running: list[tuple[float, float, float, float]] | None = None,
) -> tuple[list[Block], int, list[str]]:
    """(blocks, visible characters, footnotes) of one page, without its running header and
    footer lines (`running`: their boxes)."""
    if running:
        page = page.filter(lambda o: o.get("object_type") != "char" or not _inside(o, running))
    _PAGE_ENCODING.set(detect("".join(c.get("text", "") for c in page.chars)))
    if ruling:
        vertical = [ln for ln in ruling if ln["x0"] == ln["x1"]]
        horizontal = [ln for ln in ruling if ln["top"] == ln["bottom"]]
        found = page.find_tables({"explicit_vertical_lines": vertical, "explicit_horizontal_lines": horizontal})
    else:
        found = page.find_tables()
    boxes = [t.bbox for t in found]
    items: list[tuple[float, Block]] = []
    for k, table in enumerate(found, start=1):
        rows = [[_text(c or "") for c in row] for row in table.extract()]
        if any(any(c for c in row) for row in rows):
            items.append((table.bbox[1], Table(rows, where=f"trang {number}, bảng {k}")))
    if number == 1:
        # Outside ruled tables (an Excel print starts with its table), in the top third of the page.
        ruled = [t.bbox for t in found]
        lines = [
            line for line in _word_lines(page)
            if line[0]["top"] < page.height / 3
            and not any(x0 <= line[0]["x0"] <= x1 and top <= line[0]["top"] <= bottom for x0, top, x1, bottom in ruled)
        ]
        header = _header_block(lines, page.width)
        if header is not None:
            # The letterhead may be typed in a legacy font over a Unicode body: its own text
            # decides its encoding (a line alone, "Sè: 58/…", is too short to tell).
            zone = " ".join(w["text"] for line in lines if header[1][0] <= line[0]["top"] <= header[1][1] for w in line)
            encoding = detect(zone)
            if encoding != "unicode" and encoding != _PAGE_ENCODING.get():
                token = _PAGE_ENCODING.set(encoding)
                header = _header_block(lines, page.width) or header
                _PAGE_ENCODING.reset(token)
            table, (top, bottom) = header
            items.append((top, table))
            boxes.append((0, top, page.width, bottom))
    if not found:
        started = state.feed(page, number)
        if started is not None:
            items.append(started)
        boxes += [(0, top, page.width, bottom) for top, bottom in state.used.pop(number, [])]

    def outside(obj: dict[str, Any]) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    struck = _strike_lines(page)
    rule = _footnote_rule(page, [t.bbox for t in found])
    marks = _footnote_marks(page) if rule is not None else set()

    def kept(obj: dict[str, Any]) -> bool:
        if obj.get("object_type") != "char":
            return True
        below = rule is not None and obj["top"] > rule
        return outside(obj) and not below and id(obj) not in marks and not _struck(obj, struck)

    text_page = page.filter(kept) if boxes or struck or rule is not None else page
    notes = _footnotes(page, rule) if rule is not None else []
    lines = text_page.extract_text_lines(keep_blank_chars=False)
    for top, para in _paragraphs(lines, page.width, number):
        items.append((top, para))
    items.sort(key=lambda item: item[0])
    chars = sum(1 for c in page.chars if not c.get("text", " ").isspace())
    return [b for _, b in items], chars, notes


# Where a page's running header and footer sit: this share of the page's height at the top and
# at the bottom.
_MARGIN_BAND = 0.1
_PAGE_NUMBER = re.compile(r"(?i)^(?:trang\s*)?[-–(]?\s*\d{1,3}\s*[-–)]?(?:\s*/\s*\d{1,3})?$")


def _running_lines(pages: list[Any]) -> dict[int, list[tuple[float, float, float, float]]]:
    """Page number → boxes of its running header/footer lines: lines in the top or bottom band
    of the page that are a page number ("3", "- 3 -", "Trang 3/5") or whose text, digits aside,
    comes back on another page in the same band (a header Word repeats; not in the docx body)."""
    from parsers.textnorm import fold_words

    found: list[tuple[int, str, str, tuple[float, float, float, float]]] = []
    for n, page in enumerate(pages, start=1):
        # A table's rows (its header repeated on every page) are the table's, not running lines.
        ruled = [(e["top"], e["bottom"]) for e in page.edges if e.get("orientation") == "v"]
        lines = page.extract_text_lines(keep_blank_chars=False)

        def band_of(line: dict[str, Any], height: float = page.height) -> str:
            if line["bottom"] < height * _MARGIN_BAND:
                return "top"
            return "bottom" if line["top"] > height * (1 - _MARGIN_BAND) else ""

        body = [line for line in lines if not band_of(line)]
        for line in lines:
            band = band_of(line)
            text = line.get("text", "").strip()
            middle = (line["top"] + line["bottom"]) / 2
            # In the page's margin: well apart from the body text (a body line that happens to
            # open or end two pages, "Không phát sinh.", is a paragraph's distance from the next).
            height = line["bottom"] - line["top"]
            gaps = [b["top"] - line["bottom"] if band == "top" else line["top"] - b["bottom"] for b in body]
            apart = min((g for g in gaps if g >= 0), default=page.height) > 1.2 * height
            if band and text and apart and not any(top <= middle <= bottom for top, bottom in ruled):
                key = re.sub(r"\d+", "#", fold_words(text))
                found.append((n, band, key, (line["x0"], line["top"], line["x1"], line["bottom"])))
    pages_of: dict[tuple[str, str], set[int]] = {}
    for n, band, key, _ in found:
        pages_of.setdefault((band, key), set()).add(n)
    out: dict[int, list[tuple[float, float, float, float]]] = {}
    for n, band, key, box in found:
        text_is_number = bool(_PAGE_NUMBER.match(key.replace("#", "1")))
        if text_is_number or len(pages_of[(band, key)]) >= 2:
            out.setdefault(n, []).append(box)
    return out


def _inside(obj: dict[str, Any], boxes: list[tuple[float, float, float, float]]) -> bool:
    cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
    return any(x0 - 0.5 <= cx <= x1 + 0.5 and top - 0.5 <= cy <= bottom + 0.5 for x0, top, x1, bottom in boxes)


def _footnote_rule(page: Any, tables: list[tuple[float, float, float, float]]) -> float | None:
    """The y of the short rule over the page's footnotes (Word and LibreOffice draw one from the
    left margin, about a third of the text's width, with the notes below it), or None."""
    chars = [c for c in page.chars if not c.get("text", " ").isspace()]
    if not chars:
        return None
    left = min(c["x0"] for c in chars)
    right = max(c["x1"] for c in chars)
    for obj in [*page.lines, *page.rects]:
        y = (obj["top"] + obj["bottom"]) / 2
        width = obj["x1"] - obj["x0"]
        if (
            obj["bottom"] - obj["top"] <= 1.5
            and y > page.height / 2
            and abs(obj["x0"] - left) < 8
            and 0.1 * (right - left) < width < 0.5 * (right - left)
            and not any(x0 - 2 <= obj["x0"] <= x1 + 2 and top - 2 <= y <= bottom + 2 for x0, top, x1, bottom in tables)
            and any(c["top"] > y for c in chars)
        ):
            return y
    return None


def _footnote_marks(page: Any) -> set[int]:
    """The footnote reference marks in the text: digits or "*" set smaller than the text and
    raised above its baseline (ids of the characters)."""
    chars = [c for c in page.chars if not c.get("text", " ").isspace()]
    sizes = sorted(round(float(c.get("size") or 0), 1) for c in chars)
    body = sizes[len(sizes) // 2] if sizes else 0.0
    out = set()
    for c in chars:
        size = float(c.get("size") or 0)
        if c["text"] in "0123456789*" and 0 < size < 0.8 * body:
            out.add(id(c))
    return out


_NOTE_START = re.compile(r"^\s*(\d{1,3}|\*)\s*(?=\S)")


def _footnotes(page: Any, rule: float) -> list[str]:
    """The notes below the footnote rule, each without its number."""
    below = page.filter(lambda o: o.get("object_type") != "char" or o["top"] > rule)
    notes: list[str] = []
    for line in below.extract_text_lines(keep_blank_chars=False):
        text = _text(line.get("text", ""))
        if not text:
            continue
        m = _NOTE_START.match(text)
        if m or not notes:
            notes.append(text[m.end() :] if m else text)
        else:
            notes[-1] = f"{notes[-1]} {text}"
    return notes


def _strike_lines(page: Any) -> list[tuple[float, float, float]]:
    """(x0, x1, y) of the page's thin horizontal lines, the candidates for struck-through text."""
    out = []
    for obj in [*page.lines, *page.rects]:
        if obj["bottom"] - obj["top"] <= 1.5 and obj["x1"] - obj["x0"] > 2:
            out.append((obj["x0"], obj["x1"], (obj["top"] + obj["bottom"]) / 2))
    return out


def _struck(char: dict[str, Any], lines: list[tuple[float, float, float]]) -> bool:
    """Whether a line runs through the character's body (strikethrough: deleted text, as a
    tracked deletion shows; Word's own reading drops it). An underline runs below it."""
    height = char["bottom"] - char["top"]
    centre = (char["x0"] + char["x1"]) / 2
    return any(
        x0 <= centre <= x1 and char["top"] + 0.3 * height < y < char["bottom"] - 0.1 * height for x0, x1, y in lines
    )


class _TextTable:
    """A table drawn without lines (borders removed): columns found from the header words'
    positions, rows from the number column and the value columns, carried across pages.

    Starts at a line naming ≥ 2 value columns (Kế hoạch / Kết quả / Tỷ lệ); ends at a line of
    prose (a word running across a column boundary) or a wide vertical gap.
    """

    _ANCHORS = (("plan", ("ke hoach", "kh")), ("result", ("ket qua", "thuc hien")), ("rate", ("ty le", "ti le")))

    def __init__(self) -> None:
        self.table: Table | None = None
        self.bounds: list[tuple[str, float]] = []
        self.row: list[str] | None = None
        self.started = False  # the first data line has been seen (header lines skipped before)
        self.last_bottom = 0.0
        self.used: dict[int, list[tuple[float, float]]] = {}

    def feed(self, page: Any, number: int) -> tuple[float, Table] | None:
        """Read this page's lines; returns (top, table) when a table starts on this page."""
        from parsers.textnorm import fold_words

        start: tuple[float, Table] | None = None
        mark = 0
        self.last_bottom = 0.0
        for words in _word_lines(page):
            text = fold_words(" ".join(w["text"] for w in words))
            if self.table is None:
                bounds = self._anchors(words)
                if bounds:
                    self.table = Table([["TT", "Nội dung", *(ROLE_TITLES[r] for r, _ in bounds)]],
                                       where=f"trang {number}, bảng không kẻ")
                    self.bounds, self.row, self.started = bounds, None, False
                    start = (words[0]["top"], self.table)
                    mark = len(self.used.get(number, []))
                    self._use(number, words)
                continue
            if not self._take(words, text, number):
                if start is not None and len(self.table.rows) == 1:  # a false start: give the lines back
                    del self.used[number][mark:]
                    start = None
                self.table = None
        return start

    def _anchors(self, words: list[dict[str, Any]]) -> list[tuple[str, float]]:
        from parsers.textnorm import fold_words

        folded = [fold_words(w["text"]) for w in words]
        found = []
        for role, phrases in self._ANCHORS:
            for k in range(len(words)):
                pair = " ".join(folded[k : k + 2])
                if any(pair.startswith(p) if " " in p else folded[k] == p for p in phrases):
                    # A column title stands apart from the word before it (prose does not).
                    if k == 0 or words[k]["x0"] - words[k - 1]["x1"] > 8:
                        found.append((role, words[k]["x0"] - 3))
                    break
        found.sort(key=lambda b: b[1])
        # Room for the label column on the left (a sentence mentioning "kế hoạch" starts at the margin).
        return found if len(found) >= 2 and found[0][1] > 150 else []

    def _take(self, words: list[dict[str, Any]], text: str, number: int) -> bool:
        """Add one line to the table; False when the line ends it."""
        height = max(words[0]["bottom"] - words[0]["top"], 1.0)
        if self.last_bottom and words[0]["top"] - self.last_bottom > 3 * height:
            return False
        edges = [x for _, x in self.bounds]
        if any(w["x0"] < x - 1 < w["x1"] - 2 for w in words for x in edges):
            return False  # prose across the columns
        left = [w for w in words if (w["x0"] + w["x1"]) / 2 < edges[0]]
        if not self.started and not left:
            self._use(number, words)
            return True  # the header's wrapped lines
        self.started = True
        values = ["" for _ in self.bounds]
        for w in words:
            centre = (w["x0"] + w["x1"]) / 2
            for j in range(len(edges) - 1, -1, -1):
                if centre >= edges[j]:
                    values[j] = f"{values[j]} {w['text']}".strip()
                    break
        stt = ""
        if len(left) >= 2 and _STT.match(left[0]["text"]) and left[1]["x0"] - left[0]["x1"] > 8:
            stt, left = left[0]["text"], left[1:]
        label = _text(" ".join(w["text"] for w in left))
        assert self.table is not None
        if self.row is None or stt or (any(values) and any(self.row[2:])):
            self.row = [stt, label, *values]
            self.table.rows.append(self.row)
        else:
            self.row[1] = f"{self.row[1]} {label}".strip()
            if any(values) and not any(self.row[2:]):
                self.row[2:] = values
        self.last_bottom = words[0]["bottom"]
        self._use(number, words)
        return True

    def _use(self, number: int, words: list[dict[str, Any]]) -> None:
        top = min(w["top"] for w in words) - 0.5
        bottom = max(w["bottom"] for w in words) + 0.5
        self.used.setdefault(number, []).append((top, bottom))


ROLE_TITLES = {"plan": "Kế hoạch", "result": "Kết quả", "rate": "Tỷ lệ (%)"}
_STT = re.compile(r"^(?:[IVX]{1,4}|\d{1,2}(?:\.\d{1,2})*|[a-zđ])[.)]?$")


def _header_block(lines: list[list[dict[str, Any]]], width: float) -> tuple[Table, tuple[float, float]] | None:
    """The two-column header of an official letter (agency | motto; number | place and date)
    at the top of page 1 (`width` wide), as the borderless two-cell table Word has under it."""
    page_middle = width / 2
    top = lines[:12]
    gaps = [_widest_gap(words) for words in top]
    split = next((at for gap, at in gaps if gap > _COLUMN_GAP), None)
    if split is None:
        return None
    zone: list[tuple[list[dict[str, Any]], float]] = []  # (line, where it splits)
    # Where the right column starts and its middle, in the lines split so far: a line right of
    # the split is in that column when it starts there (left-aligned) or is centred on it; the
    # report's title is centred on the page.
    right_start, right_middle = float("inf"), 0.0
    for words, (gap, at) in zip(top, gaps, strict=True):
        middle = (words[0]["x0"] + words[-1]["x1"]) / 2
        if gap > _COLUMN_GAP:
            zone.append((words, at))
            mine = [w for w in words if (w["x0"] + w["x1"]) / 2 >= at]
            right_start = min(right_start, mine[0]["x0"])
            right_middle = right_middle or (mine[0]["x0"] + mine[-1]["x1"]) / 2
        elif words[-1]["x1"] < split or (
            words[0]["x0"] > split
            and (words[0]["x0"] >= right_start - 10 or abs(middle - right_middle) < abs(middle - page_middle))
        ):
            zone.append((words, split))  # one column only (the other is vertically centred)
        else:
            break  # a line across the columns, or one left of the right column (the centred title)
    if len(zone) < 2 or not any(gap > _COLUMN_GAP for gap, _ in gaps[: len(zone)]):
        return None
    cells = [_cell([_side(w, at, left=left) for w, at in zone]) for left in (True, False)]
    area = (min(w["top"] for w in zone[0][0]) - 0.5, max(w["bottom"] for w in zone[-1][0]) + 0.5)
    return Table([cells], where="trang 1, khối tiêu đề", borderless=True), area


def _widest_gap(words: list[dict[str, Any]]) -> tuple[float, float]:
    """(width, middle) of the widest space between two words of a line."""
    return max(
        ((words[i + 1]["x0"] - words[i]["x1"], (words[i]["x1"] + words[i + 1]["x0"]) / 2) for i in range(len(words) - 1)),
        default=(0.0, 0.0),
    )


def _cell(lines: list[tuple[str, float]]) -> str:
    """A header cell's lines (text, width) → its text, wrapped lines joined back: a line
    starting with a digit or "năm" after "ngày … tháng" continues the date; a line after one
    as wide as the cell allows continues it ("HIỆP HỘI DOANH NGHIỆP" / "TỈNH QUẢNG NGÃI")
    unless it starts a part of its own (Số:, Độc lập, the place and date…). The first two
    lines are never joined (parent body, then the agency)."""
    from parsers.textnorm import fold_words

    widest = max((w for t, w in lines if t), default=0.0)
    out: list[str] = []
    previous_width = 0.0
    for text, width in lines:
        if not text:
            continue
        folded, before = fold_words(text), fold_words(out[-1]) if out else ""
        joins = out and (
            text[0].isdigit()
            or (folded.startswith("nam ") and " thang " in f" {before} ")
            or (
                len(out) >= 2  # the first line is the parent body ("UBND TỈNH …"), never joined
                and previous_width >= 0.9 * widest
                and not folded.startswith(_OWN_LINE)
                and not before.endswith("hanh phuc")
            )
        )
        if joins:
            out[-1] = f"{out[-1]} {text}"
        else:
            out.append(text)
        previous_width = width
    return "\n".join(out)


_OWN_LINE = ("so ", "doc lap", "quang ngai", "v v", "cong hoa", "kinh gui", "bao cao", "ubnd", "uy ban")


def _side(words: list[dict[str, Any]], split: float, *, left: bool) -> tuple[str, float]:
    """The text of one column of a header line, and its width."""
    mine = [w for w in words if ((w["x0"] + w["x1"]) / 2 < split) == left]
    if not mine:
        return "", 0.0
    return _text(" ".join(w["text"] for w in mine)), mine[-1]["x1"] - mine[0]["x0"]


def _text(text: str) -> str:
    """Clean text, decoded from TCVN3/VNI when a legacy font was rendered with a Unicode one.

    On a legacy-encoded page a line with legacy letters and no Unicode-only one follows its page:
    the page's encoding was told from all its text, a line's own guess from a few words can take
    VNI for TCVN3 ("phaïm" → "phaùm"). Any other line decides for itself (`fix_text`).
    """
    # NFC first: a PDF of NFD text maps its glyphs to a letter plus combining marks, which the
    # legacy-encoding test would take for VNI ("và" → "vỔ").
    text = unicodedata.normalize("NFC", text)
    encoding = _PAGE_ENCODING.get()
    if encoding != "unicode" and _HIGH_LATIN.search(text) and not _UNICODE_ONLY.search(text):
        return clean(to_unicode(text, encoding))
    return clean(fix_text(text))


_PAGE_ENCODING: ContextVar[Encoding] = ContextVar("page_encoding", default="unicode")
_HIGH_LATIN = re.compile("[\u0080-\u00ff]")
_UNICODE_ONLY = re.compile("[\u1ea0-\u1ef9\u01a0\u01a1\u01af\u01b0\u0102\u0103\u0110\u0111]")


def _word_lines(page: Any) -> list[list[dict[str, Any]]]:
    """The page's words grouped into lines (by their top), each line left to right."""
    lines: list[list[dict[str, Any]]] = []
    for word in sorted(page.extract_words(keep_blank_chars=False), key=lambda w: (round(w["top"]), w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= 2.5:
            lines[-1].append(word)
        else:
            lines.append([word])
    return [sorted(line, key=lambda w: w["x0"]) for line in lines]


def _paragraphs(lines: list[dict[str, Any]], width: float, number: int) -> list[tuple[float, Para]]:
    """Lines joined into paragraphs (see the module docstring for where one breaks)."""
    out: list[tuple[float, Para]] = []
    current: list[str] = []
    start_top = 0.0
    bold = False
    previous: dict[str, Any] | None = None
    lines = [line for line in lines if _text(line.get("text", ""))]
    # The text's right edge on this page: where a full line ends (justified or wrapped).
    right = max((line["x1"] for line in lines), default=width)
    left = min((line["x0"] for line in lines), default=0.0)
    # The space between two lines of one paragraph: the smaller of the usual gaps (paragraphs
    # spaced apart by a few points more than that start there).
    gaps = sorted(b["top"] - a["bottom"] for a, b in zip(lines, lines[1:], strict=False)
                  if 0 <= b["top"] - a["bottom"] < a["bottom"] - a["top"])
    within = gaps[len(gaps) // 4] if len(gaps) >= 4 else None
    for line in lines:
        text = _text(line.get("text", ""))
        if previous is None or _breaks(previous, line, text, width, (left, right), first=not current[1:], within=within):
            if current:
                out.append((start_top, Para(" ".join(current), bold=bold, where=f"trang {number}")))
            current, start_top, bold = [], line["top"], _is_bold(line)
        current.append(text)
        previous = line
    if current:
        out.append((start_top, Para(" ".join(current), bold=bold, where=f"trang {number}")))
    return out


def _breaks(
    previous: dict[str, Any],
    line: dict[str, Any],
    text: str,
    width: float,
    edges: tuple[float, float],
    *,
    first: bool = False,
    within: float | None = None,
) -> bool:
    """Whether `line` starts a new paragraph after `previous`.

    Besides a wide gap, outline numbering and a change of style (bold, italic): a line whose
    first word would have fitted at the end of the previous one (the writer pressed Enter,
    the text did not wrap), and a line indented again after a wrapped one (a first-line
    indent; `first`: the previous line is its paragraph's first, so a hanging indent is not
    taken for one). `edges`: the text's left and right edges on the page. A line that starts
    far from the left edge (centred in a header's column) wraps at its own width: the
    "would have fitted" test is not made after it. `within`: the page's usual gap between the
    lines of a paragraph; a gap 2 pt wider is the space a paragraph leaves before the next.
    """
    left, right = edges
    height = max(previous["bottom"] - previous["top"], 1.0)
    gap = line["top"] - previous["bottom"]
    prev_text = previous.get("text", "").rstrip()
    ends_short = previous["x1"] < width * 0.75 and prev_text.endswith((".", ":", ";"))
    # (Not after a line in two columns: it wraps at its column's edge, not the page's.)
    fits = (
        right - previous["x1"] > _first_word_width(line) + height * 0.5
        and previous["x0"] < left + (right - left) * 0.25
        and not _in_columns(previous)
    )
    indented = not first and line["x0"] > previous["x0"] + height * 0.8
    spaced = within is not None and gap > within + 2.0
    return (
        gap > height * 0.9
        or spaced
        or bool(_STARTS_ITEM.match(text))
        or ends_short
        or fits
        or indented
        or _edge_style(line, end=False) != _edge_style(previous, end=True)
    )


def _in_columns(line: dict[str, Any]) -> bool:
    """Whether a line has a space as wide as the gap between two columns (a letter's header)."""
    chars = line.get("chars") or []
    return any(b["x0"] - a["x1"] > _COLUMN_GAP for a, b in zip(chars, chars[1:], strict=False))


def _words(line: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """The line's characters grouped into words (the text layer has no space characters: a
    word ends where the next character starts a space's width away)."""
    chars = [c for c in line.get("chars", []) if not c.get("text", " ").isspace()]
    words: list[list[dict[str, Any]]] = []
    for c in chars:
        size = float(c.get("size") or (c["bottom"] - c["top"]) or 10)
        if words and c["x0"] - words[-1][-1]["x1"] < size * 0.12:
            words[-1].append(c)
        else:
            words.append([c])
    return words


def _first_word_width(line: dict[str, Any]) -> float:
    """Width of the line's first word."""
    words = _words(line)
    return words[0][-1]["x1"] - words[0][0]["x0"] if words else line["x1"] - line["x0"]


def _edge_style(line: dict[str, Any], *, end: bool) -> tuple[bool, bool]:
    """(bold, italic) where the line meets its neighbour: its last word (`end`) or its first.
    A paragraph's style runs on across a line break; an italic heading with its answer typed
    after it on the same line ("a) Về …: Đơn vị đã …") still runs on into the answer's next line."""
    words = _words(line)
    if not words:
        return False, False
    names = [str(c.get("fontname", "")).lower() for c in words[-1 if end else 0]]
    bold = sum(1 for f in names if "bold" in f) * 2 > len(names)
    italic = sum(1 for f in names if "italic" in f or "oblique" in f) * 2 > len(names)
    return bold, italic


def _is_bold(line: dict[str, Any]) -> bool:
    chars = [c for c in line.get("chars", []) if not c.get("text", " ").isspace()]
    if not chars:
        return False
    bold = sum(1 for c in chars if "bold" in str(c.get("fontname", "")).lower())
    return bold > len(chars) / 2
