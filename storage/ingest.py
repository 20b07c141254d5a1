"""The inbound ledger: mailbox state, messages, files, documents, review items, bounces.

Every function takes `*, session` and never commits; idempotency comes from the unique
constraints ((mailbox, uidvalidity, uid), (path, sha256), (inbound_mail_id, part_index),
review_item.source_key) and `insert_ignore`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from parsers.vocab import ItemStatus, ReviewKind, ReviewStatus
from storage.models import (
    ContactRow,
    Document,
    Event,
    InboundFile,
    InboundMail,
    MailboxState,
    RecipientRow,
    ReviewItem,
    literal,
    utcnow,
)
from storage.upsert import insert_ignore, insert_key, insert_new

if TYPE_CHECKING:
    from parsers.mail_classify import AgencyRef


def _state_row(mailbox: str, uidvalidity: int, *, session: Session, lock: bool = False) -> MailboxState | None:
    stmt = select(MailboxState).where(MailboxState.mailbox == mailbox, MailboxState.uidvalidity == uidvalidity)
    return session.scalars(stmt.with_for_update() if lock else stmt).one_or_none()


def mailbox_state(mailbox: str, uidvalidity: int, *, session: Session) -> tuple[MailboxState, bool]:
    """The polling state of a folder under this UIDVALIDITY; True when the folder was polled
    before under another UIDVALIDITY (a resync is needed: its UIDs mean nothing now)."""
    state = _state_row(mailbox, uidvalidity, session=session)
    if state is not None:
        return state, False
    earlier = session.scalars(
        select(MailboxState).where(MailboxState.mailbox == mailbox).order_by(MailboxState.updated_at.desc(), MailboxState.id.desc())
    ).first()
    insert_ignore(session, MailboxState, {"mailbox": mailbox, "uidvalidity": uidvalidity, "last_uid": 0, "updated_at": utcnow()})
    state = _state_row(mailbox, uidvalidity, session=session)
    assert state is not None
    if earlier is None:
        return state, False
    session.add(
        Event(
            kind="mailbox_resync",
            message=f"UIDVALIDITY của {mailbox} đổi {earlier.uidvalidity} → {uidvalidity}: đồng bộ lại",
            data={"mailbox": mailbox, "old": earlier.uidvalidity, "new": uidvalidity},
        )
    )
    session.flush()
    return state, True


@cache
def _advance_stmt() -> Any:
    # Built once, run with parameters (building it per message was most of its cost).
    return (
        update(MailboxState)
        .where(
            MailboxState.mailbox == bindparam("b_mailbox"),
            MailboxState.uidvalidity == bindparam("b_uidvalidity"),
            MailboxState.last_uid < bindparam("b_uid"),
        )
        .values(last_uid=bindparam("b_uid"), updated_at=bindparam("b_at"))
        .execution_options(synchronize_session=False)
    )


def advance_mailbox(mailbox: str, uidvalidity: int, uid: int, *, session: Session) -> None:
    """Remember that every UID up to `uid` has been handled (never goes backwards). One
    UPDATE when the folder's row is there and behind (the case of every message of a poll)."""
    moved = session.execute(_advance_stmt(), {"b_mailbox": mailbox, "b_uidvalidity": uidvalidity, "b_uid": uid, "b_at": utcnow()})
    if moved.rowcount:  # type: ignore[attr-defined]
        return
    state = _state_row(mailbox, uidvalidity, session=session, lock=True)
    if state is None:
        insert_ignore(session, MailboxState, {"mailbox": mailbox, "uidvalidity": uidvalidity, "last_uid": uid, "updated_at": utcnow()})
        return
    if uid > state.last_uid:
        state.last_uid = uid
        state.updated_at = utcnow()
        session.flush()


def ledger_mail(mailbox: str, uidvalidity: int, uid: int, *, session: Session) -> InboundMail | None:
    """The ledger row of one message, if it was handled."""
    return session.scalars(
        select(InboundMail).where(
            InboundMail.mailbox == mailbox, InboundMail.uidvalidity == uidvalidity, InboundMail.uid == uid
        )
    ).one_or_none()


def insert_mail(values: dict[str, Any], *, session: Session) -> tuple[InboundMail, bool]:
    """Insert the ledger row of a message unless it exists; (row, created)."""
    new = insert_new(session, InboundMail, {"created_at": utcnow(), "details": {}, **values})
    if new is not None:
        return new, True
    row = ledger_mail(values["mailbox"], values["uidvalidity"], values["uid"], session=session)
    assert row is not None
    return row, False


def add_mail(values: dict[str, Any], *, session: Session) -> int | None:
    """Insert the ledger row of a message with its final values (one statement, no ORM
    object); its id, None when (mailbox, uidvalidity, uid) already holds one."""
    return insert_key(session, InboundMail, {"created_at": utcnow(), "details": {}, **values})


