"""Pure MIME parsing: raw message bytes in, a typed `MailMessage` out.

Messages are split with the stdlib `email` package under `policy.compat32`, whose header
values are the raw text (`policy.default` builds a parsed header object on every look-up,
which was most of the cost of a first pass over a full mailbox); the few headers used are
decoded here once: unfolded, 8-bit bytes read as UTF-8, RFC 2047 encoded-words decoded (not
imap-tools: its subject drops the space after an encoded-word). Attachment names are hostile: RFC 2231
continuations, encoded-words inside quoted names, NFD, paths — only a sanitised NFC base name
is kept. The format of an attachment is never taken from its Content-Type: the file parsers
detect it from the bytes.
"""

from __future__ import annotations

import datetime as dt
import email
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import getaddresses, parseaddr, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from pathvalidate import sanitize_filename

from parsers.mail_containers import (
    SIGNATURE_TYPES,
    ContainerError,
    InnerMessage,
    read_msg,
    read_tnef,
    sniff_container,
    unwrap_signed,
)

DEFAULT_MAX_ATTACHMENT = 50 * 1024 * 1024
MAX_FORWARD_DEPTH = 3
# Parts that are message bodies, never files (unless they carry a filename).
_BODY_TYPES = {"text/plain", "text/html"}
_ADDR_RE = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL_RE = re.compile(r"https?://[^\s<>\"'()\[\]{}]+", re.I)


def nfc(text: str | None) -> str:
    """NFC-normalised text ('' for None)."""
    return unicodedata.normalize("NFC", text or "")


@dataclass
class Attachment:
    """One file carried by a message (possibly inside a forwarded message)."""

    filename: str
    content_type: str
    data: bytes
    size: int
    inline: bool = False
    original_name: str = ""
    # The sender of the forwarded message it came in, if any.
    forwarded_from: str | None = None
    rejected: str | None = None
    # Why it was refused unread (a stable code), when `rejected` is set.
    rejected_code: str | None = None

    @property
    def sha256(self) -> str:
        """The sha256 of the bytes, hex."""
        return hashlib.sha256(self.data).hexdigest()

    def to_json(self) -> dict[str, Any]:
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "sha256": self.sha256,
            "inline": self.inline,
            "forwarded_from": self.forwarded_from,
            "rejected": self.rejected,
            "rejected_code": self.rejected_code,
        }


@dataclass(frozen=True)
class ForwardEvidence:
    """Who wrote a forwarded message, and when: evidence for attribution (the agency that
    wrote the report is the inner sender, not the office that passed it on)."""

    sender: str | None
    name: str
    date: dt.datetime | None
    subject: str
    # How it came: rfc822 (attached by the client), eml (a file), msg (Outlook), inline (pasted).
    via: str

    def to_json(self) -> dict[str, Any]:
        return {
            "sender": self.sender,
            "name": self.name,
            "date": self.date.isoformat() if self.date else None,
            "subject": self.subject,
            "via": self.via,
        }


