"""Loading campaigns and recipients into the database (idempotent, never deletes history)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from config.campaign import Campaign
from config.recipients import Recipient
from storage.models import CampaignRow, ContactRow, Event, RecipientRow


@dataclass
class SyncReport:
    """What a sync changed."""

    campaign_id: str
    created: bool = False
    updated: bool = False
    recipients_added: list[str] = field(default_factory=list)
    recipients_updated: list[str] = field(default_factory=list)
    recipients_deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything changed."""
        return bool(
            self.created
            or self.updated
            or self.recipients_added
            or self.recipients_updated
            or self.recipients_deactivated
        )


def _definition(campaign: Campaign) -> dict[str, object]:
    return json.loads(campaign.model_dump_json(exclude={"source_dir"}))


def sync_campaign(
    campaign: Campaign, recipients: list[Recipient], source_path: str, *, session: Session
) -> SyncReport:
    """Insert or update a campaign and its recipients; recipients no longer listed go inactive."""
    definition = _definition(campaign)
    digest = hashlib.sha256(
        json.dumps([definition, [r.model_dump(mode="json") for r in recipients]], sort_keys=True).encode()
    ).hexdigest()
    report = SyncReport(campaign.id)
    row = session.get(CampaignRow, campaign.id)
    if row is None:
        row = CampaignRow(id=campaign.id)
        session.add(row)
        report.created = True
    if report.created or row.source_sha256 != digest:
        report.updated = not report.created
        row.title = campaign.title
        row.deadline_at = campaign.deadline_at
        row.timezone = campaign.timezone
        row.definition = definition
        row.source_path = source_path
        row.source_sha256 = digest
    session.flush()
    _sync_recipients(campaign.id, recipients, report, session=session)
    if report.changed:
        session.add(
            Event(
                campaign_id=campaign.id,
                kind="campaign_loaded",
                message=f"Nạp cấu hình chiến dịch {campaign.id}",
                data={
                    "added": report.recipients_added,
                    "updated": report.recipients_updated,
                    "deactivated": report.recipients_deactivated,
                },
            )
        )
    return report


def _sync_recipients(
    campaign_id: str, recipients: list[Recipient], report: SyncReport, *, session: Session
) -> None:
    existing = {
        r.code: r
        for r in session.scalars(select(RecipientRow).where(RecipientRow.campaign_id == campaign_id))
    }
    for rec in recipients:
        row = existing.pop(rec.code, None)
        if row is None:
            row = RecipientRow(campaign_id=campaign_id, code=rec.code, name=rec.name)
            session.add(row)
            report.recipients_added.append(rec.code)
            changed = True
        else:
            changed = (row.name, row.group, list(row.aliases), row.active) != (
                rec.name,
                rec.group,
                list(rec.aliases),
                True,
            )
        row.name, row.group, row.aliases, row.active = rec.name, rec.group, list(rec.aliases), True
        session.flush()
        contacts_changed = _sync_contacts(row, rec.emails, session=session)
        if (contacts_changed or changed) and rec.code not in report.recipients_added:
            report.recipients_updated.append(rec.code)
    for code, row in existing.items():
        if row.active:
            row.active = False
            report.recipients_deactivated.append(code)
    session.flush()


def _sync_contacts(row: RecipientRow, emails: tuple[str, ...], *, session: Session) -> bool:
    current = {c.email: c for c in session.scalars(select(ContactRow).where(ContactRow.recipient_id == row.id))}
    changed = False
    for position, email in enumerate(emails):
        contact = current.pop(email, None)
        if contact is not None and contact.source == "manual":
            continue  # a person decided about this address in the workspace
        if contact is None:
            session.add(ContactRow(recipient_id=row.id, email=email, position=position))
            changed = True
        elif (contact.position, contact.active) != (position, True):
            contact.position, contact.active = position, True
            changed = True
    for contact in current.values():
        if contact.active and contact.source != "manual":
            contact.active = False
            changed = True
    return changed


def campaign_recipients(campaign_id: str, *, session: Session, active_only: bool = True) -> list[RecipientRow]:
    """Recipients of a campaign in a stable order (by code)."""
    stmt = select(RecipientRow).where(RecipientRow.campaign_id == campaign_id)
    if active_only:
        stmt = stmt.where(RecipientRow.active.is_(True))
    return list(session.scalars(stmt.order_by(RecipientRow.id)))


def recipient_ids(campaign_id: str, *, session: Session) -> dict[str, int]:
    """Code → id of the campaign's active recipients (two columns, no ORM objects: the board
    needs only this, for thousands of recipients)."""
    stmt = select(RecipientRow.code, RecipientRow.id).where(
        RecipientRow.campaign_id == campaign_id, RecipientRow.active.is_(True)
    )
    return {code: rid for code, rid in session.execute(stmt)}


def recipient_by_code(campaign_id: str, code: str, *, session: Session) -> RecipientRow | None:
    """One recipient by its code (ma_don_vi)."""
    return session.scalars(
        select(RecipientRow).where(RecipientRow.campaign_id == campaign_id, RecipientRow.code == code)
    ).one_or_none()
