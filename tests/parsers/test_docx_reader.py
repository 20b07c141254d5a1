"""read_docx on the Word internals that matter (hand-written WordprocessingML)."""

from __future__ import annotations

import importlib.util
import sys
import unicodedata
from pathlib import Path

import pytest

from parsers.document import Para
from parsers.docx_reader import format_number, read_docx

GENERATOR = Path(__file__).resolve().parents[1] / "fixtures" / "make_docx_fixtures.py"


@pytest.fixture(scope="module")
def g():
    """The fixture generator's WordprocessingML helpers (package, p, run …)."""
    spec = importlib.util.spec_from_file_location("make_docx_fixtures", GENERATOR)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _texts(doc) -> list[str]:
    return [b.text for b in doc.blocks if isinstance(b, Para)]


@pytest.mark.parametrize(
    ("value", "fmt", "shown"),
    [(3, "decimal", "3"), (5, "lowerLetter", "e"), (27, "lowerLetter", "aa"), (4, "upperRoman", "IV"),
     (9, "lowerRoman", "ix"), (2, "upperLetter", "B"), (7, "decimalZero", "07"), (1, "bullet", "")],
)
def test_number_formats(value: int, fmt: str, shown: str) -> None:
    assert format_number(value, fmt) == shown


def test_automatic_numbering_is_reconstructed(g) -> None:
    body = (
        g.p(g.run("Phần một"), num=(2, 0))
        + g.p(g.run("Công tác lãnh đạo"), num=(1, 0))
        + g.p(g.run("Mục a"), num=(1, 2))
        + g.p(g.run("Mục b"), num=(1, 2))
        + g.p(g.run("Kết quả"), num=(1, 0))
        + g.p(g.run("Chính sách"), num=(1, 1))
        + g.p(g.run("Mục a lại từ đầu"), num=(1, 2))
        + g.p(g.run("Hạ tầng"), num=(1, 1))
        + g.p(g.run("Phần hai"), num=(2, 0))
        + g.p(g.run("gạch đầu dòng"), num=(3, 0))
    )
    doc = read_docx(g.package(body))
    labels = [(b.numbering, b.text) for b in doc.paragraphs]
    assert labels == [
        ("I.", "Phần một"), ("1.", "Công tác lãnh đạo"), ("a)", "Mục a"), ("b)", "Mục b"),
        ("2.", "Kết quả"), ("2.1.", "Chính sách"), ("a)", "Mục a lại từ đầu"), ("2.2.", "Hạ tầng"),
        ("II.", "Phần hai"), ("•", "gạch đầu dòng"),
    ]


def test_tracked_changes_sdt_fields_hyperlinks_footnotes(g) -> None:
    body = (
        '<w:p><w:r><w:t xml:space="preserve">Giữ </w:t></w:r>'
        '<w:del w:id="1" w:author="a" w:date="2025-08-01T00:00:00Z"><w:r><w:delText>XÓA</w:delText></w:r></w:del>'
        '<w:ins w:id="2" w:author="a" w:date="2025-08-01T00:00:00Z"><w:r><w:t>thêm</w:t></w:r></w:ins></w:p>'
        '<w:p><w:moveFrom w:id="3" w:author="a" w:date="2025-08-01T00:00:00Z"><w:r><w:t>CHUYỂN ĐI</w:t></w:r></w:moveFrom></w:p>'
        '<w:sdt><w:sdtPr><w:showingPlcHdr/></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Nhập nội dung</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        '<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Trả lời trong ô nhập</w:t></w:r></w:p></w:sdtContent></w:sdt>'
        '<w:p><w:r><w:t xml:space="preserve">Xem </w:t></w:r><w:hyperlink r:id="rId9"><w:r><w:t>Cổng thông tin</w:t></w:r></w:hyperlink>'
        '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r>'
        '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t xml:space="preserve"> trang 3</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r>'
        '<w:r><w:footnoteReference w:id="1"/></w:r></w:p>'
        '<w:p><w:fldSimple w:instr=" DATE "><w:r><w:t>12/8/2025</w:t></w:r></w:fldSimple></w:p>'
    )
    doc = read_docx(g.package(body, footnotes=["Chú thích cuối trang."]))
    assert _texts(doc) == [
        "Giữ thêm", "Trả lời trong ô nhập", "Xem Cổng thông tin trang 3", "(chú thích: Chú thích cuối trang.)", "12/8/2025",
    ]
    assert doc.footnotes == []  # placed after the paragraph with its mark


