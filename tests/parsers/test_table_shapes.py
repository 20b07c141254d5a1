"""Table shapes that used to lose figures in silence (blind corpus of 7/12/2026), each made
here in several variations (wording, order, Word and Excel): a table on its side, a unit in the
"Ghi chú" column, percentages in a count row, results without a plan, a table typed as tabbed
lines, and a known agency's outline content that cannot be read as a report."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import docx
import openpyxl
import pytest

from config.campaign import Campaign, load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec, ParseResult
from parsers.units import note_unit
from reports.consolidate import AgencyReport, Figures, consolidate

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.datetime(2025, 8, 18, 10, 0, tzinfo=dt.UTC)

SHORT = {
    "1": "Đầu tư chuẩn đo lường, phương tiện đo",
    "3": "Nhiệm vụ KH&CN về đo lường",
    "4": "Cán bộ được bồi dưỡng, tập huấn về đo lường",
    "5": "Doanh nghiệp được cung cấp dịch vụ kiểm định, hiệu chuẩn",
    "6": "Phương tiện đo được kiểm định, hiệu chuẩn cho doanh nghiệp",
    "7": "Người tham dự đào tạo Chương trình bảo đảm đo lường",
}
LETTERHEAD = [
    "UBND TỈNH QUẢNG NGÃI",
    "SỞ CÔNG THƯƠNG",
    "Số: 77/BC-SCT          Quảng Ngãi, ngày 12 tháng 8 năm 2025",
    "BÁO CÁO",
    "Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025",
    "1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện",
    "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996: "
    "Sở đã ban hành Kế hoạch số 12/KH-SCT triển khai Đề án.",
    "2. Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025",
]


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaigns(ROOT / "config" / "campaigns")[0]


@pytest.fixture(scope="module")
def spec(campaign: Campaign) -> OutlineSpec:
    return outline_spec(campaign)


def word(grid: list[list[str]], *, lines: list[str] | None = None, head: list[str] = LETTERHEAD) -> bytes:
    d = docx.Document()
    for text in head:
        d.add_paragraph(text)
    for text in lines or []:
        d.add_paragraph(text)
    if grid:
        table = d.add_table(rows=len(grid), cols=max(len(r) for r in grid))
        for i, row in enumerate(grid):
            for j, cell in enumerate(row):
                table.cell(i, j).text = str(cell)
    d.add_paragraph("GIÁM ĐỐC")
    d.add_paragraph("Trần Văn Bình")
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def excel(grid: list[list[object]], *, head: list[str] = LETTERHEAD[:3]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    for text in head:
        ws.append([text])
    ws.append([])
    for row in grid:
        ws.append([None if c == "" else c for c in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def parse(data: bytes, name: str, spec: OutlineSpec) -> ParseResult:
    return parse_bytes(data, name, spec)


def codes(result: ParseResult) -> list[str]:
    return [p.code for p in result.problems]


def about_row(result: ParseResult, code: str, rid: str) -> bool:
    return any(p.code == code and f"Dòng {rid}:" in p.message for p in result.problems)


def make(fmt: str, grid: list[list[str]]) -> tuple[bytes, str]:
    if fmt == "docx":
        return word(grid), "bao_cao.docx"
    return excel(grid), "bao_cao.xlsx"


# ------------------------------------------------------------------ a table on its side

VALUES = {"1": (5, 4, 80), "3": (1, 1, 100), "4": (12, 15, 125), "6": (2500, 2750, 110), "7": (40, 35, 87.5)}
MEASURES = [
    ("Chỉ tiêu", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ (%)"),
    ("Nội dung", "KH giao", "Thực hiện", "% đạt"),
    ("Nhiệm vụ", "Chỉ tiêu giao 2018-2025", "Đạt được (lũy kế)", "Tỷ lệ hoàn thành"),
]


def _vn(x: float) -> str:
    return f"{x:g}".replace(".", ",")


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("words", MEASURES)
@pytest.mark.parametrize("order", [["1", "3", "4", "6", "7"], ["7", "4", "1", "6", "3"]])
def test_a_transposed_table_is_read_by_columns(spec: OutlineSpec, fmt: str, words: tuple[str, ...], order: list[str]) -> None:
    corner, plan, result, rate = words
    grid = [[corner, *(f"({rid}) {SHORT[rid]}" for rid in order)]]
    for k, name in enumerate((plan, result, rate)):
        grid.append([name, *(_vn(VALUES[rid][k]) for rid in order)])
    data, name = make(fmt, grid)
    parsed = parse(data, name, spec)
    assert parsed.kind == "report", codes(parsed)
    for rid, (p, r, t) in VALUES.items():
        ind = parsed.indicators[rid]
        assert (ind.plan, ind.result, ind.rate) == (p, r, t), rid
        # Each figure says where it is: the measure's row and the outline row's column.
        column = order.index(rid) + 2
        assert ind.values["plan"].where.endswith(f"cột {column}"), ind.values["plan"].where
    assert "table_transposed" in codes(parsed)


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_measures_down_the_second_column_after_a_number(spec: OutlineSpec, fmt: str) -> None:
    """A TT cell before each measure's name ("1 | Kế hoạch | 5 | …") is still a table on its side."""
    order = ["4", "6", "1"]
    grid = [["TT", "Chỉ tiêu", *(SHORT[r] for r in order)]]
    for k, name in enumerate(("Kế hoạch", "Kết quả", "Tỷ lệ %")):
        grid.append([str(k + 1), name, *(_vn(VALUES[r][k]) for r in order)])
    parsed = parse(*make(fmt, grid), spec)
    assert [(parsed.indicators[r].plan, parsed.indicators[r].result) for r in order] == [VALUES[r][:2] for r in order]


