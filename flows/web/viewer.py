"""Showing a stored file in the browser: PDF and images as they are, Word/Excel/ODF rendered
to PDF by LibreOffice (private profile per conversion), cached by content hash in the data dir."""

from __future__ import annotations

import datetime as dt
import html
import logging
import re
import threading
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from flows.errors import FlowsError
from parsers.detect import detect_format
from parsers.errors import ParserError
from parsers.legacy import LibreOfficeConverter

log = logging.getLogger(__name__)
TO_PDF = {"docx", "xlsx", "doc", "xls", "odt", "ods", "rtf"}
IMAGE_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG": "image/png", b"GIF8": "image/gif"}
_lock = threading.Lock()  # one LibreOffice at a time: the machine has few cores


class NotViewable(FlowsError):
    """This file cannot be shown in the browser (it can still be downloaded)."""


MAIL_STARTS = (b"return-path", b"received", b"from", b"message-id", b"mime", b"date", b"delivered", b"to:", b"subject")


def view(data: bytes, sha256: str, cache_dir: Path, tz: Any = dt.UTC) -> tuple[bytes, str]:
    """(bytes, media type) to show inline for a stored file; a mail as a readable page."""
    fmt = detect_format(data)
    if fmt == "pdf":
        return data, "application/pdf"
    if fmt == "image":
        for magic, media in IMAGE_TYPES.items():
            if data.startswith(magic):
                return data, media
        raise NotViewable("định dạng ảnh này không xem trực tiếp được, hãy tải về")
    if fmt in TO_PDF:
        return _cached_pdf(data, fmt, sha256, cache_dir), "application/pdf"
    if data[:200].lstrip().lower().startswith(MAIL_STARTS):
        return mail_page(data, tz), "text/html; charset=utf-8"
    raise NotViewable("không xem trực tiếp được tệp này, hãy tải về")


def _cached_pdf(data: bytes, fmt: str, sha256: str, cache_dir: Path) -> bytes:
    target = cache_dir / f"{sha256}.pdf"
    if target.exists():
        return target.read_bytes()

    with _lock:
        if target.exists():
            return target.read_bytes()
        try:
            pdf = LibreOfficeConverter(timeout=90).convert(data, fmt, "pdf")
        except ParserError as err:
            raise NotViewable(str(err)) from err
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        tmp.write_bytes(pdf)
        tmp.replace(target)
    return pdf


_STYLE = ("body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#1b2330}"
          "th{text-align:left;padding-right:1rem;color:#555;vertical-align:top}pre{white-space:pre-wrap;font:inherit;"
          "border-top:1px solid #ccd;padding-top:1rem}ul{padding-left:1.2rem}")


def mail_page(data: bytes, tz: Any = dt.UTC) -> bytes:
    """A stored mail as a person reads it: sender, recipients, date (dd/mm/yyyy in the
    campaign's zone), subject decoded; the text of the body; the names of its attachments.
    Nothing of the mail is run: all text is escaped (and the route adds a sandbox CSP)."""
    msg = BytesParser(policy=policy.default).parsebytes(data)
    headers = BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)  # raw, for _header
    rows = []
    for label, name in (("Từ", "from"), ("Tới", "to"), ("Đồng gửi", "cc"), ("Tiêu đề", "subject")):
        value = _header(headers, name)
        if value:
            rows.append((label, value))
    when = _header(headers, "date")
    if when:
        try:
            at = parsedate_to_datetime(when)
            when = (at.astimezone(tz) if at.tzinfo else at).strftime("%d/%m/%Y %H:%M")
        except (TypeError, ValueError, IndexError):
            pass
        rows.insert(2, ("Ngày gửi", when))
    names = [part.get_filename() or "(tệp không tên)" for part in msg.iter_attachments()] if msg.is_multipart() else []
    head = "".join(f"<tr><th>{label}</th><td>{html.escape(value)}</td></tr>" for label, value in rows)
    files = "".join(f"<li>{html.escape(n)}</li>" for n in names)
    title = html.escape(_header(headers, "subject") or "Thư")
    page = (f'<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>{title}</title><style>{_STYLE}</style></head>'
            f"<body><table>{head}</table>"
            + (f"<p><b>Tệp đính kèm</b> (tải về từ trang đơn vị):</p><ul>{files}</ul>" if files else "")
            + f"<pre>{html.escape(_body_text(msg))}</pre></body></html>")
    return page.encode("utf-8")


def _header(msg: Any, name: str) -> str:
    """A header decoded the RFC 2047 way: the space between two adjacent encoded words is not
    text (email.policy.default keeps it when their encodings differ: "Quả ng Ngãi")."""
    raw = msg.get_all(name) if hasattr(msg, "get_all") else None
    if not raw:
        return ""
    try:
        text = str(make_header(decode_header(str(raw[0]))))
    except (TypeError, ValueError, LookupError, UnicodeError):
        text = str(raw[0])
    return " ".join(text.split())


def _body_text(msg: Any) -> str:
    try:
        part = msg.get_body(preferencelist=("plain", "html"))
        if part is None:
            return "(thư không có nội dung chữ)"
        text = part.get_content()
    except (KeyError, LookupError, ValueError, AttributeError):
        return "(không đọc được nội dung thư; hãy tải thư về)"
    if part.get_content_subtype() == "html":
        text = re.sub(r"(?is)<(script|style).*?</\1>", "", text)
        text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", text)
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    return text.strip() or "(thư không có nội dung chữ)"