def test_merged_cells_repeat_and_borderless_header(g) -> None:
    doc = read_docx(g.package(g.header_table(g.Report("x", None, "UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ", "SYT", "1/BC", "2025-08-11")) + g.raw_quant_table()))
    header, quant = doc.tables
    assert header.borderless and not quant.borderless
    assert header.rows[0][0].split("\n")[:2] == ["UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ"]
    assert quant.rows[0] == ["TT", "Nội dung", "Kết quả thực hiện", "Kết quả thực hiện", "Kết quả thực hiện"]
    assert quant.rows[1][:2] == ["TT", "Nội dung"]  # vMerge continues the cell above
    group_row = quant.rows[2]
    assert group_row[0] == "I." and set(group_row[1:]) == {"Tăng cường phát triển hạ tầng đo lường"}


def test_nested_table_is_its_own_block(g) -> None:
    inner = "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>trong</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"
    outer = f"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>ngoài</w:t></w:r></w:p>{inner}</w:tc></w:tr></w:tbl>"
    doc = read_docx(g.package(outer))
    assert [t.rows for t in doc.tables] == [[["ngoài"]], [["trong"]]]


def test_bold_inherited_from_styles_and_split_runs(g) -> None:
    body = (
        g.p(g.run("Tiêu đề theo kiểu"), style="Heading1")
        + g.p(g.run("In đậm ", style="Dam"), g.run("toàn bộ", bold=True))
        + g.p(g.run("Một phần ", bold=True), g.run("thường"))
        + g.p(g.split_runs("Chữ bị cắt giữa từ", every=3))
    )
    doc = read_docx(g.package(body))
    paras = doc.paragraphs
    assert [(p.text, p.bold) for p in paras] == [
        ("Tiêu đề theo kiểu", True), ("In đậm toàn bộ", True), ("Một phần thường", False), ("Chữ bị cắt giữa từ", False),
    ]
    assert paras[0].style == "heading 1"


def test_nfd_nbsp_become_nfc_spaces(g) -> None:
    text = unicodedata.normalize("NFD", "Sở\u00a0Y\u00a0tế  báo cáo")
    doc = read_docx(g.package(g.p(g.run(text))))
    assert doc.paragraphs[0].text == "Sở Y tế báo cáo"
    assert unicodedata.is_normalized("NFC", doc.paragraphs[0].text)


def test_legacy_fonts_by_run_font(g) -> None:
    from parsers.vnlegacy import from_unicode

    body = (
        g.p(g.split_runs(from_unicode("Kiểm định phương tiện đo", "vni"), font="VNI-Times", every=3))
        + g.p(g.run(from_unicode("báo cáo", "tcvn3"), font=".VnTimeH"))
        + g.p(g.run(from_unicode("Đề án 996", "tcvn3"), font=".VnTime"))
    )
    doc = read_docx(g.package(body))
    assert _texts(doc) == ["Kiểm định phương tiện đo", "BÁO CÁO", "Đề án 996"]


def test_legacy_font_from_document_defaults(g) -> None:
    from parsers.vnlegacy import from_unicode

    doc = read_docx(g.package(g.p(g.run(from_unicode("Sở Y tế", "tcvn3"))), font=".VnTime"))
    assert _texts(doc) == ["Sở Y tế"]


def test_numbering_linked_to_a_style(g) -> None:
    style = (
        '<w:style w:type="paragraph" w:styleId="MucSo"><w:name w:val="Muc so"/><w:basedOn w:val="Normal"/>'
        '<w:pPr><w:numPr><w:ilvl w:val="1"/><w:numId w:val="1"/></w:numPr></w:pPr></w:style>'
    )
    body = g.p(g.run("Kết quả"), num=(1, 0)) + g.p(g.run("Chính sách"), style="MucSo") + g.p(g.run("Hạ tầng"), style="MucSo")
    doc = read_docx(g.package(body, extra_styles=style))
    assert [(p.numbering, p.text) for p in doc.paragraphs] == [("1.", "Kết quả"), ("1.1.", "Chính sách"), ("1.2.", "Hạ tầng")]


