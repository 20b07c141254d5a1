"""A mail meant as the answer whose files are no outline report is never dropped as unrelated
(independent review: Sở Tài chính's report on Kế hoạch 101/KH-UBND, the plan the request
cites; a Word file whose body is an HTML altChunk). Nor is a stranger's mail put to review."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))
VN = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2025, 8, 2, 9, 0, tzinfo=VN)
SUBJECT = "Báo cáo Đề án 996 (Kế hoạch 101/KH-UBND) - Sở Tài chính"
BODY = "Kính gửi Sở KH&CN, Sở Tài chính gửi báo cáo sơ kết Đề án 996 (đính kèm)."


def _ingest(
    mail_app, dovecot, frm: str, subject: str, msgid: str, body: str, files: list[tuple[str, bytes]]
) -> dict:
    from flows.intake.mail import ingest_mail
    from tests.integration.test_trust import message

    dovecot.append(
        message(frm, subject, msgid, body, files), folder=mail_app.settings.imap.folder, date=T0
    )
    (item,) = ingest_mail(mail_app).to_json()["items"]
    return item


def test_agency_report_in_another_form_goes_to_review_not_unrelated(mail_app, dovecot, smtp):
    from reportdocs import plan_report_docx

    from flows.app import status_report
    from flows.intake.review import assign_item
    from flows.outbound.reminders import remind
    from flows.runs.dashboard import status_rows
    from flows.web.workspace import board
    from storage.models import InboundMail, OutboundMail, ReviewItem, Submission

    item = _ingest(
        mail_app,
        dovecot,
        "sotc@quangngai.example",
        SUBJECT,
        "<stc-1@quangngai.example>",
        BODY,
        [("BC 996 STC.docx", plan_report_docx())],
    )
    assert (
        item["classification"] == "files_to_check"
        and item["status"] == "review"
        and item.get("to_check") is True
    ), item
    with mail_app.session() as s:
        assert list(s.scalars(select(Submission))) == []  # nothing counted before a person looks
        review = s.scalars(select(ReviewItem)).one()
        assert review.kind == "doubtful_report" and review.status == "open"
        assert (
            "không giống báo cáo theo đề cương" in review.reason
            and "BC 996 STC.docx" in review.reason
        )
        assert review.candidates[0]["code"] == "sotc" and review.document_id is not None
        assert s.get(InboundMail, item["inbound_mail_id"]).recipient_id is not None
    status = status_report(mail_app)
    sotc = {r["id"]: r for r in status["recipients"]}["sotc"]
    assert (
        sotc["state"] == "not_responded"
        and sotc["to_check"] is True
        and sotc["failed_file"] is False
    )
    assert sotc["state_label"] == "Đã gửi tệp – chờ kiểm tra" and sotc["pending_review"] == 1
    assert status["counts"]["to_check"] == 1
    assert (
        next(r for r in status_rows(status) if r["Mã"] == "sotc")["Tình trạng"]
        == "Đã gửi tệp – chờ kiểm tra"
    )
    assert next(r for r in board(mail_app)["rows"] if r.code == "sotc").to_check
    # No reminder claims it sent nothing while its files wait for a person.
    plan = remind(mail_app, dry_run=True, manual=True, only={"sotc"})
    assert [s["reason"] for s in plan["skipped"] if s["recipient"] == "sotc"] == [
        "đơn vị đã gửi tệp, đang chờ cán bộ kiểm tra"
    ]
    assert not plan.get("would_send"), plan
    # The agency is told its mail came and waits for a person: not that a report was recorded.
    (held,) = [m.message for m in smtp.messages if m.message["To"] == "sotc@quangngai.example"]
    assert held["Subject"] == f"Đã nhận thư: {SUBJECT}"
    assert held["In-Reply-To"] == "<stc-1@quangngai.example>"
    text = held.get_content()
    assert "- Tệp nhận được: BC 996 STC.docx" in text
    assert "chưa được ghi nhận là báo cáo" in text and "cán bộ sẽ xem tệp" in text
    assert "Ghi nhận cho đơn vị" not in text and "Các mục đã có nội dung" not in text
    # A person says it is the report: recorded for Sở Tài chính, the flag goes.
    done = assign_item(mail_app, review.id, "sotc")
    assert done["recipient"] == "sotc" and done["created"] is True
    sotc = {r["id"]: r for r in status_report(mail_app)["recipients"]}["sotc"]
    assert sotc["state"] == "submitted" and sotc["to_check"] is False
    # …and now the agency hears what was recorded, in a second receipt of its own.
    sent = [m.message for m in smtp.messages if m.message["To"] == "sotc@quangngai.example"]
    assert len(sent) == 2 and sent[0]["Message-ID"] == held["Message-ID"]
    later = sent[1]
    assert later["Subject"] == f"Đã nhận báo cáo: {SUBJECT}" and later["In-Reply-To"] == "<stc-1@quangngai.example>"
    assert "- Ghi nhận cho đơn vị: Sở Tài chính" in later.get_content()
    with mail_app.session() as s:
        slots = sorted(s.scalars(select(OutboundMail.slot).where(OutboundMail.kind == "receipt")))
    mail_id = item["inbound_mail_id"]
    assert slots == [f"mail:{mail_id}", f"mail:{mail_id}:sau-kiem-tra"]
    # The first went out on its own ("system"); the second because a person decided: named.
    from storage.models import Event

    with mail_app.session() as s:
        actors = {e.data["slot"]: e.actor for e in s.scalars(select(Event).where(Event.kind == "mail_sent"))
                  if e.data.get("kind") == "receipt"}
    assert actors == {f"mail:{mail_id}": "system", f"mail:{mail_id}:sau-kiem-tra": "cán bộ"}
    # Every later run finds nothing owed: neither receipt goes twice.
    from flows.outbound.receipts import deliver_pending_receipts

    assert deliver_pending_receipts(mail_app, mail_app.campaign()) is None
    assert len([m for m in smtp.messages if m.message["To"] == "sotc@quangngai.example"]) == 2


def test_dismissed_files_leave_the_agency_to_be_reminded(mail_app, dovecot, smtp):
    from reportdocs import plan_report_docx

    from flows.app import status_report
    from flows.intake.review import dismiss_item
    from flows.outbound.reminders import remind
    from storage.models import ReviewItem

    _ingest(
        mail_app,
        dovecot,
        "sotc@quangngai.example",
        SUBJECT,
        "<stc-2@quangngai.example>",
        BODY,
        [("BC 996 STC.docx", plan_report_docx())],
    )
    with mail_app.session() as s:
        review_id = s.scalars(select(ReviewItem.id)).one()
    dismiss_item(mail_app, review_id, "không phải báo cáo theo đề cương")
    sotc = {r["id"]: r for r in status_report(mail_app)["recipients"]}["sotc"]
    assert sotc["state"] == "not_responded" and sotc["to_check"] is False
    assert sotc["state_label"] == "Chưa trả lời"
    plan = remind(mail_app, dry_run=True, manual=True, only={"sotc"})
    assert not any(s["recipient"] == "sotc" for s in plan["skipped"]), plan["skipped"]


def test_altchunk_word_file_is_unreadable_with_its_reason(mail_app, dovecot, smtp):
    from reportdocs import altchunk_docx

    from flows.app import status_report
    from storage.models import ReviewItem

    html = "<html><body><p><b>BÁO CÁO</b></p><p>Sơ kết Đề án 996 giai đoạn 2018 - 2025</p></body></html>"
    item = _ingest(
        mail_app,
        dovecot,
        "sotc@quangngai.example",
        "Báo cáo sơ kết Đề án 996 - Sở Tài chính",
        "<stc-3@quangngai.example>",
        BODY,
        [("BC 996 STC.docx", altchunk_docx(html))],
    )
    assert item["status"] == "review" and item.get("unreadable") is True, item
    assert "altChunk" in item["rejected"][0]["reason"]
    with mail_app.session() as s:
        review = s.scalars(select(ReviewItem)).one()
        assert review.kind == "unreadable" and "altChunk" in review.reason
    sotc = {r["id"]: r for r in status_report(mail_app)["recipients"]}["sotc"]
    assert sotc["failed_file"] is True and sotc["state_label"] == "Chưa nộp – tệp lỗi"
    receipt = next(
        m.message for m in smtp.messages if m.message["To"] == "sotc@quangngai.example"
    ).get_content()
    assert "altChunk" in receipt and "Save As" in receipt


def test_a_strangers_unrelated_mail_with_a_word_file_stays_unrelated(mail_app, dovecot, smtp):
    from storage.models import ReviewItem
    from tests.integration.test_trust import docx_of

    brochure = docx_of(
        [
            "CÔNG TY TNHH ABC",
            "BẢNG BÁO GIÁ",
            "Máy in laser khuyến mãi tháng 8, giảm 20% cho khách hàng cơ quan.",
        ]
    )
    item = _ingest(
        mail_app,
        dovecot,
        "sales@abc-shop.example",
        "Báo giá máy in tháng 8",
        "<abc-1@abc-shop.example>",
        "Kính gửi quý khách, xin gửi bảng báo giá đính kèm.",
        [("Bao gia.docx", brochure)],
    )
    assert item["classification"] == "unrelated" and item["status"] == "processed", item
    with mail_app.session() as s:
        assert list(s.scalars(select(ReviewItem))) == []
    assert smtp.messages == []


def test_review_queue_shows_when_the_mail_arrived_not_when_the_item_was_opened(
    mail_app, dovecot, smtp, monkeypatch, capsys
):
    from reportdocs import plan_report_docx

    import flows.cli.ingest as cli_ingest
    from flows.app import review_json

    # An old mail, read at a first pass long after it came: its Date header is 10/06/2025 09:15 (+07).
    _ingest(
        mail_app,
        dovecot,
        "sotc@quangngai.example",
        SUBJECT,
        "<stc-4@quangngai.example>",
        BODY,
        [("BC 996 STC.docx", plan_report_docx())],
    )
    with mail_app.session() as s:
        (item,) = review_json(mail_app.campaign().id, session=s, tz=mail_app.campaign().tz)
    assert item["received_at"] == "2025-06-10T09:15:00+07:00"
    assert item["created_at"][:10] != "2025-06-10"  # opened now, by this run
    monkeypatch.setattr(cli_ingest, "make_app", lambda: mail_app)
    monkeypatch.setenv("COLUMNS", "250")
    cli_ingest.review(campaign=None, as_json=False)
    shown = capsys.readouterr().out
    assert "Nhận lúc" in shown and "2025-06-10 09:15" in shown
    assert item["created_at"][:16].replace("T", " ") not in shown


def test_the_review_plan_names_the_file_that_may_be_the_report(mail_app, dovecot, smtp):
    from reportdocs import plan_report_docx

    from storage.models import Document, ReviewItem
    from tests.integration.test_trust import docx_of

    plan = docx_of(
        [
            "UBND TỈNH QUẢNG NGÃI",
            "SỞ TÀI CHÍNH",
            "Số: 52/KH-STC",
            "KẾ HOẠCH",
            "Kiểm tra kinh phí đo lường năm 2026",
        ]
    )
    item = _ingest(
        mail_app,
        dovecot,
        "sotc@quangngai.example",
        SUBJECT,
        "<stc-5@quangngai.example>",
        BODY,
        [("KH 2026.docx", plan), ("BC 996 STC.docx", plan_report_docx())],
    )
    assert item["classification"] == "files_to_check", item
    with mail_app.session() as s:
        review = s.scalars(select(ReviewItem)).one()
        assert s.get(Document, review.plan["document_id"]).filename == "BC 996 STC.docx"
