"""Exactly-once delivery of our mail (requests, reminders, receipts, alerts).

Protocol per (campaign, recipient, kind, slot): (1) reserve a `pending` ledger row in one
transaction; (2) claim it (`sending`, .eml stored) and commit; (3) send over the batch's one
SMTP connection; (4) confirm (`sent`, an Event) and commit. A crash between (1) and (2) leaves
`pending`: the next run sends it. A crash between (3) and (4) leaves `sending`: we cannot know
whether the server took it, and we do NOT resend it (at most once for that case; `baocao
history` shows it as unknown for a person to check). SMTP refusals and unreachable servers
leave `failed`, retried at the next run that drafts the same key.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from config.errors import ConfigError
from config.settings import SmtpSettings
from flows.adapters.smtp import SmtpConnectError, SmtpSender, SmtpSendError
from flows.app import App
from flows.errors import FlowsError
from flows.faults import hook
from flows.outbound.mailheaders import OUTBOUND
from parsers.mailids import make_message_id
from parsers.routing import reply_token_address
from parsers.vocab import OutboundKind
from reports.reminders import OUTBOX_WORDS, slot_label
from storage.blobs import store_blob
from storage.models import OutboundMail, RecipientRow, utcnow
from storage.outbound import (
    RETRYABLE,
    add_event,
    claim_outbound,
    confirm_outbound,
    existing_outbound,
    fail_outbound,
    reminder_of_day,
    reserve_outbound,
    resolve_unknown,
)

log = logging.getLogger(__name__)
MAIL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
KIND_LABELS = OutboundKind.labels()


@dataclass
class Draft:
    """A mail we want to send once per (campaign, recipient, kind, slot)."""

    campaign_id: str
    recipient_id: int | None
    kind: str
    slot: str
    to: list[str]
    subject: str
    text: str
    html: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    auto_submitted: str = "auto-generated"
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, data, mime type)
    in_reply_to_mail_id: int | None = None
    reply_to: str | None = None
    # Who asked for it (the audit log's actor of its "sent"/"failed" lines): a person's name
    # when sent from the workspace, else "system".
    requested_by: str = "system"
    # A reminder's day (ISO, campaign time zone): one reminder per recipient a day, whichever
    # slot (automatic or "nhắc ngay"), held by the ledger's unique key.
    reminder_day: str | None = None


@dataclass
class DeliveryReport:
    """What a delivery run did: sent, skipped (already sent/unknown), failed; dry runs fill would_send."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    would_send: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        """The JSON contract: sent / skipped / failed (+ would_send on a dry run)."""
        data: dict[str, Any] = {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}
        if self.dry_run:
            data["dry_run"] = True
            data["would_send"] = self.would_send
        return data


@dataclass
class _Job:
    draft: Draft
    code: str
    row_id: int
    message_id: str


def deliver(app: App, drafts: Sequence[Draft], *, dry_run: bool = False) -> DeliveryReport:
    """Send each draft exactly once per key (see the module doc); never raises per message."""
    report = DeliveryReport(dry_run=dry_run)
    if not drafts:
        return report
    codes = _recipient_codes(app, drafts)
    preview = DeliveryReport(dry_run=True)
    _preview(app, drafts, codes, preview)
    if dry_run or not preview.would_send:
        preview.dry_run = dry_run
        return preview
    smtp = _smtp_settings(app)
    jobs = _reserve(app, drafts, codes, report)
    if jobs:
        _send_batch(app, smtp, jobs, report)
    return report


def _smtp_settings(app: App) -> SmtpSettings:
    smtp = app.settings.smtp
    if not smtp.host:
        raise ConfigError("chưa cấu hình máy chủ gửi thư: đặt BAOCAO_SMTP__HOST (và PORT, USER, PASSWORD)")
    if not smtp.sender:
        raise ConfigError("chưa cấu hình địa chỉ người gửi: đặt BAOCAO_SMTP__SENDER")
    return smtp


def _recipient_codes(app: App, drafts: Sequence[Draft]) -> dict[int | None, str]:
    ids = {d.recipient_id for d in drafts if d.recipient_id is not None}
    with app.session() as session:
        rows = session.execute(select(RecipientRow.id, RecipientRow.code).where(RecipientRow.id.in_(ids)))
        codes: dict[int | None, str] = {rid: code for rid, code in rows}
    codes[None] = ""
    return codes


def _entry(draft: Draft, code: str, **extra: Any) -> dict[str, Any]:
    return {"recipient": code, "to": list(draft.to), "kind": draft.kind, "slot": draft.slot, **extra}


def _skip_reason(status: str, sent_at: dt.datetime | None) -> str:
    if status == "sent":
        when = sent_at.astimezone(MAIL_TZ).strftime("%d/%m/%Y %H:%M") if sent_at else ""
        return f"đã gửi {when}".strip()
    return "lần gửi trước bị ngắt giữa chừng, không rõ thư đã đi hay chưa: không gửi lại, cần kiểm tra"


def _same_day_reason(row: OutboundMail) -> str:
    """Why a reminder is not sent: another one already has this recipient's day."""
    label = slot_label(row.slot)
    if row.status == "sent" and row.sent_at:
        return f"đã gửi thư nhắc hôm nay lúc {row.sent_at.astimezone(MAIL_TZ):%H:%M} ({label}); mỗi đơn vị nhận tối đa một thư nhắc mỗi ngày"
    return f"hôm nay đã có thư nhắc ({label}, {OUTBOX_WORDS.get(row.status, row.status)}); mỗi đơn vị nhận tối đa một thư nhắc mỗi ngày"


