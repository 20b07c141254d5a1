"""Everything about one recipient in time order: the request, replies, submissions and their
versions, reminders, receipts, bounces and the audit events (`baocao history`)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.app import App
from flows.errors import FlowsError
from parsers.vocab import ItemStatus, MailKind, OutboundKind, display_id
from reports.reminders import slot_label
from storage.campaigns import recipient_by_code
from storage.models import (
    ContactRow,
    Event,
    InboundFile,
    InboundMail,
    RecipientRow,
    ReviewItem,
    Submission,
)
from storage.outbound import outbound_for

OUT_STATUS = {
    "sent": "đã gửi",
    "pending": "chờ gửi",
    "failed": "gửi lỗi, sẽ thử lại",
    "sending": "bị ngắt khi gửi, không rõ đã đi chưa (baocao mail-resolve)",
}
# How a submission reached us, as the timeline says it ("lần 2, qua bản giấy").
CHANNEL_VIA = {"email": "qua thư điện tử", "folder": "qua thư mục dùng chung", "manual": "do cán bộ nhập",
               "paper": "qua bản giấy", "phone": "qua điện thoại", "hand": "nộp trực tiếp"}
SUBMISSION_KINDS = {"report": "báo cáo", "nil_report": "báo cáo không phát sinh", "acknowledgement": "hẹn gửi"}
# What each timeline entry is, as people read it (the CLI's "Loại" column, the web timeline).
ENTRY_LABELS = {
    "request": "Công văn",
    "reminder": "Thư nhắc",
    "reminder_incomplete": "Nhắc bổ sung",
    "receipt": "Báo đã nhận",
    "reply": "Thư đến",
    "bounce": "Thư bị trả lại",
    "file": "Tệp thư mục dùng chung",
    "submission": "Ghi nhận",
    "bouncing": "Địa chỉ lỗi",
    "alert": "Cảnh báo",
}
EVENT_LABELS = {
    "value_corrected": "Sửa số liệu",
    "submission_accepted": "Chấp nhận",
    "response_recorded": "Ghi nhận thủ công",
    "deadline_extended": "Gia hạn",
    "reminder_requested": "Nhắc ngay",
    "contact_changed": "Sửa địa chỉ",
    "contact_bouncing": "Địa chỉ lỗi",
    "review_assigned": "Xem xét",
    "review_dismissed": "Xem xét",
    "mail_failed": "Gửi lỗi",
    "mail_resolved": "Xử lý thư",
    "user_added": "Thêm người dùng",
    "user_disabled": "Khóa người dùng",
}


def entry_label(kind: str, data: Mapping[str, Any] | None = None) -> str:
    """'submission' → 'Ghi nhận', 'event:deadline_extended' → 'Gia hạn' (never the code); a
    correction says what was corrected, from its event's data: 'Sửa số liệu dòng 3' for a
    figure, 'Sửa nội dung mục 2.2.đ' for a section's text."""
    if kind == "event:value_corrected" and data and data.get("item"):
        if data.get("target") == "section":
            return f"Sửa nội dung mục {display_id(str(data['item']))}"
        if data.get("target") == "indicator":
            return f"Sửa số liệu dòng {data['item']}"
    if kind.startswith("event:"):
        return EVENT_LABELS.get(kind[6:], "Hoạt động")
    return ENTRY_LABELS.get(kind, "Hoạt động")


# Events already shown by the rows they describe.
SHOWN_ELSEWHERE = {"mail_sent"}
# A Message-ID in a stored reason ("thư báo lỗi <1796…@mail.kontum.example>"): not for people.
_MESSAGE_ID = re.compile(r"\s*<[^<>\s]+@[^<>\s]+>")


class UnknownRecipient(FlowsError, LookupError):
    """No recipient with that code or address in the campaign."""


