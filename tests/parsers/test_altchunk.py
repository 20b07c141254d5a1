"""A Word file whose body is HTML embedded by `w:altChunk`: never a silently empty document."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.model import OutlineSpec

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "fixtures" / "mail"))
from reportdocs import altchunk_docx, report_docx  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / "config" / "campaigns"
HTML = (
    "<html><body><p><b>BÁO CÁO</b></p><p>Sơ kết Đề án 996 giai đoạn 2018 - 2025</p></body></html>"
)


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(next(c for c in load_campaigns(CONFIG) if c.id == "de-an-996"))


def test_altchunk_only_word_file_is_a_typed_error(spec):
    result = parse_bytes(altchunk_docx(HTML), "BC 996.docx", spec)
    assert result.error is not None and result.error.code == "altchunk_html"
    assert "altChunk" in result.error.message and "Save As" in result.error.message


def test_altchunk_besides_text_is_a_problem_not_an_error(spec):
    lines = (
        "SỞ TÀI CHÍNH",
        "Số: 410/BC-STC",
        "Kính gửi: Sở Khoa học và Công nghệ tỉnh Quảng Ngãi, nội dung báo cáo như sau",
    )
    result = parse_bytes(altchunk_docx(HTML, lines), "BC 996.docx", spec)
    assert result.error is None
    assert [p.code for p in result.problems if p.code == "altchunk_html"] == ["altchunk_html"]


def test_ordinary_word_file_has_no_altchunk_problem(spec):
    result = parse_bytes(report_docx("SỞ TƯ PHÁP"), "BC.docx", spec)
    assert result.error is None and result.kind == "report"
    assert not [p for p in result.problems if p.code == "altchunk_html"]
