"""Answers that cover several sections (blind corpus 7/12: c07, c24) and report numbers in a
sheet's title cell (c23, c28, m29), each on small generated documents (python-docx, openpyxl)
in several layouts; the blind files themselves are checked at the end.

- "- Văn bản quản lý, điều hành." alone, then its answer: that section's heading.
- Text under a group's heading covering sections without their own heading: recorded under
  each of them, marked with the group (`SectionText.group`), answered, never missing.
- One paragraph whose heading joins two sections: both get it (a joint answer), not one.
- "(Số 90/BC-LĐLĐ)", "… - Báo cáo số 09/BC-HDNT" in a title cell: the document's number.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec, ProblemCode, group_coverage

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _docx(lines: list[str | tuple[str, bool]], *, number: str = "Số: 41/BC-SYT", table_header: bool = False) -> bytes:
    """A report: letterhead (paragraphs, or a bordered 6-row table when `table_header`), title,
    opening, then `lines` (a (text, bold) pair for a bold line)."""
    from docx import Document

    doc = Document()
    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ", number, "Quảng Ngãi, ngày 10 tháng 8 năm 2025"]
    if table_header:
        grid = doc.add_table(rows=6, cols=2)
        grid.style = "Table Grid"
        grid.cell(0, 0).text = "\n".join(head[:3])
        grid.cell(0, 1).text = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n" + head[3]
        for i in range(1, 6):
            grid.cell(i, 0).text, grid.cell(i, 1).text = f"Ghi chú {i}", "—"
    else:
        for line in head:
            doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    doc.add_paragraph("Thực hiện Văn bản của Sở Khoa học và Công nghệ về việc báo cáo sơ kết Đề án 996, Sở Y tế báo cáo như sau:")
    for item in lines:
        text, bold = item if isinstance(item, tuple) else (item, False)
        p = doc.add_paragraph(text)
        if bold:
            p.runs[0].bold = True
    doc.add_paragraph("Nơi nhận:\n- Sở KH&CN;\n- Lưu: VT.")
    doc.add_paragraph("GIÁM ĐỐC")
    doc.add_paragraph("Nguyễn Văn An")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _parse(spec: OutlineSpec, data: bytes, name: str = "bao-cao.docx"):
    return parse_bytes(data, name, spec)


# -- a "- short heading." line, its answer on the next line -----------------------------------

DASHED = [
    ("Xây dựng, triển khai kế hoạch thực hiện Đề án 996.", "1.a", "Sở đã ban hành Kế hoạch số 16/KH-SYT ngày 12/8/2021 triển khai Đề án."),
    ("Văn bản quản lý, điều hành.", "1.b", "Ban hành 7 văn bản chỉ đạo, đôn đốc các phòng chuyên môn thực hiện nhiệm vụ."),
    ("Lồng ghép nhiệm vụ.", "1.c", "Lồng ghép nhiệm vụ của Đề án vào Chương trình chuyển đổi số giai đoạn 2021 - 2025."),
]


@pytest.mark.parametrize("bullet", ["- ", "– ", "+ ", "• ", "* "])
@pytest.mark.parametrize("group_bold", [True, False])
def test_a_dashed_short_heading_with_a_full_stop_opens_its_section(spec: OutlineSpec, bullet: str, group_bold: bool) -> None:
    lines: list[str | tuple[str, bool]] = [("Công tác lãnh đạo, chỉ đạo triển khai thực hiện", group_bold)]
    for heading, _, answer in DASHED:
        lines += [f"{bullet}{heading}", answer]
    r = _parse(spec, _docx(lines))
    for _, sid, answer in DASHED:
        got = r.sections[sid]
        assert got.text == answer and not got.group, (sid, got)  # the heading is not in the answer
    assert "1" not in r.groups
    assert not [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]


def test_a_list_of_short_sentences_stays_one_answer(spec: OutlineSpec) -> None:
    """Short dashed sentences one after the other (or before the next heading) are the answer's
    items, not headings; a dashed line worded like an answer ("- Đã ban hành 03 văn bản.") is
    no heading either."""
    lines: list[str | tuple[str, bool]] = [
        "1. Công tác lãnh đạo, chỉ đạo",
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996",
        "- Văn bản quản lý, điều hành.",
        "- Lồng ghép nhiệm vụ.",
        "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ",
        "- Đã ban hành 03 văn bản.",
        "Các văn bản gồm kế hoạch, công văn đôn đốc và hướng dẫn thực hiện nhiệm vụ về đo lường.",
    ]
    r = _parse(spec, _docx(lines))
    assert "Văn bản quản lý, điều hành" in r.sections["1.a"].text and "Lồng ghép nhiệm vụ" in r.sections["1.a"].text
    assert "Đã ban hành 03 văn bản" in r.sections["1.b"].text and "kế hoạch, công văn đôn đốc" in r.sections["1.b"].text
    assert not r.sections["1.c"].answered


# -- a group answered as a whole ---------------------------------------------------------------

@pytest.mark.parametrize(
    "layout",
    [
        # the group's heading, one paragraph for 1.a and 1.b, then 1.c under its own words
        ["1. Công tác lãnh đạo, chỉ đạo", "Sở đã ban hành Kế hoạch số 27/KH-SYT triển khai Đề án 996. Ban hành 18 văn bản chỉ đạo.",
         "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác: Không có."],
        # Roman numeral, the paragraph on two lines
        ["I. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO", "Sở đã ban hành Kế hoạch số 27/KH-SYT triển khai Đề án 996.", "Ban hành 18 văn bản chỉ đạo.",
         "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác: Không có."],
        # the answer run in on the group's heading line
        ["1. Công tác lãnh đạo, chỉ đạo: Sở đã ban hành Kế hoạch số 27/KH-SYT triển khai Đề án 996. Ban hành 18 văn bản chỉ đạo.",
         "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác: Không có."],
    ],
)
def test_a_group_answer_stands_for_each_section_it_covers(spec: OutlineSpec, layout: list[str]) -> None:
    r = _parse(spec, _docx([*layout, "2. Kết quả thực hiện các nhiệm vụ, giải pháp"]))
    group = r.groups["1"]
    assert "Kế hoạch số 27/KH-SYT" in group.text and "18 văn bản" in group.text
    for sid in ("1.a", "1.b"):
        got = r.sections[sid]
        assert got.group == "1" and got.text == group.text and got.where == group.where and got.answered
        assert got.confidence < 0.95  # a person checks it: not read under its own heading
        assert r.to_json()["sections"][sid]["group"] == "1"
    assert r.sections["1.c"].explicit_none and not r.sections["1.c"].group
    assert "1.a" not in r.missing_sections and "1.b" not in r.missing_sections
    assert not [p for p in r.problems if p.code == "section_not_found" and ("mục 1.a " in p.message or "mục 1.b " in p.message)]
    (problem,) = [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]
    assert problem.sections == ("1.a", "1.b") and "1.a, 1.b" in problem.message
    assert problem.to_json()["sections"] == ["1.a", "1.b"]


def test_a_section_with_its_own_answer_is_not_covered_by_the_group() -> None:
    ids = ["2.2.a", "2.2.b", "2.2.c", "2.5.a", "2.5.b"]
    assert group_coverage(["2.2"], ["2.2.b"], ids) == {"2.2.a": "2.2", "2.2.c": "2.2"}
    assert group_coverage(["2.5.a+2.5.b", "2"], [], ids) == {"2.5.a": "2.5.a+2.5.b", "2.5.b": "2.5.a+2.5.b"}
    assert group_coverage(["2"], [], ids) == {}  # "2" above 2.1 has no sections of its own


# -- one paragraph for two sections --------------------------------------------------------------

@pytest.mark.parametrize(
    "heading",
    [
        "- Về tuyên truyền tại hội nghị, hội thảo và đưa tin, viết bài trên phương tiện thông tin",
        "- Tuyên truyền tại hội nghị, hội thảo; đưa tin, viết bài trên các phương tiện thông tin",
        "- Về tuyên truyền, phổ biến tại các hội nghị, hội thảo + đưa tin, viết bài tuyên truyền trên phương tiện thông tin, truyền thông",
    ],
)
@pytest.mark.parametrize("group_heading", ["* Công tác truyền thông", "5. Công tác truyền thông thông tin, tuyên truyền chính sách, pháp luật"])
def test_a_paragraph_joining_two_sections_goes_to_both(spec: OutlineSpec, heading: str, group_heading: str) -> None:
    answer = "Lồng ghép tuyên truyền Đề án 996 tại 7 hội nghị. Đăng 12 tin, bài trên Cổng thông tin điện tử."
    r = _parse(spec, _docx([(group_heading, True), f"{heading}: {answer}"]))
    for sid in ("2.5.a", "2.5.b"):
        got = r.sections[sid]
        assert got.text == answer and got.group == "2.5.a+2.5.b", (sid, got)
    assert r.groups["2.5.a+2.5.b"].text == answer
    (problem,) = [p for p in r.problems if p.code == ProblemCode.GROUP_ANSWERED]
    assert problem.sections == ("2.5.a", "2.5.b")


def test_a_heading_with_and_inside_one_section_stays_that_sections(spec: OutlineSpec) -> None:
    """ "và" inside one section's wording (đưa tin và viết bài) joins nothing."""
    answer = "Đăng 12 tin, bài về Đề án 996 trên Cổng thông tin điện tử của Sở."
    r = _parse(spec, _docx([("5. Công tác truyền thông", True),
                            "a) Về công tác tuyên truyền, phổ biến các nhiệm vụ Đề án 996 tại các hội nghị, hội thảo: Tổ chức 7 hội nghị.",
                            f"- Về đưa tin và viết bài tuyên truyền trên các phương tiện thông tin, truyền thông: {answer}"]))
    assert r.sections["2.5.b"].text == answer and not r.sections["2.5.b"].group
    assert r.sections["2.5.a"].text == "Tổ chức 7 hội nghị." and not r.sections["2.5.a"].group
    assert not r.groups


