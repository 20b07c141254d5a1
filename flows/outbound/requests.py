"""The request (công văn) itself: sent once to every active recipient, with the outline and
the table form attached; checked first (`preflight`), or only previewed (`--preview`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from config.campaign import Campaign
from flows.app import App, statuses
from flows.errors import FlowsError
from flows.outbound.delivery import Draft, deliver
from flows.outbound.letters import delivery_result, render, request_attachments, template_context
from flows.outbound.preflight import request_gaps, request_warnings
from flows.outbound.preview import write_preview
from reports.status import addresses, bounce_note

REQUEST_SLOT = "initial"


class UnfinishedRequest(FlowsError):
    """The request still lacks what an official letter needs (see `gaps`); nothing was sent."""

    def __init__(self, campaign_id: str, gaps: list[str]) -> None:
        self.gaps = gaps
        super().__init__(f"công văn của chiến dịch {campaign_id} chưa hoàn chỉnh, chưa gửi: " + "; ".join(gaps))


def request_drafts(app: App, campaign: Campaign) -> tuple[list[tuple[str, Draft]], list[dict[str, Any]]]:
    """(recipient code, draft) for every recipient with an address, and those without one."""
    attachments = request_attachments(campaign)
    with app.session() as session:
        items = statuses(campaign, session=session)
    drafts: list[tuple[str, Draft]] = []
    skipped: list[dict[str, Any]] = []
    for status in items:
        to = addresses(status)
        if not to:
            note = bounce_note(status, campaign.tz)
            skipped.append({"recipient": status.facts.code, "reason": note or "không có địa chỉ email",
                            "needs_address": note is not None})
            continue
        subject, text = render(app, "request", template_context(app, campaign, status, attachments=attachments))
        drafts.append((status.facts.code, Draft(campaign.id, status.facts.id, "request", REQUEST_SLOT, list(to),
                                                subject, text, attachments=attachments)))
    return drafts, skipped


def send_request(
    app: App,
    campaign_id: str | None = None,
    *,
    dry_run: bool = False,
    check: bool = False,
    preview: Path | None = None,
    actor: str = "system",
) -> dict[str, Any]:
    """Send the request with its attachments to every recipient who has not received it
    (`actor`: the person who sent it, named in each mail's audit line).

    `check`: refuse (UnfinishedRequest) while `request_gaps` finds something missing;
    `preview`: write the mails into that folder instead of sending (see flows.outbound.preview)."""
    campaign = app.campaign(campaign_id)
    drafts, skipped = request_drafts(app, campaign)
    gaps = request_gaps(campaign, drafts[0][1].text if drafts else "")
    if preview is not None:
        written = write_preview(drafts, app.settings.smtp, preview, app.now(campaign))
        return {"campaign": campaign.id, "now": app.now(campaign).isoformat(), "preview": str(preview),
                "written": written, "gaps": gaps, "warnings": request_warnings(campaign),
                "sent": [], "failed": [], "skipped": skipped}
    if check and gaps and not dry_run:
        raise UnfinishedRequest(campaign.id, gaps)
    report = deliver(app, [replace(d, requested_by=actor) for _, d in drafts], dry_run=dry_run)
    result = delivery_result(campaign, app.now(campaign), report)
    result["skipped"] = skipped + result["skipped"]
    result["gaps"] = gaps
    result["warnings"] = request_warnings(campaign)
    return result
