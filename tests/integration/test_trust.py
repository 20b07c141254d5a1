"""Trustworthy ingestion through a real Dovecot: a doubtful later document never replaces an
agency's report (req. 5), and a reply whose only report is unreadable is not a promise (req. 8)."""

from __future__ import annotations

import datetime as dt
import io
import sys
import uuid
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))
VN = dt.timezone(dt.timedelta(hours=7))
REQUEST_ID = "<baocao.request.fedcba9876543210fedcba9876543210@baocao.invalid>"


def message(frm: str, subject: str, msgid: str, body: str, files: list[tuple[str, bytes]], **headers: str) -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"], msg["Message-ID"] = frm, "tdc@skhcn.quangngai.example", subject, msgid
    msg["Date"] = "Tue, 10 Jun 2025 09:15:00 +0700"
    for name, value in headers.items():
        msg[name.replace("_", "-")] = value
    msg.set_content(body)
    for name, data in files:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP)


def docx_of(lines: list[str], sections: int = 0) -> bytes:
    """A Word file with these paragraphs, then the first `sections` outline sections answered."""
    from docx import Document
    from reportdocs import SECTIONS

    doc = Document()
    for line in lines:
        doc.add_paragraph(line)
    answered = [(label, heading) for label, heading, sid in SECTIONS if sid][:sections]
    for label, heading in answered:
        doc.add_paragraph(f"{label}) {heading}").runs[0].bold = True
        doc.add_paragraph("Sở Tư pháp đã phối hợp tổ chức 02 lớp tập huấn về đo lường.")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


HEAD = ["UBND TỈNH QUẢNG NGÃI", "SỞ TƯ PHÁP"]


def current_of(app, code: str):
    from storage.models import RecipientRow
    from storage.submissions import current_answer

    with app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == code)).one()
        sub = current_answer(app.campaign().id, rid, session=s)
        return (sub.id, sub.doc_number) if sub else None


