"""The official mailbox's cycle: one message per unit of work.

Per message: store the raw .eml blob and its files' blobs (raw first), parse and decide with
pure functions (classification, attribution, which files form which response), then write
the outcome — ledger row, documents, submissions or review items — in ONE transaction (that
of a fetched chunk's last message also advances the folder's last UID); commit; then mark the
message done on the server (flag or move). A run that dies between the commit and the server mark marks it at the next run
(the ledger remembers); a run that dies before the commit leaves nothing but
content-addressed blobs, and the next run redoes the message. A failure of one item is
recorded (status failed + error) and the batch goes on; a run fails only when the mailbox or
the database is unreachable.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import imaplib
import logging
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any

from imap_tools.errors import MailboxFlagError, MailboxFolderCreateError, MailboxMoveError
from sqlalchemy.orm import Session

from flows.adapters.imap import FetchedMail, ImapSource, MailboxBusy, MailboxError, uid_set
from flows.app import App
from flows.intake.context import (
    Context,
    IngestReport,
    ParseFn,
    hook,
    log_run,
)
from flows.intake.documents import (
    ParsedFile,
    candidates,
    open_files_to_check,
    open_unreadable,
    parse_files,
    rejected_files,
    settle_unit,
    store_raw_files,
    write_documents,
)
from flows.intake.errors import RunBroken, describe_error, is_transient
from flows.intake.health import poll_failed, poll_succeeded
from flows.intake.inbox import (
    fetch_since,
    inbox_context,
    open_route_review,
    route_mail,
    shares,
    token_attribution,
)
from flows.intake.pool import AheadParse, pool_size, poolable
from flows.intake.scanq import enqueue, queued_outcome, waiting_scans
from flows.outbound.receipts import deliver_pending_receipts, reserve_receipt
from parsers import lo_server
from parsers.api import parse_text
from parsers.kind import NOT_REPORT_TYPES
from parsers.lo_server import warm_libreoffice
from parsers.mail import MailMessage, parse_mail
from parsers.mail_classify import (
    BODY_REPORT_REASON,
    STATE_KINDS,
    Attribution,
    Classification,
    about_campaign,
    attribute,
    classify,
    is_noreply,
    meant_as_report,
    text_for_naming,
)
from parsers.mail_links import ReportLink, classify_links
from parsers.model import ProblemCode
from parsers.naming import subject_tags
from parsers.responses import Unit, plan_units
from parsers.routing import Route
from parsers.vocab import ItemStatus, MailKind
from storage.blobs import BlobStore, record_blob, record_blobs, sha256_hex, store_blob
from storage.db import deferred_sync
from storage.ingest import (
    add_mail,
    advance_mailbox,
    clear_bouncing,
    insert_mail,
    is_retry,
    known_keys,
    ledger_entry,
    ledger_mail,
    mailbox_state,
    mark_bouncing,
    mark_done_on_server,
    open_review,
    record_failure,
    retry_gone,
    retry_uids,
    unmarked_on_server,
)
from storage.models import Document, Event, InboundMail, utcnow

log = logging.getLogger(__name__)
# What a person writes (a report, "nothing to report", "we will send it"): proof the address works.
_ANSWERS = frozenset({MailKind.SUBMISSION, MailKind.NIL_REPORT, MailKind.ACKNOWLEDGEMENT, MailKind.LINK_ONLY,
                      MailKind.FILES_TO_CHECK})


@dataclass
class MailDecision:
    """What to do with one new message, decided before anything is written."""

    classification: Classification
    rejected: list[dict[str, Any]]
    units: list[Unit] = field(default_factory=list)
    # A reply meant as the report whose files could not be read: a person looks.
    unreadable: Attribution | None = None
    # The report only as a link: a person looks, nothing is counted.
    links: list[ReportLink] = field(default_factory=list)
    link_only: Attribution | None = None
    # Files that are not outline reports, in a mail meant as the answer: a person looks; the
    # (part, zip member) of the first file that may be the report.
    to_check: Attribution | None = None
    to_check_file: tuple[int, int | None] = (0, None)


def decide_mail(ctx: Context, mail: MailMessage, files: list[ParsedFile]) -> MailDecision:
    """Classify the message, and split it into attributed responses (pure)."""
    cands = candidates(files)
    rejected = rejected_files(files)
    known = (mail.from_addr or "") in {e for a in ctx.agencies for e in a.emails}
    classification = classify(
        mail, [c.result.kind for c in cands], ctx.hints, known_sender=known, doc_types=[c.result.doc_type for c in cands]
    )
    classification, links = classify_links(mail, classification, ctx.hints, known_sender=known)
    if not cands and not rejected and not links and _body_report(ctx, mail, classification, known_sender=known):
        classification = Classification(MailKind.FILES_TO_CHECK, BODY_REPORT_REASON)
    if classification.kind in (MailKind.UNRELATED, MailKind.ACKNOWLEDGEMENT) and any(
        p.code == ProblemCode.REPORT_NOT_RECOGNISED for c in cands for p in c.result.problems
    ):
        # A known agency's file with the outline's content that could not be read as a report.
        classification = Classification(MailKind.FILES_TO_CHECK, UNRECOGNISED_REASON)
    decision = MailDecision(classification, rejected, links=links)
    # A reply whose only report could not be read is not a promise (nor unrelated): the agency
    # has not submitted yet, a person looks, and the receipt asks for a readable copy.
    failed_file = bool(rejected) and not any(c.is_answer for c in cands)
    if links:
        decision.link_only = _whole_mail_sender(ctx, mail)
    elif (
        classification.kind in (MailKind.UNRELATED, MailKind.ACKNOWLEDGEMENT, MailKind.FILES_TO_CHECK)
        and failed_file
        and meant_as_report(mail, ctx.hints, known_sender=known)
    ):
        decision.unreadable = _whole_mail_sender(ctx, mail)
    elif classification.kind == MailKind.FILES_TO_CHECK:
        decision.to_check = _whole_mail_sender(ctx, mail)
        first = next((c for c in cands if c.result.doc_type not in NOT_REPORT_TYPES), cands[0] if cands else None)
        decision.to_check_file = (first.part, first.member) if first is not None else (0, None)
    elif classification.kind in STATE_KINDS:
        decision.units = plan_units(
            ctx.agencies,
            classification.kind,
            cands,
            sender=_sender_of(mail),
            forwards=mail.forward_senders,
            text=text_for_naming(mail),
            fallback_key="",  # filled with the raw hash by the writer
            source_key="",
            thread_recipient=ctx.thread_recipient(mail.in_reply_to, mail.references),
            tags=subject_tags(mail.subject),
        )
        for unit in decision.units:
            unit.message_text = f"{mail.subject}\n{mail.new_text[:5000]}"
    return decision


UNRECOGNISED_REASON = (
    "tệp có nội dung theo đề cương (bảng định lượng, đề mục) nhưng không đọc được như báo cáo — cán bộ cần mở"
    " tệp và ghi nhận"
)


def _body_report(ctx: Context, mail: MailMessage, classification: Classification, *, known_sender: bool) -> bool:
    """A message without files, from an agency or about the campaign, whose own text reads as
    a report of the outline (a section answered, a figure of the table): not a promise nor a
    contact — a person decides, and the agency is not reminded as if it had said nothing."""
    if classification.kind not in (MailKind.ACKNOWLEDGEMENT, MailKind.UNRELATED):
        return False
    if not (known_sender or about_campaign(mail, ctx.hints)):
        return False
    body = parse_text(mail.new_text[:20000], ctx.spec)
    answered = len(body.answered_sections) + sum(1 for r in body.indicators.values() if r.answered)
    return body.kind == "report" and answered >= 1


def _sender_of(mail: MailMessage) -> str | None:
    """The address that speaks for the message: its From, or — when the From is a system's
    no-reply address (the province's document system sending for an agency) — its Reply-To."""
    if mail.reply_to and mail.from_addr and is_noreply(mail.from_addr):
        return mail.reply_to
    return mail.from_addr


def _whole_mail_sender(ctx: Context, mail: MailMessage) -> Attribution:
    """Who sent a message that has no readable report to attribute (link only, unreadable)."""
    return attribute(
        ctx.agencies,
        sender=_sender_of(mail),
        forward_senders=mail.forward_senders,
        text=text_for_naming(mail),
        thread_recipient=ctx.thread_recipient(mail.in_reply_to, mail.references),
        tags=subject_tags(mail.subject),
    )


def handle_mail(
    ctx: Context,
    mailbox: str,
    uidvalidity: int,
    uid: int,
    raw: bytes,
    internal_date: dt.datetime | None,
    *,
    session: Session,
    raw_sha256: str | None = None,
    advance: bool = True,
    mail: MailMessage | None = None,
    known_new: bool = False,
) -> dict[str, Any]:
    """Store, parse, decide and record one message (the caller commits). A new message whose
    outcome writes nothing but its ledger row (a copy of an earlier one, or mail without files
    that answers nothing — most of a mailbox) is decided first and inserted once, final.

    `raw_sha256`: the caller already stored the raw message and committed its blob row (a
    poll does it for a whole fetched chunk). `advance=False`: the caller moves the folder's
    last UID itself (a poll does it once per chunk, in the transaction of the chunk's last
    message: a message committed past the last UID is found by the ledger's unique key if it
    is fetched again, and is not handled twice). `mail`: `raw` already parsed (a poll parses a
    fetched chunk ahead); `known_new`: the poll read the ledger for the chunk's keys and held
    none of this message's (`storage.ingest.known_keys`), so it is not looked up again."""
    raw_sha = raw_sha256 if raw_sha256 is not None else record_blob(ctx.app.blobs, raw, session=session)
    if mail is None:
        mail = parse_mail(raw, max_attachment_bytes=ctx.app.settings.max_file_bytes)
    own, copy = ledger_entry(
        mailbox, uidvalidity, uid, raw_sha, mail.message_id, mail.from_addr, [sha256_hex(a.data) for a in mail.attachments],
        session=session, known_new=known_new and raw_sha256 is not None,
    )
    base = {"uid": uid, "message_id": mail.message_id, "from": mail.from_addr, "subject": mail.subject}
    if own is not None and not is_retry(own):
        return _seen(base, own)
    values = {
        # Several open campaigns: the route decides (a message may feed two of them).
        "campaign_id": None if ctx.siblings else ctx.campaign.id,
        "mailbox": mailbox,
        "uidvalidity": uidvalidity,
        "uid": uid,
        "message_id": mail.message_id,
        "raw_sha256": raw_sha,
        "internal_date": internal_date,
        "date_header": mail.date,
        "from_addr": mail.from_addr,
        "subject": mail.subject[:2000],
        "status": ItemStatus.RECEIVED,
    }
    scans = waiting_scans(ctx.parse, mail.attachments) if copy is None else []
    if scans:  # its scans wait for their own OCR run (flows/intake/scanq.py): stored, queued
        return {**base, **_queue_mail(ctx, own, values, mail, scans, advance=advance, session=session)}
    decided = None if copy is not None or ctx.siblings else _decide_files(ctx, mail, session=session)
    final = _final_without_writes(copy, decided, mail) if own is None else None
    if final is not None:
        outcome, fields = final
        row_id = add_mail({**values, **fields, "processed_at": utcnow(), "details": {"outcome": outcome}}, session=session)
        if row_id is None:  # another run recorded it meanwhile
            return _seen(base, ledger_mail(mailbox, uidvalidity, uid, session=session))
        if advance:
            advance_mailbox(mailbox, uidvalidity, uid, session=session)
        return {**base, "inbound_mail_id": row_id, **outcome}
    if own is not None:
        base["attempt"] = own.details.get("attempts", 0) + 1
        row = own
        row.status, row.error, row.raw_sha256 = ItemStatus.RECEIVED, None, raw_sha
    else:
        row, created = insert_mail(values, session=session)
        if not created:  # another run recorded it meanwhile
            return _seen(base, row)
    if advance:
        advance_mailbox(mailbox, uidvalidity, uid, session=session)
    outcome = _handle_new_mail(ctx, row, mail, copy, decided, session=session)
    _finish_mail(ctx, row, mail, outcome, session=session)
    return {**base, "inbound_mail_id": row.id, **outcome}


def _finish_mail(ctx: Context, row: InboundMail, mail: MailMessage, outcome: dict[str, Any], *, session: Session) -> None:
    """The ledger row's final state and the receipts it owes (reserved in the outbox)."""
    row.status = outcome["status"]
    row.processed_at = utcnow()
    row.details = {**(row.details or {}), "outcome": {k: v for k, v in outcome.items() if k != "units"}}
    if _owes_receipt(outcome):  # the outbox: one receipt per message, whatever campaigns it answered
        owed = None
        for c in _answered(ctx, outcome):  # the first campaign that sends receipts owns it
            owed = reserve_receipt(c.app, c.campaign, row, mail, session=session)
            if owed is not None:
                break
        outcome["receipt_outbound_id"] = owed


def _queue_mail(
    ctx: Context, own: InboundMail | None, values: dict[str, Any], mail: MailMessage, scans: list[dict[str, Any]],
    *, advance: bool, session: Session,
) -> dict[str, Any]:
    """A message with scans: its files stored raw, its row "đang chờ đọc bản quét", its job
    queued; nothing is recorded (no failure, no receipt) until the queue has read them."""
    store_raw_files(ctx, mail.attachments, session=session)
    outcome = queued_outcome(scans)
    if own is not None:
        row = own
        row.status, row.error, row.raw_sha256 = ItemStatus.OCR_QUEUED, None, values["raw_sha256"]
    else:
        row, created = insert_mail({**values, "status": ItemStatus.OCR_QUEUED}, session=session)
        if not created:
            return _seen({}, row)
    if advance:
        advance_mailbox(values["mailbox"], values["uidvalidity"], values["uid"], session=session)
    row.details = {**(row.details or {}), "outcome": outcome}
    job = enqueue(row.campaign_id, scans, inbound_mail_id=row.id, session=session)
    return {"inbound_mail_id": row.id, **outcome, "ocr_job": job.id}


def record_queued_mail(ctx: Context, row: InboundMail, *, session: Session) -> dict[str, Any]:
    """A message whose scans the OCR queue has read (ctx.parse holds the readings): decided
    and recorded as its poll would have, receipt included (flows/intake/scanq.py)."""
    mail = parse_mail(ctx.app.blobs.read(row.raw_sha256), max_attachment_bytes=ctx.app.settings.max_file_bytes)
    decided = None if ctx.siblings else _decide_files(ctx, mail, session=session)
    outcome = _handle_new_mail(ctx, row, mail, None, decided, session=session)
    _finish_mail(ctx, row, mail, outcome, session=session)
    return {"inbound_mail_id": row.id, "campaign": row.campaign_id, **outcome}


def _seen(base: dict[str, Any], row: InboundMail | None) -> dict[str, Any]:
    """A message the ledger already holds: nothing is written again."""
    assert row is not None
    return {**base, "inbound_mail_id": row.id, "status": row.status, "classification": row.classification, "seen": True}


def _duplicate(copy: InboundMail) -> dict[str, Any]:
    """The outcome of a copy of an earlier message."""
    return {"status": ItemStatus.DUPLICATE, "classification": copy.classification, "duplicate_of": copy.id}


def _decide_files(ctx: Context, mail: MailMessage, *, session: Session) -> tuple[list[ParsedFile], MailDecision]:
    """Raw files first (their blobs), then parsed and the message decided (one campaign)."""
    store_raw_files(ctx, mail.attachments, session=session)
    files = parse_files(ctx, mail.attachments)
    return files, decide_mail(ctx, mail, files)


def _final_without_writes(
    copy: InboundMail | None, decided: tuple[list[ParsedFile], MailDecision] | None, mail: MailMessage
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """(outcome, the ledger row's final fields) of a message whose outcome writes nothing but
    its ledger row — a copy of an earlier one, or one without files that answers nothing (no
    response, review item, bounce or receipt) — else None (the row is written first)."""
    if copy is not None:
        outcome = _duplicate(copy)
        return outcome, {"duplicate_of_id": copy.id, "classification": copy.classification, "status": outcome["status"]}
    if decided is None:
        return None
    files, decision = decided
    kind = decision.classification.kind
    if (
        files
        or decision.units
        or decision.link_only is not None
        or decision.unreadable is not None
        or decision.to_check is not None
        or kind == MailKind.BOUNCE
        or _owes_receipt({"status": ItemStatus.PROCESSED, "classification": kind})
    ):
        return None
    return {**_summary(decision, mail), "status": ItemStatus.PROCESSED}, {"classification": kind, "status": ItemStatus.PROCESSED}


def _answered(ctx: Context, outcome: dict[str, Any]) -> list[Context]:
    """The campaigns a recorded message answered: those it was routed to, or the only one."""
    if "campaigns" in outcome:
        return [c for c in ctx.every if c.campaign.id in outcome["campaigns"]]
    return [ctx]


def _owes_receipt(outcome: dict[str, Any]) -> bool:
    """A recorded report or nil report, a report we could not read, or files meant as the
    answer that wait for a person, is answered."""
    recorded = outcome["status"] == ItemStatus.PROCESSED and outcome.get("classification") in (MailKind.SUBMISSION, MailKind.NIL_REPORT)
    return recorded or bool(outcome.get("unreadable")) or bool(outcome.get("to_check"))


def _handle_new_mail(
    ctx: Context,
    row: InboundMail,
    mail: MailMessage,
    copy: InboundMail | None,
    decided: tuple[list[ParsedFile], MailDecision] | None,
    *,
    session: Session,
) -> dict[str, Any]:
    if copy is not None:
        row.duplicate_of_id = copy.id
        row.classification = copy.classification
        return _duplicate(copy)
    if ctx.siblings:
        store_raw_files(ctx, mail.attachments, session=session)
        return _handle_routed(ctx, row, mail, session=session)
    assert decided is not None
    files, decision = decided
    return _write_decision(ctx, row, mail, files, decision, session=session)


# --- several open campaigns: route, then decide and record per campaign (inbox.py) ---------


def _handle_routed(ctx: Context, row: InboundMail, mail: MailMessage, *, session: Session) -> dict[str, Any]:
    """Parse and classify under every open campaign; a message no campaign sees an answer in
    is recorded once; an answer is routed (parsers/routing.py) and each share recorded."""
    parsed = {c.campaign.id: parse_files(c, mail.attachments) for c in ctx.every}
    decisions = {c.campaign.id: decide_mail(c, mail, parsed[c.campaign.id]) for c in ctx.every}
    answering = [cid for cid, d in decisions.items() if d.units or d.unreadable is not None or d.to_check is not None]
    if not answering:
        result = _write_decision(ctx, row, mail, parsed[ctx.campaign.id], decisions[ctx.campaign.id], session=session)
        if decisions[ctx.campaign.id].classification.kind == MailKind.BOUNCE:
            at = row.internal_date or row.date_header or utcnow()
            for sibling in ctx.siblings:  # the address bounced whatever campaign it serves
                mark_bouncing(sibling.campaign.id, result["bounced"], f"thư báo lỗi {mail.message_id}", at, session=session)
        return result
    # Only a campaign that sees an answer in the message can take it.
    route = route_mail(ctx, mail, ctx.app.blobs.read(row.raw_sha256), {cid: parsed[cid] for cid in answering}, session=session)
    row.details = {**(row.details or {}), "routing": route.to_json()}
    if route.doubt:
        write_documents(ctx, parsed[ctx.campaign.id], {"inbound_mail_id": row.id}, session=session)
        row.classification = decisions[answering[0]].classification.kind
        return {"classification": row.classification, "reason": "không rõ chiến dịch", **open_route_review(ctx, row, route, session=session)}
    parts = shares(ctx, route, parsed)
    best = {p: parsed[s.ctx.campaign.id][p] for s in parts for p in s.parts}
    docs = write_documents(ctx, [best[p] for p in sorted(best)], {"inbound_mail_id": row.id}, session=session)
    outcomes = [_record_share(s.ctx, row, mail, [best[p] for p in s.parts], [docs[p] for p in s.parts], route, session=session) for s in parts]
    return _combine(row, outcomes, [s.ctx.campaign.id for s in parts])


def _record_share(
    ctx: Context, row: InboundMail, mail: MailMessage, files: list[ParsedFile], docs: list[Document], route: Route, *, session: Session
) -> dict[str, Any]:
    """One campaign's share of a routed message, decided and recorded as a message of its own."""
    decision = decide_mail(ctx, mail, files)
    exact = token_attribution(ctx, route)
    if exact is not None:
        for unit in decision.units:
            if unit.attribution.recipient_id is None:
                unit.attribution = exact
        if decision.unreadable is not None and decision.unreadable.recipient_id is None:
            decision.unreadable = exact
        if decision.to_check is not None and decision.to_check.recipient_id is None:
            decision.to_check = exact
    key = f"mail:{row.id}" if len(route.targets) == 1 else f"mail:{row.id}/{ctx.campaign.id}"[:64]
    return {"campaign": ctx.campaign.id, **_record_decision(ctx, row, mail, docs, decision, key=key, session=session)}


def _combine(row: InboundMail, outcomes: list[dict[str, Any]], campaigns: list[str]) -> dict[str, Any]:
    """One outcome for a message whose shares went to several campaigns."""
    if len(outcomes) == 1:
        row.campaign_id = campaigns[0]
        return {**outcomes[0], "campaigns": campaigns}
    statuses = {o["status"] for o in outcomes}
    status = ItemStatus.REVIEW if ItemStatus.REVIEW in statuses else ItemStatus.PROCESSED if ItemStatus.PROCESSED in statuses else ItemStatus.DUPLICATE
    kinds = [o["classification"] for o in outcomes]
    row.classification = next((k for k in (MailKind.SUBMISSION, MailKind.NIL_REPORT) if k in kinds), kinds[0])
    units = [{**u, "campaign": o["campaign"]} for o in outcomes for u in o.get("units", [])]
    return {"classification": row.classification, "status": status, "units": units, "campaigns": campaigns, "shares": outcomes}


def record_routed(ctx: Context, row: InboundMail, mail: MailMessage, forced: Attribution | None, *, session: Session) -> dict[str, Any]:
    """A person chose the campaign of a message in doubt: decide and record it there (the
    agency they named, if any, for what nobody could attribute)."""
    files = parse_files(ctx, mail.attachments)
    docs = write_documents(ctx, files, {"inbound_mail_id": row.id}, session=session)
    for doc, f in zip(docs, files, strict=True):  # read again against the chosen outline
        if f.result is not None:
            doc.format, doc.kind, doc.parse_result = f.result.format, f.result.kind, f.result.to_json()
    decision = decide_mail(ctx, mail, files)
    if forced is not None:
        for unit in decision.units:
            if unit.attribution.recipient_id is None:
                unit.attribution = forced
        if decision.unreadable is not None:
            decision.unreadable = forced
        if decision.to_check is not None:
            decision.to_check = forced
    outcome = _record_decision(ctx, row, mail, docs, decision, key=f"mail:{row.id}", session=session)
    row.campaign_id, row.status = ctx.campaign.id, outcome["status"]
    return outcome


# --- one campaign's decision, written once ---------------------------------------------------


def _write_decision(
    ctx: Context, row: InboundMail, mail: MailMessage, files: list[ParsedFile], decision: MailDecision, *, session: Session
) -> dict[str, Any]:
    """The one write of a decided message: documents, then submissions or review items."""
    docs = write_documents(ctx, files, {"inbound_mail_id": row.id}, session=session)
    return _record_decision(ctx, row, mail, docs, decision, key=f"mail:{row.id}", session=session)


def _record_decision(
    ctx: Context, row: InboundMail, mail: MailMessage, docs: list[Document], decision: MailDecision, *, key: str, session: Session
) -> dict[str, Any]:
    """Submissions or review items of a decided message whose documents are written (`key`
    names the message's own review item). The ledger row's classification is set after them:
    set before, the row was flushed by the first query they run and updated again at the end
    (two UPDATEs per report; nothing they read depends on it)."""
    outcome = _recorded(ctx, row, mail, docs, decision, key=key, session=session)
    row.classification = decision.classification.kind
    return outcome


def _recorded(
    ctx: Context, row: InboundMail, mail: MailMessage, docs: list[Document], decision: MailDecision, *, key: str, session: Session
) -> dict[str, Any]:
    owner = {"inbound_mail_id": row.id}
    classification = decision.classification
    received_at = row.internal_date or row.date_header or utcnow()
    result = _summary(decision, mail)
    if classification.kind == MailKind.BOUNCE:
        hit = mark_bouncing(ctx.campaign.id, classification.bounced, f"thư báo lỗi {mail.message_id}", received_at, session=session)
        return {**result, "status": ItemStatus.PROCESSED, "bounced": classification.bounced, "recipients": hit}
    if classification.kind in _ANSWERS:  # a person answered from this address: it works again
        cleared = clear_bouncing(mail.from_addr, received_at, session=session)
        if cleared:
            result["unbounced"] = cleared
    if decision.link_only is not None:
        item = _review_links(ctx, row, decision, received_at, owner, session=session)
        row.recipient_id = decision.link_only.recipient_id
        return {**result, "status": ItemStatus.REVIEW, "review_item": item, "links": [link.url for link in decision.links]}
    if decision.unreadable is not None:
        # The agency meant to send its report but we could not read it: a person looks, the
        # sender is told (receipt), and nothing is recorded as fact.
        attribution = decision.unreadable
        item = open_unreadable(
            ctx,
            attribution,
            decision.rejected,
            source_key=key,
            content_key=f"mail:{row.raw_sha256}",
            received_at=received_at,
            channel="email",
            owner=owner,
            session=session,
        )
        row.recipient_id = attribution.recipient_id
        return {**result, "status": ItemStatus.REVIEW, "review_item": item.id, "unreadable": True}
    if decision.to_check is not None:
        item = _review_files_to_check(ctx, row, decision, docs, received_at, owner, key=key, session=session)
        row.recipient_id = decision.to_check.recipient_id
        return {**result, "status": ItemStatus.REVIEW, "review_item": item, "to_check": True}
    if not decision.units:
        return {**result, "status": ItemStatus.PROCESSED}
    for unit in decision.units:
        unit.content_key = unit.content_key or f"mail:{row.raw_sha256}"
    if len(decision.units) == 1:
        decision.units[0].source_key = key
    outcomes = [
        settle_unit(ctx, u, docs, received_at=received_at, channel="email", owner=owner, session=session)
        for u in decision.units
    ]
    first = decision.units[0].attribution
    if first.recipient_id is not None and all(u.attribution.recipient_id == first.recipient_id for u in decision.units):
        row.recipient_id, row.attributed_by = first.recipient_id, first.attributed_by
    statuses = {o["status"] for o in outcomes}
    status = (
        ItemStatus.REVIEW
        if ItemStatus.REVIEW in statuses
        else ItemStatus.PROCESSED
        if ItemStatus.PROCESSED in statuses
        else ItemStatus.DUPLICATE
    )
    return {**result, "status": status, "units": outcomes}


def _summary(decision: MailDecision, mail: MailMessage) -> dict[str, Any]:
    """What every recorded outcome of a decided message says: its classification and why, the
    files that could not be read, and the envelope's evidence."""
    classification = decision.classification
    return {"classification": classification.kind, "reason": classification.reason, "rejected": decision.rejected, **_evidence(mail)}


def _evidence(mail: MailMessage) -> dict[str, Any]:
    """What the envelope says beyond the files: who wrote the forwarded messages and when, and
    whether the mail was S/MIME-signed (kept in the ledger row's details)."""
    found: dict[str, Any] = {}
    if mail.forward_evidence:
        found["forwarded"] = [e.to_json() for e in mail.forward_evidence]
    if mail.signed:
        found["signed"] = mail.signed
    return found


def _review_links(
    ctx: Context, row: InboundMail, decision: MailDecision, received_at: dt.datetime, owner: dict[str, int], *, session: Session
) -> int:
    """A report sent only as a link: a person opens it; settling it records an
    acknowledgement at most (the file itself must come as a file or through the drop folder)."""
    assert decision.link_only is not None
    urls = [link.url for link in decision.links]
    shown = ", ".join(urls[:3]) + (f" (và {len(urls) - 3} liên kết khác)" if len(urls) > 3 else "")
    item = open_review(
        {
            "campaign_id": ctx.campaign.id,
            "source_key": f"mail:{row.id}",
            "reason": f"báo cáo chỉ gửi dạng đường liên kết, không có tệp đính kèm: {shown}",
            "candidates": decision.link_only.candidates,
            "plan": {
                "kind": "acknowledgement",
                "document_id": None,
                "member": None,
                "content_key": f"mail:{row.raw_sha256}",
                "received_at": received_at.isoformat(),
                "channel": "email",
                "links": [link.to_json() for link in decision.links],
            },
            **owner,
        },
        session=session,
    )
    return item.id


def _review_files_to_check(
    ctx: Context,
    row: InboundMail,
    decision: MailDecision,
    docs: list[Document],
    received_at: dt.datetime,
    owner: dict[str, int],
    *,
    key: str,
    session: Session,
) -> int:
    """Files that are no outline report, in a mail meant as the answer: a person opens them;
    settling the item records the first that may be the report (re-read) as the agency's,
    dismissing it leaves the agency as it was. Nothing is counted meanwhile."""
    assert decision.to_check is not None
    names = ", ".join(d.filename or f"tệp {d.part_index + 1}" for d in docs[:3]) + (
        f" (và {len(docs) - 3} tệp khác)" if len(docs) > 3 else ""
    )
    reason = f"{decision.classification.reason}: {names}" if names else decision.classification.reason
    part, member = decision.to_check_file
    item = open_files_to_check(
        ctx, decision.to_check, docs[part] if part < len(docs) else None, member=member,
        reason=reason, source_key=key,
        content_key=f"mail:{row.raw_sha256}", received_at=received_at, channel="email", owner=owner, session=session,
        body_of_mail=None if docs else row.id,
    )
    return item.id


def _fail_mail(ctx: Context, mailbox: str, uidvalidity: int, fetched: FetchedMail, error: str, *, transient: bool) -> dict[str, Any]:
    """Record a message that could not be handled (its raw bytes are kept). A transient
    failure stays in the retry set until it succeeds or reaches the retry limit."""
    uid, raw = fetched.uid, fetched.raw
    with ctx.app.session() as session:
        blob = store_blob(ctx.app.blobs, raw, session=session)
        try:
            mail = parse_mail(raw)
            message_id, sender, subject = mail.message_id, mail.from_addr, mail.subject
        except Exception:  # noqa: BLE001 — the headers may be what broke the message
            message_id, sender, subject = None, None, ""
        row, _ = insert_mail(
            {
                "campaign_id": None if ctx.siblings else ctx.campaign.id,
                "mailbox": mailbox,
                "uidvalidity": uidvalidity,
                "uid": uid,
                "message_id": message_id,
                "raw_sha256": blob.sha256,
                "internal_date": fetched.internal_date,
                "from_addr": sender,
                "subject": (subject or "")[:2000],
                "status": ItemStatus.FAILED,
            },
            session=session,
        )
        retry = record_failure(row, error, transient=transient, limit=ctx.app.settings.retry_limit)
        advance_mailbox(mailbox, uidvalidity, uid, session=session)
        attempts = row.details.get("attempts", 1)
        when = f"sẽ thử lại (lần {attempts}/{ctx.app.settings.retry_limit})" if retry else "cần cán bộ xem"
        session.add(Event(campaign_id=ctx.campaign.id, kind="ingest_failed", message=f"Không xử lý được thư UID {uid} ({when}): {error[:500]}", data={"uid": uid, "transient": transient, "attempts": attempts}))
        return {"uid": uid, "inbound_mail_id": row.id, "message_id": message_id, "from": sender, "status": ItemStatus.FAILED,
                "error": error, "transient": transient, "retry": retry, "attempts": attempts}


def ingest_mail(
    app: App,
    campaign_id: str | None = None,
    *,
    parse: ParseFn | None = None,
    receipts: bool = True,
) -> IngestReport:
    """One polling cycle of the official mailbox, feeding every open campaign (`campaign_id`
    only names the report's campaign); see the module docstring for the order of work.

    Receipts still owed are delivered at the end of every run, also one that broke off
    (mailbox cut, disk full): they were reserved with their messages."""
    ctx = inbox_context(app, campaign_id, parse)
    report = IngestReport("mail", ctx.campaign.id)
    source = ImapSource(app.settings.imap)
    try:
        waiting = _poll(ctx, source, report)
    except MailboxBusy as err:
        # Not a failure of the run: the server asked us to wait; the next run tries again.
        log.warning("%s", err)
        report.errors.append(str(err))
        _wrap_up(ctx, report, receipts=receipts, broken=False)
        return report
    except MailboxError as err:
        poll_failed(app, "mail", source.key, str(err))
        _wrap_up(ctx, report, receipts=receipts, broken=True)
        raise
    except Exception:
        _wrap_up(ctx, report, receipts=receipts, broken=True)
        raise
    poll_succeeded(app, "mail", source.key, waiting)
    _wrap_up(ctx, report, receipts=receipts, broken=False)
    return report


def _wrap_up(ctx: Context, report: IngestReport, *, receipts: bool, broken: bool) -> None:
    """Deliver the receipts owed and log the run; after a broken run, quietly (the error that
    broke it is the one to report, not a second one from the same full disk)."""
    if receipts:
        report.receipts = _send_receipts(ctx, report)
    try:
        log_run(ctx, report)
    except Exception:
        if not broken:
            raise
        log.warning("could not log the broken run", exc_info=True)


def _poll(ctx: Context, source: ImapSource, report: IngestReport) -> int:
    """Fetch, handle and acknowledge what is new; returns how many messages still wait."""
    app = ctx.app
    with source:
        key = source.key
        with app.session() as session:
            state, resynced = mailbox_state(key, source.uidvalidity, session=session)
            last_uid = state.last_uid
            pending = [(m.id, m.uid) for m in unmarked_on_server(key, source.uidvalidity, session=session) if m.status != ItemStatus.FAILED]
            retry = retry_uids(key, source.uidvalidity, app.settings.retry_limit, session=session)
        if resynced:
            report.errors.append("UIDVALIDITY thay đổi: đã đồng bộ lại hộp thư, thư trùng được bỏ qua")
        _mark_on_server(app, source, pending, report)
        done: list[tuple[int, int]] = []
        busy: list[str] = []
        sizes: dict[int, int] = {}
        try:
            uids = sorted(set(retry) | set(source.new_uids(last_uid, fetch_since(ctx, app.settings.imap.first_poll_margin_days))))
            sizes = source.sizes(uids)
        except MailboxBusy as err:
            uids, busy = [], [str(err)]
        # One commit per message, synced to disk once before anything is flagged on the server
        # (storage.db.deferred_sync: a crash loses no commit; a power cut only the latest ones,
        # whose messages are neither flagged nor past the last UID, so the next run redoes them).
        # A batch (as many messages as start the parse pool) converts its .doc/.xls/… through
        # one warm LibreOffice (parsers/lo_server.py); a few messages convert one-shot. It is
        # lazy: started only once a file of the batch needs it (its name, known from the parsed
        # message, or a conversion that found it not started) — most batches carry none.
        batch = app.settings.lo_warm and len(uids) >= app.settings.parse_pool_min
        warm = warm_libreoffice(lazy=True) if batch else contextlib.nullcontext()
        # The messages' units of work share one connection (released after a failed one).
        with warm, _ahead_parser(ctx) if uids else _NoPool() as ahead, deferred_sync(app.engine), app.held_units() as held:
            run_ctx = replace(ctx, parse=ahead) if ahead is not None else ctx
            if ahead is not None:  # a poll where many messages are large enough to carry files
                ahead.expect(sizes.values())
            for chunk in _fetched(source, uids, sizes, ahead, busy, app):
                for i, fetched in enumerate(chunk.mails):
                    parsed = chunk.parsed[i]
                    if parsed is None or parsed.attachments:  # only a file can need LibreOffice
                        lo_server.ensure_alive()
                    # The folder's last UID moves once per chunk, with its last message.
                    outcome = _one_message(
                        run_ctx, key, source.uidvalidity, fetched, chunk.recorded.get(fetched.uid),
                        last=i == len(chunk.mails) - 1, mail=chunk.parsed[i], known_new=chunk.new[i], unit=held.unit,
                    )
                    report.add(outcome)
                    if outcome["status"] != ItemStatus.FAILED and not outcome.get("seen"):
                        done.append((outcome["inbound_mail_id"], fetched.uid))
        report.errors.extend(busy)
        gone = sorted(set(source.missing) & set(retry))
        if gone:  # a failed message deleted from the server since: not asked for again
            with app.session() as session:
                retry_gone(key, source.uidvalidity, gone, session=session)
        if source.missing:
            report.errors.append(
                f"máy chủ thư không trả về {len(source.missing)} thư (UID {uid_set(source.missing)}): có thể đã bị xoá"
                " khỏi hộp thư trong lúc tải; cán bộ kiểm tra trên hộp thư nếu cần"
            )
        if last_uid == 0 and source.uidnext > 1 and not busy:
            # Older mail skipped by `since` is behind us too: the next poll starts above it.
            with app.session() as session:
                advance_mailbox(key, source.uidvalidity, source.uidnext - 1, session=session)
        hook("before_ack")
        _mark_on_server(app, source, done, report)
    return max(0, len(uids) - len(report.items))


def _one_message(
    ctx: Context,
    key: str,
    uidvalidity: int,
    fetched: FetchedMail,
    raw_sha256: str | None,
    *,
    last: bool,
    mail: MailMessage | None = None,
    known_new: bool = False,
    unit: Callable[[], AbstractContextManager[Session]] | None = None,
) -> dict[str, Any]:
    """One message in its own unit of work; a failure is recorded (transient ones are retried
    by the next runs, up to BAOCAO_RETRY_LIMIT times) and the batch goes on. When even the
    failure cannot be recorded (disk full, database gone) the run stops: nothing of this
    message was committed and the next run starts again from it.

    `raw_sha256`: its raw blob is stored and recorded (None: the message stores it itself).
    `last`: the chunk's last message, whose transaction moves the folder's last UID up to it
    (the chunk is in UID order; a failure recorded moves it too). A run that dies mid-chunk
    leaves the last UID below messages it committed: the next run fetches them again, finds
    each one's ledger row by (mailbox, uidvalidity, uid) and handles none of them twice.
    `mail`, `known_new`: see `handle_mail`. `unit`: the poll's units of work on one connection
    (`App.held_units`; default a unit of work of its own)."""
    ctx.load()  # the recipients, read once per run before the first unit of work (not when idle)
    try:
        with (unit or ctx.app.session)() as session:
            outcome = handle_mail(
                ctx, key, uidvalidity, fetched.uid, fetched.raw, fetched.internal_date,
                session=session, raw_sha256=raw_sha256, advance=False, mail=mail, known_new=known_new,
            )
            if last:
                advance_mailbox(key, uidvalidity, fetched.uid, session=session)
            hook("before_commit")
        hook("after_commit")
        return outcome
    except Exception as err:  # noqa: BLE001 — one bad message must not stop the batch
        log.exception("message UID %s failed", fetched.uid)
        transient = is_transient(err)
        try:
            return _fail_mail(ctx, key, uidvalidity, fetched, describe_error(err), transient=transient)
        except Exception as again:  # noqa: BLE001 — see the docstring
            raise RunBroken(f"dừng lượt nhận thư ở thư UID {fetched.uid}: {describe_error(again)}") from again


class _NoPool:
    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        return None


def _ahead_parser(ctx: Context) -> AheadParse | _NoPool:
    """The parse-ahead pool for this run (started only if many files wait), or none."""
    settings = ctx.app.settings
    if not poolable(ctx.parse):
        return _NoPool()
    workers = pool_size(settings.parse_workers)
    return AheadParse(ctx.parse, ctx.spec, workers, settings.parse_pool_min)


def _store_raw_ahead(blobs: BlobStore, chunk: list[FetchedMail]) -> list[str] | None:
    """Raw first, synced together: the chunk's raw messages are put in the blob store before
    any of them is handled, their fsyncs issued at once (one fsync per message was most of a
    first pass's time); their sha256, in order. If this fails (disk full): None, and each
    message writes its blob itself and fails on its own."""
    try:
        return blobs.write_many(m.raw for m in chunk)
    except OSError:
        log.warning("could not store a fetched chunk ahead; storing message by message", exc_info=True)
        return None


def _store_files_ahead(blobs: BlobStore, parsed: list[MailMessage | None]) -> None:
    """The attached files of a fetched chunk put in the blob store at once (their fsyncs
    together, as for the raw messages). Only saves time: each message's unit of work still
    stores its files (raw first) and finds them there; a failure here only logs."""
    try:
        blobs.write_many(a.data for mail in parsed if mail is not None for a in mail.attachments)
    except OSError:
        log.warning("could not store a fetched chunk's files ahead; storing them message by message", exc_info=True)


def _record_raw_ahead(app: App, chunk: list[FetchedMail], shas: list[str] | None) -> dict[int, str]:
    """The blob rows of a chunk stored ahead, in one statement and one commit before any of
    its messages is handled (raw first); {uid: sha256} of the messages recorded so. A failure
    only logs: each message then records its blob in its own transaction."""
    if not shas:
        return {}
    try:
        with app.session() as session:
            record_blobs(app.blobs, [(sha, len(m.raw)) for m, sha in zip(chunk, shas, strict=True)], session=session)
    except Exception:  # noqa: BLE001 — the messages' own units of work store them again
        log.warning("could not record a fetched chunk's blobs ahead; recording message by message", exc_info=True)
        return {}
    return {m.uid: sha for m, sha in zip(chunk, shas, strict=True)}


@dataclass
class _Chunk:
    """A fetched chunk, ready to be handled: its messages in UID order, each parsed (None: it
    did not parse, its unit of work parses it again and records the failure), {uid: raw
    sha256} of those whose raw blob is stored and recorded, and for each whether the ledger
    held none of its keys when the chunk was read (`storage.ingest.known_keys`)."""

    mails: list[FetchedMail]
    parsed: list[MailMessage | None]
    recorded: dict[int, str]
    new: list[bool]


def _parse_ahead(raw: bytes, max_attachment_bytes: int) -> MailMessage | None:
    try:
        return parse_mail(raw, max_attachment_bytes=max_attachment_bytes)
    except Exception:  # noqa: BLE001 — the message's own unit of work parses it again and records why
        return None


def new_in_chunk(keys: list[tuple[int, str, str | None]], known: tuple[set[int], set[str], set[str]]) -> list[bool]:
    """For each message of a chunk (uid, raw sha256, Message-ID): True when the ledger held
    none of its keys and no earlier message of the chunk shares its bytes or Message-ID (that
    one's look-up must see the earlier row, written by this run)."""
    uids, shas, message_ids = known
    earlier_shas: set[str] = set()
    earlier_ids: set[str] = set()
    out = []
    for uid, sha, message_id in keys:
        held = uid in uids or sha in shas or sha in earlier_shas or (bool(message_id) and (message_id in message_ids or message_id in earlier_ids))
        out.append(not held)
        earlier_shas.add(sha)
        if message_id:
            earlier_ids.add(message_id)
    return out


def _known_new(app: App, key: str, uidvalidity: int, chunk: list[FetchedMail], parsed: list[MailMessage | None], shas: list[str]) -> list[bool]:
    """One ledger read for the whole chunk instead of one per message (`new_in_chunk`). A
    failure only logs: every message is then looked up on its own, as before."""
    keys = [(m.uid, sha, p.message_id if p is not None else None) for m, p, sha in zip(chunk, parsed, shas, strict=True)]
    try:
        with app.session() as session:
            known = known_keys(key, uidvalidity, keys, session=session)
    except Exception:  # noqa: BLE001 — each message's own look-up still runs
        log.warning("could not read the ledger for a fetched chunk; looking messages up one by one", exc_info=True)
        return [False] * len(chunk)
    return [fresh and p is not None for fresh, p in zip(new_in_chunk(keys, known), parsed, strict=True)]


def _fetched(
    source: ImapSource, uids: list[int], sizes: dict[int, int], ahead: AheadParse | None, busy: list[str], app: App
) -> Iterator[_Chunk]:
    """The messages in UID order, chunk by chunk, one chunk fetched, parsed (and its files
    handed to the parse pool) ahead of the one being handled. A chunk's raw messages are
    stored by a writer thread (the disk's work, which releases the GIL, overlaps the handling
    of the chunk before) and are on disk, and their blob rows committed, before any message of
    the chunk is handed out; then the ledger is read once for all of their keys. A refusal
    mid-way ends the run after what was already fetched; the rest waits for the next run (the
    last UID only moves past handled messages). A reply this client cannot read (MailboxError)
    fails the run too, but only after the chunks fetched before it are handled."""
    chunks: Iterable[list[FetchedMail]] = source.fetch_chunks(uids, sizes)
    iterator = iter(chunks)
    cap = app.settings.max_file_bytes
    broken: list[MailboxError] = []
    with ThreadPoolExecutor(1, thread_name_prefix="raw-ahead") as writer:

        def pull() -> tuple[list[FetchedMail], list[MailMessage | None], Future[list[str] | None], Future[None]] | None:
            if busy:
                return None
            try:
                chunk = next(iterator, None)
            except MailboxBusy as err:
                busy.append(str(err))
                return None
            except MailboxError as err:  # the chunk ahead could not be read: the one in hand still is
                broken.append(err)
                return None
            if chunk is None:
                return None
            stored = writer.submit(_store_raw_ahead, app.blobs, chunk)
            parsed = [_parse_ahead(m.raw, cap) for m in chunk]
            if chunk and ahead is not None:
                ahead.submit([p for p in parsed if p is not None])
            # Their files too, synced together (each message's unit of work then finds its
            # files' blobs on disk and only records them).
            files = writer.submit(_store_files_ahead, app.blobs, parsed)
            return chunk, parsed, stored, files

        current = pull()
        while current is not None:
            following = pull()
            chunk, parsed, stored, files = current
            shas = stored.result()
            files.result()
            recorded = _record_raw_ahead(app, chunk, shas)  # raw first
            if chunk:
                # Only recorded messages skip their look-up (the others store their raw blob
                # in their own unit of work and are looked up there, as before).
                new = _known_new(app, source.key, source.uidvalidity, chunk, parsed, [recorded.get(m.uid) or sha256_hex(m.raw) for m in chunk])
                yield _Chunk(chunk, parsed, recorded, new)
            current = following
    if broken:  # after every chunk fetched before it was handled (and its last UID moved)
        raise broken[0]


def _mark_on_server(app: App, source: ImapSource, items: list[tuple[int, int]], report: IngestReport) -> None:
    """Flag or move what the database holds. A refusal is not fatal: the ledger already keeps
    those messages from being handled twice, and the next run tries again."""
    if not items:
        return
    try:
        source.mark_done([uid for _, uid in items])
    except (MailboxFlagError, MailboxMoveError, MailboxFolderCreateError, MailboxError, imaplib.IMAP4.abort, OSError) as err:
        log.warning("server mark refused: %s", err)
        report.errors.append(f"máy chủ thư không cho đánh dấu/chuyển {len(items)} thư đã xử lý (sẽ thử lại): {err}")
        return
    with app.session() as session:
        mark_done_on_server([mid for mid, _ in items], utcnow(), session=session)


def _send_receipts(ctx: Context, report: IngestReport) -> dict[str, Any] | None:
    """Deliver every receipt still owed in each open campaign (this run's, reserved with each
    message, and any an earlier run left behind); a failure here never fails the ingest."""
    sent: list[dict[str, Any]] = []
    for c in ctx.every:
        try:
            done = deliver_pending_receipts(c.app, c.campaign)
        except Exception as err:  # noqa: BLE001 — receipts are a courtesy: the ingest itself succeeded
            log.exception("receipts failed")
            report.errors.append(f"không gửi được thư xác nhận (sẽ gửi lại ở lần chạy sau): {err}")
            continue
        if done:
            sent.append(done)
    if len(sent) <= 1:
        return sent[0] if sent else None
    return {k: [x for r in sent for x in r.get(k, [])] for k in ("sent", "skipped", "failed")}