@dataclass
class MailMessage:
    """What a message says about itself, its body text and its files."""

    message_id: str | None = None
    from_addr: str | None = None
    from_name: str = ""
    to: list[str] = field(default_factory=list)
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    subject: str = ""
    date: dt.datetime | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str | None = None
    precedence: str | None = None
    x_autoreply: bool = False
    list_id: str | None = None
    content_type: str = "text/plain"
    report_type: str | None = None
    body_text: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    forwarded: list[MailMessage] = field(default_factory=list)
    # For delivery-status reports: the addresses that failed, and the original Message-ID.
    failed_recipients: list[str] = field(default_factory=list)
    original_message_id: str | None = None
    # A forward pasted into the body ("---- Forwarded message ---- From: …").
    inline_forward_from: str | None = None
    inline_forward_date: dt.datetime | None = None
    # For a forwarded message: how it was carried (rfc822, eml, msg).
    forwarded_via: str = ""
    # S/MIME: "detached" (multipart/signed, the .p7s dropped) or "opaque" (smime.p7m unwrapped).
    signed: str | None = None
    # Every http(s) link of the body (plain text and HTML href), in order, once each.
    links: list[str] = field(default_factory=list)

    @property
    def new_text(self) -> str:
        """The body without the quoted message it replies to."""
        return strip_quoted(self.body_text)

    @property
    def forward_senders(self) -> list[str]:
        """Authors of forwarded messages, attached or pasted: for a forward of a forward, the
        innermost sender (whoever passed it on in between is not its author)."""
        found: list[str] = []
        for m in self.forwarded:
            found.extend(m.forward_senders or ([m.from_addr] if m.from_addr else []))
        if self.inline_forward_from:
            found.append(self.inline_forward_from)
        return found

    @property
    def forward_evidence(self) -> list[ForwardEvidence]:
        """Sender and date of every forwarded message (attached at any depth, or pasted)."""
        found = [
            ForwardEvidence(m.from_addr, m.from_name, m.date, m.subject, m.forwarded_via or "rfc822")
            for m in self.forwarded
        ]
        for m in self.forwarded:
            found.extend(e for e in m.forward_evidence if e.sender not in {f.sender for f in found})
        if self.inline_forward_from:
            found.append(ForwardEvidence(self.inline_forward_from, "", self.inline_forward_date, "", "inline"))
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "from": self.from_addr,
            "from_name": self.from_name,
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
            "date": self.date.isoformat() if self.date else None,
            "in_reply_to": self.in_reply_to,
            "references": list(self.references),
            "auto_submitted": self.auto_submitted,
            "precedence": self.precedence,
            "x_autoreply": self.x_autoreply,
            "list_id": self.list_id,
            "content_type": self.content_type,
            "report_type": self.report_type,
            "body_text": self.body_text,
            "attachments": [a.to_json() for a in self.attachments],
            "forwarded": [f.to_json() for f in self.forwarded],
            "failed_recipients": self.failed_recipients,
            "original_message_id": self.original_message_id,
            "inline_forward_from": self.inline_forward_from,
            "forwarded_via": self.forwarded_via,
            "signed": self.signed,
            "links": self.links,
            "forward_evidence": [e.to_json() for e in self.forward_evidence],
        }


def parse_mail(raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT) -> MailMessage:
    """Parse a raw RFC 5322 message. Never raises on malformed input: it reads what it can."""
    msg = email.message_from_bytes(raw, policy=policy.compat32)
    return _parse(msg, max_attachment_bytes, depth=0)


def _parse(msg: Message, cap: int, depth: int) -> MailMessage:
    out = MailMessage()
    _read_headers(msg, out)
    texts: list[str] = []
    htmls: list[str] = []
    for index, part in enumerate(_walk(msg)):
        _read_part(part, index, out, texts, htmls, cap, depth)
    body = "\n".join(t for t in texts if t.strip())
    if not body.strip() and htmls:
        body = "\n".join(html_to_text(h) for h in htmls)
    out.body_text = nfc(body).strip()
    out.inline_forward_from = _inline_forward_sender(out.body_text, out.subject)
    if out.inline_forward_from:
        out.inline_forward_date = _inline_forward_date(out.body_text)
    out.links = _links(texts, htmls)
    if out.report_type == "delivery-status":
        _read_failed_from_text(msg, out)
    return out


def _walk(msg: Message):
    """Leaf parts and message/rfc822 parts, without descending into the latter."""
    if msg.get_content_maintype() == "multipart":
        payload = msg.get_payload()
        if isinstance(payload, list):
            for sub in payload:
                if isinstance(sub, Message):
                    yield from _walk(sub)
        return
    yield msg


def _first_values(msg: Message) -> dict[str, str]:
    """The first value of every header, by lower-cased name (one pass over the headers)."""
    first: dict[str, str] = {}
    for k, v in msg.raw_items():
        first.setdefault(k.lower(), v)
    return first


def _raw_header(msg: Message, name: str, first: dict[str, str] | None = None) -> str | None:
    """The first `name` header as written, unfolded, 8-bit bytes read as UTF-8 (else cp1258);
    `first`: the message's `_first_values`, when the caller reads many headers."""
    wanted = name.lower()
    if first is not None:
        value = first.get(wanted)
    else:
        value = next((v for k, v in msg.raw_items() if k.lower() == wanted), None)
    if value is None:
        return None
    value = str(value)
    if _has_surrogates(value):
        raw = value.encode("ascii", "surrogateescape")
        for charset in ("utf-8", "cp1258"):
            try:
                value = raw.decode(charset)
                break
            except UnicodeDecodeError:
                continue
        else:
            value = raw.decode("utf-8", "replace")
    return " ".join(value.split())


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _header(msg: Message, name: str, first: dict[str, str] | None = None) -> str | None:
    text = _raw_header(msg, name, first)
    if text is None:
        return None
    if "=?" in text:
        text = _decode_words(text)
    return nfc(" ".join(text.split())) or None


