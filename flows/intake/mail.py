"""Ingestion handlers: the official mailbox and the shared folder, one item per unit of work.

Per message: store the raw .eml blob, then the attachment blobs, then parse, classify,
attribute and record — all in ONE transaction, which also advances the folder's last UID —
commit, then acknowledge on the server (flag or move). A run that dies between the commit and
the acknowledgement acknowledges at the next run (the ledger remembers); a run that dies
before the commit leaves nothing but content-addressed blobs, and the next run redoes the
message. A failure of one item is recorded (status failed + error) and the batch goes on; a
run fails only when the mailbox or the database is unreachable.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign
from flows.app import App, outline_spec
from parsers.mail import Attachment, MailMessage, parse_mail
from parsers.mail_classify import (
    STATE_KINDS,
    AgencyRef,
    Attribution,
    Classification,
    MailHints,
    attribute,
    classify,
    meant_as_report,
    text_for_naming,
)
from parsers.model import OutlineSpec, ParseResult
from storage.blobs import sha256_hex, store_blob
from storage.ingest import (
    add_document,
    advance_mailbox,
    agency_refs,
    earlier_copy,
    insert_mail,
    mailbox_state,
    mark_acknowledged,
    mark_bouncing,
    open_review,
    unacknowledged,
)
from storage.models import Document, Event, InboundMail, utcnow
from storage.submissions import record_submission

log = logging.getLogger(__name__)
ParseFn = Callable[[bytes, str, OutlineSpec], ParseResult]
KIND_OF_CLASS = {"submission": "report", "nil_report": "nil_report", "acknowledgement": "acknowledgement"}
_KIND_RANK = {"report": 0, "nil_report": 1, "not_a_report": 2}
_FORMAT_RANK = {"docx": 0, "xlsx": 0, "doc": 1, "xls": 1, "odt": 1, "ods": 1, "pdf": 2}
# The first poll of a mailbox ignores mail that arrived well before the request was sent
# (years of other business, earlier rounds of the same report).
FIRST_POLL_MARGIN = dt.timedelta(days=30)
# Test hooks: named points where a test may simulate a crash (raise a BaseException).
HOOKS: dict[str, Callable[[], None]] = {}


def _hook(name: str) -> None:
    if name in HOOKS:
        HOOKS[name]()


@dataclass
class IngestReport:
    """What one ingest run did (the `--json` contract of `baocao ingest mail|folder`)."""

    source: str
    campaign: str
    new: int = 0
    duplicate: int = 0
    failed: int = 0
    review: int = 0
    ignored: int = 0
    items: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    receipts: dict[str, Any] | None = None

    def add(self, outcome: dict[str, Any]) -> None:
        """Count one item's outcome."""
        self.items.append(outcome)
        status = outcome.get("status")
        if status == "duplicate" or outcome.get("seen"):  # seen: handled by an earlier run
            self.duplicate += 1
        elif status == "failed":
            self.failed += 1
        elif status == "review":
            self.review += 1
        elif status in ("processed", "received"):
            if outcome.get("classification") in STATE_KINDS:
                self.new += 1
            else:
                self.ignored += 1

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "campaign": self.campaign,
            "counts": {
                "new": self.new,
                "duplicate": self.duplicate,
                "failed": self.failed,
                "review": self.review,
                "ignored": self.ignored,
                "total": len(self.items),
            },
            "items": self.items,
            "errors": self.errors,
            "receipts": self.receipts,
        }


@dataclass
class Context:
    """What every item of a run needs."""

    app: App
    campaign: Campaign
    spec: OutlineSpec
    agencies: list[AgencyRef]
    hints: MailHints
    parse: ParseFn

    @property
    def section_ids(self) -> list[str]:
        return [s.id for s in self.spec.sections]

    @property
    def row_ids(self) -> list[str]:
        return [r.id for r in self.spec.rows]


def default_parse(max_file_bytes: int | None = None) -> ParseFn:
    """The file parsers' entry point, with the configured size cap (BAOCAO_MAX_FILE_BYTES)."""
    from functools import partial

    from parsers.api import parse_bytes
    from parsers.safety import Limits

    if max_file_bytes is None:
        return parse_bytes
    return partial(parse_bytes, limits=Limits(max_file_bytes=max_file_bytes))


