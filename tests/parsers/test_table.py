"""The quantitative table: found among all tables, read by labels, rates computed or checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.document import Table
from parsers.model import RowSpec
from parsers.table import read_indicators
from tests.parsers.outline_rows import LABELS

ROOT = Path(__file__).resolve().parents[2]

GROUP_I = "I. Tăng cường phát triển hạ tầng đo lường"
GROUP_II = "II. Triển khai công tác hỗ trợ doanh nghiệp đảm bảo chất lượng sản phẩm hàng hóa"
TITLE = "Định lượng kết quả luỹ kế đạt được từ năm 2018 - 2025"


@pytest.fixture(scope="module")
def rows() -> tuple[RowSpec, ...]:
    campaign = load_campaigns(ROOT / "config" / "campaigns")[0]
    return outline_spec(campaign).rows


def standard(values: dict[str, tuple[str, str, str]], *, order: list[str] | None = None) -> list[list[str]]:
    """The outline's table: two-row header with merged cells, group rows, 7 rows."""
    grid = [
        ["TT", "Nội dung", TITLE, TITLE, TITLE],
        ["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch (%)"],
    ]
    for rid in order or list(LABELS):
        if rid == "1" or (order is None and rid == "5"):
            pass
        if rid == "1" and order is None:
            grid.append(["I", GROUP_I[3:], GROUP_I[3:], GROUP_I[3:], GROUP_I[3:]])
        if rid == "5" and order is None:
            grid.append(["II", GROUP_II[4:], GROUP_II[4:], GROUP_II[4:], GROUP_II[4:]])
        plan, result, rate = values.get(rid, ("", "", ""))
        grid.append([rid, LABELS[rid], plan, result, rate])
    return grid


FULL = {
    "1": ("10", "8", "80%"),
    "2": ("2", "2", "100%"),
    "3": ("3", "1", "33,3%"),
    "4": ("1.250", "1.300", "104"),
    "5": ("120", "96", "80 %"),
    "6": ("12.500", "10.000", "80"),
    "7": ("05", "5", "100"),
}


def test_standard_table_two_row_header(rows: tuple[RowSpec, ...]) -> None:
    reading = read_indicators([Table(standard(FULL), where="bảng 2")], rows)
    ind = reading.indicators
    assert set(ind) == set(LABELS)
    assert (ind["4"].plan, ind["4"].result, ind["4"].rate) == (1250, 1300, 104)
    assert (ind["3"].rate, ind["5"].rate, ind["7"].plan) == (33.3, 80, 5)
    assert ind["6"].raw == {"plan": "12.500", "result": "10.000", "rate": "80"}
    assert ind["1"].where == "bảng 2, dòng 4"
    assert reading.extra_rows == [] and reading.used_tables == {0}
    assert [p.code for p in reading.problems] == []


def test_table_found_among_other_tables(rows: tuple[RowSpec, ...]) -> None:
    header_block = Table([["UBND TỈNH QUẢNG NGÃI\nSỞ Y TẾ", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]], borderless=True)
    other = Table([["STT", "Tên văn bản", "Ngày ban hành"], ["1", "Kế hoạch 12/KH-SYT", "12/3/2019"]])
    reading = read_indicators([header_block, other, Table(standard(FULL))], rows)
    assert reading.used_tables == {2}
    assert reading.indicators["1"].plan == 10
    assert reading.indicators["1"].where == "bảng 3, dòng 4"


def test_rate_blank_is_computed_and_said(rows: tuple[RowSpec, ...]) -> None:
    values = dict(FULL, **{"1": ("10", "8", ""), "3": ("3", "1", "-")})
    reading = read_indicators([Table(standard(values))], rows)
    one = reading.indicators["1"]
    assert (one.rate, one.rate_computed) == (80, True)
    assert reading.indicators["3"].rate == 33.3
    codes = [(p.code, p.where) for p in reading.problems]
    assert ("rate_computed", "bảng 1, dòng 4") in codes
    assert sum(c == "rate_computed" for c, _ in codes) == 2
    assert all("tỷ lệ" in p.message for p in reading.problems)


def test_rate_inconsistent_keeps_reported(rows: tuple[RowSpec, ...]) -> None:
    values = dict(FULL, **{"5": ("120", "96", "90%")})
    reading = read_indicators([Table(standard(values))], rows)
    assert reading.indicators["5"].rate == 90
    [problem] = [p for p in reading.problems if p.code == "rate_inconsistent"]
    assert "90" in problem.message and "80" in problem.message