def test_an_ordinary_table_is_not_turned(spec: OutlineSpec) -> None:
    grid = [["TT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"]]
    grid += [[rid, SHORT[rid], *(_vn(v) for v in VALUES[rid])] for rid in ("1", "4", "6")]
    parsed = parse(word(grid), "x.docx", spec)
    assert "table_transposed" not in codes(parsed)
    assert parsed.indicators["6"].plan == 2500


# ------------------------------------------------------------------ never dropped in silence


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("measure", ["Đã làm được", "Số liệu"])
def test_outline_content_not_read_as_a_report_is_a_typed_problem(spec: OutlineSpec, fmt: str, measure: str) -> None:
    """The outline's table rows along a row, figures under them, no word naming Kế hoạch /
    Kết quả: not read, but never a plain "not a report" for the agency it names."""
    order = ["1", "4", "6"]
    grid = [["Nội dung", *(SHORT[r] for r in order)], [measure, *(_vn(VALUES[r][1]) for r in order)]]
    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ CÔNG THƯƠNG", "Số liệu Đề án 996"]
    data = word(grid, head=head) if fmt == "docx" else excel(grid, head=head)
    parsed = parse(data, f"so_lieu.{fmt}", spec)
    assert (parsed.agency.id, parsed.kind) == ("soct", "not_a_report")
    assert "report_not_recognised" in codes(parsed)
    message = next(p.message for p in parsed.problems if p.code == "report_not_recognised")
    assert "SỞ CÔNG THƯƠNG" in message and "3 dòng của bảng định lượng" in message


def test_an_unrelated_letter_of_an_agency_gets_no_such_problem(spec: OutlineSpec) -> None:
    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ CÔNG THƯƠNG", "Số: 15/GM-SCT", "GIẤY MỜI",
            "Trân trọng kính mời đại diện lãnh đạo dự họp giao ban tháng 9."]
    parsed = parse(word([], head=head), "giay_moi.docx", spec)
    assert parsed.kind == "not_a_report"
    assert "report_not_recognised" not in codes(parsed)


# ------------------------------------------------------------------ a unit in the note column

NOTE_UNITS = [
    ("tỷ đồng", "tỷ đồng"), ("Tỷ đồng", "Tỷ đồng"), ("ĐVT: triệu đồng", "triệu đồng"),
    ("Kinh phí, đơn vị: tỷ đồng", "tỷ đồng"), ("Kinh phí (triệu đồng)", "triệu đồng"),
]


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize(("note", "unit"), NOTE_UNITS)
def test_a_unit_in_the_note_column_is_the_rows_unit(spec: OutlineSpec, fmt: str, note: str, unit: str) -> None:
    grid = [
        ["TT", "Nội dung", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)", "Ghi chú"],
        ["1", SHORT["1"], "12,5", "10,75", "86", note],
        ["4", SHORT["4"], "30", "30", "100", "số liệu ước"],
    ]
    parsed = parse(*make(fmt, grid), spec)
    one = parsed.indicators["1"]
    assert (one.plan, one.result, one.unit) == (12.5, 10.75, unit)
    assert one.values["plan"].unit == unit
    assert parsed.indicators["4"].unit == ""  # a note that is no unit stays a note
    assert parsed.indicators["4"].note == "số liệu ước"


