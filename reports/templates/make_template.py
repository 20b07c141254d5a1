"""Build `bao-cao-tong-hop.docx`, the docxtpl template of the consolidated report.

Run `python -m reports.templates.make_template` to regenerate it (the output is byte-for-byte
the same on every run). Staff may then edit the .docx in Word: keep the `{{ … }}` and
`{%p … %}` / `{%tr … %}` tags intact (each `{%p %}`/`{%tr %}` tag alone in its paragraph or
table row), change anything else — wording, fonts, spacing.

Layout follows Nghị định 30/2020/NĐ-CP (thể thức văn bản hành chính): A4, Times New Roman,
body 14 pt, margins top/bottom 20 mm, left 30 mm, right 15 mm, the two-column header block
without borders, page numbers at the top centre from page 2, `Nơi nhận` and the signature
block side by side at the end.
"""

from __future__ import annotations

import datetime as dt
import io
import sys
import zipfile
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

TEMPLATE = Path(__file__).with_name("bao-cao-tong-hop.docx")
FONT = "Times New Roman"
FIXED_TIME = dt.datetime(2025, 8, 1, tzinfo=dt.UTC)
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
TABLE_COLS = ("TT", "Nội dung", "{{ columns.plan }}", "{{ columns.result }}", "{{ columns.rate }}")
TABLE_WIDTHS = (Mm(12), Mm(78), Mm(25), Mm(25), Mm(25))


def _font(rpr_owner: object, size: float | None = None) -> None:
    """Times New Roman for every script (Word picks the eastAsia/cs font for some text)."""
    font = rpr_owner.font  # type: ignore[attr-defined]
    font.name = FONT
    if size:
        font.size = Pt(size)
    rpr = rpr_owner.element.get_or_add_rPr() if hasattr(rpr_owner, "element") else None  # type: ignore[attr-defined]
    if rpr is not None:
        fonts = rpr.get_or_add_rFonts()
        for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
            fonts.set(qn(attr), FONT)


def para(
    where: object,
    *runs: str | tuple[str, str],
    align: int = JUSTIFY,
    size: float | None = None,
    indent: bool = False,
    after: float = 6,
    keep: bool = False,
    before: float = 0,
) -> Paragraph:
    """A paragraph of runs; a run is text, or (style, text) with style in b, i, bi, u."""
    p: Paragraph = where.add_paragraph()  # type: ignore[attr-defined]
    p.alignment = align
    fmt = p.paragraph_format
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    fmt.line_spacing = 1.0 if size and size < 14 else 1.15
    if indent:
        fmt.first_line_indent = Mm(10)
    if keep:
        fmt.keep_with_next = True
    for item in runs:
        style, text = item if isinstance(item, tuple) else ("", item)
        run = p.add_run(text)
        run.bold = "b" in style or None
        run.italic = "i" in style or None
        run.underline = "u" in style or None
        _font(run, size)
    return p


def tag(where: object, text: str) -> Paragraph:
    """A paragraph holding only a docxtpl `{%p … %}` tag (removed when rendered)."""
    return para(where, text, align=LEFT, after=0)


def no_borders(table: Table) -> None:
    """Remove every border of a table (the header and signature blocks)."""
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    # Schema order matters to Word: tblBorders comes before shd, tblLayout, tblCellMar, tblLook.
    later = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
    successor = next((c for c in tbl_pr.iterchildren() if c.tag in {qn(t) for t in later}), None)
    if successor is not None:
        successor.addprevious(borders)
    else:
        tbl_pr.append(borders)


def set_widths(table: Table, widths: tuple[Mm, ...]) -> None:
    """Fixed column widths (Word honours cell widths, LibreOffice the grid)."""
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell.width = width
    for col, width in zip(table.columns, widths, strict=True):
        col.width = width


def rows_keep(table: Table, *, header: bool = True) -> None:
    """Rows never split across pages; the first row repeats on each page (data tables)."""
    for index, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if header and index == 0:
            tr_pr.append(OxmlElement("w:tblHeader"))


