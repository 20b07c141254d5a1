"""Through a real Dovecot (SQLite and PostgreSQL): a letterhead's superior-body line never
attributes a document, a document-only attribution never replaces an agency's report by
itself, and a first "report" about another subject waits for a person."""

from __future__ import annotations

import datetime as dt
import io
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))
sys.path.insert(0, str(Path(__file__).resolve().parent))
VN = dt.timezone(dt.timedelta(hours=7))


def letter(head: list[str], number: str, speaker: str, *, sections: bool = True, rows: list[tuple[str, str, str, str]] = ()) -> bytes:
    """A report under the letterhead `head`, opening "…, `speaker` báo cáo như sau:"."""
    from docx import Document
    from reportdocs import ROWS, SECTIONS

    doc = Document()
    for line in [*head, f"Số: {number}", "Quảng Ngãi, ngày 10 tháng 8 năm 2025"]:
        doc.add_paragraph(line)
    doc.add_paragraph("BÁO CÁO").runs[0].bold = True
    doc.add_paragraph("Sơ kết thực hiện Đề án 996 giai đoạn 2018 - 2025")
    doc.add_paragraph("Kính gửi: Sở Khoa học và Công nghệ tỉnh Quảng Ngãi.")
    doc.add_paragraph(f"Thực hiện Văn bản của Sở Khoa học và Công nghệ về việc báo cáo sơ kết Đề án 996, {speaker} báo cáo như sau:")
    if sections:
        for label, heading, sid in SECTIONS:
            doc.add_paragraph(f"{label}) {heading}" if sid else f"{label}. {heading}").runs[0].bold = True
            if sid:
                doc.add_paragraph(f"{speaker} đã triển khai nội dung mục {sid}, tổ chức 03 hội nghị.")
        grid = doc.add_table(rows=1, cols=4)
        for cell, text in zip(grid.rows[0].cells, ["TT", "Nội dung", "Kế hoạch", "Kết quả"], strict=True):
            cell.text = text
        for rid, label in ROWS:
            cells = grid.add_row().cells
            cells[0].text, cells[1].text, cells[2].text, cells[3].text = rid, label, "40", "44"
    for row in rows:
        grid = doc.add_table(rows=1, cols=4)
        for cell, text in zip(grid.rows[0].cells, ["TT", "Chỉ tiêu", "Kế hoạch", "Kết quả"], strict=True):
            cell.text = text
        cells = grid.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = text
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def deliver(mail_app, dovecot, sender: str, data: bytes, day: int, body: str = "Gửi báo cáo.", name: str = "BC.docx") -> dict:
    from test_trust import message

    from flows.intake.mail import ingest_mail

    msgid = f"<{uuid.uuid4().hex[:12]}@mail.example>"
    dovecot.append(message(sender, "Báo cáo Đề án 996", msgid, body, [(name, data)]),
                   folder=mail_app.settings.imap.folder, date=dt.datetime(2025, 8, day, 9, 0, tzinfo=VN))
    return ingest_mail(mail_app).to_json()["items"][0]


def reviews(app) -> list[tuple[str, str]]:
    from storage.models import ReviewItem

    with app.session() as s:
        return [(r.kind, r.reason) for r in s.scalars(select(ReviewItem).where(ReviewItem.status == "open"))]


@pytest.mark.parametrize(
    ("head", "speaker"),
    [
        (["TỈNH QUẢNG NGÃI", "UBND HUYỆN MỘ ĐỨC"], "UBND huyện Mộ Đức"),
        (["UBND TỈNH QUẢNG NGÃI", "UBND HUYỆN ĐỨC PHỔ"], "UBND huyện Đức Phổ"),
        (["UBND HUYỆN NGHĨA HÀNH", "UBND XÃ HÀNH THIỆN"], "UBND xã Hành Thiện"),
    ],
)
def test_a_huyen_report_under_a_province_line_never_replaces_the_tinh_doan_report(mail_app, dovecot, head, speaker):
    from test_trust import current_of

    first = deliver(mail_app, dovecot, "tinhdoan@quangngai.example",
                    letter(["BCH ĐOÀN TNCS HỒ CHÍ MINH", "TỈNH QUẢNG NGÃI"], "12/BC-TĐTN", "Ban Thường vụ Tỉnh đoàn"), 2)
    assert first["status"] == "processed", first
    before = current_of(mail_app, "tinhdoan")
    assert before is not None and before[1] == "12/BC-TĐTN"

    item = deliver(mail_app, dovecot, "vanthu.huyen@gmail.example", letter(head, "210/BC-UBND", speaker), 5)
    assert item["status"] == "review", item
    assert current_of(mail_app, "tinhdoan") == before  # the Tỉnh Đoàn report stays
    kinds = [k for k, _ in reviews(mail_app)]
    assert kinds == ["attribution"], reviews(mail_app)


