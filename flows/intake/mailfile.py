"""A mail message saved into the shared folder (Thunderbird's or Outlook's "Save as": `.eml`,
Outlook's `.msg`): handled as if it had arrived in the mailbox.

The file is stored raw first and has its row in the files' ledger, as every dropped file
(flows/intake/folder.py); its message then goes through the mail intake's own unit of work
(`flows.intake.mail.handle_mail`: classification, attribution by sender, thread and document,
its attachments — or its body, when it carries the report — parsed and decided as a poll would)
with a ledger row of its own in the mail ledger, under the mailbox key FOLDER_MAILBOX and the
file's ledger id as its UID. So the same message arriving by IMAP too (same bytes, or same
Message-ID from the same sender with the same files) is one reply, whichever came first.

Received time (lateness): the mail's Date header — when the agency sent it, not when someone
saved it or the folder was scanned; a message without a readable Date falls back to the file's
mtime. The rule used is kept on the message's ledger row (`details.folder_file.received_from`)
and shown in the review queue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from sqlalchemy.orm import Session

from flows.intake.context import Context
from flows.intake.documents import open_unreadable
from flows.intake.mail import handle_mail
from parsers.mail import parse_mail
from parsers.mail_classify import Attribution
from parsers.mail_file import MailFile, MailFileError
from parsers.vocab import ItemStatus
from storage.models import InboundFile, InboundMail

# The mail ledger's key for messages saved into the shared folder (an IMAP folder is
# "host/user/folder"); UIDVALIDITY 0, UID = the file's id in the files' ledger.
FOLDER_MAILBOX = "thu-muc-chung"
FOLDER_UIDVALIDITY = 0
RECEIVED_FROM = {
    "date_header": "ngày gửi ghi trong thư (Date)",
    "file_mtime": "thư không ghi ngày gửi: lấy thời điểm sửa tệp",
}


def received_rule(mail_date: dt.datetime | None, mtime: dt.datetime) -> tuple[dt.datetime, str]:
    """When a saved message was received, and by which rule (pure): its Date, else the mtime."""
    if mail_date is not None:
        return mail_date, "date_header"
    return mtime, "file_mtime"


def record_mail_file(
    ctx: Context, target: Context | None, row: InboundFile, rel: str, found: MailFile, mtime: dt.datetime,
    *, session: Session,
) -> dict[str, Any]:
    """One saved message, recorded through the mail intake (the caller commits). `target`: the
    campaign the file's place in the folder names (None: the message is routed as mail is)."""
    mail = parse_mail(found.raw, max_attachment_bytes=ctx.app.settings.max_file_bytes)
    received, rule = received_rule(mail.date, mtime)
    run = ctx if target is None else replace(target, siblings=[])
    outcome = handle_mail(run, FOLDER_MAILBOX, FOLDER_UIDVALIDITY, row.id, found.raw, received, session=session, mail=mail)
    ledger = session.get(InboundMail, outcome["inbound_mail_id"])
    if ledger is not None:
        ledger.details = {
            **(ledger.details or {}),
            "folder_file": {"id": row.id, "path": rel, "saved_as": found.kind, "received_from": rule},
        }
        row.recipient_id, row.attributed_by = ledger.recipient_id, ledger.attributed_by
        row.campaign_id = row.campaign_id or ledger.campaign_id
    return {
        **{k: v for k, v in outcome.items() if k != "uid"},
        "saved_mail": found.kind,
        "received_at": received.isoformat(),
        "received_from": RECEIVED_FROM[rule],
    }


def damaged_mail_file(
    ctx: Context, target: Context | None, row: InboundFile, attribution: Attribution, name: str, err: MailFileError,
    mtime: dt.datetime, *, session: Session,
) -> dict[str, Any]:
    """A file saved as a message that cannot be read as one: failed (moved to failed/ with the
    reason) and kept for a person in the review queue — with the agency its place names, if
    any; nothing is counted for anyone."""
    where = target or ctx
    row.campaign_id = row.campaign_id or where.campaign.id
    item = open_unreadable(
        where, attribution, [{"file": name, "reason": str(err), "code": err.code}],
        source_key=f"file:{row.id}", content_key=f"file:{row.sha256}", received_at=mtime, channel="folder",
        owner={"inbound_file_id": row.id}, session=session,
    )
    if attribution.recipient_id is not None:
        row.recipient_id, row.attributed_by = attribution.recipient_id, attribution.attributed_by
    return {
        "status": ItemStatus.FAILED, "error": str(err), "problem": err.code, "unreadable": True, "review_item": item.id,
        "recipient": where.code_of(attribution.recipient_id),
    }
