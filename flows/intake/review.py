"""The review queue: a person settles what baocao could not decide alone.

`assign_item` records the submission the item stood for, for the recipient the person chose;
`dismiss_item` closes it without recording anything. The document is read again from its
stored bytes (raw first: the blob is the source of truth), so the submission gets the same
typed values, with provenance, as one recorded automatically.
"""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign
from flows.app import App, outline_spec
from flows.intake.context import default_parse, make_context
from flows.intake.errors import IntakeError
from flows.intake.folder import record_routed_file
from flows.intake.mail import record_routed
from flows.outbound.receipts import send_receipts
from parsers.api import parse_text
from parsers.mail import parse_mail
from parsers.mail_classify import Attribution
from parsers.model import ParseResult
from parsers.vocab import ANSWER_KINDS, ItemStatus, ReviewKind, ReviewStatus
from storage.campaigns import recipient_by_code
from storage.models import (
    Document,
    Event,
    InboundFile,
    InboundMail,
    RecipientRow,
    ReviewItem,
    Submission,
    utcnow,
)
from storage.submissions import record_submission

log = logging.getLogger(__name__)


class ReviewError(IntakeError):
    """A review item cannot be settled as asked (the message says why, in Vietnamese)."""


def _open_item(session: Session, item_id: int) -> ReviewItem:
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise ReviewError(f"không có mục chờ xem xét số {item_id} (xem: baocao review)")
    if item.status != ReviewStatus.OPEN:
        raise ReviewError(f"mục {item_id} đã được xử lý ({item.status})")
    return item


def _planned_document(app: App, campaign: Campaign, session: Session, plan: dict[str, Any]) -> tuple[Document | None, ParseResult | None]:
    """The document a review plan rests on, read again from its blob (the zip member if any)."""
    doc = session.get(Document, plan["document_id"]) if plan.get("document_id") else None
    if doc is None and plan.get("body_of_mail"):  # a report written in the mail itself
        row = session.get(InboundMail, plan["body_of_mail"])
        if row is None:
            return None, None
        mail = parse_mail(app.blobs.read(row.raw_sha256), max_attachment_bytes=app.settings.max_file_bytes)
        return None, parse_text(mail.new_text[:20000], outline_spec(campaign))
    if doc is None:
        return None, None
    parse = default_parse(app.settings.max_file_bytes, trust_dir=app.settings.trust_dir)
    result = parse(app.blobs.read(doc.sha256), doc.filename or "", outline_spec(campaign))
    if plan.get("member") is not None and result.members:
        result = result.members[plan["member"]]
    return doc, result


def _settle_source(session: Session, item: ReviewItem, recipient_id: int) -> None:
    """The message or file the item came from is now processed and attributed."""
    source: InboundMail | InboundFile | None = None
    if item.inbound_mail_id:
        source = session.get(InboundMail, item.inbound_mail_id)
    elif item.inbound_file_id:
        source = session.get(InboundFile, item.inbound_file_id)
    if source is not None and source.status == ItemStatus.REVIEW:
        source.status, source.recipient_id, source.attributed_by = ItemStatus.PROCESSED, recipient_id, "review"

def accept_problem(session: Session, item: ReviewItem, actor: str) -> dict[str, Any]:
    """A person checked the figures a problem item is about and accepts them as they are
    (or corrected them): the item closes, the report stops marking them."""
    item.status, item.resolved_by, item.resolved_at = ReviewStatus.RESOLVED, actor, utcnow()
    sub = session.get(Submission, item.submission_id) if item.submission_id else None
    item.resolved_recipient_id = sub.recipient_id if sub else None
    session.add(
        Event(
            campaign_id=item.campaign_id,
            recipient_id=item.resolved_recipient_id,
            kind="review_problem_accepted",
            actor=actor,
            message=f"Mục {item.id}: số liệu đã được kiểm tra",
            data={"item": item.id, "submission_id": item.submission_id},
        )
    )
    recipient = session.get(RecipientRow, item.resolved_recipient_id) if item.resolved_recipient_id else None
    return {
        "item": item.id,
        "status": ReviewStatus.RESOLVED,
        "recipient": recipient.code if recipient else None,
        "name": recipient.name if recipient else "",
        "submission_id": item.submission_id,
        "created": False,
    }


