"""An address known to bounce gets no more mail (real Dovecot for the bounces and replies,
real SMTP sink for what leaves, SQLite and PostgreSQL): the reminder goes to the agency's
other address; an agency with no other one is not reminded and is named for staff (dry run,
`status`); a later reply from the address clears the mark."""

from __future__ import annotations

import datetime as dt
import email
import sys
import uuid
from email.policy import default as default_policy

import pytest

from config import clock
from flows.app import status_report
from flows.cli.main import main
from flows.cli.status import print_status_table
from flows.dev.demo_data import bounce, mail
from flows.intake.mail import ingest_mail
from flows.outbound.reminders import remind
from flows.outbound.requests import send_request

VN = dt.timezone(dt.timedelta(hours=7))
OFFICE = "tdc@skhcn.quangngai.example"
NOTE = "địa chỉ hhdnkt@kontum.example bị trả lại ngày 06/08/2025; cần địa chỉ khác"


@pytest.fixture
def mail_app(app, dovecot, smtp):
    folder = f"B{uuid.uuid4().hex[:10]}"
    app.settings.imap = dovecot.settings(folder=folder)
    app.settings.smtp = smtp.settings().model_copy(update={"sender": OFFICE})
    smtp.messages.clear()
    return app, folder


def travel(monkeypatch, moment: dt.datetime) -> dt.datetime:
    """The product's clock at `moment` (undone after the test)."""
    monkeypatch.setenv(clock.ENV, repr((moment - dt.datetime.now(dt.UTC)).total_seconds()))
    return moment


def sent(smtp) -> list[email.message.EmailMessage]:
    """What the sink received, decoded as any reader would (policy.default)."""
    return [email.message_from_bytes(m.data, policy=default_policy) for m in smtp.messages]


def cli(monkeypatch, capsys, app, *args: str) -> str:
    monkeypatch.setattr("flows.cli.remind.make_app", lambda: app)
    monkeypatch.setattr(sys, "argv", ["baocao", *args])
    with pytest.raises(SystemExit):
        main()
    return capsys.readouterr().out


def test_bounced_addresses_get_no_mail_and_staff_are_told(mail_app, dovecot, smtp, monkeypatch, capsys):
    app, folder = mail_app
    travel(monkeypatch, dt.datetime(2025, 8, 1, 9, 0, tzinfo=VN))
    assert len(send_request(app)["sent"]) == 28
    smtp.messages.clear()
    # Hiệp hội Kon Tum's only address bounces on 06/08; one of Sở Tài chính's two on 07/08.
    dovecot.append(bounce("hhdnkt@kontum.example", dt.datetime(2025, 8, 6, 9, 2, tzinfo=VN)), folder=folder,
                   date=dt.datetime(2025, 8, 6, 9, 2, tzinfo=VN))
    dovecot.append(bounce("sotc@quangngai.example", dt.datetime(2025, 8, 7, 9, 0, tzinfo=VN)), folder=folder,
                   date=dt.datetime(2025, 8, 7, 9, 0, tzinfo=VN))
    travel(monkeypatch, dt.datetime(2025, 8, 13, 9, 0, tzinfo=VN))
    ingest_mail(app)

    result = remind(app, now=travel(monkeypatch, dt.datetime(2025, 8, 14, 9, 0, tzinfo=VN)))
    assert result["failed"] == [] and len(result["sent"]) == 27
    reminders = [m for m in sent(smtp) if m["X-Baocao-Kind"] == "reminder"]
    to = [a.addr_spec for m in reminders for a in m["To"].addresses]
    assert "hhdnkt@kontum.example" not in to and "sotc@quangngai.example" not in to
    assert "vanthu.sotc@quangngai.example" in to
    assert not any("hhdnkt@kontum.example" in rcpt for m in smtp.messages for rcpt in m.rcpt_tos)
    [skip] = [s for s in result["skipped"] if s["recipient"] == "hhdnkt"]
    assert skip == {"recipient": "hhdnkt", "reason": NOTE, "needs_address": True}

    # The dry run of the next slot says it too, in Vietnamese, and would not send to it.
    out = cli(monkeypatch, capsys, app, "remind", "--now", "2025-08-20T09:00:00+07:00", "--dry-run")
    assert f"Cần xử lý: hhdnkt: {NOTE}." in " ".join(out.split())
    assert "hhdnkt@kontum.example" not in out.replace(NOTE, "")
    assert "Lượt nhắc lần" in out and "sau hạn 15/08/2025 lúc 09:00 20/08/2025" in out and "overdue-" not in out
    # And `status`.
    report = status_report(app)
    row = {r["id"]: r for r in report["recipients"]}
    assert row["hhdnkt"]["needs_address"] == NOTE and row["sotc"]["needs_address"] is None
    print_status_table(report)
    assert f"({'hhdnkt'}): {NOTE}." in " ".join(capsys.readouterr().out.split())

    # A reply from the address, after the bounce: it works, the mark goes, reminders reach it.
    dovecot.append(mail("Hiệp hội Doanh nghiệp tỉnh Kon Tum <hhdnkt@kontum.example>", "Re: báo cáo Đề án 996",
                        "Đã nhận công văn. Hiệp hội sẽ gửi báo cáo sau.", dt.datetime(2025, 8, 21, 8, 30, tzinfo=VN)),
                   folder=folder, date=dt.datetime(2025, 8, 21, 8, 30, tzinfo=VN))
    travel(monkeypatch, dt.datetime(2025, 8, 21, 8, 45, tzinfo=VN))
    ingest_mail(app)
    row = {r["id"]: r for r in status_report(app)["recipients"]}
    assert row["hhdnkt"]["bouncing"] == [] and row["hhdnkt"]["needs_address"] is None
    assert row["sotc"]["bouncing"] == ["sotc@quangngai.example"]  # nobody answered from that one
    smtp.messages.clear()
    again = remind(app, now=dt.datetime(2025, 8, 21, 9, 0, tzinfo=VN), only=["hhdnkt"], manual=True, actor="lan")
    assert [e["to"] for e in again["sent"]] == [["hhdnkt@kontum.example"]]


def test_a_reply_written_before_the_bounce_does_not_clear_it(mail_app, dovecot, smtp, monkeypatch):
    app, folder = mail_app
    travel(monkeypatch, dt.datetime(2025, 8, 1, 9, 0, tzinfo=VN))
    send_request(app)
    travel(monkeypatch, dt.datetime(2025, 8, 8, 9, 0, tzinfo=VN))
    dovecot.append(bounce("hhdnkt@kontum.example", dt.datetime(2025, 8, 6, 9, 2, tzinfo=VN)), folder=folder,
                   date=dt.datetime(2025, 8, 6, 9, 2, tzinfo=VN))
    ingest_mail(app)
    # Arrives (is polled) later, but was written on 05/08, before the address bounced.
    dovecot.append(mail("Hiệp hội Doanh nghiệp tỉnh Kon Tum <hhdnkt@kontum.example>", "Re: báo cáo Đề án 996",
                        "Đã nhận công văn. Hiệp hội sẽ gửi báo cáo sau.", dt.datetime(2025, 8, 5, 8, 30, tzinfo=VN)),
                   folder=folder, date=dt.datetime(2025, 8, 5, 8, 30, tzinfo=VN))
    ingest_mail(app)
    row = {r["id"]: r for r in status_report(app)["recipients"]}
    assert row["hhdnkt"]["bouncing"] == ["hhdnkt@kontum.example"] and row["hhdnkt"]["needs_address"] == NOTE
