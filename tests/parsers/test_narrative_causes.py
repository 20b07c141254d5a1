"""General causes of narrative misses found on the independent corpus (issue 11), each on a
small generated document; the corpus files that showed them are checked too."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_path
from parsers.document import Doc, Para, Table
from parsers.identity import find_agency
from parsers.interpret import interpret
from parsers.model import OutlineSpec
from parsers.outline import is_explicit_none, read_outline

ROOT = Path(__file__).resolve().parents[2]
INDEPENDENT = ROOT / "tests" / "fixtures" / "independent"
HEADER = Table(rows=[["UBND TỈNH QUẢNG NGÃI\nSỞ CÔNG THƯƠNG\nSố: 90/BC-SCT",
                      "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nQuảng Ngãi, ngày 11 tháng 8 năm 2025"]],
               borderless=True)
OPENING = ("Thực hiện Công văn số 1520/SKHCN-TĐC ngày 01/8/2025 của Sở Khoa học và Công nghệ về việc phối hợp"
           " báo cáo sơ kết Đề án 996, Sở Công Thương báo cáo như sau:")


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def doc(*items: str | Para | Table) -> Doc:
    return Doc(blocks=[Para(x) if isinstance(x, str) else x for x in items])


def B(text: str) -> Para:  # noqa: N802 - a bold heading
    return Para(text, bold=True)


# -- explicit none in the agency's words ----------------------------------------------------

@pytest.mark.parametrize(
    "text",
    ["Không có.", "Không phát sinh.", "Chưa triển khai.", "Đơn vị không được giao nhiệm vụ này.",
     "Không thuộc chức năng, nhiệm vụ.", "Sở không có nội dung báo cáo."],
)
def test_none_answers_in_the_agencys_words(text: str) -> None:
    assert is_explicit_none(text)


@pytest.mark.parametrize(
    "text",
    ["Giai đoạn 2018-2025, đơn vị không ban hành chính sách riêng; thực hiện theo chính sách chung của tỉnh.",
     "Không phát sinh. Đơn vị đã phối hợp kiểm tra cùng Sở Khoa học và Công nghệ.",
     "Chưa triển khai 02 đề tài do thiếu kinh phí.",
     "Không có"  " doanh nghiệp nào đăng ký, Sở đã hướng dẫn hồ sơ cho các hợp tác xã và tổ chức hội nghị phổ biến"
     " rộng rãi tới các huyện, thị xã, thành phố trên địa bàn tỉnh."],
)
def test_answers_with_content_are_not_none(text: str) -> None:
    assert not is_explicit_none(text)


# -- numbering one level down under Roman groups ------------------------------------------

def test_roman_groups_with_numbered_subgroups(spec: OutlineSpec) -> None:
    """ "I. / 1. 2. 3." for 1.a–1.c and "II. / 1. / a) b)" for 2.1.a …, the headings paraphrased."""
    d = doc(
        HEADER, "BÁO CÁO", OPENING,
        "I. CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO",
        "1. Xây dựng, triển khai kế hoạch thực hiện Đề án 996", "Ban hành Kế hoạch số 12/KH-SCT.",
        "2. Ban hành văn bản chỉ đạo, điều hành", "Đơn vị không được giao nhiệm vụ này.",
        "3. Lồng ghép với các chương trình, đề án khác", "Lồng ghép với Chương trình OCOP.",
        "II. KẾT QUẢ THỰC HIỆN CÁC NHÓM NHIỆM VỤ, GIẢI PHÁP",
        "1. Đổi mới chính sách hỗ trợ doanh nghiệp",
        "a) Xây dựng chính sách, thúc đẩy xã hội hóa hoạt động đo lường", "Không ban hành chính sách riêng.",
        "2. Phát triển hạ tầng đo lường",
        "a) Đầu tư hạ tầng kỹ thuật đo lường", "Trang bị 02 trạm cân ô tô.",
        "b) Phát triển mạng lưới tổ chức dịch vụ kiểm định, hiệu chuẩn", "Không thuộc chức năng, nhiệm vụ.",
    )
    s = read_outline(d, spec).sections
    assert s["1.a"].text == "Ban hành Kế hoạch số 12/KH-SCT."
    assert s["1.b"].explicit_none and s["1.b"].text == "Đơn vị không được giao nhiệm vụ này."
    assert s["1.c"].text == "Lồng ghép với Chương trình OCOP."
    assert s["2.1.a"].text == "Không ban hành chính sách riêng."
    assert s["2.2.a"].text == "Trang bị 02 trạm cân ô tô."
    assert s["2.2.b"].explicit_none


def test_flat_numbered_short_titles_under_a_roman_part(spec: OutlineSpec) -> None:
    """ "I. KẾT QUẢ THỰC HIỆN" then "1. … 7." short titles for the sections an agency answers."""
    d = doc(
        HEADER, "BÁO CÁO", OPENING,
        B("I. KẾT QUẢ THỰC HIỆN"),
        "1. Kế hoạch triển khai Đề án", "Xây dựng Kế hoạch chuyên đề số 12/KH-CT.",
        "2. Văn bản quản lý, điều hành", "Ban hành 07 văn bản chỉ đạo.",
        "3. Bồi dưỡng chuyên môn nghiệp vụ", "Tổ chức 02 lớp tập huấn cho 85 cán bộ.",
        "4. Thông tin, truyền thông", "Thực hiện 02 phóng sự chuyên đề.",
    )
    s = read_outline(d, spec).sections
    assert s["1.a"].text == "Xây dựng Kế hoạch chuyên đề số 12/KH-CT."
    assert s["1.b"].text == "Ban hành 07 văn bản chỉ đạo."
    assert s["2.2.d"].text == "Tổ chức 02 lớp tập huấn cho 85 cán bộ."
    assert s["2.5.b"].text == "Thực hiện 02 phóng sự chuyên đề."


def test_an_outline_heading_word_for_word_under_another_group(spec: OutlineSpec) -> None:
    """Sections in the agency's own order and grouping: the lettered heading, copied word for
    word from the outline, names its section whatever group it sits under."""
    d = doc(
        B("1. Công tác tuyên truyền"),
        "a) Về công tác tuyên truyền, phổ biến các nhiệm vụ Đề án 996 tại các hội nghị, hội thảo",
        "Tuyên truyền tại 06 hội nghị.",
        B("2. Các nhiệm vụ khác"),
        "a) Tình hình, kết quả triển khai Chương trình đảm bảo đo lường theo Quyết định số 510/QĐ-BKHCN"
        " ngày 17 tháng 3 năm 2021 của Bộ Khoa học và Công nghệ",
        "Chưa có doanh nghiệp đăng ký áp dụng Chương trình.",
    )
    s = read_outline(d, spec).sections
    assert s["2.5.a"].text == "Tuyên truyền tại 06 hội nghị."
    assert s["2.4.a"].text == "Chưa có doanh nghiệp đăng ký áp dụng Chương trình."
    assert s["1.a"].empty


def test_item_titles_with_answers_under_their_group(spec: OutlineSpec) -> None:
    """ "- Hội nghị, hội thảo: Đưa tin …" right under the group heading: the group's sections in order."""
    d = doc(
        B("2.1. Đổi mới chính sách hỗ trợ doanh nghiệp"),
        "- Về cơ chế, chính sách: Không.",
        "- Chuẩn hóa năng lực các tổ chức dịch vụ: Không.",
        B("2.5. Truyền thông, tuyên truyền"),
        "- Hội nghị, hội thảo: Đưa tin 11 hội nghị, hội thảo.",
        "- Thông tin, truyền thông: Phát sóng 37 tin.",
    )
    s = read_outline(d, spec).sections
    assert s["2.1.a"].explicit_none and s["2.1.b"].explicit_none
    assert s["2.5.a"].text == "Đưa tin 11 hội nghị, hội thảo."
    assert s["2.5.b"].text == "Phát sóng 37 tin."


