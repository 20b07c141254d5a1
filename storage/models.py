"""SQLAlchemy 2 models of baocao: campaigns, recipients, the inbound ledger, submissions,
outbound mail (requests, reminders, receipts), the review queue and the event log.

The columns, constraints and indexes are defined once, as Core tables, in storage.tables; each
model maps onto its table (`__table__`) and names its columns with `Mapped[...]` for the type
checker and the reader. Code that only reads (`baocao status`) uses the tables without the ORM."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from storage import tables
from storage.tables import (  # noqa: F401 (re-exported: the models' helpers, as before)
    FAILED,
    IN_REVIEW,
    NAMING_CONVENTION,
    OPEN_REVIEW,
    UNMARKED_MAIL,
    UTCDateTime,
    literal,
    utcnow,
)

tables.partial_indexes()  # the ORM and Alembic see the whole schema (see storage.tables)


class Base(DeclarativeBase):
    """Base of every model: the Core tables' metadata (with its constraint naming convention)."""

    metadata = tables.metadata


class CampaignRow(Base):
    """A campaign as loaded from its YAML (the definition is kept whole, as JSON)."""

    __table__ = tables.campaign

    id: Mapped[str]
    title: Mapped[str]
    deadline_at: Mapped[dt.datetime]
    timezone: Mapped[str]
    definition: Mapped[dict[str, Any]]
    source_path: Mapped[str]
    source_sha256: Mapped[str]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    recipients: Mapped[list[RecipientRow]] = relationship(back_populates="campaign")


class RecipientRow(Base):
    """An agency asked to report in a campaign. Never deleted: `active` goes false instead."""

    __table__ = tables.recipient

    id: Mapped[int]
    campaign_id: Mapped[str]
    code: Mapped[str]
    name: Mapped[str]
    group: Mapped[str]
    aliases: Mapped[list[Any]]
    active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    campaign: Mapped[CampaignRow] = relationship(back_populates="recipients")
    contacts: Mapped[list[ContactRow]] = relationship(
        back_populates="recipient", order_by="ContactRow.position"
    )


class ContactRow(Base):
    """One email address of a recipient; bouncing addresses are marked, not removed."""

    __table__ = tables.contact

    id: Mapped[int]
    recipient_id: Mapped[int]
    email: Mapped[str]
    position: Mapped[int]
    active: Mapped[bool]
    bouncing: Mapped[bool]
    bounced_at: Mapped[dt.datetime | None]
    bounce_reason: Mapped[str | None]
    # "list": from the recipients file (`baocao init` keeps it in step); "manual": a person
    # added, fixed or retired it in the workspace, and `baocao init` leaves it as they decided.
    source: Mapped[str]

    recipient: Mapped[RecipientRow] = relationship(back_populates="contacts")


class Blob(Base):
    """A stored byte string, content-addressed by sha256 under the data dir."""

    __table__ = tables.blob

    sha256: Mapped[str]
    size: Mapped[int]
    path: Mapped[str]
    created_at: Mapped[dt.datetime]


class MailboxState(Base):
    """Where polling of one mailbox folder has got to, per UIDVALIDITY: the folder is the unit
    of polling (one poll feeds every open campaign), so no campaign appears here. `mailbox` is
    the ledger's name of the folder, `user@host/folder`; a new UIDVALIDITY starts a new row."""

    __table__ = tables.mailbox_state

    id: Mapped[int]
    mailbox: Mapped[str]
    uidvalidity: Mapped[int]
    last_uid: Mapped[int]
    updated_at: Mapped[dt.datetime]


class SourceHealth(Base):
    """How polling of one source is going: a mailbox folder (kind `mail`, name `user@host/folder`)
    or the shared folder (kind `folder`, its path). Shown on the dashboard and the board."""

    __table__ = tables.source_health

    id: Mapped[int]
    kind: Mapped[str]
    name: Mapped[str]
    last_attempt_at: Mapped[dt.datetime | None]
    last_success_at: Mapped[dt.datetime | None]
    last_error: Mapped[str | None]
    last_error_at: Mapped[dt.datetime | None]
    # The first failed poll since the last successful one (None while polls succeed).
    failing_since: Mapped[dt.datetime | None]
    # Messages or files found but not handled by the last successful poll.
    waiting: Mapped[int]
    # When TĐC was told that nothing could be fetched (once per outage).
    alerted_at: Mapped[dt.datetime | None]