def test_rows_reordered_renumbered_and_own_rows(rows: tuple[RowSpec, ...]) -> None:
    grid = [
        ["STT", "Chỉ tiêu", "Đơn vị tính", "Kế hoạch", "Kết quả", "Tỷ lệ (%)", "Ghi chú"],
        ["1", LABELS["6"], "phương tiện", "12.500", "10.000", "80", ""],
        ["2", LABELS["5"], "doanh nghiệp", "120", "96", "80", "Lũy kế"],
        ["3", "Số cơ sở được kiểm tra về đo lường", "cơ sở", "40", "44", "110", ""],
        ["4", LABELS["1"], "chuẩn", "15 chuẩn", "12", "80", ""],
        ["5", "Đầu tư chuẩn đo lường cho phòng thí nghiệm của Trung tâm", "chuẩn", "4", "4", "100", ""],
    ]
    reading = read_indicators([Table(grid)], rows)
    ind = reading.indicators
    assert (ind["6"].plan, ind["5"].result, ind["1"].plan) == (12500, 96, 15)
    assert [r.label for r in reading.extra_rows] == [
        "Số cơ sở được kiểm tra về đo lường",
        "Đầu tư chuẩn đo lường cho phòng thí nghiệm của Trung tâm",
    ]
    assert reading.extra_rows[0].result == 44
    assert ind["2"].plan is None and ind["2"].where == ""
    missing = {p.message for p in reading.problems if p.code == "row_missing"}
    assert len(missing) == 4


def test_header_not_first_shortened_labels_and_broken_label(rows: tuple[RowSpec, ...]) -> None:
    grid = [
        ["BIỂU TỔNG HỢP SỐ LIỆU", "", "", ""],
        ["(Kèm theo Báo cáo số 245/BC-SYT)", "", "", ""],
        ["", "", "", ""],
        ["Nội dung", "KH", "Thực hiện", "TH/KH (%)"],
        ["(1)", "(2)", "(3)", "(4)"],
        ["I. Tăng cường phát triển hạ tầng đo lường", "", "", ""],
        ["1. Đầu tư chuẩn đo lường, phương tiện đo", "4", "4", "100"],
        ["2. Số chất chuẩn, chuẩn đo lường, phương tiện đo được nghiên cứu,", "0", "0", ""],
        ["sản xuất, thương mại hóa", "", "", ""],
        ["II. Hỗ trợ doanh nghiệp", "", "", ""],
        ["3. Số người tham dự các khóa đào tạo", "50", "62", "124"],
        ["Tổng cộng", "54", "66", ""],
    ]
    reading = read_indicators([Table(grid, where="trang tính 'Biểu 2'", first_row=1)], rows)
    ind = reading.indicators
    assert (ind["1"].plan, ind["1"].rate) == (4, 100)
    assert (ind["2"].plan, ind["2"].result, ind["2"].rate) == (0, 0, None)
    assert (ind["7"].plan, ind["7"].result) == (50, 62)
    assert ind["7"].where == "trang tính 'Biểu 2', dòng 11"
    assert reading.extra_rows == []


def test_table_split_across_two_tables(rows: tuple[RowSpec, ...]) -> None:
    grid = standard(FULL)
    first, second = grid[:6], grid[6:]
    reading = read_indicators([Table(first, where="bảng 1"), Table(second, where="bảng 2")], rows)
    assert reading.used_tables == {0, 1}
    assert reading.indicators["7"].plan == 5
    assert reading.indicators["7"].where.startswith("bảng 2")
    assert not [p for p in reading.problems if p.code == "row_missing"]


def test_no_table(rows: tuple[RowSpec, ...]) -> None:
    reading = read_indicators([Table([["a", "b"], ["c", "d"]])], rows)
    assert not reading.found
    assert set(reading.indicators) == set(LABELS)
    assert all(i.plan is None for i in reading.indicators.values())
    assert [p.code for p in reading.problems] == ["table_missing"]


def test_excel_percent_fraction_and_comma_thousands(rows: tuple[RowSpec, ...]) -> None:
    values = dict(FULL, **{"1": ("10", "8", "0.8"), "6": ("12,500", "10,000", "80")})
    reading = read_indicators([Table(standard(values))], rows)
    assert reading.indicators["1"].rate == 80
    assert reading.indicators["6"].plan == 12500
    assert any(p.code == "number_ambiguous" for p in reading.problems)
    assert not any(p.code == "rate_inconsistent" for p in reading.problems)


