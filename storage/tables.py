"""The schema as SQLAlchemy Core tables: the one definition of every column, constraint and
index. storage.models maps the ORM classes onto these tables (what each column means is
said there); queries that only read, like `baocao status`'s (storage.status), use the tables
directly, so the command loads neither the ORM nor the declarative models (start-up time,
issue 14)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    literal_column,
    text,
)

from config import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Aware datetimes stored as UTC on every backend (SQLite has no time zones)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


# Predicates of the partial indexes. Queries repeat them with literal values (never bound
# parameters): a planner can only use a partial index when the query's WHERE implies the
# index's, and a generic prepared plan (PostgreSQL) cannot see a parameter's value.
UNMARKED_MAIL = "server_marked_at IS NULL AND status <> 'failed'"
OPEN_REVIEW = "status = 'open'"
FAILED = "status = 'failed'"
IN_REVIEW = "status = 'review'"
RECEIPT = "kind = 'receipt'"
NO_RECIPIENT = "recipient_id IS NULL"
PENDING_OCR = "status IN ('queued', 'running')"


def literal(value: str) -> Any:
    """A string constant rendered into the SQL (for predicates partial indexes must match)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def utcnow() -> dt.datetime:
    """Now, aware, in UTC (from the product's one clock: `config.clock`)."""
    return clock.utc_now()


def _where(predicate: str) -> dict[str, Any]:
    return {"sqlite_where": text(predicate), "postgresql_where": text(predicate)}


_PARTIAL: list[Index] = []
metadata = MetaData(naming_convention=NAMING_CONVENTION)

