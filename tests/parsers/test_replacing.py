"""The replace rule (req. 5) as a pure decision."""

from __future__ import annotations

from parsers.model import ParseResult
from parsers.replacing import may_replace


def result(coverage: float, *, says: bool = False) -> ParseResult:
    return ParseResult(file="x.docx", kind="report", coverage=coverage, says_replaces=says, replaces_number="12/BC" if says else None)


def test_first_answer_is_always_taken():
    assert may_replace("report", result(0.0), None, min_coverage=0.2).replaces


def test_clear_coverage_or_a_new_version_replaces_and_a_thin_document_does_not():
    assert may_replace("report", result(0.8), "report", min_coverage=0.2, current_coverage=0.9).replaces
    assert may_replace("report", result(0.15), "report", min_coverage=0.2, current_coverage=0.15).replaces  # same depth
    thin = may_replace("report", result(0.06), "report", min_coverage=0.2, current_coverage=0.26)
    assert not thin.replaces and "6%" in thin.reason and "20%" in thin.reason
    assert not may_replace("report", result(0.1), "nil_report", min_coverage=0.2).replaces


def test_saying_it_replaces_is_enough_and_a_nil_after_a_report_is_doubtful():
    says = may_replace("report", result(0.05, says=True), "report", min_coverage=0.2, current_coverage=0.9)
    assert says.replaces and "12/BC" in says.reason
    assert not may_replace("nil_report", None, "report", min_coverage=0.2).replaces
    assert may_replace("nil_report", None, "nil_report", min_coverage=0.2).replaces
    assert not may_replace("report", None, "report", min_coverage=0.2).replaces  # nothing read


def test_far_below_the_current_report_or_naming_no_programme_is_a_doubt():
    from parsers.replacing import FAR_BELOW

    far = may_replace("report", result(0.3), "report", min_coverage=0.2, current_coverage=1.0)
    assert not far.replaces and "30%" in far.reason and "100%" in far.reason
    assert may_replace("report", result(FAR_BELOW + 0.01), "report", min_coverage=0.2, current_coverage=1.0).replaces
    other = may_replace("report", result(0.9), "report", min_coverage=0.2, current_coverage=0.9, names_programme=False)
    assert not other.replaces and "không nhắc tới chương trình" in other.reason
    # Saying it replaces the current report outweighs both.
    assert may_replace("report", result(0.1, says=True), "report", min_coverage=0.2, current_coverage=1.0, names_programme=False).replaces
    # Nothing to replace yet: the first answer is taken (whether it is this request's is another rule).
    assert may_replace("report", result(0.3), None, min_coverage=0.2, names_programme=False).replaces


def test_the_message_may_say_its_report_replaces_an_earlier_one():
    from parsers.replacing import message_says_replaces

    assert message_says_replaces("Công an tỉnh gửi lại báo cáo thay thế báo cáo đã gửi ngày 05/8.") == (True, None)
    assert message_says_replaces("Trường gửi báo cáo thay thế.")[0]
    assert message_says_replaces("Đề nghị Quý Sở dùng bản này thay thế bản đã gửi hôm qua")[0]
    assert message_says_replaces("Văn bản này thay thế Báo cáo số 12/BC-STP ngày 2/8/2025") == (True, "12/BC-STP")
    assert not message_says_replaces("Sở Tư pháp gửi báo cáo sơ kết Đề án 996 (đính kèm).")[0]
    assert not message_says_replaces("Đề nghị thay thế thiết bị đo đã cũ.")[0]


def test_naming_the_programme_and_citing_another_request():
    from parsers.replacing import cites_other_request, names_programme

    hints = ("996", "đề án 996", "đo lường", "SKHCN-TĐC")
    assert names_programme(frozenset({"de", "an", "996"}), [], hints)
    assert names_programme(frozenset(), ["Re: Báo cáo sơ kết Đề án 996"], hints)
    assert not names_programme(frozenset({"do", "luong", "kiem", "dinh"}), ["Báo cáo công tác đo lường năm 2025"], hints)
    assert names_programme(frozenset(), [], ("đo lường",))  # no distinctive word to check against
    assert cites_other_request(["Thực hiện Công văn số 1102/SKHCN-TĐC ngày 20/6/2025"], "1200/SKHCN-TĐC") == "1102/SKHCN-TDC"
    assert cites_other_request(["Thực hiện Công văn số 1200/SKHCN-TĐC"], "1200/SKHCN-TĐC") is None
    assert cites_other_request(["Công văn số 1102/SKHCN-TĐC"], "…/SKHCN-TĐC") is None  # ours not filled in: proves nothing
    assert cites_other_request(["Kế hoạch số 3144/KH-UBND"], "1200/SKHCN-TĐC") is None


def test_everyday_words_in_a_message_are_no_replacement():
    from parsers.replacing import message_says_replaces

    for text in (
        "Quyết định ban hành thay thế quyết định cũ về định mức.",
        "Đơn vị đã bán thay thế thiết bị cũ.",
        "Gửi báo cáo, đề nghị thay thế cán bộ đầu mối.",
    ):
        assert not message_says_replaces(text)[0], text
    assert message_says_replaces("Gửi bản sửa để thay thế bản đã gửi ngày 05/8.")[0]


def test_document_numbers_compare_however_they_are_written() -> None:
    """Independent review of 7 Dec: "233/BC.ĐHPVĐ" did not match "233/BC-ĐHPVĐ", and "88/BC-SXD"
    in a mail counted as naming report 8/BC-SXD."""
    from parsers.responses import names_number, number_key

    assert number_key("233/BC-ĐHPVĐ") == number_key("233 / BC.ĐHPVĐ") == number_key("233/BC ĐHPVĐ") == number_key("233/BC–ĐHPVĐ")
    assert number_key("233/BC-ĐHPVĐ") != number_key("23/BC-ĐHPVĐ")
    assert names_number("điều chỉnh số liệu Báo cáo số 8/BC-SXD ngày 10/6", "8/BC-SXD")
    assert names_number("kèm Báo cáo số 8 / BC.SXD.", "8/BC-SXD")
    assert not names_number("kèm Báo cáo số 88/BC-SXD năm 2024", "8/BC-SXD")
    assert not names_number("Báo cáo số 118/BC-SXD", "8/BC-SXD")
    assert not names_number("Báo cáo số 8/BC-SXDA", "8/BC-SXD")
    assert not names_number("", "8/BC-SXD") and not names_number("8/BC-SXD", None)


def test_a_report_citing_this_request_beside_another_answers_this_one() -> None:
    from parsers.replacing import cites_other_request

    both = ["Thực hiện Công văn số 1102/SKHCN-TĐC và Công văn số 980/SKHCN-TĐC của Sở"]
    assert cites_other_request(both, "1102/SKHCN-TĐC") is None
    assert cites_other_request(["Thực hiện Công văn số 980/SKHCN-TĐC"], "1102/SKHCN-TĐC") == "980/SKHCN-TDC"
