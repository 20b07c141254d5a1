"""Who has answered: per-recipient state and flags, from plain facts (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from parsers.vocab import (
    ANSWERED_STATES,
    FAILED_FILE_LABEL,
    FILES_TO_CHECK_LABEL,
    STATE_ORDER,
    RecipientState,
)

STATES = tuple(RecipientState)
STATE_LABELS = RecipientState.labels()
# Short labels for tables and the dashboard.
STATE_SHORT = RecipientState.shorts()


@dataclass(frozen=True)
class Response:
    """One recorded response of a recipient (a submission, nil report or acknowledgement)."""

    submission_id: int
    kind: str  # report | nil_report | acknowledgement
    received_at: dt.datetime
    status: str = "valid"  # valid | superseded
    channel: str = "email"
    missing_sections: tuple[str, ...] = ()
    missing_rows: tuple[str, ...] = ()
    # A document with no number and no date (req. 7): a draft, not the official report.
    draft: bool = False
    # Sections answered by a group answer (one text for several sections): answered, not
    # missing; shown apart so a person sees they were not answered one by one.
    by_group: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecipientFacts:
    """What the database knows about one recipient."""

    id: int
    code: str
    name: str
    group: str
    emails: tuple[str, ...]
    bouncing: tuple[str, ...] = ()
    responses: tuple[Response, ...] = ()
    reminders_sent: int = 0
    pending_review: int = 0
    mail_failed: int = 0
    # When the agency's reply carried a report we could not read (corrupt, bomb, unsupported).
    failed_file_at: dt.datetime | None = None
    # When it last sent files that a person must check (not outline reports, or doubtful ones).
    to_check_at: dt.datetime | None = None
    # Its latest reply waits for a person (review item id, arrival): see `reply_in_review`.
    in_review: tuple[int, dt.datetime] | None = None
    # When each bouncing address was marked (address, moment): what staff are told.
    bounced_at: tuple[tuple[str, dt.datetime | None], ...] = ()


@dataclass(frozen=True)
class RecipientStatus:
    """A recipient's state and flags at a moment."""

    facts: RecipientFacts
    state: str
    late: bool
    first_response_at: dt.datetime | None
    last_response_at: dt.datetime | None
    submission_id: int | None
    incomplete: tuple[str, ...] = field(default_factory=tuple)
    # Not responded because the only report sent could not be read ("chưa nộp – tệp lỗi").
    failed_file: bool = False
    # Nothing counted yet, but it sent files a person must check ("đã gửi tệp – chờ kiểm tra").
    to_check: bool = False
    # The report that counts is a draft (no number, no date): flagged, still counted.
    draft: bool = False
    # Sections its report answers with a group answer ("trả lời chung"), not one by one.
    by_group: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The state as people read it."""
        if self.to_check:
            return FILES_TO_CHECK_LABEL
        return FAILED_FILE_LABEL if self.failed_file else STATE_LABELS[self.state]

    def to_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        """The per-recipient object of `baocao status --json`."""
        f = self.facts
        return {
            "id": f.code,
            "name": f.name,
            "group": f.group,
            "emails": list(f.emails),
            "state": self.state,
            "state_label": self.label,
            "failed_file": self.failed_file,
            "to_check": self.to_check,
            "draft": self.draft,
            "late": self.late,
            "first_response_at": _iso(self.first_response_at, tz),
            "last_response_at": _iso(self.last_response_at, tz),
            "incomplete": list(self.incomplete),
            "answered_by_group": list(self.by_group),
            "bouncing": list(f.bouncing),
            "needs_address": bounce_note(self, tz),
            "submission_id": self.submission_id,
            "reminders_sent": f.reminders_sent,
            "pending_review": f.pending_review,
            "mail_failed": f.mail_failed,
        }


def addresses(status: RecipientStatus) -> tuple[str, ...]:
    """Where to write: the active addresses not known to bounce (none when every one does:
    a mail to an address that bounced comes back again, and nobody learns the agency needs a
    new one; `bounce_note` says so instead)."""
    return tuple(e for e in status.facts.emails if e not in status.facts.bouncing)


def bounce_note(status: RecipientStatus, tz: dt.tzinfo | None = None) -> str | None:
    """When every address of the recipient bounces: "địa chỉ a@b bị trả lại ngày 06/08/2025;
    cần địa chỉ khác" (for the dry run, `status`, the skipped list); None otherwise."""
    f = status.facts
    if not f.emails or addresses(status):
        return None
    when = dict(f.bounced_at)
    parts = []
    for email in f.emails:
        at = when.get(email)
        day = f" ngày {(at if at.tzinfo else at.replace(tzinfo=dt.UTC)).astimezone(tz or dt.UTC):%d/%m/%Y}" if at else ""
        parts.append(f"{email} bị trả lại{day}")
    return f"địa chỉ {', '.join(parts)}; cần địa chỉ khác"


def _iso(value: dt.datetime | None, tz: dt.tzinfo) -> str | None:
    return value.astimezone(tz).isoformat() if value else None


