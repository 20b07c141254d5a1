"""A text PDF exported from Word/LibreOffice reads like its docx: paragraph breaks from the
layout (a line that ended before the margin, a first-line indent, a style change at the line
break), tables and paragraphs broken by a page joined back, struck-through (deleted) text and
footnotes out of the text, NFD text composed. Unit tests on synthetic lines, and LibreOffice
round trips of fixture reports compared with the docx parse."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import variations as V

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers import pdf_reader as R
from parsers.document import Para, Table
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]
SIZE = 13.0
ADVANCE = 6.0  # width of one synthetic character
SPACE = 3.3


def _line(text: str, x0: float, top: float, font: str = "LiberationSerif") -> dict[str, Any]:
    """A text line as pdfplumber's extract_text_lines gives it (no space characters)."""
    chars, x = [], x0
    for word in text.split(" "):
        for ch in word:
            fontname = font(ch) if callable(font) else font
            chars.append({"text": ch, "x0": x, "x1": x + ADVANCE, "top": top, "bottom": top + SIZE,
                          "size": SIZE, "fontname": fontname})
            x += ADVANCE
        x += SPACE
    return {"text": text, "x0": x0, "x1": chars[-1]["x1"], "top": top, "bottom": top + SIZE, "chars": chars}


def _texts(lines: list[dict[str, Any]]) -> list[str]:
    return [p.text for _, p in R._paragraphs(lines, 595.0, 1)]


FULL = "x" * 66  # the widest line: where the text's right edge is (85 → 481), its own paragraph


def test_a_heading_over_two_lines_then_its_answer_in_the_same_style() -> None:
    # Italic heading wrapped onto a second line, then the answer with a first-line indent.
    lines = [
        _line("a) " + "v" * 57, 114, 100, "Italic"),
        _line("Đề án 996", 85, 117, "Italic"),
        _line("Ngày " + "n" * 55, 114, 138),
        _line("năm 2023.", 85, 155),
    ]
    texts = _texts([_line(FULL, 85, 20), *lines])
    assert texts[1:] == ["a) " + "v" * 57 + " Đề án 996", "Ngày " + "n" * 55 + " năm 2023."]


def test_a_line_whose_next_word_would_have_fitted_ends_its_paragraph() -> None:
    # Same style, same indent, no gap: only the room left on the line tells the break.
    texts = _texts([_line(FULL, 85, 20), _line("Phát triển hạ tầng đo lường", 85, 80),
                    _line("Trên địa bàn có 05 tổ chức", 85, 97)])
    assert texts == [FULL, "Phát triển hạ tầng đo lường", "Trên địa bàn có 05 tổ chức"]


def test_a_wrapped_line_stays_in_its_paragraph() -> None:
    # The next word ("thuận") is longer than the room left: the text wrapped.
    first = _line("w" * 62, 85, 60)
    texts = _texts([_line(FULL, 85, 20), first, _line("thuận lợi cho hoạt động", 85, 77)])
    assert texts[1:] == ["w" * 62 + " thuận lợi cho hoạt động"]


def test_a_heading_with_its_answer_on_the_same_line_runs_on() -> None:
    # "c) Về … khác tại" (italic) / "Bộ, địa phương: Nhiệm vụ …" (italic, then regular):
    # the style where the lines meet is the same, most of the second line is not.
    def mixed(ch: str, state: dict[str, int] = {"n": 0}) -> str:  # noqa: B006 — a counter
        state["n"] += 1
        return "Italic" if state["n"] <= 14 else "LiberationSerif"

    texts = _texts([_line("c) " + "v" * 57, 85, 60, "Italic"), _line("Bộ, địa phương: Nhiệm vụ được lồng ghép trong Chương trình", 85, 77, mixed)])
    assert len(texts) == 1


def test_a_header_column_line_wraps_at_its_column() -> None:
    # Centred in the right half of a letter's header: "năm" / "2025" is one line of the date.
    texts = _texts([_line(FULL, 85, 20), _line("Quảng Ngãi, ngày 13 tháng 8 năm", 330, 60), _line("2025", 420, 77)])
    assert texts[1:] == ["Quảng Ngãi, ngày 13 tháng 8 năm 2025"]


