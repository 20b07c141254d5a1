"""A ledger with months of history, written in bulk through the models (benchmarks, plan tests).

What a busy official mailbox leaves behind: every message handled, flagged on the server and
mostly unrelated to the campaign; receipts sent for the reports; review items settled long
ago; one event per run. Nothing here is pending, so a poll that is independent of history
must not notice any of it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from storage.models import (
    Blob,
    Document,
    Event,
    InboundMail,
    OcrJob,
    OutboundMail,
    RecipientRow,
    ReviewItem,
    Submission,
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
    counts = {"inbound_mail": 0, "document": 0, "outbound_mail": 0, "review_item": 0, "event": 0, "ocr_job": 0}
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
        docs, receipts, reviews, events, scans = [], [], [], [], []
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
            if i % 20 == 5:
                scans.append(_ocr_job(campaign_id, mail_id, at))
        for model, rows in ((Document, docs), (OutboundMail, receipts), (ReviewItem, reviews), (Event, events), (OcrJob, scans)):
            if rows:
                session.execute(insert(model), rows)
        for key, rows in (("inbound_mail", mails), ("document", docs), ("outbound_mail", receipts), ("review_item", reviews), ("event", events),
                           ("ocr_job", scans)):
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


def _ocr_job(campaign_id: str, mail_id: int, at: dt.datetime) -> dict[str, Any]:
    return {
        "campaign_id": campaign_id, "inbound_mail_id": mail_id, "files": [{"filename": "quet.pdf", "sha256": "0" * 64, "pages": 2}],
        "pages": 2, "status": "done", "attempts": 1, "outcome": {}, "created_at": at, "started_at": at, "finished_at": at,
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


GROUPS = ("so_nganh", "ubnd_huyen", "ubnd_xa", "truong_hoc", "doanh_nghiep")


def province_config(src: Path, dest: Path, recipients: int, campaign_file: str = "de-an-996.yaml") -> Path:
    """A copy of the config folder `src` at `dest` whose campaign `campaign_file` has only that
    campaign and `recipients` generated recipients (communes, schools, companies), one e-mail
    each; returns `dest`."""
    shutil.copytree(src, dest)
    for other in (dest / "campaigns").glob("*.yaml"):
        if other.name != campaign_file:
            other.unlink()
    path = dest / "campaigns" / campaign_file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    listing = (path.parent / data["recipients_file"]).resolve()
    lines = ["ma_don_vi,ten_don_vi,nhom,email,ten_khac"]
    lines += [f"dv{i:05d},Đơn vị cấp cơ sở số {i},{GROUPS[i % len(GROUPS)]},dv{i:05d}@quangngai.example,"
              for i in range(recipients)]
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return dest


def seed_responses(session: Session, campaign_id: str, *, per_recipient: int = 1) -> dict[str, int]:
    """`per_recipient` responses for every recipient of the campaign (reports mostly, some nil
    reports and promises, one in ten incomplete, one in twenty late), each with the mail it came
    in, and a sent reminder for one in five; the caller commits. Returns the row counts."""
    recipients = list(session.scalars(select(RecipientRow.id).where(RecipientRow.campaign_id == campaign_id)))
    due = dt.datetime(2025, 8, 15, 10, tzinfo=dt.UTC)
    counts = {"inbound_mail": 0, "submission": 0, "outbound_mail": 0}
    n = len(recipients) * per_recipient
    for batch in _batches(n):
        blobs, mails = [], []
        for i in batch:
            rid, at = recipients[i % len(recipients)], due + dt.timedelta(minutes=(i % 5000) - (200 if i % 20 else -3000))
            raw = _fake_sha(f"response-{campaign_id}", i)
            blobs.append({"sha256": raw, "size": 30_000, "path": f"history/{raw}", "created_at": at})
            mail = _mail(campaign_id, "INBOX", 7, 1_000_000 + i, raw, at, rid)
            mail["classification"] = "submission"
            mails.append(mail)
        session.execute(insert(Blob), blobs)
        ids = dict(session.execute(insert(InboundMail).returning(InboundMail.uid, InboundMail.id), mails).all())
        subs, reminders = [], []
        for i in batch:
            mail = mails[i - batch.start]
            rid, at, mail_id = mail["recipient_id"], mail["internal_date"], ids[mail["uid"]]
            kind = "nil_report" if i % 10 == 3 else "acknowledgement" if i % 10 == 7 else "report"
            subs.append({
                "campaign_id": campaign_id, "recipient_id": rid, "received_at": at, "channel": "email", "kind": kind,
                "status": "valid", "inbound_mail_id": mail_id, "content_key": mail["raw_sha256"],
                "doc_number": f"{i}/BC-UBND", "missing_sections": ["3.b"] if i % 10 == 1 else [],
                "missing_rows": [], "extra_rows": [], "problems": [], "evidence": [], "parts": [],
                "confidence": 0.9, "coverage": 1.0, "created_at": at,
            })
            if i % 5 == 0:
                reminders.append({
                    "campaign_id": campaign_id, "recipient_id": rid, "kind": "reminder", "slot": f"bench:{i}",
                    "to_addrs": [], "subject": "Nhắc hạn", "message_id": f"<reminder-bench-{i}@example.vn>",
                    "status": "sent", "attempts": 1, "created_at": at, "sent_at": at,
                })
        session.execute(insert(Submission), subs)
        if reminders:
            session.execute(insert(OutboundMail), reminders)
        counts["inbound_mail"] += len(mails)
        counts["submission"] += len(subs)
        counts["outbound_mail"] += len(reminders)
    return counts
