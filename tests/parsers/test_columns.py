"""Column roles by header words and by figures; validation problems instead of silence."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.columns import aux_role, value_role
from parsers.document import Table
from parsers.model import ProblemCode, RowSpec
from parsers.table import read_indicators

ROOT = Path(__file__).resolve().parents[2]
LABELS = {
    "1": "Đầu tư chuẩn đo lường, phương tiện đo sử dụng trong kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo",
    "4": "Số cán bộ, nhân viên đã tham gia các khóa bồi dưỡng, tập huấn nâng cao chuyên môn nghiệp vụ về đo lường",
    "5": "Số doanh nghiệp đã được cung cấp dịch vụ kiểm định, hiệu chuẩn, thử nghiệm phương tiện đo",
    "6": "Số phương tiện đo, chuẩn đo lường được kiểm định, hiệu chuẩn cho doanh nghiệp",
}
VALUES = {"1": ("10", "8", "80"), "4": ("40", "52", "130"), "5": ("120", "96", "80"), "6": ("1500", "1250", "83,3")}


@pytest.fixture(scope="module")
def rows() -> tuple[RowSpec, ...]:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0]).rows


def grid(header: list[str], order: tuple[int, int, int] = (0, 1, 2), values=VALUES) -> list[list[str]]:
    out = [["STT", "Nội dung", *header]]
    for rid, triple in values.items():
        out.append([rid, LABELS[rid], *(triple[k] for k in order)])
    return out


def codes(reading) -> list[str]:
    return [p.code for p in reading.problems]


@pytest.mark.parametrize(
    ("text", "role"),
    [
        ("KH 2025", "plan"), ("Kế hoạch giai đoạn", "plan"), ("Chỉ tiêu giao", "plan"), ("Mục tiêu đến 2025", "plan"),
        ("KQ 2025", "result"), ("TH", "result"), ("Thực hiện", "result"), ("Đạt được", "result"),
        ("Lũy kế 2018-2025", "result"), ("Kết quả thực hiện kế hoạch", "result"),
        ("% đạt", "rate"), ("Tỷ lệ (%)", "rate"), ("TH/KH (%)", "rate"), ("So với KH", "rate"),
        ("Nội dung", None), ("Chỉ tiêu", None), ("Nội dung thực hiện", None),
    ],
)
def test_header_words(text: str, role: str | None) -> None:
    assert value_role(text) == role


def test_aux_words() -> None:
    assert [aux_role(t) for t in ("ĐVT", "Đơn vị tính", "Ghi chú", "STT", "Năm 2023", "2018 - 2020")] == [
        "unit", "unit", "note", "stt", "period", "period"]


@pytest.mark.parametrize(
    "header",
    [["KH", "KQ 2025", "% đạt"], ["Chỉ tiêu giao", "Thực hiện", "TH/KH (%)"], ["Mục tiêu", "Đạt được", "Tỷ lệ"],
     ["KH đến 2025", "Lũy kế", "%"]],
)
def test_synonyms_read_every_value(header: list[str], rows) -> None:
    reading = read_indicators([Table(grid(header))], rows)
    assert (reading.indicators["6"].plan, reading.indicators["6"].result, reading.indicators["6"].rate) == (1500, 1250, 83.3)
    assert ProblemCode.RESULTS_MISSING not in codes(reading)


def test_any_column_order(rows) -> None:
    reading = read_indicators([Table(grid(["Tỷ lệ", "KQ", "KH"], order=(2, 1, 0)))], rows)
    assert (reading.indicators["5"].plan, reading.indicators["5"].result, reading.indicators["5"].rate) == (120, 96, 80)


def test_unnamed_result_column_found_by_figures(rows) -> None:
    reading = read_indicators([Table(grid(["Kế hoạch", "Số liệu", "Tỷ lệ"]))], rows)
    assert reading.indicators["5"].result == 96
    assert ProblemCode.COLUMN_FROM_DATA in codes(reading)
    assert reading.indicators["5"].values["result"].source == "read"


def test_results_missing_is_a_problem_not_silence(rows) -> None:
    values = {k: (p, "", t) for k, (p, _, t) in VALUES.items()}
    reading = read_indicators([Table(grid(["Kế hoạch", "Kết quả", "Tỷ lệ"], values=values))], rows)
    assert ProblemCode.RESULTS_MISSING in codes(reading)


def test_unexplained_figures_column(rows) -> None:
    g = grid(["Kế hoạch", "Kết quả", "Tỷ lệ"])
    g[0].append("Số liệu khác")
    for r in g[1:]:
        r.append("7")
    reading = read_indicators([Table(g)], rows)
    assert ProblemCode.COLUMN_UNEXPLAINED in codes(reading)


def test_year_breakdown_explained(rows) -> None:
    g = [["STT", "Nội dung", "Kế hoạch", "Kết quả", "Kết quả", "Kết quả", "Tỷ lệ"],
         ["", "", "", "2023", "2024", "Lũy kế", ""]]
    g += [[rid, LABELS[rid], p, "1", "2", r, t] for rid, (p, r, t) in VALUES.items()]
    reading = read_indicators([Table(g)], rows)
    assert reading.indicators["5"].result == 96
    assert ProblemCode.COLUMN_UNEXPLAINED not in codes(reading)


def test_swapped_columns_put_right_by_figures(rows) -> None:
    reading = read_indicators([Table(grid(["Kế hoạch", "Kết quả", "Tỷ lệ"], order=(1, 0, 2)))], rows)
    assert (reading.indicators["5"].plan, reading.indicators["5"].result) == (120, 96)
    assert ProblemCode.COLUMN_FROM_DATA in codes(reading)


def test_total_row_checked(rows) -> None:
    g = grid(["Kế hoạch", "Kết quả", "Tỷ lệ"])
    g.append(["", "Tổng cộng", "1670", "9999", ""])
    reading = read_indicators([Table(g)], rows)
    assert ProblemCode.TOTAL_MISMATCH in codes(reading)
    g[-1][3] = "1406"
    assert ProblemCode.TOTAL_MISMATCH not in codes(read_indicators([Table(g)], rows))


def test_dash_everywhere_is_explicit_none(rows) -> None:
    values = {k: ("-", "-", "-") for k in VALUES}
    reading = read_indicators([Table(grid(["Kế hoạch", "Kết quả", "Tỷ lệ"], values=values))], rows)
    ind = reading.indicators["5"]
    assert ind.plan is None and ind.explicit_none and ind.answered
    assert ind.values["plan"].source == "explicit_none" and ind.values["plan"].raw == "-"
    assert not reading.indicators["2"].answered  # not in the table at all


def test_provenance_per_value(rows) -> None:
    reading = read_indicators([Table(grid(["KH", "KQ", "Tỷ lệ"]), where="bảng 2")], rows)
    value = reading.indicators["5"].values["result"]
    assert value.where.startswith("bảng 2, dòng") and value.where.endswith("cột 4")
    assert value.source == "read" and 0 < value.confidence <= 1