def test_a_table_broken_by_a_page_is_one_table() -> None:
    header = ["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"]
    page1 = [Para("II. ĐỊNH LƯỢNG"), Table([header, ["1", "Đầu tư chuẩn", "8", "8", "100"],
                                             ["3", "Nhiệm vụ nghiên cứu", "1", "1", "100%"]])]
    page2 = [Table([header, ["", "khoa học cơ bản", "", "", ""], ["4", "Số cán bộ", "16", "12", "75"]]),
             Para("Trên đây là báo cáo")]
    page3 = [Table([["7", "Số người tham dự đào tạo", "50", "-", ""]])]
    page4 = [Table([["", "Chương trình bảo đảm đo lường", "", "", ""]])]
    blocks = R._join_pages([page1, page2])
    tables = [b for b in blocks if isinstance(b, Table)]
    assert len(tables) == 1
    assert tables[0].rows == [header, ["1", "Đầu tư chuẩn", "8", "8", "100"],
                              ["3", "Nhiệm vụ nghiên cứu khoa học cơ bản", "1", "1", "100%"],
                              ["4", "Số cán bộ", "16", "12", "75"]]
    # A broken row whose rest starts with a capital (a name) but holds no figure.
    joined = R._join_pages([page3, page4])
    assert joined[0].rows == [["7", "Số người tham dự đào tạo Chương trình bảo đảm đo lường", "50", "-", ""]]


def test_a_row_of_its_own_on_the_next_page_is_not_joined() -> None:
    # A total row without a number has figures: a row of its own.
    top = [Table([["TT", "Nội dung", "Kế hoạch"], ["1", "Đầu tư", "8"]])]
    rest = [Table([["", "Tổng cộng", "8"]])]
    assert R._join_pages([top, rest])[0].rows[-1] == ["", "Tổng cộng", "8"]
    # Different widths: two tables.
    other = [Table([["a", "b"]])]
    assert len(R._join_pages([top, other])) == 2


def test_a_paragraph_broken_by_a_page_is_one() -> None:
    blocks = R._join_pages([[Para("Trên địa bàn có 05 tổ chức kiểm định, hiệu chuẩn,")],
                            [Para("thử nghiệm phương tiện đo."), Para("b) Về phát triển mạng lưới")]])
    assert [b.text for b in blocks] == ["Trên địa bàn có 05 tổ chức kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo.",
                                        "b) Về phát triển mạng lưới"]
    # A label starts its own paragraph even in lower case.
    assert len(R._join_pages([[Para("a) Về xây dựng văn bản")], [Para("b) Về lồng ghép")]])) == 2


def test_struck_through_text_is_deleted_an_underline_is_not() -> None:
    char = {"x0": 100.0, "x1": 106.0, "top": 500.0, "bottom": 513.0}
    strike = [(90.0, 300.0, 508.5)]  # through the letters' body
    underline = [(90.0, 300.0, 514.2)]  # just below them
    assert R._struck(char, strike)
    assert not R._struck(char, underline)
    assert not R._struck(char, [(200.0, 300.0, 508.5)])  # elsewhere on the line


def _page(chars: list[dict[str, Any]], lines: list[dict[str, Any]]) -> Any:
    return SimpleNamespace(chars=chars, lines=lines, rects=[], height=842.0)


def test_footnote_rule_and_marks() -> None:
    body = [{"text": ch, "x0": 72 + 6 * k, "x1": 78 + 6 * k, "top": 300.0, "bottom": 313.0, "size": 13.0}
            for k, ch in enumerate("Trong phạm vi ngành")]
    mark = {"text": "1", "x0": 200.0, "x1": 204.0, "top": 298.0, "bottom": 305.5, "size": 7.5}
    note = [{"text": ch, "x0": 72 + 6 * k, "x1": 78 + 6 * k, "top": 760.0, "bottom": 770.0, "size": 10.0}
            for k, ch in enumerate("1Kế hoạch đăng tải trên Cổng thông tin của Sở")]
    chars = [*body, mark, *note]
    rule = {"x0": 72.0, "x1": 185.0, "top": 752.0, "bottom": 752.0}
    assert R._footnote_rule(_page(chars, [rule]), []) == 752.0
    # Not a footnote rule: inside a ruled table, or as wide as the text (a table border).
    assert R._footnote_rule(_page(chars, [rule]), [(60.0, 700.0, 400.0, 800.0)]) is None
    assert R._footnote_rule(_page(chars, [{**rule, "x1": 350.0}]), []) is None
    assert R._footnote_marks(_page(chars, [rule])) == {id(mark)}


def test_nfd_text_is_not_taken_for_a_legacy_font() -> None:
    import unicodedata

    nfd = unicodedata.normalize("NFD", "hiện và xử lý 03 trường hợp vi phạm.")
    assert R._text(nfd) == "hiện và xử lý 03 trường hợp vi phạm."