def test_a_later_doubtful_document_does_not_replace_the_report(mail_app, dovecot, smtp):
    from reportdocs import nil_docx, report_docx

    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.outbound.reminders import remind
    from parsers.vocab import display_id
    from storage.models import IndicatorValue, ReviewItem, Submission

    folder = mail_app.settings.imap.folder
    t0 = dt.datetime(2025, 8, 2, 9, 0, tzinfo=VN)
    dovecot.append(message("sotp@quangngai.example", "Báo cáo Đề án 996", "<stp-a@quangngai.example>", "Sở Tư pháp gửi báo cáo.",
                           [("BC.docx", report_docx("SỞ TƯ PHÁP", "15/BC-STP", plan=1250))]), folder=folder, date=t0)
    ingest_mail(mail_app)
    first = current_of(mail_app, "sotp")
    assert first is not None and first[1] == "15/BC-STP"

    # An invitation from the same agency that mentions the programme: not a report at all.
    invitation = docx_of([*HEAD, "Số: 40/GM-STP", "Quảng Ngãi, ngày 25 tháng 6 năm 2025", "GIẤY MỜI",
                          "Dự hội nghị phổ biến pháp luật về đo lường trong khuôn khổ Đề án 996",
                          "Sở Tư pháp trân trọng kính mời đại diện lãnh đạo Sở Khoa học và Công nghệ dự hội nghị vào lúc 8 giờ ngày 30/6/2025."])
    # A short "report" sharing two headings of the outline: a report, but no clear coverage.
    short = docx_of([*HEAD, "Số: 31/BC-STP", "Quảng Ngãi, ngày 20 tháng 6 năm 2025", "BÁO CÁO",
                     "Bổ sung tình hình thực hiện Đề án 996"], sections=2)
    dovecot.append(message("sotp@quangngai.example", "Giấy mời dự hội nghị", "<stp-b@quangngai.example>", "Kính mời.",
                           [("Giay moi.docx", invitation)]), folder=folder, date=t0 + dt.timedelta(days=3))
    dovecot.append(message("sotp@quangngai.example", "Báo cáo bổ sung Đề án 996", "<stp-c@quangngai.example>", "Gửi bổ sung.",
                           [("BC bo sung.docx", short)]), folder=folder, date=t0 + dt.timedelta(days=2))
    report = ingest_mail(mail_app).to_json()
    outcome = {i["message_id"]: i for i in report["items"]}
    assert outcome["<stp-b@quangngai.example>"]["classification"] == "unrelated"
    held = outcome["<stp-c@quangngai.example>"]
    assert held["status"] == "review" and held["units"][0]["status"] == "review"
    assert current_of(mail_app, "sotp") == first  # the report stays
    with mail_app.session() as s:
        assert s.scalars(select(Submission).where(Submission.id == first[0])).one().status == "valid"
        assert s.scalar(select(IndicatorValue.plan).where(IndicatorValue.submission_id == first[0], IndicatorValue.row_id == "1")) == 1250
        item = s.scalars(select(ReviewItem).where(ReviewItem.kind == "replace")).one()
        assert "chưa thay báo cáo hiện có" in item.reason and "đề cương" in item.reason
        assert item.candidates[0]["code"] == "sotp"  # the agency preselected
    status = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert status["sotp"]["state"] == "submitted" and status["sotp"]["submission_id"] == first[0]

    # A plan of the agency mentioning the programme, then a nil report ("không phát sinh")
    # after its real report: the plan is not a report; the nil report is a doubt (review), never
    # a silent replacement.
    plan = docx_of([*HEAD, "Số: 52/KH-STP", "Quảng Ngãi, ngày 01 tháng 7 năm 2025", "KẾ HOẠCH",
                    "Phổ biến pháp luật về đo lường năm 2026 trong khuôn khổ Đề án 996",
                    "I. MỤC ĐÍCH, YÊU CẦU", "Nâng cao nhận thức của cán bộ, công chức về đo lường.",
                    "II. NỘI DUNG", "1. Tổ chức 02 lớp tập huấn về đo lường cho cán bộ pháp chế các sở, ngành."])
    dovecot.append(message("sotp@quangngai.example", "Kế hoạch phổ biến pháp luật về đo lường", "<stp-e@quangngai.example>",
                           "Sở Tư pháp gửi Kế hoạch thực hiện Đề án 996 năm 2026.", [("KH.docx", plan)]),
                   folder=folder, date=t0 + dt.timedelta(days=3, hours=2))
    dovecot.append(message("sotp@quangngai.example", "Báo cáo Đề án 996", "<stp-f@quangngai.example>", "Gửi báo cáo.",
                           [("BC KPS.docx", nil_docx("SỞ TƯ PHÁP"))]), folder=folder, date=t0 + dt.timedelta(days=3, hours=3))
    outcome = {i["message_id"]: i for i in ingest_mail(mail_app).to_json()["items"]}
    assert outcome["<stp-e@quangngai.example>"]["classification"] == "unrelated", outcome["<stp-e@quangngai.example>"]
    nil = outcome["<stp-f@quangngai.example>"]
    assert nil["classification"] == "nil_report" and nil["status"] == "review", nil
    assert current_of(mail_app, "sotp") == first  # the report stays
    with mail_app.session() as s:
        held_nil = s.scalars(select(ReviewItem).where(ReviewItem.inbound_mail_id == nil["inbound_mail_id"])).one()
        assert held_nil.kind == "replace" and "không phát sinh gửi sau một báo cáo" in held_nil.reason
        assert held_nil.candidates[0]["code"] == "sotp"
    status = {r["id"]: r for r in status_report(mail_app)["recipients"]}
    assert status["sotp"]["state"] == "submitted" and status["sotp"]["pending_review"] == 2
    # Mail: only the report got a receipt (nothing says "đã nhận" for the plan, the
    # invitation or the held documents); a reminder speaks of the report that counts (what it
    # still lacks), not of the nil report waiting for review.
    to_sotp = [m.message for m in smtp.messages if m.message["To"] == "sotp@quangngai.example"]
    assert len(to_sotp) == 1 and to_sotp[0]["Subject"].startswith("Đã nhận báo cáo:")
    with mail_app.session() as s:
        lacking = s.get(Submission, first[0]).missing_sections
    (reminder,) = remind(mail_app, dry_run=True, manual=True, only={"sotp"})["would_send"]
    assert reminder["kind"] == "reminder_incomplete" and "đã nhận được báo cáo của Quý cơ quan" in reminder["text"]
    assert lacking and all(f"Mục {display_id(sid)}:" in reminder["text"] for sid in lacking)

    # A new version covering the outline as well as the first: it replaces the report.
    dovecot.append(message("sotp@quangngai.example", "Báo cáo Đề án 996 (thay thế)", "<stp-d@quangngai.example>", "Gửi bản mới.",
                           [("BC v2.docx", report_docx("SỞ TƯ PHÁP", "22/BC-STP", plan=1300, version="v2"))]), folder=folder, date=t0 + dt.timedelta(days=4))
    ingest_mail(mail_app)
    now = current_of(mail_app, "sotp")
    assert now is not None and now[1] == "22/BC-STP" and now[0] != first[0]