def _preview(app: App, drafts: Sequence[Draft], codes: dict[int | None, str], report: DeliveryReport) -> None:
    with app.session() as session:
        known = existing_outbound([(d.campaign_id, d.recipient_id, d.kind, d.slot) for d in drafts], session=session)
        for d in drafts:
            row = known.get((d.campaign_id, d.recipient_id, d.kind, d.slot))
            # A new reminder, or a retry on a later day: that day must be free.
            day_wanted = d.reminder_day and (row is None or (row.status in RETRYABLE and _later_day(d, row)))
            other = reminder_of_day(d.campaign_id, d.recipient_id, d.reminder_day, session=session) if day_wanted else None
            if other is not None:
                report.skipped.append(_entry(d, codes[d.recipient_id], reason=_same_day_reason(other), outbound_id=other.id))
            elif row is None or row.status in RETRYABLE:
                report.would_send.append(_entry(d, codes[d.recipient_id], subject=d.subject, text=d.text,
                                                attachments=[a[0] for a in d.attachments]))
            else:
                report.skipped.append(
                    _entry(d, codes[d.recipient_id], reason=_skip_reason(row.status, row.sent_at), outbound_id=row.id)
                )


def _later_day(d: Draft, row: OutboundMail) -> bool:
    """The draft's reminder day is not the day its ledger row was reserved for (a retry)."""
    return bool(d.reminder_day and row.reminder_day and row.reminder_day != d.reminder_day)


def _retry_takes_today(d: Draft, row: OutboundMail, *, session: Session) -> OutboundMail | None:
    """A reminder that failed on an earlier day and is retried today counts for today: it takes
    today's place in the one-a-day key, unless another reminder already has today (returned:
    the retry is not sent). Two runs moving rows onto one day meet the unique key (the savepoint
    keeps the rest of this run's reservations)."""
    if not _later_day(d, row):
        return None
    other = reminder_of_day(d.campaign_id, d.recipient_id, d.reminder_day, session=session)
    if other is not None:
        return other
    try:
        with session.begin_nested():
            row.reminder_day = d.reminder_day
            session.flush()
    except IntegrityError:
        return reminder_of_day(d.campaign_id, d.recipient_id, d.reminder_day, session=session)
    return None


