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
from flows.intake.scanq import reading_context
from parsers import lo_server
from parsers.interpret import coverage
from parsers.mail import Attachment
from parsers.mail_classify import Attribution
from parsers.model import ParseError, ParseResult
from parsers.replacing import (
    cites_other_request,
    may_replace,
    message_says_replaces,
    names_programme,
)
from parsers.responses import Candidate, Unit, candidates_of, names_number, names_report, number_key
from parsers.vocab import ANSWER_KINDS, ItemStatus, ReviewKind
from storage.blobs import record_blob, sha256_hex
from storage.ingest import add_document, close_review, open_review, waiting_appendices
from storage.models import Document, ReviewItem, Submission
from storage.submissions import current_answer, holds_content, record_submission, submissions_of

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
    # A legacy file starts the run's lazy warm LibreOffice, if any (for the files after it).
    lo_server.want_for([(att.filename, att.content_type)])
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
    rid = unit.attribution.recipient_id
    # The agency's current answer, read once for both rules below (nothing is written between).
    current: Submission | None = None
    if rid is not None and unit.kind in ANSWER_KINDS and unit.appendix_of is None:
        current = current_answer(ctx.campaign.id, rid, session=session)
    if rid is not None and unit.kind == "report":
        if unit.appendix_of is not None:  # an appendix without its report in the message (req. 7)
            return _settle_appendix(ctx, unit, docs, received_at, channel, owner, session=session)
        if current is not None and unit.content_key in _keys(current):  # a part of it sent again
            return _duplicate_of(ctx, unit, current)
    parsed = _with_message(unit.merged(), unit.message_text)
    # Only its letterhead says whose it is, and it would replace (or correct) a report: a person.
    unconfirmed = _unconfirmed_replacement(ctx, unit, current, session=session)
    if unconfirmed is None and _figures_only(ctx, unit, parsed, current, session=session):
        assert current is not None and parsed is not None
        if _names_current(parsed, current, unit.message_text):  # a correction of its figures
            joined = _join_correction(ctx, unit, docs, current, received_at, channel, owner, session=session)
            if joined is not None:
                return joined
        hold = _figures_only_reason(current)
    else:
        hold = None
    doubtful = None if hold or unconfirmed else _doubtful_report(ctx, unit, parsed, first=current is None)
    hold = unconfirmed or doubtful or hold or _held_back(ctx, unit, parsed, current, session=session)
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
                    else ReviewKind.ATTRIBUTION if unconfirmed
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
    parts = [_part(docs, cand), *(_part(docs, c) for c in unit.companions)] if cand is not None else []
    # Its appendices sent earlier, waiting for it (same agency, number and date) join it now.
    waiting = _waiting_for(ctx, unit.attribution.recipient_id, parsed, session=session)
    if waiting and parsed is not None:
        extra = [(item, reread(ctx, item.plan["document_id"], item.plan.get("member"), session=session)) for item in waiting]
        unit.companions = [*unit.companions, *(Candidate(r, -1) for _, r in extra if r is not None)]
        parts += [_stored_part(item.plan) for item, r in extra if r is not None]
        parsed = unit.merged()
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
        parts=parts,
        **owner,
    )
    for item in waiting:
        close_review(item, unit.attribution.recipient_id, f"đã ghép vào báo cáo (bản ghi {recorded.submission.id})", session=session)
    return {
        "status": ItemStatus.PROCESSED if recorded.created else ItemStatus.DUPLICATE,
        "kind": unit.kind,
        "recipient": ctx.code_of(unit.attribution.recipient_id),
        "attributed_by": unit.attribution.attributed_by,
        "submission_id": recorded.submission.id,
    }


def open_unreadable(
    ctx: Context,
    attribution: Attribution,
    rejected: list[dict[str, Any]],
    *,
    source_key: str,
    content_key: str,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    session: Session,
) -> ReviewItem:
    """A reply (or a dropped file) meant as the report whose files could not be read (req. 8):
    a person looks, nothing is recorded as fact; the agency stays "Chưa nộp – tệp lỗi"."""
    names = "; ".join(f"{r['file']}: {r['reason']}" for r in rejected)
    return _open_report_review(
        ctx, ReviewKind.UNREADABLE, attribution, None, member=None, reason=f"tệp không đọc được ({names})",
        source_key=source_key, content_key=content_key, received_at=received_at, channel=channel, owner=owner,
        session=session,
    )