class InboundMail(Base):
    """The ledger of mail messages: one row per (mailbox, UIDVALIDITY, UID)."""

    __table__ = tables.inbound_mail

    id: Mapped[int]
    campaign_id: Mapped[str | None]
    mailbox: Mapped[str]
    uidvalidity: Mapped[int]
    uid: Mapped[int]
    message_id: Mapped[str | None]
    raw_sha256: Mapped[str]
    internal_date: Mapped[dt.datetime | None]
    date_header: Mapped[dt.datetime | None]
    from_addr: Mapped[str | None]
    subject: Mapped[str | None]
    # submission | nil_report | acknowledgement | auto_reply | bounce | own | unrelated
    classification: Mapped[str | None]
    # received | processed | duplicate | review | failed
    status: Mapped[str]
    error: Mapped[str | None]
    recipient_id: Mapped[int | None]
    attributed_by: Mapped[str | None]
    duplicate_of_id: Mapped[int | None]
    details: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]
    processed_at: Mapped[dt.datetime | None]
    server_marked_at: Mapped[dt.datetime | None]


class InboundFile(Base):
    """The ledger of files from the shared folder: one row per (path, sha256)."""

    __table__ = tables.inbound_file

    id: Mapped[int]
    campaign_id: Mapped[str | None]
    path: Mapped[str]
    sha256: Mapped[str]
    size: Mapped[int]
    mtime: Mapped[dt.datetime]
    status: Mapped[str]
    error: Mapped[str | None]
    recipient_id: Mapped[int | None]
    attributed_by: Mapped[str | None]
    moved_to: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    processed_at: Mapped[dt.datetime | None]


class Document(Base):
    """One file that arrived (a mail attachment or a dropped file) and what parsing made of it."""

    __table__ = tables.document

    id: Mapped[int]
    inbound_mail_id: Mapped[int | None]
    inbound_file_id: Mapped[int | None]
    part_index: Mapped[int]
    sha256: Mapped[str]
    filename: Mapped[str]
    format: Mapped[str | None]
    kind: Mapped[str | None]
    # parsed | rejected | skipped
    status: Mapped[str]
    error_code: Mapped[str | None]
    error_message: Mapped[str | None]
    parse_result: Mapped[dict[str, Any]]
    # The PDF's digital signatures as checked (parsers.signatures.SignatureFacts.to_json):
    # signer O/OU/CN, signing time, intact, modified after signing, trusted, the summary line.
    signatures: Mapped[list[Any]]
    # Read from a scan by OCR (pages, dpi, mean confidence): its figures need a person's confirmation.
    ocr: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]


class Submission(Base):
    """A recipient's response: a report, a nil report, or an acknowledgement (a promise)."""

    __table__ = tables.submission

    id: Mapped[int]
    campaign_id: Mapped[str]
    recipient_id: Mapped[int]
    received_at: Mapped[dt.datetime]
    channel: Mapped[str]  # email | folder | manual
    kind: Mapped[str]  # report | nil_report | acknowledgement
    status: Mapped[str]  # valid | superseded
    superseded_by_id: Mapped[int | None]
    inbound_mail_id: Mapped[int | None]
    inbound_file_id: Mapped[int | None]
    document_id: Mapped[int | None]
    # What makes two submissions "the same": the sha256 of the main document, or of the mail.
    content_key: Mapped[str]
    doc_number: Mapped[str | None]
    doc_date: Mapped[dt.date | None]
    extra_text: Mapped[str]
    extra_rows: Mapped[list[Any]]
    problems: Mapped[list[Any]]
    missing_sections: Mapped[list[Any]]
    missing_rows: Mapped[list[Any]]
    # 0..1 as the parser judged it (lowered by each problem); coverage of the outline, 0..1.
    confidence: Mapped[float | None]
    coverage: Mapped[float | None]
    # Why the document counts as a report (short Vietnamese phrases from the parser).
    evidence: Mapped[list[Any]]
    draft: Mapped[bool]
    says_replaces: Mapped[bool]
    # The number of the report it says it replaces: that one never supersedes it.
    replaces_number: Mapped[str | None]
    part_of: Mapped[str | None]
    # The other files it was built from, beside `document_id` (an Excel table, an appendix sent
    # in a later message): [{"document_id", "member"}], so a later appendix can join it again.
    parts: Mapped[list[Any]]
    created_at: Mapped[dt.datetime]

    sections: Mapped[list[SectionAnswer]] = relationship(back_populates="submission")
    indicators: Mapped[list[IndicatorValue]] = relationship(back_populates="submission")


