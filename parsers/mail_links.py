"""Reports sent as a link, not a file: "tải tệp tại …", "xem văn bản tại https://…", a Google
Drive or OneDrive share, or the notice a document-management system (QLVB, iOffice, eOffice,
the inter-agency document exchange) sends instead of the document.

Such a message is never a report: baocao cannot fetch a file behind a login, and what a link
shows may change. It is recognised and sent to a person, with the link shown (pure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from parsers.mail import MailMessage
from parsers.mail_classify import Classification, MailHints, about_campaign, fold
from parsers.vocab import MailKind

# Share and transfer services: a link there is a file (or folder) put up for download.
_SERVICES = (
    (re.compile(r"(^|\.)(drive|docs)\.google\.com$"), "Google Drive"),
    (re.compile(r"(^|\.)(1drv\.ms|onedrive\.live\.com)$"), "OneDrive"),
    (re.compile(r"(^|\.)sharepoint\.com$"), "OneDrive/SharePoint"),
    (re.compile(r"(^|\.)(dropbox\.com|dropboxusercontent\.com)$"), "Dropbox"),
    (re.compile(r"(^|\.)(fshare\.vn|mega\.nz|wetransfer\.com|we\.tl|mediafire\.com|box\.com)$"), "dịch vụ chia sẻ tệp"),
    (re.compile(r"(^|\.)(icloud\.com)$"), "iCloud Drive"),
)
# Document-management systems of Vietnamese agencies (host names and their own words).
_DMS_HOST = re.compile(r"(^|[.-])(qlvb|vanban|ioffice|eoffice|e-office|vbdh|qlvbdh|dhtn|tdoffice|idesk|edoc|vpdt)([.-]|$)")
_DMS_WORDS = re.compile(
    r"\b(?:he thong quan ly van ban|quan ly van ban va dieu hanh|lien thong van ban|van ban dien tu|"
    r"ioffice|eoffice|e office|phan mem quan ly van ban|qlvb|van phong dien tu|truc lien thong)\b"
)
# Words that put a link forward as the document ("tải tệp tại", "xem văn bản tại", "link báo cáo").
_LINK_WORDS = re.compile(
    r"\b(?:tai (?:tep|file|ve|van ban|bao cao|tai lieu)|xem (?:van ban|bao cao|tep|file|chi tiet van ban|toan van)|"
    r"tep dinh kem tai|dinh kem tai|duong dan|duong link|link (?:bao cao|tai|van ban)|theo link|tai link|tai day|"
    r"download|truy cap|chia se)\b"
)
_DOC_PATH = re.compile(r"\.(docx?|xlsx?|pdf|odt|ods|rtf|zip|rar|7z)(?:$|[?#])", re.I)
_IGNORED_HOST = re.compile(r"(^|\.)(w3\.org|schemas\.microsoft\.com|aka\.ms|outlook\.com|google\.com/maps|zalo\.me|facebook\.com)$")


@dataclass(frozen=True)
class ReportLink:
    """A link that stands for the report, and what it points at (for people, in Vietnamese)."""

    url: str
    service: str

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "service": self.service}


def from_document_system(mail: MailMessage) -> bool:
    """The notice of a document-management system (its sender, or its own words)."""
    host = (mail.from_addr or "").rsplit("@", 1)[-1]
    if _DMS_HOST.search(host.split(".", 1)[0]) or _DMS_HOST.search(host):
        return True
    return bool(_DMS_WORDS.search(fold(f"{mail.from_name}\n{mail.subject}\n{mail.body_text[:3000]}")))


def report_links(mail: MailMessage) -> list[ReportLink]:
    """The links of a message that stand for a document (share services, DMS pages, file
    URLs, or a link the text offers as the file)."""
    if not mail.links:
        return []
    dms = from_document_system(mail)
    lines = mail.body_text.splitlines()
    fresh = mail.new_text
    found: list[ReportLink] = []
    for url in mail.links:
        host = (urlsplit(url).hostname or "").lower()
        if not host or _IGNORED_HOST.search(host):
            continue
        if url in mail.body_text and url not in fresh:
            continue  # in the quoted message this one replies to
        service = _service(host)
        if service is None and _DMS_HOST.search(host):
            service = "hệ thống quản lý văn bản"
        if service is None and _DOC_PATH.search(urlsplit(url).path):
            service = "trang tải tệp"
        if service is None and (dms or _offered_as_file(url, lines)):
            service = "hệ thống quản lý văn bản" if dms else "trang tải tệp"
        if service is not None:
            found.append(ReportLink(url, service))
    return found


def _service(host: str) -> str | None:
    for pattern, label in _SERVICES:
        if pattern.search(host):
            return label
    return None


def _offered_as_file(url: str, lines: list[str]) -> bool:
    """The words next to the link (same line or the one before) offer it as the document."""
    for index, line in enumerate(lines):
        if url in line or url.rstrip("/") in line:
            near = " ".join(lines[max(0, index - 1) : index + 1])
            return bool(_LINK_WORDS.search(fold(near)))
    return bool(_LINK_WORDS.search(fold(" ".join(lines))))  # an HTML anchor ("tải tệp tại đây")


# Classifications a link can stand in for: the message has no report file of its own.
_LINK_CAN_REPLACE = (MailKind.UNRELATED, MailKind.ACKNOWLEDGEMENT, MailKind.AUTO_REPLY)


def classify_links(
    mail: MailMessage,
    classification: Classification,
    hints: MailHints,
    *,
    known_sender: bool,
) -> tuple[Classification, list[ReportLink]]:
    """A message whose report is only a link: `link_only` (to review, never a report). Any
    other message keeps its classification. Needs a campaign connection: a known sender, a
    reply to us or the campaign's words, or a document-management system's notice."""
    if classification.kind not in _LINK_CAN_REPLACE:
        return classification, []
    if any(not a.content_type.startswith("image/") for a in mail.attachments):
        return classification, []  # files came with it: they are what was sent (read or refused)
    links = report_links(mail)
    if not links:
        return classification, []
    if not (known_sender or about_campaign(mail, hints) or from_document_system(mail) and _mentions_report(mail)):
        return classification, []
    where = links[0].service
    return Classification(MailKind.LINK_ONLY, f"báo cáo gửi dạng đường liên kết ({where}), không có tệp đính kèm"), links


def _mentions_report(mail: MailMessage) -> bool:
    return "bao cao" in fold(f"{mail.subject}\n{mail.body_text[:3000]}")
