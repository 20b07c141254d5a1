"""What agencies read, through a real SMTP server (aiosmtpd), decoded with policy.default:
Message-IDs in the sender's own domain, no English "(Reply)", and a reminder a person sends
from the workspace says so and counts its overdue days from the day it carries."""

from __future__ import annotations

import datetime as dt
import email
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo

import pytest

from config import clock
from flows.app import App
from flows.dev.smtp_capture import SmtpCapture
from flows.outbound.reminders import calendar_for, remind
from flows.outbound.requests import send_request
from parsers.mailids import DOMAIN, is_our_message_id, make_message_id, message_id_domain

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SENDER = "tdc@skhcn.quangngai.gov.vn"
MAIL_SENDER = SENDER  # the From of this module's mails (conftest.mail_app)


def decoded(server: SmtpCapture, kind: str) -> list[EmailMessage]:
    found = [email.message_from_bytes(m.data, policy=default_policy) for m in server.messages]
    return [m for m in found if m["X-Baocao-Kind"] == kind]


def travel(monkeypatch: pytest.MonkeyPatch, moment: dt.datetime) -> dt.datetime:
    monkeypatch.setenv(clock.ENV, repr((moment - dt.datetime.now(dt.UTC)).total_seconds()))
    return moment


def test_message_ids_carry_the_senders_domain() -> None:
    assert message_id_domain("Sở KH&CN <tdc@skhcn.quangngai.gov.vn>") == "skhcn.quangngai.gov.vn"
    assert message_id_domain(None) == DOMAIN and message_id_domain("không-có-a-còng") == DOMAIN
    ours = make_message_id("reminder", SENDER)
    assert ours.endswith("@skhcn.quangngai.gov.vn>") and is_our_message_id(ours)
    # Ids made before the sender was configured still count as ours (threads keep working).
    assert is_our_message_id(make_message_id("request"))
    assert not is_our_message_id("<CAF1234@mail.gmail.com>")


def test_request_and_reminders_in_vietnamese_with_our_domain(mail_app: App, smtp_server: SmtpCapture, monkeypatch) -> None:
    travel(monkeypatch, dt.datetime(2025, 8, 1, 9, 0, tzinfo=TZ))
    assert len(send_request(mail_app)["sent"]) == 28
    requests = decoded(smtp_server, "request")
    remind(mail_app, now=travel(monkeypatch, dt.datetime(2025, 8, 14, 9, 0, tzinfo=TZ)))
    reminders = decoded(smtp_server, "reminder")
    assert len(requests) == 28 and reminders
    for msg in requests + reminders:
        assert msg["Message-ID"].endswith("@skhcn.quangngai.gov.vn>"), msg["Message-ID"]
        text = msg.get_body().get_content()
        assert "(Reply)" not in text and "Reply" not in text
        assert "trả lời thư này" in text.lower()
    request_ids = {m["Message-ID"] for m in requests}
    assert all(m["In-Reply-To"] in request_ids for m in reminders)  # whole ids, threads intact
    # The deadline is the whole day: "trước ngày 15/08" reads as "by 14/08".
    for msg in requests + reminders:
        text = msg.get_body().get_content()
        assert "chậm nhất trong ngày 15/08/2025" in text and "trước ngày" not in text
    # A scheduled reminder is an automatic one, and is dated by the clock it was sent on.
    assert all("Thư nhắc tự động" in m.get_body().get_content() for m in reminders)
    assert all(parsedate_to_datetime(m["Date"]).date() == dt.date(2025, 8, 14) for m in reminders)


def test_a_reminder_sent_by_a_person_says_so_and_counts_from_its_own_day(
    mail_app: App, smtp_server: SmtpCapture, monkeypatch
) -> None:
    travel(monkeypatch, dt.datetime(2025, 8, 1, 9, 0, tzinfo=TZ))
    send_request(mail_app)
    smtp_server.messages.clear()
    # 21:39 on Wed 20/08/2025, outside the sending window: a person's "Gửi thư nhắc ngay".
    now = travel(monkeypatch, dt.datetime(2025, 8, 20, 21, 39, tzinfo=TZ))
    result = remind(mail_app, only=["sotp"], manual=True, actor="lan")
    assert result["failed"] == [] and len(result["sent"]) == 1
    [msg] = decoded(smtp_server, "reminder")
    date = parsedate_to_datetime(msg["Date"]).astimezone(TZ)
    assert date.date() == now.date()
    text = msg.get_body().get_content()
    late = calendar_for(mail_app.campaign()).working_days_between(dt.date(2025, 8, 15), date.date())
    assert late == 3  # Mon 18, Tue 19, Wed 20
    assert f"đã quá hạn {late} ngày làm việc" in text
    assert "Thư nhắc tự động" not in text and "do cán bộ phụ trách gửi" in text
    assert msg["Auto-Submitted"] == "no"  # a person sent it (RFC 3834)
