"""Mailbox health: per mailbox folder and shared folder, the last successful poll, the last
error and what is waiting. Functions take `*, session` and never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import SourceHealth
from storage.upsert import insert_ignore


def _row(kind: str, name: str, *, session: Session) -> SourceHealth:
    insert_ignore(session, SourceHealth, {"kind": kind, "name": name, "waiting": 0})
    return session.scalars(
        select(SourceHealth).where(SourceHealth.kind == kind, SourceHealth.name == name).with_for_update()
    ).one()


def record_poll_success(kind: str, name: str, at: dt.datetime, waiting: int, *, session: Session) -> SourceHealth:
    """A poll that reached the source: the outage (if any) is over."""
    row = _row(kind, name, session=session)
    row.last_attempt_at = row.last_success_at = at
    row.waiting = max(0, waiting)
    row.failing_since = None
    row.alerted_at = None
    return row


def record_poll_failure(kind: str, name: str, at: dt.datetime, error: str, *, session: Session) -> SourceHealth:
    """A poll that could not fetch anything: keep the error and when the outage began."""
    row = _row(kind, name, session=session)
    row.last_attempt_at = row.last_error_at = at
    row.last_error = error[:2000]
    if row.failing_since is None:
        row.failing_since = at
    return row


def mark_alerted(row_id: int, at: dt.datetime, *, session: Session) -> None:
    """TĐC has been told about this outage."""
    row = session.get(SourceHealth, row_id)
    if row is not None:
        row.alerted_at = at


def health_rows(*, session: Session) -> list[SourceHealth]:
    """Every polled source, mailboxes first."""
    return list(session.scalars(select(SourceHealth).order_by(SourceHealth.kind.desc(), SourceHealth.name)))
