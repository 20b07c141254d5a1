"""An unnumbered heading whose words fit sections of different groups about equally (r-blind:
"Về kiểm định, hiệu chuẩn phương tiện đo" placed in 2.2.b at 0.95, 2.4.b as plausible) is placed
by the outline's order, and that guess is shown: lower confidence and a `section_ambiguous`
problem (it opens a review item, it does not hold the figures) naming the competing sections.
A heading the text places alone, or one under a printed group heading, stays as it was.
Documents generated here (python-docx)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import BLOCKING_PROBLEMS, REVIEW_PROBLEMS, OutlineSpec, ParseResult, ProblemCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _parse(spec: OutlineSpec, items: list[tuple[str, str]]) -> ParseResult:
    from docx import Document

    doc = Document()
    for line in ("UBND TỈNH QUẢNG NGÃI", "BỆNH VIỆN ĐA KHOA TỈNH", "Số: 640/BC-BVĐK", "Quảng Ngãi, ngày 06 tháng 8 năm 2025"):
        doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Kết quả thực hiện Đề án 996 giai đoạn 2018 - 2025")
    for head, body in items:
        doc.add_paragraph().add_run(head).bold = True
        if body:
            doc.add_paragraph(body)
    doc.add_paragraph("GIÁM ĐỐC")
    doc.add_paragraph("Phan Thị Thu")
    buf = io.BytesIO()
    doc.save(buf)
    return parse_bytes(buf.getvalue(), "bc.docx", spec)


def test_close_sections_of_two_groups_are_a_visible_doubt(spec: OutlineSpec) -> None:
    result = _parse(spec, [
        ("Về bồi dưỡng chuyên môn nghiệp vụ đo lường", "Cử 12 kỹ thuật viên thiết bị y tế dự lớp đo lường."),
        ("Về kiểm định, hiệu chuẩn phương tiện đo", "Máy đo huyết áp, cân sức khỏe của các khoa được hiệu chuẩn hằng năm."),
    ])
    placed = next(sid for sid, t in result.sections.items() if "huyết áp" in t.text)
    doubts = [p for p in result.problems if p.code == ProblemCode.SECTION_AMBIGUOUS]
    assert len(doubts) == 1
    assert doubts[0].sections[0] == placed and len(doubts[0].sections) >= 2
    assert "2.4.b" in doubts[0].sections and "2.4.b" in doubts[0].message and f"mục {placed}" in doubts[0].message
    assert result.sections[placed].confidence < 0.9
    assert result.sections["2.2.d"].confidence == 0.95  # placed by its words alone: no doubt
    assert ProblemCode.SECTION_AMBIGUOUS in REVIEW_PROBLEMS and ProblemCode.SECTION_AMBIGUOUS not in BLOCKING_PROBLEMS


def test_clear_headings_raise_no_doubt(spec: OutlineSpec) -> None:
    result = _parse(spec, [
        ("Về bồi dưỡng chuyên môn nghiệp vụ đo lường", "Cử 12 kỹ thuật viên thiết bị y tế dự lớp đo lường."),
        ("Về nghiên cứu phát triển, thương mại hóa chất chuẩn", "Không có."),
    ])
    assert not [p for p in result.problems if p.code == ProblemCode.SECTION_AMBIGUOUS]