def open_files_to_check(
    ctx: Context,
    attribution: Attribution,
    document: Document | None,
    *,
    member: int | None,
    reason: str,
    source_key: str,
    content_key: str,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    session: Session,
    body_of_mail: int | None = None,
) -> ReviewItem:
    """Files meant as the agency's answer that are no outline report (a mail's attachments, a
    file in its subfolder), or a report written in a mail's body (`body_of_mail`): a person
    opens them; assigning the item records `document` (re-read), or the body's text, as the
    agency's report, dismissing it leaves the agency as it was. Nothing is counted meanwhile;
    the agency is "Đã gửi tệp – chờ kiểm tra"."""
    return _open_report_review(
        ctx, ReviewKind.DOUBTFUL_REPORT, attribution, document, member=member, reason=reason, source_key=source_key,
        content_key=content_key, received_at=received_at, channel=channel, owner=owner, session=session,
        # No file: assigning reads the report from the message's own text.
        extra={"body_of_mail": body_of_mail} if body_of_mail is not None else {},
    )


def _open_report_review(
    ctx: Context,
    kind: str,
    attribution: Attribution,
    document: Document | None,
    *,
    member: int | None,
    reason: str,
    source_key: str,
    content_key: str,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    session: Session,
    extra: dict[str, Any] | None = None,
) -> ReviewItem:
    """A review item whose settling records `document` (or nothing yet: None) as the agency's
    report, received then, through that channel."""
    return open_review(
        {
            "campaign_id": ctx.campaign.id,
            "source_key": source_key,
            "kind": kind,
            "document_id": document.id if document else None,
            "reason": reason,
            "candidates": attribution.candidates,
            "plan": {
                "kind": "report",
                "document_id": document.id if document else None,
                "member": member,
                "content_key": content_key,
                "received_at": received_at.isoformat(),
                "channel": channel,
                **(extra or {}),
            },
            **owner,
        },
        session=session,
    )


def _part(docs: list[Document], cand: Candidate) -> dict[str, Any]:
    """A file a submission is built from: its stored document, zip member and content key."""
    return {"document_id": docs[cand.part].id, "member": cand.member, "key": cand.content_key}


def _stored_part(plan: dict[str, Any]) -> dict[str, Any]:
    return {"document_id": plan["document_id"], "member": plan.get("member"), "key": plan["content_key"]}


def _keys(sub: Submission) -> set[str]:
    """The content keys of every file a submission was built from."""
    return {sub.content_key, *(p.get("key") for p in sub.parts or [] if p.get("key"))}


def _duplicate_of(ctx: Context, unit: Unit, sub: Submission) -> dict[str, Any]:
    return {
        "status": ItemStatus.DUPLICATE,
        "kind": unit.kind,
        "recipient": ctx.code_of(sub.recipient_id),
        "attributed_by": unit.attribution.attributed_by,
        "submission_id": sub.id,
    }


def reread(ctx: Context, document_id: int | None, member: int | None, *, session: Session, key: str = "") -> ParseResult | None:
    """A stored document parsed again from its blob (the blob is the source of truth); the
    zip member given, or the one whose content is `key`."""
    doc = session.get(Document, document_id) if document_id else None
    if doc is None:
        return None
    # A stored document is read whatever it is (a scan recorded earlier is OCR'd again here).
    result = parse_one(reading_context(ctx), Attachment(filename=doc.filename, content_type="application/octet-stream",
                                                        data=ctx.app.blobs.read(doc.sha256), size=0))
    if result.members:
        if member is not None and member < len(result.members):
            return result.members[member]
        return next((m for m in result.members if m.sha256 == key), result)
    return result


def _waiting_for(ctx: Context, rid: int | None, parsed: ParseResult | None, *, session: Session) -> list[ReviewItem]:
    """The agency's appendices that wait for this report (they name its number and date)."""
    if rid is None or parsed is None or parsed.kind != "report" or not parsed.doc_number:
        return []
    found = []
    for item in waiting_appendices(ctx.campaign.id, rid, session=session):
        probe = ParseResult(file="", part_of=item.plan.get("part_of"), part_of_date=item.plan.get("part_of_date"))
        if names_report(probe, parsed.doc_number, parsed.doc_date):
            found.append(item)
    return found


