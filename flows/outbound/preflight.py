"""Pre-flight of the request (công văn) before it goes to every agency: what is still missing.

The campaign file is often written before the letter is signed ("Số: …/SKHCN-TĐC", "ngày …
tháng 8"); sending it like that reaches 28 agencies and cannot be taken back. `baocao
send-request` refuses while anything here is missing, unless `--force`.
"""

from __future__ import annotations

import datetime as dt
import re

from config.campaign import Campaign
from reports.workdays import WorkCalendar, day_off_warning

# "123/SKHCN-TĐC", "05/UBND-KGVX": a number, then the issuer's code.
_NUMBER = re.compile(r"^\s*\d+\s*/\s*\S")
# What a form left to fill holds: an ellipsis, dots, underscores, x's, dashes, "null".
_PLACEHOLDER = re.compile(r"…|\.\.\.|__|\b(?:x{2,}|null|none|tbd|todo)\b|^[\s.\-_x…?]*$", re.I)
_ENCLOSED = ("hồ sơ gửi kèm", "tài liệu gửi kèm", "gửi kèm theo")
# A phone number: at least 8 digits (spaces, dots, dashes and a leading + between them).
_PHONE = re.compile(r"^\+?[\d\s.\-()]*$")


def is_placeholder(value: str | None) -> bool:
    """True when a field is empty or still holds what stands for "to be filled" ("…", "...",
    "xxx", "___"): what must never reach 28 agencies."""
    return value is None or bool(_PLACEHOLDER.search(value.strip()))


def request_gaps(campaign: Campaign, letter_text: str = "") -> list[str]:
    """What the request still lacks, each as one Vietnamese line naming the field to fill."""
    request = campaign.request
    gaps: list[str] = []
    if not _NUMBER.match(request.number) or is_placeholder(request.number):
        gaps.append(f"chưa có số công văn (đang ghi “{request.number}”; sửa request.number, ví dụ 1234/SKHCN-TĐC)")
    if request.date is None:
        gaps.append("chưa có ngày công văn (request.date)")
    gaps.extend(_enclosure_gaps(campaign, letter_text))
    gaps.extend(_contact_gaps(campaign))
    if is_placeholder(request.signer):
        gaps.append("chưa có người ký công văn (request.signer)")
    return gaps


def _contact_gaps(campaign: Campaign) -> list[str]:
    """Who the agencies may call: a name, a phone number with its digits, an email address."""
    contact = campaign.request.contact
    name, phone, mail = (contact.name, contact.phone, contact.email) if contact else (None, None, None)
    gaps = []
    if is_placeholder(name):
        gaps.append(f"chưa có người liên hệ (request.contact.name{_shown(name)})")
    digits = sum(c.isdigit() for c in phone or "")
    if is_placeholder(phone) or not _PHONE.match(phone or "") or digits < 8:
        gaps.append(f"chưa có số điện thoại liên hệ (request.contact.phone{_shown(phone)}; ví dụ 0255 3822 123)")
    if is_placeholder(mail) or "@" not in (mail or "") or is_placeholder((mail or "").partition("@")[0]):
        gaps.append(f"chưa có email liên hệ (request.contact.email{_shown(mail)})")
    return gaps


def _shown(value: str | None) -> str:
    return f", đang ghi “{value}”" if value and value.strip() else ""


def _enclosure_gaps(campaign: Campaign, letter_text: str) -> list[str]:
    request = campaign.request
    listed = len(request.enclosures)
    files = len(request.attachments)
    says = any(phrase in letter_text.lower() for phrase in _ENCLOSED)
    if listed and files < listed:
        return [
            f"công văn ghi “Hồ sơ gửi kèm” {listed} tài liệu nhưng mới đính kèm {files} tệp "
            "(thêm tệp vào request.attachments)"
        ]
    if says and not files:
        return ["thư ghi “Hồ sơ gửi kèm” nhưng chưa đính kèm tệp nào (request.attachments)"]
    return []


def deadline_warning(campaign: Campaign, day: dt.date | None = None) -> str | None:
    """A warning when a deadline (the campaign's, or `day`: an extension being set) falls on a
    day off of the campaign's calendar; None on a working day. For the web form and the CLI."""
    policy = campaign.reminders
    calendar = WorkCalendar(policy.extra_days_off, policy.extra_working_days)
    if day is None:
        return day_off_warning(calendar, campaign.deadline, "Hạn nộp chung (deadline)")
    return day_off_warning(calendar, day, "Hạn mới")


def request_warnings(campaign: Campaign) -> list[str]:
    """What deserves a second look before sending, without blocking it (unlike `request_gaps`)."""
    warning = deadline_warning(campaign)
    return [warning] if warning else []
