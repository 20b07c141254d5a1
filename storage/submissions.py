"""Recording a recipient's response: one Submission with its sections and table values.

Rules (all idempotent through unique constraints): the same content from the same recipient
is a duplicate and changes nothing; a later report or nil report supersedes the earlier ones
(kept as history, `status='superseded'`, `superseded_by_id`); an acknowledgement is a promise
and supersedes nothing. Functions take `*, session` and never commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from parsers.model import (
    BLOCKING_PROBLEMS,
    BY_GROUP,
    REVIEW_PROBLEMS,
    ParseResult,
    Problem,
    ProblemCode,
    problem_code,
)
from parsers.responses import number_key
from parsers.vocab import ANSWER_KINDS, Channel, ReviewKind, ReviewStatus, SubmissionKind
from storage.models import (
    Event,
    IndicatorValue,
    RecipientRow,
    ReviewItem,
    SectionAnswer,
    Submission,
    utcnow,
)
from storage.upsert import insert_ignore, insert_new

KIND_LABELS = SubmissionKind.labels()


@dataclass
class Recorded:
    """The outcome of `record_submission`."""

    submission: Submission
    created: bool


def _parse_date(value: Any) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _missing(
    parsed: ParseResult, section_ids: list[str], row_ids: list[str], *, explicit_none_is_answer: bool = True
) -> tuple[list[str], list[str]]:
    """What the outline asks for and the response does not answer. An explicit none ("-",
    "Không", "0") is an answer unless the campaign's policy says otherwise."""
    if explicit_none_is_answer:
        answered = set(parsed.answered_sections)
        filled = set(parsed.indicators) - set(parsed.missing_rows)
    else:
        answered = {k for k, v in parsed.sections.items() if not v.empty}
        filled = {k for k, v in parsed.indicators.items() if v.answered and not v.explicit_none}
    # A row with a plan and no result (or a result and no plan) is not answered either: the
    # agency is asked for the figure it left blank ("-" or "0" in it is an answer).
    filled -= {k for k, v in parsed.indicators.items() if _half_filled(v)}
    missing_sections = [sid for sid in (section_ids or list(parsed.sections)) if sid not in answered]
    missing_rows = [rid for rid in (row_ids or list(parsed.indicators)) if rid not in filled]
    return missing_sections, missing_rows


def _half_filled(row: Any) -> bool:
    """One of plan and result given (read, or an explicit none), the other blank."""
    sources = [row.value(role).source for role in ("plan", "result")]
    return "missing" in sources and any(s != "missing" for s in sources)


def record_submission(
    *,
    session: Session,
    campaign_id: str,
    recipient_id: int,
    kind: str,
    received_at: dt.datetime,
    channel: str,
    content_key: str,
    parsed: ParseResult | None = None,
    inbound_mail_id: int | None = None,
    inbound_file_id: int | None = None,
    document_id: int | None = None,
    section_ids: list[str] | None = None,
    row_ids: list[str] | None = None,
    actor: str = "system",
    explicit_none_is_answer: bool = True,
    parts: list[dict[str, Any]] | None = None,
) -> Recorded:
    """Insert a submission (or find the identical one) and apply the supersede rule."""
    parsed = parsed or ParseResult(file="")
    if kind == "report":
        missing_sections, missing_rows = _missing(
            parsed, section_ids or [], row_ids or [], explicit_none_is_answer=explicit_none_is_answer
        )
    else:
        missing_sections, missing_rows = [], []
    values = {
        "campaign_id": campaign_id,
        "recipient_id": recipient_id,
        "received_at": received_at,
        "channel": channel,
        "kind": kind,
        "status": "valid",
        "inbound_mail_id": inbound_mail_id,
        "inbound_file_id": inbound_file_id,
        "document_id": document_id,
        "content_key": content_key,
        "doc_number": parsed.doc_number,
        "doc_date": _parse_date(parsed.doc_date),
        "extra_text": parsed.extra_text or "",
        "extra_rows": [r.to_json() for r in parsed.extra_rows],
        # A submission is always some agency's: the document not naming it (agency_unknown) was
        # settled by whoever attributed it (sender, folder, a person) and is no problem of the
        # report; it stays in the document's own parse result.
        "problems": [p.to_json() for p in parsed.problems if p.code != ProblemCode.AGENCY_UNKNOWN],
        "missing_sections": missing_sections,
        "missing_rows": missing_rows,
        "confidence": parsed.confidence if parsed.file else None,
        "coverage": parsed.coverage if parsed.file else None,
        "evidence": list(parsed.evidence),
        "draft": parsed.draft,
        "says_replaces": parsed.says_replaces,
        "replaces_number": parsed.replaces_number,
        "part_of": parsed.part_of,
        "parts": list(parts or []),
    }
    sub = insert_new(session, Submission, values)  # one statement: the new row, or None
    if sub is None:
        held = session.scalars(select(Submission).where(*_same_content(campaign_id, recipient_id, content_key))).one()
        return Recorded(held, created=False)
    if kind == "report":
        _store_parts(sub, parsed, session=session)
        open_problem_reviews(sub, recipient_id, parsed.problems, session=session)
    if kind in ANSWER_KINDS:
        _supersede(sub, session=session)
    session.add(
        Event(
            campaign_id=campaign_id,
            recipient_id=recipient_id,
            kind=f"submission_{kind}",
            actor=actor,
            message=f"Ghi nhận {KIND_LABELS.get(kind, kind)} ({Channel.labels().get(channel, channel).lower()})",
            data={"submission_id": sub.id, "content_key": content_key},
        )
    )
    return Recorded(sub, created=True)