def make_context(app: App, campaign_id: str | None, parse: ParseFn | None = None) -> Context:
    """Campaign, outline spec, recipients and hints for a run."""
    campaign = app.campaign(campaign_id)
    with app.session() as session:
        agencies = agency_refs(campaign.id, session=session)
    ours = {a.lower() for a in (app.settings.smtp.sender, app.settings.imap.user) if a and "@" in a}
    hints = MailHints(
        our_addresses=frozenset(ours),
        topic_words=tuple(campaign.mailbox.subject_hints),
        nil_phrases=tuple(campaign.mailbox.nil_phrases),
        ack_phrases=tuple(campaign.mailbox.ack_phrases),
        request_subject=campaign.request.subject or "",
    )
    parse = parse or default_parse(app.settings.max_file_bytes)
    return Context(app, campaign, outline_spec(campaign), agencies, hints, parse)


# --------------------------------------------------------------------------- documents


@dataclass
class Candidate:
    """A parsed file that may be the submission: the stored document and what was read."""

    document: Document
    result: ParseResult
    member: int | None = None

    @property
    def rank(self) -> tuple[int, int, int]:
        r = self.result
        return (_KIND_RANK.get(r.kind, 3), _FORMAT_RANK.get(r.format, 3), -len(r.answered_sections))

    @property
    def content_key(self) -> str:
        return self.result.sha256 or self.document.sha256


def _flatten(result: ParseResult) -> list[tuple[ParseResult, int | None]]:
    if result.members:
        return [(m, i) for i, m in enumerate(result.members) if m.error is None and m.format != "zip"]
    return [(result, None)] if result.error is None else []


def store_documents(
    ctx: Context, attachments: list[Attachment], owner: dict[str, int], *, session: Session
) -> tuple[list[Candidate], list[dict[str, Any]]]:
    """Store and parse every file; returns the candidates and the rejected files (with reasons)."""
    candidates: list[Candidate] = []
    rejected: list[dict[str, Any]] = []
    for att in attachments:
        store_blob(ctx.app.blobs, att.data, session=session)
    _hook("after_store")
    for index, att in enumerate(attachments):
        values: dict[str, Any] = {**owner, "part_index": index, "sha256": sha256_hex(att.data), "filename": att.filename}
        result: ParseResult | None = None
        if att.rejected:
            values.update(status="rejected", error_code="too_large", error_message=att.rejected)
        else:
            result = _parse_one(ctx, att)
            values.update(format=result.format, kind=result.kind, parse_result=result.to_json())
            if result.error is not None:
                values.update(status="rejected", error_code=result.error.code, error_message=result.error.message)
        doc = add_document(values, session=session)
        if doc.status == "rejected":
            rejected.append({"file": att.filename, "reason": doc.error_message or doc.error_code})
            continue
        assert result is not None
        candidates.extend(Candidate(doc, r, m) for r, m in _flatten(result))
        rejected.extend(
            {"file": f"{att.filename} › {m.file}", "reason": m.error.message} for m in result.members if m.error is not None
        )
    return candidates, rejected


def _parse_one(ctx: Context, att: Attachment) -> ParseResult:
    from parsers.model import ParseError

    try:
        result = ctx.parse(att.data, att.filename, ctx.spec)
    except Exception as err:  # a parser bug must not lose the message
        log.exception("parser crashed on %s", att.filename)
        result = ParseResult(file=att.filename, error=ParseError("parser_crash", f"lỗi khi đọc tệp: {err}"))
    if not result.sha256:
        result.sha256 = sha256_hex(att.data)
    return result


# --------------------------------------------------------------------------- decisions


