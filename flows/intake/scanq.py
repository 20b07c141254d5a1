"""The OCR queue (issue 13): a scan never uses a poll's time.

A poll reads every file under the per-file budget, except scans — image files and PDFs whose
text layer is (almost) empty, found cheaply before any OCR (`parsers.scan.scan_pages`). A
message or dropped file holding one is stored raw as usual, its ledger row says
"đang chờ đọc bản quét" (ItemStatus.OCR_QUEUED: no failure, no receipt yet) and an `ocr_job`
row (unique per message / file) queues it. `run_queue` (`baocao ocr`, the `ocr-queue`
deployment, and the end of each ingest run, after the rest of the batch) takes the jobs one at
a time: each scan is read in a child process under its own budget (BAOCAO_OCR_BUDGET_SECONDS
plus BAOCAO_OCR_PAGE_SECONDS a page), then the message or file goes through the normal record
path (submission, review items, the receipt) with those readings.

After a crash: a job is claimed (status running, attempts + 1, started_at) in its own commit
before its OCR, and finished in the transaction that records the message or file, so a run that
dies leaves it `running`; the next run takes it again once its lease (its budget plus a margin)
has passed. Recording twice is impossible: the ledger row leaves OCR_QUEUED in the same
transaction, and the submissions' own keys hold. A job that took MAX_ATTEMPTS runs without
finishing, or a scan still unreadable after its budget, is a typed problem and a review item.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.app import App
from parsers.mail import Attachment
from parsers.model import OutlineSpec, ParseError, ParseResult
from parsers.scan import scan_pages
from parsers.vocab import ItemStatus
from storage.blobs import sha256_hex
from storage.models import OcrJob, utcnow
from storage.upsert import insert_ignore

log = logging.getLogger(__name__)
QUEUED_CODE = "ocr_queued"
OCR_BUDGET_CODE = "ocr_budget"
MAX_ATTEMPTS = 3
LEASE_MARGIN_SECONDS = 120.0


def queued_result(filename: str, data: bytes, pages: int) -> ParseResult:
    """What a poll records of a scan it does not read: queued, not failed."""
    return ParseResult(
        file=filename,
        sha256=sha256_hex(data),
        error=ParseError(QUEUED_CODE, f"đang chờ đọc bản quét ({pages} trang)"),
    )


def is_queued(result: ParseResult | None) -> bool:
    """A poll's stand-in for a scan that waits in the OCR queue."""
    return result is not None and result.error is not None and result.error.code == QUEUED_CODE


@dataclass(frozen=True)
class DeferScans:
    """A poll's ParseFn: `parse` for every file but scans, which come back queued (a plain
    picklable value, so the parse-ahead pool's workers run it too)."""

    parse: Any

    def __call__(self, data: bytes, filename: str, spec: OutlineSpec) -> ParseResult:
        pages = scan_pages(data)
        if pages:
            return queued_result(filename, data, pages)
        return self.parse(data, filename, spec)


@dataclass(frozen=True)
class WithReadings:
    """The queue's ParseFn for one job: the scans' OCR readings (by sha256), `parse` for the
    message's other files."""

    parse: Any
    readings: dict[str, ParseResult] = field(default_factory=dict)

    def __call__(self, data: bytes, filename: str, spec: OutlineSpec) -> ParseResult:
        reading = self.readings.get(sha256_hex(data))
        if reading is not None:
            result = copy.deepcopy(reading)
            result.file = filename
            return result
        return self.parse(data, filename, spec)


def defers(parse: Any) -> bool:
    """The poll's parser leaves scans to the queue."""
    inner = getattr(parse, "fallback", parse)  # the parse-ahead pool wraps it
    return isinstance(inner, DeferScans)


def reading_context(ctx: Any) -> Any:
    """`ctx` with a parser that reads scans too (a stored document read again)."""
    parse = getattr(ctx.parse, "fallback", ctx.parse)
    if isinstance(parse, DeferScans):
        return dataclasses.replace(ctx, parse=parse.parse)
    return ctx


def waiting_scans(parse: Any, attachments: list[Attachment]) -> list[dict[str, Any]]:
    """The files of a message (or a dropped file) a poll leaves to the OCR queue."""
    if not defers(parse):
        return []
    found = []
    for att in attachments:
        if att.rejected:
            continue
        pages = scan_pages(att.data)
        if pages:
            found.append({"filename": att.filename, "sha256": sha256_hex(att.data), "pages": pages})
    return found


def enqueue(
    campaign_id: str | None, scans: list[dict[str, Any]], *, session: Session,
    inbound_mail_id: int | None = None, inbound_file_id: int | None = None,
) -> OcrJob:
    """The job of one message or file (once: its unique key; a second poll finds it)."""
    column = OcrJob.inbound_mail_id if inbound_mail_id is not None else OcrJob.inbound_file_id
    owner = inbound_mail_id if inbound_mail_id is not None else inbound_file_id
    insert_ignore(session, OcrJob, {
        "campaign_id": campaign_id, "inbound_mail_id": inbound_mail_id, "inbound_file_id": inbound_file_id,
        "files": scans, "pages": sum(s["pages"] for s in scans), "status": "queued", "attempts": 0,
        "created_at": utcnow(),
    })
    return session.scalars(select(OcrJob).where(column == owner)).one()


def queued_outcome(scans: list[dict[str, Any]]) -> dict[str, Any]:
    """A poll's outcome for a message or file left to the OCR queue."""
    pages = sum(s["pages"] for s in scans)
    return {"status": ItemStatus.OCR_QUEUED, "queued_scans": [s["filename"] for s in scans], "pages": pages,
            "reason": f"đang chờ đọc bản quét ({pages} trang)"}


# --- the queue's jobs -------------------------------------------------------------------


def job_budget(app: App, pages: int) -> float:
    """Seconds one job's OCR may take: a base plus so much a page."""
    return app.settings.ocr_budget_seconds + app.settings.ocr_page_seconds * max(1, pages)


def pending_jobs(app: App) -> int:
    """Jobs waiting (queued, or running under a lease)."""
    with app.session() as session:
        return len(session.scalars(select(OcrJob.id).where(OcrJob.status.in_(("queued", "running")))).all())


def claim_next(app: App, now: dt.datetime | None = None, skip: set[int] | frozenset[int] = frozenset()) -> int | None:
    """Take the oldest job that is queued, or running under a lease that has passed (its run
    died), in its own commit; None when there is none (`skip`: jobs this run already tried)."""
    now = now or utcnow()
    with app.session() as session:
        jobs = session.scalars(
            select(OcrJob).where(or_(OcrJob.status == "queued", OcrJob.status == "running")).order_by(OcrJob.id)
        ).all()
        for job in jobs:
            if job.id in skip:
                continue
            if job.status == "running" and job.started_at is not None:
                lease = job_budget(app, job.pages) * max(1, len(job.files)) + LEASE_MARGIN_SECONDS
                if now < job.started_at + dt.timedelta(seconds=lease):
                    continue  # another run has it
            job.status, job.started_at, job.attempts = "running", now, job.attempts + 1
            return job.id
    return None