def _store_parts(sub: Submission, parsed: ParseResult, *, session: Session) -> None:
    """Every section and table value with where it was read (file › table/sheet › row/cell): the
    file an answer or a figure was read from (`file`, set when a response is joined from several
    files), else the response's main file."""
    closing = {k: a for k, a in parsed.closing.items() if k not in parsed.sections}
    groups = {k: a for k, a in parsed.groups.items() if k not in parsed.sections and k not in closing}
    sections = [
        {
            "submission_id": sub.id,
            "section_id": sid,
            "text": answer.text or "",
            "empty": answer.empty,
            "where": _where(answer.file or parsed.file, answer.where),
            "explicit_none": answer.explicit_none,
            "confidence": answer.confidence,
            # A section covered by a group answer: its text is the group's, marked as such.
            "part": BY_GROUP if part == "section" and answer.group else part,
        }
        for part, answers in (("section", parsed.sections), ("closing", closing), ("group", groups))
        for sid, answer in answers.items()
    ]
    rows = [
        {
            "submission_id": sub.id,
            "row_id": rid,
            "plan": row.plan,
            "result": row.result,
            "rate": row.rate,
            "rate_computed": row.rate_computed,
            "raw": dict(row.raw),
            "where": _where(row.file or parsed.file, row.where),
            "values": {
                role: {**v.to_json(), "where": _where(v.file or row.file or parsed.file, v.where)}
                for role, v in row.values.items()
            },
            "explicit_none": row.explicit_none,
            "confidence": row.confidence,
        }
        for rid, row in parsed.indicators.items()
    ]
    # Core statements, one executemany each, on the session's transaction: ~50 rows per report
    # through the ORM's unit of work cost more than the rest of the report's writes.
    session.flush()
    connection = session.connection()
    for table, values in ((SectionAnswer.__table__, sections), (IndicatorValue.__table__, rows)):
        if values:
            connection.execute(insert(table), values)


def problem_key(submission_id: int, problem: Problem) -> str:
    """The review item's unique key for one problem of one submission (fits in 64 chars)."""
    digest = hashlib.sha1(f"{problem.code}|{problem.where}|{problem.message}".encode()).hexdigest()[:16]
    return f"problem:{submission_id}:{digest}"


def open_problem_reviews(
    sub: Submission, recipient_id: int, problems: list[Problem], *, session: Session
) -> list[ReviewItem]:
    """One review item per blocking problem of a recorded submission, and per problem a person
    should settle about its text (`REVIEW_PROBLEMS`; idempotent: the key is unique in the
    database). Its figures stay as read; the report marks them until a person settles the item."""
    return [_problem_item(sub, recipient_id, p, session=session) for p in problems if str(p.code) in REVIEW_PROBLEMS]


def open_file_problem(sub: Submission, recipient_id: int, problem: Problem, *, session: Session) -> ReviewItem:
    """A review item for a problem of the submission's file that blocks trusting it (a file
    recorded by hand that could not be read): idempotent, as above."""
    return _problem_item(sub, recipient_id, problem, session=session)


