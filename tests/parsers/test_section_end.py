"""The last section's answer ends where the letter does (r-blind: a signature block and the
appendix title glued into 2.5.a, a table caption into 2.5.b): at a signature block in the
middle of the file (the signer's title in capitals and a name, then an appendix), at a
bracketed note sending the reader to an enclosure, at a caption set above the table.
Documents generated here (python-docx)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec

ROOT = Path(__file__).resolve().parents[2]
ROW7 = "Số người tham dự các khóa đào tạo xây dựng và áp dụng Chương trình bảo đảm đo lường"


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(ROOT / "config" / "campaigns") if c.id == "de-an-996"))


def _bold(doc, text: str) -> None:  # noqa: ANN001
    doc.add_paragraph().add_run(text).bold = True


def _table(doc, plan: str = "Kế hoạch đến năm 2025", result: str = "Kết quả đến năm 2025") -> None:  # noqa: ANN001
    grid = doc.add_table(rows=2, cols=5)
    grid.style = "Table Grid"
    for i, row in enumerate([["STT", "Nội dung", plan, result, "Tỷ lệ (%)"], ["7", ROW7, "40", "36", "90"]]):
        for j, text in enumerate(row):
            grid.cell(i, j).text = text


def _start(doc) -> None:  # noqa: ANN001
    for line in ("UBND TỈNH QUẢNG NGÃI", "TRƯỜNG CAO ĐẲNG KỸ THUẬT", "Số: 118/BC-CĐKT", "Quảng Ngãi, ngày 12 tháng 8 năm 2025"):
        doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO")
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    _bold(doc, "1. Công tác lãnh đạo, chỉ đạo triển khai thực hiện")
    _bold(doc, "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác")
    doc.add_paragraph("Nhà trường lồng ghép nội dung đo lường vào chương trình đào tạo nghề điện công nghiệp.")
    _bold(doc, "2.5. Công tác truyền thông thông tin, tuyên truyền")
    _bold(doc, "b) Về đưa tin, viết bài tuyên truyền về Đề án 996 trên các phương tiện thông tin, truyền thông")
    doc.add_paragraph("Trang thông tin điện tử của Trường đăng 03 bài giới thiệu hoạt động đo lường.")


def _save(doc) -> bytes:  # noqa: ANN001
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_signature_then_appendix_ends_the_section(spec: OutlineSpec) -> None:
    from docx import Document

    doc = Document()
    _start(doc)
    _bold(doc, "(Số liệu chi tiết của từng năm tại Biểu số 01 gửi kèm)")
    for line in ("KT. HIỆU TRƯỞNG", "PHÓ HIỆU TRƯỞNG", "Lê Quang Vinh"):
        doc.add_paragraph(line)
    doc.add_page_break()
    doc.add_paragraph("PHỤ LỤC\nKết quả định lượng thực hiện Đề án 996\n(Kèm theo Báo cáo số 118/BC-CĐKT)")
    _table(doc)
    result = parse_bytes(_save(doc), "bc.docx", spec)
    text = result.sections["2.5.b"].text
    assert text == "Trang thông tin điện tử của Trường đăng 03 bài giới thiệu hoạt động đo lường."
    assert "Biểu số 01" in result.extra_text  # the note is kept, outside the section
    assert result.indicators["7"].result == 36


def test_caption_over_the_table_ends_the_section(spec: OutlineSpec) -> None:
    from docx import Document

    doc = Document()
    _start(doc)
    _bold(doc, "Bảng tổng hợp kết quả của Trường")
    _table(doc)
    doc.add_paragraph("HIỆU TRƯỞNG")
    doc.add_paragraph("Lê Quang Vinh")
    result = parse_bytes(_save(doc), "bc.docx", spec)
    assert result.sections["2.5.b"].text.endswith("hoạt động đo lường.")
    assert "Bảng tổng hợp kết quả của Trường" in result.extra_text
    assert result.indicators["7"].plan == 40


def test_capitals_inside_an_answer_are_kept(spec: OutlineSpec) -> None:
    """A line in capitals that names no signer's office, and a name followed by more answer,
    stay in the section: only a signer's title, a name and then the end or a new part cut."""
    from docx import Document

    doc = Document()
    _start(doc)
    doc.add_paragraph("Phối hợp với Báo Quảng Ngãi đăng chuyên mục.")
    doc.add_paragraph("GIÁM ĐỐC TRUNG TÂM")
    doc.add_paragraph("Trần Văn Bình")
    doc.add_paragraph("trả lời phỏng vấn trên sóng phát thanh về Đề án 996.")
    _table(doc)
    result = parse_bytes(_save(doc), "bc.docx", spec)
    assert "phát thanh" in result.sections["2.5.b"].text
