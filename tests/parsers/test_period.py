"""A report for another period than the one the campaign asks for (r-blind: last year's report
counted as the 2018–2025 cumulative one) is a blocking `wrong_period` problem; a report for the
right period that only mentions earlier years is not. Documents generated here (python-docx)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import BLOCKING_PROBLEMS, OutlineSpec, ProblemCode
from parsers.period import period_problem, stated_periods

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _report(*, date: str, title: str, plan: str, result: str, body: str) -> bytes:
    from docx import Document

    doc = Document()
    for line in ("UBND TỈNH QUẢNG NGÃI", "BAN DÂN TỘC", "Số: 73/BC-BDT", f"Quảng Ngãi, {date}"):
        doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph(title)
    doc.add_paragraph("Ban Dân tộc báo cáo kết quả thực hiện Đề án 996 như sau:")
    doc.add_paragraph("1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện")
    doc.add_paragraph("b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ")
    doc.add_paragraph(body)
    doc.add_paragraph("2.2. Tăng cường phát triển hạ tầng đo lường tại địa phương")
    doc.add_paragraph("d) Về bồi dưỡng, nâng cao chuyên môn nghiệp vụ về đo lường cho các cán bộ tham gia hoạt động đo lường")
    doc.add_paragraph("Cử 03 công chức dự lớp tập huấn đo lường do Sở Khoa học và Công nghệ tổ chức.")
    grid = doc.add_table(rows=3, cols=5)
    grid.style = "Table Grid"
    rows = [
        ["STT", "Nội dung", plan, result, "Tỷ lệ (%)"],
        ["4", "Số cán bộ, nhân viên đã tham gia các khóa bồi dưỡng, tập huấn nâng cao chuyên môn nghiệp vụ về đo lường", "6", "3", "50"],
        ["7", "Số người tham dự các khóa đào tạo xây dựng và áp dụng Chương trình bảo đảm đo lường", "20", "17", "85"],
    ]
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            grid.cell(i, j).text = text
    doc.add_paragraph("Nơi nhận:\n- Sở KH&CN;\n- Lưu: VT.")
    doc.add_paragraph("TRƯỞNG BAN")
    doc.add_paragraph("Hồ Thị Lan")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _codes(data: bytes, spec: OutlineSpec) -> list[str]:
    result = parse_bytes(data, "bc.docx", spec)
    assert result.kind == "report"
    assert result.indicators["7"].result == 17
    return [str(p.code) for p in result.problems]


def test_last_years_report_is_flagged_and_blocking(spec: OutlineSpec) -> None:
    data = _report(
        date="ngày 20 tháng 11 năm 2024", title="Kết quả triển khai Đề án 996 trong năm 2024",
        plan="Kế hoạch năm 2024", result="Thực hiện năm 2024", body="Ban hành 01 kế hoạch năm 2024 về đo lường.",
    )
    result = parse_bytes(data, "bc.docx", spec)
    wrong = [p for p in result.problems if p.code == ProblemCode.WRONG_PERIOD]
    assert len(wrong) == 1
    assert "2024" in wrong[0].message and "2018 – 2025" in wrong[0].message
    assert "tiêu đề" in wrong[0].message and "cột số liệu" in wrong[0].message and "20/11/2024" in wrong[0].message
    assert ProblemCode.WRONG_PERIOD in BLOCKING_PROBLEMS
    assert result.confidence is not None and result.confidence <= 0.5


def test_right_period_that_mentions_earlier_years_is_not_flagged(spec: OutlineSpec) -> None:
    data = _report(
        date="ngày 11 tháng 8 năm 2025",
        title="Sơ kết 07 năm thực hiện Đề án 996 (2018 – 2025), định hướng đến năm 2030",
        plan="Kế hoạch đến năm 2025", result="Kết quả đến năm 2025",
        body="Năm 2021 ban hành Kế hoạch số 19/KH-BDT ngày 02 tháng 3 năm 2021; so với năm 2023 số cán bộ được"
             " tập huấn tăng gấp đôi.",
    )
    assert ProblemCode.WRONG_PERIOD not in _codes(data, spec)


@pytest.mark.parametrize(
    ("title", "heads", "date", "flagged"),
    [
        (["Báo cáo công tác đo lường năm 2022"], [], None, True),
        (["V/v báo cáo Đề án 996"], [("Kế hoạch 2021", "bảng 1"), ("Kết quả 2021", "bảng 1")], None, True),
        (["V/v báo cáo Đề án 996"], [], dt.date(2024, 10, 3), True),
        (["Quảng Ngãi, ngày 05 tháng 8 năm 2025", "Kèm theo Quyết định ngày 10/8/2018"], [], dt.date(2025, 8, 5), False),
        (["so với cùng kỳ năm 2024"], [("Kết quả thực hiện đến 30/6/2025", "bảng 1")], None, False),
        (["giai đoạn 2018 - 2025"], [("Năm 2025 Kế hoạch", "bảng 1"), ("Năm 2025 Thực hiện", "bảng 1")], None, False),
        (["Báo cáo (không ghi năm)"], [("Kế hoạch", "bảng 1")], None, False),
        (["Số: 1999/BC-SCT ngày 20/8/2025 - Báo cáo sơ kết Đề án 996"], [], None, False),
        (["Báo cáo"], [("Kết quả đến 31/12/2023", "bảng 1")], None, True),
    ],
)
def test_period_signals(title: list[str], heads: list[tuple[str, str]], date: dt.date | None, flagged: bool) -> None:
    found = period_problem(
        period=(2018, 2025), request_date=dt.date(2025, 8, 1), title_lines=title, column_headers=heads, doc_date=date
    )
    assert (found is not None) is flagged


def test_no_configured_period_checks_no_year() -> None:
    assert period_problem(
        period=None, request_date=None, title_lines=["Báo cáo năm 2022"], column_headers=[("Kế hoạch 2022", "")],
        doc_date=dt.date(2022, 1, 1),
    ) is None


def test_stated_periods() -> None:
    assert [p.last for p in stated_periods("giai đoạn từ năm 2018 – 2025, định hướng đến năm 2030")] == [2025]
    assert [p.last for p in stated_periods("Quyết định ngày 10 tháng 8 năm 2018")] == []
    assert [p.last for p in stated_periods("Kết quả năm 2023")] == [2023]