def test_a_short_heading_leans_on_its_group(spec: OutlineSpec) -> None:
    """ "Kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo:" reads like 2.2.b, 2.1.b and 2.4.b;
    under 2.4's heading, after 2.4.a, it is 2.4.b."""
    d = doc(
        B("Tăng cường phát triển hạ tầng đo lường tại địa phương:"),
        B("Phát triển mạng lưới tổ chức cung cấp dịch vụ kiểm định:"),
        B("Triển khai công tác hỗ trợ doanh nghiệp đảm bảo chất lượng sản phẩm hàng hóa:"),
        B("Triển khai Chương trình đảm bảo đo lường:"), "Hướng dẫn 08 doanh nghiệp.",
        B("Kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo:"), "Kiểm định 2.350 phương tiện đo.",
    )
    s = read_outline(d, spec).sections
    assert s["2.4.b"].text == "Kiểm định 2.350 phương tiện đo."
    assert s["2.2.b"].empty


def test_a_broken_headings_tail_is_not_the_answer(spec: OutlineSpec) -> None:
    """The first line of a heading retyped, its second line (the outline's tail up to the
    leaders) left above the answer."""
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển:",
        "hiện Đề án 996…………………………; Đơn vị đã ban hành Kế hoạch số 57/KH-STP.",
        "b) Về xây dựng văn bản quản lý, điều hành triển khai:",
        "vụ: ……………… Ban hành 02 công văn đôn đốc.",
    )
    s = read_outline(d, spec).sections
    assert s["1.a"].text == "Đơn vị đã ban hành Kế hoạch số 57/KH-STP."
    assert s["1.b"].text == "Ban hành 02 công văn đôn đốc."