def find_recipient(campaign_id: str, key: str, *, session: Session) -> RecipientRow:
    """A recipient by code, or by one of its email addresses."""
    key = key.strip().lower()
    row = recipient_by_code(campaign_id, key, session=session)
    if row is None:
        row = session.scalars(
            select(RecipientRow)
            .join(ContactRow, ContactRow.recipient_id == RecipientRow.id)
            .where(RecipientRow.campaign_id == campaign_id, ContactRow.email == key)
        ).first()
    if row is None:
        raise UnknownRecipient(f"không có đơn vị {key!r} trong chiến dịch {campaign_id} (dùng mã đơn vị hoặc email)")
    return row


def recipient_history(app: App, recipient: str, campaign_id: str | None = None) -> dict[str, Any]:
    """The `baocao history --json` object: the recipient and its entries, oldest first."""
    campaign = app.campaign(campaign_id)
    tz = campaign.tz
    with app.session() as session:
        row = find_recipient(campaign.id, recipient, session=session)
        entries = [
            *_outbound(campaign.id, row.id, session=session, tz=tz),
            *_inbound(row.id, session=session),
            *_submissions(campaign.id, row.id, session=session),
            *_bounces(row.id, session=session),
            *_events(campaign.id, row.id, session=session),
        ]
        contacts = [{"email": c.email, "active": c.active, "bouncing": c.bouncing} for c in row.contacts]
        head = {"id": row.code, "name": row.name, "group": row.group, "active": row.active, "contacts": contacts}
    # A bounce is one fact: the event written when it was marked; the contact's own mark is
    # shown only when no such event exists (data from before the events were kept).
    logged = {(e.get("data") or {}).get("email") for e in entries if e["kind"] == "event:contact_bouncing"}
    entries = [e for e in entries if not (e["kind"] == "bouncing" and e.get("email") in logged)]
    entries.sort(key=lambda e: (e["at"], e["order"]))
    for entry in entries:
        entry["at"] = entry["at"].astimezone(tz).isoformat()
        del entry["order"]
    return {"campaign": campaign.id, "recipient": head, "entries": entries}


def _entry(at: dt.datetime, kind: str, summary: str, order: int, **data: Any) -> dict[str, Any]:
    return {"at": at, "kind": kind, "summary": summary, "order": order, **data}


def _slot_words(slot: str, tz: dt.tzinfo, *, session: Session) -> str:
    """A slot as people read it; a receipt's `mail:<id>` names the mail it answers (its
    subject and when it came), not its number in the database."""
    number = slot[5:].split(":", 1)[0] if slot.startswith("mail:") else ""
    mail = session.get(InboundMail, int(number)) if number.isdigit() else None
    if mail is None:
        return slot_label(slot)
    at = mail.date_header or mail.internal_date or mail.created_at
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    after = ", sau khi cán bộ kiểm tra" if slot.endswith(":sau-kiem-tra") else ""
    return f"trả lời thư «{mail.subject or 'không tiêu đề'}» nhận {at.astimezone(tz):%d/%m/%Y %H:%M}{after}"


def _outbound(campaign_id: str, recipient_id: int, *, session: Session, tz: dt.tzinfo = dt.UTC) -> list[dict[str, Any]]:
    entries = []
    for mail in outbound_for(campaign_id, recipient_id, session=session):
        label = OutboundKind.labels().get(mail.kind, mail.kind)
        state = OUT_STATUS.get(mail.status, mail.status)
        summary = f"{label[:1].upper()}{label[1:]} ({_slot_words(mail.slot, tz, session=session)}) tới {', '.join(mail.to_addrs)}: {state}"
        if mail.error:
            summary += f" — {mail.error}"
        entries.append(
            _entry(mail.sent_at or mail.created_at, mail.kind, summary, 0, outbound_id=mail.id,
                   status=mail.status, slot=mail.slot,
                   message_id=mail.message_id, subject=mail.subject, attempts=mail.attempts,
                   eml_sha256=mail.raw_sha256)
        )
    return entries