@dataclass
class Unit:
    """One response to record: its kind, the document it rests on, its attribution."""

    kind: str
    content_key: str
    attribution: Attribution
    candidate: Candidate | None = None
    source_key: str = ""
    # Other files of the same response (an Excel table beside a Word narrative) fill its gaps.
    companions: list[Candidate] = field(default_factory=list)

    def parsed(self) -> dict[str, Any] | None:
        """The main document's parse JSON, gaps filled from the companions."""
        if self.candidate is None:
            return None
        merged = self.candidate.result.to_json()
        for other in self.companions:
            extra = other.result.to_json()
            for sid, answer in (extra.get("sections") or {}).items():
                if not answer.get("empty", True) and (merged["sections"].get(sid) or {}).get("empty", True):
                    merged["sections"][sid] = answer
            for rid, row in (extra.get("indicators") or {}).items():
                mine = merged["indicators"].get(rid) or {}
                if mine.get("plan") is None and mine.get("result") is None and (row.get("plan") is not None or row.get("result") is not None):
                    merged["indicators"][rid] = row
            merged["problems"] = [*merged.get("problems", []), *extra.get("problems", [])]
        filled = {rid for rid, r in merged["indicators"].items() if r.get("plan") is not None or r.get("result") is not None}
        answered = {sid for sid, a in merged["sections"].items() if not a.get("empty", True)}
        merged["problems"] = [p for p in merged.get("problems", []) if not _settled_problem(p, filled, answered)]
        return merged


def _settled_problem(problem: dict[str, Any], rows: set[str], sections: set[str]) -> bool:
    """A 'missing' problem of one file that another file of the same response answers."""
    code, message = problem.get("code"), problem.get("message", "")
    if code == "table_missing":
        return bool(rows)
    if code == "row_missing":
        found = re.search(r"dòng (\S+) «", message)
        return bool(found and found.group(1) in rows)
    if code == "section_not_found":
        found = re.search(r"mục (\S+) \(", message)
        return bool(found and found.group(1) in sections)
    return False


def plan_units(
    ctx: Context,
    classification: Classification,
    candidates: list[Candidate],
    *,
    sender: str | None,
    forwards: list[str],
    text: str,
    fallback_key: str,
    source_key: str,
) -> list[Unit]:
    """Split a message into responses (several agencies' reports → several) and attribute each."""
    kind = KIND_OF_CLASS[classification.kind]
    answers = sorted(
        (c for c in candidates if c.result.kind in ("report", "nil_report")), key=lambda c: c.rank
    )
    by_agency: dict[str, list[Candidate]] = {}
    by_number: dict[str, str] = {}
    for cand in answers:  # best first: a PDF copy joins its Word original's agency
        code = cand.result.agency.id
        if not code or cand.result.agency.score < 0.6:
            continue
        number = (cand.result.doc_number or "").replace(" ", "").lower()
        code = by_number.get(number, code) if number else code
        if number:
            by_number.setdefault(number, code)
        by_agency.setdefault(code, []).append(cand)
    if len(by_agency) >= 2:
        return [
            Unit(
                best.result.kind,
                best.content_key,
                attribute(ctx.agencies, sender=None, document_agencies=[(code, best.result.agency.score)]),
                best,
                f"document:{best.document.id}",
            )
            for code, group in sorted(by_agency.items())
            for best in [group[0]]
        ]
    best = answers[0] if answers else None
    # Copies of the best document (same group) do not vote: only it and other files do.
    group = next((g for g in by_agency.values() if best in g), [])
    doc_agencies = [
        (c.result.agency.id, c.result.agency.score)
        for c in candidates
        if c.result.agency.id and (c is best or all(c is not g for g in group))
    ]
    attribution = attribute(
        ctx.agencies, sender=sender, forward_senders=forwards, document_agencies=doc_agencies, text=text
    )
    key = best.content_key if best is not None else fallback_key
    companions = [
        c
        for c in answers[1:]
        if c.result.kind == "report" and best is not None and c.result.agency.id in (None, best.result.agency.id)
    ]
    return [Unit(kind, key, attribution, best, source_key, companions)]