campaign = Table(
    "campaign",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", Text, nullable=False),
    Column("deadline_at", UTCDateTime(), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("source_path", Text, nullable=False),
    Column("source_sha256", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
)

recipient = Table(
    "recipient",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id", ondelete="RESTRICT"), nullable=False),
    Column("code", String(64), nullable=False),
    Column("name", Text, nullable=False),
    Column("group", String(64), nullable=False, default=""),
    Column("aliases", JSON, nullable=False, default=list),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("campaign_id", "code"),
)

contact = Table(
    "contact",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("recipient_id", Integer, ForeignKey("recipient.id", ondelete="CASCADE"), nullable=False),
    Column("email", String(320), nullable=False, index=True),
    Column("position", Integer, nullable=False, default=0),
    Column("active", Boolean, nullable=False, default=True),
    Column("bouncing", Boolean, nullable=False, default=False),
    Column("bounced_at", UTCDateTime()),
    Column("bounce_reason", Text),
    Column("source", String(16), nullable=False, default="list", server_default="list"),
    UniqueConstraint("recipient_id", "email"),
)

blob = Table(
    "blob",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("path", Text, nullable=False),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
)

mailbox_state = Table(
    "mailbox_state",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mailbox", String(512), nullable=False),
    Column("uidvalidity", Integer, nullable=False),
    Column("last_uid", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("mailbox", "uidvalidity"),
)

source_health = Table(
    "source_health",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(512), nullable=False),
    Column("last_attempt_at", UTCDateTime()),
    Column("last_success_at", UTCDateTime()),
    Column("last_error", Text),
    Column("last_error_at", UTCDateTime()),
    Column("failing_since", UTCDateTime()),
    Column("waiting", Integer, nullable=False, default=0),
    Column("alerted_at", UTCDateTime()),
    UniqueConstraint("kind", "name"),
)

inbound_mail = Table(
    "inbound_mail",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id")),
    Column("mailbox", String(512), nullable=False),
    Column("uidvalidity", Integer, nullable=False),
    Column("uid", Integer, nullable=False),
    Column("message_id", String(998)),
    Column("raw_sha256", String(64), ForeignKey("blob.sha256"), nullable=False),
    Column("internal_date", UTCDateTime()),
    Column("date_header", UTCDateTime()),
    Column("from_addr", String(320)),
    Column("subject", Text),
    Column("classification", String(32)),
    Column("status", String(16), nullable=False, default="received"),
    Column("error", Text),
    Column("recipient_id", Integer, ForeignKey("recipient.id")),
    Column("attributed_by", String(64)),
    Column("duplicate_of_id", Integer, ForeignKey("inbound_mail.id")),
    Column("details", JSON, nullable=False, default=dict),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("processed_at", UTCDateTime()),
    Column("server_marked_at", UTCDateTime()),
    UniqueConstraint("mailbox", "uidvalidity", "uid"),
    Index("ix_inbound_mail_message_id", "message_id"),
    Index("ix_inbound_mail_raw_sha256", "raw_sha256"),
    # The web board's "last contact" per recipient, read from the index alone.
    Index("ix_inbound_mail_campaign_recipient_date", "campaign_id", "recipient_id", "internal_date"),
)

inbound_file = Table(
    "inbound_file",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id")),
    Column("path", Text, nullable=False),
    Column("sha256", String(64), ForeignKey("blob.sha256"), nullable=False),
    Column("size", Integer, nullable=False),
    Column("mtime", UTCDateTime(), nullable=False),
    Column("status", String(16), nullable=False, default="received"),
    Column("error", Text),
    Column("recipient_id", Integer, ForeignKey("recipient.id")),
    Column("attributed_by", String(64)),
    Column("moved_to", Text),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("processed_at", UTCDateTime()),
    UniqueConstraint("path", "sha256"),
    Index("ix_inbound_file_sha256", "sha256"),
)

document = Table(
    "document",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("inbound_mail_id", Integer, ForeignKey("inbound_mail.id")),
    Column("inbound_file_id", Integer, ForeignKey("inbound_file.id")),
    Column("part_index", Integer, nullable=False, default=0),
    Column("sha256", String(64), ForeignKey("blob.sha256"), nullable=False, index=True),
    Column("filename", Text, nullable=False),
    Column("format", String(16)),
    Column("kind", String(16)),
    Column("status", String(16), nullable=False, default="parsed"),
    Column("error_code", String(64)),
    Column("error_message", Text),
    Column("parse_result", JSON, nullable=False, default=dict),
    Column("signatures", JSON, nullable=False, default=list),
    Column("ocr", JSON),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("inbound_mail_id", "part_index"),
    UniqueConstraint("inbound_file_id", "part_index"),
)

submission = Table(
    "submission",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("recipient_id", Integer, ForeignKey("recipient.id"), nullable=False),
    Column("received_at", UTCDateTime(), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False, default="valid"),
    Column("superseded_by_id", Integer, ForeignKey("submission.id")),
    Column("inbound_mail_id", Integer, ForeignKey("inbound_mail.id")),
    Column("inbound_file_id", Integer, ForeignKey("inbound_file.id")),
    Column("document_id", Integer, ForeignKey("document.id")),
    Column("content_key", String(128), nullable=False),
    Column("doc_number", String(128)),
    Column("doc_date", Date),
    Column("extra_text", Text, nullable=False, default=""),
    Column("extra_rows", JSON, nullable=False, default=list),
    Column("problems", JSON, nullable=False, default=list),
    Column("missing_sections", JSON, nullable=False, default=list),
    Column("missing_rows", JSON, nullable=False, default=list),
    Column("confidence", Float),
    Column("coverage", Float),
    Column("evidence", JSON, nullable=False, default=list),
    Column("draft", Boolean, nullable=False, default=False),
    Column("says_replaces", Boolean, nullable=False, default=False),
    Column("replaces_number", Text),
    Column("part_of", Text),
    Column("parts", JSON, nullable=False, default=list),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("campaign_id", "recipient_id", "content_key"),
    Index("ix_submission_campaign_recipient", "campaign_id", "recipient_id"),
    Index("ix_submission_inbound_mail_id", "inbound_mail_id"),
)

section_answer = Table(
    "section_answer",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("section_id", String(32), nullable=False),
    Column("text", Text, nullable=False, default=""),
    Column("empty", Boolean, nullable=False, default=True),
    Column("where", Text),
    Column("explicit_none", Boolean, nullable=False, default=False),
    Column("confidence", Float),
    Column("part", String(16), nullable=False, default="section"),
    UniqueConstraint("submission_id", "section_id"),
)

indicator_value = Table(
    "indicator_value",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("row_id", String(32), nullable=False),
    Column("plan", Float),
    Column("result", Float),
    Column("rate", Float),
    Column("rate_computed", Boolean, nullable=False, default=False),
    Column("raw", JSON, nullable=False, default=dict),
    Column("where", Text),
    Column("values", JSON, nullable=False, default=dict),
    Column("explicit_none", Boolean, nullable=False, default=False),
    Column("confidence", Float),
    UniqueConstraint("submission_id", "row_id"),
)

outbound_mail = Table(
    "outbound_mail",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("recipient_id", Integer, ForeignKey("recipient.id")),
    Column("kind", String(32), nullable=False),
    Column("slot", String(128), nullable=False),
    Column("to_addrs", JSON, nullable=False, default=list),
    Column("subject", Text, nullable=False, default=""),
    Column("message_id", String(998), nullable=False, unique=True),
    Column("in_reply_to_mail_id", Integer, ForeignKey("inbound_mail.id")),
    Column("status", String(16), nullable=False, default="pending"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("raw_sha256", String(64), ForeignKey("blob.sha256")),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("sent_at", UTCDateTime()),
    # A reminder's working day in the campaign's time zone (ISO date; NULL for other kinds):
    # at most one reminder per recipient and day, automatic or "nhắc ngay" (NULLs never clash).
    Column("reminder_day", String(10)),
    UniqueConstraint("campaign_id", "recipient_id", "kind", "slot"),
    # (day before recipient: the same key serves "who was reminded on this day", `reminded_on`.)
    UniqueConstraint("campaign_id", "reminder_day", "recipient_id"),
    # One slot's mails (exactly-once look-ups, "already reminded in this slot").
    Index("ix_outbound_mail_campaign_slot_kind", "campaign_id", "slot", "kind"),
    # Status indexes: receipts to retry, reminders sent, mails failed or of unknown fate
    # are ranges of these, never a scan of every mail ever sent.
    Index("ix_outbound_mail_campaign_kind_status", "campaign_id", "kind", "status", "recipient_id"),
    Index("ix_outbound_mail_campaign_status", "campaign_id", "status", "recipient_id"),
)

review_item = Table(
    "review_item",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id")),
    Column("source_key", String(64), nullable=False),
    Column("kind", String(16), nullable=False, default="attribution"),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), index=True),
    Column("inbound_mail_id", Integer, ForeignKey("inbound_mail.id")),
    Column("inbound_file_id", Integer, ForeignKey("inbound_file.id")),
    Column("document_id", Integer, ForeignKey("document.id")),
    Column("reason", Text, nullable=False),
    Column("candidates", JSON, nullable=False, default=list),
    Column("plan", JSON, nullable=False, default=dict),
    Column("status", String(16), nullable=False, default="open"),
    Column("resolved_recipient_id", Integer, ForeignKey("recipient.id")),
    Column("resolved_by", String(128)),
    Column("resolved_at", UTCDateTime()),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("source_key"),
)

event = Table(
    "event",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=False, default=utcnow),
    Column("campaign_id", String(64), ForeignKey("campaign.id")),
    Column("recipient_id", Integer, ForeignKey("recipient.id")),
    Column("kind", String(64), nullable=False),
    Column("actor", String(128), nullable=False, default="system"),
    Column("message", Text, nullable=False, default=""),
    Column("data", JSON, nullable=False, default=dict),
    Index("ix_event_campaign_recipient_at", "campaign_id", "recipient_id", "at"),
)