def test_unmatched_headings_and_remarks_on_the_outline_end_a_section(spec: OutlineSpec) -> None:
    d = doc(
        B("2.5. Công tác truyền thông thông tin, tuyên truyền"),
        "b) Về đưa tin, viết bài tuyên truyền về Đề án 996 trên các phương tiện thông tin, truyền thông: Không có.",
        B("3. Định lượng"),
        "a) Về công tác tuyên truyền, phổ biến các nhiệm vụ Đề án 996 tại các hội nghị, hội thảo: Tổ chức 02 hội nghị.",
        "Các nội dung còn lại của Đề cương không thuộc chức năng, nhiệm vụ của đơn vị.",
    )
    r = read_outline(d, spec)
    assert r.sections["2.5.b"].text == "Không có." and r.sections["2.5.b"].explicit_none
    assert r.sections["2.5.a"].text == "Tổ chức 02 hội nghị."
    assert "Các nội dung còn lại" in r.extra_text


# -- kind: positive evidence -------------------------------------------------------------

def _outline_all_none(spec: OutlineSpec, last: str = "Không") -> Doc:
    items: list[str | Para | Table] = [HEADER, B("BÁO CÁO"), B("Sơ kết thực hiện Đề án 996"), OPENING]
    for s in spec.sections:
        answer = last if s is spec.sections[-1] else "Không"
        items.append(f"{s.id}) {s.heading}: {answer}".replace(".dd)", ".đ)"))
    return doc(*items)


def test_an_outline_answered_only_with_none_is_a_nil_report(spec: OutlineSpec) -> None:
    r = interpret(_outline_all_none(spec), spec, file="x.docx", fmt="docx")
    assert r.kind == "nil_report"
    assert all(s.explicit_none for s in r.sections.values())


def test_one_real_answer_keeps_it_a_report(spec: OutlineSpec) -> None:
    r = interpret(_outline_all_none(spec, last="Đăng 07 tin, bài trên Cổng thông tin điện tử."), spec,
                  file="x.docx", fmt="docx")
    assert r.kind == "report"


