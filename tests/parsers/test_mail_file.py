"""A mail saved as a file: recognised from its bytes (.eml, Outlook's .msg), a .msg written
again as MIME the same way each time, a damaged one a typed error, a document left alone."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
sys.path.insert(0, str(FIXTURES / "mail"))
sys.path.insert(0, str(FIXTURES / "clients"))

from outlook_files import MsgFile, OutlookMessage, build_msg  # noqa: E402
from reportdocs import report_docx  # noqa: E402

from parsers.mail import parse_mail  # noqa: E402
from parsers.mail_file import MailFileError, read_mail_file  # noqa: E402

EML = (FIXTURES / "mail" / "01_report_rfc2231.eml").read_bytes()


def test_eml_is_recognised_from_its_bytes_whatever_its_name() -> None:
    found = read_mail_file(EML, "luu tu thunderbird")
    assert found is not None and found.kind == "eml" and found.raw == EML


def test_thunderbirds_mbox_line_is_dropped() -> None:
    found = read_mail_file(b"From - Tue Jun 10 08:01:02 2025\r\n" + EML, "x.eml")
    assert found is not None and found.raw == EML


def test_msg_becomes_the_same_mime_each_time() -> None:
    docx = report_docx("SỞ Y TẾ", "20/BC-SYT")
    data = build_msg(OutlookMessage(
        sender_name="Sở Y tế", sender="soyt@quangngai.example", to="tdc@skhcn.quangngai.example",
        subject="Báo cáo Đề án 996", date=dt.datetime(2025, 6, 9, 9, 30, tzinfo=dt.UTC),
        message_id="<soyt-1@quangngai.example>", body="Sở Y tế gửi báo cáo.",
        files=[MsgFile("Báo cáo Sở Y tế.docx", docx, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")],
    ))
    first, again = read_mail_file(data, "a.msg"), read_mail_file(data, "b.msg")
    assert first is not None and again is not None and first.kind == "msg" and first.raw == again.raw
    mail = parse_mail(first.raw)
    assert (mail.from_addr, mail.message_id, mail.subject) == ("soyt@quangngai.example", "<soyt-1@quangngai.example>", "Báo cáo Đề án 996")
    assert mail.date == dt.datetime(2025, 6, 9, 9, 30, tzinfo=dt.UTC)
    assert [(a.original_name or a.filename, a.data) for a in mail.attachments] == [("Báo cáo Sở Y tế.docx", docx)]


@pytest.mark.parametrize("name", ["thu.eml", "THU.EML", "thu.msg"])
def test_a_file_named_as_mail_without_a_message_is_a_typed_error(name: str) -> None:
    with pytest.raises(MailFileError, match="bị hỏng"):
        read_mail_file(b"\x00\x01 garbage \xff" * 50, name)


def test_a_document_is_no_mail() -> None:
    assert read_mail_file(report_docx("SỞ Y TẾ"), "bao cao.docx") is None
    assert read_mail_file(b"Bao cao so ket: da hoan thanh.\n", "ghi chu.txt") is None