def _entry_where() -> Any:
    """The ledger look-up of one message: its own row (mailbox, uidvalidity, uid), or a row with
    the same raw bytes or Message-ID (`message_id = NULL` holds for no row); run with parameters."""
    table = InboundMail.__table__
    return or_(
        and_(
            table.c.mailbox == bindparam("b_mailbox"),
            table.c.uidvalidity == bindparam("b_uidvalidity"),
            table.c.uid == bindparam("b_uid"),
        ),
        table.c.raw_sha256 == bindparam("b_sha"),
        table.c.message_id == bindparam("b_message_id"),
    )


@cache
def _entry_probe() -> Any:
    # One column: most messages of a poll find nothing, and a Core query on the session's
    # connection costs a fraction of an ORM one.
    return select(InboundMail.__table__.c.id).where(_entry_where()).limit(1)


@cache
def _entry_stmt() -> Any:
    # Built once; the rows themselves, for a message the probe found in the ledger.
    return select(InboundMail).where(_entry_where()).order_by(InboundMail.id)


_KNOWN_BATCH = 500


@cache
def _known_stmt() -> Any:
    # Built once, with expanding IN lists (one statement whatever the chunk's size).
    table = InboundMail.__table__
    return select(table.c.uid, table.c.raw_sha256, table.c.message_id).where(
        or_(
            and_(
                table.c.mailbox == bindparam("b_mailbox"),
                table.c.uidvalidity == bindparam("b_uidvalidity"),
                table.c.uid.in_(bindparam("b_uids", expanding=True)),
            ),
            table.c.raw_sha256.in_(bindparam("b_shas", expanding=True)),
            table.c.message_id.in_(bindparam("b_message_ids", expanding=True)),
        )
    )


def known_keys(
    mailbox: str, uidvalidity: int, keys: Sequence[tuple[int, str, str | None]], *, session: Session
) -> tuple[set[int], set[str], set[str]]:
    """Which of these messages' keys — (uid, raw sha256, Message-ID) — the ledger holds, in ONE
    query for a fetched chunk (through the same three indexes as `ledger_entry`): (uids of
    this folder's rows among them, raw sha256s, Message-IDs). A message none of whose keys is
    held is new to the ledger as of this read; `ledger_entry` still looks up every other."""
    uids: set[int] = set()
    shas: set[str] = set()
    message_ids: set[str] = set()
    for start in range(0, len(keys), _KNOWN_BATCH):  # SQLite's bound parameters are limited
        batch = keys[start : start + _KNOWN_BATCH]
        params = {
            "b_mailbox": mailbox,
            "b_uidvalidity": uidvalidity,
            "b_uids": [k[0] for k in batch],
            "b_shas": [k[1] for k in batch],
            "b_message_ids": [k[2] for k in batch if k[2]],
        }
        for uid, sha, message_id in session.connection().execute(_known_stmt(), params):
            uids.add(uid)
            shas.add(sha)
            if message_id:
                message_ids.add(message_id)
    return uids, shas, message_ids


def ledger_entry(
    mailbox: str,
    uidvalidity: int,
    uid: int,
    raw_sha256: str,
    message_id: str | None,
    from_addr: str | None,
    files: Sequence[str],
    *,
    session: Session,
    known_new: bool = False,
) -> tuple[InboundMail | None, InboundMail | None]:
    """(the message's own ledger row if it was handled before, an earlier row holding the same
    message), read in one query. A copy is the same bytes, or the same Message-ID (a second
    delivery, other Received lines) from the same sender with the same files (sha256); a
    Message-ID a careless mailer reuses for another message does not make it a copy. Failed
    rows are no copies; for a message handled before, only rows older than its own are.

    `known_new`: the caller read the ledger for this message's keys in the same run (a fetched
    chunk's `known_keys`) and none was held, nor seen earlier in the chunk: no look-up."""
    if known_new:
        return None, None
    params = {"b_mailbox": mailbox, "b_uidvalidity": uidvalidity, "b_uid": uid, "b_sha": raw_sha256, "b_message_id": message_id or None}
    session.flush()  # what the ORM query would do first (autoflush); a Core one does not
    if session.connection().execute(_entry_probe(), params).first() is None:
        return None, None  # the common case: a message the ledger has never seen
    rows = list(session.scalars(_entry_stmt(), params))
    own = next((r for r in rows if (r.mailbox, r.uidvalidity, r.uid) == (mailbox, uidvalidity, uid)), None)
    earlier = [r for r in rows if r is not own and r.status != ItemStatus.FAILED and (own is None or r.id < own.id)]
    same_bytes = next((r for r in earlier if r.raw_sha256 == raw_sha256), None)
    if same_bytes is not None or not message_id:
        return own, same_bytes
    for other in earlier:
        if other.message_id != message_id or other.from_addr != from_addr:
            continue
        theirs = session.scalars(select(Document.sha256).where(Document.inbound_mail_id == other.id))
        if sorted(theirs) == sorted(files):
            return own, other
    return own, None


