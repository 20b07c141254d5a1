"""Reminders and the initial request: plain functions over the pure policy, templates and
exactly-once delivery (`baocao remind`, `baocao send-request`, and the Prefect flows)."""

from __future__ import annotations

import datetime as dt
import mimetypes
from collections.abc import Collection
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign
from config.errors import ConfigError
from flows.app import App, deadlines, statuses
from flows.outgoing import DeliveryReport, Draft, deliver
from reports.forms import form_filenames, form_xlsx, outline_docx
from reports.mailtext import MailTextError, render_mail
from reports.reminders import (
    KIND_INCOMPLETE,
    DueReminder,
    ReminderPlan,
    addresses,
    closed_reason,
    plan_reminders,
)
from reports.status import RecipientStatus
from reports.workdays import WorkCalendar
from storage.outbound import kinds_in_slot

DOCX_MIME = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REQUEST_SLOT = "initial"


def calendar_for(campaign: Campaign) -> WorkCalendar:
    """The campaign's working-day calendar (VN holidays + its extra days)."""
    policy = campaign.reminders
    return WorkCalendar(policy.extra_days_off, policy.extra_working_days)


def remind(
    app: App,
    campaign_id: str | None = None,
    now: dt.datetime | None = None,
    *,
    dry_run: bool = False,
    only: Collection[str] | None = None,
    manual: bool = False,
) -> dict[str, Any]:
    """Send the reminders due at `now` (default: now); the `baocao remind --json` contract.

    Recipients with their own (extended) deadline follow their own schedule. `only`: these
    recipient codes alone; `manual`: a person's "remind now" (see `plan_reminders`)."""
    campaign = app.campaign(campaign_id)
    now = _aware(now, campaign) if now else app.now()
    calendar = calendar_for(campaign)
    # A day off or outside the window: decided without touching the database.
    reason = None if manual else closed_reason(campaign.reminders, calendar, now.astimezone(campaign.tz))
    plans: list[tuple[dt.date, ReminderPlan]] = []
    items: list[RecipientStatus] = []
    if reason is None:
        with app.session() as session:
            items = [s for s in statuses(campaign, session=session) if not only or s.facts.code in only]
            own = deadlines(campaign, session=session)
            for deadline, group in _by_deadline(items, own, campaign.deadline):
                plan = _plan_with_ledger(campaign, group, deadline, now, calendar, manual=manual, session=session)
                plans.append((deadline, plan))
    by_id = {s.facts.id: s for s in items}
    local_day = now.astimezone(campaign.tz).date()
    drafts = [
        _reminder_draft(app, campaign, due, by_id[due.recipient_id], calendar, local_day, deadline)
        for deadline, plan in plans
        for due in plan.due
    ]
    report = deliver(app, drafts, dry_run=dry_run)
    result = _result(campaign, now, report)
    active = [p.slot.key for _, p in plans if p.slot is not None]
    result["slot"] = active[0] if active else None
    result["reason"] = reason or (None if active else plans[0][1].reason)
    skipped = [{"recipient": s.code, "reason": s.reason} for _, p in plans for s in p.skipped]
    result["skipped"] = skipped + result["skipped"]
    return result


def _by_deadline(
    items: list[RecipientStatus], own: dict[int, dt.date], default: dt.date
) -> list[tuple[dt.date, list[RecipientStatus]]]:
    """Statuses grouped by the deadline each recipient has (the campaign's one first; it
    alone, empty, when there is nobody)."""
    groups: dict[dt.date, list[RecipientStatus]] = {default: []}
    for status in items:
        groups.setdefault(own.get(status.facts.id, default), []).append(status)
    return [(d, g) for d, g in groups.items() if g] or [(default, [])]


def _plan_with_ledger(
    campaign: Campaign,
    items: list[RecipientStatus],
    deadline: dt.date,
    now: dt.datetime,
    calendar: WorkCalendar,
    *,
    manual: bool = False,
    session: Session,
) -> ReminderPlan:
    """The plan, knowing which reminder kinds each recipient already got in the active slot."""
    args = (campaign.reminders, deadline, now, campaign.tz, calendar)
    plan = plan_reminders(items, *args, manual=manual)
    if plan.slot is None or not plan.due:
        return plan
    return plan_reminders(items, *args, kinds_in_slot(campaign.id, plan.slot.key, session=session), manual=manual)