def test_a_document_only_attribution_that_would_replace_a_report_is_an_attribution_review(mail_app, dovecot):
    from test_trust import current_of

    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP"]
    assert deliver(mail_app, dovecot, "sotp@quangngai.example", letter(head, "15/BC-STP", "Sở Tư pháp"), 2)["status"] == "processed"
    before = current_of(mail_app, "sotp")
    item = deliver(mail_app, dovecot, "someone@gmail.example", letter(head, "19/BC-STP", "Sở Tư pháp"), 6)
    assert item["status"] == "review", item
    assert current_of(mail_app, "sotp") == before
    ((kind, reason),) = reviews(mail_app)
    assert kind == "attribution" and "thay báo cáo hiện có" in reason


def test_a_figures_correction_only_its_sheet_attributes_does_not_join_the_report(mail_app, dovecot):
    """A table naming Sở Tư pháp, from a personal address, "điều chỉnh số liệu Báo cáo số
    15/BC-STP": from the agency's own address it would join its report; here a person decides."""
    from reportdocs import table_xlsx
    from test_trust import current_of

    head = ["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP"]
    assert deliver(mail_app, dovecot, "sotp@quangngai.example", letter(head, "15/BC-STP", "Sở Tư pháp"), 2)["status"] == "processed"
    before = current_of(mail_app, "sotp")
    item = deliver(mail_app, dovecot, "someone@gmail.example", table_xlsx("SỞ TƯ PHÁP", plan=900), 6,
                   body="Điều chỉnh số liệu Báo cáo số 15/BC-STP, các nội dung khác giữ nguyên.", name="Bieu.xlsx")
    assert item["status"] == "review", item
    assert current_of(mail_app, "sotp") == before
    assert [k for k, _ in reviews(mail_app)] == ["attribution"], reviews(mail_app)


def test_a_van_thu_forwarding_from_gmail_a_first_report_still_attributes(mail_app, dovecot):
    from test_trust import current_of

    item = deliver(mail_app, dovecot, "vanthu.stp@gmail.example",
                   letter(["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP"], "15/BC-STP", "Sở Tư pháp"), 2)
    assert item["status"] == "processed", item
    assert current_of(mail_app, "sotp")[1] == "15/BC-STP"
    assert reviews(mail_app) == []


def test_a_first_report_about_another_subject_waits_for_a_person(mail_app, dovecot):
    """The programme's opening line over a report on another subject (cải cách hành chính):
    no section of the outline answered, one stray figure matched. Nothing is counted."""
    from test_trust import current_of

    from storage.models import IndicatorValue, Submission

    data = letter(["UBND TỈNH QUẢNG NGÃI", "SỞ NỘI VỤ"], "634/BC-SNV", "Sở Nội vụ", sections=False,
                  rows=[("1", "Số cán bộ được tập huấn", "50", "61")])
    from docx import Document

    doc = Document(io.BytesIO(data))
    doc.add_paragraph("I. CÔNG TÁC CHỈ ĐẠO, ĐIỀU HÀNH CẢI CÁCH HÀNH CHÍNH").runs[0].bold = True
    doc.add_paragraph("Sở đã ban hành 12 văn bản chỉ đạo về cải cách hành chính, kiểm tra 15 đơn vị.")
    buf = io.BytesIO()
    doc.save(buf)
    item = deliver(mail_app, dovecot, "sonv@quangngai.example", buf.getvalue(), 5)
    assert item["status"] == "review", item
    assert current_of(mail_app, "sonv") is None
    with mail_app.session() as s:
        assert list(s.scalars(select(Submission))) == []
        assert list(s.scalars(select(IndicatorValue))) == []
    ((kind, reason),) = reviews(mail_app)
    assert kind == "doubtful_report" and "không trả lời mục nào" in reason


def test_a_thin_first_report_answering_a_section_is_still_recorded(mail_app, dovecot):
    """Control: one section of the outline answered (thin, but about the programme) counts."""
    from test_trust import HEAD, current_of, docx_of

    data = docx_of([*HEAD, "Số: 31/BC-STP", "Quảng Ngãi, ngày 20 tháng 6 năm 2025", "BÁO CÁO",
                    "Sơ kết tình hình thực hiện Đề án 996"], sections=1)
    item = deliver(mail_app, dovecot, "sotp@quangngai.example", data, 3)
    assert item["status"] == "processed", item
    assert current_of(mail_app, "sotp")[1] == "31/BC-STP"
