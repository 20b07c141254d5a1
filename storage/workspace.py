"""Queries and small writes behind the web workspace: files of a mail or a submission, blobs
known by hash, last contact per recipient, the outgoing mail list, contact edits.
Functions take `*, session` and never commit."""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from storage.errors import StorageError
from storage.models import (
    Blob,
    ContactRow,
    Document,
    InboundFile,
    InboundMail,
    OutboundMail,
    RecipientRow,
    Submission,
    utcnow,
)

SHA256 = re.compile(r"[0-9a-f]{64}")
EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


class ContactError(StorageError):
    """An address cannot be added or changed as asked (Vietnamese message)."""


def known_blob(sha256: str, *, session: Session) -> Blob | None:
    """The stored blob with this hash; None for a malformed or unknown hash."""
    if not SHA256.fullmatch(sha256 or ""):
        return None
    return session.get(Blob, sha256)


def blob_filename(sha256: str, *, session: Session) -> str | None:
    """A name a person gave these bytes (an attachment's or a dropped file's), if any."""
    return session.scalars(select(Document.filename).where(Document.sha256 == sha256).limit(1)).first()


def blob_campaign(sha256: str, *, session: Session) -> str | None:
    """The campaign of the mail or dropped file these bytes are (None when unknown or several)."""
    ids = set(session.scalars(select(InboundMail.campaign_id).where(InboundMail.raw_sha256 == sha256).limit(2)))
    ids |= set(session.scalars(select(InboundFile.campaign_id).where(InboundFile.sha256 == sha256).limit(2)))
    ids.discard(None)
    return ids.pop() if len(ids) == 1 else None


def documents_by_mail(mail_ids: Iterable[int], *, session: Session) -> dict[int, list[Document]]:
    """The attachments of each inbound mail, in message order."""
    ids = list(mail_ids)
    found: dict[int, list[Document]] = defaultdict(list)
    if ids:
        stmt = select(Document).where(Document.inbound_mail_id.in_(ids)).order_by(Document.part_index, Document.id)
        for doc in session.scalars(stmt):
            found[doc.inbound_mail_id or 0].append(doc)
    return dict(found)


def submission_documents(sub: Submission, *, session: Session) -> list[Document]:
    """The files a submission came with: its main document and its source's other files."""
    conds = [Document.id == sub.document_id] if sub.document_id else []
    if sub.inbound_mail_id:
        conds.append(Document.inbound_mail_id == sub.inbound_mail_id)
    if sub.inbound_file_id:
        conds.append(Document.inbound_file_id == sub.inbound_file_id)
    if not conds:
        return []
    return list(session.scalars(select(Document).where(or_(*conds)).order_by(Document.part_index, Document.id)))


def inbound_mails(ids: Iterable[int], *, session: Session) -> dict[int, InboundMail]:
    """Inbound mail rows by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {m.id: m for m in session.scalars(select(InboundMail).where(InboundMail.id.in_(wanted)))}


def inbound_files(ids: Iterable[int], *, session: Session) -> dict[int, InboundFile]:
    """Dropped-file rows by id."""
    wanted = list(ids)
    if not wanted:
        return {}
    return {f.id: f for f in session.scalars(select(InboundFile).where(InboundFile.id.in_(wanted)))}


def last_contacts(campaign_id: str, *, session: Session) -> dict[int, dt.datetime]:
    """Per recipient: when it last reached us — its latest mail (as received) or response
    (a file in the shared folder, a report on paper, by phone or by hand). Our own request,
    receipts and reminders are not its contact: they go to everyone at once."""
    latest: dict[int, dt.datetime] = {}
    inbound = session.execute(
        select(InboundMail.recipient_id, func.max(func.coalesce(InboundMail.internal_date, InboundMail.date_header)))
        .where(InboundMail.campaign_id == campaign_id, InboundMail.recipient_id.is_not(None))
        .group_by(InboundMail.recipient_id)
    )
    responses = session.execute(
        select(Submission.recipient_id, func.max(Submission.received_at))
        .where(Submission.campaign_id == campaign_id)
        .group_by(Submission.recipient_id)
    )
    for rid, at in [*inbound, *responses]:
        if rid is not None and at is not None:
            at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
            latest[rid] = max(latest.get(rid, at), at)
    return latest


def outgoing(campaign_id: str, *, session: Session, limit: int = 500) -> list[tuple[OutboundMail, str, str]]:
    """Our mail of a campaign, newest first, with the recipient's code and name."""
    stmt = (
        select(OutboundMail, RecipientRow.code, RecipientRow.name)
        .outerjoin(RecipientRow, RecipientRow.id == OutboundMail.recipient_id)
        .where(OutboundMail.campaign_id == campaign_id)
        .order_by(OutboundMail.created_at.desc(), OutboundMail.id.desc())
        .limit(limit)
    )
    return [(row, code or "", name or "") for row, code, name in session.execute(stmt)]


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    if not EMAIL.fullmatch(email):
        raise ContactError(f"địa chỉ email không hợp lệ: {email!r}")
    return email


def add_contact(recipient: RecipientRow, email: str, *, session: Session) -> ContactRow:
    """Add an address to a recipient (or make an inactive one active again)."""
    email = _clean_email(email)
    contact = next((c for c in recipient.contacts if c.email == email), None)
    if contact is None:
        position = max((c.position for c in recipient.contacts), default=-1) + 1
        contact = ContactRow(recipient_id=recipient.id, email=email, position=position, active=True)
        session.add(contact)
    elif contact.active:
        raise ContactError(f"{email} đã có trong danh sách địa chỉ")
    contact.active, contact.source = True, "manual"
    session.flush()
    return contact


def replace_contact(recipient: RecipientRow, old: str, new: str, *, session: Session) -> ContactRow:
    """Fix an address: the old one becomes inactive (kept), the new one takes its place."""
    current = next((c for c in recipient.contacts if c.email == old.strip().lower()), None)
    if current is None:
        raise ContactError(f"không có địa chỉ {old!r} của đơn vị này")
    new = _clean_email(new)
    if new == current.email:
        return current
    contact = next((c for c in recipient.contacts if c.email == new), None)
    if contact is None:
        contact = ContactRow(recipient_id=recipient.id, email=new, position=current.position)
        session.add(contact)
    contact.active, contact.position, current.active = True, current.position, False
    contact.source = current.source = "manual"
    session.flush()
    return contact


def set_bouncing(recipient: RecipientRow, email: str, reason: str, *, bouncing: bool, session: Session) -> ContactRow:
    """Mark an address as bouncing (mail to it comes back) or not."""
    contact = next((c for c in recipient.contacts if c.email == email.strip().lower()), None)
    if contact is None:
        raise ContactError(f"không có địa chỉ {email!r} của đơn vị này")
    contact.bouncing = bouncing
    contact.bounced_at = utcnow() if bouncing else None
    contact.bounce_reason = reason or None if bouncing else None
    session.flush()
    return contact