def cell_text(table: Table, row: int, col: int, text: str, style: str = "", align: int = CENTER) -> None:
    """Write a cell's single paragraph (13 pt)."""
    cell = table.cell(row, col)
    p = cell.paragraphs[0]
    p.alignment = align
    p.paragraph_format.space_after = Pt(0)
    run = p.add_run(text)
    run.bold = "b" in style or None
    run.italic = "i" in style or None
    _font(run, 13)


def setup(doc: Document) -> None:  # type: ignore[valid-type]
    """A4 portrait, NĐ 30 margins, Times New Roman 14, page number from page 2."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin = section.bottom_margin = Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = section.footer_distance = Mm(10)
    normal = doc.styles["Normal"]
    _font(normal, 14)
    fonts = normal.element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), FONT)
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = CENTER
    run = header.add_run()
    _font(run, 13)
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        else:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        run._r.append(el)
    props = doc.core_properties
    props.title = "Báo cáo tổng hợp"
    props.author = "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi"
    props.last_modified_by = "baocao"
    props.created = props.modified = FIXED_TIME.replace(tzinfo=None)
    props.revision = 1


def header_block(doc: Document) -> None:  # type: ignore[valid-type]
    """Issuer left, national motto right, number and place/date below (borderless)."""
    table = doc.add_table(rows=1, cols=2)
    no_borders(table)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    set_widths(table, (Mm(75), Mm(100)))  # a little wider than the text, centred
    left, right = table.rows[0].cells
    left.paragraphs[0].text = ""
    para(left, "{{ issuer_parent }}", align=CENTER, size=12, after=0)
    para(left, ("b", "{{ issuer }}"), align=CENTER, size=12, after=0)
    para(left, "───────", align=CENTER, size=10, after=6)
    para(left, "Số: {{ number }}", align=CENTER, size=13, after=0)
    para(right, ("b", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), align=CENTER, size=12, after=0)
    para(right, ("b", "Độc lập - Tự do - Hạnh phúc"), align=CENTER, size=13, after=0)
    para(right, "───────────────", align=CENTER, size=10, after=6)
    para(right, ("i", "{{ place }}, {{ date_text }}"), align=CENTER, size=14, after=0)
    for cell in (left, right):
        cell._tc.remove(cell.paragraphs[0]._p)


def title(doc: Document) -> None:  # type: ignore[valid-type]
    """BÁO CÁO and the title, centred, bold."""
    para(doc, "", after=6)
    para(doc, ("b", "BÁO CÁO"), align=CENTER, after=0)
    para(doc, ("b", "{{ title }}"), align=CENTER, after=12)
    para(
        doc,
        "Thực hiện Văn bản số {{ request_number }} {{ request_date_text }} của {{ issuer_name }} "
        "{{ request_subject }}; tính đến {{ as_of_text }}, {{ issuer_name }} đã nhận được báo cáo "
        "của {{ stats.responded }}/{{ stats.total }} cơ quan, đơn vị. "
        "{{ issuer_name }} tổng hợp, báo cáo như sau:",
        indent=True,
    )


def narrative(doc: Document) -> None:  # type: ignore[valid-type]
    """The outline's groups and sections with each agency's text under it."""
    para(doc, ("b", "I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN"), keep=True, indent=True)
    tag(doc, "{%p for part in parts %}")
    tag(doc, "{%p if part.group %}")
    para(doc, ("b", "{{ part.label }} {{ part.heading }}"), indent=True, keep=True)
    tag(doc, "{%p else %}")
    para(doc, ("bi", "{{ part.label }} {{ part.heading }}"), indent=True, keep=True)
    tag(doc, "{%p for line in part.lines %}")
    para(doc, "- ", ("b", "{{ line.who }}"), ": {{ line.text }}", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not part.lines %}")
    para(doc, ("i", "Chưa có cơ quan, đơn vị nào báo cáo nội dung này."), indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endif %}")
    tag(doc, "{%p endfor %}")


def figures_table(doc: Document) -> None:  # type: ignore[valid-type]
    """The outline's table summed over the agencies, group rows in bold."""
    para(doc, ("b", "{{ table_number }} {{ table_title }}"), indent=True, keep=True)
    table = doc.add_table(rows=7, cols=5)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, heading in enumerate(TABLE_COLS):
        cell_text(table, 0, col, heading, "b")
    cell_text(table, 1, 0, "{%tr for g in table_groups %}", align=LEFT)
    cell_text(table, 2, 0, "{{ g.id }}", "b")
    cell_text(table, 2, 1, "{{ g.label }}", "b", align=LEFT)
    cell_text(table, 3, 0, "{%tr for r in g.rows %}", align=LEFT)
    values = ("{{ r.id }}", "{{ r.label }}", "{{ r.plan }}", "{{ r.result }}", "{{ r.rate }}")
    for col, value in enumerate(values):
        cell_text(table, 4, col, value, align=LEFT if col == 1 else CENTER)
    cell_text(table, 5, 0, "{%tr endfor %}", align=LEFT)
    cell_text(table, 6, 0, "{%tr endfor %}", align=LEFT)
    set_widths(table, TABLE_WIDTHS)
    rows_keep(table)
    # Set off from the table above it (it read as part of the last row).
    para(doc, ("i", "{{ totals_note }}"), indent=True, size=13, before=12)
    tag(doc, "{%p for n in totals_basis %}")
    para(doc, ("i", "{{ n }}"), indent=True, size=13, after=0)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if doubtful_note %}")
    para(doc, ("i", "{{ doubtful_note }}"), indent=True, size=13)
    tag(doc, "{%p endif %}")
    # What the figures rest on that a reader must know (drafts, corrections, unknown senders).
    tag(doc, "{%p if attention %}")
    para(doc, ("bi", "Những điểm cần lưu ý về số liệu:"), indent=True, keep=True, before=6)
    tag(doc, "{%p for n in attention %}")
    para(doc, "+ {{ n }}", indent=True, size=13, after=0)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endif %}")