def test_a_reply_whose_only_report_is_unreadable_is_not_a_promise(mail_app, dovecot, smtp):
    from reportdocs import report_docx

    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.outbound.reminders import remind
    from storage.models import ReviewItem, Submission

    folder = mail_app.settings.imap.folder
    subject = "Re: " + mail_app.campaign().request.subject
    broken = report_docx("CÔNG AN TỈNH")[:900]
    dovecot.append(message("congan@quangngai.example", subject, "<ca-x@quangngai.example>", "Công an tỉnh gửi báo cáo ạ.",
                           [("BC.docx", broken)], In_Reply_To=REQUEST_ID, References=REQUEST_ID),
                   folder=folder, date=dt.datetime(2025, 8, 2, 9, 0, tzinfo=VN))
    report = ingest_mail(mail_app).to_json()
    item = report["items"][0]
    assert item["status"] == "review" and item.get("unreadable") is True, item
    with mail_app.session() as s:
        assert list(s.scalars(select(Submission))) == []  # no acknowledgement recorded as fact
        assert s.scalars(select(ReviewItem.kind)).one() == "unreadable"
    status = status_report(mail_app)
    congan = {r["id"]: r for r in status["recipients"]}["congan"]
    assert congan["state"] == "not_responded" and congan["failed_file"] is True
    assert congan["state_label"] == "Chưa nộp – tệp lỗi"
    from flows.runs.dashboard import status_rows
    from flows.web.workspace import board

    assert next(r for r in status_rows(status) if r["Mã"] == "congan")["Tình trạng"] == "Chưa nộp – tệp lỗi"
    assert next(r for r in board(mail_app)["rows"] if r.code == "congan").failed_file
    receipt = next(m.message for m in smtp.messages if m.message["To"] == "congan@quangngai.example").get_content()
    assert "không đọc được" in receipt and "gửi lại" in receipt
    plan = remind(mail_app, dry_run=True, manual=True, only={"congan"})
    assert [(w["recipient"], w["to"]) for w in plan["would_send"]] == [("congan", ["congan@quangngai.example"])], plan
    assert not any(s["recipient"] == "congan" for s in plan["skipped"]), plan["skipped"]
    smtp.messages.clear()
    sent = remind(mail_app, manual=True, only={"congan"})
    assert [s["recipient"] for s in sent["sent"]] == ["congan"], sent
    reminder = smtp.messages[0].message.get_content()
    assert "không mở được" in reminder and "gửi lại tệp Word" in reminder


