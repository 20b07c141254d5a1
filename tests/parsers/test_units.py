"""Units, bounds and breakdown lines of the quantitative table, in Word and Excel (generated
variants), and an explicit none kept when an appendix joins its report."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import openpyxl
import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.document import Table
from parsers.model import Agency, Indicator, IndicatorValue, OutlineSpec, ParseResult, RowSpec
from parsers.responses import Candidate, Unit
from parsers.table import read_indicators
from tests.parsers.outline_rows import LABELS

ROOT = Path(__file__).resolve().parents[2]
PLAN, RESULT, RATE = "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


@pytest.fixture(scope="module")
def rows(spec: OutlineSpec) -> tuple[RowSpec, ...]:
    return spec.rows


def _xlsx(unit_row_1: str, *, merged: bool) -> bytes:
    """The soct layout: "Đơn vị tính" merged over two header rows, the values' names below."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["SỞ CÔNG THƯƠNG TỈNH QUẢNG NGÃI"])
    ws.append(["BIỂU TỔNG HỢP SỐ LIỆU ĐỊNH LƯỢNG KẾT QUẢ LUỸ KẾ ĐẠT ĐƯỢC TỪ NĂM 2018 - 2025"])
    ws.append(["TT", "Nội dung", "Đơn vị tính", "Giai đoạn 2018 - 2025", None, None, "Ghi chú"])
    ws.append([None, None, None, PLAN, RESULT, RATE, None])
    if merged:
        for col in "ABCG":
            ws.merge_cells(f"{col}3:{col}4")
        ws.merge_cells("D3:F3")
    units = {"1": unit_row_1, "2": "chất chuẩn", "3": "nhiệm vụ", "4": "người", "5": "doanh nghiệp",
             "6": "phương tiện", "7": "người"}
    values = {"1": ("1.500", "1.350,5", "90,03"), "2": ("Không", "Không", None), "3": (1, 1, 100), "4": (10, 12, 120),
              "5": (60, 72, 120), "6": ("2.400", "2.160", "90"), "7": (0, 0, None)}
    for rid, label in LABELS.items():
        ws.append([rid, label, units[rid], *values[rid], None])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("merged", [True, False])
@pytest.mark.parametrize("unit", ["triệu đồng", "Tr.đồng", "tỷ đồng"])
def test_unit_column_of_an_xlsx_is_read(spec: OutlineSpec, unit: str, merged: bool) -> None:
    result = parse_bytes(_xlsx(unit, merged=merged), "Bieu_so_lieu.xlsx", spec)
    assert result.error is None
    one = result.indicators["1"]
    assert (one.plan, one.result, one.unit) == (1500, 1350.5, unit)
    assert one.values["plan"].unit == unit and one.values["result"].unit == unit
    assert result.indicators["5"].unit == "doanh nghiệp"
    assert result.indicators["2"].explicit_none
    assert result.indicators["1"].label.startswith("Đầu tư chuẩn đo lường")  # not the unit column


def _docx(header_result: str, row7: tuple[str, str, str], extra: list[list[str]] = ()) -> bytes:
    d = docx.Document()
    d.add_paragraph("ỦY BAN MTTQ VIỆT NAM TỈNH QUẢNG NGÃI")
    d.add_paragraph("2. Định lượng kết quả luỹ kế đạt được từ năm 2018- 2025")
    grid = [["TT", "Nội dung", "Kế hoạch đến năm 2025", header_result, "Tỷ lệ (%)"]]
    for rid, label in LABELS.items():
        grid.append([rid, label, *(row7 if rid == "7" else ("", "", ""))])
        if rid == "6":
            grid += [list(r) for r in extra]
    table = d.add_table(rows=len(grid), cols=5)
    for i, r in enumerate(grid):
        for j, text in enumerate(r):
            table.cell(i, j).text = text
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize(("header", "factor", "base"), [("(nghìn lượt)", 1000, "lượt"), ("(triệu đồng)", 10**6, "đồng")])
def test_a_scale_in_one_value_header_is_applied_and_flagged(spec: OutlineSpec, header: str, factor: int, base: str) -> None:
    """«Kết quả đến năm 2025 (nghìn lượt)»: 1,8 there is 1.800 lượt, never 1,8 with only a
    decimal doubt; the plan column names no scale, so a person checks both (number_scaled)."""
    data = _docx(f"Kết quả đến năm 2025 {header}", ("1,5", "1,8", "120"))
    result = parse_bytes(data, "BC996.docx", spec)
    seven = result.indicators["7"]
    assert seven.result == 1.8 * factor and seven.plan == 1.5
    assert seven.values["result"].unit == base and seven.values["plan"].unit == ""
    scaled = [p for p in result.problems if p.code == "number_scaled"]
    assert len(scaled) == 1 and "Kết quả" in scaled[0].message and "Kế hoạch" in scaled[0].message
    assert any(p.code == "rate_inconsistent" for p in result.problems)