def _inbound(recipient_id: int, *, session: Session) -> list[dict[str, Any]]:
    """Mail and files that came from the recipient: attributed to it, or settled for it by a
    person (a review item assigned to it) or recorded as one of its submissions — a message
    answering two campaigns carries one recipient id, yet belongs to both timelines."""
    entries = []
    mails = select(InboundMail).where(or_(
        InboundMail.recipient_id == recipient_id,
        InboundMail.id.in_(select(Submission.inbound_mail_id).where(Submission.recipient_id == recipient_id)),
        InboundMail.id.in_(select(ReviewItem.inbound_mail_id).where(ReviewItem.resolved_recipient_id == recipient_id)),
    ))
    for mail in session.scalars(mails):
        kind = "bounce" if mail.classification == "bounce" else "reply"
        what = "Thư bị trả lại" if kind == "bounce" else "Thư đến"
        summary = f"{what} từ {mail.from_addr or '?'}: {mail.subject or '(không tiêu đề)'}"
        if mail.classification:
            summary += f" [{MailKind.labels().get(mail.classification, mail.classification)}, {ItemStatus.labels().get(mail.status, mail.status)}]"
        at = mail.date_header or mail.internal_date or mail.created_at
        entries.append(_entry(at, kind, summary, 1, inbound_mail_id=mail.id, message_id=mail.message_id,
                              status=mail.status, error=mail.error))
    files = select(InboundFile).where(or_(
        InboundFile.recipient_id == recipient_id,
        InboundFile.id.in_(select(Submission.inbound_file_id).where(Submission.recipient_id == recipient_id)),
        InboundFile.id.in_(select(ReviewItem.inbound_file_id).where(ReviewItem.resolved_recipient_id == recipient_id)),
    ))
    for file in session.scalars(files):
        status = ItemStatus.labels().get(file.status, file.status)
        entries.append(_entry(file.mtime, "file", f"Tệp trong thư mục dùng chung: {file.path} [{status}]", 1,
                              inbound_file_id=file.id, status=file.status, error=file.error))
    return entries


def _submissions(campaign_id: str, recipient_id: int, *, session: Session) -> list[dict[str, Any]]:
    rows = list(
        session.scalars(
            select(Submission)
            .where(Submission.campaign_id == campaign_id, Submission.recipient_id == recipient_id)
            .order_by(Submission.received_at, Submission.id)
        )
    )
    entries = []
    for version, sub in enumerate(rows, start=1):
        summary = f"Ghi nhận {SUBMISSION_KINDS.get(sub.kind, sub.kind)} (lần {version}, {CHANNEL_VIA.get(sub.channel, 'qua kênh khác')})"
        if sub.status == "superseded":
            summary += ", đã được thay bằng bản sau"
        missing = [*(sub.missing_sections or []), *(sub.missing_rows or [])]
        if sub.kind == "report" and missing:
            summary += f"; còn thiếu: {', '.join(display_id(m) for m in missing)}"
        entries.append(_entry(sub.received_at, "submission", summary, 2, submission_id=sub.id, version=version,
                              submission_kind=sub.kind, status=sub.status, missing=missing))
    return entries


def _bounces(recipient_id: int, *, session: Session) -> list[dict[str, Any]]:
    return [
        _entry(c.bounced_at, "bouncing", f"Địa chỉ {c.email} bị đánh dấu trả lại: {_MESSAGE_ID.sub('', c.bounce_reason or '')}".strip(), 3,
               email=c.email)
        for c in session.scalars(
            select(ContactRow).where(ContactRow.recipient_id == recipient_id, ContactRow.bouncing.is_(True))
        )
        if c.bounced_at is not None
    ]


def _events(campaign_id: str, recipient_id: int, *, session: Session) -> list[dict[str, Any]]:
    events = session.scalars(
        select(Event)
        .where(Event.recipient_id == recipient_id, or_(Event.campaign_id == campaign_id, Event.campaign_id.is_(None)))
        .order_by(Event.at, Event.id)
    )
    return [
        _entry(e.at, f"event:{e.kind}", e.message or e.kind, 4, actor=e.actor, data=e.data)
        for e in events
        if e.kind not in SHOWN_ELSEWHERE
    ]