def _mailbox(msg: Message, name: str, first: dict[str, str] | None = None) -> tuple[str, str]:
    """(display name, address) of a one-address header, the name decoded."""
    value = _raw_header(msg, name, first)
    if not value:  # most messages have no Reply-To: the address parser is not asked
        return "", ""
    name_part, addr = parseaddr(value)
    if "=?" in name_part:
        name_part = _decode_words(name_part)
    return nfc(" ".join(name_part.split())), addr


def _read_headers(msg: Message, out: MailMessage) -> None:
    first = _first_values(msg)  # ~15 headers read: one pass over them, not one each
    out.message_id = _msgid(_header(msg, "Message-ID", first))
    name, addr = _mailbox(msg, "From", first)
    out.from_addr = addr.strip().lower() or None
    out.from_name = name
    out.to = _addresses(msg, "To")
    out.cc = _addresses(msg, "Cc")
    reply = _mailbox(msg, "Reply-To", first)[1]
    out.reply_to = reply.lower() or None
    out.subject = _header(msg, "Subject", first) or ""
    out.date = _date(_header(msg, "Date", first))
    out.in_reply_to = _msgid(_header(msg, "In-Reply-To", first))
    out.references = tuple(re.findall(r"<[^<>\s]+>", _header(msg, "References", first) or ""))
    out.auto_submitted = (_header(msg, "Auto-Submitted", first) or "").lower() or None
    out.precedence = (_header(msg, "Precedence", first) or "").lower() or None
    out.x_autoreply = any(
        _header(msg, h, first) for h in ("X-Autoreply", "X-Autorespond", "X-Auto-Reply")
    ) or (_header(msg, "X-Auto-Response-Suppress", first) or "").lower() in ("all", "oof")
    out.list_id = _header(msg, "List-Id", first) or _header(msg, "List-Unsubscribe", first)
    out.content_type = msg.get_content_type()
    if out.content_type == "multipart/report":
        report_type = msg.get_param("report-type")
        out.report_type = report_type.lower() or None if isinstance(report_type, str) else None
    failed = _header(msg, "X-Failed-Recipients", first)
    if failed:
        out.failed_recipients = sorted({a.lower() for a in _ADDR_RE.findall(failed)})


def _addresses(msg: Message, name: str) -> list[str]:
    """The addresses of an address header. Read from the raw header text: the stdlib's parsed
    header object raises AttributeError on groups such as `unlisted-recipients:; (no
    To-header on input)`, which mail servers write themselves."""
    wanted = name.lower()
    values = [str(v) for k, v in msg.raw_items() if k.lower() == wanted]
    if not values:  # no Cc (most messages): the address parser is not asked
        return []
    try:
        pairs = getaddresses([" ".join(v.split()) for v in values])
    except Exception:  # noqa: BLE001 — a header we cannot split holds no address we can use
        return []
    return [a.lower() for _, a in pairs if "@" in a]


def _msgid(value: str | None) -> str | None:
    if not value:
        return None
    found = re.search(r"<[^<>\s]+>", value)
    return found.group(0) if found else value.strip() or None


