"""What routing between campaigns reads from the database: our sent mail by Message-ID.
Functions take `*, session` and never commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from parsers.routing import ThreadRef
from storage.models import OutboundMail, RecipientRow


def threads_of(message_ids: Iterable[str], *, session: Session) -> dict[str, ThreadRef]:
    """Our requests, reminders, receipts (any kind we sent) among these Message-IDs."""
    wanted = sorted({m for m in message_ids if m})
    if not wanted:
        return {}
    rows = session.execute(
        select(OutboundMail.message_id, OutboundMail.campaign_id, OutboundMail.kind, RecipientRow.code)
        .outerjoin(RecipientRow, OutboundMail.recipient_id == RecipientRow.id)
        .where(OutboundMail.message_id.in_(wanted))
    )
    return {mid: ThreadRef(cid, kind, code) for mid, cid, kind, code in rows}