def settle_unit(
    ctx: Context,
    unit: Unit,
    *,
    received_at: dt.datetime,
    channel: str,
    owner: dict[str, int],
    session: Session,
) -> dict[str, Any]:
    """Record the unit's submission, or queue it for review; returns the outcome."""
    cand = unit.candidate
    parsed = unit.parsed()
    if unit.attribution.recipient_id is None:
        plan = {
            "kind": unit.kind,
            "document_id": cand.document.id if cand else None,
            "member": cand.member if cand else None,
            "content_key": unit.content_key,
            "received_at": received_at.isoformat(),
            "channel": channel,
        }
        item = open_review(
            {
                "campaign_id": ctx.campaign.id,
                "source_key": unit.source_key,
                "document_id": cand.document.id if cand else None,
                "reason": unit.attribution.review_reason or "cần xác định đơn vị gửi",
                "candidates": unit.attribution.candidates,
                "plan": plan,
                **owner,
            },
            session=session,
        )
        return {"status": "review", "kind": unit.kind, "review_item": item.id, "reason": item.reason}
    recorded = record_submission(
        session=session,
        campaign_id=ctx.campaign.id,
        recipient_id=unit.attribution.recipient_id,
        kind=unit.kind,
        received_at=received_at,
        channel=channel,
        content_key=unit.content_key,
        parsed=parsed,
        document_id=cand.document.id if cand else None,
        section_ids=ctx.section_ids,
        row_ids=ctx.row_ids,
        **owner,
    )
    code = next((a.code for a in ctx.agencies if a.recipient_id == unit.attribution.recipient_id), None)
    return {
        "status": "processed" if recorded.created else "duplicate",
        "kind": unit.kind,
        "recipient": code,
        "attributed_by": unit.attribution.attributed_by,
        "submission_id": recorded.submission.id,
    }


# --------------------------------------------------------------------------- mail


def handle_mail(
    ctx: Context, mailbox: str, uidvalidity: int, uid: int, raw: bytes, internal_date: dt.datetime | None, *, session: Session
) -> dict[str, Any]:
    """Store, parse, classify, attribute and record one message (the caller commits)."""
    blob = store_blob(ctx.app.blobs, raw, session=session)
    mail = parse_mail(raw, max_attachment_bytes=ctx.app.settings.max_file_bytes)
    row, created = insert_mail(
        {
            "campaign_id": ctx.campaign.id,
            "mailbox": mailbox,
            "uidvalidity": uidvalidity,
            "uid": uid,
            "message_id": mail.message_id,
            "raw_sha256": blob.sha256,
            "internal_date": internal_date,
            "date_header": mail.date,
            "from_addr": mail.from_addr,
            "subject": mail.subject[:2000],
            "status": "received",
        },
        session=session,
    )
    advance_mailbox(mailbox, uidvalidity, uid, session=session)
    base = {"uid": uid, "message_id": mail.message_id, "from": mail.from_addr, "subject": mail.subject}
    if not created:
        return {**base, "inbound_mail_id": row.id, "status": row.status, "classification": row.classification, "seen": True}
    outcome = _handle_new_mail(ctx, row, mail, session=session)
    row.status = outcome["status"]
    row.processed_at = utcnow()
    row.details = {**(row.details or {}), "outcome": {k: v for k, v in outcome.items() if k != "units"}}
    return {**base, "inbound_mail_id": row.id, **outcome}


def _handle_new_mail(ctx: Context, row: InboundMail, mail: MailMessage, *, session: Session) -> dict[str, Any]:
    dup = earlier_copy(row, [sha256_hex(a.data) for a in mail.attachments], session=session)
    if dup is not None:
        row.duplicate_of_id = dup.id
        row.classification = dup.classification
        return {"status": "duplicate", "classification": dup.classification, "duplicate_of": dup.id}
    owner = {"inbound_mail_id": row.id}
    candidates, rejected = store_documents(ctx, mail.attachments, owner, session=session)
    known = (mail.from_addr or "") in {e for a in ctx.agencies for e in a.emails}
    classification = classify(mail, [c.result.kind for c in candidates], ctx.hints, known_sender=known)
    row.classification = classification.kind
    received_at = row.internal_date or row.date_header or utcnow()
    result: dict[str, Any] = {"classification": classification.kind, "reason": classification.reason, "rejected": rejected}
    if classification.kind == "bounce":
        hit = mark_bouncing(ctx.campaign.id, classification.bounced, f"thư báo lỗi {mail.message_id}", received_at, session=session)
        return {**result, "status": "processed", "bounced": classification.bounced, "recipients": hit}
    if classification.kind == "unrelated" and rejected and meant_as_report(mail, ctx.hints, known_sender=known):
        # The agency meant to send its report but we could not read it: a person looks, the
        # sender is told (receipt), and nothing is recorded as fact.
        attribution = attribute(ctx.agencies, sender=mail.from_addr, forward_senders=mail.forward_senders, text=text_for_naming(mail))
        files = ", ".join(r["file"] for r in rejected)
        item = open_review(
            {
                "campaign_id": ctx.campaign.id,
                "source_key": f"mail:{row.id}",
                "reason": f"tệp đính kèm không đọc được ({files})",
                "candidates": attribution.candidates,
                "plan": {"kind": "report", "document_id": None, "member": None, "content_key": f"mail:{row.raw_sha256}", "received_at": received_at.isoformat(), "channel": "email"},
                **owner,
            },
            session=session,
        )
        row.recipient_id = attribution.recipient_id
        return {**result, "status": "review", "review_item": item.id, "unreadable": True}
    if classification.kind not in STATE_KINDS:
        return {**result, "status": "processed"}
    units = plan_units(
        ctx,
        classification,
        candidates,
        sender=mail.from_addr,
        forwards=mail.forward_senders,
        text=text_for_naming(mail),
        fallback_key=f"mail:{row.raw_sha256}",
        source_key=f"mail:{row.id}",
    )
    outcomes = [settle_unit(ctx, u, received_at=received_at, channel="email", owner=owner, session=session) for u in units]
    first = units[0].attribution
    if len(units) == 1 and first.recipient_id is not None:
        row.recipient_id, row.attributed_by = first.recipient_id, first.attributed_by
    statuses = {o["status"] for o in outcomes}
    status = "review" if "review" in statuses else "processed" if "processed" in statuses else "duplicate"
    return {**result, "status": status, "units": outcomes}


