"""Reminders: plain functions over the pure policy, templates and exactly-once delivery
(`baocao remind` and the Prefect flow)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign
from flows.app import App, statuses
from flows.outbound.delivery import Draft, deliver
from flows.outbound.letters import delivery_result, render, request_attachments, template_context
from reports.reminders import KIND_INCOMPLETE, DueReminder, ReminderPlan, plan_reminders
from reports.status import RecipientStatus
from reports.workdays import WorkCalendar
from storage.outbound import kinds_in_slot


def calendar_for(campaign: Campaign) -> WorkCalendar:
    """The campaign's working-day calendar (VN holidays + its extra days)."""
    policy = campaign.reminders
    return WorkCalendar(policy.extra_days_off, policy.extra_working_days)


def remind(
    app: App, campaign_id: str | None = None, now: dt.datetime | None = None, *, dry_run: bool = False
) -> dict[str, Any]:
    """Send the reminders due at `now` (default: now); the `baocao remind --json` contract."""
    campaign = app.campaign(campaign_id)
    now = _aware(now, campaign) if now else app.now()
    calendar = calendar_for(campaign)
    # A day off, outside the window or between slots: decided without touching the database.
    plan = plan_reminders([], campaign.reminders, campaign.deadline, now, campaign.tz, calendar)
    items: list[RecipientStatus] = []
    if plan.slot is not None:
        with app.session() as session:
            items = statuses(campaign, session=session)
            plan = _plan_with_ledger(campaign, items, now, calendar, session=session)
    by_id = {s.facts.id: s for s in items}
    local_day = now.astimezone(campaign.tz).date()
    drafts = [_reminder_draft(app, campaign, due, by_id[due.recipient_id], calendar, local_day) for due in plan.due]
    report = deliver(app, drafts, dry_run=dry_run)
    result = delivery_result(campaign, now, report)
    result["slot"] = plan.slot.key if plan.slot else None
    result["reason"] = plan.reason
    result["skipped"] = [{"recipient": s.code, "reason": s.reason} for s in plan.skipped] + result["skipped"]
    return result


def _plan_with_ledger(
    campaign: Campaign, items: list[RecipientStatus], now: dt.datetime, calendar: WorkCalendar, *, session: Session
) -> ReminderPlan:
    """The plan, knowing which reminder kinds each recipient already got in the active slot."""
    args = (campaign.reminders, campaign.deadline, now, campaign.tz, calendar)
    plan = plan_reminders(items, *args)
    if plan.slot is None or not plan.due:
        return plan
    return plan_reminders(items, *args, kinds_in_slot(campaign.id, plan.slot.key, session=session))


def _aware(now: dt.datetime, campaign: Campaign) -> dt.datetime:
    return now if now.tzinfo else now.replace(tzinfo=campaign.tz)


def _reminder_draft(
    app: App,
    campaign: Campaign,
    due: DueReminder,
    status: RecipientStatus,
    calendar: WorkCalendar,
    today: dt.date,
) -> Draft:
    attachments = request_attachments(campaign) if campaign.reminders.attach_outline else ()
    context = template_context(app, campaign, status, attachments=attachments)
    headings = {s.id: s.heading for s in campaign.outline.sections}
    labels = {r.id: r.label for r in campaign.outline.table.rows}
    context.update(
        overdue=today > campaign.deadline,
        overdue_days=max(calendar.working_days_between(campaign.deadline, today), 0),
        days_left=max(calendar.working_days_between(today, campaign.deadline), 0),
        missing_sections=[{"id": s, "heading": headings.get(s, "")} for s in due.missing_sections],
        missing_rows=[{"id": r, "label": labels.get(r, "")} for r in due.missing_rows],
        slot=due.slot,
    )
    name = "reminder_incomplete" if due.kind == KIND_INCOMPLETE else "reminder"
    subject, text = render(app, name, context)
    return Draft(campaign.id, due.recipient_id, due.kind, due.slot, list(due.to), subject, text,
                 attachments=attachments)