@pytest.mark.parametrize("note", ["kinh phí 300 triệu đồng", "Số liệu ước đến 31/12/2025", "Đã hoàn thành"])
def test_a_note_that_states_no_unit(note: str) -> None:
    assert note_unit(note) is None


def _figures(parsed: ParseResult, rid: str) -> Figures:
    ind = parsed.indicators[rid]
    return Figures(ind.plan, ind.result, ind.rate, unit=ind.unit)


@pytest.mark.parametrize("where", ["note", "unit column"])
def test_money_in_a_note_stays_out_of_the_totals_as_in_a_unit_column(
    spec: OutlineSpec, campaign: Campaign, where: str
) -> None:
    """The same billions in a "Ghi chú" or a "Đơn vị tính" column: out of the row's total
    (counted by the other agencies) with an open unit_mismatch, never added to their counts."""
    if where == "note":
        grid = [["TT", "Nội dung", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)", "Ghi chú"],
                ["1", SHORT["1"], "12,5", "10,75", "86", "tỷ đồng"]]
    else:
        grid = [["TT", "Nội dung", "Đơn vị tính", "Kế hoạch", "Thực hiện", "Tỷ lệ (%)"],
                ["1", SHORT["1"], "tỷ đồng", "12,5", "10,75", "86"]]
    parsed = parse(word(grid), "nnmt.docx", spec)
    agencies = [
        AgencyReport("a", "Sở A", state="submitted", figures={"1": Figures(3, 3, 100.0)}),
        AgencyReport("b", "Sở B", state="submitted", figures={"1": Figures(3, 0, 0.0)}),
        AgencyReport("nnmt", "Sở NNMT", state="submitted", figures={"1": _figures(parsed, "1")}),
    ]
    model = consolidate(campaign, agencies, as_of=AS_OF)
    total = model.totals_json()["1"]
    assert (total["plan"], total["result"]) == (6, 3)
    assert [p.agency for p in model.problems if p.code == "unit_mismatch"] == ["Sở NNMT"]


# ------------------------------------------------------------------ percentages in a count row

PERCENTS = [("100% cơ sở", "95%"), ("100 %", "90 %"), ("40", "80%")]


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize(("plan", "result"), PERCENTS)
def test_percentages_in_a_count_row_are_a_unit_mismatch(
    spec: OutlineSpec, campaign: Campaign, fmt: str, plan: str, result: str
) -> None:
    grid = [
        ["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"],
        ["5", SHORT["5"], plan, result, ""],
        ["7", SHORT["7"], "40", "44", "110%"],
    ]
    parsed = parse(*make(fmt, grid), spec)
    assert about_row(parsed, "unit_mismatch", "5"), codes(parsed)
    assert not about_row(parsed, "unit_mismatch", "7")
    assert parsed.indicators["5"].unit == "%"
    agencies = [
        AgencyReport("a", "Sở A", state="submitted", figures={"5": Figures(70, 84, 120.0)}),
        AgencyReport("yt", "Sở Y tế", state="submitted", figures={"5": _figures(parsed, "5")}),
    ]
    total = consolidate(campaign, agencies, as_of=AS_OF).totals_json()["5"]
    assert (total["plan"], total["result"]) == (70, 84)  # never 170 / 179 "enterprises"


def test_a_row_stated_in_percent_keeps_its_percentages(spec: OutlineSpec) -> None:
    grid = [
        ["TT", "Nội dung", "Đơn vị tính", "Kế hoạch", "Kết quả", "Tỷ lệ"],
        ["5", SHORT["5"], "%", "100%", "95%", "95%"],
    ]
    parsed = parse(word(grid), "x.docx", spec)
    assert not about_row(parsed, "unit_mismatch", "5")
    assert (parsed.indicators["5"].plan, parsed.indicators["5"].result) == (100, 95)


# ------------------------------------------------------------------ results without a plan

RESULT_HEADERS = ["Kết quả đạt được", "Thực hiện", "Kết quả (lũy kế 2018 - 2025)"]