def _settle_appendix(
    ctx: Context, unit: Unit, docs: list[Document], received_at: dt.datetime, channel: str, owner: dict[str, int], *, session: Session
) -> dict[str, Any]:
    """An appendix whose report is not in its message (req. 7): it joins the agency's current
    report when that is the one it names (same number and date) — a new version of the report
    with the appendix's figures filling its gaps — and never replaces it; otherwise it waits
    (a review item that closes itself when the report arrives, or that a person settles)."""
    assert unit.candidate is not None and unit.appendix_of is not None and unit.attribution.recipient_id is not None
    rid, cand = unit.attribution.recipient_id, unit.candidate
    number, date = unit.appendix_of
    current = current_answer(ctx.campaign.id, rid, session=session)
    if current is not None and unit.content_key in _keys(current):
        return _duplicate_of(ctx, unit, current)
    named = current is not None and current.kind == "report" and names_report(
        cand.result, current.doc_number, current.doc_date.isoformat() if current.doc_date else None
    )
    stored = list(current.parts or []) if current is not None else []
    base = [(p, reread(ctx, p["document_id"], p.get("member"), session=session)) for p in stored]
    if current is not None and not stored:
        base = [({"document_id": current.document_id, "member": None, "key": current.content_key},
                 reread(ctx, current.document_id, None, session=session, key=current.content_key))]
    if named and base and all(r is not None for _, r in base):
        assert current is not None
        main, *rest = [Candidate(r, -1) for _, r in base if r is not None]
        joined = Unit("report", "", unit.attribution, main, companions=[*rest, cand])
        parts = [p for p, _ in base] + [_part(docs, cand)]
        key = sha256_hex("+".join(sorted({p["key"] for p in parts})).encode())
        parsed = joined.merged()
        assert parsed is not None
        # The report's first file may be a correction of its figures (no number of its own).
        parsed.doc_number = parsed.doc_number or current.doc_number
        parsed.doc_date = parsed.doc_date or (current.doc_date.isoformat() if current.doc_date else None)
        return _record_version(ctx, unit, current, parsed, parts, key, current.document_id, received_at, channel,
                               owner, "joined", session=session)
    when = f" ngày {dt.date.fromisoformat(date[:10]).strftime('%d/%m/%Y')}" if date else ""
    why = _why_waiting(ctx, cand, current, named=named, session=session)
    doc = docs[cand.part]
    item = open_review(
        {
            "campaign_id": ctx.campaign.id,
            "source_key": unit.source_key or f"document:{doc.id}",
            "kind": ReviewKind.APPENDIX,
            "document_id": doc.id,
            "reason": f"phụ lục kèm theo Báo cáo số {number}{when}: {why}",
            "candidates": _preselected(ctx, unit),
            "plan": {
                "kind": "report",
                "document_id": doc.id,
                "member": cand.member,
                "content_key": unit.content_key,
                "received_at": received_at.isoformat(),
                "channel": channel,
                "recipient_id": rid,
                "part_of": number,
                "part_of_date": date,
            },
            **owner,
        },
        session=session,
    )
    return {"status": ItemStatus.REVIEW, "kind": unit.kind, "review_item": item.id, "reason": item.reason, "appendix": True}


def _why_waiting(ctx: Context, cand: Candidate, current: Submission | None, *, named: bool, session: Session) -> str:
    """Why an appendix cannot join the agency's current report (for the review item)."""
    if named:  # the report it names, but its files cannot be read again (a paper copy)
        return "không đọc lại được tệp của báo cáo hiện có để ghép; cần cán bộ xem xét"
    if current is not None and current.draft and not current.doc_number:
        return "báo cáo hiện có là bản dự thảo chưa có số; cần cán bộ xem xét"
    if current is not None and current.doc_date and names_report(cand.result, current.doc_number, None):
        return f"ngày của báo cáo hiện có ({current.doc_date:%d/%m/%Y}) khác ngày phụ lục ghi; cần cán bộ xem xét"
    sent = [s.doc_number for s in submissions_of(ctx.campaign.id, current.recipient_id, session=session)] if current else []
    if any(names_report(cand.result, n, None) for n in sent if n):
        return "báo cáo đó đã được thay bằng bản sau; cần cán bộ xem xét"
    has = f" (báo cáo hiện có: số {current.doc_number})" if current is not None and current.doc_number else ""
    return f"đơn vị chưa gửi báo cáo này{has}; phụ lục được giữ lại và sẽ ghép khi báo cáo đến"


