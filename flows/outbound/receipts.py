"""Receipts: after a submission is recorded, tell its sender what was read (in Vietnamese).

Never to auto-replies, bounces, mailing lists, no-reply addresses, our own mail or unrelated
mail; one per message on arrival (slot `mail:<inbound_mail_id>` in the outbound ledger) and, for a
message held on arrival (files unreadable or waiting for a person) whose report a person then
records, one more saying what was recorded (`mail:<id>:sau-kiem-tra`); off when
`campaign.receipts.enabled` is false. Sent through `flows.outbound.delivery.deliver`.

A message that answered several campaigns (a report for each request) gets ONE receipt listing
what was recorded for each, each campaign's request named. It is kept under the campaign of the
first report recorded from the message (the receipt's owner; a campaign with receipts off is
not one) and the ledger's unique index on a receipt's slot makes a second one impossible.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.campaign import Campaign
from flows.app import App, deadline_end, deadlines
from flows.outbound.delivery import Draft, deliver
from parsers.mail import MailMessage, parse_mail
from parsers.mail_classify import bare_subject, is_automatic, is_noreply
from parsers.mailids import make_message_id
from parsers.model import BY_GROUP
from parsers.numbers import vn_number
from parsers.vocab import OutboundKind, OutboundStatus, display_id
from reports.mailtext import render_mail, render_subject
from storage.models import (
    ContactRow,
    Document,
    InboundMail,
    IndicatorValue,
    OutboundMail,
    RecipientRow,
    SectionAnswer,
    Submission,
)
from storage.outbound import reserve_outbound

WHAT = {"report": "báo cáo", "nil_report": "báo cáo (không phát sinh nội dung)"}
# The slot of the receipt sent when a person records the report of a message held on arrival.
AFTER_REVIEW = ":sau-kiem-tra"


def rejected_files(docs: list[Document]) -> list[dict[str, Any]]:
    """Files that could not be read, zip members included, with the reason."""
    out: list[dict[str, Any]] = []
    for doc in docs:
        if doc.status == "rejected":
            out.append({"file": doc.filename, "reason": doc.error_message or doc.error_code})
        for member in (doc.parse_result or {}).get("members") or []:
            if member.get("error"):
                out.append({"file": f"{doc.filename} › {member.get('file')}", "reason": member["error"].get("message")})
    return out


def receipt_context(
    campaign: Campaign, mail: InboundMail, sub: Submission, recipient: RecipientRow, *, session: Session
) -> dict[str, Any]:
    """Everything the receipt template shows."""
    tz = campaign.tz
    outline = campaign.outline
    headings = {s.id: s.heading for s in outline.sections}
    labels = {r.id: r.label for r in outline.table.rows}
    docs = list(session.scalars(select(Document).where(Document.inbound_mail_id == mail.id).order_by(Document.part_index)))
    # A message that answered two campaigns: each receipt speaks of the files routed to its own.
    routed = ((mail.details or {}).get("routing") or {}).get("files") or {}
    docs = [d for d in docs if routed.get(str(d.part_index), campaign.id) == campaign.id]
    # What was recorded (the main file, gaps filled from its companions), ordered as the outline.
    order = {r.id: i for i, r in enumerate(outline.table.rows)}
    rows = sorted(
        session.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub.id)),
        key=lambda r: order.get(r.row_id, 99),
    )
    indicators = [
        {
            "id": row.row_id,
            "label": labels.get(row.row_id, row.row_id),
            "plan": vn_number(row.plan, blank="—"),
            "result": vn_number(row.result, blank="—"),
            "rate": vn_number(row.rate, 1, blank="—") + ("%" if row.rate is not None else ""),
            # "-", "Không", "0": the agency's answer "none", shown as such (never as missing).
            "none": _none_text(row) if row.explicit_none else "",
        }
        for row in rows
        if row.plan is not None or row.result is not None or row.explicit_none
    ]
    section_order = {s.id: i for i, s in enumerate(outline.sections)}
    answered = sorted(
        (
            a.section_id
            for a in session.scalars(select(SectionAnswer).where(SectionAnswer.submission_id == sub.id))
            if a.part in ("section", BY_GROUP) and (not a.empty or a.explicit_none)
        ),
        key=lambda sid: section_order.get(sid, 99),
    )
    # Missing sections and rows are listed on their own; the rest (rates, units…) are problems.
    problems = [
        p.get("message", "")
        for p in sub.problems or []
        if isinstance(p, dict) and p.get("code") not in ("section_not_found", "row_missing", "rate_computed", "draft")
    ]
    # The agency's own deadline (an extension), as `baocao status` judges lateness.
    deadline = own_deadline(campaign, recipient.id, session=session)
    return _one_answer({
        **_receipt_heading(campaign, mail, sub, recipient),
        "deadline": deadline,
        "late": sub.received_at > deadline_end(campaign, deadline),
        "files": [d.filename for d in docs if d.status == "parsed"],
        "received_files": [],
        # "Đã ký số bởi … lúc …" for every digital signature of the files read.
        "signed": [f"{d.filename}: {sig.get('summary', '')}" for d in docs for sig in (d.signatures or [])],
        "scanned": [d.filename for d in docs if d.ocr],
        "answered": [display_id(a) for a in answered],
        "total_sections": len(outline.sections),
        "missing_sections": [{"id": display_id(s), "heading": headings.get(s, s)} for s in sub.missing_sections or []],
        "missing_rows": list(sub.missing_rows or []),
        "indicators": indicators,
        "problems": problems,
        # No number and no date (req. 7): said once, on its own line, not among the problems.
        "draft": bool(sub.draft),
        # An appendix sent after its report: the report it joined (its number and date).
        "joined": _joined(sub, docs, tz),
        "rejected": rejected_files(docs),
    })


def _one_answer(context: dict[str, Any]) -> dict[str, Any]:
    """A receipt's context speaking of one campaign: `answers` (what the template lists, one
    part per campaign the message answered) holds it alone."""
    context["answers"] = [context]
    return context


def _several(count: int) -> str:
    """What one receipt says it received for a message that answered several campaigns."""
    return f"{count} báo cáo"


def combined_context(parts: list[dict[str, Any]]) -> dict[str, Any]:
    """The context of one receipt for what a message brought: the first campaign's context,
    with `answers` listing each campaign's (its request, what was recorded). One answer:
    the receipt reads as it always did."""
    first = parts[0]
    several = len(parts) > 1
    return {
        **first,
        "answers": parts,
        "what": _several(len(parts)) if several else first["what"],
        # Each campaign has its own deadline: a late one is said in its own part.
        "late": first["late"] and not several,
    }


def _receipt_heading(campaign: Campaign, mail: InboundMail, sub: Submission, recipient: RecipientRow) -> dict[str, Any]:
    """What a receipt's subject line usually shows: known without a query."""
    return {
        "what": WHAT.get(sub.kind, "báo cáo"),
        "kind": sub.kind,
        "original_subject": bare_subject(mail.subject or "") or "(không có tiêu đề)",
        "recipient": {"name": recipient.name, "code": recipient.code},
        "request": campaign.request.model_dump(),
        "received_at": sub.received_at.astimezone(campaign.tz).strftime("%H:%M ngày %d/%m/%Y"),
    }