def _date(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # RFC 5322 "-0000": time zone unknown, read as UTC
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _read_part(
    part: Message,
    index: int,
    out: MailMessage,
    texts: list[str],
    htmls: list[str],
    cap: int,
    depth: int,
) -> None:
    ctype = part.get_content_type()
    disposition = (part.get_content_disposition() or "").lower()
    name = _filename(part)
    if ctype in SIGNATURE_TYPES:
        out.signed = out.signed or "detached"  # the signature of multipart/signed: not a file
        return
    if ctype == "message/rfc822":  # attached by the client, with a file name (.eml) or not
        _read_forward(part, out, cap, depth, via="eml" if name else "rfc822", index=index)
        return
    if ctype == "message/delivery-status":
        _read_delivery_status(part, out)
        return
    if ctype in ("message/disposition-notification", "text/rfc822-headers"):
        if ctype == "text/rfc822-headers":
            out.original_message_id = out.original_message_id or _msgid_in(_text(part))
        return
    if ctype in _BODY_TYPES and not name and disposition != "attachment":
        (texts if ctype == "text/plain" else htmls).append(_text(part))
        return
    if ctype.startswith("multipart/"):
        return
    if _read_container(part, index, name, out, texts, htmls, cap, depth):
        return
    _add_attachment(part, index, name, disposition, out, cap)


def _read_container(
    part: Message,
    index: int,
    name: str | None,
    out: MailMessage,
    texts: list[str],
    htmls: list[str],
    cap: int,
    depth: int,
) -> bool:
    """A part that wraps a message or files (.eml, .msg, winmail.dat, smime.p7m): read what
    is inside into `out`. False when the part is a plain file."""
    if part.get_content_maintype() in ("text", "image"):
        return False
    data = _bytes(part)
    kind = sniff_container(data, name or "", part.get_content_type()) if len(data) <= cap else None
    if kind is None:
        return False
    try:
        if kind == "smime_signed":
            inner = email.message_from_bytes(unwrap_signed(data), policy=policy.compat32)
            if depth >= MAX_FORWARD_DEPTH:
                raise ContainerError("Thư ký số lồng nhau quá nhiều tầng: không mở.")
            out.signed = "opaque"
            for i, sub in enumerate(_walk(inner)):
                _read_part(sub, index * 100 + i, out, texts, htmls, cap, depth + 1)
        elif kind == "smime_encrypted":
            raise ContainerError(
                "Thư được mã hoá (S/MIME): baocao không có khoá để đọc; đề nghị đơn vị gửi lại thư không mã hoá."
            )
        elif kind == "eml":
            _adopt_forward(email.message_from_bytes(data, policy=policy.compat32), out, cap, depth, "eml", part, index, name)
        elif kind == "msg":
            if depth >= MAX_FORWARD_DEPTH:
                _too_deep(part, index, name, out, cap)
                return True
            _adopt(out, _from_inner(read_msg(data, max_depth=MAX_FORWARD_DEPTH - depth), cap))
        else:
            _read_tnef(data, index, out, texts, cap)
    except ContainerError as err:
        _add_attachment(part, index, name, "attachment", out, cap)
        out.attachments[-1].rejected = str(err)
        out.attachments[-1].rejected_code = "container_unreadable"
    return True


def _read_tnef(data: bytes, index: int, out: MailMessage, texts: list[str], cap: int) -> None:
    """winmail.dat: its files become the message's own (same sender); its body is used only
    when the mail has no plain text (Outlook always writes one beside it)."""
    tnef = read_tnef(data)
    for i, f in enumerate(tnef.files):
        out.attachments.append(_inner_attachment(f.name, f.content_type, f.data, index * 100 + i, cap))
    if tnef.body.strip() and not any(t.strip() for t in texts):
        texts.append(tnef.body)


def _inner_attachment(name: str, ctype: str, data: bytes, index: int, cap: int, sender: str | None = None) -> Attachment:
    att = Attachment(
        filename=safe_filename(name, index, ctype),
        content_type=ctype,
        data=data,
        size=len(data),
        original_name=nfc(name),
        forwarded_from=sender,
    )
    if len(data) > cap:
        att.rejected = f"tệp quá lớn ({len(data):,} byte, tối đa {cap:,})".replace(",", ".")
        att.rejected_code = "too_large"
    return att


def _from_inner(inner: InnerMessage, cap: int) -> MailMessage:
    """An Outlook .msg as a forwarded MailMessage (its files, its own attached messages)."""
    out = MailMessage(
        message_id=_msgid(inner.message_id),
        from_addr=inner.sender,
        from_name=inner.sender_name,
        subject=inner.subject,
        date=inner.date,
        body_text=nfc(inner.body).strip(),
        forwarded_via="msg",
    )
    for i, f in enumerate(inner.files):
        out.attachments.append(_inner_attachment(f.name, f.content_type, f.data, i, cap, inner.sender))
    for sub in inner.messages:
        _adopt(out, _from_inner(sub, cap))
    out.inline_forward_from = _inline_forward_sender(out.body_text, out.subject)
    return out


def _adopt(out: MailMessage, inner: MailMessage) -> None:
    """A forwarded message joins `out`: its files count as the message's, credited to its sender."""
    out.forwarded.append(inner)
    for att in inner.attachments:
        att.forwarded_from = att.forwarded_from or inner.from_addr
        out.attachments.append(att)


def _too_deep(part: Message, index: int, name: str | None, out: MailMessage, cap: int) -> None:
    """A forward nested beyond the limit: kept as a refused file, visible to people."""
    _add_attachment(part, index, name or "thu-chuyen-tiep.eml", "attachment", out, cap)
    out.attachments[-1].rejected = (
        f"Thư chuyển tiếp lồng nhau quá {MAX_FORWARD_DEPTH} tầng: đề nghị đơn vị gửi trực tiếp tệp báo cáo."
    )
    out.attachments[-1].rejected_code = "forward_too_deep"


def _add_attachment(
    part: Message, index: int, name: str | None, disposition: str, out: MailMessage, cap: int
) -> None:
    data = _bytes(part)
    ctype = part.get_content_type()
    if ctype.startswith("image/") and disposition != "attachment" and (not name or part.get("Content-ID")):
        return  # logos and signatures embedded in HTML bodies (image001.png shown through cid:)
    safe = safe_filename(name or "", index, ctype)
    att = Attachment(
        filename=safe,
        content_type=ctype,
        data=data,
        size=len(data),
        inline=disposition == "inline",
        original_name=nfc(name),
    )
    if len(data) > cap:
        # Kept (the message is evidence) but not parsed.
        att.rejected = f"tệp quá lớn ({len(data):,} byte, tối đa {cap:,})".replace(",", ".")
        att.rejected_code = "too_large"
    out.attachments.append(att)


def _read_forward(
    part: Message, out: MailMessage, cap: int, depth: int, *, via: str = "rfc822", index: int = 0
) -> None:
    payload = part.get_payload()
    inner_msg = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner_msg, Message):
        try:
            inner_msg = email.message_from_bytes(_bytes(part), policy=policy.compat32)
        except Exception:  # noqa: BLE001 — mail from the wild: the email package raises anything on a malformed part
            return
    assert isinstance(inner_msg, Message)
    if out.report_type in ("delivery-status", "disposition-notification"):
        out.original_message_id = out.original_message_id or _msgid(_header(inner_msg, "Message-ID"))
        return
    _adopt_forward(inner_msg, out, cap, depth, via, part, index, _filename(part))