class SectionAnswer(Base):
    """What a submission says under one narrative section of the outline."""

    __table__ = tables.section_answer

    id: Mapped[int]
    submission_id: Mapped[int]
    section_id: Mapped[str]
    text: Mapped[str]
    empty: Mapped[bool]
    where: Mapped[str | None]
    # The agency answered "Không có" / "Không phát sinh": an answer, not a gap.
    explicit_none: Mapped[bool]
    confidence: Mapped[float | None]
    # "section" (of the outline), "closing" (đánh giá, khó khăn, kiến nghị, phương hướng) or
    # "group" (text under a group's heading, section_id the group's id: "2.2").
    part: Mapped[str]

    submission: Mapped[Submission] = relationship(back_populates="sections")


class IndicatorValue(Base):
    """One row of the quantitative table in a submission: numbers, raw text and provenance."""

    __table__ = tables.indicator_value

    id: Mapped[int]
    submission_id: Mapped[int]
    row_id: Mapped[str]
    plan: Mapped[float | None]
    result: Mapped[float | None]
    rate: Mapped[float | None]
    rate_computed: Mapped[bool]
    raw: Mapped[dict[str, Any]]
    where: Mapped[str | None]
    # Per figure (plan / result / rate): {"value", "source": read | derived | explicit_none |
    # missing, "raw", "where", "confidence"} as the parser gave it.
    values: Mapped[dict[str, Any]]
    explicit_none: Mapped[bool]
    confidence: Mapped[float | None]

    submission: Mapped[Submission] = relationship(back_populates="indicators")


class OutboundMail(Base):
    """Every mail we send (request, reminder, receipt), keyed so it goes out exactly once."""

    __table__ = tables.outbound_mail

    id: Mapped[int]
    campaign_id: Mapped[str]
    recipient_id: Mapped[int | None]
    # request | reminder | reminder_incomplete | receipt | alert
    kind: Mapped[str]
    slot: Mapped[str]
    to_addrs: Mapped[list[Any]]
    subject: Mapped[str]
    message_id: Mapped[str]
    in_reply_to_mail_id: Mapped[int | None]
    # pending | sent | failed
    status: Mapped[str]
    attempts: Mapped[int]
    error: Mapped[str | None]
    raw_sha256: Mapped[str | None]
    created_at: Mapped[dt.datetime]
    sent_at: Mapped[dt.datetime | None]
    # A reminder's day (ISO, campaign time zone): one reminder per recipient a day.
    reminder_day: Mapped[str | None]