def _reserve(app: App, drafts: Sequence[Draft], codes: dict[int | None, str], report: DeliveryReport) -> list[_Job]:
    jobs: list[_Job] = []
    with app.session() as session:
        for d in drafts:
            row, _ = reserve_outbound(
                {
                    "campaign_id": d.campaign_id,
                    "recipient_id": d.recipient_id,
                    "kind": d.kind,
                    "slot": d.slot,
                    "to_addrs": list(d.to),
                    "subject": d.subject,
                    "message_id": make_message_id(d.kind, app.settings.smtp.sender),
                    "in_reply_to_mail_id": d.in_reply_to_mail_id,
                    "reminder_day": d.reminder_day,
                },
                session=session,
            )
            if (row.kind, row.slot) != (d.kind, d.slot):  # the day's reminder, under another slot
                report.skipped.append(_entry(d, codes[d.recipient_id], reason=_same_day_reason(row), outbound_id=row.id))
            elif row.status in RETRYABLE and (other := _retry_takes_today(d, row, session=session)) is not None:
                report.skipped.append(_entry(d, codes[d.recipient_id], reason=_same_day_reason(other), outbound_id=other.id))
            elif row.status in RETRYABLE:
                jobs.append(_Job(d, codes[d.recipient_id], row.id, row.message_id))
            else:
                report.skipped.append(
                    _entry(d, codes[d.recipient_id], reason=_skip_reason(row.status, row.sent_at), outbound_id=row.id)
                )
    return jobs