def test_one_scaled_unit_over_both_value_columns_is_the_rows_unit(spec: OutlineSpec) -> None:
    """«Kế hoạch (nghìn lượt)» and «Kết quả (nghìn lượt)»: the figures are in that unit (kept
    as written, no doubt raised); the report converts them when it adds them to others."""
    d = docx.Document()
    grid = [["TT", "Nội dung", "Kế hoạch đến năm 2025 (nghìn lượt)", "Kết quả đến năm 2025 (nghìn lượt)", "Tỷ lệ (%)"]]
    grid += [[rid, label, *(("1,5", "1,8", "120") if rid == "7" else ("", "", ""))] for rid, label in LABELS.items()]
    table = d.add_table(rows=len(grid), cols=5)
    for i, r in enumerate(grid):
        for j, text in enumerate(r):
            table.cell(i, j).text = text
    buf = io.BytesIO()
    d.save(buf)
    result = parse_bytes(buf.getvalue(), "BC996.docx", spec)
    seven = result.indicators["7"]
    assert (seven.plan, seven.result, seven.unit) == (1.5, 1.8, "nghìn lượt")
    assert seven.values["plan"].unit == seven.values["result"].unit == "nghìn lượt"
    codes = {p.code for p in result.problems}
    assert not codes & {"number_scaled", "count_not_integer", "rate_inconsistent"}


def test_a_unit_without_scale_in_both_headers_is_the_rows_unit(spec: OutlineSpec) -> None:
    d = _docx("Kết quả đến năm 2025 (người)", ("150", "120", "80"))
    result = parse_bytes(d, "BC996.docx", spec)
    assert result.indicators["7"].result == 120 and result.indicators["7"].values["result"].unit == "(người)".strip("()")
    assert not any(p.code == "number_scaled" for p in result.problems)


def test_breakdown_lines_are_no_total_rows(spec: OutlineSpec) -> None:
    """"- Công tơ điện" under row 6 (folded, "Công" is "Cộng") is a breakdown line, not a total;
    a "Tổng cộng" over rows and their breakdowns adds the rows only."""
    extra = [["", "Trong đó: - Cân thương mại", "300", "310", "103,3"], ["", "- Công tơ điện", "200", "210", "105"]]
    d = docx.Document()
    grid = [["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ (%)"]]
    for rid, label in LABELS.items():
        grid.append([rid, label, *(("500", "520", "104") if rid == "6" else ("3", "3", "100") if rid == "4" else ("", "", ""))])
        if rid == "6":
            grid += extra
    grid.append(["", "Tổng cộng", "503", "523", ""])
    table = d.add_table(rows=len(grid), cols=5)
    for i, r in enumerate(grid):
        for j, text in enumerate(r):
            table.cell(i, j).text = text
    buf = io.BytesIO()
    d.save(buf)
    result = parse_bytes(buf.getvalue(), "BC.docx", spec)
    assert result.indicators["6"].plan == 500
    assert not [p for p in result.problems if p.code == "total_mismatch"]
    assert [e.label for e in result.extra_rows] == ["Trong đó: - Cân thương mại", "- Công tơ điện"]


def test_a_wrong_total_still_flagged_without_breakdowns(rows: tuple[RowSpec, ...]) -> None:
    grid = [["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"]]
    grid += [["4", LABELS["4"], "3", "3", "100"], ["6", LABELS["6"], "500", "520", "104"],
             ["", "- Công tơ điện", "200", "210", "105"], ["", "Cộng", "900", "523", ""]]
    problems = [p for p in read_indicators([Table(grid)], rows).problems if p.code == "total_mismatch"]
    assert len(problems) == 1 and "«Cộng»" in problems[0].message and "503" in problems[0].message


@pytest.mark.parametrize("raw", ["Trên 1.200", "hơn 1.200", "khoảng 1.200", "1.200+", "1.200 trở lên", "> 1.200"])
def test_a_bound_or_estimate_is_flagged(rows: tuple[RowSpec, ...], raw: str) -> None:
    grid = [["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"], ["7", LABELS["7"], "1.000", raw, ""]]
    reading = read_indicators([Table(grid)], rows)
    seven = reading.indicators["7"]
    assert seven.result == 1200 and seven.values["result"].confidence < 1.0
    (approx,) = [p for p in reading.problems if p.code == "number_approximate"]
    assert raw in approx.message and "Kết quả" in approx.message


def test_an_exact_figure_is_no_estimate(rows: tuple[RowSpec, ...]) -> None:
    grid = [["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"], ["7", LABELS["7"], "1.000", "1.200 người", ""]]
    assert not [p for p in read_indicators([Table(grid)], rows).problems if p.code == "number_approximate"]


def _result(file: str, indicators: dict[str, Indicator], number: str | None = None) -> ParseResult:
    return ParseResult(file=file, format="docx", kind="report", agency=Agency("soct", None, 0.9), doc_number=number,
                       sha256=file, indicators=indicators)