def recipient_status(facts: RecipientFacts, deadline_at: dt.datetime) -> RecipientStatus:
    """State from the latest valid report or nil report, else any acknowledgement."""
    responses = sorted(facts.responses, key=lambda r: (r.received_at, r.submission_id))
    first = responses[0].received_at if responses else None
    last = responses[-1].received_at if responses else None
    answers = [r for r in responses if r.kind in ("report", "nil_report") and r.status == "valid"]
    latest = answers[-1] if answers else None
    failed_file = False
    if latest is not None:
        state = "submitted" if latest.kind == "report" else "nil_report"
    elif facts.failed_file_at is not None and (last is None or facts.failed_file_at >= last):
        # A failed file is not a promise: still to chase, and the receipt asked for a copy.
        state, failed_file = "not_responded", True
    elif responses:
        state = "acknowledged"
    else:
        state = "not_responded"
    # Files waiting for a person (sent after any unreadable one): not counted, not "nothing".
    to_check = latest is None and facts.to_check_at is not None and (
        facts.failed_file_at is None or facts.to_check_at >= facts.failed_file_at
    )
    failed_file = failed_file and not to_check
    # Late: the first valid response (report or nil report) came after the deadline;
    # a promise does not count, nor does silence before the deadline.
    all_answers = [r for r in responses if r.kind in ("report", "nil_report")]
    first_answer = all_answers[0].received_at if all_answers else None
    late = first_answer is not None and first_answer > deadline_at
    incomplete: tuple[str, ...] = ()
    if latest is not None and latest.kind == "report":
        incomplete = tuple(latest.missing_sections) + tuple(latest.missing_rows)
    return RecipientStatus(
        facts=facts,
        state=state,
        late=late,
        first_response_at=first,
        last_response_at=last,
        submission_id=latest.submission_id if latest else None,
        incomplete=incomplete,
        failed_file=failed_file,
        to_check=to_check,
        draft=latest is not None and latest.draft,
        by_group=tuple(latest.by_group) if latest is not None and latest.kind == "report" else (),
    )


def reply_in_review(status: RecipientStatus) -> int | None:
    """The review item of the agency's reply that waits for a person, when nothing it sent
    later was recorded: a reminder would tell it it sent nothing."""
    waiting = status.facts.in_review
    if waiting is None:
        return None
    item, at = waiting
    return item if status.last_response_at is None or at >= status.last_response_at else None


def is_overdue(status: RecipientStatus, deadline_at: dt.datetime, as_of: dt.datetime) -> bool:
    """Still no answer after the deadline."""
    return status.state in ("not_responded", "acknowledged") and as_of > deadline_at


def count_states(statuses: list[RecipientStatus]) -> dict[str, int]:
    """How many recipients are in each state, plus late and incomplete counts."""
    counts: dict[str, int] = {str(state): 0 for state in STATES}
    for status in statuses:
        counts[status.state] += 1
    counts["late"] = sum(1 for s in statuses if s.late)
    counts["incomplete"] = sum(1 for s in statuses if s.incomplete)
    counts["failed_file"] = sum(1 for s in statuses if s.failed_file)
    counts["to_check"] = sum(1 for s in statuses if s.to_check)
    counts["total"] = len(statuses)
    counts["answered"] = sum(counts[state] for state in ANSWERED_STATES)
    return counts


# The "Đã trả lời" count in words every screen uses next to it (the board's card, the CLI).
ANSWERED_WORDS = "nộp báo cáo hoặc báo không phát sinh; thư hẹn gửi chưa tính"


def counts_sentence(counts: Mapping[str, int]) -> str:
    """The counts in one sentence that adds up: the four states split the total, then the
    answered count (a subset, named as such), e.g. '28 đơn vị: đã nộp 18, không phát sinh 4,
    hẹn gửi 2, chưa trả lời 4 · đã trả lời 22/28 (nộp báo cáo hoặc báo không phát sinh; thư
    hẹn gửi chưa tính)'. `baocao status`, the board and the Prefect dashboard print it."""
    c = counts
    return (
        f"{c['total']} đơn vị: đã nộp {c['submitted']}, không phát sinh {c['nil_report']},"
        f" hẹn gửi {c['acknowledged']}, chưa trả lời {c['not_responded']}"
        f" · đã trả lời {c['answered']}/{c['total']} ({ANSWERED_WORDS})"
    )


def sort_for_people(statuses: list[RecipientStatus]) -> list[RecipientStatus]:
    """Sorted by state (who needs chasing first), then by name."""
    return sorted(statuses, key=lambda s: (STATE_ORDER[s.state], s.facts.name))


def by_group_sections(problems: Iterable[Any]) -> list[str]:
    """The sections a response's group answers cover, from its problems (objects or JSON)."""
    out: list[str] = []
    for p in problems:
        code = p.get("code") if isinstance(p, dict) else getattr(p, "code", "")
        ids = p.get("sections") if isinstance(p, dict) else getattr(p, "sections", ())
        if str(code) == "group_answered":
            out.extend(s for s in ids or () if s not in out)
    return out