def _adopt_forward(
    inner_msg: Message, out: MailMessage, cap: int, depth: int, via: str, part: Message, index: int, name: str | None
) -> None:
    if depth >= MAX_FORWARD_DEPTH:
        _too_deep(part, index, name, out, cap)
        return
    inner = _parse(inner_msg, cap, depth + 1)
    inner.forwarded_via = via
    _adopt(out, inner)


def _read_delivery_status(part: Message, out: MailMessage) -> None:
    out.failed_recipients = sorted(set(out.failed_recipients) | _failed_in_dsn(_raw_text(part)))


def _failed_in_dsn(text: str) -> set[str]:
    """Recipients of the per-recipient blocks whose Action is failed (a block without an
    Action counts; delayed, delivered, relayed and expanded do not)."""
    failed: set[str] = set()
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        action = re.search(r"^Action:\s*(\S+)", block, re.I | re.M)
        recipient = re.search(r"^(?:Final|Original)-Recipient:\s*[^;]*;\s*(\S+)", block, re.I | re.M)
        if recipient and (not action or action.group(1).lower() == "failed"):
            failed.add(recipient.group(1).strip("<>").lower())
    return failed


def _read_failed_from_text(msg: Message, out: MailMessage) -> None:
    if out.failed_recipients:
        return
    out.failed_recipients = sorted(_failed_in_dsn(_raw_text(msg)))


def _raw_text(part: Message) -> str:
    try:
        return part.as_bytes(policy=policy.compat32).decode("utf-8", "replace")
    except Exception:  # noqa: BLE001 — mail from the wild: the email package raises anything on a malformed part
        return str(part.get_payload())


def _msgid_in(text: str) -> str | None:
    found = re.search(r"^Message-ID:\s*(<[^<>\s]+>)", text, re.I | re.M)
    return found.group(1) if found else None