def test_a_report_on_another_programme_is_not_a_report(spec: OutlineSpec) -> None:
    d = doc(
        HEADER, B("BÁO CÁO"), B("Kết quả thực hiện Chương trình năng suất chất lượng năm 2025"),
        "Thực hiện Quyết định số 1322/QĐ-TTg của Thủ tướng Chính phủ, Sở Công Thương báo cáo kết quả năm 2025 như sau:",
        B("I. KẾT QUẢ THỰC HIỆN"),
        "Các hoạt động năng suất được triển khai đồng bộ với Đề án 996 về đo lường và Chương trình phát triển tài sản"
        " trí tuệ; hỗ trợ 12 doanh nghiệp áp dụng công cụ cải tiến năng suất, tổ chức 03 lớp đào tạo cho 150 học"
        " viên, xây dựng 02 mô hình điểm về năng suất chất lượng tại khu công nghiệp.",
        B("II. KIẾN NGHỊ"), "Đề nghị tiếp tục bố trí kinh phí hỗ trợ doanh nghiệp năm 2026.",
    )
    assert interpret(d, spec, file="x.docx", fmt="docx").kind == "not_a_report"


@pytest.mark.parametrize(
    ("name", "kind"),
    [("n07_sodttg_outline_all_none.docx", "nil_report"), ("z05_soct_other_programme.docx", "not_a_report"),
     ("z07_sotp_comments_on_draft.docx", "not_a_report"), ("r08_opening_names_agency.docx", "report")],
)
def test_independent_corpus_kinds(spec: OutlineSpec, name: str, kind: str) -> None:
    assert parse_path(INDEPENDENT / name, spec).kind == kind


# -- agency from a sheet's one-line title -----------------------------------------------

def test_a_sheet_title_names_the_agency_before_its_dash(spec: OutlineSpec) -> None:
    top = ["TRUNG TÂM KỸ THUẬT TIÊU CHUẨN ĐO LƯỜNG CHẤT LƯỢNG - SỐ LIỆU ĐỀ ÁN 996"]
    assert find_agency(top, spec.agencies).id == "ttkttdc"
    assert find_agency(["CÔNG TY TNHH AN PHÁT - SỐ LIỆU ĐỀ ÁN 996"], spec.agencies).id is None
    assert parse_path(INDEPENDENT / "x04_ttkttdc_phase_pairs.xlsx", spec).agency.id == "ttkttdc"


# -- a sheet's numbered rows and title row ---------------------------------------------------

def test_a_sheets_numbered_answers_under_a_roman_row(spec: OutlineSpec) -> None:
    """ "I | CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO" then "1 | Ban hành Kế hoạch …", "3 | Không": the row
    number names the section when an answer, not a heading, follows it."""
    d = doc(
        "SỞ NÔNG NGHIỆP VÀ MÔI TRƯỜNG",
        "Báo cáo số 3460/BC-SNNMT ngày 18/8/2025 (bổ sung số liệu)",
        Para("STT | Nội dung báo cáo", style="sheet-header"),
        "I CÔNG TÁC LÃNH ĐẠO, CHỈ ĐẠO",
        "1 Ban hành Kế hoạch số 23/KH-SNNMT ngày 04/3/2022 về kiểm soát phương tiện đo.",
        "2 Ban hành 04 văn bản đôn đốc các công ty khai thác công trình thủy lợi.",
        "3 Không",
        "II KẾT QUẢ THỰC HIỆN",
        "2.2.a Đầu tư 24 thiết bị đo mưa tự động.",
    )
    r = interpret(d, spec, file="x.xlsx", fmt="xlsx")
    assert r.sections["1.a"].text.startswith("Ban hành Kế hoạch số 23/KH-SNNMT")
    assert r.sections["1.b"].text.startswith("Ban hành 04 văn bản")
    assert r.sections["1.c"].explicit_none
    assert r.sections["2.2.a"].text == "Đầu tư 24 thiết bị đo mưa tự động."
    assert (r.doc_number, r.doc_date) == ("3460/BC-SNNMT", "2025-08-18")


def test_a_roman_numeral_cell_needs_capitals_after_it() -> None:
    from parsers.outline import parse_label

    assert (parse_label("II KẾT QUẢ THỰC HIỆN").kind, parse_label("II KẾT QUẢ THỰC HIỆN").roman) == ("roman", 2)
    assert parse_label("V Ban hành").kind == ""
    assert parse_label("I CÔNG TÁC").body == "CÔNG TÁC"


