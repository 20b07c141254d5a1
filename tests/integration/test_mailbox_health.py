"""Mailbox health against real servers: a mailbox that cannot be reached is recorded, a real
poll heals it, and TĐC is mailed once (through the outbound ledger, to a real SMTP capture)
when nothing could be fetched for BAOCAO_ALERT_AFTER_HOURS working hours."""

from __future__ import annotations

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def test_unreachable_mailbox_then_a_good_poll(app, dovecot):
    from flows.adapters.imap import MailboxError
    from flows.dev.net import refused_port
    from flows.intake.mail import ingest_mail
    from storage.models import SourceHealth

    folder = f"H{uuid.uuid4().hex[:10]}"
    with refused_port() as port, pytest.raises(MailboxError, match="không kết nối được"):
        app.settings.imap = dovecot.settings(folder=folder, port=port)
        ingest_mail(app, receipts=False)
    with app.session() as s:
        row = s.scalars(select(SourceHealth)).one()
        assert row.kind == "mail" and row.last_success_at is None and row.failing_since is not None
        assert "không kết nối được" in (row.last_error or "") and row.name.endswith(f"/{folder}")
    app.settings.imap = dovecot.settings(folder=folder)
    dovecot.append(b"From: a@b.example\r\nSubject: x\r\nMessage-ID: <h1@b.example>\r\n\r\nhello\r\n", folder=folder)
    ingest_mail(app, receipts=False)
    with app.session() as s:
        row = s.scalars(select(SourceHealth)).one()
        assert row.failing_since is None and row.last_success_at is not None and row.waiting == 0


def test_alert_once_after_six_working_hours(app, smtp):
    from flows.intake.health import poll_failed, poll_succeeded, source_health
    from storage.models import OutboundMail

    app.settings.smtp = smtp.settings()
    app.settings.alert_email = "tdc-truc@skhcn.quangngai.example"
    smtp.messages.clear()
    name = "tdc@mail.example/INBOX"
    friday = dt.datetime(2025, 8, 8, 16, 0, tzinfo=VN)
    monday = dt.datetime(2025, 8, 11, tzinfo=VN)
    assert poll_failed(app, "mail", name, "đăng nhập hộp thư bị từ chối", now=friday) is None
    assert poll_failed(app, "mail", name, "đăng nhập hộp thư bị từ chối", now=monday + dt.timedelta(hours=9)) is None  # 3 h
    sent = poll_failed(app, "mail", name, "đăng nhập hộp thư bị từ chối", now=monday + dt.timedelta(hours=12, minutes=30))
    assert sent is not None and len(sent["sent"]) == 1  # 1 h Friday + 5.5 h Monday
    assert poll_failed(app, "mail", name, "vẫn lỗi", now=monday + dt.timedelta(hours=15)) is None  # once per outage
    assert len(smtp.messages) == 1
    alert = smtp.messages[0].message
    assert alert["To"] == "tdc-truc@skhcn.quangngai.example" and "6 giờ làm việc" in alert["Subject"]
    text = alert.get_content()
    assert name in text and "chưa từng" in text and "đăng nhập hộp thư bị từ chối" in text
    [health] = source_health(app, now=monday + dt.timedelta(hours=15))
    assert not health.ok and health.hours_failing == 9.0 and health.last_error == "vẫn lỗi"
    with app.session() as s:
        assert [r.kind for r in s.scalars(select(OutboundMail))] == ["alert"]
    # Healed, then a new outage: a new alert, once.
    poll_succeeded(app, "mail", name, 0, now=monday + dt.timedelta(hours=16))
    tuesday = dt.datetime(2025, 8, 12, 7, 0, tzinfo=VN)
    assert poll_failed(app, "mail", name, "hết thời gian chờ", now=tuesday) is None
    assert poll_failed(app, "mail", name, "hết thời gian chờ", now=tuesday + dt.timedelta(hours=4)) is None  # 1 + 4 h
    assert poll_failed(app, "mail", name, "hết thời gian chờ", now=tuesday + dt.timedelta(hours=5)) is not None  # 1 + 5 h
    assert len(smtp.messages) == 2
    second = smtp.messages[1].message.get_content()
    assert "16:00 ngày 11/08/2025" in second and "hết thời gian chờ" in second
