"""Files of one message or one dropped file: parse them (pure), store them (blobs + document
rows), and record the responses they form — a submission, or a review item when nobody can
say for sure who sent it."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from flows.intake.context import Context, hook
from parsers.mail import Attachment
from parsers.model import ParseError, ParseResult
from parsers.replacing import may_replace
from parsers.responses import Candidate, Unit, candidates_of
from parsers.vocab import ANSWER_KINDS, ItemStatus, ReviewKind
from storage.blobs import record_blob, sha256_hex
from storage.ingest import add_document, open_review
from storage.models import Document
from storage.submissions import current_answer, record_submission, submissions_of

log = logging.getLogger(__name__)


@dataclass
class ParsedFile:
    """One attached or dropped file and what was read from it (None: refused unread)."""

    attachment: Attachment
    sha256: str
    result: ParseResult | None

    @property
    def rejection(self) -> tuple[str, str] | None:
        """(code, reason) when the file cannot count as anything."""
        if self.attachment.rejected:
            return self.attachment.rejected_code or "too_large", self.attachment.rejected
        if self.result is not None and self.result.error is not None:
            return self.result.error.code, self.result.error.message
        return None


def parse_files(ctx: Context, attachments: list[Attachment]) -> list[ParsedFile]:
    """Parse every file (no database, no disk): the decisions are made from these."""
    return [
        ParsedFile(att, sha256_hex(att.data), None if att.rejected else parse_one(ctx, att))
        for att in attachments
    ]


def parse_one(ctx: Context, att: Attachment) -> ParseResult:
    """One file through the parsers; a parser bug becomes a parse error, never a lost message."""
    try:
        result = ctx.parse(att.data, att.filename, ctx.spec)
    except Exception as err:  # noqa: BLE001 — a parser bug must not lose the message
        log.exception("parser crashed on %s", att.filename)
        result = ParseResult(file=att.filename, error=ParseError("parser_crash", f"lỗi khi đọc tệp: {err}"))
    if not result.sha256:
        result.sha256 = sha256_hex(att.data)
    return result


def candidates(files: list[ParsedFile]) -> list[Candidate]:
    """Every readable file (zip members one by one) that may form a response."""
    return candidates_of([f.result for f in files])


def rejected_files(files: list[ParsedFile]) -> list[dict[str, Any]]:
    """The files (and zip members) that could not be read, with the reason, for people."""
    found: list[dict[str, Any]] = []
    for f in files:
        reason = f.rejection
        if reason is not None:
            found.append({"file": f.attachment.filename, "reason": reason[1] or reason[0]})
            continue
        assert f.result is not None
        found.extend(
            {"file": f"{f.attachment.filename} › {m.file}", "reason": m.error.message}
            for m in f.result.members
            if m.error is not None
        )
    return found


def store_raw_files(ctx: Context, attachments: list[Attachment], *, session: Session) -> None:
    """Raw first: every file's bytes are in the blob store before anything reads them."""
    for att in attachments:
        record_blob(ctx.app.blobs, att.data, session=session)
    hook("after_store")


def write_documents(ctx: Context, files: list[ParsedFile], owner: dict[str, int], *, session: Session) -> list[Document]:
    """One document row per file (with its parse), in file order."""
    docs = []
    for index, f in enumerate(files):
        values: dict[str, Any] = {**owner, "part_index": index, "sha256": f.sha256, "filename": f.attachment.filename}
        if f.result is not None:
            parsed = f.result.to_json()
            values.update(format=f.result.format, kind=f.result.kind, parse_result=parsed,
                          signatures=parsed.get("signatures", []), ocr=parsed.get("ocr"))
        reason = f.rejection
        if reason is not None:
            values.update(status="rejected", error_code=reason[0], error_message=reason[1])
        docs.append(add_document(values, session=session))
    return docs