def own_deadline(campaign: Campaign, recipient_id: int | None, *, session: Session) -> dt.date:
    """The recipient's deadline: its extension if it has one, else the campaign's."""
    if recipient_id is None:
        return campaign.deadline
    return deadlines(campaign, session=session).get(recipient_id, campaign.deadline)


def _joined(sub: Submission, docs: list[Document], tz: Any) -> str:
    """"Báo cáo số 15/BC-STP ngày 10/06/2025" when this message's file joined a report that
    came earlier (the submission rests on another message's document); else ""."""
    if sub.document_id is None or sub.document_id in {d.id for d in docs}:
        return ""
    when = f" ngày {sub.doc_date:%d/%m/%Y}" if sub.doc_date else ""
    return f"Báo cáo số {sub.doc_number}{when}" if sub.doc_number else "báo cáo đã gửi trước"


def _none_text(row: IndicatorValue) -> str:
    """How the agency wrote its "none" ("-", "Không có", "0")."""
    raws = [str(v.get("raw") or "").strip() for v in (row.values or {}).values() if v.get("source") == "explicit_none"]
    shown = next((r for r in raws if r), "")
    return f"không phát sinh (đơn vị ghi «{shown}»)" if shown else "không phát sinh"


def _main_submissions(app: App, mail_id: int, senders: set[str | None], *, session: Session) -> list[tuple[Campaign, Submission]]:
    """Per campaign that recorded a report or nil report from the message (and sends
    receipts), the submission its part of the receipt speaks of — when a message carried
    several agencies' reports (a Sở passing on a unit's), the sender's own one, else the first
    recorded — in the order they were recorded: the first campaign owns the receipt."""
    subs = list(
        session.scalars(
            select(Submission)
            .where(Submission.inbound_mail_id == mail_id, Submission.kind.in_(("report", "nil_report")))
            .order_by(Submission.id)
        )
    )
    if not subs:
        return []
    campaigns = {c.id: c for c in app.campaigns if c.receipts.enabled}
    if len(subs) > 1:
        owners = set(session.scalars(select(ContactRow.recipient_id).where(ContactRow.email.in_([s for s in senders if s]))))
        ranked = sorted(subs, key=lambda sub: sub.recipient_id not in owners)
    else:
        ranked = subs
    main: dict[str, Submission] = {}
    for sub in ranked:
        main.setdefault(sub.campaign_id, sub)
    order = list(dict.fromkeys(sub.campaign_id for sub in subs))
    return [(campaigns[cid], main[cid]) for cid in order if cid in campaigns]