app_user = Table(
    "app_user",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(128), nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("last_login_at", UTCDateTime()),
    # Bumped at logout: a session cookie carrying an older number no longer logs anyone in.
    Column("session_version", Integer, nullable=False, default=0, server_default="0"),
    UniqueConstraint("name"),
)

correction = Table(
    "correction",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("target", String(16), nullable=False),
    Column("item_id", String(32), nullable=False),
    Column("field", String(16), nullable=False),
    Column("old_value", JSON, nullable=False, default=dict),
    Column("new_value", JSON, nullable=False, default=dict),
    Column("reason", Text, nullable=False, default=""),
    Column("actor", String(128), nullable=False),
    Column("at", UTCDateTime(), nullable=False, default=utcnow),
    Index("ix_correction_submission", "submission_id"),
)

submission_acceptance = Table(
    "submission_acceptance",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("submission_id", Integer, ForeignKey("submission.id", ondelete="CASCADE"), nullable=False),
    Column("actor", String(128), nullable=False),
    Column("note", Text, nullable=False, default=""),
    Column("at", UTCDateTime(), nullable=False, default=utcnow),
    UniqueConstraint("submission_id"),
)

deadline_override = Table(
    "deadline_override",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("recipient_id", Integer, ForeignKey("recipient.id", ondelete="CASCADE"), nullable=False),
    Column("deadline", Date, nullable=False),
    Column("reason", Text, nullable=False, default=""),
    Column("actor", String(128), nullable=False),
    Column("at", UTCDateTime(), nullable=False, default=utcnow, onupdate=utcnow),
    UniqueConstraint("campaign_id", "recipient_id"),
)


