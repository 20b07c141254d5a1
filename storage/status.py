"""Queries behind `baocao status`: recipients with their contacts, responses and reminders,
the open review queue, failed messages and files, deadline extensions.

Core statements over storage.tables, not the ORM: `status` only reads, and this way the
command imports neither `sqlalchemy.orm` nor the declarative models, configures no mapper and
compiles plain selects (start-up time, issue 14; tests/flows/cli/test_startup.py checks it).
Results are rows whose columns read as attributes, like the models' (`row.name`, `row.email`).
Every function takes `*, session` — an ORM Session or a Core Connection, both execute the
statements the same way — and never commits."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from parsers.vocab import ItemStatus, OutboundKind, ReviewKind, ReviewStatus
from storage.tables import (
    contact,
    deadline_override,
    inbound_file,
    inbound_mail,
    literal,
    ocr_job,
    outbound_mail,
    recipient,
    review_item,
    submission,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row
    from sqlalchemy.orm import Session

    Reader = Session | Connection

REMINDER_KINDS = (OutboundKind.REMINDER, OutboundKind.REMINDER_INCOMPLETE)


@dataclass
class RecipientRecord:
    """A recipient with everything status needs, loaded in a few queries (rows of the
    recipient, contact and submission tables)."""

    recipient: Row[Any]
    contacts: list[Row[Any]] = field(default_factory=list)
    submissions: list[Row[Any]] = field(default_factory=list)
    reminders_sent: int = 0
    pending_review: int = 0
    # Our mails to it that failed or whose fate is unknown (retried / to check).
    mail_failed: int = 0
    # The latest reply whose report could not be read (its files rejected), if any.
    failed_file_at: dt.datetime | None = None
    # The latest files it sent that a person must check (an open doubtful_report item), if any.
    to_check_at: dt.datetime | None = None
    # Its latest reply that waits for a person (a report sent as a link, a message whose
    # campaign is in doubt, a document that may replace its report): (review item, arrival).
    in_review: tuple[int, dt.datetime] | None = None


def recipient_records(campaign_id: str, *, session: Reader) -> list[RecipientRecord]:
    """Every active recipient of the campaign with contacts, submissions and reminder counts."""
    records = {
        r.id: RecipientRecord(r)
        for r in session.execute(
            select(recipient)
            .where(recipient.c.campaign_id == campaign_id, recipient.c.active.is_(True))
            .order_by(recipient.c.id)
        )
    }
    ids = list(records)
    if not ids:
        return []
    for row in session.execute(
        select(contact).where(contact.c.recipient_id.in_(ids)).order_by(contact.c.position)
    ):
        records[row.recipient_id].contacts.append(row)
    for row in session.execute(
        select(submission)
        .where(submission.c.campaign_id == campaign_id, submission.c.recipient_id.in_(ids))
        .order_by(submission.c.received_at, submission.c.id)
    ):
        records[row.recipient_id].submissions.append(row)
    for recipient_id, count in reminders_sent(campaign_id, session=session).items():
        if recipient_id in records:
            records[recipient_id].reminders_sent = count
    pending: dict[int, int] = defaultdict(int)
    for candidates in session.scalars(
        select(review_item.c.candidates).where(
            review_item.c.campaign_id == campaign_id, review_item.c.status == literal(ReviewStatus.OPEN)
        )
    ):
        for cand in candidates or []:
            rid = cand.get("recipient_id") if isinstance(cand, dict) else None
            if isinstance(rid, int) and rid in records:
                pending[rid] += 1
    for rid, count in pending.items():
        records[rid].pending_review = count
    for rid, count in failed_counts(campaign_id, session=session).items():
        if rid in records:
            records[rid].mail_failed = count
    for rid, at in unreadable_replies(campaign_id, ids, session=session).items():
        records[rid].failed_file_at = at
    for rid, at in files_to_check(campaign_id, ids, session=session).items():
        records[rid].to_check_at = at
    by_email = {c.email.lower(): rid for rid, r in records.items() for c in r.contacts if c.active and c.email}
    for rid, waiting in replies_in_review(campaign_id, ids, by_email, session=session).items():
        records[rid].in_review = waiting
    return list(records.values())


def reminders_sent(campaign_id: str, *, session: Reader) -> dict[int, int]:
    """Per recipient: reminders sent (either kind)."""
    # One equality per kind: with `kind IN (…)` and a GROUP BY, SQLite takes the
    # (campaign_id, status) index and reads every receipt ever sent (one per mail).
    sent: dict[int, int] = defaultdict(int)
    for kind in REMINDER_KINDS:
        for recipient_id, count in session.execute(
            select(outbound_mail.c.recipient_id, func.count())
            .where(
                outbound_mail.c.campaign_id == campaign_id,
                outbound_mail.c.kind == kind,
                outbound_mail.c.status == "sent",
            )
            .group_by(outbound_mail.c.recipient_id)
        ):
            sent[recipient_id] += count
    return sent


def failed_counts(campaign_id: str, *, session: Reader) -> dict[int, int]:
    """Per recipient: mails failed or of unknown fate (for status)."""
    # Counted here, not with GROUP BY: SQLite would then prefer the unique index (ordered by
    # recipient) and read every mail of the campaign instead of the few unsettled ones.
    counts: dict[int, int] = {}
    for rid in session.scalars(
        select(outbound_mail.c.recipient_id).where(
            outbound_mail.c.campaign_id == campaign_id, outbound_mail.c.status.in_(("failed", "sending"))
        )
    ):
        if rid is not None:
            counts[rid] = counts.get(rid, 0) + 1
    return counts


def unreadable_replies(campaign_id: str, recipient_ids: list[int], *, session: Reader) -> dict[int, dt.datetime]:
    """Per recipient, when its latest reply meant as the report came with only unreadable files."""
    found: dict[int, dt.datetime] = {}
    for mail in session.execute(
        select(
            inbound_mail.c.recipient_id,
            inbound_mail.c.details,
            inbound_mail.c.internal_date,
            inbound_mail.c.date_header,
            inbound_mail.c.created_at,
        ).where(
            inbound_mail.c.campaign_id == campaign_id,
            inbound_mail.c.recipient_id.in_(recipient_ids),
            # A literal, so both planners (and PostgreSQL's generic plans) use the partial index.
            inbound_mail.c.status == literal(ItemStatus.REVIEW),
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
            select(review_item.c.inbound_file_id).where(
                review_item.c.campaign_id == campaign_id,
                review_item.c.status == literal(ReviewStatus.OPEN),
                review_item.c.kind == ReviewKind.UNREADABLE,
                review_item.c.inbound_file_id.is_not(None),
            )
        )
    )
    if files:
        for rid, mtime in session.execute(
            select(inbound_file.c.recipient_id, inbound_file.c.mtime).where(
                inbound_file.c.id.in_(files), inbound_file.c.recipient_id.in_(recipient_ids)
            )
        ):
            _latest(found, rid, mtime)
    return found


def files_to_check(campaign_id: str, recipient_ids: list[int], *, session: Reader) -> dict[int, dt.datetime]:
    """Per recipient, when the latest files it sent arrived that wait for a person to say
    whether they are the report (open doubtful_report items of its mail or dropped files)."""
    items = list(
        session.execute(
            select(review_item.c.inbound_mail_id, review_item.c.inbound_file_id, review_item.c.plan).where(
                review_item.c.campaign_id == campaign_id,
                review_item.c.status == literal(ReviewStatus.OPEN),
                review_item.c.kind == ReviewKind.DOUBTFUL_REPORT,
            )
        )
    )
    if not items:
        return {}
    owners: dict[tuple[str, int], int] = {}
    mail_ids = [i.inbound_mail_id for i in items if i.inbound_mail_id is not None]
    file_ids = [i.inbound_file_id for i in items if i.inbound_file_id is not None]
    if mail_ids:
        for mid, rid in session.execute(
            select(inbound_mail.c.id, inbound_mail.c.recipient_id).where(
                inbound_mail.c.id.in_(mail_ids), inbound_mail.c.recipient_id.in_(recipient_ids)
            )
        ):
            owners["mail", mid] = rid
    if file_ids:
        for fid, rid in session.execute(
            select(inbound_file.c.id, inbound_file.c.recipient_id).where(
                inbound_file.c.id.in_(file_ids), inbound_file.c.recipient_id.in_(recipient_ids)
            )
        ):
            owners["file", fid] = rid
    found: dict[int, dt.datetime] = {}
    for item in items:
        key = ("mail", item.inbound_mail_id) if item.inbound_mail_id is not None else ("file", item.inbound_file_id)
        at = (item.plan or {}).get("received_at")
        if key in owners and at:
            _latest(found, owners[key], dt.datetime.fromisoformat(at))
    return found


# Items that stand for an agency's own reply still undecided (a person settles them, and what
# it sent is then recorded or not). Not: `unreadable` (a failed file is not an answer: the
# agency is still chased, and its receipt asked for a copy), `doubtful_report` (files to check,
# `files_to_check`), `problem` (about a report already recorded), `appendix` (the report it
# belongs to has not come).
HOLDING_KINDS = (ReviewKind.ATTRIBUTION, ReviewKind.REPLACE)


def replies_in_review(
    campaign_id: str, recipient_ids: list[int], by_email: dict[str, int], *, session: Reader
) -> dict[int, tuple[int, dt.datetime]]:
    """Per recipient, its latest reply waiting for a person: (review item id, arrival). The
    campaign's own items name the agency through their message or dropped file; an item of a
    message whose campaign is in doubt (no campaign yet) counts in each candidate campaign, for
    the agency its sender's address belongs to (`by_email`: address → recipient id)."""
    items = list(
        session.execute(
            select(review_item.c.id, review_item.c.campaign_id, review_item.c.inbound_mail_id,
                   review_item.c.inbound_file_id, review_item.c.plan).where(
                review_item.c.status == literal(ReviewStatus.OPEN),
                (review_item.c.campaign_id == campaign_id) | review_item.c.campaign_id.is_(None),
                review_item.c.kind.in_(HOLDING_KINDS),
            )
        )
    )
    items = [i for i in items if i.campaign_id is not None or campaign_id in ((i.plan or {}).get("campaigns") or [])]
    if not items:
        return {}
    wanted = set(recipient_ids)
    owners: dict[tuple[str, int], int] = {}
    mail_ids = [i.inbound_mail_id for i in items if i.inbound_mail_id is not None]
    file_ids = [i.inbound_file_id for i in items if i.inbound_file_id is not None]
    # Only a message in doubt between campaigns is owned by its sender's address (nobody has
    # attributed it in any campaign yet); an attribution item of the campaign has no agency.
    routed = {i.inbound_mail_id for i in items if i.campaign_id is None}
    if mail_ids:
        for mid, rid, sender in session.execute(
            select(inbound_mail.c.id, inbound_mail.c.recipient_id, inbound_mail.c.from_addr).where(inbound_mail.c.id.in_(mail_ids))
        ):
            owner = rid if rid in wanted else by_email.get((sender or "").lower()) if mid in routed else None
            if owner is not None:
                owners["mail", mid] = owner
    if file_ids:
        for fid, rid in session.execute(
            select(inbound_file.c.id, inbound_file.c.recipient_id).where(inbound_file.c.id.in_(file_ids))
        ):
            if rid in wanted:
                owners["file", fid] = rid
    found: dict[int, tuple[int, dt.datetime]] = {}
    for item in items:
        key = ("mail", item.inbound_mail_id) if item.inbound_mail_id is not None else ("file", item.inbound_file_id)
        at = (item.plan or {}).get("received_at")
        if key not in owners or not at:
            continue
        when = dt.datetime.fromisoformat(at)
        rid = owners[key]
        if rid not in found or when > found[rid][1]:
            found[rid] = (item.id, when)
    return found


