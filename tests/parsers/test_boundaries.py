"""Narrative boundaries, closing parts, explicit none, identity of parts, what is a report."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook

from config.campaign import load_campaigns
from flows.app import outline_spec
from parsers.api import parse_bytes
from parsers.document import Doc, Para
from parsers.interpret import interpret
from parsers.model import OutlineSpec, ProblemCode

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def spec() -> OutlineSpec:
    return outline_spec(load_campaigns(ROOT / "config" / "campaigns")[0])


def _sheet(rows: list[list[str]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_narrative_sheet_answers_do_not_take_the_next_number(spec: OutlineSpec) -> None:
    data = _sheet([
        ["SỞ Y TẾ"], ["Số: 245/BC-SYT"], ["(Kèm theo Báo cáo số 245/BC-SYT ngày 11/8/2025)"],
        ["Mục", "Nội dung"],
        ["1", "Công tác lãnh đạo, chỉ đạo"],
        ["1.a", "Sở đã ban hành Kế hoạch số 12/KH-SYT triển khai Đề án 996 trong toàn ngành."],
        ["1.b", "Sở đã ban hành 23 văn bản."],
        ["1.c", "Không có."],
        ["III", "KHÓ KHĂN, VƯỚNG MẮC VÀ KIẾN NGHỊ"],
        ["1", "Kinh phí cho hoạt động đo lường còn hạn chế."],
        ["", "Trên đây là báo cáo của Sở Y tế về kết quả thực hiện Đề án 996./."],
    ])
    r = parse_bytes(data, "bieu.xlsx", spec)
    assert r.sections["1.b"].text == "Sở đã ban hành 23 văn bản."
    assert r.sections["1.c"].explicit_none and "1.c" not in r.missing_sections
    assert "Kinh phí" in r.closing["kho_khan"].text
    assert "Trên đây" not in r.closing["kho_khan"].text and "Mục" not in r.closing["kho_khan"].text
    assert r.part_of == "245/BC-SYT"


def _doc(*texts: str) -> Doc:
    return Doc(blocks=[Para(t, where=f"đoạn {k}") for k, t in enumerate(texts, 1)])


HEAD = ("UBND TỈNH QUẢNG NGÃI", "SỞ Y TẾ")


def test_closing_parts_typed_and_sign_off_dropped(spec: OutlineSpec) -> None:
    doc = _doc(*HEAD, "Số: 245/BC-SYT", "BÁO CÁO", "Kết quả thực hiện Đề án 996",
               "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996:",
               "Sở đã ban hành kế hoạch.",
               "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:", "Không phát sinh.",
               "III. Khó khăn, vướng mắc", "Thiếu kinh phí.", "IV. Đề xuất, kiến nghị", "Đề nghị tập huấn.",
               "Trên đây là báo cáo của Sở Y tế./.")
    r = interpret(doc, spec, file="x.docx", fmt="docx")
    assert r.closing["kho_khan"].text == "Thiếu kinh phí."
    assert r.closing["kien_nghi"].text == "Đề nghị tập huấn."
    assert r.sections["1.b"].explicit_none


def test_replaces_and_draft(spec: OutlineSpec) -> None:
    doc = _doc(*HEAD, "Số:      /BC-SYT", "Quảng Ngãi, ngày     tháng 8 năm 2025", "BÁO CÁO",
               "Báo cáo này thay thế Báo cáo số 12/BC-SYT ngày 01/8/2025.",
               "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996:",
               "Sở đã ban hành kế hoạch.",
               "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:", "Đã ban hành 3 văn bản.")
    r = interpret(doc, spec, file="x.docx", fmt="docx")
    assert r.says_replaces and r.replaces_number == "12/BC-SYT"
    assert r.draft and ProblemCode.DRAFT in [p.code for p in r.problems]
    assert 0 < r.coverage < 1 and 0 < r.confidence < 1 and r.evidence


_SECTIONS_1 = (
    "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996:",
    "Sở đã ban hành kế hoạch.",
    "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:", "Đã ban hành 3 văn bản.",
    "c) Về lồng ghép các nhiệm vụ trong các nhiệm vụ, đề án, chương trình khác tại Bộ, địa phương (nếu có):",
    "Lồng ghép vào kế hoạch năm.",
)


def test_replaces_said_in_the_body_after_the_sections(spec: OutlineSpec) -> None:
    """Far from the title ("Báo cáo này thay thế …" between the sections, or a number of a
    report further down): still read; a sentence about another paper is not."""
    for line, number in (
        ("Báo cáo này thay thế Báo cáo số 233/BC-SYT ngày 13/8/2025 của Sở.", "233/BC-SYT"),
        ("Văn bản này được ban hành thay thế văn bản số 12/SYT-VP.", "12/SYT-VP"),
        ("Đề nghị Quý Sở sử dụng số liệu dưới đây, thay thế báo cáo số 57/BC-SYT đã gửi.", "57/BC-SYT"),
    ):
        doc = _doc(*HEAD, "Số: 245/BC-SYT", "BÁO CÁO", "Kết quả thực hiện Đề án 996", *(["Mở đầu."] * 12), *_SECTIONS_1, line)
        r = interpret(doc, spec, file="x.docx", fmt="docx")
        assert r.says_replaces and r.replaces_number == number, line
    other = _doc(*HEAD, "Số: 245/BC-SYT", "BÁO CÁO", "Kết quả thực hiện Đề án 996", *(["Mở đầu."] * 12), *_SECTIONS_1,
                 "Thông tư mới thay thế văn bản số 23/2013/TT-BKHCN về đo lường.")
    assert not interpret(other, spec, file="x.docx", fmt="docx").says_replaces


def test_number_after_a_letterhead_run_together(spec: OutlineSpec) -> None:
    """"UBND TỈNH QUẢNG NGÃI SỞ XÂY DỰNG Số: 88/BC-SXD" (line breaks in one paragraph)."""
    doc = _doc("UBND TỈNH QUẢNG NGÃI\nSỞ XÂY DỰNG\nSố: 88/BC-SXD\nQuảng Ngãi, ngày 13 tháng 8 năm 2025", "BÁO CÁO",
               "Kết quả thực hiện Đề án 996", *_SECTIONS_1)
    assert interpret(doc, spec, file="x.docx", fmt="docx").doc_number == "88/BC-SXD"


def test_a_plan_sharing_the_vocabulary_is_not_a_report(spec: OutlineSpec) -> None:
    doc = _doc(*HEAD, "Số: 88/KH-SYT", "KẾ HOẠCH", "Triển khai thực hiện Đề án 996 năm 2026",
               "a) Về xây dựng, trình cấp có thẩm quyền phê duyệt, triển khai kế hoạch thực hiện Đề án 996:",
               "Ban hành kế hoạch trong quý I.",
               "b) Về xây dựng văn bản quản lý, điều hành triển khai thực hiện các nhiệm vụ:", "Ban hành 3 văn bản.")
    r = interpret(doc, spec, file="x.docx", fmt="docx")
    assert r.kind == "not_a_report"
    assert any("ke_hoach" in e for e in r.evidence)


def test_to_json_keeps_every_field(spec: OutlineSpec) -> None:
    r = interpret(_doc(*HEAD, "BÁO CÁO"), spec, file="x.docx", fmt="docx")
    obj = r.to_json()
    assert "where" in obj["sections"]["1.a"] and "rate_computed" in obj["indicators"]["1"]
    assert {"closing", "coverage", "confidence", "evidence", "says_replaces", "draft"} <= set(obj)
