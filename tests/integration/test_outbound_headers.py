"""Our mail end to end: built by `deliver`, taken by a real SMTP server (aiosmtpd), put into
a real Dovecot mailbox and read back over IMAP with imap-tools: the subject and the sender's
name are exactly the text stored in the database, for long Vietnamese subjects (≥ 150
characters) and names. Dovecot's own decoder is asked too (SEARCH on the decoded text)."""

from __future__ import annotations

import datetime as dt
import email
from collections.abc import Iterator
from email.header import decode_header, make_header
from email.policy import compat32
from email.policy import default as default_policy
from zoneinfo import ZoneInfo

import pytest
from imap_tools import MailBoxUnencrypted
from sqlalchemy import select

from flows.app import App
from flows.dev.dovecot import DovecotServer
from flows.dev.smtp_capture import SmtpCapture
from flows.outbound.delivery import Draft, deliver
from flows.outbound.reminders import remind
from flows.outbound.requests import send_request
from storage.models import OutboundMail

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SENDER_NAME = "Sở Khoa học và Công nghệ Quảng Ngãi"
LONG = (
    "Đã nhận báo cáo: Re: Fwd: Báo cáo sơ kết Đề án 996 giai đoạn từ năm 2018 – 2025 của Sở Tài chính "
    "tỉnh Quảng Ngãi theo Công văn số 1234/SKHCN-TĐC ngày 01/8/2025 về việc phối hợp báo cáo"
)


@pytest.fixture
def mail_app(app: App, smtp: SmtpCapture) -> Iterator[App]:
    smtp.messages.clear()
    settings = smtp.settings().model_copy(update={"sender_name": SENDER_NAME})
    application = App(app.settings.model_copy(update={"smtp": settings}))
    yield application
    application.engine.dispose()


def stored_subjects(app: App) -> dict[str, str]:
    with app.session() as session:
        return dict(session.execute(select(OutboundMail.message_id, OutboundMail.subject)).all())


def test_subjects_and_names_survive_smtp_and_imap(mail_app: App, smtp: SmtpCapture, dovecot: DovecotServer) -> None:
    assert len(LONG) >= 150
    assert len(send_request(mail_app)["sent"]) == 28
    with mail_app.session() as session:
        rid = session.scalar(select(OutboundMail.recipient_id).limit(1))
    deliver(mail_app, [Draft("de-an-996", rid, "alert", "header-test", ["vanthu@sotc.quangngai.example"], LONG, "x")])
    # The reminders whose subjects agencies read as "…/SKHCN-TĐC V/vphối hợp …" before.
    assert len(remind(mail_app, now=dt.datetime(2025, 8, 18, 9, 0, tzinfo=TZ))["sent"]) == 28
    stored = stored_subjects(mail_app)
    assert len(stored) == 57 and min(len(s) for s in stored.values()) >= 140
    assert sum(len(s) >= 150 for s in stored.values()) == 29  # reminders and the receipt-like one
    folder = f"headers-{dt.datetime.now().strftime('%H%M%S%f')}"
    for received in smtp.messages:
        dovecot.append(received.data, folder=folder)
    with MailBoxUnencrypted(dovecot.host, dovecot.port).login(dovecot.user, dovecot.password, initial_folder=folder) as box:
        fetched = list(box.fetch(mark_seen=False, bulk=True))
    assert len(fetched) == 57
    for msg in fetched:
        message_id = msg.headers["message-id"][0].strip()
        assert msg.subject == stored[message_id]
        assert (msg.from_values.name, msg.from_values.email) == (SENDER_NAME, "tdc@skhcn.quangngai.example")
        # The bytes Dovecot serves, through Python's two parsers.
        modern = email.message_from_bytes(msg.obj.as_bytes(), policy=default_policy)
        assert modern["Subject"] == stored[message_id]
        assert modern["From"].addresses[0].display_name == SENDER_NAME
        old = email.message_from_bytes(msg.obj.as_bytes(), policy=compat32)
        unfolded = "".join(str(old["Subject"]).replace("\r\n", "\n").split("\n"))
        assert str(make_header(decode_header(unfolded))) == stored[message_id]
    # Dovecot decodes the encoded-words itself to search: the spaces must be there.
    conn = dovecot.client()
    try:
        conn.select(f'"{folder}"', readonly=True)
        for key, needle, expected in (
            ("SUBJECT", "V/v phối hợp", 56), ("SUBJECT", "giai đoạn từ năm", 57), ("SUBJECT", "V/vphối", 0),
            ("SUBJECT", "đoạntừ", 0), ("SUBJECT", "Nhắc gửi báo cáo: …/SKHCN-TĐC V/v", 28),
            ("FROM", "Công nghệ Quảng Ngãi", 57), ("FROM", "Quả ng", 0),
        ):
            conn.literal = needle.encode("utf-8")  # 8-bit text goes as a literal (RFC 3501)
            typ, data = conn.uid("SEARCH", "CHARSET", "UTF-8", key)
            assert typ == "OK"
            assert len(data[0].split()) == expected, needle
    finally:
        conn.logout()