def settle_unit(
    ctx: Context,
    unit: Unit,
    docs: list[Document],
    *,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    session: Session,
) -> dict[str, Any]:
    """Record the unit's submission, or queue it for review; returns the outcome."""
    cand = unit.candidate
    doc = docs[cand.part] if cand is not None else None
    source_key = unit.source_key or (f"document:{doc.id}" if doc is not None else "")
    parsed = unit.merged()
    doubtful = _doubtful_report(ctx, unit, parsed)
    hold = doubtful or _held_back(ctx, unit, parsed, session=session)
    if unit.attribution.recipient_id is None or hold is not None:
        plan = {
            "kind": unit.kind,
            "document_id": doc.id if doc else None,
            "member": cand.member if cand else None,
            "content_key": unit.content_key,
            "received_at": received_at.isoformat(),
            "channel": channel,
        }
        item = open_review(
            {
                "campaign_id": ctx.campaign.id,
                "source_key": source_key,
                "kind": (
                    ReviewKind.DOUBTFUL_REPORT if doubtful
                    else ReviewKind.REPLACE if hold is not None
                    else ReviewKind.ATTRIBUTION
                ),
                "document_id": doc.id if doc else None,
                "reason": hold or unit.attribution.review_reason or "cần xác định đơn vị gửi",
                "candidates": (
                    _preselected(ctx, unit)
                    if hold is not None and unit.attribution.recipient_id is not None
                    else unit.attribution.candidates
                ),
                "plan": plan,
                **owner,
            },
            session=session,
        )
        return {"status": ItemStatus.REVIEW, "kind": unit.kind, "review_item": item.id, "reason": item.reason}
    recorded = record_submission(
        session=session,
        campaign_id=ctx.campaign.id,
        recipient_id=unit.attribution.recipient_id,
        kind=unit.kind,
        received_at=received_at,
        channel=channel,
        content_key=unit.content_key,
        parsed=parsed,
        document_id=doc.id if doc else None,
        section_ids=ctx.section_ids,
        row_ids=ctx.row_ids,
        explicit_none_is_answer=ctx.campaign.completeness.explicit_none_is_answer,
        **owner,
    )
    return {
        "status": ItemStatus.PROCESSED if recorded.created else ItemStatus.DUPLICATE,
        "kind": unit.kind,
        "recipient": ctx.code_of(unit.attribution.recipient_id),
        "attributed_by": unit.attribution.attributed_by,
        "submission_id": recorded.submission.id,
    }


def _doubtful_report(ctx: Context, unit: Unit, parsed: ParseResult | None) -> str | None:
    """Why a "report" is not positive evidence of one: it answers nothing of the outline (an
    other programme's letter, comments on a draft). None: it may be recorded."""
    if unit.kind != "report" or parsed is None:
        return None
    if parsed.coverage >= ctx.campaign.completeness.report_min_coverage:
        return None
    return "văn bản không trả lời mục nào của đề cương, chưa ghi nhận là báo cáo"


def _held_back(ctx: Context, unit: Unit, parsed: ParseResult | None, *, session: Session) -> str | None:
    """Why this answer may not replace the agency's current report (None: it may, or there
    is none). The current report stays; a person decides (req. 5)."""
    rid = unit.attribution.recipient_id
    if rid is None or unit.kind not in ANSWER_KINDS:
        return None
    current = current_answer(ctx.campaign.id, rid, session=session)
    if current is None or any(s.content_key == unit.content_key for s in submissions_of(ctx.campaign.id, rid, session=session)):
        return None  # nothing to replace, or the same content again (a duplicate)
    decision = may_replace(
        unit.kind,
        parsed,
        current.kind,
        min_coverage=ctx.campaign.completeness.replace_min_coverage,
        current_coverage=current.coverage,
    )
    if decision.replaces:
        return None
    return f"chưa thay báo cáo hiện có: {decision.reason}"


def _preselected(ctx: Context, unit: Unit) -> list[dict[str, Any]]:
    """The attributed agency first (preselected), then the other candidates."""
    rid = unit.attribution.recipient_id
    cands = list(unit.attribution.candidates)
    cands.sort(key=lambda c: c.get("recipient_id") != rid)
    if not any(c.get("recipient_id") == rid for c in cands):
        cands.insert(0, {"recipient_id": rid, "code": ctx.code_of(rid), "signals": [unit.attribution.attributed_by or ""]})
    return cands