def unmarked_on_server(mailbox: str, uidvalidity: int, *, session: Session) -> list[InboundMail]:
    """Messages committed but not yet flagged/moved on the server (a run died in between);
    failed ones stay on the server as they are. Read through the partial index of pending
    rows, so the cost does not grow with the ledger."""
    return list(
        session.scalars(
            select(InboundMail)
            .where(
                InboundMail.mailbox == mailbox,
                InboundMail.uidvalidity == uidvalidity,
                InboundMail.server_marked_at.is_(None),
                InboundMail.status != literal(ItemStatus.FAILED),
            )
            .order_by(InboundMail.uid)
        )
    )


def mark_done_on_server(ids: list[int], at: dt.datetime, *, session: Session) -> None:
    """Record that these messages were flagged or moved on the server: one UPDATE per 500
    rows, no ORM object (a first pass flags thousands of messages at once)."""
    for start in range(0, len(ids), 500):
        session.execute(
            update(InboundMail)
            .where(InboundMail.id.in_(ids[start : start + 500]))
            .values(server_marked_at=at)
            .execution_options(synchronize_session=False)
        )


def add_document(values: dict[str, Any], *, session: Session) -> Document:
    """Insert a document (idempotent on (inbound_mail_id|inbound_file_id, part_index)): one
    INSERT … RETURNING the row; the row already there is read only when it existed."""
    new = insert_new(session, Document, {"created_at": utcnow(), "parse_result": {}, **values})
    if new is not None:
        return new
    stmt = select(Document).where(Document.part_index == values.get("part_index", 0))
    if values.get("inbound_mail_id") is not None:
        stmt = stmt.where(Document.inbound_mail_id == values["inbound_mail_id"])
    else:
        stmt = stmt.where(Document.inbound_file_id == values["inbound_file_id"])
    return session.scalars(stmt).one()


def open_review(values: dict[str, Any], *, session: Session) -> ReviewItem:
    """Put an item in the review queue (one per source_key)."""
    insert_ignore(session, ReviewItem, {"created_at": utcnow(), "status": "open", "plan": {}, "candidates": [], **values})
    return session.scalars(select(ReviewItem).where(ReviewItem.source_key == values["source_key"])).one()


def waiting_appendices(campaign_id: str, recipient_id: int, *, session: Session) -> list[ReviewItem]:
    """The agency's appendices still waiting for the report they name (open `appendix` items)."""
    items = session.scalars(
        select(ReviewItem)
        .where(
            ReviewItem.campaign_id == campaign_id,
            ReviewItem.kind == ReviewKind.APPENDIX,
            ReviewItem.status == literal(ReviewStatus.OPEN),
        )
        .order_by(ReviewItem.id)
    )
    return [i for i in items if (i.plan or {}).get("recipient_id") == recipient_id]


def close_review(item: ReviewItem, recipient_id: int | None, note: str, *, session: Session) -> None:
    """Settle an item without a person (what it waited for happened), saying why."""
    item.status, item.resolved_by, item.resolved_at = ReviewStatus.RESOLVED, "system", utcnow()
    item.resolved_recipient_id = recipient_id
    item.plan = {**(item.plan or {}), "closed": note}
    session.flush()


def agency_refs(campaign_id: str, *, session: Session) -> list[AgencyRef]:
    """Active recipients with their contact addresses, for attribution."""
    from parsers.mail_classify import (
        AgencyRef,  # lazy: `status` reads the ledger without the classifier
    )

    recipients = list(
        session.scalars(
            select(RecipientRow).where(RecipientRow.campaign_id == campaign_id, RecipientRow.active.is_(True))
        )
    )
    emails: dict[int, list[str]] = {}
    for contact in session.scalars(
        select(ContactRow).where(ContactRow.recipient_id.in_([r.id for r in recipients]))
    ):
        emails.setdefault(contact.recipient_id, []).append(contact.email.lower())
    return [
        AgencyRef(r.id, r.code, r.name, tuple(r.aliases or ()), tuple(emails.get(r.id, ())))
        for r in recipients
    ]


