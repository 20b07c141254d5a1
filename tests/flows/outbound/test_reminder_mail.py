"""Reminders (and receipts) as agencies receive them, through a real SMTP server (aiosmtpd), on SQLite and
PostgreSQL: threaded to the request, a new date after the deadline (never one already
past), section ids as the outline writes them ("2.2.đ")."""

from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import docx
from sqlalchemy import select

from flows.app import App
from flows.dev.smtp_capture import SmtpCapture
from flows.history import recipient_history
from flows.outbound.receipts import receipt_context
from flows.outbound.reminders import calendar_for, remind, resubmit_by
from flows.outbound.requests import send_request
from reports.forms import outline_docx
from reports.mailtext import render_mail
from storage.blobs import store_blob
from storage.campaigns import recipient_by_code
from storage.models import InboundMail, OutboundMail, RecipientRow, SectionAnswer, Submission

TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def incomplete(app: App, code: str, sections: list[str], rows: list[str]) -> None:
    with app.session() as session:
        rec = recipient_by_code("de-an-996", code, session=session)
        session.add(Submission(campaign_id="de-an-996", recipient_id=rec.id, channel="email", kind="report",
                               received_at=dt.datetime(2025, 8, 12, 10, tzinfo=TZ), content_key=f"{code}-1",
                               missing_sections=sections, missing_rows=rows))
        session.commit()


def request_ids(app: App) -> dict[str, str]:
    with app.session() as session:
        rows = session.execute(
            select(RecipientRow.code, OutboundMail.message_id)
            .join(RecipientRow, RecipientRow.id == OutboundMail.recipient_id)
            .where(OutboundMail.kind == "request")
        )
        return dict(rows.all())


def by_kind(server: SmtpCapture, kind: str) -> dict[str, object]:
    return {m.rcpt_tos[0].split("@")[0]: m.message for m in server.messages if m.message["X-Baocao-Kind"] == kind}


def test_reminders_reply_to_the_request_and_name_a_date_ahead(mail_app: App, smtp_server: SmtpCapture) -> None:
    assert len(send_request(mail_app)["sent"]) == 28
    requests = request_ids(mail_app)
    incomplete(mail_app, "sotc", ["1.a", "2.2.dd"], ["3"])
    # Before the deadline: the incomplete reminder asks for the deadline itself.
    before = remind(mail_app, now=dt.datetime(2025, 8, 14, 9, 0, tzinfo=TZ))
    assert before["slot"].startswith("before-1") and before["failed"] == []
    text = by_kind(smtp_server, "reminder_incomplete")["sotc"].get_body().get_content()
    assert "gửi lại báo cáo chậm nhất trong ngày 15/08/2025." in text
    smtp_server.messages.clear()
    # After the deadline (Fri 15/08): Mon 18/08 + 5 working days = Mon 25/08, never 15/08.
    after = remind(mail_app, now=dt.datetime(2025, 8, 18, 9, 0, tzinfo=TZ))
    assert after["slot"].startswith("overdue-1") and after["failed"] == []
    mail = by_kind(smtp_server, "reminder_incomplete")["sotc"]
    text = mail.get_body().get_content()
    assert "gửi lại báo cáo chậm nhất trong ngày 25/08/2025 (hạn gửi ban đầu: hết ngày 15/08/2025)." in text
    assert "trước ngày 15/08/2025" not in text
    assert "- Mục 2.2.đ: Về nghiên cứu phát triển, thương mại hóa chất chuẩn" in text and "2.2.dd" not in text
    assert "- Mục 1.a: Về xây dựng" in text and "dòng 3: Nhiệm vụ nghiên cứu" in text
    # Threaded: every reminder replies to the request that recipient got.
    reminders = {**by_kind(smtp_server, "reminder"), "sotc": mail}
    assert len(reminders) == 28
    for code, message in reminders.items():
        assert message["In-Reply-To"] == requests[code], code
        assert message["References"] == requests[code], code
    # The agency's history says it the same way.
    entries = recipient_history(mail_app, "sotc")["entries"]
    assert any("còn thiếu: 1.a, 2.2.đ, 3" in e["summary"] for e in entries if e["kind"] == "submission")


def test_resubmit_date_policy(mail_app: App) -> None:
    campaign = mail_app.campaign("de-an-996")
    calendar = calendar_for(campaign)
    policy = campaign.reminders
    deadline = dt.date(2025, 8, 15)
    assert resubmit_by(calendar, policy, deadline, dt.date(2025, 8, 15)) == deadline
    assert resubmit_by(calendar, policy, deadline, dt.date(2025, 8, 18)) == dt.date(2025, 8, 25)
    # Across Quốc khánh (1–2/9/2025 off): Fri 29/8 + 3, 4, 5, 8, 9 September.
    assert resubmit_by(calendar, policy, deadline, dt.date(2025, 8, 29)) == dt.date(2025, 9, 9)
    three = policy.model_copy(update={"resubmit_working_days": 3})
    for day in (dt.date(2025, 8, 18) + dt.timedelta(days=i) for i in range(40)):
        assert resubmit_by(calendar, three, deadline, day) > day