def dashes_report() -> bytes:
    """The Sở Y tế's report with every figure cell of the table written "-" (its way of "none")."""
    import docx

    doc = docx.Document(str(FIXTURES.parent / "docx" / "syt_full.docx"))
    for row in doc.tables[1].rows[2:]:
        if row.cells[0].text.strip().isdigit():
            for cell in row.cells[2:5]:
                for para in cell.paragraphs:
                    for run in para.runs:
                        run.text = ""
                cell.paragraphs[0].add_run("-")
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_an_explicit_none_is_an_answer_in_status_receipt_and_reminders(mail_app, dovecot, smtp):
    from flows.app import status_report
    from flows.intake.mail import ingest_mail
    from flows.outbound.reminders import remind
    from storage.models import IndicatorValue

    folder = mail_app.settings.imap.folder
    dovecot.append(message("soyt@quangngai.example", "Báo cáo Đề án 996", "<syt-dash@quangngai.example>", "Sở Y tế gửi báo cáo.",
                           [("BC SYT.docx", dashes_report())]), folder=folder, date=dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN))
    ingest_mail(mail_app)
    with mail_app.session() as s:
        rows = list(s.scalars(select(IndicatorValue)))
    assert len(rows) == 7 and all(r.explicit_none and r.plan is None for r in rows)
    assert all(r.values["plan"]["source"] == "explicit_none" and r.values["plan"]["raw"] == "-" for r in rows)
    soyt = {r["id"]: r for r in status_report(mail_app)["recipients"]}["soyt"]
    assert soyt["state"] == "submitted" and soyt["incomplete"] == []
    receipt = next(m.message for m in smtp.messages if m.message["To"] == "soyt@quangngai.example").get_content()
    assert "còn thiếu số liệu" not in receipt
    assert receipt.count("không phát sinh (đơn vị ghi «-»)") == 7
    plan = remind(mail_app, dry_run=True, manual=True, only={"soyt"})
    assert any(s["recipient"] == "soyt" and "đã nộp" in s["reason"] for s in plan["skipped"]), plan


def test_a_reply_threaded_to_our_request_with_a_subject_tag_is_attributed(mail_app, dovecot):
    """From a personal address, no letterhead: the reply to our request to Sở Tư pháp and the
    subject tag "[STP]" are two agreeing medium signals; the thread alone is one (review)."""
    from reportdocs import report_docx

    from flows.intake.mail import ingest_mail
    from storage.models import OutboundMail, RecipientRow, ReviewItem

    campaign = mail_app.campaign()
    ours = "<baocao.request.00112233445566778899aabbccddeeff@baocao.invalid>"
    with mail_app.session() as s:
        rid = s.scalars(select(RecipientRow.id).where(RecipientRow.code == "sotp")).one()
        s.add(OutboundMail(campaign_id=campaign.id, recipient_id=rid, kind="request", slot="request", message_id=ours,
                           to_addrs=["sotp@quangngai.example"], subject=campaign.request.subject, status="sent"))
    folder = mail_app.settings.imap.folder
    when = dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN)
    body = "Em gửi báo cáo ạ."
    dovecot.append(message("nguyenvana@gmail.example", "[STP] Re: " + campaign.request.subject, "<p-1@gmail.example>", body,
                           [("BC.docx", report_docx("", "7/BC"))], In_Reply_To=ours, References=ours), folder=folder, date=when)
    dovecot.append(message("tranthib@gmail.example", "Re: " + campaign.request.subject, "<p-2@gmail.example>", body,
                           [("BC.docx", report_docx("", "8/BC", plan=99))], In_Reply_To=ours, References=ours), folder=folder, date=when)
    report = ingest_mail(mail_app).to_json()
    outcome = {i["message_id"]: i for i in report["items"]}
    tagged = outcome["<p-1@gmail.example>"]["units"][0]
    assert tagged["recipient"] == "sotp" and tagged["attributed_by"] == "tag+thread", tagged
    alone = outcome["<p-2@gmail.example>"]
    assert alone["status"] == "review", alone
    with mail_app.session() as s:
        item = s.scalars(select(ReviewItem)).one()
        assert item.kind == "attribution" and item.candidates[0]["code"] == "sotp"  # preselected, not recorded


