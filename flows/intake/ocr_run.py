"""The OCR queue's run (`baocao ocr`, the `ocr-queue` deployment, the end of each ingest run):
the queued scans read one job at a time and their messages and files recorded through the
normal record path. The queue itself (what waits, how a job is claimed) is
`flows/intake/scanq.py`, which the pollers use; this module builds on the pollers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from flows.app import App
from flows.faults import hook
from flows.intake.budget import BUDGET_CODE, run_in_child
from flows.intake.context import make_context, trust_roots
from flows.intake.folder import record_queued_file
from flows.intake.inbox import inbox_context
from flows.intake.mail import record_queued_mail
from flows.intake.scanq import (
    MAX_ATTEMPTS,
    OCR_BUDGET_CODE,
    DeferScans,
    WithReadings,
    claim_next,
    job_budget,
)
from parsers.api import parse_bytes
from parsers.model import OutlineSpec, ParseError, ParseResult
from parsers.safety import Limits
from parsers.scan import DEFAULT_OCR_LIMITS, TesseractOcr
from parsers.vocab import ItemStatus, ReviewKind
from storage.ingest import open_review
from storage.models import InboundFile, InboundMail, OcrJob, utcnow

log = logging.getLogger(__name__)



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


def read_scan(app: App, data: bytes, filename: str, spec: OutlineSpec, pages: int) -> ParseResult:
    """One scan read under its own budget, in a child process killed when it is used up."""
    seconds = job_budget(app, pages)
    # Its own OCR time bound too (parsers.scan.OcrLimits: 600 s by default) is raised to the budget.
    ocr = TesseractOcr(limits=dataclasses.replace(DEFAULT_OCR_LIMITS, timeout=max(1.0, seconds * 0.95)))
    parse = partial(parse_bytes, trust=trust_roots(app.settings.trust_dir), ocr=ocr,
                    limits=Limits(max_file_bytes=app.settings.max_file_bytes))
    result = run_in_child(parse, seconds, data, filename, spec, memory_mb=app.settings.parse_memory_mb)
    if result.error is not None and result.error.code == BUDGET_CODE:
        result.error = ParseError(
            OCR_BUDGET_CODE,
            f"đọc bản quét ({pages} trang) quá {seconds:g} giây nên đã dừng (BAOCAO_OCR_BUDGET_SECONDS,"
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