def build_message(draft: Draft, message_id: str, smtp: SmtpSettings, now: dt.datetime) -> EmailMessage:
    """The MIME message: our Message-ID, Auto-Submitted, Date in Asia/Ho_Chi_Minh.

    Flatten it with `as_bytes(policy=OUTBOUND)` (see `flows.outbound.mailheaders`): the
    standard policy loses spaces in long Vietnamese subjects."""
    msg = EmailMessage(policy=OUTBOUND)
    msg["From"] = Address(display_name=smtp.sender_name or "", addr_spec=smtp.sender or "")
    msg["To"] = ", ".join(draft.to)
    msg["Subject"] = draft.subject
    msg["Date"] = format_datetime(now.astimezone(MAIL_TZ))
    msg["Message-ID"] = message_id
    msg["Auto-Submitted"] = draft.auto_submitted
    if draft.reply_to:
        msg["Reply-To"] = draft.reply_to
    if draft.in_reply_to:
        msg["In-Reply-To"] = draft.in_reply_to
    refs = [*draft.references] or ([draft.in_reply_to] if draft.in_reply_to else [])
    if refs:
        msg["References"] = " ".join(refs)
    msg["X-Baocao-Campaign"] = draft.campaign_id
    msg["X-Baocao-Kind"] = draft.kind
    msg.set_content(draft.text)
    if draft.html:
        msg.add_alternative(draft.html, subtype="html")
    for filename, data, mime in draft.attachments:
        mime = mime or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, _, subtype = mime.partition("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype or "octet-stream", filename=filename)
    return msg


def with_reply_token(draft: Draft, code: str, smtp: SmtpSettings) -> Draft:
    """With BAOCAO_SMTP__REPLY_TOKENS: Reply-To `local+<campaign>.<agency>@domain`, so the
    agency's reply routes and attributes exactly (parsers/routing.py reads it back)."""
    if not smtp.reply_tokens or not code or not smtp.sender or "@" not in smtp.sender or draft.reply_to:
        return draft
    return replace(draft, reply_to=reply_token_address(smtp.sender, draft.campaign_id, code))


def _send_batch(app: App, smtp: SmtpSettings, jobs: list[_Job], report: DeliveryReport) -> None:
    try:
        sender = SmtpSender(smtp)
        sender.open()
    except SmtpConnectError as err:
        _fail_all(app, jobs, str(err), report)
        return
    interval = 1.0 / smtp.rate_limit if smtp.rate_limit > 0 else 0.0
    last = 0.0
    try:
        for index, job in enumerate(jobs):
            wait = interval - (time.monotonic() - last)
            if last and wait > 0:
                time.sleep(wait)
            last = time.monotonic()
            if not _send_one(app, sender, smtp, job, report):
                _fail_all(app, jobs[index + 1 :], "mất kết nối với máy chủ gửi thư", report)
                return
    finally:
        sender.close()


def _send_one(app: App, sender: SmtpSender, smtp: SmtpSettings, job: _Job, report: DeliveryReport) -> bool:
    """Claim, send, confirm one job; False when the connection is lost."""
    raw = build_message(with_reply_token(job.draft, job.code, smtp), job.message_id, smtp, utcnow()).as_bytes(policy=OUTBOUND)
    hook("before_send")
    if not _claim(app, job, raw):
        report.skipped.append(_entry(job.draft, job.code, reason="một lần chạy khác đang gửi thư này"))
        return True
    try:
        refused = sender.send(raw, list(job.draft.to))
    except SmtpSendError as err:
        _fail(app, job, str(err), report)
        return True
    except SmtpConnectError as err:
        # Lost before the server answered DATA: it did not take the message; retry next run.
        _fail(app, job, str(err), report)
        return False
    hook("after_send")
    _confirm(app, job, refused)
    report.sent.append(_entry(job.draft, job.code, message_id=job.message_id))
    return True


def _claim(app: App, job: _Job, raw: bytes) -> bool:
    """Store the .eml and mark the row `sending` (committed before anything leaves)."""
    with app.session() as session:
        blob = store_blob(app.blobs, raw, session=session)
        return claim_outbound(job.row_id, blob.sha256, session=session)


def _confirm(app: App, job: _Job, refused: dict[str, str]) -> None:
    d = job.draft
    note = "; ".join(f"{a}: {r}" for a, r in refused.items()) or None
    label = KIND_LABELS.get(d.kind, d.kind)
    with app.session() as session:
        confirm_outbound(job.row_id, utcnow(), note, session=session)
        add_event(
            d.campaign_id, d.recipient_id, "mail_sent", f"Đã gửi {label} ({d.slot}) tới {', '.join(d.to)}",
            {"outbound_id": job.row_id, "kind": d.kind, "slot": d.slot, "message_id": job.message_id,
             "to": list(d.to), "refused": refused},
            session=session, actor=d.requested_by,
        )


def _fail(app: App, job: _Job, error: str, report: DeliveryReport, *, count_attempt: bool = False) -> None:
    d = job.draft
    with app.session() as session:
        fail_outbound(job.row_id, error, session=session, count_attempt=count_attempt)
        add_event(
            d.campaign_id, d.recipient_id, "mail_failed",
            f"Gửi {KIND_LABELS.get(d.kind, d.kind)} ({d.slot}) không thành công: {error}",
            {"outbound_id": job.row_id, "kind": d.kind, "slot": d.slot, "error": error}, session=session,
            actor=d.requested_by,
        )
    report.failed.append(_entry(d, job.code, error=error))
    # info, not warning: the caller reports failures (one line per cause); a warning per
    # mail would print 28 lines on stderr through logging's last-resort handler.
    log.info("delivery failed for %s/%s/%s: %s", job.code, d.kind, d.slot, error)


def _fail_all(app: App, jobs: list[_Job], error: str, report: DeliveryReport) -> None:
    """The server cannot be used: every remaining job fails (and is retried next run)."""
    for job in jobs:
        _fail(app, job, error, report, count_attempt=True)


class UnknownMail(FlowsError, LookupError):
    """No outbound mail with that id, or it is not waiting for a person's decision."""


def resolve_mail(app: App, outbound_id: int, *, sent: bool, actor: str) -> dict[str, Any]:
    """Settle a mail whose fate is unknown (crash after sending, before confirming); `actor`:
    the person who decided, named in the audit line."""
    with app.session() as session:
        row, changed = resolve_unknown(outbound_id, session=session, sent=sent)
        if row is None:
            raise UnknownMail(f"không có thư số {outbound_id}")
        if not changed:
            raise UnknownMail(f"thư số {outbound_id} không ở trạng thái chờ xác nhận (hiện: {row.status})")
        what = "xác nhận đã gửi" if sent else "sẽ gửi lại ở lần chạy sau"
        add_event(row.campaign_id, row.recipient_id, "mail_resolved",
                  f"Thư {KIND_LABELS.get(row.kind, row.kind)} ({row.slot}): {what}",
                  {"outbound_id": row.id, "sent": sent}, session=session, actor=actor)
        return {"outbound_id": row.id, "kind": row.kind, "slot": row.slot, "status": row.status}
