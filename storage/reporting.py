"""Queries behind the consolidated report: each active recipient's latest valid submission
with its section answers and indicator values, every response, file names, open review items.

"Latest valid" is the rule of `reports.status.recipient_status`: among a recipient's
submissions of kind report or nil_report with status valid, the one received last (then the
highest id). Superseded versions are excluded; acknowledgements are responses, not submissions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from parsers.vocab import ReviewStatus
from storage.campaigns import campaign_recipients
from storage.corrections import corrections_for, overrides_for
from storage.models import (
    Document,
    IndicatorValue,
    RecipientRow,
    ReviewItem,
    SectionAnswer,
    Submission,
    literal,
)
from storage.status import deadline_overrides

ANSWER_KINDS = ("report", "nil_report")


@dataclass
class RecipientReport:
    """One active recipient, all its responses, and the content of the submission that counts."""

    recipient: RecipientRow
    responses: list[Submission] = field(default_factory=list)
    latest: Submission | None = None
    sections: list[SectionAnswer] = field(default_factory=list)
    indicators: list[IndicatorValue] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # People's corrections of the latest submission: (target, item id) → field → value.
    corrections: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # The latest correction row of each corrected field (old → new, by whom, why), oldest first.
    correction_rows: list[Any] = field(default_factory=list)
    # The recipient's own (extended) deadline, if it has one.
    deadline: dt.date | None = None
    # "Đã ký số bởi … lúc …" of the main document's digital signatures.
    signed: list[str] = field(default_factory=list)


@dataclass
class ReportData:
    """Everything the report needs from the database, loaded in a fixed number of queries."""

    recipients: list[RecipientReport]
    review: list[ReviewItem]


def latest_valid(submissions: list[Submission]) -> Submission | None:
    """The submission that counts: the last valid report or nil report, else None."""
    answers = [s for s in submissions if s.kind in ANSWER_KINDS and s.status == "valid"]
    return max(answers, key=lambda s: (s.received_at, s.id), default=None)


def report_data(campaign_id: str, *, session: Session) -> ReportData:
    """Active recipients in list order with responses, latest valid content and files."""
    records = {r.id: RecipientReport(r) for r in campaign_recipients(campaign_id, session=session)}
    for sub in session.scalars(
        select(Submission)
        .where(Submission.campaign_id == campaign_id, Submission.recipient_id.in_(list(records)))
        .order_by(Submission.received_at, Submission.id)
    ):
        records[sub.recipient_id].responses.append(sub)
    latest: dict[int, RecipientReport] = {}
    for record in records.values():
        record.latest = latest_valid(record.responses)
        if record.latest is not None:
            latest[record.latest.id] = record
    _load_content(latest, session=session)
    for rid, day in deadline_overrides(campaign_id, session=session).items():
        if rid in records:
            records[rid].deadline = day
    return ReportData(list(records.values()), open_review(campaign_id, session=session))


def _load_content(latest: dict[int, RecipientReport], *, session: Session) -> None:
    """Section answers, indicator values and file names of the submissions that count."""
    if not latest:
        return
    ids = list(latest)
    for answer in session.scalars(
        select(SectionAnswer).where(SectionAnswer.submission_id.in_(ids)).order_by(SectionAnswer.id)
    ):
        latest[answer.submission_id].sections.append(answer)
    for value in session.scalars(
        select(IndicatorValue).where(IndicatorValue.submission_id.in_(ids)).order_by(IndicatorValue.id)
    ):
        latest[value.submission_id].indicators.append(value)
    files = submission_files([r.latest for r in latest.values() if r.latest], session=session)
    for sub_id, names in files.items():
        latest[sub_id].files = names
    for sub_id, lines in submission_signatures([r.latest for r in latest.values() if r.latest], session=session).items():
        latest[sub_id].signed = lines
    for (sub_id, target, item_id), values in overrides_for(ids, session=session).items():
        latest[sub_id].corrections[(target, item_id)] = values
    last: dict[tuple[int, str, str, str], Any] = {}
    for row in corrections_for(ids, session=session):  # oldest first: the latest of a field wins
        last[(row.submission_id, row.target, row.item_id, row.field)] = row
    for (sub_id, *_), row in last.items():
        latest[sub_id].correction_rows.append(row)


def submission_files(submissions: list[Submission], *, session: Session) -> dict[int, list[str]]:
    """File names of each submission: its main document and every file of the same source."""
    by_mail: dict[int, list[int]] = defaultdict(list)
    by_file: dict[int, list[int]] = defaultdict(list)
    by_doc: dict[int, list[int]] = defaultdict(list)
    for sub in submissions:
        if sub.inbound_mail_id is not None:
            by_mail[sub.inbound_mail_id].append(sub.id)
        if sub.inbound_file_id is not None:
            by_file[sub.inbound_file_id].append(sub.id)
        if sub.document_id is not None:
            by_doc[sub.document_id].append(sub.id)
    result: dict[int, list[str]] = defaultdict(list)
    if not (by_mail or by_file or by_doc):
        return {}
    stmt = (
        select(Document)
        .where(
            or_(
                Document.inbound_mail_id.in_(list(by_mail)),
                Document.inbound_file_id.in_(list(by_file)),
                Document.id.in_(list(by_doc)),
            )
        )
        .order_by(Document.part_index, Document.id)
    )
    for doc in session.scalars(stmt):
        owners = {
            *by_mail.get(doc.inbound_mail_id or -1, ()),
            *by_file.get(doc.inbound_file_id or -1, ()),
            *by_doc.get(doc.id, ()),
        }
        for sub_id in owners:
            if doc.filename not in result[sub_id]:
                result[sub_id].append(doc.filename)
    return dict(result)


def submission_signatures(submissions: list[Submission], *, session: Session) -> dict[int, list[str]]:
    """The signature summaries ("Đã ký số bởi … lúc …") of each submission's main document."""
    by_doc = {s.document_id: s.id for s in submissions if s.document_id is not None}
    if not by_doc:
        return {}
    out: dict[int, list[str]] = {}
    for doc in session.scalars(select(Document).where(Document.id.in_(list(by_doc)))):
        lines = [str(sig.get("summary", "")) for sig in doc.signatures or [] if isinstance(sig, dict)]
        if lines:
            out[by_doc[doc.id]] = lines
    return out


def open_review(campaign_id: str, *, session: Session) -> list[ReviewItem]:
    """Review items still open for this campaign (or not yet tied to one), oldest first."""
    stmt = (
        select(ReviewItem)
        .where(
            ReviewItem.status == literal(ReviewStatus.OPEN),
            or_(ReviewItem.campaign_id == campaign_id, ReviewItem.campaign_id.is_(None)),
        )
        .order_by(ReviewItem.created_at, ReviewItem.id)
    )
    return list(session.scalars(stmt))