def receipt_drafts(app: App, campaign: Campaign, mail_ids: list[int]) -> list[Any]:
    """Drafts for the messages that deserve a receipt: the one on arrival and, for a message a
    person has since settled, the one saying what was recorded (each under its own slot, so
    delivery sends each once)."""
    drafts: list[Any] = []
    with app.session() as session:
        for mail_id in mail_ids:
            mail = session.get(InboundMail, mail_id)
            if mail is None:
                continue
            parsed = parse_mail(app.blobs.read(mail.raw_sha256))
            first = receipt_draft(app, campaign, mail, parsed, session=session)
            if first is None:
                continue
            drafts.append(first)
            if _held(mail):  # held on arrival: what a person has since recorded, if anything
                later = _report_draft(app, campaign, mail, parsed, first.to[0], f"mail:{mail.id}{AFTER_REVIEW}", session=session)
                if later is not None:
                    drafts.append(later)
    return drafts


def receipt_draft(
    app: App, campaign: Campaign, mail: InboundMail, parsed: MailMessage, *, session: Session, text: bool = True
) -> Draft | None:
    """The receipt one message deserves on arrival, or None (automatic mail, nothing recorded):
    what was recorded, or that its files could not be read, or that they wait for a person.
    `text=False`: only whether one is due and its subject (the outbox row reserved on arrival;
    the text is rendered when it is sent) — a recorded report's text is not rendered then."""
    to = _receipt_address(parsed)
    if to is None:
        return None
    held = _held(mail)
    if held:
        return _held_draft(app, campaign, mail, parsed, to, held, session=session)
    if mail.classification not in ("submission", "nil_report"):
        return None
    return _report_draft(app, campaign, mail, parsed, to, f"mail:{mail.id}", session=session, text=text)


def _receipt_address(parsed: MailMessage) -> str | None:
    """Where a receipt goes: the reply address of a person's mail (never an automatic one)."""
    to = parsed.reply_to or parsed.from_addr
    if not to or is_automatic(parsed) or is_noreply(to):
        return None
    return to


def _held(mail: InboundMail) -> str | None:
    """"unreadable" or "to_check" when the message's report was not recorded on arrival."""
    outcome = (mail.details or {}).get("outcome", {})
    return "unreadable" if outcome.get("unreadable") else "to_check" if outcome.get("to_check") else None