def test_merged_group_rows_values_on_last_label_line_and_column_numbers(rows: tuple[RowSpec, ...]) -> None:
    g1, g2 = GROUP_I, GROUP_II
    grid = [
        ["TT", "Nội dung", "Kế hoạch đến năm 2025", "Kết quả đến năm 2025", "Tỷ lệ đạt được so với kế hoạch"],
        ["A", "B", "1", "2", "3=2/1"],
        [g1, g1, g1, g1, g1],
        ["1", "Đầu tư chuẩn đo lường, phương tiện đo sử dụng trong", "", "", ""],
        ["", "kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo", "4", "3", "75"],
        [g2, g2, g2, g2, g2],
        ["1", "Số doanh nghiệp đã được cung cấp dịch vụ kiểm định, hiệu chuẩn", "30", "30", "100"],
    ]
    reading = read_indicators([Table(grid)], rows)
    assert (reading.indicators["1"].plan, reading.indicators["1"].where) == (4, "bảng 1, dòng 5")
    assert reading.indicators["5"].plan == 30
    assert reading.extra_rows == []


def test_filled_copy_wins_over_empty_copy(rows: tuple[RowSpec, ...]) -> None:
    empty = Table(standard({}))
    filled = Table(standard(FULL))
    reading = read_indicators([empty, Table([["x"]]), filled], rows)
    assert reading.used_tables == {2}
    assert reading.indicators["4"].plan == 1250


def test_second_part_with_its_own_header_and_layout(rows: tuple[RowSpec, ...]) -> None:
    first = [row for row in standard(FULL) if row[0] not in {"II", "5", "6", "7"}]
    second = [
        ["STT", "Chỉ tiêu", "Kế hoạch", "Kết quả", "Tỷ lệ (%)", "Ghi chú"],
        ["5", LABELS["5"], "120", "96", "80", ""],
        ["6", LABELS["6"], "12.500", "10.000", "80", ""],
        ["7", LABELS["7"], "05", "5", "100", "Đạt"],
    ]
    other = [["STT", "Nội dung", "Kế hoạch", "Kết quả"], ["1", "Kiểm tra phòng thí nghiệm", "3", "3"]]
    reading = read_indicators([Table(first), Table(other), Table(second)], rows)
    assert reading.used_tables == {0, 2}
    assert [reading.indicators[k].plan for k in "1234567"] == [10, 2, 3, 1250, 120, 12500, 5]
    assert reading.indicators["7"].where == "bảng 3, dòng 4"
    assert reading.extra_rows == []


def test_two_tables_in_one_sheet_region(rows: tuple[RowSpec, ...]) -> None:
    narrative = [
        ["STT", "Nội dung", "Kết quả thực hiện", "Kế hoạch tiếp theo"],
        ["1", "Đầu tư chuẩn đo lường", "Đã mua 4 chuẩn", "Tiếp tục đầu tư"],
    ]
    grid = narrative + standard(FULL)
    reading = read_indicators([Table(grid, where="trang tính 'Sheet1'")], rows)
    assert reading.indicators["1"].plan == 10
    assert reading.indicators["1"].where == "trang tính 'Sheet1', dòng 6"
    assert reading.extra_rows == []


PARAPHRASES = {
    "1": ["Đầu tư chuẩn ĐL, PTĐ sử dụng trong KĐ, HC, TN PTĐ", "Số chuẩn đo lường, phương tiện đo được đầu tư (chuẩn/PTĐ)"],
    "2": ["Chất chuẩn, chuẩn đo lường, PTĐ được nghiên cứu, SX, thương mại hóa", "Số chất chuẩn được nghiên cứu"],
    "3": ["Số nhiệm vụ KH&CN về đo lường", "Đề tài, nhiệm vụ nghiên cứu về đo lường"],
    "4": ["Số lượt cán bộ tham gia tập huấn", "Số CBNV được đào tạo, bồi dưỡng chuyên môn đo lường"],
    "5": ["Số DN được cung cấp dịch vụ", "Số doanh nghiệp sử dụng dịch vụ kiểm định, hiệu chuẩn"],
    "6": ["Số PTĐ được kiểm định, hiệu chuẩn", "Số lượt phương tiện đo được kiểm định"],
    "7": ["Người tham dự đào tạo CTĐBĐL", "Số người được đào tạo về chương trình đảm bảo đo lường"],
}
OWN_ROWS = [
    "Số cơ sở được kiểm tra về đo lường",
    "Kinh phí đầu tư (triệu đồng)",
    "Số lớp tập huấn đã tổ chức",
    "Số phòng thử nghiệm được chỉ định",
    "Số cuộc kiểm tra nhà nước về đo lường",
]


@pytest.mark.parametrize("which", [0, 1])
def test_paraphrased_abbreviated_labels_alone(which: int, rows: tuple[RowSpec, ...]) -> None:
    """Each paraphrase on its own (no exact row to compete with) finds its row; own rows stay extra."""
    for rid, labels in PARAPHRASES.items():
        grid = [["STT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"], ["1", labels[which], "10", "5", "50"]]
        grid += [[str(k + 2), label, "1", "1", "100"] for k, label in enumerate(OWN_ROWS)]
        reading = read_indicators([Table(grid)], rows)
        assert reading.indicators[rid].plan == 10, (rid, labels[which])
        assert sorted(r.label for r in reading.extra_rows) == sorted(OWN_ROWS), labels[which]


