"""SQLAlchemy 2 models of baocao: campaigns, recipients, the inbound ledger, submissions,
outbound mail (requests, reminders, receipts), the review queue and the event log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    literal_column,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

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


def literal(value: str) -> Any:
    """A string constant rendered into the SQL (for predicates partial indexes must match)."""
    return literal_column("'" + value.replace("'", "''") + "'")


def utcnow() -> dt.datetime:
    """Now, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """Base of every model, with a constraint naming convention for migrations."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dt.datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class CampaignRow(Base):
    """A campaign as loaded from its YAML (the definition is kept whole, as JSON)."""

    __tablename__ = "campaign"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(Text)
    deadline_at: Mapped[dt.datetime]
    timezone: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]]
    source_path: Mapped[str] = mapped_column(Text)
    source_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    recipients: Mapped[list[RecipientRow]] = relationship(back_populates="campaign")


class RecipientRow(Base):
    """An agency asked to report in a campaign. Never deleted: `active` goes false instead."""

    __tablename__ = "recipient"
    __table_args__ = (UniqueConstraint("campaign_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(Text)
    group: Mapped[str] = mapped_column(String(64), default="")
    aliases: Mapped[list[Any]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    campaign: Mapped[CampaignRow] = relationship(back_populates="recipients")
    contacts: Mapped[list[ContactRow]] = relationship(
        back_populates="recipient", order_by="ContactRow.position"
    )


class ContactRow(Base):
    """One email address of a recipient; bouncing addresses are marked, not removed."""

    __tablename__ = "contact"
    __table_args__ = (UniqueConstraint("recipient_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="CASCADE"))
    email: Mapped[str] = mapped_column(String(320), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    bouncing: Mapped[bool] = mapped_column(Boolean, default=False)
    bounced_at: Mapped[dt.datetime | None]
    bounce_reason: Mapped[str | None] = mapped_column(Text)
    # "list": from the recipients file (`baocao init` keeps it in step); "manual": a person
    # added, fixed or retired it in the workspace, and `baocao init` leaves it as they decided.
    source: Mapped[str] = mapped_column(String(16), default="list", server_default="list")

    recipient: Mapped[RecipientRow] = relationship(back_populates="contacts")


class Blob(Base):
    """A stored byte string, content-addressed by sha256 under the data dir."""

    __tablename__ = "blob"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MailboxState(Base):
    """Where polling of one mailbox folder has got to, per UIDVALIDITY: the folder is the unit
    of polling (one poll feeds every open campaign), so no campaign appears here. `mailbox` is
    the ledger's name of the folder, `user@host/folder`; a new UIDVALIDITY starts a new row."""

    __tablename__ = "mailbox_state"
    __table_args__ = (UniqueConstraint("mailbox", "uidvalidity"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(512))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    last_uid: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class SourceHealth(Base):
    """How polling of one source is going: a mailbox folder (kind `mail`, name `user@host/folder`)
    or the shared folder (kind `folder`, its path). Shown on the dashboard and the board."""

    __tablename__ = "source_health"
    __table_args__ = (UniqueConstraint("kind", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(512))
    last_attempt_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None]
    # The first failed poll since the last successful one (None while polls succeed).
    failing_since: Mapped[dt.datetime | None]
    # Messages or files found but not handled by the last successful poll.
    waiting: Mapped[int] = mapped_column(Integer, default=0)
    # When TĐC was told that nothing could be fetched (once per outage).
    alerted_at: Mapped[dt.datetime | None]


class InboundMail(Base):
    """The ledger of mail messages: one row per (mailbox, UIDVALIDITY, UID)."""

    __tablename__ = "inbound_mail"
    __table_args__ = (
        UniqueConstraint("mailbox", "uidvalidity", "uid"),
        Index("ix_inbound_mail_message_id", "message_id"),
        Index("ix_inbound_mail_raw_sha256", "raw_sha256"),
        # Pending work only: committed but not yet flagged/moved on the server.
        Index(
            "ix_inbound_mail_unmarked",
            "mailbox",
            "uidvalidity",
            "uid",
            sqlite_where=text(UNMARKED_MAIL),
            postgresql_where=text(UNMARKED_MAIL),
        ),
        # The web board's "last contact" per recipient, read from the index alone.
        Index("ix_inbound_mail_campaign_recipient_date", "campaign_id", "recipient_id", "internal_date"),
        # Failed messages only: the status list and the retry set (storage.ingest).
        Index("ix_inbound_mail_failed", "campaign_id", "id", sqlite_where=text(FAILED), postgresql_where=text(FAILED)),
        Index("ix_inbound_mail_failed_box", "mailbox", "uidvalidity", sqlite_where=text(FAILED), postgresql_where=text(FAILED)),
        # Messages waiting for a person only: status's and reminders' "unreadable reply" look-up
        # (an index on the campaign and recipient alone reads every message they ever sent).
        Index("ix_inbound_mail_review", "campaign_id", "recipient_id", sqlite_where=text(IN_REVIEW), postgresql_where=text(IN_REVIEW)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaign.id"))
    mailbox: Mapped[str] = mapped_column(String(512))
    uidvalidity: Mapped[int] = mapped_column(Integer)
    uid: Mapped[int] = mapped_column(Integer)
    message_id: Mapped[str | None] = mapped_column(String(998))
    raw_sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    internal_date: Mapped[dt.datetime | None]
    date_header: Mapped[dt.datetime | None]
    from_addr: Mapped[str | None] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    # submission | nil_report | acknowledgement | auto_reply | bounce | own | unrelated
    classification: Mapped[str | None] = mapped_column(String(32))
    # received | processed | duplicate | review | failed
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    attributed_by: Mapped[str | None] = mapped_column(String(64))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]
    server_marked_at: Mapped[dt.datetime | None]


class InboundFile(Base):
    """The ledger of files from the shared folder: one row per (path, sha256)."""

    __tablename__ = "inbound_file"
    __table_args__ = (
        UniqueConstraint("path", "sha256"),
        Index("ix_inbound_file_sha256", "sha256"),
        Index("ix_inbound_file_failed", "campaign_id", "id", sqlite_where=text(FAILED), postgresql_where=text(FAILED)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaign.id"))
    path: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"))
    size: Mapped[int] = mapped_column(Integer)
    mtime: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(String(16), default="received")
    error: Mapped[str | None] = mapped_column(Text)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    attributed_by: Mapped[str | None] = mapped_column(String(64))
    moved_to: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[dt.datetime | None]


class Document(Base):
    """One file that arrived (a mail attachment or a dropped file) and what parsing made of it."""

    __tablename__ = "document"
    __table_args__ = (
        UniqueConstraint("inbound_mail_id", "part_index"),
        UniqueConstraint("inbound_file_id", "part_index"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    inbound_file_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_file.id"))
    part_index: Mapped[int] = mapped_column(Integer, default=0)
    sha256: Mapped[str] = mapped_column(ForeignKey("blob.sha256"), index=True)
    filename: Mapped[str] = mapped_column(Text)
    format: Mapped[str | None] = mapped_column(String(16))
    kind: Mapped[str | None] = mapped_column(String(16))
    # parsed | rejected | skipped
    status: Mapped[str] = mapped_column(String(16), default="parsed")
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_message: Mapped[str | None] = mapped_column(Text)
    parse_result: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The PDF's digital signatures as checked (parsers.signatures.SignatureFacts.to_json):
    # signer O/OU/CN, signing time, intact, modified after signing, trusted, the summary line.
    signatures: Mapped[list[Any]] = mapped_column(default=list)
    # Read from a scan by OCR (pages, dpi, mean confidence): its figures need a person's confirmation.
    ocr: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Submission(Base):
    """A recipient's response: a report, a nil report, or an acknowledgement (a promise)."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("campaign_id", "recipient_id", "content_key"),
        Index("ix_submission_campaign_recipient", "campaign_id", "recipient_id"),
        Index("ix_submission_inbound_mail_id", "inbound_mail_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id"))
    received_at: Mapped[dt.datetime]
    channel: Mapped[str] = mapped_column(String(16))  # email | folder | manual
    kind: Mapped[str] = mapped_column(String(16))  # report | nil_report | acknowledgement
    status: Mapped[str] = mapped_column(String(16), default="valid")  # valid | superseded
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id"))
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    inbound_file_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_file.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    # What makes two submissions "the same": the sha256 of the main document, or of the mail.
    content_key: Mapped[str] = mapped_column(String(128))
    doc_number: Mapped[str | None] = mapped_column(String(128))
    doc_date: Mapped[dt.date | None]
    extra_text: Mapped[str] = mapped_column(Text, default="")
    extra_rows: Mapped[list[Any]] = mapped_column(default=list)
    problems: Mapped[list[Any]] = mapped_column(default=list)
    missing_sections: Mapped[list[Any]] = mapped_column(default=list)
    missing_rows: Mapped[list[Any]] = mapped_column(default=list)
    # 0..1 as the parser judged it (lowered by each problem); coverage of the outline, 0..1.
    confidence: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float | None] = mapped_column(Float)
    # Why the document counts as a report (short Vietnamese phrases from the parser).
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    draft: Mapped[bool] = mapped_column(Boolean, default=False)
    says_replaces: Mapped[bool] = mapped_column(Boolean, default=False)
    part_of: Mapped[str | None] = mapped_column(Text)
    # The other files it was built from, beside `document_id` (an Excel table, an appendix sent
    # in a later message): [{"document_id", "member"}], so a later appendix can join it again.
    parts: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    sections: Mapped[list[SectionAnswer]] = relationship(back_populates="submission")
    indicators: Mapped[list[IndicatorValue]] = relationship(back_populates="submission")


class SectionAnswer(Base):
    """What a submission says under one narrative section of the outline."""

    __tablename__ = "section_answer"
    __table_args__ = (UniqueConstraint("submission_id", "section_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    section_id: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text, default="")
    empty: Mapped[bool] = mapped_column(Boolean, default=True)
    where: Mapped[str | None] = mapped_column(Text)
    # The agency answered "Không có" / "Không phát sinh": an answer, not a gap.
    explicit_none: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float)
    # "section" (of the outline) or "closing" (đánh giá, khó khăn, kiến nghị, phương hướng).
    part: Mapped[str] = mapped_column(String(16), default="section")

    submission: Mapped[Submission] = relationship(back_populates="sections")


class IndicatorValue(Base):
    """One row of the quantitative table in a submission: numbers, raw text and provenance."""

    __tablename__ = "indicator_value"
    __table_args__ = (UniqueConstraint("submission_id", "row_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    row_id: Mapped[str] = mapped_column(String(32))
    plan: Mapped[float | None] = mapped_column(Float)
    result: Mapped[float | None] = mapped_column(Float)
    rate: Mapped[float | None] = mapped_column(Float)
    rate_computed: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    where: Mapped[str | None] = mapped_column(Text)
    # Per figure (plan / result / rate): {"value", "source": read | derived | explicit_none |
    # missing, "raw", "where", "confidence"} as the parser gave it.
    values: Mapped[dict[str, Any]] = mapped_column(default=dict)
    explicit_none: Mapped[bool] = mapped_column(Boolean, default=False)
    confidence: Mapped[float | None] = mapped_column(Float)

    submission: Mapped[Submission] = relationship(back_populates="indicators")


class OutboundMail(Base):
    """Every mail we send (request, reminder, receipt), keyed so it goes out exactly once."""

    __tablename__ = "outbound_mail"
    __table_args__ = (
        UniqueConstraint("campaign_id", "recipient_id", "kind", "slot"),
        # One slot's mails (exactly-once look-ups, "already reminded in this slot").
        Index("ix_outbound_mail_campaign_slot_kind", "campaign_id", "slot", "kind"),
        # Status indexes: receipts to retry, reminders sent, mails failed or of unknown fate
        # are ranges of these, never a scan of every mail ever sent.
        Index("ix_outbound_mail_campaign_kind_status", "campaign_id", "kind", "status", "recipient_id"),
        Index("ix_outbound_mail_campaign_status", "campaign_id", "status", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    # request | reminder | reminder_incomplete | receipt | alert
    kind: Mapped[str] = mapped_column(String(32))
    slot: Mapped[str] = mapped_column(String(128))
    to_addrs: Mapped[list[Any]] = mapped_column(default=list)
    subject: Mapped[str] = mapped_column(Text, default="")
    message_id: Mapped[str] = mapped_column(String(998), unique=True)
    in_reply_to_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    # pending | sent | failed
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    raw_sha256: Mapped[str | None] = mapped_column(ForeignKey("blob.sha256"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class ReviewItem(Base):
    """Something a person must decide: who sent it (attribution), whether a doubtful document
    replaces the current report (replace), a figure problem of a recorded submission
    (problem), or a reply whose files could not be read (unreadable)."""

    __tablename__ = "review_item"
    __table_args__ = (
        UniqueConstraint("source_key"),
        # The open queue only (settled items stay forever as history).
        Index(
            "ix_review_item_open",
            "campaign_id",
            "created_at",
            sqlite_where=text(OPEN_REVIEW),
            postgresql_where=text(OPEN_REVIEW),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaign.id"))
    # "mail:<id>", "file:<id>" or "document:<id>": one open item per source.
    source_key: Mapped[str] = mapped_column(String(64))
    # attribution | replace | problem | unreadable (parsers.vocab.ReviewKind)
    kind: Mapped[str] = mapped_column(String(16), default="attribution")
    # The recorded submission a problem item is about.
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    inbound_mail_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_mail.id"))
    inbound_file_id: Mapped[int | None] = mapped_column(ForeignKey("inbound_file.id"))
    document_id: Mapped[int | None] = mapped_column(ForeignKey("document.id"))
    reason: Mapped[str] = mapped_column(Text)
    candidates: Mapped[list[Any]] = mapped_column(default=list)
    # What settling the item creates: {"kind", "document_id", "member", "content_key", "received_at", "channel"}.
    plan: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open | resolved | dismissed
    resolved_recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    resolved_by: Mapped[str | None] = mapped_column(String(128))
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Event(Base):
    """The audit log: who or what did what, when (for the dashboard and history)."""

    __tablename__ = "event"
    __table_args__ = (Index("ix_event_campaign_recipient_at", "campaign_id", "recipient_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    campaign_id: Mapped[str | None] = mapped_column(ForeignKey("campaign.id"))
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("recipient.id"))
    kind: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(128), default="system")
    message: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class User(Base):
    """A person who uses the web workspace: viewer (reads), editor (acts), admin (manages)."""

    __tablename__ = "app_user"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(16))  # viewer | editor | admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]


class Correction(Base):
    """A person's correction of one parsed value; the original row stays as it was read.

    `target` is `indicator` (field plan / result / rate of row `item_id`) or `section` (field
    text of section `item_id`). The latest correction of a (submission, target, item, field)
    is the value the report uses."""

    __tablename__ = "correction"
    __table_args__ = (Index("ix_correction_submission", "submission_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    target: Mapped[str] = mapped_column(String(16))
    item_id: Mapped[str] = mapped_column(String(32))
    field: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"value": …} as read
    new_value: Mapped[dict[str, Any]] = mapped_column(default=dict)  # {"value": …}
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SubmissionAcceptance(Base):
    """A person checked a submission and accepted it."""

    __tablename__ = "submission_acceptance"
    __table_args__ = (UniqueConstraint("submission_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submission.id", ondelete="CASCADE"))
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class DeadlineOverride(Base):
    """A later deadline for one recipient (an extension); status and reminders honour it."""

    __tablename__ = "deadline_override"
    __table_args__ = (UniqueConstraint("campaign_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(ForeignKey("campaign.id"))
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipient.id", ondelete="CASCADE"))
    deadline: Mapped[dt.date]
    reason: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