def _none_row() -> Indicator:
    ind = Indicator(raw={"plan": "Không", "result": "Không"})
    ind.values = {"plan": IndicatorValue(None, "explicit_none", "Không"), "result": IndicatorValue(None, "explicit_none", "Không")}
    return ind


def test_an_explicit_none_of_the_appendix_survives_the_join() -> None:
    """The report's table leaves row 2 blank, its appendix says «Không/Không»: after the join
    row 2 is answered (an explicit none), as the appendix parsed alone says."""
    main = _result("BC_210.docx", {"1": Indicator(), "2": Indicator()}, "210/BC-SCT")
    appendix = _result("Bieu.xlsx", {"1": Indicator(plan=1500, result=1350.5), "2": _none_row()})
    merged = Unit("report", "k", None, Candidate(main, 0), companions=[Candidate(appendix, 1)]).merged()  # type: ignore[arg-type]
    assert merged is not None
    assert merged.indicators["2"].explicit_none and merged.indicators["2"].answered
    assert merged.indicators["1"].plan == 1500


def test_figures_of_the_report_are_not_replaced_by_an_explicit_none() -> None:
    main = _result("BC.docx", {"2": Indicator(plan=3, result=2)}, "210/BC-SCT")
    appendix = _result("Bieu.xlsx", {"2": _none_row()})
    merged = Unit("report", "k", None, Candidate(main, 0), companions=[Candidate(appendix, 1)]).merged()  # type: ignore[arg-type]
    assert merged is not None and (merged.indicators["2"].plan, merged.indicators["2"].explicit_none) == (3, False)


def test_two_files_of_one_report_with_different_figures_raise_a_blocking_problem() -> None:
    """A Word file and its signed PDF, same number 47/BC-HLHPN, row 4 result 9 vs 12 and row 7
    15 vs 18: a figures_differ problem (blocking) names both files and values."""
    from parsers.model import BLOCKING_PROBLEMS

    word = _result("BC996_word.docx", {"4": Indicator(plan=10, result=9), "7": Indicator(plan=15, result=15)}, "47/BC-HLHPN")
    pdf = _result("BC996_da_ky.pdf", {"4": Indicator(plan=10, result=12), "7": Indicator(plan=15, result=18)}, "47/BC-HLHPN")
    pdf.signatures = ["signed"]
    merged = Unit("report", "k", None, Candidate(word, 0), companions=[Candidate(pdf, 1)]).merged()  # type: ignore[arg-type]
    assert merged is not None
    (differ,) = [p for p in merged.problems if p.code == "figures_differ"]
    assert differ.code in BLOCKING_PROBLEMS
    for text in ("BC996_word.docx", "BC996_da_ky.pdf (bản ký số)", "dòng 4 kết quả 9 / 12", "dòng 7 kết quả 15 / 18"):
        assert text in differ.message
    assert "kế hoạch" not in differ.message  # plans agree
    assert merged.indicators["4"].result == 9  # kept, flagged, until a person decides


def test_copies_with_the_same_figures_or_another_number_raise_nothing() -> None:
    word = _result("BC.docx", {"4": Indicator(plan=10, result=9)}, "47/BC-HLHPN")
    same = _result("BC.pdf", {"4": Indicator(plan=10, result=9), "5": Indicator(plan=3, result=3)}, "47 / BC-HLHPN")
    other = _result("Khac.pdf", {"4": Indicator(plan=10, result=12)}, "48/BC-HLHPN")
    for companion in (same, other):
        merged = Unit("report", "k", None, Candidate(word, 0), companions=[Candidate(companion, 1)]).merged()  # type: ignore[arg-type]
        assert merged is not None and not [p for p in merged.problems if p.code == "figures_differ"]


def test_an_agency_unit_against_the_outline_unit(rows: tuple[RowSpec, ...]) -> None:
    """The outline names row 1 "Triệu đồng": "tỷ đồng" is another scale (a note, the report
    converts), "chuẩn" another kind (blocking unit_mismatch); the figures stay as read."""
    from dataclasses import replace

    from parsers.model import BLOCKING_PROBLEMS

    shaped = tuple(replace(r, unit="Triệu đồng") if r.id == "1" else r for r in rows)
    for unit, code in (("tỷ đồng", "unit_converted"), ("chuẩn", "unit_mismatch"), ("Tr.đồng", None)):
        grid = [["TT", "Nội dung", "Đơn vị tính", "Kế hoạch", "Kết quả", "Tỷ lệ"], ["1", LABELS["1"], unit, "2", "1", ""]]
        reading = read_indicators([Table(grid)], shaped)
        found = [p for p in reading.problems if p.code.startswith("unit_")]
        assert reading.indicators["1"].plan == 2
        assert [p.code for p in found] == ([code] if code else [])
        if code:
            assert found[0].message.startswith("Dòng 1:") and unit in found[0].message
            assert (code in BLOCKING_PROBLEMS) == (code == "unit_mismatch")
