"""The outline as forms sent with the request: a .docx to write the report in and an .xlsx
for the table (TT / Nội dung / Kế hoạch / Kết quả / Tỷ lệ, groups I, II…), so figures come
back machine-readable. Pure builders: campaign in, bytes out."""

from __future__ import annotations

import io
import math
import unicodedata

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt, RGBColor
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.worksheet.datavalidation import DataValidation

from config.campaign import Campaign
from parsers.vocab import display_id
from reports.templates.make_template import FONT, TABLE_WIDTHS, _font, rows_keep, set_widths

HEADERS = ("TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ")
FORM_SHEET = "Biểu định lượng"
# How figures are written in the form, said once for the sheet's note and the cells' prompt.
# The figure cells are text cells: Excel keeps what was typed whatever its locale (an en-US
# Excel would read a typed 1.250 as 1,25 and refuse 12,5), and the parser reads the text the
# Vietnamese way (`parsers.numbers.parse_number`).
NUMBER_RULE = (
    "Ghi số theo cách viết tiếng Việt: dấu chấm tách hàng nghìn, dấu phẩy trước phần thập phân"
    " (1.250 là một nghìn hai trăm năm mươi; 12,5 là mười hai phẩy năm)."
)
NUMBER_CELLS = (
    "Các ô số liệu đã để dạng chữ (Text) nên Excel giữ nguyên số như đã gõ; tỷ lệ ghi theo phần trăm"
    " (ví dụ 85,5), để trống nếu không tính được."
)
TEXT_FORMAT = "@"
# About how many characters of a label fit on one line of the 70-wide «Nội dung» column.
LABEL_CHARS = 95
BLACK = RGBColor(0, 0, 0)


def form_filenames(campaign: Campaign) -> tuple[str, str]:
    """Names of the attached outline (.docx) and table form (.xlsx)."""
    return (f"de-cuong-{campaign.id}.docx", f"bieu-dinh-luong-{campaign.id}.xlsx")


def _column_titles(campaign: Campaign) -> tuple[str, ...]:
    cols = campaign.outline.table.columns
    return (HEADERS[0], HEADERS[1], _title(HEADERS[2], cols.plan), _title(HEADERS[3], cols.result),
            _title(HEADERS[4], cols.rate, " (%)"))


def _title(word: str, heading: str, unit: str = "") -> str:
    """A figure column's title: its short word on the first line, the outline's heading below
    without saying the word twice ("Kế hoạch / đến năm 2025", not "Kế hoạch (Kế hoạch đến …)")."""
    heading = unicodedata.normalize("NFC", heading).strip()
    if heading.casefold().startswith(word.casefold()):
        rest = heading[len(word):].strip(" :-–")
        return f"{word}\n{rest}{unit}" if rest else f"{word}{unit}"
    return f"{word}\n({heading}){unit}" if heading else f"{word}{unit}"


def _table_lines(campaign: Campaign) -> list[tuple[str, str, bool]]:
    """(TT, Nội dung, is_group) in outline order: group rows I, II then their rows."""
    table = campaign.outline.table
    lines: list[tuple[str, str, bool]] = []
    groups = table.groups or []
    if not groups:
        return [(r.id, r.label, False) for r in table.rows]
    for group in groups:
        lines.append((group.id, group.label, True))
        lines.extend((r.id, r.label, False) for r in table.rows if r.group == group.id)
    return lines


