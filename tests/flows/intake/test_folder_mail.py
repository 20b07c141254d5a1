"""A mail message saved into the shared folder (.eml, Outlook's .msg) is handled as if it had
arrived in the mailbox: attributed by its sender, received at its Date header (the file's
mtime when it has none), its files parsed as the mail intake does; a damaged one is a typed
failure kept for review while the rest of the scan goes on (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import os
import sys
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from sqlalchemy import select

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
sys.path.insert(0, str(FIXTURES / "mail"))
sys.path.insert(0, str(FIXTURES / "clients"))

from outlook_files import MsgFile, OutlookMessage, build_msg  # noqa: E402
from reportdocs import report_docx  # noqa: E402

VN = dt.timezone(dt.timedelta(hours=7))
DOCX = ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document")
SENT = dt.datetime(2025, 6, 9, 16, 30, tzinfo=VN)


def agency_mail(sender: str, agency_upper: str, *, date: dt.datetime | None = SENT, message_id: str = "<stp-0609@quangngai.example>") -> bytes:
    """An agency's reply with its Word report attached, as Thunderbird saves it (.eml)."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = f"Văn thư <{sender}>"
    msg["To"] = "tdc@skhcn.quangngai.example"
    msg["Subject"] = "Báo cáo sơ kết Đề án 996"
    if date is not None:
        msg["Date"] = date.strftime("%a, %d %b %Y %H:%M:%S %z")
    msg["Message-ID"] = message_id
    msg.set_content("Kính gửi Sở KH&CN,\nĐơn vị gửi báo cáo sơ kết Đề án 996 (tệp đính kèm).\n")
    msg.add_attachment(report_docx(agency_upper, "15/BC-STP"), maintype=DOCX[0], subtype=DOCX[1], filename="Báo cáo 996.docx")
    return msg.as_bytes()


@pytest.fixture
def drop(app, tmp_path):
    root = tmp_path / "chung"
    root.mkdir()
    app.settings.drop.dir = root
    return app


def _age(path: Path, seconds: int = 3 * 86400) -> dt.datetime:
    st = path.stat()
    os.utime(path, (st.st_atime - seconds, st.st_mtime - seconds))
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _scan(app) -> dict:
    from flows.intake.folder import ingest_folder

    ingest_folder(app)  # first sight: only stable files are taken
    return ingest_folder(app).to_json()


def _state(app, code: str) -> dict:
    from flows.app import status_report

    return next(r for r in status_report(app)["recipients"] if r["id"] == code)


def test_eml_in_folder_is_the_agencys_reply_received_at_its_date(drop):
    from storage.models import InboundFile, InboundMail, Submission

    root = drop.settings.drop.dir
    (root / "Thu So Tu phap.eml").write_bytes(agency_mail("sotp@quangngai.example", "SỞ TƯ PHÁP"))
    mtime = _age(root / "Thu So Tu phap.eml")
    report = _scan(drop)
    [item] = report["items"]
    assert item["status"] == "processed" and item["classification"] == "submission", item
    assert item["saved_mail"] == "eml" and "Date" in item["received_from"]
    assert (root / "processed" / "Thu So Tu phap.eml").exists()
    state = _state(drop, "sotp")
    assert state["state"] == "submitted"
    received = dt.datetime.fromisoformat(state["first_response_at"])
    assert received == SENT and abs(received - mtime) > dt.timedelta(days=1)  # the Date header, not the file's time
    with drop.session() as s:
        [sub] = s.scalars(select(Submission))
        assert sub.received_at.replace(tzinfo=sub.received_at.tzinfo or dt.UTC) == SENT
        [mail] = s.scalars(select(InboundMail))
        [file] = s.scalars(select(InboundFile))
        assert mail.details["folder_file"] == {"id": file.id, "path": "Thu So Tu phap.eml", "saved_as": "eml", "received_from": "date_header"}
        assert mail.from_addr == "sotp@quangngai.example" and file.recipient_id == sub.recipient_id
        assert drop.blobs.read(file.sha256) == (root / "processed" / "Thu So Tu phap.eml").read_bytes()  # raw kept


def test_eml_without_date_is_received_at_the_files_mtime(drop):
    root = drop.settings.drop.dir
    (root / "thu.eml").write_bytes(agency_mail("sotp@quangngai.example", "SỞ TƯ PHÁP", date=None))
    mtime = _age(root / "thu.eml")
    [item] = _scan(drop)["items"]
    assert item["status"] == "processed" and "thời điểm sửa tệp" in item["received_from"]
    received = dt.datetime.fromisoformat(_state(drop, "sotp")["first_response_at"])
    assert abs(received - mtime) < dt.timedelta(seconds=1)


def test_same_message_saved_twice_is_one_reply(drop):
    """Saved by two people (another file, other client headers): the same Message-ID, sender
    and files — one reply, not two."""
    root = drop.settings.drop.dir
    raw = agency_mail("sotp@quangngai.example", "SỞ TƯ PHÁP")
    (root / "a.eml").write_bytes(raw)
    (root / "b.eml").write_bytes(b"X-Mozilla-Status: 0001\r\n" + raw)
    for p in root.iterdir():
        _age(p)
    items = {i["path"]: i for i in _scan(drop)["items"]}
    assert sorted(i["status"] for i in items.values()) == ["duplicate", "processed"], items
    from storage.models import Submission

    with drop.session() as s:
        assert len(list(s.scalars(select(Submission)))) == 1


def test_outlook_msg_in_folder(drop):
    root = drop.settings.drop.dir
    msg = OutlookMessage(
        sender_name="Sở Y tế", sender="soyt@quangngai.example", to="tdc@skhcn.quangngai.example",
        subject="Báo cáo Đề án 996", date=SENT, message_id="<soyt-0609@quangngai.example>",
        body="Kính gửi Sở KH&CN,\r\nSở Y tế gửi báo cáo.\r\n",
        files=[MsgFile("BC So Y te.docx", report_docx("SỞ Y TẾ", "20/BC-SYT"), "/".join(DOCX))],
    )
    (root / "Báo cáo Sở Y tế.msg").write_bytes(build_msg(msg))
    _age(root / "Báo cáo Sở Y tế.msg")
    [item] = _scan(drop)["items"]
    assert item["status"] == "processed" and item["saved_mail"] == "msg", item
    state = _state(drop, "soyt")
    assert state["state"] == "submitted" and dt.datetime.fromisoformat(state["first_response_at"]) == SENT


def test_damaged_eml_is_kept_for_review_and_the_scan_goes_on(drop):
    from storage.models import ReviewItem

    root = drop.settings.drop.dir
    (root / "sotp").mkdir()
    (root / "sotp" / "thu bi hong.eml").write_bytes(b"\x00\x17PK\x03\x04 not a message at all \xff\xfe" * 20)
    (root / "BC So Y te.docx").write_bytes(report_docx("SỞ Y TẾ"))
    for p in root.rglob("*"):
        if p.is_file():
            _age(p)
    items = {i["path"]: i for i in _scan(drop)["items"]}
    bad = items["sotp/thu bi hong.eml"]
    assert bad["status"] == "failed" and bad["problem"] == "mail_file_damaged" and ".eml" in bad["error"]
    assert items["BC So Y te.docx"]["status"] == "processed"
    assert (root / "failed" / "sotp" / "thu bi hong.eml").exists()
    with drop.session() as s:
        item = s.get(ReviewItem, bad["review_item"])
        assert item is not None and item.kind == "unreadable" and item.status == "open"
        assert [c["code"] for c in item.candidates][:1] == ["sotp"]
    assert _state(drop, "soyt")["state"] == "submitted"
