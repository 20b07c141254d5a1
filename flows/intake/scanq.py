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
from functools import partial
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from flows.app import App
from flows.faults import hook
from flows.intake.budget import BUDGET_CODE, run_in_child
from parsers.api import parse_bytes
from parsers.mail import Attachment
from parsers.model import OutlineSpec, ParseError, ParseResult
from parsers.numbers import vn_number
from parsers.safety import Limits
from parsers.scan import DEFAULT_OCR_LIMITS, TesseractOcr, scan_pages
from parsers.vocab import ItemStatus, ReviewKind
from storage.blobs import sha256_hex
from storage.ingest import open_review
from storage.models import InboundFile, InboundMail, OcrJob, utcnow
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


# --- the queue's run ----------------------------------------------------------------------


@dataclass
class OcrReport:
    """What one queue run did (the `--json` of `baocao ocr`)."""

    done: int = 0
    failed: int = 0
    retry: int = 0  # raised: queued again for the next run
    items: list[dict[str, Any]] = field(default_factory=list)
    receipts: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        counts = {"done": self.done, "failed": self.failed, "total": len(self.items)}
        if self.retry:
            counts["retry"] = self.retry
        return {"counts": counts,
                "items": self.items, "receipts": self.receipts}


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


def read_scan(app: App, data: bytes, filename: str, spec: OutlineSpec, pages: int) -> ParseResult:
    """One scan read under its own budget, in a child process killed when it is used up."""
    from flows.intake.context import trust_roots  # lazy: context imports the intake

    seconds = job_budget(app, pages)
    # Its own OCR time bound too (parsers.scan.OcrLimits: 600 s by default) is raised to the budget.
    ocr = TesseractOcr(limits=dataclasses.replace(DEFAULT_OCR_LIMITS, timeout=max(1.0, seconds * 0.95)))
    parse = partial(parse_bytes, trust=trust_roots(app.settings.trust_dir), ocr=ocr,
                    limits=Limits(max_file_bytes=app.settings.max_file_bytes))
    result = run_in_child(parse, seconds, data, filename, spec, memory_mb=app.settings.parse_memory_mb)
    if result.error is not None and result.error.code == BUDGET_CODE:
        result.error = ParseError(
            OCR_BUDGET_CODE,
            f"đọc bản quét ({pages} trang) quá {vn_number(seconds)} giây nên đã dừng (BAOCAO_OCR_BUDGET_SECONDS,"
            " BAOCAO_OCR_PAGE_SECONDS); cán bộ cần mở tệp kiểm tra",
        )
    return result


def run_queue(app: App, *, max_jobs: int | None = None, now: dt.datetime | None = None) -> OcrReport:
    """Read the queued scans one job at a time and record their messages and files."""
    from flows.outbound.receipts import (
        deliver_pending_receipts,  # lazy: a quiet queue sends nothing
    )

    report = OcrReport()
    touched: set[str] = set()
    tried: set[int] = set()
    while max_jobs is None or len(report.items) < max_jobs:
        job_id = claim_next(app, now, tried)
        if job_id is None:
            break
        tried.add(job_id)
        try:
            item = _one_job(app, job_id)
        except Exception as err:  # noqa: BLE001 — one job's error (the database, a bug) must not stop the queue
            log.exception("OCR job %s failed", job_id)
            item = _release(app, job_id, err)
        report.items.append(item)
        if item["status"] == "done":
            report.done += 1
        elif item["status"] == "retry":
            report.retry += 1
        else:
            report.failed += 1
        touched.update(item.get("campaigns", []))
    if touched:
        try:
            sent = {cid: deliver_pending_receipts(app, app.campaign(cid)) for cid in sorted(touched)}
            report.receipts = next(iter(sent.values())) if len(sent) == 1 else sent
        except Exception as err:  # noqa: BLE001 — receipts are a courtesy; the next run sends them
            log.exception("receipts after OCR failed")
            report.receipts = {"error": str(err)}
    return report