# --- LibreOffice: the fixture reports printed to PDF read like their docx -------------------


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name",
    [
        "lo_congan",  # a table broken by pages twice, rows split mid-label
        "sxd_renumbered_roman",  # the broken row's rest starts with a capital
        "p07_sgddt_table_units_notes_total",  # italic headings with the answer on the same line
        "w01_sotp_pdf_copied_headings",  # a tracked deletion, struck through in the PDF
        "dhpvd_nfd",  # NFD text
        "syt_full",  # "-" cells on a broken table
        "lmhtx_vni",  # VNI text: short lines follow their page's encoding
        "w16_hccb_tcvn3_letterhead_unicode_body",  # a TCVN3 letterhead over a Unicode body
    ],
)
def test_docx_printed_to_pdf_reads_like_the_docx(name: str, spec: OutlineSpec) -> None:
    base = next(b for b in V.bases(spec) if b.name == name)
    outcome = V.check_round_trip(base, "pdf", spec)
    assert outcome.ok, outcome.diffs


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name",
    [
        "n05_tinhdoan_party_style",  # the date line wider than its header column, centred on it
        "r12_thanhtra_two_sections",  # paragraphs spaced 3 pt apart, one line each
        "r17_vpubnd_short",  # the same short answer opens two pages: body text, not a header
    ],
)
def test_independent_reports_printed_to_pdf_read_like_their_docx(name: str, spec: OutlineSpec) -> None:
    from parsers.api import parse_bytes

    path = ROOT / "tests" / "fixtures" / "independent" / f"{name}.docx"
    want = V.signature(parse_bytes(path.read_bytes(), path.name, spec))
    got = V.signature(parse_bytes(V.round_trip(path, "pdf"), f"{name}.pdf", spec))
    assert V.differences(want, got) == []


def test_a_line_of_a_vni_page_follows_its_page() -> None:
    # Alone, "phaïm vi ngaønh" reads as TCVN3 ("phaùm"); the page is VNI.
    token = R._PAGE_ENCODING.set("vni")
    try:
        assert R._text("trong phaïm vi ngaønh, giao nhieäm vuï cuï theå") == "trong phạm vi ngành, giao nhiệm vụ cụ thể"
        assert R._text("Lưu: VT, VP.") == "Lưu: VT, VP."  # a Unicode line on the same page
    finally:
        R._PAGE_ENCODING.reset(token)
    assert R._text("Hà Nội, ngày 10 tháng 8") == "Hà Nội, ngày 10 tháng 8"


@pytest.mark.parametrize(("text", "number"), [("3", True), ("- 3 -", True), ("Trang 3", True), ("3/5", True),
                                              ("2025", False), ("a) Về xây dựng", False)])
def test_page_numbers(text: str, number: bool) -> None:
    assert bool(R._PAGE_NUMBER.match(text)) is number


@pytest.mark.libreoffice
def test_running_header_and_page_numbers_leave_the_text(spec: OutlineSpec, tmp_path: Path) -> None:
    # A header repeated on every page and a PAGE field in the footer (Word's docx reader does
    # not read them as body text): the PDF must not either, nor let them cut the table.
    import docx
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    from parsers.api import parse_bytes

    base = next(b for b in V.bases(spec) if b.name == "lo_congan")
    document = docx.Document(str(base.path))
    section = document.sections[0]
    section.header.paragraphs[0].text = "Công an tỉnh Quảng Ngãi - Báo cáo sơ kết Đề án 996"
    section.footer.paragraphs[0]._p.append(
        parse_xml(f'<w:fldSimple {nsdecls("w")} w:instr="PAGE"><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    path = tmp_path / "lo_congan_header.docx"
    document.save(str(path))
    want = V.signature(parse_bytes(path.read_bytes(), path.name, spec))
    pdf = V.round_trip(path, "pdf")
    got = V.signature(parse_bytes(pdf, "lo_congan_header.pdf", spec))
    assert V.differences(want, got) == []


def test_paragraph_spacing_a_few_points_wider_than_the_line_gap_breaks() -> None:
    # Lines 17 pt apart inside paragraphs (gap 4), 20 pt between them (gap 7): two one-line
    # paragraphs at the same indent, the second's first word too long for the room left.
    wide = "w" * 61
    lines = [_line(FULL, 85, 20), _line(wide, 114, 60), _line("x" * 60, 85, 77), _line("x" * 60, 85, 94),
             _line(wide, 114, 111), _line("Quaquaqua thanh tra", 114, 131)]
    texts = _texts(lines)
    assert texts[-1] == "Quaquaqua thanh tra"
    assert texts[-2] == wide