def mark_bouncing(
    campaign_id: str, addresses: list[str], reason: str, at: dt.datetime, *, session: Session
) -> list[str]:
    """Mark the contacts with these addresses as bouncing; returns the recipient codes hit."""
    if not addresses:
        return []
    hit: list[str] = []
    rows = session.execute(
        select(ContactRow, RecipientRow)
        .join(RecipientRow, ContactRow.recipient_id == RecipientRow.id)
        .where(RecipientRow.campaign_id == campaign_id, ContactRow.email.in_([a.lower() for a in addresses]))
    )
    for contact, recipient in rows:
        if not contact.bouncing:
            contact.bouncing, contact.bounced_at, contact.bounce_reason = True, at, reason
            session.add(
                Event(
                    campaign_id=campaign_id,
                    recipient_id=recipient.id,
                    kind="contact_bouncing",
                    message=f"Địa chỉ {contact.email} bị trả lại thư",
                    data={"email": contact.email},
                )
            )
        hit.append(recipient.code)
    return sorted(set(hit))


def clear_bouncing(address: str | None, at: dt.datetime, *, session: Session) -> list[str]:
    """A reply came from `address` at `at`: mail reaches it again, so a bounce marked before
    then is cleared (in every campaign: the address works whatever campaign it serves).
    Returns the recipient codes whose address was cleared."""
    if not address:
        return []
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    hit: list[str] = []
    rows = session.execute(
        select(ContactRow, RecipientRow)
        .join(RecipientRow, ContactRow.recipient_id == RecipientRow.id)
        .where(ContactRow.email == address.strip().lower(), ContactRow.bouncing.is_(True))
    )
    for contact, recipient in rows:
        marked = contact.bounced_at
        if marked is not None and (marked if marked.tzinfo else marked.replace(tzinfo=dt.UTC)) > at:
            continue  # the reply was written before the bounce: it proves nothing
        contact.bouncing, contact.bounced_at, contact.bounce_reason = False, None, None
        session.add(
            Event(
                campaign_id=recipient.campaign_id,
                recipient_id=recipient.id,
                kind="contact_bouncing",
                message=f"Địa chỉ {contact.email} đã nhận và trả lời thư: bỏ đánh dấu bị trả lại",
                data={"email": contact.email, "bouncing": False},
            )
        )
        hit.append(recipient.code)
    return sorted(set(hit))


def insert_file(values: dict[str, Any], *, session: Session) -> tuple[InboundFile, bool]:
    """Insert the ledger row of a dropped file unless (path, sha256) exists; (row, created)."""
    created = insert_ignore(session, InboundFile, {"created_at": utcnow(), **values})
    row = session.scalars(
        select(InboundFile).where(InboundFile.path == values["path"], InboundFile.sha256 == values["sha256"])
    ).one()
    return row, created


def file_seen(sha256: str, exclude_id: int, *, session: Session) -> bool:
    """Whether these bytes already arrived (as a dropped file or a mail attachment)."""
    if session.scalars(select(InboundFile.id).where(InboundFile.sha256 == sha256, InboundFile.id != exclude_id).limit(1)).first():
        return True
    return bool(
        session.scalars(
            select(Document.id).where(Document.sha256 == sha256, Document.inbound_file_id.is_(None)).limit(1)
        ).first()
    )


def is_retry(row: InboundMail) -> bool:
    """A message that failed for a transient reason and is due another attempt."""
    return row.status == "failed" and bool((row.details or {}).get("retry"))


def record_failure(row: InboundMail, error: str, *, transient: bool, limit: int) -> bool:
    """Mark a message failed with the reason and count the attempt; True when it stays in the
    retry set (transient, fewer than `limit` attempts). The caller commits."""
    details = dict(row.details or {})
    attempts = int(details.get("attempts", 0)) + 1
    retry = transient and attempts < limit
    details.update(attempts=attempts, transient=transient, retry=retry)
    row.status, row.error, row.details = "failed", error[:4000], details
    return retry


def retry_gone(mailbox: str, uidvalidity: int, uids: Sequence[int], *, session: Session) -> int:
    """Failed messages due another attempt that the server no longer holds (deleted since):
    out of the retry set, with the reason kept; how many. The caller commits."""
    if not uids:
        return 0
    rows = list(
        session.scalars(
            select(InboundMail).where(
                InboundMail.mailbox == mailbox,
                InboundMail.uidvalidity == uidvalidity,
                InboundMail.uid.in_(list(uids)),
                InboundMail.status == literal(ItemStatus.FAILED),
            )
        )
    )
    for row in rows:
        row.details = {**(row.details or {}), "retry": False, "gone": True}
        row.error = f"{row.error or ''} — thư không còn trên máy chủ (đã bị xoá), không thử lại"[:4000]
    return len(rows)


def retry_uids(mailbox: str, uidvalidity: int, limit: int, *, session: Session) -> list[int]:
    """UIDs of messages that failed for a transient reason and are due another attempt."""
    rows = session.scalars(
        select(InboundMail).where(
            InboundMail.mailbox == mailbox, InboundMail.uidvalidity == uidvalidity, InboundMail.status == literal(ItemStatus.FAILED)
        )
    )
    return sorted(r.uid for r in rows if is_retry(r) and int(r.details.get("attempts", 0)) < limit)