def _one_job(app: App, job_id: int) -> dict[str, Any]:
    from flows.intake.context import make_context  # lazy: context imports the intake

    with app.session() as session:
        job = session.get(OcrJob, job_id)
        assert job is not None
        files, attempts, campaign_id = list(job.files), job.attempts, job.campaign_id
        mail_id, file_id = job.inbound_mail_id, job.inbound_file_id
    item: dict[str, Any] = {"job": job_id, "inbound_mail_id": mail_id, "inbound_file_id": file_id,
                            "pages": sum(f["pages"] for f in files), "attempts": attempts}
    if attempts > MAX_ATTEMPTS:
        why = f"đọc bản quét không xong sau {MAX_ATTEMPTS} lần chạy (tiến trình đọc dừng bất thường); cán bộ cần mở tệp kiểm tra"
        return {**item, **_give_up(app, job_id, "ocr_crashed", why)}
    open_ids = [c.id for c in app.campaigns if c.active]
    ctx = make_context(app, campaign_id if campaign_id in open_ids else None)
    readings = {}
    for f in files:
        data = app.blobs.read(f["sha256"])
        readings[f["sha256"]] = read_scan(app, data, f["filename"], ctx.spec, f["pages"])
    hook("after_ocr")  # a test's crash point: read, nothing recorded yet
    errors = {f["filename"]: readings[f["sha256"]].error for f in files if readings[f["sha256"]].error is not None}
    with app.session() as session:
        job = session.get(OcrJob, job_id, with_for_update=True)  # one run records it (PostgreSQL: the row lock)
        assert job is not None
        if job.status != "running" or not _still_queued(job, session=session):  # another run recorded it
            return {**item, "status": job.status, "seen": True}
        outcome = _record(app, ctx.parse, job, readings, open_ids, session=session)
        problem = next(iter(errors.values()), None)
        if problem is not None and not outcome.get("review_item"):
            outcome["review_item"] = _problem_item(job, problem, session=session).id
        job.status = "failed" if problem is not None else "done"
        job.error = f"{problem.code}: {problem.message}" if problem is not None else None
        job.outcome = {k: v for k, v in outcome.items() if k != "units"}
        job.finished_at = utcnow()
        campaigns = [c for c in {job.campaign_id, outcome.get("campaign")} if c]
    return {**item, "status": job.status, "outcome": outcome.get("status"), "error": job.error,
            "review_item": outcome.get("review_item"), "campaigns": campaigns or [ctx.campaign.id]}


def _still_queued(job: OcrJob, *, session: Session) -> bool:
    """The job's message or file still waits (nothing recorded it since it was queued)."""
    row = session.get(InboundMail, job.inbound_mail_id) if job.inbound_mail_id else session.get(InboundFile, job.inbound_file_id)
    return row is not None and row.status == ItemStatus.OCR_QUEUED


def _record(
    app: App, parse: Any, job: OcrJob, readings: dict[str, ParseResult], open_ids: list[str], *, session: Session
) -> dict[str, Any]:
    """The message or file through the normal record path (as its poll would have, every open
    campaign in view), its scans read."""
    from flows.intake.folder import (
        record_queued_file,  # lazy: the pollers import this module (a cycle)
    )
    from flows.intake.inbox import inbox_context  # lazy: as above
    from flows.intake.mail import record_queued_mail  # lazy: as above

    base = parse.parse if isinstance(parse, DeferScans) else parse
    every = inbox_context(app, job.campaign_id if job.campaign_id in open_ids else None, WithReadings(base, readings))
    if job.inbound_file_id is not None:
        row = session.get(InboundFile, job.inbound_file_id)
        assert row is not None
        return record_queued_file(every, row, session=session)
    mail_row = session.get(InboundMail, job.inbound_mail_id)
    assert mail_row is not None
    return record_queued_mail(every, mail_row, session=session)


def _problem_item(job: OcrJob, problem: ParseError, *, session: Session) -> Any:
    """A scan that stays unreadable after its budget: a person looks (never dropped)."""
    return open_review(
        {
            "campaign_id": job.campaign_id,
            "source_key": f"ocr:{job.id}",
            "kind": ReviewKind.UNREADABLE,
            "inbound_mail_id": job.inbound_mail_id,
            "inbound_file_id": job.inbound_file_id,
            "reason": f"bản quét không đọc được ({', '.join(f['filename'] for f in job.files)}): {problem.message}",
            "candidates": [],
            "plan": {"kind": "ocr", "job": job.id, "code": problem.code},
        },
        session=session,
    )


def _release(app: App, job_id: int, err: Exception) -> dict[str, Any]:
    """A job whose run raised: queued again for the next run (its attempt counted)."""
    from flows.intake.errors import (
        describe_error,  # lazy: imports SQLAlchemy's error types, only on a failure
    )

    with app.session() as session:
        job = session.get(OcrJob, job_id)
        assert job is not None
        job.status, job.error, job.started_at = "queued", describe_error(err), None
        return {"job": job_id, "status": "retry", "error": job.error, "attempts": job.attempts,
                "pages": job.pages, "inbound_mail_id": job.inbound_mail_id, "inbound_file_id": job.inbound_file_id}


def _give_up(app: App, job_id: int, code: str, why: str) -> dict[str, Any]:
    with app.session() as session:
        job = session.get(OcrJob, job_id)
        assert job is not None
        item = _problem_item(job, ParseError(code, why), session=session)
        job.status, job.error, job.finished_at = "failed", f"{code}: {why}", utcnow()
        for row in (session.get(InboundMail, job.inbound_mail_id) if job.inbound_mail_id else None,
                    session.get(InboundFile, job.inbound_file_id) if job.inbound_file_id else None):
            if row is not None and row.status == ItemStatus.OCR_QUEUED:
                row.status, row.error = ItemStatus.REVIEW, why
        return {"status": "failed", "error": job.error, "review_item": item.id}
