"""Messages and files inside a message: what agencies' mail clients really wrap them in.

- a forwarded message attached as a file: `.eml` / `message/rfc822` (recognised from the
  bytes: a header block), Outlook's `.msg` (a compound file with `__substg1.0_` streams,
  read with extract-msg);
- `winmail.dat` / `application/ms-tnef` (Outlook's "Rich Text" mail: the real files are
  inside, read with tnefparse);
- S/MIME: the `.p7s` of `multipart/signed` is a signature, not a file; an opaque-signed
  `smime.p7m` (CMS SignedData) holds the real message, unwrapped with asn1crypto — the
  signature is not verified (that is evidence for a person, not a condition to read it);
  an encrypted one (EnvelopedData) cannot be read without the recipient's key.

Pure: bytes in, typed results out. Readers are imported when first needed.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any, Literal

Container = Literal["eml", "msg", "tnef", "smime_signed", "smime_encrypted"]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TNEF = b"\x78\x9f\x3e\x22"
# DER OIDs of CMS content types (1.2.840.113549.1.7.2 signedData, .3 envelopedData).
_OID_SIGNED = bytes.fromhex("06092a864886f70d010702")
_OID_ENVELOPED = bytes.fromhex("06092a864886f70d010703")
_OID_AUTH_ENVELOPED = bytes.fromhex("060b2a864886f70d0109100117")
SIGNATURE_TYPES = frozenset({"application/pkcs7-signature", "application/x-pkcs7-signature"})
PKCS7_MIME_TYPES = frozenset({"application/pkcs7-mime", "application/x-pkcs7-mime"})
_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,40}:[ \t]?\S", re.M)
_KEY_HEADERS = re.compile(rb"^(?:from|date|subject|message-id|received|mime-version|to|return-path):", re.I | re.M)


class ContainerError(Exception):
    """A wrapped message or file could not be opened (the message says why, in Vietnamese)."""


@dataclass(frozen=True)
class InnerFile:
    """One file found inside a container."""

    name: str
    data: bytes
    content_type: str = "application/octet-stream"


@dataclass
class InnerMessage:
    """A message read from an Outlook `.msg` (or a TNEF's files and body)."""

    sender: str | None = None
    sender_name: str = ""
    date: dt.datetime | None = None
    subject: str = ""
    message_id: str | None = None
    body: str = ""
    files: list[InnerFile] = field(default_factory=list)
    messages: list[InnerMessage] = field(default_factory=list)


def sniff_container(data: bytes, name: str = "", content_type: str = "") -> Container | None:
    """Which container a part is, from its bytes (the name and type only break ties)."""
    head = data[:4096]
    if head.startswith(_TNEF):
        return "tnef"
    if head.startswith(_OLE2) and _is_msg(data, name):
        return "msg"
    der = _der_of(data) if content_type in PKCS7_MIME_TYPES or name.lower().endswith(".p7m") or head[:1] == b"\x30" else None
    if der is not None:
        if _OID_SIGNED in der[:64]:
            return "smime_signed"
        if _OID_ENVELOPED in der[:64] or _OID_AUTH_ENVELOPED in der[:64]:
            return "smime_encrypted"
    if (content_type == "message/rfc822" or name.lower().endswith(".eml")) and looks_like_message(data):
        return "eml"
    return None


def _is_msg(data: bytes, name: str = "") -> bool:
    """An Outlook message: its *root* storage holds `__substg1.0_` streams (a Word file with
    an embedded message only has them deeper down)."""
    if "__substg1.0_".encode("utf-16-le") not in data:
        return False
    import olefile

    try:
        with olefile.OleFileIO(data) as ole:
            top = {entry[0] for entry in ole.listdir(streams=True, storages=True)}
    except Exception:  # noqa: BLE001 — damaged: an Outlook message only by its name or directory
        return name.lower().endswith(".msg") or "__properties_version1.0".encode("utf-16-le") in data[:65536]
    return any(entry.startswith("__substg1.0_") for entry in top)


def looks_like_message(data: bytes) -> bool:
    """An RFC 5322 message: it opens with a header block naming From/Date/Subject/Received…"""
    head = data[:8192].lstrip(b"\r\n\t ")
    block = re.split(rb"\r?\n\r?\n", head, maxsplit=1)[0]
    lines = [ln for ln in block.splitlines() if ln and ln[:1] not in (b" ", b"\t")]
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    return len(_KEY_HEADERS.findall(block)) >= 2 and all(_HEADER_LINE.match(ln) for ln in lines[:5])


def _der_of(data: bytes) -> bytes | None:
    """The DER bytes of a PKCS#7 blob (PEM armour removed), if it looks like one."""
    if data.lstrip().startswith(b"-----BEGIN"):
        import base64
        import binascii

        body = b"".join(ln for ln in data.strip().splitlines() if not ln.startswith(b"-----"))
        try:
            data = base64.b64decode(body)
        except (binascii.Error, ValueError):
            return None
    return data if data[:1] == b"\x30" else None


def unwrap_signed(data: bytes) -> bytes:
    """The MIME entity inside an opaque-signed S/MIME blob (CMS SignedData), unverified."""
    der = _der_of(data)
    if der is None:
        raise ContainerError("Phần ký số S/MIME (smime.p7m) bị hỏng: không đọc được nội dung thư.")
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(der)
        if info["content_type"].native != "signed_data":
            raise ContainerError("Thư S/MIME được mã hoá: baocao không có khoá để đọc.")
        content = info["content"]["encap_content_info"]["content"].native
    except ContainerError:
        raise
    except Exception as err:  # asn1crypto parses lazily: any malformed DER surfaces here
        raise ContainerError("Phần ký số S/MIME (smime.p7m) bị hỏng: không đọc được nội dung thư.") from err
    if not isinstance(content, bytes) or not content:
        raise ContainerError("Thư ký số S/MIME không kèm nội dung (chữ ký tách rời thiếu phần thư).")
    return content


def read_tnef(data: bytes) -> InnerMessage:
    """The files (and plain body) of a winmail.dat."""
    import tnefparse

    try:
        tnef = tnefparse.TNEF(data, do_checksum=False)
    except Exception as err:  # tnefparse raises ValueError, struct.error, IndexError … on damage
        raise ContainerError("Tệp winmail.dat (định dạng Outlook) bị hỏng: không lấy được tệp đính kèm.") from err
    codepage = tnef.codepage or "cp1252"
    files = [InnerFile(_tnef_name(att, codepage, index), bytes(att.data or b"")) for index, att in enumerate(tnef.attachments)]
    body = tnef.body if isinstance(tnef.body, str) else _decode(tnef.body or b"", codepage)
    files = [f for f in files if f.data]
    if not files and not body.strip() and not getattr(tnef, "rtfbody", None) and not getattr(tnef, "htmlbody", None):
        raise ContainerError("Tệp winmail.dat (định dạng Outlook) bị hỏng hoặc rỗng: không lấy được tệp đính kèm.")
    return InnerMessage(subject=_tnef_subject(tnef), body=body, files=files)


def _tnef_name(att: Any, codepage: str, index: int) -> str:
    """The Unicode long name (MAPI) when Outlook wrote one, else the 8-bit title."""
    for prop in getattr(att, "mapi_attrs", []):
        if prop.name == 0x3707:  # PR_ATTACH_LONG_FILENAME
            value = prop.data[0] if isinstance(prop.data, list) and prop.data else prop.data
            text = value if isinstance(value, str) else _decode(value or b"", codepage)
            if text.strip("\x00").strip():
                return nfc(text.strip("\x00"))
    raw = att._name  # the legacy title: bytes in the OEM code page
    text = raw if isinstance(raw, str) else _decode(raw, codepage)
    return nfc(text.strip("\x00")) or f"winmail-{index}"


def _tnef_subject(tnef: Any) -> str:
    for prop in getattr(tnef, "msgprops", []):
        if getattr(prop, "name", None) == 0x8004 and isinstance(prop.data, str):  # attSubject
            return nfc(prop.data)
    return ""


def read_msg(data: bytes, *, max_depth: int = 3) -> InnerMessage:
    """An Outlook .msg: sender, date, subject, body, files and attached messages."""
    import extract_msg

    try:
        msg = extract_msg.openMsg(data, strict=False)
    except Exception as err:  # extract-msg raises many types on damaged compound files
        raise ContainerError("Tệp thư Outlook (.msg) bị hỏng: không đọc được.") from err
    try:
        return _from_msg(msg, max_depth)
    except ContainerError:
        raise
    except Exception as err:
        raise ContainerError("Tệp thư Outlook (.msg) bị hỏng: không đọc được.") from err
    finally:
        msg.close()


def _from_msg(msg: Any, depth: int) -> InnerMessage:
    name, addr = parseaddr(nfc(getattr(msg, "sender", "") or ""))
    when = getattr(msg, "date", None)
    out = InnerMessage(
        sender=addr.strip().lower() or None,
        sender_name=nfc(name),
        date=when.astimezone(dt.UTC) if isinstance(when, dt.datetime) and when.tzinfo else None,
        subject=nfc(getattr(msg, "subject", "") or ""),
        message_id=(getattr(msg, "messageId", None) or None),
        body=nfc(getattr(msg, "body", "") or ""),
    )
    for index, att in enumerate(msg.attachments):
        payload = att.data
        if isinstance(payload, bytes | bytearray):
            fname = att.longFilename or att.shortFilename or f"tep-dinh-kem-{index}"
            out.files.append(InnerFile(nfc(fname), bytes(payload), getattr(att, "mimetype", None) or "application/octet-stream"))
        elif payload is not None and hasattr(payload, "attachments") and depth > 1:
            out.messages.append(_from_msg(payload, depth - 1))
        elif payload is not None:
            raise ContainerError("Thư Outlook (.msg) lồng nhau quá nhiều tầng: đề nghị đơn vị gửi trực tiếp tệp báo cáo.")
    return out


def _decode(data: bytes, codepage: str) -> str:
    for candidate in (codepage, "utf-8", "cp1258"):
        try:
            return nfc(data.decode(candidate))
        except (LookupError, UnicodeDecodeError):
            continue
    return nfc(data.decode("utf-8", "replace"))


def nfc(text: str) -> str:
    """NFC-normalised text."""
    return unicodedata.normalize("NFC", text)
