"""A campaign names its value columns its own way (config: outline.table.columns): a table
whose headers are those headings is read by them, not only by the general words."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from config.campaign import load_campaign
from flows.app import outline_spec
from parsers.api import parse_bytes

ROOT = Path(__file__).resolve().parents[2]
SPEC = outline_spec(load_campaign(ROOT / "tests" / "fixtures" / "campaigns" / "kiem-tra-do-luong-2025.yaml"))
ROWS = [("1", "Cơ sở kinh doanh xăng dầu được kiểm tra", "40", "38"), ("2", "Cơ sở sản xuất hàng đóng gói sẵn được kiểm tra", "12", "9"),
        ("3", "Chợ có cân đối chứng được kiểm tra", "25", "25")]


def _docx(header: list[str], rate: bool) -> bytes:
    doc = Document()
    doc.add_paragraph("SỞ CÔNG THƯƠNG")
    doc.add_paragraph("BÁO CÁO Kết quả kiểm tra nhà nước về đo lường năm 2025")
    doc.add_paragraph("Số liệu kiểm tra nhà nước về đo lường năm 2025")
    cols = ["TT", "Nội dung", *header] + (["Tỷ lệ (%)"] if rate else [])
    table = doc.add_table(rows=1, cols=len(cols))
    for cell, text in zip(table.rows[0].cells, cols, strict=True):
        cell.text = text
    plan_first = "kế hoạch" in header[0].lower()
    for stt, label, plan, result in ROWS:
        figures = [plan, result] if plan_first else [result, plan]
        values = [stt, label, *figures] + ([f"{int(result) / int(plan) * 100:.1f}".replace(".", ",")] if rate else [])
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _xlsx(header: list[str]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Số liệu kiểm tra nhà nước về đo lường năm 2025"])
    ws.append(["STT", "Nội dung", *header])
    for stt, label, plan, result in ROWS:
        ws.append([int(stt), label, int(plan), int(result)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


@pytest.mark.parametrize("rate", [False, True])
@pytest.mark.parametrize("header", [["Số cơ sở theo kế hoạch", "Số cơ sở đã kiểm tra"],
                                    ["Số cơ sở đã kiểm tra", "Số cơ sở theo kế hoạch"],
                                    ["SỐ CƠ SỞ THEO KẾ HOẠCH (cơ sở)", "Số cơ sở đã kiểm tra (cơ sở)"]])
def test_the_campaigns_own_column_headings_name_the_columns(header: list[str], rate: bool) -> None:
    result = parse_bytes(_docx(header, rate), "bc.docx", SPEC)
    codes = {p.code for p in result.problems}
    assert "table_missing" not in codes and "column_from_data" not in codes, result.problems
    for stt, _, plan, res in ROWS:
        ind = result.indicators[stt]
        assert (ind.plan, ind.result) == (float(plan), float(res))


def test_an_excel_report_with_the_campaigns_headings() -> None:
    result = parse_bytes(_xlsx(["Số cơ sở theo kế hoạch", "Số cơ sở đã kiểm tra"]), "bc.xlsx", SPEC)
    assert {p.code for p in result.problems}.isdisjoint({"table_missing", "column_from_data"}), result.problems
    assert [(result.indicators[s].plan, result.indicators[s].result) for s, *_ in ROWS] == [(40, 38), (12, 9), (25, 25)]


def test_another_campaigns_parse_is_not_touched_by_these_headings() -> None:
    """The headings hold for the parse of this campaign only: Đề án 996's outline does not
    know "Số cơ sở đã kiểm tra" (its result column is found from the figures, with a doubt)."""
    from config.campaign import load_campaigns

    other = outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])
    assert other.columns and all("kiểm tra" not in text for _, text in other.columns)
    from parsers.columns import value_role

    assert value_role("Số cơ sở đã kiểm tra") is None
