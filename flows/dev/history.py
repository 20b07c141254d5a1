"""A ledger with months of history, written in bulk through the models (benchmarks, plan tests).

What a busy official mailbox leaves behind: every message handled, flagged on the server and
mostly unrelated to the campaign; receipts sent for the reports; review items settled long
ago; one event per run. Nothing here is pending, so a poll that is independent of history
must not notice any of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import (
    Blob,
    Document,
    Event,
    InboundMail,
    OutboundMail,
    RecipientRow,
    ReviewItem,
)

BATCH = 5_000
START = dt.datetime(2024, 1, 1, 1, 0, tzinfo=dt.UTC)


def _fake_sha(kind: str, i: int) -> str:
    return hashlib.sha256(f"history-{kind}-{i}".encode()).hexdigest()


def _batches(n: int) -> Iterator[range]:
    for start in range(0, n, BATCH):
        yield range(start, min(n, start + BATCH))


def seed_ledger(
    session: Session, campaign_id: str, mailbox: str, uidvalidity: int, messages: int, *, first_uid: int = 1
) -> dict[str, int]:
    """Insert `messages` handled messages (UIDs first_uid…) with their blobs, a document for
    one in ten, a sent receipt for one in twenty, a settled review item for one in fifty and an
    event for one in ten; the caller commits. Returns the row counts written."""
    recipients = list(session.scalars(select(RecipientRow.id).where(RecipientRow.campaign_id == campaign_id)))
    counts = {"inbound_mail": 0, "document": 0, "outbound_mail": 0, "review_item": 0, "event": 0}
    for batch in _batches(messages):
        blobs, mails = [], []
        for i in batch:
            uid, at = first_uid + i, START + dt.timedelta(minutes=7 * i)
            raw = _fake_sha(f"mail-{mailbox}", uid)
            blobs.append({"sha256": raw, "size": 2000, "path": f"history/{raw}", "created_at": at})
            if i % 10 == 0:
                doc = _fake_sha(f"doc-{mailbox}", uid)
                blobs.append({"sha256": doc, "size": 40_000, "path": f"history/{doc}", "created_at": at})
            rid = recipients[i % len(recipients)] if recipients and i % 10 == 0 else None
            mails.append(_mail(campaign_id, mailbox, uidvalidity, uid, raw, at, rid))
        session.execute(insert(Blob), blobs)
        ids = dict(session.execute(insert(InboundMail).returning(InboundMail.uid, InboundMail.id), mails).all())
        docs, receipts, reviews, events = [], [], [], []
        for i in batch:
            uid, at = first_uid + i, START + dt.timedelta(minutes=7 * i)
            mail_id, rid = ids[uid], mails[i - batch.start]["recipient_id"]
            if i % 10 == 0:
                docs.append(_document(mail_id, _fake_sha(f"doc-{mailbox}", uid), at))
                events.append({"at": at, "campaign_id": campaign_id, "kind": "ingest_mail", "actor": "system", "message": "Nhận 1 thư", "data": {}})
            if rid is not None and i % 20 == 0:
                receipts.append(_receipt(campaign_id, rid, mail_id, at))
            if i % 50 == 0:
                reviews.append(_review(campaign_id, mail_id, at))
        for model, rows in ((Document, docs), (OutboundMail, receipts), (ReviewItem, reviews), (Event, events)):
            if rows:
                session.execute(insert(model), rows)
        for key, rows in (("inbound_mail", mails), ("document", docs), ("outbound_mail", receipts), ("review_item", reviews), ("event", events)):
            counts[key] += len(rows)
    return counts


def _mail(campaign_id: str, mailbox: str, uidvalidity: int, uid: int, raw: str, at: dt.datetime, rid: int | None) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id, "mailbox": mailbox, "uidvalidity": uidvalidity, "uid": uid,
        "message_id": f"<history-{uid}@example.vn>", "raw_sha256": raw, "internal_date": at, "date_header": at,
        "from_addr": f"nguoi{uid % 97}@example.vn", "subject": f"Thư cũ số {uid}",
        "classification": "submission" if rid else "unrelated", "status": "processed", "recipient_id": rid,
        "details": {}, "created_at": at, "processed_at": at, "server_marked_at": at,
    }


def _document(mail_id: int, sha: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "inbound_mail_id": mail_id, "part_index": 0, "sha256": sha, "filename": "BC.docx", "format": "docx",
        "kind": "report", "status": "parsed", "parse_result": {}, "created_at": at,
    }


def _receipt(campaign_id: str, rid: int, mail_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id, "recipient_id": rid, "kind": "receipt", "slot": f"mail:{mail_id}",
        "to_addrs": [], "subject": "Xác nhận", "message_id": f"<receipt-history-{mail_id}@example.vn>",
        "in_reply_to_mail_id": mail_id, "status": "sent", "attempts": 1, "created_at": at, "sent_at": at,
    }


def _review(campaign_id: str, mail_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id, "source_key": f"mail:{mail_id}", "inbound_mail_id": mail_id,
        "reason": "cần xác định đơn vị gửi", "candidates": [], "plan": {}, "status": "dismissed",
        "resolved_by": "lan", "resolved_at": at, "created_at": at,
    }
