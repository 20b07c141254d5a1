"""The outbound mail ledger: reserve a (campaign, recipient, kind, slot) before sending,
claim it right before SMTP, confirm after. Statuses:

- `pending`: reserved, never handed to SMTP → safe to send (a crash before sending).
- `sending`: handed to SMTP, not confirmed → we do not know whether it left; never resent
  automatically (we err on the side of not sending twice; history shows it for a person).
- `sent`: confirmed. `failed`: the server refused it or could not be reached → retried.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from parsers.vocab import OutboundKind, OutboundStatus
from storage.models import Event, OutboundMail, utcnow
from storage.upsert import insert_new

RETRYABLE = ("pending", "failed")


def find_outbound(
    campaign_id: str, recipient_id: int | None, kind: str, slot: str, *, session: Session
) -> OutboundMail | None:
    """The ledger row of one key, if any."""
    stmt = select(OutboundMail).where(
        OutboundMail.campaign_id == campaign_id,
        OutboundMail.kind == kind,
        OutboundMail.slot == slot,
    )
    if recipient_id is None:
        stmt = stmt.where(OutboundMail.recipient_id.is_(None))
    else:
        stmt = stmt.where(OutboundMail.recipient_id == recipient_id)
    return session.scalars(stmt).one_or_none()


Key = tuple[str, int | None, str, str]


def existing_outbound(keys: list[Key], *, session: Session) -> dict[Key, OutboundMail]:
    """The ledger rows of many keys in one query (campaign, recipient, kind, slot) → row."""
    if not keys:
        return {}
    stmt = select(OutboundMail).where(
        OutboundMail.campaign_id.in_({k[0] for k in keys}),
        OutboundMail.kind.in_({k[2] for k in keys}),
        OutboundMail.slot.in_({k[3] for k in keys}),
    )
    wanted = set(keys)
    rows = {(r.campaign_id, r.recipient_id, r.kind, r.slot): r for r in session.scalars(stmt)}
    return {k: r for k, r in rows.items() if k in wanted}


def reserve_outbound(values: dict[str, Any], *, session: Session) -> tuple[OutboundMail, bool]:
    """Insert a `pending` row unless the key exists; (row, inserted). The caller commits."""
    key = (values["campaign_id"], values.get("recipient_id"), values["kind"], values["slot"])
    row = {"status": "pending", "attempts": 0, "created_at": utcnow(), **values}
    # The key holds with or without a recipient (a mail without one, an alert, has its own
    # partial unique index: `ux_outbound_mail_no_recipient_slot`): one INSERT … ON CONFLICT DO
    # NOTHING RETURNING the new row; the row already there is read only when it existed. Two
    # runs reserving the same slot at once get one row: the second waits for the first's commit.
    new = insert_new(session, OutboundMail, row)
    if new is not None:
        return new, True
    found = (find_outbound(*key, session=session) or _receipt_of_slot(values, session=session)
             or _reminder_of_day(values, session=session))
    assert found is not None
    return found, False


def _reminder_of_day(values: dict[str, Any], *, session: Session) -> OutboundMail | None:
    """The reminder already reserved for this recipient on this day, under whichever slot
    (one reminder a day: the unique key on `reminder_day`)."""
    if not values.get("reminder_day"):
        return None
    return reminder_of_day(values["campaign_id"], values["recipient_id"], values["reminder_day"], session=session)


def reminder_of_day(campaign_id: str, recipient_id: int | None, day: str, *, session: Session) -> OutboundMail | None:
    """The reminder reserved for one recipient on one day (ISO date), if any."""
    return session.scalars(
        select(OutboundMail).where(OutboundMail.campaign_id == campaign_id, OutboundMail.recipient_id == recipient_id,
                                   OutboundMail.reminder_day == day)
    ).one_or_none()


def reminded_on(campaign_id: str, day: str, *, session: Session) -> dict[int, OutboundMail]:
    """Per recipient: the reminder reserved on that day (ISO date), whichever slot."""
    rows = session.scalars(
        select(OutboundMail).where(OutboundMail.campaign_id == campaign_id, OutboundMail.reminder_day == day)
    )
    return {r.recipient_id: r for r in rows if r.recipient_id is not None}


def _receipt_of_slot(values: dict[str, Any], *, session: Session) -> OutboundMail | None:
    """The receipt already reserved for a message's slot, under whichever campaign and
    recipient (a message answering two campaigns gets one receipt: `ux_outbound_mail_receipt_slot`)."""
    if values["kind"] != OutboundKind.RECEIPT:
        return None
    return session.scalars(
        select(OutboundMail).where(OutboundMail.kind == OutboundKind.RECEIPT, OutboundMail.slot == values["slot"])
    ).one_or_none()


def claim_outbound(row_id: int, raw_sha256: str, *, session: Session) -> bool:
    """Move a pending/failed row to `sending` (atomic); False if someone else has it."""
    result = session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == row_id, OutboundMail.status.in_(RETRYABLE))
        .values(status="sending", attempts=OutboundMail.attempts + 1, raw_sha256=raw_sha256, error=None)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


def confirm_outbound(row_id: int, sent_at: dt.datetime, note: str | None, *, session: Session) -> None:
    """Mark a row sent (note: addresses the server refused while accepting others)."""
    session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == row_id)
        .values(status="sent", sent_at=sent_at, error=note)
        .execution_options(synchronize_session=False)
    )


def fail_outbound(row_id: int, error: str, *, session: Session, count_attempt: bool = False) -> None:
    """Mark a row failed with the reason; it is retried at the next run."""
    values: dict[str, Any] = {"status": "failed", "error": error}
    if count_attempt:
        values["attempts"] = OutboundMail.attempts + 1
    session.execute(
        update(OutboundMail)
        .where(OutboundMail.id == row_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def add_event(
    campaign_id: str | None,
    recipient_id: int | None,
    kind: str,
    message: str,
    data: dict[str, Any],
    *,
    session: Session,
    actor: str = "system",
) -> None:
    """Append one line to the audit log (`actor`: the person it was done for, else "system")."""
    session.add(Event(campaign_id=campaign_id, recipient_id=recipient_id, kind=kind, message=message, data=data, actor=actor))


def outbound_for(campaign_id: str, recipient_id: int, *, session: Session) -> list[OutboundMail]:
    """Every mail to one recipient, oldest first."""
    return list(
        session.scalars(
            select(OutboundMail)
            .where(OutboundMail.campaign_id == campaign_id, OutboundMail.recipient_id == recipient_id)
            .order_by(OutboundMail.created_at, OutboundMail.id)
        )
    )


def kinds_in_slot(campaign_id: str, slot: str, *, session: Session) -> dict[int, set[str]]:
    """Per recipient: the kinds already sent (or possibly sent) under this slot key."""
    found: dict[int, set[str]] = {}
    for recipient_id, kind in session.execute(
        select(OutboundMail.recipient_id, OutboundMail.kind).where(
            OutboundMail.campaign_id == campaign_id,
            OutboundMail.slot == slot,
            OutboundMail.status.in_(("sent", "sending")),
        )
    ):
        if recipient_id is not None:
            found.setdefault(recipient_id, set()).add(kind)
    return found


def resolve_unknown(row_id: int, *, sent: bool, session: Session) -> tuple[OutboundMail | None, bool]:
    """A person settles a `sending` row: it did leave (`sent`) or it must go again (`failed`).

    Returns (row, changed); only a `sending` row changes."""
    row = session.get(OutboundMail, row_id)
    if row is None or row.status != "sending":
        return row, False
    if sent:
        row.status, row.sent_at, row.error = "sent", utcnow(), "cán bộ xác nhận thư đã đi"
    else:
        row.status, row.error = "failed", "cán bộ yêu cầu gửi lại"
    session.flush()
    return row, True


def request_message_ids(campaign_id: str, recipient_ids: list[int], *, session: Session) -> dict[int, str]:
    """The Message-ID of the request each recipient got (sent, or possibly sent), for threading."""
    rows = session.execute(
        select(OutboundMail.recipient_id, OutboundMail.message_id)
        .where(
            OutboundMail.campaign_id == campaign_id,
            OutboundMail.kind == OutboundKind.REQUEST,
            OutboundMail.recipient_id.in_(recipient_ids),
            OutboundMail.status.in_((OutboundStatus.SENT, OutboundStatus.SENDING)),
        )
        .order_by(OutboundMail.id)
    )
    return {rid: mid for rid, mid in rows if rid is not None}


def our_threads(campaign_id: str, *, session: Session) -> dict[str, int]:
    """Message-ID → recipient of every request and reminder we sent in the campaign (a reply
    threaded to one of them is a medium attribution signal)."""
    rows = session.execute(
        select(OutboundMail.message_id, OutboundMail.recipient_id).where(
            OutboundMail.campaign_id == campaign_id,
            OutboundMail.kind.in_(("request", "reminder", "reminder_incomplete")),
            OutboundMail.recipient_id.is_not(None),
        )
    )
    return {mid: rid for mid, rid in rows if mid and rid is not None}