def send_request(app: App, campaign_id: str | None = None, *, dry_run: bool = False) -> dict[str, Any]:
    """Send the request with its attachments to every recipient who has not received it."""
    campaign = app.campaign(campaign_id)
    attachments = request_attachments(campaign)
    with app.session() as session:
        items = statuses(campaign, session=session)
    drafts, skipped = [], []
    for status in items:
        to = addresses(status)
        if not to:
            skipped.append({"recipient": status.facts.code, "reason": "không có địa chỉ email"})
            continue
        subject, text = _render(app, "request", _context(app, campaign, status, attachments=attachments))
        drafts.append(Draft(campaign.id, status.facts.id, "request", REQUEST_SLOT, list(to), subject, text,
                            attachments=attachments))
    report = deliver(app, drafts, dry_run=dry_run)
    result = _result(campaign, app.now(), report)
    result["skipped"] = skipped + result["skipped"]
    return result


def request_attachments(campaign: Campaign) -> tuple[tuple[str, bytes, str], ...]:
    """The configured files (the official letter…) plus the outline .docx and the .xlsx form."""
    files: list[tuple[str, bytes, str]] = []
    for name in campaign.request.attachments:
        path = Path(name)
        if not path.is_absolute() and campaign.source_dir is not None:
            path = campaign.source_dir / path
        try:
            data = path.read_bytes()
        except OSError as err:
            raise ConfigError(f"không đọc được tệp đính kèm: {err.strerror}", path, field="request.attachments") from err
        files.append((path.name, data, mimetypes.guess_type(path.name)[0] or "application/octet-stream"))
    docx_name, xlsx_name = form_filenames(campaign)
    files.append((docx_name, outline_docx(campaign), DOCX_MIME))
    files.append((xlsx_name, form_xlsx(campaign), XLSX_MIME))
    return tuple(files)


def _aware(now: dt.datetime, campaign: Campaign) -> dt.datetime:
    return now if now.tzinfo else now.replace(tzinfo=campaign.tz)


def _render(app: App, name: str, context: dict[str, Any]) -> tuple[str, str]:
    try:
        return render_mail(app.settings.templates_dir, name, context)
    except MailTextError as err:
        raise ConfigError(str(err)) from err


def _context(
    app: App,
    campaign: Campaign,
    status: RecipientStatus,
    *,
    attachments: tuple[tuple[str, bytes, str], ...] = (),
) -> dict[str, Any]:
    """What every template may use."""
    return {
        "campaign": campaign,
        "request": campaign.request,
        "contact": campaign.request.contact,
        "deadline": campaign.deadline,
        "recipient": {"code": status.facts.code, "name": status.facts.name},
        "reply_to": app.settings.smtp.sender,
        "attachment_names": [a[0] for a in attachments],
        "form_xlsx_name": form_filenames(campaign)[1],
        "state": status.state,
        "acknowledged": status.state == "acknowledged",
    }


def _reminder_draft(
    app: App,
    campaign: Campaign,
    due: DueReminder,
    status: RecipientStatus,
    calendar: WorkCalendar,
    today: dt.date,
    deadline: dt.date,
) -> Draft:
    attachments = request_attachments(campaign) if campaign.reminders.attach_outline else ()
    context = _context(app, campaign, status, attachments=attachments)
    context["deadline"] = deadline
    headings = {s.id: s.heading for s in campaign.outline.sections}
    labels = {r.id: r.label for r in campaign.outline.table.rows}
    context.update(
        overdue=today > deadline,
        overdue_days=max(calendar.working_days_between(deadline, today), 0),
        days_left=max(calendar.working_days_between(today, deadline), 0),
        missing_sections=[{"id": s, "heading": headings.get(s, "")} for s in due.missing_sections],
        missing_rows=[{"id": r, "label": labels.get(r, "")} for r in due.missing_rows],
        slot=due.slot,
    )
    name = "reminder_incomplete" if due.kind == KIND_INCOMPLETE else "reminder"
    subject, text = _render(app, name, context)
    return Draft(campaign.id, due.recipient_id, due.kind, due.slot, list(due.to), subject, text,
                 attachments=attachments)


def _result(campaign: Campaign, now: dt.datetime, report: DeliveryReport) -> dict[str, Any]:
    data = report.to_json()
    return {"campaign": campaign.id, "now": now.astimezone(campaign.tz).isoformat(), **data}