def _fail_mail(ctx: Context, mailbox: str, uidvalidity: int, uid: int, raw: bytes, internal_date: dt.datetime | None, error: str) -> dict[str, Any]:
    """Record a message that could not be handled (its raw bytes are kept)."""
    with ctx.app.session() as session:
        blob = store_blob(ctx.app.blobs, raw, session=session)
        try:
            mail = parse_mail(raw)
            message_id, sender, subject = mail.message_id, mail.from_addr, mail.subject
        except Exception:
            message_id, sender, subject = None, None, ""
        row, _ = insert_mail(
            {
                "campaign_id": ctx.campaign.id,
                "mailbox": mailbox,
                "uidvalidity": uidvalidity,
                "uid": uid,
                "message_id": message_id,
                "raw_sha256": blob.sha256,
                "internal_date": internal_date,
                "from_addr": sender,
                "subject": (subject or "")[:2000],
                "status": "failed",
                "error": error[:4000],
            },
            session=session,
        )
        advance_mailbox(mailbox, uidvalidity, uid, session=session)
        session.add(Event(campaign_id=ctx.campaign.id, kind="ingest_failed", message=f"Không xử lý được thư UID {uid}: {error[:500]}", data={"uid": uid}))
        return {"uid": uid, "inbound_mail_id": row.id, "message_id": message_id, "from": sender, "status": "failed", "error": error}


def ingest_mail(
    app: App,
    campaign_id: str | None = None,
    *,
    parse: ParseFn | None = None,
    receipts: bool = True,
) -> IngestReport:
    """One polling cycle of the official mailbox; see the module docstring for the order of work."""
    from flows.imap_adapter import ImapSource

    ctx = make_context(app, campaign_id, parse)
    report = IngestReport("mail", ctx.campaign.id)
    with ImapSource(app.settings.imap) as source:
        key = source.key
        with app.session() as session:
            state, resynced = mailbox_state(key, source.uidvalidity, session=session)
            last_uid = state.last_uid
            pending = [(m.id, m.uid) for m in unacknowledged(key, source.uidvalidity, session=session) if m.status != "failed"]
        _acknowledge(app, source, pending, report)
        done: list[tuple[int, int]] = []
        since = ctx.campaign.request.date - FIRST_POLL_MARGIN if ctx.campaign.request.date else None
        for fetched in source.fetch(source.new_uids(last_uid, since)):
            try:
                with app.session() as session:
                    outcome = handle_mail(ctx, key, source.uidvalidity, fetched.uid, fetched.raw, fetched.internal_date, session=session)
            except Exception as err:  # one bad message must not stop the batch
                log.exception("message UID %s failed", fetched.uid)
                outcome = _fail_mail(ctx, key, source.uidvalidity, fetched.uid, fetched.raw, fetched.internal_date, f"{type(err).__name__}: {err}")
            report.add(outcome)
            if outcome["status"] != "failed" and not outcome.get("seen"):
                done.append((outcome["inbound_mail_id"], fetched.uid))
        if last_uid == 0 and source.uidnext > 1:
            # Older mail skipped by `since` is behind us too: the next poll starts above it.
            with app.session() as session:
                advance_mailbox(key, source.uidvalidity, source.uidnext - 1, session=session)
        _hook("before_ack")
        _acknowledge(app, source, done, report)
    if resynced:
        report.errors.append("UIDVALIDITY thay đổi: đã đồng bộ lại hộp thư, thư trùng được bỏ qua")
    if receipts:
        report.receipts = _send_receipts(ctx, report)
    log_run(ctx, report)
    return report