def _bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 — mail from the wild: the email package raises anything on a malformed part
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, list):
        return b"".join(p.as_bytes() for p in payload if isinstance(p, Message))
    return str(payload or "").encode("utf-8", "replace")


def _text(part: Message) -> str:
    data = _bytes(part)
    charset = (part.get_content_charset() or "utf-8").lower()
    for candidate in (charset, "utf-8", "cp1258"):
        try:
            return nfc(data.decode(candidate)).replace("\r\n", "\n").replace("\r", "\n")
        except (LookupError, UnicodeDecodeError):
            continue
    return nfc(data.decode("utf-8", "replace"))


def _filename(part: Message) -> str | None:
    """The attachment's name: RFC 2231 (with continuations) or encoded-words, decoded."""
    name: Any = None
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:  # noqa: BLE001 — mail from the wild: the email package raises anything on a malformed part
        name = None
    if isinstance(name, tuple):  # RFC 2231 triple from a compat32 part
        name = email.utils.collapse_rfc2231_value(name)
    if not name:
        return None
    name = str(name)
    if "=?" in name:
        name = _decode_words(name)
    return nfc(name).strip() or None


def _decode_words(text: str) -> str:
    """RFC 2047 encoded-words decoded (left as they are when malformed), also beside raw
    non-ASCII text (a client that wrote part of a header 8-bit)."""
    if not text.isascii():
        return _ENCODED_RUN.sub(lambda m: _decode_words(m.group(0)), text)
    try:
        return str(make_header(decode_header(text)))
    except Exception:  # noqa: BLE001 — a malformed encoded-word is kept as written
        return text


# A run of encoded-words (the white space between two of them is not text: RFC 2047 § 6.2).
_ENCODED_WORD = r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?="
_ENCODED_RUN = re.compile(rf"{_ENCODED_WORD}(?:\s+{_ENCODED_WORD})*")


_EXT_BY_TYPE = {
    "application/pdf": ".pdf",
    "application/zip": ".zip",
    "application/msword": ".doc",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}


def safe_filename(name: str, index: int = 0, content_type: str = "") -> str:
    """A sanitised NFC base name: no directories (either slash), no control or reserved chars."""
    base = nfc(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = sanitize_filename(base, replacement_text="_").strip().lstrip(".").strip()
    if not base:
        base = f"tep-dinh-kem-{index}{_EXT_BY_TYPE.get(content_type, '')}"
    if len(base.encode("utf-8")) > 200:
        stem, dot, ext = base.rpartition(".")
        ext = ext if dot and len(ext) <= 8 else ""
        base = stem.encode("utf-8")[:180].decode("utf-8", "ignore") + (f".{ext}" if ext else "")
    return base


class _TextExtractor(HTMLParser):
    _BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "table", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self.hrefs: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.chunks.append("\n")
        elif tag in ("td", "th"):
            self.chunks.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.chunks.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.chunks.append(data)


def html_to_text(markup: str) -> str:
    """Readable text from an HTML body (paragraphs and line breaks kept)."""
    parser = _TextExtractor()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001 — mail from the wild: the email package raises anything on a malformed part
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    lines = [" ".join(line.replace("\xa0", " ").split()) for line in "".join(parser.chunks).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _links(texts: list[str], htmls: list[str]) -> list[str]:
    """Every http(s) link of the plain bodies and of the HTML bodies' anchors, once each."""
    found: list[str] = []
    for text in texts:
        found.extend(u.rstrip(".,;:!?…") for u in _URL_RE.findall(text))
    for markup in htmls:
        parser = _TextExtractor()
        try:
            parser.feed(markup)
            parser.close()
        except Exception:  # noqa: BLE001 — a broken page still gives its plain-text links
            pass
        found.extend(h.strip() for h in parser.hrefs if h.strip().lower().startswith(("http://", "https://")))
        found.extend(u.rstrip(".,;:!?…") for u in _URL_RE.findall(html_to_text(markup)))
    return list(dict.fromkeys(nfc(u) for u in found))


_FWD_RE = re.compile(
    r"(?:-{2,}\s*(?:Forwarded message|Original Message|Thư chuyển tiếp|Thư đã chuyển tiếp|Tin nhắn chuyển tiếp)\s*-{2,}|"
    r"Begin forwarded message:)",
    re.I,
)


_FWD_SUBJECT = re.compile(r"^\s*(?:fw|fwd|tr|chuyển tiếp|chuyển)\s*:", re.I)
# The header block of a forwarded message: "From: …" then "Sent:/Date:/Gửi:/Ngày:" (Outlook's
# FW has no "Forwarded message" line, only this block).
_FWD_BLOCK = re.compile(
    r"^\s*(?:From|Từ|Người gửi)\s*:\s*(.+)\n(?:.*\n){0,2}?\s*(?:Sent|Date|Gửi|Ngày|Đã gửi|Thời gian)\s*:", re.I | re.M
)


def _inline_forward_sender(body: str, subject: str = "") -> str | None:
    marker = _FWD_RE.search(body)
    if marker:
        tail = body[marker.end() : marker.end() + 1500]
        found = re.search(r"^\s*(?:From|Từ|Người gửi)\s*:\s*(.+)$", tail, re.I | re.M)
    elif _FWD_SUBJECT.match(subject):
        found = _FWD_BLOCK.search(body)
    else:
        return None
    if not found:
        return None
    addr = _ADDR_RE.search(found.group(1))
    return addr.group(0).lower() if addr else None


_INLINE_DATE = re.compile(r"^\s*(?:Date|Sent|Ngày|Gửi|Đã gửi|Thời gian|Ngày gửi)\s*:\s*(.+)$", re.I | re.M)
_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)}
_VN = dt.timezone(dt.timedelta(hours=7))