def _report_draft(
    app: App, campaign: Campaign, mail: InboundMail, parsed: MailMessage, to: str, slot: str, *, session: Session,
    text: bool = True,
) -> Draft | None:
    """The receipt of what was recorded from the message (None: nothing recorded). It speaks
    of every campaign the message answered and belongs to the first of them (`_main_submissions`),
    whichever campaign asks for it: a message gets one receipt, not one per campaign."""
    answers = _main_submissions(app, mail.id, {parsed.from_addr, parsed.reply_to} - {None}, session=session)
    if not answers:
        return None
    owner, sub = answers[0]
    parts = [(c, s, session.get(RecipientRow, s.recipient_id)) for c, s in answers]
    recipient = parts[0][2]
    assert all(r is not None for _, _, r in parts) and recipient is not None

    def context() -> dict[str, Any]:
        return combined_context([receipt_context(c, mail, s, r, session=session) for c, s, r in parts])

    if not text:
        heading = _receipt_heading(owner, mail, sub, recipient)
        if len(parts) > 1:  # what the subject line shows of several (the rest needs the whole context)
            heading["what"] = _several(len(parts))
        subject = render_subject(app.settings.templates_dir, "receipt", heading, context)
        return _reply(owner, mail, parsed, to, recipient.id, subject, "", slot=slot)
    subject, body = render_mail(app.settings.templates_dir, "receipt", context())
    return _reply(owner, mail, parsed, to, recipient.id, subject, body, slot=slot)


def reserve_receipt(app: App, campaign: Campaign, mail: InboundMail, parsed: MailMessage, *, session: Session) -> int | None:
    """The outbox: reserve a message's receipt (a `pending` ledger row) in the message's own
    unit of work, so a run that dies after the commit leaves the receipt owed, not forgotten.
    Returns the ledger row's id (None: no receipt is due). The caller commits."""
    if not campaign.receipts.enabled:
        return None
    session.flush()  # the submissions just written are what the receipt speaks of
    draft = receipt_draft(app, campaign, mail, parsed, session=session, text=False)
    if draft is None:
        return None
    row, _ = reserve_outbound(
        {
            "campaign_id": draft.campaign_id,
            "recipient_id": draft.recipient_id,
            "kind": draft.kind,
            "slot": draft.slot,
            "to_addrs": list(draft.to),
            "subject": draft.subject,
            "message_id": make_message_id(draft.kind, app.settings.smtp.sender),
            "in_reply_to_mail_id": mail.id,
        },
        session=session,
    )
    return row.id


def _held_draft(
    app: App, campaign: Campaign, mail: InboundMail, parsed: Any, to: str, held: str, *, session: Session
) -> Any:
    """A receipt saying the report is not recorded yet: its files could not be read
    (`unreadable`), or they are no outline report and a person will look (`to_check`)."""
    docs = list(session.scalars(select(Document).where(Document.inbound_mail_id == mail.id).order_by(Document.part_index)))
    recipient = session.get(RecipientRow, mail.recipient_id) if mail.recipient_id else None
    if held == "unreadable":
        problem = "Chưa ghi nhận báo cáo vì không đọc được tệp đính kèm; đề nghị gửi lại tệp Word (.docx) hoặc Excel (.xlsx)."
    elif docs:
        problem = (
            "Tệp đính kèm chưa giống báo cáo theo đề cương của Công văn nên chưa được ghi nhận là báo cáo; "
            "cán bộ sẽ xem tệp và gửi thư xác nhận khi ghi nhận. Nếu đây chưa phải báo cáo theo đề cương, "
            "đề nghị Quý cơ quan gửi báo cáo theo đề cương kèm theo Công văn."
        )
    else:  # the report written in the mail itself, no file
        problem = (
            "Nội dung báo cáo viết trong thư, không có tệp đính kèm, nên chưa được ghi nhận là báo cáo; "
            "cán bộ sẽ xem nội dung thư và gửi thư xác nhận khi ghi nhận. Đề nghị Quý cơ quan gửi kèm "
            "báo cáo bằng tệp Word (.docx) hoặc Excel (.xlsx) theo đề cương kèm theo Công văn."
        )
    context = {
        "what": "thư",
        "kind": held,
        "original_subject": bare_subject(mail.subject or "") or "(không có tiêu đề)",
        "recipient": {"name": recipient.name if recipient else "Quý cơ quan", "code": recipient.code if recipient else ""},
        "request": campaign.request.model_dump(),
        "deadline": own_deadline(campaign, mail.recipient_id, session=session),
        "late": False,
        "received_at": (mail.internal_date or mail.date_header or mail.created_at).astimezone(campaign.tz).strftime("%H:%M ngày %d/%m/%Y"),
        "files": [],
        "received_files": [d.filename or f"tệp {d.part_index + 1}" for d in docs if d.status != "rejected"] if held == "to_check" else [],
        "signed": [],
        "scanned": [],
        "answered": [],
        "total_sections": len(campaign.outline.sections),
        "missing_sections": [],
        "missing_rows": [],
        "indicators": [],
        "problems": [problem],
        "draft": False,
        "joined": "",
        "rejected": rejected_files(docs),
    }
    subject, text = render_mail(app.settings.templates_dir, "receipt", _one_answer(context))
    return _reply(campaign, mail, parsed, to, mail.recipient_id, subject, text, slot=f"mail:{mail.id}")