def _latest(found: dict[int, dt.datetime], recipient_id: int, at: dt.datetime) -> None:
    if recipient_id not in found or at > found[recipient_id]:
        found[recipient_id] = at


def open_review_items(campaign_id: str | None, *, session: Reader) -> list[Row[Any]]:
    """Items waiting for a person, oldest first (all campaigns when campaign_id is None):
    rows of the review_item table."""
    stmt = select(review_item).where(review_item.c.status == literal(ReviewStatus.OPEN))
    if campaign_id is not None:
        stmt = stmt.where((review_item.c.campaign_id == campaign_id) | review_item.c.campaign_id.is_(None))
    return list(session.execute(stmt.order_by(review_item.c.created_at, review_item.c.id)))


def received_times(items: list[Row[Any]], *, session: Reader) -> dict[int, dt.datetime]:
    """When what each review item is about arrived, as the web queue shows it: the mail's Date
    header, else the server's arrival time; a dropped file's modification time; else the time
    the plan recorded. Items without any source are left out (the caller falls back)."""
    mail_ids = {i.inbound_mail_id for i in items if i.inbound_mail_id is not None}
    file_ids = {i.inbound_file_id for i in items if i.inbound_file_id is not None}
    mails = {
        m.id: m.date_header or m.internal_date
        for m in session.execute(
            select(inbound_mail.c.id, inbound_mail.c.date_header, inbound_mail.c.internal_date).where(inbound_mail.c.id.in_(mail_ids))
        )
    } if mail_ids else {}
    files = {
        f.id: f.mtime
        for f in session.execute(select(inbound_file.c.id, inbound_file.c.mtime).where(inbound_file.c.id.in_(file_ids)))
    } if file_ids else {}
    found: dict[int, dt.datetime] = {}
    for item in items:
        at = mails.get(item.inbound_mail_id) if item.inbound_mail_id is not None else files.get(item.inbound_file_id)
        planned = (item.plan or {}).get("received_at")
        if at is None and planned:
            at = dt.datetime.fromisoformat(planned)
        if at is not None:
            found[item.id] = at
    return found