ocr_job = Table(
    "ocr_job",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id")),
    Column("inbound_mail_id", Integer, ForeignKey("inbound_mail.id", ondelete="CASCADE")),
    Column("inbound_file_id", Integer, ForeignKey("inbound_file.id", ondelete="CASCADE")),
    Column("files", JSON, nullable=False, default=list),
    Column("pages", Integer, nullable=False, default=0),
    Column("status", String(16), nullable=False, default="queued"),
    Column("attempts", Integer, nullable=False, default=0),
    Column("error", Text),
    Column("outcome", JSON),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("started_at", UTCDateTime()),
    Column("finished_at", UTCDateTime()),
    UniqueConstraint("inbound_mail_id"),
    UniqueConstraint("inbound_file_id"),
    Index("ix_ocr_job_status", "status"),
)

deadline_run = Table(
    "deadline_run",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", String(64), ForeignKey("campaign.id"), nullable=False),
    Column("deadline_at", UTCDateTime(), nullable=False),
    Column("built_at", UTCDateTime(), nullable=False, default=utcnow),
    Column("report", JSON, nullable=False, default=dict),
    UniqueConstraint("campaign_id", "deadline_at"),
)

def partial_indexes() -> list[Index]:
    """The partial indexes (pending and failed work, the open review queue), added to the tables
    once by storage.models.

    They are not in the `Table(...)` calls above because their `postgresql_where` makes
    SQLAlchemy import the PostgreSQL dialect to check the argument (~20 ms): `baocao status`
    reads the tables through this module alone and creates no index, so on SQLite it never
    loads that dialect. Everything that creates or compares the schema (Alembic's env, the
    migrations test, the ORM) imports storage.models, where they are always added."""
    if _PARTIAL:
        return _PARTIAL
    _PARTIAL.extend([
        # Pending work only: committed but not yet flagged/moved on the server.
        Index("ix_inbound_mail_unmarked", inbound_mail.c.mailbox, inbound_mail.c.uidvalidity, inbound_mail.c.uid, **_where(UNMARKED_MAIL)),
        # Failed messages only: the status list and the retry set (storage.ingest).
        Index("ix_inbound_mail_failed", inbound_mail.c.campaign_id, inbound_mail.c.id, **_where(FAILED)),
        Index("ix_inbound_mail_failed_box", inbound_mail.c.mailbox, inbound_mail.c.uidvalidity, **_where(FAILED)),
        # Messages waiting for a person only: status's and reminders' "unreadable reply" look-up
        # (an index on the campaign and recipient alone reads every message they ever sent).
        Index("ix_inbound_mail_review", inbound_mail.c.campaign_id, inbound_mail.c.recipient_id, **_where(IN_REVIEW)),
        Index("ix_inbound_file_failed", inbound_file.c.campaign_id, inbound_file.c.id, **_where(FAILED)),
        # The open queue only (settled items stay forever as history).
        Index("ix_review_item_open", review_item.c.campaign_id, review_item.c.created_at, **_where(OPEN_REVIEW)),
        # At most one receipt per message and slot (`mail:<id>`, `mail:<id>:sau-kiem-tra`),
        # whichever campaigns the message answered: a second one cannot be reserved.
        Index("ux_outbound_mail_receipt_slot", outbound_mail.c.slot, unique=True, **_where(RECEIPT)),
        # At most one mail per slot without a recipient (alerts to staff): the key above holds
        # recipient_id, and NULLs never clash in a unique key (0006).
        Index("ux_outbound_mail_no_recipient_slot", outbound_mail.c.campaign_id, outbound_mail.c.kind, outbound_mail.c.slot,
              unique=True, **_where(NO_RECIPIENT)),
        # The OCR queue's jobs still to read only (finished ones stay forever as history).
        Index("ix_ocr_job_pending", ocr_job.c.id, **_where(PENDING_OCR)),
    ])
    return _PARTIAL
