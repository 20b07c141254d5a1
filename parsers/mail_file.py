"""A mail message saved as a file (Thunderbird's or Outlook's "Save as"): `.eml` (RFC 5322)
or Outlook's `.msg`, recognised from its bytes, as the RFC 5322 bytes the mail intake reads.

A `.msg` is read with extract-msg (parsers/mail_containers.py) and written again as a MIME
message — its sender, date, subject, Message-ID, text and files, each attached message as a
`message/rfc822` part — so that everything downstream (the ledger's copy check, the OCR queue,
a review re-reading the raw message) handles one format. The boundaries are derived from the
file's bytes: the same `.msg` gives the same message.

Pure: bytes in, bytes (or a typed error) out.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from typing import Literal

from parsers.mail_containers import (
    ContainerError,
    InnerMessage,
    looks_like_message,
    read_msg,
    sniff_container,
)

MailFileKind = Literal["eml", "msg"]
# What a person saves a message as; a file so named whose bytes are no message is a damaged one.
MAIL_SUFFIXES = (".eml", ".msg")
CONVERTED_HEADER = "X-Baocao-Converted-From"


class MailFileError(Exception):
    """A file saved as a mail message that cannot be read as one (the message says why, in
    Vietnamese); `code` names the problem for the review queue."""

    code = "mail_file_damaged"


@dataclass(frozen=True)
class MailFile:
    """A mail message found in a file: which format it was saved in, and its RFC 5322 bytes."""

    kind: MailFileKind
    raw: bytes


def read_mail_file(data: bytes, name: str = "") -> MailFile | None:
    """The message a file holds (None: the file is no saved message). Raises MailFileError for
    a file that is an Outlook message but cannot be opened, or is named `.eml`/`.msg` and
    holds no message header block (truncated, overwritten, another format renamed)."""
    lowered = unicodedata.normalize("NFC", name).lower()
    if sniff_container(data, lowered) == "msg":
        try:
            inner = read_msg(data)
        except ContainerError as err:
            raise MailFileError(str(err)) from err
        return MailFile("msg", msg_as_eml(inner, data))
    body = _without_mbox_line(data)
    if looks_like_message(body):
        return MailFile("eml", body)
    if lowered.endswith(MAIL_SUFFIXES):
        what = "Outlook (.msg)" if lowered.endswith(".msg") else "(.eml)"
        raise MailFileError(
            f"Tệp thư {what} bị hỏng hoặc không phải thư: không thấy phần đầu thư (From, Date, Subject…);"
            " đề nghị lưu lại thư từ hộp thư, hoặc lưu riêng tệp báo cáo đính kèm vào thư mục chung."
        )
    return None


def _without_mbox_line(data: bytes) -> bytes:
    """Thunderbird may keep the mbox separator ("From - Tue Jun 10 …") as the first line."""
    if data.startswith(b"From ") and b":" not in data.split(b"\n", 1)[0][:5]:
        first, _, rest = data.partition(b"\n")
        if b"@" in first or first.startswith(b"From - "):
            return rest
    return data


def _one_line(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def msg_as_eml(inner: InnerMessage, source: bytes = b"") -> bytes:
    """An Outlook message read by extract-msg, as MIME bytes (deterministic for one source)."""
    message = _as_message(inner)
    seed = hashlib.sha256(source).hexdigest()[:24]
    for i, part in enumerate(message.walk()):
        if part.is_multipart():
            part.set_boundary(f"baocao-msg-{seed}-{i}")
    message[CONVERTED_HEADER] = "outlook-msg"
    return message.as_bytes(policy=SMTP)


def _as_message(inner: InnerMessage) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    if inner.sender:
        message["From"] = formataddr((_one_line(inner.sender_name), inner.sender))
    if inner.date is not None:
        message["Date"] = format_datetime(inner.date)
    message["Subject"] = _one_line(inner.subject)
    if inner.message_id:
        message["Message-ID"] = _one_line(inner.message_id)
    message["MIME-Version"] = "1.0"
    message.set_content(unicodedata.normalize("NFC", inner.body or ""), charset="utf-8")
    for f in inner.files:
        maintype, _, subtype = (f.content_type or "application/octet-stream").partition("/")
        if not subtype or maintype == "multipart":
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(f.data, maintype=maintype, subtype=subtype, filename=unicodedata.normalize("NFC", f.name))
    for sub in inner.messages:
        message.add_attachment(_as_message(sub))
    return message