def ingest_one(mail_app, dovecot, sender: str, subject: str, file: tuple[str, bytes]) -> dict:
    """Deliver one message with one attachment to the campaign mailbox and ingest it."""
    from flows.intake.mail import ingest_mail

    msgid = f"<{uuid.uuid4().hex[:12]}@quangngai.example>"
    dovecot.append(message(sender, subject, msgid, "Đơn vị gửi văn bản.", [file]),
                   folder=mail_app.settings.imap.folder, date=dt.datetime(2025, 8, 5, 9, 0, tzinfo=VN))
    return ingest_mail(mail_app).to_json()["items"][0]


def test_comments_on_a_draft_are_not_a_report(mail_app, dovecot):
    """Comments on a draft from Sở Tư pháp (from the independent corpus): it names the
    programme but reports nothing in its own name. Not a report: nothing recorded."""
    from flows.app import status_report
    from storage.models import Submission

    letter = (FIXTURES.parent / "independent" / "z07_sotp_comments_on_draft.docx").read_bytes()
    item = ingest_one(mail_app, dovecot, "sotp@quangngai.example", "Góp ý dự thảo", ("Gop y.docx", letter))
    assert item["classification"] == "unrelated", item
    with mail_app.session() as s:
        assert list(s.scalars(select(Submission))) == []
    assert {r["id"]: r for r in status_report(mail_app)["recipients"]}["sotp"]["state"] == "not_responded"


def empty_outline_docx() -> bytes:
    """The outline's headings copied, nothing written under them, no nil wording."""
    from docx import Document
    from reportdocs import SECTIONS

    doc = Document()
    for line in [*HEAD, "Số: 77/BC-STP", "BÁO CÁO", "Sơ kết Đề án 996"]:
        doc.add_paragraph(line)
    for label, heading, sid in SECTIONS:
        doc.add_paragraph(f"{label}) {heading}:" if sid else f"{label}. {heading}").runs[0].bold = True
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def test_a_report_answering_nothing_is_not_recorded(mail_app, dovecot):
    """The outline copied without a single answer: a "report" with coverage 0 is no positive
    evidence of one: review, nothing recorded."""
    from flows.app import status_report
    from storage.models import ReviewItem, Submission

    item = ingest_one(mail_app, dovecot, "sotp@quangngai.example", "Báo cáo Đề án 996", ("BC.docx", empty_outline_docx()))
    assert item["status"] == "review", item
    with mail_app.session() as s:
        assert list(s.scalars(select(Submission))) == []
        review = s.scalars(select(ReviewItem)).one()
        assert review.kind == "doubtful_report" and review.candidates[0]["code"] == "sotp"
    assert {r["id"]: r for r in status_report(mail_app)["recipients"]}["sotp"]["state"] == "not_responded"


def test_an_outline_answered_only_with_none_is_recorded_as_a_nil_report(mail_app, dovecot):
    """Sở Dân tộc và Tôn giáo copies the whole outline, answers "Không" everywhere and puts "-"
    in every cell (independent corpus n07): the agency has answered "không phát sinh"."""
    from flows.app import status_report
    from storage.models import Submission

    report = (FIXTURES.parent / "independent" / "n07_sodttg_outline_all_none.docx").read_bytes()
    item = ingest_one(mail_app, dovecot, "sodttg@quangngai.example", "Báo cáo Đề án 996", ("BC.docx", report))
    assert item["classification"] == "nil_report", item
    with mail_app.session() as s:
        sub = s.scalars(select(Submission)).one()
        assert sub.kind == "nil_report" and sub.status == "valid"
    sodttg = {r["id"]: r for r in status_report(mail_app)["recipients"]}["sodttg"]
    assert sodttg["state"] == "nil_report" and sodttg["incomplete"] == []