def assign_item(
    app: App, item_id: int, recipient_code: str | None, actor: str = "cán bộ", campaign_id: str | None = None
) -> dict[str, Any]:
    """Settle a review item: record the submission it stood for, for the recipient given (a
    message in doubt between campaigns needs the campaign; the agency is then optional)."""
    with app.session() as session:
        first = _open_item(session, item_id)
        if first.kind == ReviewKind.PROBLEM:  # the figures are accepted as they are
            return accept_problem(session, first, actor)
        route = (first.plan or {}).get("kind") == "route"
    if route:
        return _assign_route(app, item_id, campaign_id, recipient_code, actor)
    if not recipient_code:
        raise ReviewError("cần mã đơn vị (ma_don_vi) để gán mục này")
    with app.session() as session:
        item = _open_item(session, item_id)
        if campaign_id and item.campaign_id and campaign_id != item.campaign_id:
            raise ReviewError(f"mục {item_id} thuộc chiến dịch {item.campaign_id}, không phải {campaign_id}")
        campaign = app.campaign(item.campaign_id)
        recipient = recipient_by_code(campaign.id, recipient_code.strip().lower(), session=session)
        if recipient is None or not recipient.active:
            raise ReviewError(f"không có đơn vị mã {recipient_code!r} trong chiến dịch {campaign.id}")
        plan = item.plan or {}
        doc, parsed = _planned_document(app, campaign, session, plan)
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
            section_ids=campaign.required_sections,
            row_ids=campaign.required_rows,
            actor=actor,
            explicit_none_is_answer=campaign.completeness.explicit_none_is_answer,
        )
        item.status, item.resolved_recipient_id = ReviewStatus.RESOLVED, recipient.id
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
    if mail_id is not None and recorded.created and recorded.submission.kind in ANSWER_KINDS:
        result["receipts"] = _receipt_after_assign(app, campaign, mail_id, actor)
    return result


def _assign_route(app: App, item_id: int, campaign_id: str | None, recipient_code: str | None, actor: str) -> dict[str, Any]:
    """A message in doubt between campaigns: record it under the campaign the person chose."""
    with app.session() as session:
        item = _open_item(session, item_id)
        choices = list((item.plan or {}).get("campaigns") or [])
        if not campaign_id and len(choices) != 1:
            raise ReviewError(f"mục {item_id}: chọn chiến dịch (--campaign), một trong: {', '.join(choices)}")
        campaign = app.campaign(campaign_id or choices[0])
        ctx = make_context(app, campaign.id).load()
        forced = None
        if recipient_code:
            recipient = recipient_by_code(campaign.id, recipient_code.strip().lower(), session=session)
            if recipient is None or not recipient.active:
                raise ReviewError(f"không có đơn vị mã {recipient_code!r} trong chiến dịch {campaign.id}")
            forced = Attribution(recipient.id, "review")
        if item.inbound_file_id:  # a dropped file in doubt between campaigns
            dropped = session.get(InboundFile, item.inbound_file_id)
            assert dropped is not None
            outcome = record_routed_file(ctx, dropped, forced, session=session)
            if outcome["status"] == ItemStatus.FAILED:
                raise ReviewError(f"tệp không phải báo cáo của chiến dịch {campaign.id} ({outcome.get('error')}): hãy bỏ qua mục này")
            mail_id, answered = None, False
        else:
            row = session.get(InboundMail, item.inbound_mail_id)
            assert row is not None
            mail = parse_mail(app.blobs.read(row.raw_sha256), max_attachment_bytes=app.settings.max_file_bytes)
            outcome = record_routed(ctx, row, mail, forced, session=session)
            if outcome["status"] == ItemStatus.PROCESSED and not outcome.get("units") and not outcome.get("bounced"):
                raise ReviewError(f"thư không có báo cáo hay trả lời nào cho chiến dịch {campaign.id}: hãy bỏ qua mục này")
            mail_id, answered = row.id, row.classification in ("submission", "nil_report")
        item.status, item.campaign_id = ReviewStatus.RESOLVED, campaign.id
        item.resolved_recipient_id = forced.recipient_id if forced else None
        item.resolved_by, item.resolved_at = actor, utcnow()
        session.add(
            Event(
                campaign_id=campaign.id,
                kind="review_routed",
                actor=actor,
                message=f"Mục {item_id}: thư được xếp vào chiến dịch {campaign.id}",
                data={"item": item_id, "campaign": campaign.id, "outcome": outcome.get("status")},
            )
        )
        result: dict[str, Any] = {"item": item_id, "campaign": campaign.id, "status": outcome["status"], "units": outcome.get("units", [])}
    if answered and mail_id is not None and outcome["status"] == ItemStatus.PROCESSED:
        result["receipts"] = _receipt_after_assign(app, campaign, mail_id, actor)
    return result


def _receipt_after_assign(app: App, campaign: Campaign, mail_id: int, actor: str) -> dict[str, Any] | None:
    try:
        return send_receipts(app, campaign, [mail_id], actor=actor)
    except Exception as err:  # noqa: BLE001 — a courtesy: the assignment itself is done
        log.exception("receipt after assign failed")
        return {"error": str(err)}


def dismiss_item(app: App, item_id: int, reason: str = "", actor: str = "cán bộ") -> dict[str, Any]:
    """Close a review item without recording anything (not from a recipient, not a report)."""
    reason = unicodedata.normalize("NFC", reason.strip())  # the CLI's --ly-do as the web's form: NFC
    with app.session() as session:
        item = _open_item(session, item_id)
        item.status, item.resolved_by, item.resolved_at = ReviewStatus.DISMISSED, actor, utcnow()
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