def log_run(ctx: Context, report: IngestReport) -> None:
    """One event per run that found something (quiet polls leave no trace)."""
    if not report.items:
        return
    data = report.to_json()["counts"]
    with ctx.app.session() as session:
        session.add(
            Event(
                campaign_id=ctx.campaign.id,
                kind=f"ingest_{report.source}",
                message=(
                    f"Nhận {data['total']} {'thư' if report.source == 'mail' else 'tệp'}: mới {data['new']},"
                    f" trùng {data['duplicate']}, chờ xem xét {data['review']}, lỗi {data['failed']}"
                ),
                data=data,
            )
        )


def _acknowledge(app: App, source: Any, items: list[tuple[int, int]], report: IngestReport) -> None:
    """Flag or move what the database holds. A refusal is not fatal: the ledger already keeps
    those messages from being handled twice, and the next run tries again."""
    from imap_tools.errors import MailboxFlagError, MailboxFolderCreateError, MailboxMoveError

    from flows.imap_adapter import MailboxError

    if not items:
        return
    try:
        source.acknowledge([uid for _, uid in items])
    except (MailboxFlagError, MailboxMoveError, MailboxFolderCreateError, MailboxError) as err:
        log.warning("acknowledge refused: %s", err)
        report.errors.append(f"máy chủ thư không cho đánh dấu/chuyển {len(items)} thư đã xử lý (sẽ thử lại): {err}")
        return
    with app.session() as session:
        mark_acknowledged([mid for mid, _ in items], utcnow(), session=session)


def _send_receipts(ctx: Context, report: IngestReport) -> dict[str, Any] | None:
    if not ctx.campaign.receipts.enabled:
        return None
    mail_ids = [
        i["inbound_mail_id"]
        for i in report.items
        if not i.get("seen")
        and (
            (i.get("status") == "processed" and i.get("classification") in ("submission", "nil_report"))
            or i.get("unreadable")
        )
    ]
    mail_ids += _receipts_to_retry(ctx, exclude=set(mail_ids))
    if not mail_ids:
        return None
    from flows.receipts import send_receipts

    try:
        return send_receipts(ctx.app, ctx.campaign, mail_ids)
    except Exception as err:  # receipts are a courtesy: the ingest itself succeeded
        log.exception("receipts failed")
        report.errors.append(f"không gửi được thư xác nhận: {err}")
        return None


def _receipts_to_retry(ctx: Context, exclude: set[int]) -> list[int]:
    """Messages whose receipt failed or was never sent (SMTP down at the time): retried now."""
    from sqlalchemy import select

    from storage.models import OutboundMail

    with ctx.app.session() as session:
        ids = session.scalars(
            select(OutboundMail.in_reply_to_mail_id).where(
                OutboundMail.campaign_id == ctx.campaign.id,
                OutboundMail.kind == "receipt",
                OutboundMail.status.in_(("pending", "failed")),
                OutboundMail.in_reply_to_mail_id.is_not(None),
            )
        )
        return sorted({i for i in ids if i is not None} - exclude)


def ingest_folder(app: App, campaign_id: str | None = None, *, parse: ParseFn | None = None) -> IngestReport:
    """One scan of the shared folder (see flows.dropfolder)."""
    from flows.dropfolder import scan_folder

    return scan_folder(app, make_context(app, campaign_id, parse))


# --------------------------------------------------------------------------- review


class ReviewError(Exception):
    """A review item cannot be settled as asked (the message says why, in Vietnamese)."""


def _open_item(session: Session, item_id: int) -> Any:
    from storage.models import ReviewItem

    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ReviewError(f"không có mục chờ xem xét số {item_id} (xem: baocao review)")
    if item.status != "open":
        raise ReviewError(f"mục {item_id} đã được xử lý ({item.status})")
    return item