def _inline_forward_date(body: str) -> dt.datetime | None:
    """The date line of a pasted forward (Gmail, Outlook, Apple Mail, Thunderbird; English or
    Vietnamese), read loosely; a time without a zone is Vietnam's."""
    marker = _FWD_RE.search(body)
    tail = body[marker.end() : marker.end() + 1500] if marker else body[:3000]
    found = _INLINE_DATE.search(tail)
    return _loose_date(found.group(1)) if found else None


def _loose_date(text: str) -> dt.datetime | None:
    if re.search(r"\s[+-]\d{4}\b", text) and not re.search(r"\d\s*(?:am|pm)\b", text, re.I):
        strict = _date(text)  # RFC 5322 (Thunderbird pastes the original Date: line)
        if strict is not None:
            return strict
    folded = text.lower()
    time = re.search(r"(\d{1,2}):(\d{2})(?::\d{2})?\s*(am|pm|sa|ch)?", folded)
    day = month = year = None
    numeric = re.search(r"(\d{1,2})\s*(?:tháng|thg|th)\s*(\d{1,2}),?\s*(?:năm\s*)?(\d{4})", folded) or re.search(
        r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})", folded
    )
    if numeric:
        day, month, year = (int(g) for g in numeric.groups())
    elif found := re.search(r"([a-z]{3})[a-z]*\.?\s+(\d{1,2}),?\s+(\d{4})", folded):
        month, day, year = _MONTHS.get(found.group(1)), int(found.group(2)), int(found.group(3))
    elif found := re.search(r"(\d{1,2})\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})", folded):
        day, month, year = int(found.group(1)), _MONTHS.get(found.group(2)), int(found.group(3))
    if not (day and month and year):
        return None
    hour, minute = (int(time.group(1)), int(time.group(2))) if time else (0, 0)
    if time and time.group(3) in ("pm", "ch") and hour < 12:
        hour += 12
    if time and time.group(3) in ("am", "sa") and hour == 12:
        hour = 0
    try:
        return dt.datetime(year, month, day, hour, minute, tzinfo=_VN).astimezone(dt.UTC)
    except ValueError:
        return None


_QUOTE_START = re.compile(
    r"^\s*(?:-{2,}\s*(?:Original Message|Thư gốc|Tin nhắn gốc)\s*-{2,}"
    r"|On .{5,200} wrote:|Vào .{5,200} đã viết:|.{5,200} đã viết:"
    r"|(?:From|Từ):\s.+\n\s*(?:Sent|Date|Gửi|Ngày|Đã gửi):\s)",
    re.I | re.M,
)


def strip_quoted(body: str) -> str:
    """The new part of a reply: drops '>' lines and everything after a reply header."""
    if _FWD_RE.search(body):
        return body  # a forward: the "quoted" part is the content
    found = _QUOTE_START.search(body)
    text = body[: found.start()] if found else body
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">")).strip()