def _reply(
    campaign: Campaign, mail: InboundMail, parsed: Any, to: str, recipient_id: int | None, subject: str, text: str, *, slot: str
) -> Any:
    """The receipt as a reply to the agency's message (threaded, auto-replied, one per message)."""
    refs = tuple(r for r in (*parsed.references, parsed.message_id) if r)
    return Draft(
        campaign_id=campaign.id,
        recipient_id=recipient_id,
        kind="receipt",
        slot=slot,
        to=[to],
        subject=subject,
        text=text,
        in_reply_to=parsed.message_id,
        references=refs[-20:],
        auto_submitted="auto-replied",
        in_reply_to_mail_id=mail.id,
    )


def send_receipts(app: App, campaign: Campaign, mail_ids: list[int], *, actor: str = "system") -> dict[str, Any] | None:
    """Draft and deliver the receipts (`actor`: the person whose decision sends them, named in
    the log); the DeliveryReport as JSON."""
    if not campaign.receipts.enabled:
        return None
    drafts = [replace(d, requested_by=actor) for d in receipt_drafts(app, campaign, mail_ids)]
    if not drafts:
        return None
    _keep_reserved_keys(app, drafts)
    if not app.settings.smtp.host:
        return {"sent": [], "skipped": [{"recipient": d.recipient_id, "reason": "chưa cấu hình máy chủ gửi thư"} for d in drafts], "failed": []}
    return deliver(app, drafts).to_json()


def _keep_reserved_keys(app: App, drafts: list[Draft]) -> None:
    """A receipt already reserved keeps its ledger key (the recipient may have been assigned
    since): one receipt per message, whatever happened in between."""
    with app.session() as session:
        reserved = {
            row.slot: (row.campaign_id, row.recipient_id)
            for row in session.scalars(
                select(OutboundMail).where(
                    OutboundMail.kind == OutboundKind.RECEIPT,
                    OutboundMail.slot.in_([d.slot for d in drafts]),
                )
            )
        }
    for draft in drafts:
        if draft.slot in reserved:
            draft.campaign_id, draft.recipient_id = reserved[draft.slot]


def deliver_pending_receipts(app: App, campaign: Campaign) -> dict[str, Any] | None:
    """Send every receipt still owed (reserved and never sent, or failed): each run does this,
    whichever command it is, so a crash or an SMTP outage only delays a receipt."""
    if not campaign.receipts.enabled:
        return None
    with app.session() as session:
        mail_ids = receipts_to_retry(campaign.id, exclude=set(), session=session)
    if not mail_ids:
        return None
    return send_receipts(app, campaign, mail_ids)


def receipts_to_retry(campaign_id: str, exclude: set[int], *, session: Session) -> list[int]:
    """Messages whose receipt is owed: reserved and not sent yet, or failed (SMTP down)."""
    ids = session.scalars(
        select(OutboundMail.in_reply_to_mail_id).where(
            OutboundMail.campaign_id == campaign_id,
            OutboundMail.kind == OutboundKind.RECEIPT,
            OutboundMail.status.in_((OutboundStatus.PENDING, OutboundStatus.FAILED)),
            OutboundMail.in_reply_to_mail_id.is_not(None),
        )
    )
    return sorted({i for i in ids if i is not None} - exclude)