# -- the document's number in a sheet's title cell or a first table -----------------------------

def _sheet(title: str, agency: str = "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NGÃI") -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Báo cáo"
    if agency:
        ws.append([agency])
    ws.append([title])
    ws.append(["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"])
    for rid, label in (("1", "Đầu tư chuẩn đo lường, phương tiện đo"), ("4", "Cán bộ được bồi dưỡng, tập huấn về đo lường"),
                       ("7", "Người tham dự đào tạo Chương trình bảo đảm đo lường")):
        ws.append([rid, label, 12, 12, 100])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("title", "agency", "number"),
    [
        ("BÁO CÁO SƠ KẾT ĐỀ ÁN 996 (Số 90/BC-LĐLĐ)", "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NGÃI", "90/BC-LĐLĐ"),
        ("Báo cáo sơ kết Đề án 996 [Số: 14/BC-LĐLĐ]", "LIÊN ĐOÀN LAO ĐỘNG TỈNH QUẢNG NGÃI", "14/BC-LĐLĐ"),
        ("Số liệu kèm Báo cáo số 512/BC-VP", "VĂN PHÒNG UBND TỈNH QUẢNG NGÃI", "512/BC-VP"),
        ("HỘI DOANH NHÂN TRẺ TỈNH QUẢNG NGÃI - Báo cáo số 09/BC-HDNT", "", "09/BC-HDNT"),
        ("Biểu số liệu Đề án 996 – BÁO CÁO SỐ 31/BC-SYT", "SỞ Y TẾ", "31/BC-SYT"),
    ],
)
def test_a_number_in_a_sheets_title_cell_is_the_documents(spec: OutlineSpec, title: str, agency: str, number: str) -> None:
    r = _parse(spec, _sheet(title, agency), "bieu.xlsx")
    assert r.doc_number == number
    assert not r.draft and not [p for p in r.problems if p.code == ProblemCode.DRAFT]


@pytest.mark.parametrize(
    "title",
    ["Thực hiện Báo cáo số 12/BC-UBND của UBND tỉnh", "Biểu số liệu theo Quyết định số 996/QĐ-TTg",
     "(Kèm theo Báo cáo số 312/BC-MTTQ ngày 12/8/2025)"],
)
def test_a_cited_report_in_a_title_cell_is_not_the_documents_number(spec: OutlineSpec, title: str) -> None:
    r = _parse(spec, _sheet(title), "bieu.xlsx")
    assert r.doc_number is None
    if "Kèm theo" in title:
        assert r.part_of == "312/BC-MTTQ" and not r.draft  # an appendix: the report it belongs to
    else:
        assert r.draft


def test_a_number_and_date_in_a_bordered_first_table(spec: OutlineSpec) -> None:
    r = _parse(spec, _docx(["a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996: Đã ban hành kế hoạch."],
                           number="Số: 15/BC-SYT", table_header=True))
    assert (r.doc_number, r.doc_date, r.draft) == ("15/BC-SYT", "2025-08-10", False)