class ReviewItem(Base):
    """Something a person must decide: who sent it (attribution), whether a doubtful document
    replaces the current report (replace), a figure problem of a recorded submission
    (problem), or a reply whose files could not be read (unreadable)."""

    __table__ = tables.review_item

    id: Mapped[int]
    campaign_id: Mapped[str | None]
    # "mail:<id>", "file:<id>" or "document:<id>": one open item per source.
    source_key: Mapped[str]
    # attribution | replace | problem | unreadable (parsers.vocab.ReviewKind)
    kind: Mapped[str]
    # The recorded submission a problem item is about.
    submission_id: Mapped[int | None]
    inbound_mail_id: Mapped[int | None]
    inbound_file_id: Mapped[int | None]
    document_id: Mapped[int | None]
    reason: Mapped[str]
    candidates: Mapped[list[Any]]
    # What settling the item creates: {"kind", "document_id", "member", "content_key", "received_at", "channel"}.
    plan: Mapped[dict[str, Any]]
    status: Mapped[str]  # open | resolved | dismissed
    resolved_recipient_id: Mapped[int | None]
    resolved_by: Mapped[str | None]
    resolved_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class Event(Base):
    """The audit log: who or what did what, when (for the dashboard and history)."""

    __table__ = tables.event

    id: Mapped[int]
    at: Mapped[dt.datetime]
    campaign_id: Mapped[str | None]
    recipient_id: Mapped[int | None]
    kind: Mapped[str]
    actor: Mapped[str]
    message: Mapped[str]
    data: Mapped[dict[str, Any]]


class User(Base):
    """A person who uses the web workspace: viewer (reads), editor (acts), admin (manages)."""

    __table__ = tables.app_user

    id: Mapped[int]
    name: Mapped[str]
    password_hash: Mapped[str]
    role: Mapped[str]  # viewer | editor | admin
    active: Mapped[bool]
    created_at: Mapped[dt.datetime]
    last_login_at: Mapped[dt.datetime | None]
    # A signed session cookie is valid only while it carries this number (bumped at logout).
    session_version: Mapped[int]


class Correction(Base):
    """A person's correction of one parsed value; the original row stays as it was read.

    `target` is `indicator` (field plan / result / rate of row `item_id`) or `section` (field
    text of section `item_id`). The latest correction of a (submission, target, item, field)
    is the value the report uses."""

    __table__ = tables.correction

    id: Mapped[int]
    submission_id: Mapped[int]
    target: Mapped[str]
    item_id: Mapped[str]
    field: Mapped[str]
    old_value: Mapped[dict[str, Any]]  # {"value": …} as read
    new_value: Mapped[dict[str, Any]]  # {"value": …}
    reason: Mapped[str]
    actor: Mapped[str]
    at: Mapped[dt.datetime]


class SubmissionAcceptance(Base):
    """A person checked a submission and accepted it."""

    __table__ = tables.submission_acceptance

    id: Mapped[int]
    submission_id: Mapped[int]
    actor: Mapped[str]
    note: Mapped[str]
    at: Mapped[dt.datetime]


class OcrJob(Base):
    """A message or dropped file whose scans wait for their own OCR run (`baocao ocr`, the
    `ocr-queue` deployment): one row per message or file (its unique key), so a queue run
    after a crash takes it again, never twice. status: queued | running | done | failed;
    `attempts` counts the runs that took it (a run that died leaves it `running`)."""

    __table__ = tables.ocr_job

    id: Mapped[int]
    campaign_id: Mapped[str | None]
    inbound_mail_id: Mapped[int | None]
    inbound_file_id: Mapped[int | None]
    files: Mapped[list[dict[str, Any]]]
    pages: Mapped[int]
    status: Mapped[str]
    attempts: Mapped[int]
    error: Mapped[str | None]
    outcome: Mapped[dict[str, Any] | None]
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

class DeadlineRun(Base):
    """The report built right after a campaign's deadline (the `deadline-check` flow): one row
    per (campaign, deadline), so an edited deadline gets its own run and none runs twice."""

    __table__ = tables.deadline_run

    id: Mapped[int]
    campaign_id: Mapped[str]
    deadline_at: Mapped[dt.datetime]
    built_at: Mapped[dt.datetime]
    report: Mapped[dict[str, Any]]

class DeadlineOverride(Base):
    """A later deadline for one recipient (an extension); status and reminders honour it."""

    __table__ = tables.deadline_override

    id: Mapped[int]
    campaign_id: Mapped[str]
    recipient_id: Mapped[int]
    deadline: Mapped[dt.date]
    reason: Mapped[str]
    actor: Mapped[str]
    at: Mapped[dt.datetime]
