"""Outline matcher, identity and kind on small hand-made documents."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.document import Doc, Para, Table
from parsers.identity import find_date, find_number, read_identity
from parsers.interpret import interpret
from parsers.model import OutlineSpec
from parsers.outline import parse_label, read_outline

CONFIG = Path(__file__).resolve().parents[2] / "config" / "campaigns"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))


def doc(*items: str | Para | Table) -> Doc:
    return Doc(blocks=[Para(x) if isinstance(x, str) else x for x in items])


def B(text: str, numbering: str = "") -> Para:  # noqa: N802 - a bold heading
    return Para(text, bold=True, numbering=numbering)


HEADER = Table(rows=[["UBND TỈNH QUẢNG NGÃI\nSỞ Y TẾ\nSố: 245/BC-SYT",
                      "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\nQuảng Ngãi, ngày 11 tháng 8 năm 2025"]],
               borderless=True)


@pytest.mark.parametrize(
    ("text", "kind", "path", "letter"),
    [("2.1. Đổi mới", "path", "2.1", ""), ("2.1 Đổi mới", "path", "2.1", ""), ("a) Về", "letter", "", "a"),
     ("đ. Về", "letter", "", "đ"), ("(b) Về", "letter", "", "b"), ("2.2.đ) Về", "path_letter", "2.2", "đ"),
     ("II. Đánh giá", "roman", "", ""), ("Về xây dựng", "", "", "")],
)
def test_labels(text: str, kind: str, path: str, letter: str) -> None:
    label = parse_label(text)
    assert (label.kind, label.path, label.letter) == (kind, path, letter)


def test_inline_answers_leaders_and_khong_co(spec: OutlineSpec) -> None:
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996: Đã ban hành Kế hoạch số 10/KH-SYT.",
        "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ: ……………………;",
        "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác tại Bộ, địa phương (nếu có): Không có.",
    )
    s = read_outline(d, spec).sections
    assert (s["1.a"].text, s["1.a"].empty) == ("Đã ban hành Kế hoạch số 10/KH-SYT.", False)
    assert s["1.b"].empty and s["1.b"].text == ""
    assert (s["1.c"].text, s["1.c"].empty) == ("Không có.", False)


def test_letters_follow_their_parent_group(spec: OutlineSpec) -> None:
    d = doc(
        B("2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương:"),
        B("a) Về đầu tư hạ tầng kỹ thuật đo lường:"), "Đầu tư 12 phương tiện đo.",
        B("đ) Về thương mại hóa chất chuẩn:"), "Chưa triển khai.",
        B("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường:"),
        B("a) Tăng cường phối hợp với các Bộ, ngành:"), "Phối hợp tổ chức 02 hội nghị.",
    )
    s = read_outline(d, spec).sections
    assert s["2.2.a"].text == "Đầu tư 12 phương tiện đo."
    assert s["2.2.dd"].text == "Chưa triển khai."
    assert s["2.3.a"].text == "Phối hợp tổ chức 02 hội nghị."
    assert s["1.a"].empty and s["2.2.b"].empty


def test_auto_numbered_fifth_letter_is_dd(spec: OutlineSpec) -> None:
    d = doc(
        B("Tăng cường phát triển hạ tầng đo lường tại địa phương", numbering="2.2."),
        Para("Về nghiên cứu phát triển, thương mại hóa chất chuẩn, chuẩn đo lường, phương tiện đo:", numbering="e)"),
        "Nghiên cứu 01 chất chuẩn.",
    )
    assert read_outline(d, spec).sections["2.2.dd"].text == "Nghiên cứu 01 chất chuẩn."


def test_no_leak_between_neighbours_and_closing_goes_to_extra(spec: OutlineSpec) -> None:
    d = doc(
        B("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường"),
        B("b) Tăng cường công tác kiểm tra, đánh giá, rà soát"), "Kiểm tra 48 cơ sở.",
        B("2. Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025"),
        "Đơn vị tính: số lượng.",
        B("III. Khó khăn, vướng mắc"), "Thiếu kinh phí.",
        "Nơi nhận:", "- Như trên;", "GIÁM ĐỐC", "Nguyễn Văn An",
    )
    r = read_outline(d, spec)
    assert r.sections["2.3.b"].text == "Kiểm tra 48 cơ sở."
    assert "Thiếu kinh phí." in r.extra_text and "III. Khó khăn" in r.extra_text
    assert "Nơi nhận" not in r.extra_text and "Nguyễn Văn An" not in r.extra_text


def test_numbered_lists_inside_an_answer_stay_in_it(spec: OutlineSpec) -> None:
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        B("b) Về xây dựng văn bản quản lý, điều hành:"),
        "Đã ban hành các văn bản:",
        "1. Công văn số 99/SYT-NVY: tăng cường kiểm định;",
        "2. Công văn số 120/SYT-NVY: quản lý phương tiện đo.",
        B("c) Về lồng ghép các nhiệm vụ:"), "Không có.",
    )
    s = read_outline(d, spec).sections
    assert s["1.b"].text == (
        "Đã ban hành các văn bản: 1. Công văn số 99/SYT-NVY: tăng cường kiểm định; "
        "2. Công văn số 120/SYT-NVY: quản lý phương tiện đo."
    )
    assert s["1.c"].text == "Không có."


def test_identity_from_header_table(spec: OutlineSpec) -> None:
    ident = read_identity(doc(HEADER, "BÁO CÁO"), spec.agencies)
    assert (ident.agency.id, ident.agency.name) == ("soyt", "SỞ Y TẾ")
    assert (ident.doc_number, ident.doc_date) == ("245/BC-SYT", "2025-08-11")


@pytest.mark.parametrize(
    ("lines", "agency"),
    [
        (["UBND TỈNH QUẢNG NGÃI", "SỞ GD&ĐT"], "sogddt"),
        (["ỦY BAN NHÂN DÂN TỈNH QUẢNG NGÃI", "SỞ Y TẾ TỈNH QUẢNG NGÃI"], "soyt"),
        (["UBND TỈNH QUẢNG NGÃI", "BAN QUẢN LÝ KHU KINH TẾ DUNG QUẤT", "VÀ CÁC KHU CÔNG NGHIỆP QUẢNG NGÃI"], "bqlkkt"),
        (["SỞ Y TẾ", "TRUNG TÂM Y TẾ HUYỆN SƠN TỊNH"], None),
        (["QUÂN KHU 5", "BỘ CHỈ HUY QUÂN SỰ TỈNH QUẢNG NGÃI"], "bchqs"),
        (["ỦY BAN MTTQ VIỆT NAM", "TỈNH QUẢNG NGÃI", "BAN THƯỜNG TRỰC"], "mttq"),
        (["UBND TỈNH QUẢNG NGÃI", "VĂN PHÒNG"], "vpubnd"),
        (["TỔNG LĐLĐ VIỆT NAM", "LĐLĐ TỈNH QUẢNG NGÃI"], "ldld"),
        (["HỘI LHPN VIỆT NAM", "BAN CHẤP HÀNH HỘI LHPN TỈNH QUẢNG NGÃI"], "hlhpn"),
        (["BCH ĐOÀN TỈNH QUẢNG NGÃI"], "tinhdoan"),
        (["LIÊN MINH HTX VIỆT NAM", "LIÊN MINH HTX TỈNH QUẢNG NGÃI"], "lmhtx"),
        (["UBND TỈNH QUẢNG NGÃI", "SỞ CÔNG THƯƠNG", "PHÒNG QUẢN LÝ CÔNG NGHIỆP"], "soct"),
        (["BCH ĐOÀN TNCS HỒ CHÍ MINH", "TỈNH QUẢNG NGÃI"], "tinhdoan"),
        (["UBND TỈNH QUẢNG NGÃI", "SỞ NGOẠI VỤ"], None),
        (["UBND TỈNH QUẢNG NGÃI", "SỞ KẾ HOẠCH VÀ ĐẦU TƯ"], None),
    ],
)
def test_agency_names_aliases_and_unknown(spec: OutlineSpec, lines: list[str], agency: str | None) -> None:
    ident = read_identity(doc(Table(rows=[["\n".join(lines), ""]], borderless=True)), spec.agencies)
    assert ident.agency.id == agency
    if agency is None:  # not a recipient: no id, the name kept as written
        assert ident.agency.name == lines[-1]


def test_agency_from_opening_sentence(spec: OutlineSpec) -> None:
    d = doc("BÁO CÁO", "Thực hiện Văn bản số 1520/SKHCN-TĐC, Sở Tài chính báo cáo như sau:")
    assert read_identity(d, spec.agencies, body_lines=[p.text for p in d.paragraphs]).agency.id == "sotc"


def test_numbers_and_dates() -> None:
    assert find_number(["Số: 245 /BC-SYT"]) == "245/BC-SYT"
    assert find_number(["Số 1802/BC-CAT-PC03"]) == "1802/BC-CAT-PC03"
    assert find_number(["Số:      /SKHCN-TĐC"]) is None
    assert find_number(["Thực hiện Văn bản số 2199/UBND-KGVX ngày 18 tháng 4 năm 2025 của Ủy ban nhân dân tỉnh"]) is None
    assert find_date(["Quảng Ngãi, ngày 11 tháng 8 năm 2025"]) == "2025-08-11"
    assert find_date(["Quảng Ngãi, ngày 05 tháng 08 năm 2025"]) == "2025-08-05"
    assert find_date(["Kon Tum, 11/8/2025"]) == "2025-08-11"
    assert find_date(["Quảng Ngãi, ngày 31 tháng 2 năm 2025"]) is None


def test_kinds(spec: OutlineSpec) -> None:
    nil = doc(HEADER, "V/v báo cáo sơ kết Đề án 996",
              "Sở Y tế không được giao nhiệm vụ tại Kế hoạch số 101/KH-UBND nên không có nội dung báo cáo.")
    invite = doc(HEADER, "GIẤY MỜI", "Trân trọng kính mời đồng chí dự hội nghị về đo lường.", "Thời gian: 8 giờ.")
    other = doc(HEADER, "BÁO CÁO", "Kết quả công tác cải cách hành chính quý III.", "1. Công tác chỉ đạo: ban hành 04 văn bản.")
    results = [interpret(d, spec, file="x.docx", fmt="docx") for d in (nil, invite, other)]
    assert [r.kind for r in results] == ["nil_report", "not_a_report", "not_a_report"]
    for r in results:
        assert all(s.empty for s in r.sections.values()) and set(r.sections) == {s.id for s in spec.sections}
        assert all(i.plan is None and i.result is None for i in r.indicators.values())
        assert r.agency.id == "soyt"


def test_pdf_like_header_lines_split_at_the_motto(spec: OutlineSpec) -> None:
    d = doc(
        "UBND TỈNH QUẢNG NGÃI CỘNG HÒA XÃ HỘI CHỦ",
        "NGHĨA VIỆT NAM SỞ Y TẾ Độc lập - Tự do - Hạnh phúc",
        "Độc lập - Tự do - Hạnh phúc Số: 245/BC-SYT Quảng Ngãi, ngày 11 tháng 8 năm 2025",
        "BÁO CÁO",
    )
    ident = read_identity(d, spec.agencies)
    assert (ident.agency.id, ident.doc_number, ident.doc_date) == ("soyt", "245/BC-SYT", "2025-08-11")


def test_legacy_text_without_fonts_and_broken_pdf_lines(spec: OutlineSpec) -> None:
    from parsers.vnlegacy import from_unicode

    tcvn = [from_unicode(x, "tcvn3") for x in (
        "Ủy ban nhân dân tỉnh", "Sở Tài chính", "Số: 312/BC-STC",
        "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:",
        "Đã ban hành 03 văn bản chỉ đạo điều hành.",
    )]
    d = doc(Table(rows=[["\n".join(tcvn[:3]), ""]], borderless=True), B("1. Công tác lãnh đạo, chỉ đạo"), B(tcvn[3]), tcvn[4])
    r = interpret(d, spec, file="x.pdf", fmt="pdf")
    assert r.agency.id == "sotc" and r.doc_number == "312/BC-STC"
    assert r.sections["1.b"].text == "Đã ban hành 03 văn bản chỉ đạo điều hành."
    broken = doc(
        B("1. Công tác lãnh đạo, chỉ đạo"),
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện",
        "đề án 996: Đã ban hành Kế hoạch số 10/KH-SYT ngày 1/2/2022 triển khai",
        "trong toàn ngành.",
    )
    r = interpret(broken, spec, file="x.pdf", fmt="pdf")
    assert r.sections["1.a"].text == "Đã ban hành Kế hoạch số 10/KH-SYT ngày 1/2/2022 triển khai trong toàn ngành."


def test_answer_after_a_dash_but_not_a_year_range(spec: OutlineSpec) -> None:
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996 – Sở đã ban hành Kế hoạch số 10/KH-SYT.",
        B("2. Kết quả thực hiện theo từng nhóm, nhiệm vụ, giải pháp thuộc Đề án 996 từ năm 2018 - 2025"),
        B("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường"),
        B("b) Tăng cường công tác kiểm tra, đánh giá, rà soát"),
        "Kiểm tra 12 cơ sở trong giai đoạn 2018 - 2025.",
    )
    s = read_outline(d, spec).sections
    assert s["1.a"].text == "Sở đã ban hành Kế hoạch số 10/KH-SYT."
    assert s["2.3.b"].text == "Kiểm tra 12 cơ sở trong giai đoạn 2018 - 2025."


def test_uppercase_title_is_not_an_organisation(spec: OutlineSpec) -> None:
    d = doc("BÁO CÁO", "KẾT QUẢ THAM GIA THỰC HIỆN ĐỀ ÁN 996",
            "Ban Thường vụ Hội Nông dân tỉnh báo cáo kết quả tham gia thực hiện Đề án 996 như sau:")
    ident = read_identity(d, spec.agencies, body_lines=[p.text for p in d.paragraphs])
    assert ident.agency.id == "hnd"


def test_agency_from_signature_block(spec: OutlineSpec) -> None:
    d = doc("BÁO CÁO", "Kết quả thực hiện Đề án 996 trong năm qua được tổng hợp như sau.")
    ident = read_identity(d, spec.agencies, signature_lines=["TM. BAN THƯỜNG VỤ", "HỘI CỰU CHIẾN BINH TỈNH", "CHỦ TỊCH"])
    assert ident.agency.id == "hccb" and ident.agency.score < 1


def test_assessment_inside_an_answer_stays_in_it(spec: OutlineSpec) -> None:
    d = doc(
        B("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường"),
        B("b) Tăng cường công tác kiểm tra, đánh giá, rà soát:"),
        "Kiểm tra 48 cơ sở.",
        "Đánh giá: công tác kiểm tra được thực hiện thường xuyên.",
        "3. Kiến nghị: tăng kinh phí kiểm tra.",
        B("III. KHÓ KHĂN, VƯỚNG MẮC"),
        "Thiếu kinh phí.",
    )
    r = read_outline(d, spec)
    assert r.sections["2.3.b"].text == (
        "Kiểm tra 48 cơ sở. Đánh giá: công tác kiểm tra được thực hiện thường xuyên. 3. Kiến nghị: tăng kinh phí kiểm tra."
    )
    assert r.extra_text == "III. KHÓ KHĂN, VƯỚNG MẮC Thiếu kinh phí."


def test_plain_closing_heading_with_colon(spec: OutlineSpec) -> None:
    d = doc(B("2.3. Nâng cao hiệu quả công tác quản lý nhà nước về đo lường"),
            B("b) Tăng cường công tác kiểm tra, đánh giá, rà soát:"), "Kiểm tra 48 cơ sở.",
            "Khó khăn, vướng mắc:", "Thiếu kinh phí.")
    r = read_outline(d, spec)
    assert r.sections["2.3.b"].text == "Kiểm tra 48 cơ sở."
    assert r.extra_text == "Khó khăn, vướng mắc: Thiếu kinh phí."


def test_plain_short_headings_without_labels(spec: OutlineSpec) -> None:
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        "Xây dựng và triển khai kế hoạch thực hiện Đề án 996",
        "Sở đã ban hành Kế hoạch số 10/KH-SYT.",
        "Ban hành văn bản chỉ đạo, điều hành",
        "Đã ban hành 03 công văn.",
    )
    s = read_outline(d, spec).sections
    assert (s["1.a"].text, s["1.b"].text) == ("Sở đã ban hành Kế hoạch số 10/KH-SYT.", "Đã ban hành 03 công văn.")


def test_pdf_document_code_cut_at_its_hyphen(spec: OutlineSpec) -> None:
    d = doc(B("1. Công tác lãnh đạo, chỉ đạo"), B("b) Về xây dựng văn bản quản lý, điều hành:"),
            "Công văn số 345/SYT- KHTC ngày 12/6/2023 và số 12/BC-SYT- VP trong giai đoạn 2018- 2025.")
    r = interpret(d, spec, file="x.pdf", fmt="pdf")
    assert r.sections["1.b"].text == "Công văn số 345/SYT-KHTC ngày 12/6/2023 và số 12/BC-SYT-VP trong giai đoạn 2018- 2025."


def test_a_capitalised_last_answer_is_not_a_signature(spec: OutlineSpec) -> None:
    d = doc(B("2.5. Công tác truyền thông"), B("a) Về công tác tuyên truyền, phổ biến tại hội nghị, hội thảo:"),
            "Tổ chức 04 hội nghị.", B("b) Về đưa tin, viết bài tuyên truyền:"), "KHÔNG CÓ")
    r = read_outline(d, spec)
    assert r.sections["2.5.b"].text == "KHÔNG CÓ"
    signed = doc(*d.blocks, "GIÁM ĐỐC", "Nguyễn Văn An")
    r = read_outline(signed, spec)
    assert r.sections["2.5.b"].text == "KHÔNG CÓ" and r.signature_lines == ["GIÁM ĐỐC", "Nguyễn Văn An"]


def test_subject_line_v_v_is_not_a_roman_numeral(spec: OutlineSpec) -> None:
    assert parse_label("V/v báo cáo sơ kết Đề án 996").kind == ""
    assert parse_label("I/ TÌNH HÌNH TRIỂN KHAI").kind == "roman"
    nil = doc(HEADER, "V/v báo cáo sơ kết Đề án 996", "Kính gửi: Sở Khoa học và Công nghệ",
              "Sở Y tế không được giao nhiệm vụ nên không có nội dung báo cáo.")
    r = interpret(nil, spec, file="x.docx", fmt="docx")
    assert r.kind == "nil_report" and r.extra_text == "Sở Y tế không được giao nhiệm vụ nên không có nội dung báo cáo."


def test_unicode_document_with_ellipses_is_not_decoded_as_tcvn3(spec: OutlineSpec) -> None:
    d = doc(B("2.4. Triển khai công tác hỗ trợ doanh nghiệp đảm bảo chất lượng sản phẩm hàng hóa"),
            "a) Triển khai Chương trình đảm bảo đo lường theo Quyết định 510/QĐ-BKHCN…………… Không phát sinh.",
            "b) Kiểm định, hiệu chuẩn cho doanh nghiệp: Không có.")
    r = interpret(d, spec, file="x.pdf", fmt="pdf")
    assert (r.sections["2.4.a"].text, r.sections["2.4.b"].text) == ("Không phát sinh.", "Không có.")


@pytest.mark.parametrize(
    ("line", "number"),
    [("Số: 245 / BC - SYT", "245/BC-SYT"), ("SỐ: 55/KH-SCT", "55/KH-SCT"), ("Số: 07/2025/BC-UBND", "07/2025/BC-UBND"),
     ("Số: 245/BC–SYT", "245/BC-SYT"), ("Số: 12/UBND-KT V/v gửi báo cáo", "12/UBND-KT"), ("Số: 1/KH-ỦMTVN", "1/KH-ỦMTVN")],
)
def test_number_variants(line: str, number: str) -> None:
    assert find_number([line]) == number


def test_answer_after_the_heading_sentence(spec: OutlineSpec) -> None:
    d = doc(
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996. Sở đã ban hành Kế hoạch số 10/KH-SYT.",
        "b) Ban hành văn bản chỉ đạo, điều hành. Đã ban hành 03 công văn.",
        "c) Về lồng ghép các nhiệm vụ. Năm 2022 lồng ghép với chương trình chuyển đổi số.",
    )
    s = read_outline(d, spec).sections
    assert s["1.a"].text == "Sở đã ban hành Kế hoạch số 10/KH-SYT."
    assert s["1.b"].text == "Đã ban hành 03 công văn."
    assert s["1.c"].text == "Năm 2022 lồng ghép với chương trình chuyển đổi số."


def test_report_after_a_cover_letter_in_the_same_file(spec: OutlineSpec) -> None:
    d = doc(
        HEADER, "V/v gửi báo cáo sơ kết Đề án 996", "Kính gửi: Sở Khoa học và Công nghệ",
        "Sở Y tế gửi kèm theo đây Báo cáo kết quả thực hiện Đề án 996.",
        "Nơi nhận:", "- Như trên;", "GIÁM ĐỐC", "Nguyễn Văn An",
        B("BÁO CÁO"), B("Kết quả thực hiện Đề án 996"),
        B("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện"),
        B("a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch:"), "Ban hành Kế hoạch số 10/KH-SYT.",
        "Nơi nhận:", "- Sở KH&CN;", "GIÁM ĐỐC", "Nguyễn Văn An",
        B("PHỤ LỤC: DANH SÁCH CƠ SỞ ĐÃ KIỂM TRA"), "Cơ sở A; cơ sở B.",
    )
    r = interpret(d, spec, file="x.docx", fmt="docx")
    assert r.kind == "report" and r.sections["1.a"].text == "Ban hành Kế hoạch số 10/KH-SYT."
    assert "Cơ sở A; cơ sở B." in r.extra_text and "Nguyễn Văn An" not in r.extra_text


def test_prose_prefers_the_agency_that_reports(spec: OutlineSpec) -> None:
    d = doc("BÁO CÁO", "Phối hợp với Sở Nông nghiệp và Môi trường, Sở Y tế báo cáo kết quả thực hiện Đề án 996 như sau:")
    assert read_identity(d, spec.agencies, body_lines=[p.text for p in d.paragraphs]).agency.id == "soyt"


def _plain_doc(paras: list[tuple[str, bool]]) -> Doc:
    return Doc(blocks=[Para(t, bold=b, where=f"đoạn {i}") for i, (t, b) in enumerate(paras, 1)])


_OPENING = [
    ("UBND TỈNH QUẢNG NGÃI", False), ("SỞ Y TẾ", False), ("Số: 1/BC-SYT", False),
    ("BÁO CÁO", True), ("Kết quả thực hiện Đề án 996", True),
    ("I. TÌNH HÌNH TRIỂN KHAI VÀ KẾT QUẢ THỰC HIỆN ĐỀ ÁN 996", True),
    ("1. Công tác lãnh đạo, chỉ đạo", True),
    ("a) Về xây dựng kế hoạch: Đã ban hành kế hoạch 12.", False),
    ("2. Kết quả thực hiện", True),
]


def test_label_alone_places_unfilled_and_shortened_headings(spec: OutlineSpec) -> None:
    result = interpret(
        _plain_doc([
            *_OPENING,
            ("2.1. Đổi mới chính sách", True),
            ("a) ……………………………………", False),
            ("b) Chuẩn hóa năng lực: Không có.", False),
            ("2.2. Hạ tầng", True),
            ("a) Đầu tư: Có đầu tư 3 thiết bị.", False),
        ]),
        spec, file="x.docx", fmt="docx",
    )
    s = result.sections
    assert s["2.1.a"].empty and s["2.1.a"].where == "đoạn 11"
    assert s["2.1.b"].text == "Không có."
    assert s["2.2.a"].text == "Có đầu tư 3 thiết bị."
    assert "a)" not in result.extra_text
    missing = {p.message.split()[4] for p in result.problems if p.code == "section_not_found"}
    assert not missing & {"1.a", "2.1.a", "2.1.b", "2.2.a"}


def test_a_list_inside_an_answer_stays_in_it(spec: OutlineSpec) -> None:
    result = interpret(
        _plain_doc([
            *_OPENING[:-1],
            ("b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:", True),
            ("Sở đã ban hành các văn bản sau", False),
            ("a) Công văn số 10/SYT hướng dẫn kiểm định thiết bị", False),
            ("b) Công văn số 11/SYT về tập huấn", False),
        ]),
        spec, file="x.docx", fmt="docx",
    )
    assert "Công văn số 11/SYT" in result.sections["1.b"].text
    assert result.sections["1.c"].empty


def test_a_missing_section_is_named_as_the_outline_writes_it(spec: OutlineSpec) -> None:
    """Staff read the problem on the agency page and in the Excel "Vấn đề" sheet: 2.2.đ, not
    the canonical key 2.2.dd."""
    result = interpret(_plain_doc([*_OPENING, ("2.2. Hạ tầng", True), ("a) Đầu tư: Có đầu tư 3 thiết bị.", False)]),
                       spec, file="x.docx", fmt="docx")
    messages = [p.message for p in result.problems if p.code == "section_not_found"]
    assert any(m.startswith("Không tìm thấy mục 2.2.đ (") for m in messages), messages
    assert not any("2.2.dd" in m for m in messages)