LONG = {
    "5": "Số doanh nghiệp hội viên được cung cấp dịch vụ kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo",
    "6": "Số phương tiện đo, chuẩn đo lường của hội viên được kiểm định, hiệu chuẩn cho doanh nghiệp",
    "7": "Số hội viên tham dự các khóa đào tạo xây dựng và áp dụng Chương trình bảo đảm đo lường",
}


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
@pytest.mark.parametrize("header", RESULT_HEADERS)
@pytest.mark.parametrize("order", [["7", "5"], ["5", "6", "7"]])
@pytest.mark.parametrize("labels", [SHORT, LONG])
def test_a_results_only_table_gives_results_with_the_plan_missing(
    spec: OutlineSpec, fmt: str, header: str, order: list[str], labels: dict[str, str]
) -> None:
    results = {"5": "230", "6": "1.200", "7": "85"}
    grid = [["Nội dung", header, "Ghi chú"], *([labels[r], results[r], ""] for r in order)]
    parsed = parse(*make(fmt, grid), spec)
    assert parsed.kind == "report"
    for rid in order:
        ind = parsed.indicators[rid]
        assert (ind.plan, ind.result) == (None, float(results[rid].replace(".", ""))), rid
    assert "plan_missing" in codes(parsed) and "table_missing" not in codes(parsed)


@pytest.mark.parametrize("fmt", ["docx", "xlsx"])
def test_a_column_of_answers_in_words_is_no_results_table(spec: OutlineSpec, fmt: str) -> None:
    grid = [["Nội dung", "Kết quả thực hiện"],
            [SHORT["4"], "Cử cán bộ tham gia các lớp tập huấn do Tổng cục tổ chức."],
            [SHORT["7"], "Phối hợp tổ chức lớp đào tạo cho doanh nghiệp trên địa bàn."]]
    parsed = parse(*make(fmt, grid), spec)
    assert "plan_missing" not in codes(parsed)
    assert parsed.indicators["4"].result is None


# ------------------------------------------------------------------ a table typed as tabbed lines

TAB_HEADERS = [
    ("TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được"),
    ("STT", "Chỉ tiêu", "KH", "TH", "TH/KH (%)"),
]


@pytest.mark.parametrize("header", TAB_HEADERS)
@pytest.mark.parametrize("order", [["1", "4", "5", "6"], ["6", "5", "4", "1"]])
def test_tabbed_lines_are_read_as_a_table(spec: OutlineSpec, header: tuple[str, ...], order: list[str]) -> None:
    values = {"1": ("2", "2", "100%"), "4": ("25", "31", "124%"), "5": ("12", "14", "116,7%"), "6": ("120", "138", "115%")}
    lines = ["\t".join(header), *("\t".join([rid, SHORT[rid], *values[rid]]) for rid in order)]
    parsed = parse(word([], lines=lines), "sxd.docx", spec)
    for rid in order:
        ind = parsed.indicators[rid]
        assert (ind.plan, ind.result) == tuple(float(v) for v in values[rid][:2]), rid
    assert "table_from_text" in codes(parsed)


def test_tabbed_lines_of_other_text_stay_text(spec: OutlineSpec) -> None:
    lines = ["Nơi nhận:\tGIÁM ĐỐC", "- Sở KH&CN;\t(đã ký)", "- Lưu: VT.\tTrần Văn Bình"]
    parsed = parse(word([], lines=lines), "x.docx", spec)
    assert "table_from_text" not in codes(parsed)


def test_a_letter_commenting_on_a_draft_plan_gets_no_such_problem(spec: OutlineSpec) -> None:
    """One heading-like line of the outline in a known agency's letter on another document is
    no outline content: it stays a plain not-a-report."""
    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP", "Số: 1011/STP-XDKTVB",
            "V/v góp ý dự thảo Kế hoạch thực hiện Đề án 996 giai đoạn 2026 - 2030",
            "Sở Tư pháp nhận được dự thảo Kế hoạch thực hiện Đề án 996. Sở Tư pháp có ý kiến như sau:",
            "1. Về căn cứ pháp lý: đề nghị bổ sung Luật Đo lường năm 2011.",
            "2. Về bồi dưỡng, nâng cao chuyên môn nghiệp vụ về đo lường: đề nghị làm rõ cơ quan chủ trì."]
    parsed = parse(word([], head=head), "gop_y.docx", spec)
    assert parsed.kind == "not_a_report"
    assert "report_not_recognised" not in codes(parsed)
