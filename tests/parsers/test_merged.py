"""`Unit.merged` keeps everything a joined file has that the main file leaves unanswered, each
item with the file it was read from (pure; the end-to-end joins: tests/integration/test_join_keeps.py)."""

from __future__ import annotations

from parsers.model import ExtraRow, Indicator, IndicatorValue, ParseResult, SectionText
from parsers.responses import Candidate, Unit


def _row(plan: float, result: float, where: str) -> Indicator:
    values = {r: IndicatorValue(v, "read", str(v), f"{where}, cột {c}") for r, v, c in (("plan", plan, 3), ("result", result, 4))}
    return Indicator(plan, result, where=where, values=values)


def _report() -> ParseResult:
    text = SectionText("đã triển khai", empty=False, where="đoạn 7")
    return ParseResult(
        file="BC 215.docx", kind="report", doc_number="215/BC-STP",
        sections={"1.a": text, "1.b": SectionText("đã ban hành", empty=False, where="đoạn 9")},
        indicators={"1": _row(3, 3, "bảng 2, dòng 3"), "4": _row(8, 8, "bảng 2, dòng 6")},
        closing={"kho_khan": SectionText("Kinh phí còn thấp.", empty=False, where="đoạn 50")},
        groups={"2.2": SectionText("Nhìn chung đã lồng ghép.", empty=False, where="đoạn 20")},
        extra_rows=[ExtraRow("Số văn bản được rà soát", 12, 9, where="bảng 2, dòng 11")],
        extra_text="Thực hiện Văn bản của Sở Khoa học và Công nghệ, Sở Tư pháp báo cáo như sau:",
    )


def _correction() -> ParseResult:
    empty = SectionText()
    return ParseResult(
        file="dieu chinh.xlsx", kind="report", sections={"1.a": empty, "1.b": empty},
        indicators={"1": Indicator(), "4": _row(8, 10, "trang tính 'Điều chỉnh', dòng 5")},
        closing={}, groups={},
    )


def test_a_correction_joined_to_its_report_keeps_the_reports_other_parts_and_their_files() -> None:
    merged = Unit("report", "", None, Candidate(_correction(), 0), companions=[Candidate(_report(), -1)]).merged()  # type: ignore[arg-type]
    assert merged is not None
    assert merged.indicators["4"].result == 10 and merged.indicators["4"].file == ""  # the correction's own
    one = merged.indicators["1"]
    assert (one.plan, one.file, {v.file for v in one.values.values()}) == (3, "BC 215.docx", {"BC 215.docx"})
    assert {k: (s.text, s.file) for k, s in merged.sections.items()} == {"1.a": ("đã triển khai", "BC 215.docx"), "1.b": ("đã ban hành", "BC 215.docx")}
    assert (merged.closing["kho_khan"].text, merged.closing["kho_khan"].file) == ("Kinh phí còn thấp.", "BC 215.docx")
    assert merged.groups["2.2"].file == "BC 215.docx"
    assert [(r.label, r.where) for r in merged.extra_rows] == [("Số văn bản được rà soát", "BC 215.docx › bảng 2, dòng 11")]
    assert merged.extra_text.startswith("Thực hiện Văn bản")


def test_the_main_files_own_answers_win_and_a_copy_adds_no_text() -> None:
    main, copy = _report(), _report()
    copy.file, copy.extra_text = "BC 215 (ký số).pdf", "Thực hiện Văn bản của Sở Khoa học và Công nghệ,\nSở Tư pháp báo cáo như sau: - 1 -"
    copy.closing["kho_khan"] = SectionText("Khác hẳn.", empty=False)
    copy.closing["kien_nghi"] = SectionText("Đề nghị hỗ trợ.", empty=False, where="trang 3")
    merged = Unit("report", "", None, Candidate(main, 0), companions=[Candidate(copy, 1)]).merged()  # type: ignore[arg-type]
    assert merged is not None
    assert merged.closing["kho_khan"].text == "Kinh phí còn thấp." and merged.closing["kho_khan"].file == ""
    assert (merged.closing["kien_nghi"].text, merged.closing["kien_nghi"].file) == ("Đề nghị hỗ trợ.", "BC 215 (ký số).pdf")
    assert merged.extra_text == main.extra_text and len(merged.extra_rows) == 1