def _doubtful_report(ctx: Context, unit: Unit, parsed: ParseResult | None, *, first: bool = False) -> str | None:
    """Why a "report" is not positive evidence of one: it answers nothing of the outline (an
    other programme's letter, comments on a draft). None: it may be recorded. `first`: the
    agency has no answer yet (a later thin document is the replace rule's to judge)."""
    if unit.kind != "report" or parsed is None:
        return None
    if parsed.coverage < ctx.campaign.completeness.report_min_coverage:
        return "văn bản không trả lời mục nào của đề cương, chưa ghi nhận là báo cáo"
    if parsed.coverage >= ctx.campaign.completeness.replace_min_coverage or parsed.says_replaces:
        return None
    # Thin and about something else: the request it answers is another, or it never names
    # the programme (an inspection report that shares a few of the outline's words).
    share = round(parsed.coverage * 100)
    if first and not parsed.answered_sections and parsed.extra_text.strip():
        # Its own prose answers none of the outline's sections, only a stray figure matched
        # (an other subject's report under the programme's opening line): a person decides.
        rows = sum(1 for i in parsed.indicators.values() if i.answered)
        return (
            f"văn bản không trả lời mục nào của đề cương, chỉ {rows} dòng số liệu khớp ({share}% đề cương);"
            " nội dung có thể thuộc báo cáo khác, chưa ghi nhận là báo cáo"
        )
    other = cites_other_request([unit.message_text, parsed.extra_text or ""], ctx.campaign.request.number)
    if other:
        return f"văn bản trả lời công văn số {other}, không phải công văn yêu cầu báo cáo này, và chỉ khớp {share}% đề cương"
    if not _names_programme(ctx, unit, parsed):
        return f"văn bản không nhắc tới chương trình yêu cầu báo cáo và chỉ khớp {share}% đề cương; chưa ghi nhận là báo cáo"
    return None


def _names_programme(ctx: Context, unit: Unit, parsed: ParseResult) -> bool:
    """The document or its message names the programme by a distinctive word ("996")."""
    return names_programme(parsed.words, [unit.message_text], ctx.hints.topic_words)


def _with_message(parsed: ParseResult | None, text: str) -> ParseResult | None:
    """The message's own words may say its report replaces an earlier one ("gửi lại báo cáo
    thay thế báo cáo đã gửi"): the document then counts as saying so."""
    if parsed is None or parsed.says_replaces or not text:
        return parsed
    says, number = message_says_replaces(text)
    if says:
        parsed.says_replaces, parsed.replaces_number = True, number
        parsed.evidence = [*parsed.evidence, "thư gửi kèm ghi là báo cáo thay thế"]
    return parsed


def _figures_only(ctx: Context, unit: Unit, parsed: ParseResult | None, current: Submission | None, *, session: Session) -> bool:
    """A table of figures with no section of the outline, from an agency whose current report
    has its sections: never a silent replacement of them (the sections would all be lost)."""
    if unit.kind != "report" or parsed is None or current is None or current.kind != "report":
        return False
    if parsed.answered_sections or not any(r.answered for r in parsed.indicators.values()):
        return False
    if len(current.missing_sections or []) >= len(parsed.sections or {}) or parsed.says_replaces:
        return False
    return not holds_content(ctx.campaign.id, current.recipient_id, unit.content_key, session=session)


def _figures_only_reason(current: Submission) -> str:
    number = f" số {current.doc_number}" if current.doc_number else ""
    return (
        "chưa thay báo cáo hiện có: văn bản mới chỉ có bảng số liệu, không có mục nào của đề cương,"
        f" và không ghi là điều chỉnh báo cáo{number}; các mục của báo cáo hiện có giữ nguyên"
    )


def _names_current(parsed: ParseResult, current: Submission, text: str) -> bool:
    """The figures carry the current report's own number, or the message names it ("điều
    chỉnh số liệu … trong Báo cáo số 88/BC-SXD")."""
    key = number_key(current.doc_number)
    if not key:
        return False
    if number_key(parsed.doc_number) == key:
        return True
    return names_number(text, current.doc_number)