def _problem_item(sub: Submission, recipient_id: int, problem: Problem, *, session: Session) -> ReviewItem:
    key = problem_key(sub.id, problem)
    label = problem_code(problem.code).label
    where = f" ({problem.where})" if problem.where else ""
    insert_ignore(
        session,
        ReviewItem,
        {
            "campaign_id": sub.campaign_id,
            "source_key": key,
            "kind": ReviewKind.PROBLEM,
            "submission_id": sub.id,
            "inbound_mail_id": sub.inbound_mail_id,
            "inbound_file_id": sub.inbound_file_id,
            "document_id": sub.document_id,
            "reason": f"{label}: {problem.message}{where}",
            "candidates": [_candidate(recipient_id, session=session)],
            "plan": {"kind": "problem", "submission_id": sub.id, "problem": problem.to_json()},
            "status": ReviewStatus.OPEN,
            "created_at": utcnow(),
        },
    )
    return session.scalars(select(ReviewItem).where(ReviewItem.source_key == key)).one()


def _candidate(recipient_id: int, *, session: Session) -> dict[str, Any]:
    """The submission's agency as the item's (preselected) candidate."""
    recipient = session.get(RecipientRow, recipient_id)
    return {
        "recipient_id": recipient_id,
        "code": recipient.code if recipient else "",
        "name": recipient.name if recipient else "",
        "signals": ["submission"],
    }


def open_problem_counts(submission_ids: list[int], *, session: Session) -> dict[int, int]:
    """How many problem review items about figures (a blocking problem's) are still open, per
    submission: an item about a section's place leaves the figures trusted."""
    if not submission_ids:
        return {}
    counts: dict[int, int] = {}
    for sub_id, plan in session.execute(
        select(ReviewItem.submission_id, ReviewItem.plan).where(
            ReviewItem.submission_id.in_(submission_ids),
            ReviewItem.kind == ReviewKind.PROBLEM,
            ReviewItem.status == ReviewStatus.OPEN,
        )
    ):
        code = str(((plan or {}).get("problem") or {}).get("code", ""))
        if sub_id is not None and (code in BLOCKING_PROBLEMS or code not in REVIEW_PROBLEMS):
            counts[sub_id] = counts.get(sub_id, 0) + 1
    return counts


def _where(file: str, where: str) -> str | None:
    """Provenance with the file name in front (the parsers give the place inside the file)."""
    if not where:
        return file or None
    return f"{file} › {where}" if file and not where.startswith(file) else where


def _supersede(new: Submission, *, session: Session) -> None:
    """The newest answer (by received time, then id) stays valid; the others point at it. A
    report another answer of the agency says it replaces ("thay thế Báo cáo số 233/…") never
    becomes the current one again, however late it arrives (a copy dropped later).

    Set-based: one query finds the newest, one UPDATE points every other answer of the agency
    at it (the rows of the session follow: `synchronize_session="fetch"`), and the problems of
    the versions no longer used are found with one query (usually none). Loading every earlier
    version and flushing one UPDATE per version was a third of a report's cost at the 60th
    report of an agency (issue 14, first pass)."""
    params = {"b_campaign": new.campaign_id, "b_recipient": new.recipient_id}
    session.flush()  # the new row (and anything pending) before the statements below read
    newest_id = _newest_id(params, session=session)
    sync = {"synchronize_session": "fetch"}
    session.execute(_supersede_stmt(), {**params, "b_newest": newest_id}, execution_options=sync)
    if newest_id != new.id or new.status != "valid" or new.superseded_by_id is not None:
        session.execute(_revalidate_stmt(), {"b_newest": newest_id}, execution_options=sync)
    # Figure problems of a version no longer used need no one's check: closed, with the reason.
    for item in session.scalars(_stale_problems_stmt(), {**params, "b_newest": newest_id}):
        item.status, item.resolved_by, item.resolved_at = ReviewStatus.DISMISSED, "system", utcnow()
        item.plan = {**(item.plan or {}), "closed": f"bản báo cáo đã được thay bằng bản {newest_id}"}
    session.flush()


def _newest_id(params: dict[str, Any], *, session: Session) -> int:
    """The answer that counts: the latest, unless an answer of the agency says it replaces
    that one's number (then the latest of the others). One query when nothing says it
    replaces (the usual case), two otherwise."""
    conn = session.connection()
    replaced = {number_key(n) for n in conn.execute(_replaced_stmt(), params).scalars() if n}
    if not replaced:
        return conn.execute(_newest_stmt(), params).scalar_one()
    rows = conn.execute(_answers_stmt(), params).all()
    return max(rows, key=lambda r: (number_key(r.doc_number) not in replaced, r.received_at, r.id)).id


@cache
def _replaced_stmt() -> Any:
    table = Submission.__table__
    return select(table.c.replaces_number).where(
        table.c.campaign_id == bindparam("b_campaign"), table.c.recipient_id == bindparam("b_recipient"),
        table.c.kind.in_(ANSWER_KINDS), table.c.replaces_number.is_not(None),
    )


