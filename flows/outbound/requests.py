"""The request (công văn) itself: sent once to every active recipient, with the outline and
the table form attached."""

from __future__ import annotations

from typing import Any

from flows.app import App, statuses
from flows.outbound.delivery import Draft, deliver
from flows.outbound.letters import delivery_result, render, request_attachments, template_context
from reports.reminders import addresses

REQUEST_SLOT = "initial"


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
        subject, text = render(app, "request", template_context(app, campaign, status, attachments=attachments))
        drafts.append(Draft(campaign.id, status.facts.id, "request", REQUEST_SLOT, list(to), subject, text,
                            attachments=attachments))
    report = deliver(app, drafts, dry_run=dry_run)
    result = delivery_result(campaign, app.now(), report)
    result["skipped"] = skipped + result["skipped"]
    return result
