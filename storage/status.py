"""Queries behind `baocao status`: recipients with their contacts, responses and reminders."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from parsers.vocab import ItemStatus, OutboundKind, ReviewKind, ReviewStatus
from storage.campaigns import campaign_recipients
from storage.models import (
    ContactRow,
    InboundFile,
    InboundMail,
    OutboundMail,
    RecipientRow,
    ReviewItem,
    Submission,
    literal,
)
from storage.outbound import failed_counts

REMINDER_KINDS = (OutboundKind.REMINDER, OutboundKind.REMINDER_INCOMPLETE)


@dataclass
class RecipientRecord:
    """A recipient with everything status needs, loaded in a few queries."""

    recipient: RecipientRow
    contacts: list[ContactRow] = field(default_factory=list)
    submissions: list[Submission] = field(default_factory=list)
    reminders_sent: int = 0
    pending_review: int = 0
    # Our mails to it that failed or whose fate is unknown (retried / to check).
    mail_failed: int = 0
    # The latest reply whose report could not be read (its files rejected), if any.
    failed_file_at: dt.datetime | None = None


def recipient_records(campaign_id: str, *, session: Session) -> list[RecipientRecord]:
    """Every active recipient of the campaign with contacts, submissions and reminder counts."""
    records = {r.id: RecipientRecord(r) for r in campaign_recipients(campaign_id, session=session)}
    ids = list(records)
    if not ids:
        return []
    for contact in session.scalars(
        select(ContactRow).where(ContactRow.recipient_id.in_(ids)).order_by(ContactRow.position)
    ):
        records[contact.recipient_id].contacts.append(contact)
    for sub in session.scalars(
        select(Submission)
        .where(Submission.campaign_id == campaign_id, Submission.recipient_id.in_(ids))
        .order_by(Submission.received_at, Submission.id)
    ):
        records[sub.recipient_id].submissions.append(sub)
    # One equality per kind: with `kind IN (…)` and a GROUP BY, SQLite takes the
    # (campaign_id, status) index and reads every receipt ever sent (one per mail).
    sent: dict[int, int] = defaultdict(int)
    for kind in REMINDER_KINDS:
        for recipient_id, count in session.execute(
            select(OutboundMail.recipient_id, func.count())
            .where(
                OutboundMail.campaign_id == campaign_id,
                OutboundMail.kind == kind,
                OutboundMail.status == "sent",
            )
            .group_by(OutboundMail.recipient_id)
        ):
            sent[recipient_id] += count
    for recipient_id, count in sent.items():
        if recipient_id in records:
            records[recipient_id].reminders_sent = count
    pending: dict[int, int] = defaultdict(int)
    for item in session.scalars(
        select(ReviewItem).where(ReviewItem.campaign_id == campaign_id, ReviewItem.status == literal(ReviewStatus.OPEN))
    ):
        for cand in item.candidates or []:
            rid = cand.get("recipient_id") if isinstance(cand, dict) else None
            if rid in records:
                pending[rid] += 1
    for rid, count in pending.items():
        records[rid].pending_review = count
    for rid, count in failed_counts(campaign_id, session=session).items():
        if rid in records:
            records[rid].mail_failed = count
    for rid, at in unreadable_replies(campaign_id, ids, session=session).items():
        records[rid].failed_file_at = at
    return list(records.values())


def unreadable_replies(campaign_id: str, recipient_ids: list[int], *, session: Session) -> dict[int, dt.datetime]:
    """Per recipient, when its latest reply meant as the report came with only unreadable files."""
    found: dict[int, dt.datetime] = {}
    for mail in session.scalars(
        select(InboundMail).where(
            InboundMail.campaign_id == campaign_id,
            InboundMail.recipient_id.in_(recipient_ids),
            # A literal, so both planners (and PostgreSQL's generic plans) use the partial index.
            InboundMail.status == literal(ItemStatus.REVIEW),
        )
    ):
        if not (mail.details or {}).get("outcome", {}).get("unreadable") or mail.recipient_id is None:
            continue
        _latest(found, mail.recipient_id, mail.internal_date or mail.date_header or mail.created_at)
    # A file dropped in the shared folder under the agency's name, unreadable (req. 8): the
    # file went to failed/; the agency is "tệp lỗi" while its review item is open (the open
    # queue's partial index serves the query).
    files = list(
        session.scalars(
            select(ReviewItem.inbound_file_id).where(
                ReviewItem.campaign_id == campaign_id,
                ReviewItem.status == literal(ReviewStatus.OPEN),
                ReviewItem.kind == ReviewKind.UNREADABLE,
                ReviewItem.inbound_file_id.is_not(None),
            )
        )
    )
    if files:
        for rid, mtime in session.execute(
            select(InboundFile.recipient_id, InboundFile.mtime).where(InboundFile.id.in_(files), InboundFile.recipient_id.in_(recipient_ids))
        ):
            _latest(found, rid, mtime)
    return found


def _latest(found: dict[int, dt.datetime], recipient_id: int, at: dt.datetime) -> None:
    if recipient_id not in found or at > found[recipient_id]:
        found[recipient_id] = at


def open_review_items(campaign_id: str | None, *, session: Session) -> list[ReviewItem]:
    """Items waiting for a person, oldest first (all campaigns when campaign_id is None)."""
    stmt = select(ReviewItem).where(ReviewItem.status == literal(ReviewStatus.OPEN))
    if campaign_id is not None:
        stmt = stmt.where((ReviewItem.campaign_id == campaign_id) | ReviewItem.campaign_id.is_(None))
    return list(session.scalars(stmt.order_by(ReviewItem.created_at, ReviewItem.id)))