def _join_correction(
    ctx: Context,
    unit: Unit,
    docs: list[Document],
    current: Submission,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    *,
    session: Session,
) -> dict[str, Any] | None:
    """Figures that correct the current report (its number): a new version with the report's
    sections (its files read again) and the new figures, the report's own figures filling only
    what the correction leaves out. None when the report's files cannot be read again."""
    assert unit.candidate is not None and unit.attribution.recipient_id is not None
    cand = unit.candidate
    stored = list(current.parts or []) or [{"document_id": current.document_id, "member": None, "key": current.content_key}]
    base = [(p, reread(ctx, p["document_id"], p.get("member"), session=session, key=p.get("key") or "")) for p in stored]
    if not base or any(r is None for _, r in base):
        return None
    joined = Unit("report", "", unit.attribution, cand, companions=[Candidate(r, -1) for _, r in base if r is not None])
    parsed = joined.merged()
    assert parsed is not None
    first = base[0][1]
    assert first is not None
    parsed.doc_number = parsed.doc_number or first.doc_number
    parsed.doc_date = parsed.doc_date or first.doc_date
    parsed.coverage = coverage(parsed)
    parsed.evidence = [*parsed.evidence, f"điều chỉnh số liệu của báo cáo số {current.doc_number} (giữ các mục của báo cáo đó)"]
    parts = [_part(docs, cand), *(p for p, _ in base)]
    key = sha256_hex("+".join(sorted({p["key"] for p in parts})).encode())
    return _record_version(ctx, unit, current, parsed, parts, key, docs[cand.part].id, received_at, channel,
                           owner, "corrects", session=session)


def _record_version(
    ctx: Context, unit: Unit, current: Submission, parsed: ParseResult, parts: list[dict[str, Any]], key: str,
    document_id: int | None, received_at: dt.datetime, channel: str, owner: dict[str, int], how: str, *,
    session: Session,
) -> dict[str, Any]:
    """A new version of the agency's current report built from several files (an appendix
    joining it, a correction of its figures): recorded after it (never before it, whatever the
    files' own times), the outcome naming the version it builds on (`how`: joined | corrects)."""
    rid = current.recipient_id
    recorded = record_submission(
        session=session,
        campaign_id=ctx.campaign.id,
        recipient_id=rid,
        kind="report",
        received_at=max(received_at, current.received_at),
        channel=channel,
        content_key=key,
        parsed=parsed,
        document_id=document_id,
        section_ids=ctx.section_ids,
        row_ids=ctx.row_ids,
        explicit_none_is_answer=ctx.campaign.completeness.explicit_none_is_answer,
        parts=parts,
        **owner,
    )
    return {
        "status": ItemStatus.PROCESSED if recorded.created else ItemStatus.DUPLICATE,
        "kind": "report",
        "recipient": ctx.code_of(rid),
        "attributed_by": unit.attribution.attributed_by,
        "submission_id": recorded.submission.id,
        how: current.id,
    }


def _held_back(
    ctx: Context, unit: Unit, parsed: ParseResult | None, current: Submission | None, *, session: Session
) -> str | None:
    """Why this answer may not replace the agency's current report `current` (None: it may,
    or there is none). The current report stays; a person decides (req. 5)."""
    rid = unit.attribution.recipient_id
    if rid is None or unit.kind not in ANSWER_KINDS:
        return None
    if current is None or holds_content(ctx.campaign.id, rid, unit.content_key, session=session):
        return None  # nothing to replace, or the same content again (a duplicate)
    decision = may_replace(
        unit.kind,
        parsed,
        current.kind,
        min_coverage=ctx.campaign.completeness.replace_min_coverage,
        current_coverage=current.coverage,
        names_programme=parsed is None or _names_programme(ctx, unit, parsed),
    )
    if decision.replaces:
        return None
    return f"chưa thay báo cáo hiện có: {decision.reason}"


def _unconfirmed_replacement(ctx: Context, unit: Unit, current: Submission | None, *, session: Session) -> str | None:
    """Why an answer only its document attributes (an unregistered sender, the drop folder's
    root) may not replace the agency's current report by itself: who sent it is a person's
    call (an attribution review). None: nothing to replace, or the sender confirms it."""
    if current is None or unit.kind not in ANSWER_KINDS or unit.attribution.attributed_by != "document":
        return None
    if holds_content(ctx.campaign.id, current.recipient_id, unit.content_key, session=session):
        return None  # the same content again: a duplicate, nothing replaced
    return (
        "chỉ văn bản ghi tên đơn vị (người gửi không phải địa chỉ đã đăng ký của đơn vị) và văn bản"
        " sẽ thay báo cáo hiện có; cần cán bộ xác nhận đơn vị gửi"
    )


def _preselected(ctx: Context, unit: Unit) -> list[dict[str, Any]]:
    """The attributed agency first (preselected), then the other candidates."""
    rid = unit.attribution.recipient_id
    cands = list(unit.attribution.candidates)
    cands.sort(key=lambda c: c.get("recipient_id") != rid)
    if not any(c.get("recipient_id") == rid for c in cands):
        cands.insert(0, {"recipient_id": rid, "code": ctx.code_of(rid), "signals": [unit.attribution.attributed_by or ""]})
    return cands