def test_year_columns_and_cumulative_result(rows: tuple[RowSpec, ...]) -> None:
    grid = [
        ["STT", "Chỉ tiêu", "Mục tiêu đến năm 2025", "Năm 2023", "Năm 2024", "Lũy kế 2018 - 2025", "Đạt (%)"],
        ["1", LABELS["5"], "120", "30", "40", "96", "80"],
        ["2", LABELS["7"], "40", "10", "12", "52", "130"],
    ]
    reading = read_indicators([Table(grid)], rows)
    assert (reading.indicators["5"].plan, reading.indicators["5"].result, reading.indicators["5"].rate) == (120, 96, 80)
    assert reading.indicators["7"].result == 52


def test_total_rows_dropped_but_labels_starting_with_tong_or_cong_kept(rows: tuple[RowSpec, ...]) -> None:
    grid = [
        ["STT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"],
        ["1", "Tổng số doanh nghiệp đã được cung cấp dịch vụ kiểm định, hiệu chuẩn", "120", "96", "80"],
        ["2", "Công tác kiểm tra đo lường tại cơ sở", "10", "12", "120"],
        ["", "Tổng cộng", "130", "108", ""],
        ["", "Cộng (I + II)", "130", "108", ""],
    ]
    reading = read_indicators([Table(grid)], rows)
    assert reading.indicators["5"].plan == 120
    assert [r.label for r in reading.extra_rows] == ["Công tác kiểm tra đo lường tại cơ sở"]


def test_number_column_without_header(rows: tuple[RowSpec, ...]) -> None:
    grid = [
        ["", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"],
        ["I", "Tăng cường phát triển hạ tầng đo lường", "", "", ""],
        ["1", LABELS["1"], "4", "4", "100"],
        ["II", "Hỗ trợ doanh nghiệp", "", "", ""],
        ["1", LABELS["5"], "120", "96", "80"],
    ]
    reading = read_indicators([Table(grid)], rows)
    assert (reading.indicators["1"].plan, reading.indicators["5"].plan) == (4, 120)
    assert reading.extra_rows == []


def test_next_table_with_its_own_header_is_not_a_continuation(rows: tuple[RowSpec, ...]) -> None:
    activities = [
        ["STT", "Tên hoạt động", "Thời gian", "Địa điểm", "Số người"],
        ["1", "Hội nghị tập huấn đo lường", "3/2024", "Quảng Ngãi", "120"],
    ]
    reading = read_indicators([Table(standard(FULL)), Table(activities)], rows)
    assert reading.used_tables == {0}
    assert reading.extra_rows == []


def test_signature_rows_under_a_sheet_table_are_not_extra_rows(rows: tuple[RowSpec, ...]) -> None:
    grid = standard(FULL) + [["", "Người lập biểu", "", "Thủ trưởng đơn vị", ""], ["", "Nguyễn Văn A", "", "Trần Thị B", ""]]
    reading = read_indicators([Table(grid)], rows)
    assert reading.extra_rows == []
    assert not [p for p in reading.problems if p.code == "number_unreadable"]


def test_group_column_merged_down_is_not_the_label(rows: tuple[RowSpec, ...]) -> None:
    g1, g2 = GROUP_I[3:], GROUP_II[4:]
    grid = [
        ["Nhóm nhiệm vụ", "STT", "Nội dung", "Kế hoạch", "Kết quả", "Tỷ lệ"],
        [g1, "1", LABELS["1"], "4", "4", "100"],
        [g1, "2", LABELS["2"], "1", "1", "100"],
        [g1, "3", LABELS["3"], "2", "1", "50"],
        [g2, "4", LABELS["5"], "120", "96", "80"],
        [g2, "5", LABELS["6"], "1.500", "1.250", "83,3"],
    ]
    reading = read_indicators([Table(grid)], rows)
    assert [reading.indicators[k].plan for k in ("1", "2", "3", "5", "6")] == [4, 1, 2, 120, 1500]


def test_never_raises_on_odd_grids(rows: tuple[RowSpec, ...]) -> None:
    """Ragged, empty, one-column and header-only grids: no exception, every row id present."""
    import random

    rng = random.Random(996)
    words = ["Kế hoạch", "Kết quả", "Tỷ lệ", "TT", "", "-", "1.250", "12,5", "I.", LABELS["1"], "x", "%", "Tổng"]
    for _ in range(300):
        grid = [[rng.choice(words) for _ in range(rng.randint(0, 7))] for _ in range(rng.randint(0, 9))]
        reading = read_indicators([Table(grid), Table([]), Table([[]])], rows)
        assert set(reading.indicators) == set(LABELS)
