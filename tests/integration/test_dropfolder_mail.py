"""A message both in the mailbox (real Dovecot) and saved into the shared folder as .eml is one
reply, whichever is ingested first (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "mail"
sys.path.insert(0, str(FIXTURES))

from reportdocs import report_docx  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
SENT = dt.datetime(2025, 8, 9, 16, 30, tzinfo=VN)
ARRIVED = dt.datetime(2025, 8, 9, 16, 31, tzinfo=VN)


def _reply() -> bytes:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = "Sở Tư pháp <sotp@quangngai.example>"
    msg["To"] = "tdc@skhcn.quangngai.example"
    msg["Subject"] = "Báo cáo sơ kết Đề án 996 - Sở Tư pháp"
    msg["Date"] = SENT.strftime("%a, %d %b %Y %H:%M:%S %z")
    msg["Message-ID"] = "<stp-folder-imap@quangngai.example>"
    msg.set_content("Kính gửi Sở KH&CN,\nSở Tư pháp gửi báo cáo sơ kết Đề án 996.\n")
    msg.add_attachment(report_docx("SỞ TƯ PHÁP", "15/BC-STP"), maintype="application",
                       subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="BC STP.docx")
    return msg.as_bytes()


def _drop(app, name: str, data: bytes) -> None:
    path = app.settings.drop.dir / name
    path.write_bytes(data)
    st = path.stat()
    os.utime(path, (st.st_atime - 600, st.st_mtime - 600))


def _scan(app) -> dict:
    from flows.intake.folder import ingest_folder

    ingest_folder(app)
    return ingest_folder(app).to_json()


@pytest.fixture
def both(mail_app, tmp_path):
    root = tmp_path / "chung"
    root.mkdir()
    mail_app.settings.drop.dir = root
    return mail_app


def _submissions(app) -> list:
    from storage.models import Submission

    with app.session() as s:
        return [(x.recipient_id, x.status, x.received_at) for x in s.scalars(select(Submission))]


@pytest.mark.parametrize("saved_bytes", ["same", "thunderbird"])
def test_mailbox_first_then_saved_eml_is_the_same_reply(both, dovecot, saved_bytes):
    from flows.intake.mail import ingest_mail

    raw = _reply()
    dovecot.append(raw, folder=both.settings.imap.folder, date=ARRIVED)
    first = ingest_mail(both).to_json()
    assert [i["status"] for i in first["items"]] == ["processed"]
    # Thunderbird's "Save as" adds its own headers: other bytes, the same Message-ID and files.
    saved = raw if saved_bytes == "same" else b"X-Mozilla-Status: 0001\r\nX-Mozilla-Status2: 00000000\r\n" + raw
    _drop(both, "thu STP.eml", saved)
    [item] = _scan(both)["items"]
    assert item["status"] == "duplicate" and item["duplicate_of"] == first["items"][0]["inbound_mail_id"], item
    [(_, status, received)] = _submissions(both)
    assert status == "valid"
    assert received.replace(tzinfo=received.tzinfo or dt.UTC) == ARRIVED  # the mailbox's arrival stands


def test_saved_eml_first_then_mailbox_is_the_same_reply(both, dovecot, smtp):
    from flows.intake.mail import ingest_mail

    raw = _reply()
    _drop(both, "thu STP.eml", raw)
    [item] = _scan(both)["items"]
    assert item["status"] == "processed" and item["classification"] == "submission", item
    receipts = len(smtp.messages)
    dovecot.append(raw, folder=both.settings.imap.folder, date=ARRIVED)
    [polled] = ingest_mail(both).to_json()["items"]
    assert polled["status"] == "duplicate" and polled["duplicate_of"] == item["inbound_mail_id"], polled
    [(_, _, received)] = _submissions(both)
    assert received.replace(tzinfo=received.tzinfo or dt.UTC) == SENT  # the saved mail's Date header
    assert len(smtp.messages) == receipts  # no second receipt for the copy
