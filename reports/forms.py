"""The outline as forms sent with the request: a .docx to write the report in and an .xlsx
for the table (TT / Nội dung / Kế hoạch / Kết quả / Tỷ lệ, groups I, II…), so figures come
back machine-readable. Pure builders: campaign in, bytes out."""

from __future__ import annotations

import io

from docx import Document
from docx.shared import Pt
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.datavalidation import DataValidation

from config.campaign import Campaign
from parsers.vocab import display_id

HEADERS = ("TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ")
FORM_SHEET = "Biểu định lượng"


def form_filenames(campaign: Campaign) -> tuple[str, str]:
    """Names of the attached outline (.docx) and table form (.xlsx)."""
    return (f"de-cuong-{campaign.id}.docx", f"bieu-dinh-luong-{campaign.id}.xlsx")


def _column_titles(campaign: Campaign) -> tuple[str, ...]:
    cols = campaign.outline.table.columns
    return (HEADERS[0], HEADERS[1], f"{HEADERS[2]}\n({cols.plan})", f"{HEADERS[3]}\n({cols.result})",
            f"{HEADERS[4]}\n({cols.rate})")


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
    """The outline (sections and the table) as a Word document to write the report in."""
    doc = Document()
    doc.styles["Normal"].font.name = "Times New Roman"
    doc.styles["Normal"].font.size = Pt(13)
    doc.add_heading("ĐỀ CƯƠNG BÁO CÁO", level=0)
    doc.add_paragraph(campaign.title)
    doc.add_paragraph(f"(Kèm theo Công văn số {campaign.request.number} của {campaign.request.issuer})")
    doc.add_paragraph("Tên cơ quan, đơn vị báo cáo: ………………………………")
    outline = campaign.outline
    groups = {g.id: g.heading for g in outline.groups}
    written: set[str] = set()
    for section in outline.sections:
        parts = section.id.split(".")
        for depth in range(1, len(parts)):
            gid = ".".join(parts[:depth])
            if gid in groups and gid not in written:
                doc.add_heading(f"{gid}. {groups[gid]}", level=min(depth, 3))
                written.add(gid)
        letter = display_id(parts[-1])  # "dd" is the id; the outline prints "đ)"
        doc.add_paragraph(f"{letter}) {section.heading}", style="List Paragraph").runs[0].bold = True
        doc.add_paragraph("………………………………………………………………………………")
    doc.add_heading(f"Bảng: {outline.table.title}", level=1)
    _docx_table(doc, campaign)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _docx_table(doc: object, campaign: Campaign) -> None:
    table = doc.add_table(rows=1, cols=len(HEADERS))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, title in zip(table.rows[0].cells, _column_titles(campaign), strict=True):
        cell.text = title
        cell.paragraphs[0].runs[0].bold = True
    for tt, label, is_group in _table_lines(campaign):
        cells = table.add_row().cells
        cells[0].text, cells[1].text = tt, label
        if is_group:
            for cell in cells[:2]:
                cell.paragraphs[0].runs[0].bold = True


def form_xlsx(campaign: Campaign) -> bytes:
    """The table as an Excel form: one row per indicator, numbers in Kế hoạch / Kết quả / Tỷ lệ."""
    wb = Workbook()
    ws = wb.active
    ws.title = FORM_SHEET
    ws["A1"] = campaign.outline.table.title
    ws["A1"].font = Font(bold=True, size=13)
    ws["A2"] = "Tên cơ quan, đơn vị:"
    ws["A3"] = "Ghi số (ví dụ 1.250 hoặc 12,5); để trống Tỷ lệ nếu không tính được."
    header_row = 5
    for col, title in enumerate(_column_titles(campaign), start=1):
        cell = ws.cell(row=header_row, column=col, value=title)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    numbers = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True)
    numbers.error = "Xin nhập một số (không âm)."
    ws.add_data_validation(numbers)
    row = header_row
    for tt, label, is_group in _table_lines(campaign):
        row += 1
        ws.cell(row=row, column=1, value=tt)
        ws.cell(row=row, column=2, value=label).alignment = Alignment(wrap_text=True)
        if is_group:
            ws.cell(row=row, column=1).font = ws.cell(row=row, column=2).font = Font(bold=True)
        else:
            numbers.add(f"C{row}:E{row}")
    for letter, width in zip("ABCDE", (6, 70, 18, 18, 18), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
