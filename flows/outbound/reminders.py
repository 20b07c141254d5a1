"""Reminders: plain functions over the pure policy, templates and exactly-once delivery
(`baocao remind` and the Prefect flow)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Collection
from dataclasses import replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from config.campaign import Campaign, ReminderPolicy
from flows.app import App, deadlines, statuses
from flows.outbound.delivery import DeliveryReport, Draft, deliver
from flows.outbound.letters import delivery_result, render, request_attachments, template_context
from flows.outbound.preview import write_preview
from flows.outbound.receipts import deliver_pending_receipts
from parsers.vocab import display_id
from reports.reminders import (
    KIND_INCOMPLETE,
    DueReminder,
    ReminderPlan,
    Skipped,
    active_slot,
    closed_reason,
    deadline_note,
    decide,
    plan_reminders,
    schedule,
)
from reports.status import RecipientStatus
from reports.workdays import WorkCalendar
from storage.outbound import kinds_in_slot, reminded_on, request_message_ids

log = logging.getLogger(__name__)


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
    preview: Path | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Send the reminders due at `now` (default: now); the `baocao remind --json` contract.

    Recipients with their own (extended) deadline follow their own schedule. `only`: these
    recipient codes alone; `manual`: a person's "remind now" (see `plan_reminders`);
    `preview`: write the due mails into that folder instead of sending them."""
    campaign = app.campaign(campaign_id)
    now = _aware(now, campaign) if now else app.now(campaign)
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
    threads = _request_threads(app, campaign, [due.recipient_id for _, plan in plans for due in plan.due])
    coded = [
        (due.code, _reminder_draft(app, campaign, due, by_id[due.recipient_id], calendar, local_day, deadline,
                                   threads.get(due.recipient_id), manual=manual))
        for deadline, plan in plans
        for due in plan.due
    ]
    if preview is not None:
        result = delivery_result(campaign, now, DeliveryReport())
        result.update(preview=str(preview), written=write_preview(coded, app.settings.smtp, preview, now), gaps=[])
    else:
        drafts = [replace(d, requested_by=actor) for _, d in coded]  # `actor`: who asked ("nhắc ngay")
        result = delivery_result(campaign, now, deliver(app, drafts, dry_run=dry_run))
    if preview is None and not dry_run and only is None:  # a scheduled run, not one agency's "nhắc ngay"
        result["receipts"] = _owed_receipts(app, campaign)  # owed by an earlier ingest
    active = [p.slot.key for _, p in plans if p.slot is not None]
    result["slot"] = active[0] if active else None
    result["reason"] = reason or (None if active else plans[0][1].reason)
    skipped = [{"recipient": s.code, "reason": s.reason, **({"held": True} if s.held else {}),
                **({"needs_address": True} if s.needs_address else {})}
               for _, p in plans for s in p.skipped]
    result["skipped"] = skipped + result["skipped"]
    return result


def _owed_receipts(app: App, campaign: Campaign) -> dict[str, Any] | None:
    """Receipts an earlier ingest reserved and could not send: any run delivers them."""
    try:
        return deliver_pending_receipts(app, campaign)
    except Exception as err:  # noqa: BLE001 — the reminders were the point of this run
        log.warning("receipts owed could not be sent: %s", err)
        return {"sent": [], "skipped": [], "failed": [{"error": str(err)}]}


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
    """The plan, knowing which reminder kinds each recipient already got in the active slot
    and who already has today's reminder (one a day, whichever slot)."""
    args = (campaign.reminders, deadline, now, campaign.tz, calendar)
    plan = plan_reminders(items, *args, manual=manual)
    if plan.slot is None or not plan.due:
        return plan
    today = reminded_on(campaign.id, now.astimezone(campaign.tz).date().isoformat(), session=session)
    return plan_reminders(items, *args, kinds_in_slot(campaign.id, plan.slot.key, session=session), manual=manual,
                          reminded_today={rid: row.slot for rid, row in today.items()})