def test_no_reminder_without_a_request_has_threading_headers(mail_app: App, smtp_server: SmtpCapture) -> None:
    """A request sent outside baocao (no ledger row): the reminder starts its own thread."""
    remind(mail_app, now=dt.datetime(2025, 8, 18, 9, 0, tzinfo=TZ))
    assert smtp_server.messages and all(m.message["In-Reply-To"] is None for m in smtp_server.messages)


def test_outline_form_prints_ids_as_written(mail_app: App) -> None:
    document = docx.Document(io.BytesIO(outline_docx(mail_app.campaign("de-an-996"))))
    lines = [p.text for p in document.paragraphs]
    assert "đ) Về nghiên cứu phát triển, thương mại hóa chất chuẩn, chuẩn đo lường, phương tiện đo" in lines
    assert not any(line.startswith("dd)") for line in lines)


def test_receipt_lists_sections_as_written(mail_app: App) -> None:
    campaign = mail_app.campaign("de-an-996")
    with mail_app.session() as session:
        rec = recipient_by_code("de-an-996", "sotc", session=session)
        blob = store_blob(mail_app.blobs, b"Subject: x\r\n\r\nx\r\n", session=session)
        mail = InboundMail(campaign_id="de-an-996", mailbox="INBOX", uidvalidity=1, uid=1, raw_sha256=blob.sha256,
                           subject="Báo cáo Đề án 996", recipient_id=rec.id, classification="submission")
        session.add(mail)
        session.flush()
        sub = Submission(campaign_id="de-an-996", recipient_id=rec.id, channel="email", kind="report",
                         received_at=dt.datetime(2025, 8, 12, 10, tzinfo=TZ), content_key="sotc-r",
                         inbound_mail_id=mail.id, missing_sections=["2.2.d"], missing_rows=[])
        session.add(sub)
        session.flush()
        session.add_all([SectionAnswer(submission_id=sub.id, section_id=i, text="Có.", empty=False)
                         for i in ("1.a", "2.2.dd")])
        session.flush()
        context = receipt_context(campaign, mail, sub, rec, session=session)
    _, text = render_mail(mail_app.settings.templates_dir, "receipt", context)
    assert "(1.a, 2.2.đ)" in text and "2.2.dd" not in text


def reminder_text(server: SmtpCapture, code: str) -> str:
    return by_kind(server, "reminder")[code].get_body().get_content()


def test_reminder_words_on_the_deadline_day_and_the_weekend_after(mail_app: App, smtp_server: SmtpCapture) -> None:
    """A person's "nhắc ngay": on the deadline day and on the Sunday after it, in working days."""
    on_the_day = remind(mail_app, now=dt.datetime(2025, 8, 15, 9, 0, tzinfo=TZ), only=["sonv"], manual=True)
    assert len(on_the_day["sent"]) == 1
    text = reminder_text(smtp_server, "sonv")
    assert "gửi báo cáo chậm nhất trong ngày 15/08/2025 (hôm nay là hạn cuối)." in text and "0 ngày" not in text
    smtp_server.messages.clear()
    sunday = remind(mail_app, now=dt.datetime(2025, 8, 17, 10, 0, tzinfo=TZ), only=["sonv"], manual=True)
    assert len(sunday["sent"]) == 1
    text = reminder_text(smtp_server, "sonv")
    assert "hạn gửi chậm nhất trong ngày 15/08/2025 (đã quá hạn)." in text and "0 ngày" not in text
    smtp_server.messages.clear()
    remind(mail_app, now=dt.datetime(2025, 8, 19, 10, 0, tzinfo=TZ), only=["sonv"], manual=True)
    assert "(đã quá hạn 2 ngày làm việc)." in reminder_text(smtp_server, "sonv")
    # The agency's history names the slots in Vietnamese, not "manual-2025-08-15@…".
    summaries = [e["summary"] for e in recipient_history(mail_app, "sonv")["entries"] if e["kind"] == "reminder"]
    assert "Thư nhắc (nhắc ngay ngày 15/08/2025, hạn 15/08/2025) tới" in summaries[0]
    assert not any("manual-" in s for s in summaries)


def test_an_extension_to_a_holiday_reads_as_the_last_working_day(mail_app: App, smtp_server: SmtpCapture) -> None:
    """Extended to Tue 02/09/2025 (Quốc khánh): on Fri 29/08 no working day is left before it."""
    from storage.corrections import set_deadline

    with mail_app.session() as session:
        rec = recipient_by_code("de-an-996", "sotc", session=session)
        set_deadline("de-an-996", rec.id, dt.date(2025, 9, 2), "xin gia hạn", "cb", session=session)
        session.commit()
    result = remind(mail_app, now=dt.datetime(2025, 8, 29, 9, 0, tzinfo=TZ), only=["sotc"])
    assert [s["recipient"] for s in result["sent"]] == ["sotc"]
    text = reminder_text(smtp_server, "sotc")
    assert "gửi báo cáo chậm nhất trong ngày 02/09/2025 (hôm nay là ngày làm việc cuối cùng trước hạn)." in text
    assert "0 ngày" not in text