def responses(doc: Document) -> None:  # type: ignore[valid-type]
    """Who reported, late, nil, and who did not."""
    para(doc, ("b", "II. TÌNH HÌNH BÁO CÁO CỦA CÁC CƠ QUAN, ĐƠN VỊ"), keep=True, indent=True, before=6)
    para(
        doc,
        "Tổng số cơ quan, đơn vị được đề nghị báo cáo: {{ stats.total }}; đã báo cáo: "
        "{{ stats.responded }} (đúng hạn {{ stats.on_time }}, trễ hạn {{ stats.late }}), trong đó "
        "{{ stats.nil }} đơn vị báo cáo không phát sinh nội dung; chưa báo cáo: {{ stats.not_reported }}.",
        indent=True,
    )
    tag(doc, "{%p if late_names %}")
    para(doc, "- Các cơ quan, đơn vị báo cáo trễ hạn: {{ late_names }}.", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if nil_names %}")
    para(doc, "- Các cơ quan, đơn vị báo cáo không phát sinh nội dung: {{ nil_names }}.", indent=True)
    tag(doc, "{%p endif %}")
    tag(doc, "{%p if not_reported %}")
    para(doc, "- Các cơ quan, đơn vị chưa báo cáo:", indent=True, keep=True)
    tag(doc, "{%p for a in not_reported %}")
    para(doc, "+ {{ a.name }}{{ a.note }}{{ a.end }}", indent=True, after=0)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    para(doc, "- Tất cả các cơ quan, đơn vị đã báo cáo.", indent=True)
    tag(doc, "{%p endif %}")


def closing(doc: Document) -> None:  # type: ignore[valid-type]
    """Each agency's assessment, difficulties and proposals."""
    para(doc, "", after=0)
    para(
        doc,
        ("b", "III. ĐÁNH GIÁ, KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ CỦA CÁC CƠ QUAN, ĐƠN VỊ"),
        keep=True,
        indent=True,
    )
    tag(doc, "{%p for c in closing %}")
    para(doc, "- ", ("b", "{{ c.name }}"), ": {{ c.text }}", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not closing %}")
    para(doc, "Các cơ quan, đơn vị không có kiến nghị.", indent=True)
    tag(doc, "{%p endif %}")
    # Kept with the signature table below it: "Nơi nhận" and the signer never stand alone.
    para(doc, "{{ issuer_name }} báo cáo {{ report_to }} biết./.", indent=True, keep=True)


