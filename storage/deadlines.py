"""The report run right after each campaign's deadline: which deadlines have had theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import DeadlineRun, utcnow
from storage.upsert import insert_ignore


def deadline_built(campaign_id: str, deadline_at: dt.datetime, *, session: Session) -> bool:
    """The report after this deadline (this exact one: an edited deadline is another) was built."""
    stmt = select(DeadlineRun.id).where(DeadlineRun.campaign_id == campaign_id, DeadlineRun.deadline_at == deadline_at)
    return session.scalars(stmt).first() is not None


def record_deadline_run(campaign_id: str, deadline_at: dt.datetime, report: dict[str, Any], *, session: Session) -> bool:
    """Note the deadline's report (once: the unique key); True when this call noted it."""
    return insert_ignore(session, DeadlineRun, {"campaign_id": campaign_id, "deadline_at": deadline_at,
                                                "built_at": utcnow(), "report": report})
