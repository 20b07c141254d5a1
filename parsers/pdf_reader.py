"""Text PDFs → Doc with pdfplumber: paragraphs in reading order, tables via find_tables.

Text inside a table's box is left to the table. Lines are joined into paragraphs; a new one
starts after a larger vertical gap, at a line that starts with outline numbering (`2.1.`,
`a)`, `-`) or after a line that ends a sentence well short of the right margin. A PDF with
(almost) no text layer is a scan: `ScannedPdf`.
"""

from __future__ import annotations

import io
import re
from typing import Any

from parsers.document import Block, Doc, Para, Table
from parsers.errors import CorruptFile, EncryptedFile, ScannedPdf
from parsers.textnorm import clean

# Fewer visible characters per page than this and the PDF is a scan.
MIN_CHARS_PER_PAGE = 40
# A report is a few pages; a long attachment (a whole plan, a law) is read this far only.
MAX_PAGES = 40
_STARTS_ITEM = re.compile(r"^(?:[IVX]{1,4}\.|\d{1,2}(?:\.\d{1,2})*\.?\s|[a-zđ]\)|[a-zđ]\.\s|[-–•+*]\s)")


def read_pdf(data: bytes) -> Doc:
    """Paragraphs and tables of every page, top to bottom."""
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except PDFPasswordIncorrect as err:
        raise EncryptedFile("Tệp PDF có mật khẩu: đề nghị đơn vị gửi bản không đặt mật khẩu.") from err
    except (PDFSyntaxError, ValueError, TypeError, KeyError, AttributeError, OSError) as err:
        raise CorruptFile("Tệp PDF bị hỏng hoặc không đầy đủ; đề nghị đơn vị gửi lại.") from err
    with pdf:
        try:
            pages = [_page_blocks(page, n) for n, page in enumerate(pdf.pages[:MAX_PAGES], start=1)]
        except PDFPasswordIncorrect as err:
            raise EncryptedFile("Tệp PDF có mật khẩu: đề nghị đơn vị gửi bản không đặt mật khẩu.") from err
        except (PDFSyntaxError, ValueError, TypeError, KeyError, AttributeError) as err:
            raise CorruptFile("Tệp PDF bị hỏng (một trang không đọc được); đề nghị đơn vị gửi lại.") from err
    chars = sum(n for _, n in pages)
    if not pages or chars < MIN_CHARS_PER_PAGE * len(pages) / 4 or chars < MIN_CHARS_PER_PAGE:
        raise ScannedPdf(
            "Tệp PDF là bản quét, không có lớp chữ: không đọc được nội dung. Đề nghị đơn vị gửi kèm"
            " bản Word/Excel (hoặc PDF xuất trực tiếp từ Word)."
        )
    return Doc(blocks=[b for blocks, _ in pages for b in blocks])


def _page_blocks(page: Any, number: int) -> tuple[list[Block], int]:
    """(blocks, visible characters) of one page."""
    found = page.find_tables()
    boxes = [t.bbox for t in found]
    items: list[tuple[float, Block]] = []
    for k, table in enumerate(found, start=1):
        rows = [[clean(c or "") for c in row] for row in table.extract()]
        if any(any(c for c in row) for row in rows):
            items.append((table.bbox[1], Table(rows, where=f"trang {number}, bảng {k}")))

    def outside(obj: dict[str, Any]) -> bool:
        cx, cy = (obj["x0"] + obj["x1"]) / 2, (obj["top"] + obj["bottom"]) / 2
        return not any(x0 <= cx <= x1 and top <= cy <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(lambda o: o.get("object_type") != "char" or outside(o)) if boxes else page
    lines = text_page.extract_text_lines(keep_blank_chars=False)
    for top, para in _paragraphs(lines, page.width, number):
        items.append((top, para))
    items.sort(key=lambda item: item[0])
    chars = sum(1 for c in page.chars if not c.get("text", " ").isspace())
    return [b for _, b in items], chars


def _paragraphs(lines: list[dict[str, Any]], width: float, number: int) -> list[tuple[float, Para]]:
    """Lines joined into paragraphs (see the module docstring for where one breaks)."""
    out: list[tuple[float, Para]] = []
    current: list[str] = []
    start_top = 0.0
    bold = False
    previous: dict[str, Any] | None = None
    for line in lines:
        text = clean(line.get("text", ""))
        if not text:
            continue
        if previous is None or _breaks(previous, line, text, width):
            if current:
                out.append((start_top, Para(" ".join(current), bold=bold, where=f"trang {number}")))
            current, start_top, bold = [], line["top"], _is_bold(line)
        current.append(text)
        previous = line
    if current:
        out.append((start_top, Para(" ".join(current), bold=bold, where=f"trang {number}")))
    return out


def _breaks(previous: dict[str, Any], line: dict[str, Any], text: str, width: float) -> bool:
    height = max(previous["bottom"] - previous["top"], 1.0)
    gap = line["top"] - previous["bottom"]
    prev_text = previous.get("text", "").rstrip()
    ends_short = previous["x1"] < width * 0.75 and prev_text.endswith((".", ":", ";"))
    return gap > height * 0.9 or bool(_STARTS_ITEM.match(text)) or ends_short or _is_bold(line) != _is_bold(previous)


def _is_bold(line: dict[str, Any]) -> bool:
    chars = [c for c in line.get("chars", []) if not c.get("text", " ").isspace()]
    if not chars:
        return False
    bold = sum(1 for c in chars if "bold" in str(c.get("fontname", "")).lower())
    return bold > len(chars) / 2