def outline_docx(campaign: Campaign) -> bytes:
    """The outline (sections and the table) as a Word document to write the report in, laid
    out like the report itself (Nghị định 30/2020: A4, Times New Roman, black; no Word heading
    styles, which are blue and sans-serif)."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    normal = doc.styles["Normal"]
    _font(normal, 13)  # every script: Word picks the East Asian font for some Vietnamese text
    normal.font.color.rgb = BLACK
    normal.paragraph_format.space_after = Pt(6)
    _line(doc, "ĐỀ CƯƠNG BÁO CÁO", bold=True, center=True, size=14, after=0)
    _line(doc, campaign.title, bold=True, center=True, size=14, after=0)
    _line(doc, f"(Kèm theo Công văn số {campaign.request.number} của {campaign.request.issuer})", italic=True,
          center=True, after=12)
    _line(doc, "Tên cơ quan, đơn vị báo cáo: ………………………………")
    outline = campaign.outline
    groups = {g.id: g.heading for g in outline.groups}
    written: set[str] = set()
    for sec in outline.sections:
        parts = sec.id.split(".")
        for depth in range(1, len(parts)):
            gid = ".".join(parts[:depth])
            if gid in groups and gid not in written:
                _line(doc, f"{gid}. {groups[gid]}", bold=True, keep=True, before=6)
                written.add(gid)
        letter = display_id(parts[-1])  # "dd" is the id; the outline prints "đ)"
        _line(doc, f"{letter}) {sec.heading}", bold=True, italic=True, keep=True, indent=True)
        _line(doc, "………………………………………………………………………………", indent=True)
    _line(doc, f"Bảng: {outline.table.title}", bold=True, keep=True, before=6)
    _docx_table(doc, campaign)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _line(
    doc: object, text: str, *, bold: bool = False, italic: bool = False, center: bool = False, size: float = 13,
    after: float = 6, before: float = 0, keep: bool = False, indent: bool = False,
) -> None:
    """One paragraph in Times New Roman, black, with its own formatting (no heading style)."""
    p = doc.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if center else WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt = p.paragraph_format
    fmt.space_before, fmt.space_after, fmt.keep_with_next = Pt(before), Pt(after), keep
    if indent:
        fmt.first_line_indent = Mm(10)
    run = p.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    run.font.color.rgb = BLACK
    _font(run, size)


def _docx_table(doc: object, campaign: Campaign) -> None:
    table = doc.add_table(rows=1, cols=len(HEADERS))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, _column_titles(campaign), strict=True):
        cell.text = title
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    for tt, label, is_group in _table_lines(campaign):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = tt, label
        if is_group:
            for cell in cells[:2]:
                cell.paragraphs[0].runs[0].bold = True
    set_widths(table, TABLE_WIDTHS)  # the report's own table: TT narrow, Nội dung wide
    rows_keep(table)  # no row split across pages; the heading row repeats on each page
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                paragraph.paragraph_format.space_after = Pt(0)
                for run in paragraph.runs:
                    _font(run, 12)


def form_xlsx(campaign: Campaign) -> bytes:
    """The table as an Excel form: one row per indicator, figures in Kế hoạch / Kết quả / Tỷ lệ.

    The figure cells are text cells (format `@`) and accept any text: a figure is read the
    Vietnamese way whatever the Excel it was typed in (`NUMBER_RULE`); a real number pasted in
    is read as it is."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    plain, bold = Font(name=FONT, size=12), Font(name=FONT, size=12, bold=True)
    ws["A1"] = campaign.outline.table.title
    ws["A1"].font = Font(name=FONT, bold=True, size=13)
    ws["A2"] = "Tên cơ quan, đơn vị:"
    ws["A3"], ws["A4"] = NUMBER_RULE, NUMBER_CELLS
    for ref in ("A2", "A3", "A4"):
        ws[ref].font = Font(name=FONT, size=12, italic=ref != "A2")
    for r in (3, 4):  # the notes wrap across the table's width instead of running past it
        ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=5)
        ws.cell(row=r, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[r].height = 32
    header_row = 5
    for col, title in enumerate(_column_titles(campaign), start=1):
        cell = ws.cell(row=header_row, column=col, value=title)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    ws.row_dimensions[header_row].height = 16 * max(t.count("\n") + 1 for t in _column_titles(campaign)) + 4
    # Any value (a figure is text here); the prompt says how to write it where it is typed.
    numbers = DataValidation(allow_blank=True, showInputMessage=True, promptTitle="Cách ghi số",
                             prompt="Ví dụ 1.250 (một nghìn hai trăm năm mươi) hoặc 12,5 (mười hai phẩy năm):"
                                    " dấu chấm tách hàng nghìn, dấu phẩy trước phần thập phân.")
    ws.add_data_validation(numbers)
    row = header_row
    for tt, label, is_group in _table_lines(campaign):
        row += 1
        tt_cell = ws.cell(row=row, column=1, value=tt)
        tt_cell.font = bold if is_group else plain
        tt_cell.alignment = Alignment(horizontal="center", vertical="top")
        label_cell = ws.cell(row=row, column=2, value=label)
        label_cell.alignment = Alignment(wrap_text=True, vertical="top")
        label_cell.font = bold if is_group else plain
        # Excel and LibreOffice do not grow a row for wrapped text on opening: say its height.
        ws.row_dimensions[row].height = 16 * max(1, math.ceil(len(label) / LABEL_CHARS))
        if not is_group:
            numbers.add(f"C{row}:E{row}")
            for col in (3, 4, 5):
                cell = ws.cell(row=row, column=col)
                cell.number_format = TEXT_FORMAT
                cell.font = plain
                cell.alignment = Alignment(horizontal="right", vertical="top")
    thin = Side(style="thin")
    for line in ws.iter_rows(min_row=header_row, max_row=row, max_col=5):
        for cell in line:
            cell.border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for letter, width in zip("ABCDE", (6, 70, 18, 18, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    # Printed on one A4 landscape page wide (the five columns together).
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