def signature(doc: Document) -> None:  # type: ignore[valid-type]
    """Nơi nhận (left, 12/11 pt) and the signer (right), borderless."""
    table = doc.add_table(rows=1, cols=2)
    no_borders(table)
    set_widths(table, (Mm(80), Mm(85)))
    rows_keep(table, header=False)
    left, right = table.rows[0].cells
    para(left, ("bi", "Nơi nhận:"), align=LEFT, size=12, after=0)
    tag(left, "{%p for x in recipients_block %}")
    para(left, "- {{ x }}", align=LEFT, size=11, after=0)
    tag(left, "{%p endfor %}")
    tag(right, "{%p for l in signer_lines %}")
    para(right, ("b", "{{ l }}"), align=CENTER, size=14, after=0)
    tag(right, "{%p endfor %}")
    for _ in range(4):
        para(right, "", align=CENTER, after=0)
    para(right, ("b", "{{ signer }}"), align=CENTER, size=14, after=0)
    for cell in (left, right):
        cell._tc.remove(cell.paragraphs[0]._p)


def annex(doc: Document) -> None:  # type: ignore[valid-type]
    """One table per agency that sent figures, on new pages after the report."""
    # The heading starts the page itself: a paragraph holding a page break after the signature
    # table left an empty page whenever the signature filled the page.
    para(doc, ("b", "PHỤ LỤC"), align=CENTER, after=0).paragraph_format.page_break_before = True
    para(doc, ("b", "SỐ LIỆU CỦA TỪNG CƠ QUAN, ĐƠN VỊ"), align=CENTER, after=0)
    para(doc, ("i", "(Kèm theo Báo cáo số {{ number }} {{ date_text }} của {{ issuer_name }})"),
         align=CENTER, after=12)
    tag(doc, "{%p for a in annex %}")
    para(doc, ("b", "{{ a.index }}. {{ a.name }}"), ("i", "{{ a.note }}"), keep=True, after=3)
    table = doc.add_table(rows=4, cols=5)
    table.style = doc.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for col, heading in enumerate(TABLE_COLS):
        cell_text(table, 0, col, heading, "b")
    cell_text(table, 1, 0, "{%tr for r in a.rows %}", align=LEFT)
    values = ("{{ r.id }}", "{{ r.label }}", "{{ r.plan }}", "{{ r.result }}", "{{ r.rate }}")
    for col, value in enumerate(values):
        cell_text(table, 2, col, value, align=LEFT if col == 1 else CENTER)
    cell_text(table, 3, 0, "{%tr endfor %}", align=LEFT)
    set_widths(table, TABLE_WIDTHS)
    rows_keep(table)
    para(doc, "", after=6)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if annex_in_excel %}")
    para(doc, ("i", "{{ annex_in_excel }}"), align=JUSTIFY)
    tag(doc, "{%p elif not annex %}")
    para(doc, ("i", "Chưa có cơ quan, đơn vị nào gửi số liệu."), align=CENTER)
    tag(doc, "{%p endif %}")


def build() -> bytes:
    """The template as bytes (deterministic: fixed dates in the properties and the zip)."""
    doc = Document()
    setup(doc)
    body = doc.element.body
    for p in list(body.iterchildren(qn("w:p"))):
        body.remove(p)
    header_block(doc)
    title(doc)
    narrative(doc)
    figures_table(doc)
    responses(doc)
    closing(doc)
    signature(doc)
    annex(doc)
    raw = io.BytesIO()
    doc.save(raw)
    return _normalise_zip(raw.getvalue())


def _normalise_zip(data: bytes) -> bytes:
    """Same bytes on every run: fixed member timestamps, same order and compression."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            member = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            dst.writestr(member, src.read(info.filename))
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Write the template next to this script (or to the path given)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else TEMPLATE
    target.write_bytes(build())
    sys.stdout.write(f"{target}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