def _planned_document(session: Session, plan: dict[str, Any]) -> tuple[Document | None, dict[str, Any] | None]:
    """The document a review plan rests on and its parse JSON (the zip member if any)."""
    doc = session.get(Document, plan["document_id"]) if plan.get("document_id") else None
    if doc is None:
        return None, None
    parsed = doc.parse_result or {}
    if plan.get("member") is not None:
        parsed = (parsed.get("members") or [])[plan["member"]]
    return doc, parsed


def _settle_source(session: Session, item: Any, recipient_id: int) -> None:
    """The message or file the item came from is now processed and attributed."""
    from storage.models import InboundFile

    source: InboundMail | InboundFile | None = None
    if item.inbound_mail_id:
        source = session.get(InboundMail, item.inbound_mail_id)
    elif item.inbound_file_id:
        source = session.get(InboundFile, item.inbound_file_id)
    if source is not None and source.status == "review":
        source.status, source.recipient_id, source.attributed_by = "processed", recipient_id, "review"


def assign_item(app: App, item_id: int, recipient_code: str, actor: str = "cán bộ") -> dict[str, Any]:
    """Settle a review item: record the submission it stood for, for the recipient given."""
    from storage.campaigns import recipient_by_code

    with app.session() as session:
        item = _open_item(session, item_id)
        campaign = app.campaign(item.campaign_id)
        recipient = recipient_by_code(campaign.id, recipient_code.strip().lower(), session=session)
        if recipient is None or not recipient.active:
            raise ReviewError(f"không có đơn vị mã {recipient_code!r} trong chiến dịch {campaign.id}")
        plan = item.plan or {}
        doc, parsed = _planned_document(session, plan)
        spec = outline_spec(campaign)
        recorded = record_submission(
            session=session,
            campaign_id=campaign.id,
            recipient_id=recipient.id,
            kind=plan.get("kind", "report"),
            received_at=dt.datetime.fromisoformat(plan["received_at"]),
            channel=plan.get("channel", "email"),
            content_key=plan.get("content_key") or item.source_key,
            parsed=parsed,
            inbound_mail_id=item.inbound_mail_id,
            inbound_file_id=item.inbound_file_id,
            document_id=doc.id if doc else None,
            section_ids=[s.id for s in spec.sections],
            row_ids=[r.id for r in spec.rows],
            actor=actor,
        )
        item.status, item.resolved_recipient_id = "resolved", recipient.id
        item.resolved_by, item.resolved_at = actor, utcnow()
        _settle_source(session, item, recipient.id)
        session.add(
            Event(
                campaign_id=campaign.id,
                recipient_id=recipient.id,
                kind="review_assigned",
                actor=actor,
                message=f"Mục {item_id} được gán cho {recipient.name}",
                data={"item": item_id, "submission_id": recorded.submission.id},
            )
        )
        result: dict[str, Any] = {
            "item": item_id,
            "recipient": recipient.code,
            "name": recipient.name,
            "submission_id": recorded.submission.id,
            "created": recorded.created,
        }
        mail_id = item.inbound_mail_id
    # Committed: now the sender may be told (at most one receipt per message, as always).
    if mail_id is not None and recorded.created and recorded.submission.kind in ("report", "nil_report"):
        result["receipts"] = _receipt_after_assign(app, campaign, mail_id)
    return result


def _receipt_after_assign(app: App, campaign: Campaign, mail_id: int) -> dict[str, Any] | None:
    from flows.receipts import send_receipts

    try:
        return send_receipts(app, campaign, [mail_id])
    except Exception as err:  # a courtesy: the assignment itself is done
        log.exception("receipt after assign failed")
        return {"error": str(err)}


def dismiss_item(app: App, item_id: int, reason: str = "", actor: str = "cán bộ") -> dict[str, Any]:
    """Close a review item without recording anything (not from a recipient, not a report)."""
    with app.session() as session:
        item = _open_item(session, item_id)
        item.status, item.resolved_by, item.resolved_at = "dismissed", actor, utcnow()
        session.add(
            Event(
                campaign_id=item.campaign_id,
                kind="review_dismissed",
                actor=actor,
                message=f"Mục {item_id} được bỏ qua" + (f": {reason}" if reason else ""),
                data={"item": item_id},
            )
        )
        return {"item": item_id, "status": "dismissed"}
