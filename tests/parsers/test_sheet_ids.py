"""A sheet keyed by outline ids: the id column ("2.1. a)", "1. b)", "2.2.đ") assigns each row's
answer to its section, however the agency typed the id and however short the answers."""

from __future__ import annotations

from pathlib import Path

import pytest
from test_boundaries import _sheet

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.document import Table
from parsers.model import OutlineSpec
from parsers.xlsx_reader import outline_id, read_xlsx


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(Path(__file__).resolve().parents[2] / "config" / "campaigns")[0])


@pytest.mark.parametrize(
    ("cell", "want"),
    [("2.1. a)", "2.1.a"), ("1. b)", "1.b"), ("2.2.đ", "2.2.đ"), ("2.2 (dd)", "2.2.đ"), ("2.1.a", "2.1.a"),
     ("2.3", "2.3"), ("1.", "1"), ("Kế hoạch", None), ("1.250", None), ("a)", None)],
)
def test_outline_id_cells(cell: str, want: str | None) -> None:
    assert outline_id(cell) == want


def test_answers_are_assigned_by_the_id_column(spec: OutlineSpec) -> None:
    data = _sheet([
        ["SỞ CÔNG THƯƠNG TỈNH QUẢNG NGÃI"],
        ["Số: 1901/BC-SCT ngày 20/8/2025 - Báo cáo sơ kết Đề án 996"],
        ["Mục", "Nội dung"],
        ["1. a)", "Sở đã ban hành Kế hoạch số 88/KH-SCT ngày 12/10/2021."],
        ["1. b)", "Không có"],
        ["1. c)", "Không có"],
        ["2.1. a)", "Không có"],
        ["2.2. đ)", "Không có"],
        ["2.3. b)", "Kiểm tra 95 cửa hàng xăng dầu."],
    ])
    r = parse_bytes(data, "bieu.xlsx", spec)
    assert "88/KH-SCT" in r.sections["1.a"].text
    assert r.sections["1.b"].explicit_none and r.sections["2.2.dd"].explicit_none
    assert r.sections["2.3.b"].text == "Kiểm tra 95 cửa hàng xăng dầu."
    assert "1. b)" not in r.sections["1.a"].text and "2.3" not in r.sections["2.2.dd"].text


def test_short_answers_alone_still_follow_the_ids(spec: OutlineSpec) -> None:
    # No long cell at all: the id column alone makes the rows answers, not a table of figures.
    data = _sheet([["Mục", "Nội dung"], ["1. a)", "Có"], ["1. b)", "Không có"], ["1. c)", "Không"],
                   ["2.1. a)", "Chưa"]])
    r = parse_bytes(data, "bieu.xlsx", spec)
    assert r.sections["1.a"].text == "Có"
    assert r.sections["1.b"].explicit_none


def test_a_numbered_table_of_figures_is_no_id_column() -> None:
    # TT 1, 2, 3 is a row number, not an outline id: the rows stay a table.
    data = _sheet([["TT", "Chỉ tiêu", "Số"], ["1", "Đầu tư chuẩn", "8"], ["2", "Số cán bộ", "16"], ["3", "Doanh nghiệp", "900"]])
    doc = read_xlsx(data)
    assert [type(b) for b in doc.blocks] == [Table]
