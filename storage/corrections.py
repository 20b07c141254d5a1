"""People's corrections of parsed values, acceptances of submissions and per-recipient
deadline extensions. Originals are never changed. Functions take `*, session`, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Correction, DeadlineOverride, SubmissionAcceptance, utcnow

INDICATOR_FIELDS = ("plan", "result", "rate")
# (submission id, target, item id) → field → corrected value
Overrides = dict[tuple[int, str, str], dict[str, Any]]


def add_correction(
    submission_id: int, target: str, item_id: str, field: str, old: Any, new: Any, reason: str, actor: str,
    *, session: Session,
) -> Correction:
    """Record one corrected value (the latest per submission/target/item/field wins)."""
    row = Correction(
        submission_id=submission_id, target=target, item_id=item_id, field=field,
        old_value={"value": old}, new_value={"value": new}, reason=reason, actor=actor, at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def corrections_for(submission_ids: Iterable[int], *, session: Session) -> list[Correction]:
    """Every correction of these submissions, oldest first."""
    ids = list(submission_ids)
    if not ids:
        return []
    stmt = select(Correction).where(Correction.submission_id.in_(ids)).order_by(Correction.at, Correction.id)
    return list(session.scalars(stmt))


def last_correction(submission_id: int, target: str, item_id: str, field: str, *, session: Session) -> Correction | None:
    """The correction in use for one field (the latest), or None when it was never corrected."""
    stmt = (
        select(Correction)
        .where(Correction.submission_id == submission_id, Correction.target == target,
               Correction.item_id == item_id, Correction.field == field)
        .order_by(Correction.at.desc(), Correction.id.desc())
        .limit(1)
    )
    return session.scalars(stmt).first()


def overrides_for(submission_ids: Iterable[int], *, session: Session) -> Overrides:
    """The values that replace what was read: the latest correction of each field."""
    out: Overrides = {}
    for row in corrections_for(submission_ids, session=session):
        out.setdefault((row.submission_id, row.target, row.item_id), {})[row.field] = row.new_value.get("value")
    return out


def accept_submission(submission_id: int, actor: str, note: str, *, session: Session) -> tuple[SubmissionAcceptance, bool]:
    """Mark a submission accepted (once); (row, created)."""
    row = session.scalars(
        select(SubmissionAcceptance).where(SubmissionAcceptance.submission_id == submission_id)
    ).one_or_none()
    if row is not None:
        return row, False
    row = SubmissionAcceptance(submission_id=submission_id, actor=actor, note=note, at=utcnow())
    session.add(row)
    session.flush()
    return row, True


def acceptances_for(submission_ids: Iterable[int], *, session: Session) -> dict[int, SubmissionAcceptance]:
    """Acceptances by submission id."""
    ids = list(submission_ids)
    if not ids:
        return {}
    stmt = select(SubmissionAcceptance).where(SubmissionAcceptance.submission_id.in_(ids))
    return {row.submission_id: row for row in session.scalars(stmt)}


def set_deadline(
    campaign_id: str, recipient_id: int, deadline: dt.date, reason: str, actor: str, *, session: Session
) -> DeadlineOverride:
    """Give one recipient its own deadline (replacing an earlier extension)."""
    row = session.scalars(
        select(DeadlineOverride).where(
            DeadlineOverride.campaign_id == campaign_id, DeadlineOverride.recipient_id == recipient_id
        )
    ).one_or_none()
    if row is None:
        row = DeadlineOverride(campaign_id=campaign_id, recipient_id=recipient_id)
        session.add(row)
    row.deadline, row.reason, row.actor, row.at = deadline, reason, actor, utcnow()
    session.flush()
    return row