def active_decision(
    campaign: Campaign, recipient_id: int, deadline: dt.date, now: dt.datetime, *, session: Session
) -> tuple[str, DueReminder | Skipped] | None:
    """(slot key, decision) of the slot active today for one recipient: what the reminder run
    does with it, decided by `decide` from its current status and the ledger, as `remind` does
    (the agency page shows this, so page and run never disagree); None outside every slot."""
    calendar = calendar_for(campaign)
    local = now.astimezone(campaign.tz)
    slot = active_slot(schedule(deadline, campaign.reminders, calendar), local.date())
    if slot is None:
        return None
    items = [s for s in statuses(campaign, session=session) if s.facts.id == recipient_id]
    if not items:
        return None
    today = reminded_on(campaign.id, local.date().isoformat(), session=session)
    decision = decide(items, campaign.reminders, slot, kinds_in_slot(campaign.id, slot.key, session=session), campaign.tz,
                      {rid: row.slot for rid, row in today.items()})[0]
    return slot.key, decision


def _request_threads(app: App, campaign: Campaign, recipient_ids: list[int]) -> dict[int, str]:
    """The request's Message-ID per recipient: reminders reply to it (one thread per agency)."""
    if not recipient_ids:
        return {}
    with app.session() as session:
        return request_message_ids(campaign.id, recipient_ids, session=session)


def resubmit_by(calendar: WorkCalendar, policy: ReminderPolicy, deadline: dt.date, today: dt.date) -> dt.date:
    """The date an incomplete report is asked back by: the deadline while it is ahead, then
    `resubmit_working_days` working days after the reminder (never a day already past)."""
    if today <= deadline:
        return deadline
    return calendar.add_working_days(today, max(policy.resubmit_working_days, 1))


def _aware(now: dt.datetime, campaign: Campaign) -> dt.datetime:
    return now if now.tzinfo else now.replace(tzinfo=campaign.tz)


def _reminder_draft(
    app: App,
    campaign: Campaign,
    due: DueReminder,
    status: RecipientStatus,
    calendar: WorkCalendar,
    today: dt.date,
    deadline: dt.date,
    request_id: str | None = None,
    *,
    manual: bool = False,
) -> Draft:
    """The reminder to one recipient, written for `today` (its day counts come from it).

    `manual`: a person sent it ("nhắc ngay"): the mail says so, not "Thư nhắc tự động", and is
    not marked Auto-Submitted (RFC 3834: a person originated it)."""
    attachments = request_attachments(campaign) if campaign.reminders.attach_outline else ()
    context = template_context(app, campaign, status, attachments=attachments)
    context["deadline"] = deadline
    headings = {s.id: s.heading for s in campaign.outline.sections}
    labels = {r.id: r.label for r in campaign.outline.table.rows}
    context.update(
        overdue=today > deadline,
        deadline_note=deadline_note(calendar, deadline, today),
        # Kept for templates edited before `deadline_note` (they may still print these).
        overdue_days=max(calendar.working_days_between(deadline, today), 0),
        days_left=max(calendar.working_days_between(today, deadline), 0),
        resubmit_by=resubmit_by(calendar, campaign.reminders, deadline, today),
        missing_sections=[{"id": display_id(s), "heading": headings.get(s, "")} for s in due.missing_sections],
        missing_rows=[{"id": r, "label": labels.get(r, "")} for r in due.missing_rows],
        slot=due.slot,
        manual=manual,
    )
    name = "reminder_incomplete" if due.kind == KIND_INCOMPLETE else "reminder"
    subject, text = render(app, name, context)
    return Draft(campaign.id, due.recipient_id, due.kind, due.slot, list(due.to), subject, text,
                 attachments=attachments, in_reply_to=request_id,
                 references=(request_id,) if request_id else (), auto_submitted="no" if manual else "auto-generated",
                 reminder_day=today.isoformat())