def failed_items(campaign_id: str, *, session: Reader) -> list[dict[str, Any]]:
    """Messages and files that failed, newest first: waiting for a retry or for a person."""
    found: list[dict[str, Any]] = []
    for m in session.execute(
        select(
            inbound_mail.c.id,
            inbound_mail.c.uid,
            inbound_mail.c.from_addr,
            inbound_mail.c.subject,
            inbound_mail.c.error,
            inbound_mail.c.details,
        )
        .where(inbound_mail.c.campaign_id == campaign_id, inbound_mail.c.status == literal(ItemStatus.FAILED))
        .order_by(inbound_mail.c.id.desc())
    ):
        details = m.details or {}
        found.append({
            "source": f"thư UID {m.uid}", "inbound_mail_id": m.id, "from": m.from_addr, "subject": m.subject,
            "error": m.error, "transient": bool(details.get("transient")), "retry": bool(details.get("retry")),
            "attempts": int(details.get("attempts", 1)),
        })
    for f in session.execute(
        select(inbound_file.c.id, inbound_file.c.path, inbound_file.c.error)
        .where(inbound_file.c.campaign_id == campaign_id, inbound_file.c.status == literal(ItemStatus.FAILED))
        .order_by(inbound_file.c.id.desc())
    ):
        found.append({"source": f"tệp {f.path}", "inbound_file_id": f.id, "error": f.error, "transient": False, "retry": False, "attempts": 1})
    return found