def test_a_cited_report_number_is_not_the_documents_own() -> None:
    from parsers.identity import find_number

    assert find_number(["Báo cáo số 3460/BC-SNNMT ngày 18/8/2025"]) == "3460/BC-SNNMT"
    assert find_number(["(Kèm theo Báo cáo số 312/BC-MTTQ ngày 12/8/2025)"]) is None
    assert find_number(["Thực hiện Báo cáo số 12/BC-UBND của tỉnh, Sở đã triển khai"]) is None


def test_a_full_number_then_a_sentence_is_the_answer(spec: OutlineSpec) -> None:
    """ "1.c | Lồng ghép trong Chương trình … của Hội.": the answer's words are close to the
    heading's, but a sentence with its full stop after the full number is the answer."""
    d = doc(
        Para("Mục | Nội dung", style="sheet-header"),
        "1.b Không có",
        "1.c Lồng ghép trong Chương trình khởi nghiệp đổi mới sáng tạo của Hội.",
        "2.1.a Về xây dựng, ban hành bổ sung chính sách tạo môi trường pháp lý thuận lợi cho hoạt động đo lường",
        "Tham gia góp ý dự thảo Luật Đo lường sửa đổi.",
    )
    s = read_outline(d, spec).sections
    assert s["1.b"].explicit_none
    assert s["1.c"].text == "Lồng ghép trong Chương trình khởi nghiệp đổi mới sáng tạo của Hội."
    assert s["2.1.a"].text == "Tham gia góp ý dự thảo Luật Đo lường sửa đổi."


def test_a_lone_dash_under_a_heading_is_an_explicit_none(spec: OutlineSpec) -> None:
    """ "-" typed under a heading says "none", as it does in a table cell (independent corpus 2,
    r09); it is kept as the agency wrote it, never read as a blank."""
    d = doc(
        B("2.1. Đổi mới, sửa đổi chính sách tạo thuận lợi hoạt động đo lường hỗ trợ doanh nghiệp"),
        B("a) Về xây dựng, ban hành bổ sung chính sách tạo môi trường pháp lý thuận lợi cho hoạt động đo lường"),
        "-",
        B("b) Về thực hiện chuẩn hóa năng lực, hoạt động của các tổ chức kinh doanh dịch vụ kiểm định"),
        "–",
        B("2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương"),
        B("a) Về công tác đầu tư, xây dựng, phát triển hạ tầng kỹ thuật đo lường"),
        "Đầu tư 02 phòng thử nghiệm.",
    )
    s = read_outline(d, spec).sections
    assert s["2.1.a"].explicit_none and s["2.1.a"].text == "-" and not s["2.1.a"].empty
    assert s["2.1.b"].explicit_none and s["2.1.b"].text == "–"
    assert not s["2.2.a"].explicit_none and s["2.2.a"].text == "Đầu tư 02 phòng thử nghiệm."


def test_none_on_a_group_heading_answers_each_of_its_sections(spec: OutlineSpec) -> None:
    """ "2.1. …: Không có" on the group's own line means none for every section of the group
    (independent corpus 2, r13); a section the agency still answered below keeps its answer."""
    d = doc(
        "2.1. Đổi mới, sửa đổi chính sách tạo thuận lợi hoạt động đo lường hỗ trợ doanh nghiệp: Không có",
        "2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương: Không có",
        "2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường",
        "a) Tăng cường phối hợp với các Bộ, ngành, địa phương và doanh nghiệp về công tác quản lý hoạt động đo lường",
        "Tổ chức 07 hội nghị phổ biến Luật Đo lường.",
    )
    s = read_outline(d, spec).sections
    for sid in ("2.1.a", "2.1.b", "2.2.a", "2.2.b", "2.2.c", "2.2.d", "2.2.dd"):
        assert s[sid].explicit_none and s[sid].text == "Không có", sid
    assert not s["2.3.a"].explicit_none and s["2.3.a"].text == "Tổ chức 07 hội nghị phổ biến Luật Đo lường."
    assert "2.3.b" not in s or not s["2.3.b"].explicit_none