@cache
def _answers_stmt() -> Any:
    table = Submission.__table__
    return select(table.c.id, table.c.received_at, table.c.doc_number).where(
        table.c.campaign_id == bindparam("b_campaign"), table.c.recipient_id == bindparam("b_recipient"),
        table.c.kind.in_(ANSWER_KINDS),
    )


@cache
def _newest_stmt() -> Any:
    table = Submission.__table__
    return (
        select(table.c.id)
        .where(table.c.campaign_id == bindparam("b_campaign"), table.c.recipient_id == bindparam("b_recipient"), table.c.kind.in_(ANSWER_KINDS))
        .order_by(table.c.received_at.desc(), table.c.id.desc())
        .limit(1)
    )


@cache
def _supersede_stmt() -> Any:
    # Every other answer of the agency points at the newest (those that already do: untouched).
    return (
        update(Submission)
        .where(
            *_agency_answers(),
            Submission.id != bindparam("b_newest"),
            or_(
                Submission.status != "superseded",
                Submission.superseded_by_id.is_(None),
                Submission.superseded_by_id != bindparam("b_newest"),
            ),
        )
        .values(status="superseded", superseded_by_id=bindparam("b_newest"))
    )


@cache
def _revalidate_stmt() -> Any:
    return (
        update(Submission)
        .where(
            Submission.id == bindparam("b_newest"),
            or_(Submission.status != "valid", Submission.superseded_by_id.is_not(None)),
        )
        .values(status="valid", superseded_by_id=None)
    )


@cache
def _stale_problems_stmt() -> Any:
    stale = select(Submission.id).where(*_agency_answers(), Submission.id != bindparam("b_newest"))
    return select(ReviewItem).where(
        ReviewItem.submission_id.in_(stale.scalar_subquery()),
        ReviewItem.kind == ReviewKind.PROBLEM,
        ReviewItem.status == ReviewStatus.OPEN,
    )


def submissions_of(campaign_id: str, recipient_id: int, *, session: Session) -> list[Submission]:
    """A recipient's submissions, oldest first (history included)."""
    return list(
        session.scalars(
            select(Submission)
            .where(Submission.campaign_id == campaign_id, Submission.recipient_id == recipient_id)
            .order_by(Submission.received_at, Submission.id)
        )
    )


def holds_content(campaign_id: str, recipient_id: int, content_key: str, *, session: Session) -> bool:
    """Whether the recipient already sent this content (any version, through the unique key's
    index; no rows loaded)."""
    params = {"b_campaign": campaign_id, "b_recipient": recipient_id, "b_content": content_key}
    return session.scalars(_holds_stmt(), params).first() is not None


def submission_by_content(campaign_id: str, recipient_id: int, content_key: str, *, session: Session) -> Submission | None:
    """The agency's submission of this content key, if recorded (the unique key below)."""
    return session.scalars(select(Submission).where(*_same_content(campaign_id, recipient_id, content_key))).first()


def _same_content(campaign_id: Any, recipient_id: Any, content_key: Any) -> tuple[Any, ...]:
    """The submission's unique key: (campaign, recipient, content)."""
    return (
        Submission.campaign_id == campaign_id,
        Submission.recipient_id == recipient_id,
        Submission.content_key == content_key,
    )


def current_answer(campaign_id: str, recipient_id: int, *, session: Session) -> Submission | None:
    """The recipient's report or nil report that counts now (latest valid), if any."""
    return session.scalars(_current_stmt(), {"b_campaign": campaign_id, "b_recipient": recipient_id}).one_or_none()


# The statements of the supersede rule, built once and run with parameters: building them for
# every report (operators, cache keys) cost more than running them (issue 14, first pass).


def _agency_answers() -> tuple[Any, ...]:
    return (
        Submission.campaign_id == bindparam("b_campaign"),
        Submission.recipient_id == bindparam("b_recipient"),
        Submission.kind.in_(ANSWER_KINDS),
    )


@cache
def _current_stmt() -> Any:
    return (
        select(Submission)
        .where(*_agency_answers(), Submission.status == "valid")
        .order_by(Submission.received_at.desc(), Submission.id.desc())
        .limit(1)
    )


@cache
def _holds_stmt() -> Any:
    return select(Submission.id).where(*_same_content(bindparam("b_campaign"), bindparam("b_recipient"), bindparam("b_content"))).limit(1)