def ocr_queue(campaign_id: str, *, session: Reader) -> list[dict[str, Any]]:
    """Messages and files whose scans wait for the OCR queue ("đang chờ đọc bản quét"; a file
    not yet routed to a campaign is shown in every one), oldest first.

    The jobs still to read through their partial index (`ix_ocr_job_pending`), then their
    messages and files by id: the cost follows the queue, never the finished jobs nor the
    ledger's history (a join let PostgreSQL read a whole primary key to merge)."""
    jobs = list(session.execute(
        select(ocr_job.c.id, ocr_job.c.status, ocr_job.c.pages, ocr_job.c.attempts, ocr_job.c.files,
               ocr_job.c.created_at, ocr_job.c.inbound_mail_id, ocr_job.c.inbound_file_id)
        .where(ocr_job.c.status.in_(("queued", "running")))
        .where((ocr_job.c.campaign_id == campaign_id) | ocr_job.c.campaign_id.is_(None))
        .order_by(ocr_job.c.id)
    ))
    mail_ids = sorted({j.inbound_mail_id for j in jobs if j.inbound_mail_id is not None})
    file_ids = sorted({j.inbound_file_id for j in jobs if j.inbound_file_id is not None})
    mails = {m.id: m for m in session.execute(
        select(inbound_mail.c.id, inbound_mail.c.from_addr, inbound_mail.c.subject).where(inbound_mail.c.id.in_(mail_ids))
    )} if mail_ids else {}
    paths = dict(session.execute(
        select(inbound_file.c.id, inbound_file.c.path).where(inbound_file.c.id.in_(file_ids))
    ).tuples().all()) if file_ids else {}
    out = []
    for j in jobs:
        mail = mails.get(j.inbound_mail_id) if j.inbound_mail_id is not None else None
        path = paths.get(j.inbound_file_id) if j.inbound_file_id is not None else None
        out.append({
            "job": j.id, "status": j.status, "pages": j.pages, "attempts": j.attempts,
            "files": [f["filename"] for f in j.files or []], "queued_at": j.created_at.isoformat(),
            "source": f"tệp {path}" if path is not None else f"thư của {(mail.from_addr if mail else None) or '?'}",
            "subject": mail.subject if mail else None, "inbound_mail_id": j.inbound_mail_id, "inbound_file_id": j.inbound_file_id,
        })
    return out


def deadline_overrides(campaign_id: str, *, session: Reader) -> dict[int, dt.date]:
    """Recipient id → its own deadline (a date), for the recipients that have one."""
    stmt = select(deadline_override.c.recipient_id, deadline_override.c.deadline).where(
        deadline_override.c.campaign_id == campaign_id
    )
    return {rid: day for rid, day in session.execute(stmt)}