def test_text_box_read_once_before_its_paragraph(g) -> None:
    box = "<w:txbxContent>" + g.p(g.run("SỞ Y TẾ")) + "</w:txbxContent>"
    anchor = (
        '<w:r><mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        f'<mc:Choice Requires="wps"><w:drawing><wps:txbx xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">{box}</wps:txbx></w:drawing></mc:Choice>'
        f'<mc:Fallback><w:pict><v:textbox xmlns:v="urn:schemas-microsoft-com:vml">{box}</v:textbox></w:pict></mc:Fallback>'
        "</mc:AlternateContent></w:r>"
    )
    doc = read_docx(g.package(f"<w:p>{anchor}{g.run('Báo cáo')}</w:p>"))
    assert _texts(doc) == ["SỞ Y TẾ", "Báo cáo"]


def test_soft_hyphen_is_u_horn_in_tcvn3_and_broken_references_vanish(g) -> None:
    from parsers.vnlegacy import from_unicode

    # LibreOffice writes TCVN3 "ư" (byte 0xAD, a soft hyphen in Windows-1252) as <w:softHyphen/>.
    head, tail = from_unicode("Đo l", "tcvn3"), from_unicode("ờng", "tcvn3")
    legacy = f'<w:p><w:r><w:rPr><w:rFonts w:ascii=".VnTime" w:hAnsi=".VnTime"/></w:rPr><w:t>{head}</w:t><w:softHyphen/><w:t>{tail}</w:t></w:r></w:p>'
    broken = g.p(g.run("Xem mục 2"), g.run(" Error! Reference source not found."), g.run(" ở trên."))
    doc = read_docx(g.package(legacy + g.p(g.run("Ngắt\u00adnghĩa")) + broken))
    assert _texts(doc) == ["Đo lường", "Ngắtnghĩa", "Xem mục 2 ở trên."]


def test_junk_attributes_do_not_break_the_document(g) -> None:
    cell = '<w:tc><w:tcPr><w:gridSpan w:val="999999999"/></w:tcPr><w:p><w:r><w:t>ô</w:t></w:r></w:p></w:tc>'
    body = (
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="x"/><w:numId w:val="1"/></w:numPr></w:pPr><w:r><w:t>Mục</w:t></w:r></w:p>'
        f"<w:tbl><w:tr>{cell}</w:tr></w:tbl>"
    )
    doc = read_docx(g.package(body))
    assert doc.paragraphs[0].text == "Mục" and doc.tables[0].rows == [["ô"]]


def test_custom_and_literal_list_levels(g) -> None:
    numbering = (
        '<w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0"><w:start w:val="4"/>'
        '<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
        '<mc:Choice Requires="w14"><w:numFmt w:val="custom" w:format="a, b, c, d, đ, e, ..."/></mc:Choice>'
        '<mc:Fallback><w:numFmt w:val="decimal"/></mc:Fallback></mc:AlternateContent>'
        '<w:lvlText w:val="%1)"/></w:lvl></w:abstractNum>'
        '<w:abstractNum w:abstractNumId="8"><w:lvl w:ilvl="0"><w:numFmt w:val="none"/><w:lvlText w:val="đ)"/></w:lvl></w:abstractNum>'
        '<w:num w:numId="7"><w:abstractNumId w:val="7"/></w:num><w:num w:numId="8"><w:abstractNumId w:val="8"/></w:num>'
    )
    data = g.package(g.p(g.run("Mục d"), num=(7, 0)) + g.p(g.run("Mục đ"), num=(7, 0)) + g.p(g.run("Chữ đ cố định"), num=(8, 0)))
    data = _with_numbering(data, numbering)
    assert [(p.numbering, p.text) for p in read_docx(data).paragraphs] == [
        ("d)", "Mục d"), ("đ)", "Mục đ"), ("đ)", "Chữ đ cố định"),
    ]


def _with_numbering(data: bytes, extra: str) -> bytes:
    """Add abstractNum/num definitions to a generated package's numbering.xml."""
    import io
    import zipfile

    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "word/numbering.xml":
                text = body.decode("utf-8")
                head, _, tail = text.partition('<w:num w:numId="1">')
                body = (head + extra.split("<w:num ")[0] + '<w:num w:numId="1">' + tail).replace(
                    "</w:numbering>", "<w:num " + "<w:num ".join(extra.split("<w:num ")[1:]) + "</w:numbering>"
                ).encode("utf-8")
            z.writestr(info, body)
    return out.getvalue()
