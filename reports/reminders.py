"""The reminder policy (pure): given statuses, the campaign's policy and a moment, which
reminders are due, each under a slot key that makes it go out at most once.

Slots (keyed `<name>@<deadline>`, so moving the deadline starts a fresh schedule):
`before-N` (N working days before the deadline), `overdue-1` (the first working day
after it, or `after_deadline_first` working days after), then `overdue-2`… every
`overdue_every` working days, at most `max_overdue`. A slot is *active* from its day until the
next slot's day, so a run missed in the morning still sends it later; only the active slot is
ever sent, never older ones. Nothing is due outside the sending window or on a day off.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from config.campaign import ReminderPolicy
from reports.status import RecipientStatus, addresses, bounce_note, reply_in_review
from reports.workdays import WorkCalendar

KIND_REMINDER = "reminder"
KIND_INCOMPLETE = "reminder_incomplete"


@dataclass(frozen=True)
class Slot:
    """One moment of the schedule: its name, its day and the day the next slot takes over."""

    name: str  # before-5, overdue-1 …
    day: dt.date
    until: dt.date  # exclusive
    overdue: bool
    deadline: dt.date

    @property
    def key(self) -> str:
        """The ledger key, e.g. `before-5@2025-08-15`: a new deadline (extension) starts anew."""
        return f"{self.name}@{self.deadline.isoformat()}"


@dataclass(frozen=True)
class DueReminder:
    """A reminder that should go to one recipient in the active slot."""

    recipient_id: int
    code: str
    name: str
    kind: str
    slot: str
    to: tuple[str, ...]
    state: str
    missing_sections: tuple[str, ...] = ()
    missing_rows: tuple[str, ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A recipient who gets nothing now, and why (Vietnamese)."""

    recipient_id: int
    code: str
    reason: str
    # Held, not exempt: what the agency sent waits for a person; reminded once it is settled.
    held: bool = False
    # Nothing can reach it (every address bounces): staff must find another address.
    needs_address: bool = False


@dataclass
class ReminderPlan:
    """What is due at a moment; `reason` says why nothing is, when nothing is."""

    at: dt.datetime
    slot: Slot | None
    reason: str | None = None
    due: list[DueReminder] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def schedule(deadline: dt.date, policy: ReminderPolicy, calendar: WorkCalendar) -> list[Slot]:
    """Every slot of the campaign in time order."""
    points: dict[str, tuple[dt.date, bool]] = {}
    for days in sorted(set(policy.before_deadline), reverse=True):
        if days > 0:
            points[f"before-{days}"] = (calendar.add_working_days(deadline, -days), False)
    if policy.max_overdue > 0:
        first = calendar.add_working_days(deadline, max(policy.after_deadline_first, 1))
        every = max(policy.overdue_every, 1)
        for n in range(policy.max_overdue):
            points[f"overdue-{n + 1}"] = (calendar.add_working_days(first, n * every), True)
    ordered = sorted(points.items(), key=lambda kv: kv[1][0])
    # Two slots on one day: the later one in the schedule wins.
    by_day: dict[dt.date, tuple[str, bool]] = {}
    for key, (day, overdue) in ordered:
        by_day[day] = (key, overdue)
    slot_days = sorted(by_day)
    slots = []
    for i, day in enumerate(slot_days):
        until = slot_days[i + 1] if i + 1 < len(slot_days) else calendar.add_working_days(day, max(policy.overdue_every, 1))
        key, overdue = by_day[day]
        slots.append(Slot(key, day, until, overdue, deadline))
    return slots


def active_slot(slots: list[Slot], today: dt.date) -> Slot | None:
    """The slot whose period holds today, if any."""
    for slot in slots:
        if slot.day <= today < slot.until:
            return slot
    return None


def closed_reason(
    policy: ReminderPolicy, calendar: WorkCalendar, local: dt.datetime
) -> str | None:
    """Why no reminder may go out at this local moment (None when sending is allowed)."""
    if not policy.enabled:
        return "chiến dịch đã tắt nhắc nhở"
    off = calendar.day_off_reason(local.date())
    if off:
        return f"không gửi nhắc vào ngày nghỉ ({off})"
    start, end = policy.window.start, policy.window.end
    if not start <= local.time().replace(tzinfo=None) <= end:
        return f"ngoài khung giờ gửi {start:%H:%M}–{end:%H:%M}"
    return None


def plan_reminders(
    statuses: list[RecipientStatus],
    policy: ReminderPolicy,
    deadline: dt.date,
    now: dt.datetime,
    tz: dt.tzinfo,
    calendar: WorkCalendar | None = None,
    reminded: Mapping[int, Collection[str]] | None = None,
    *,
    manual: bool = False,
    reminded_today: Mapping[int, str] | None = None,
) -> ReminderPlan:
    """The reminders due at `now` (aware) for these recipients under this policy.

    `reminded`: per recipient id, the reminder kinds already sent in the active slot; one
    who got one kind (say `reminder`, then submitted an incomplete report) gets no other kind
    in the same slot. Sending a kind twice is prevented by the outbound ledger, not here.
    `manual`: a person asked for a reminder now — no window or calendar check, and the slot
    is `manual-<today>@<deadline>`. `reminded_today`: per recipient id, the slot key of the
    reminder it already has today (at most one a day, whichever slot; the ledger's unique key
    on the day holds it, this says it in the plan).
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    calendar = calendar or WorkCalendar(policy.extra_days_off, policy.extra_working_days)
    local = now.astimezone(tz)
    plan = ReminderPlan(at=local, slot=None)
    if manual:
        plan.slot = manual_slot(local.date(), deadline)
    else:
        plan.reason = closed_reason(policy, calendar, local)
        if plan.reason:
            return plan
        plan.slot = active_slot(schedule(deadline, policy, calendar), local.date())
    if plan.slot is None:
        plan.reason = "hôm nay không phải ngày nhắc theo lịch"
        return plan
    for item in decide(statuses, policy, plan.slot, reminded, tz, reminded_today):
        if isinstance(item, DueReminder):
            plan.due.append(item)
        else:
            plan.skipped.append(item)
    return plan


def decide(
    statuses: list[RecipientStatus],
    policy: ReminderPolicy,
    slot: Slot,
    reminded: Mapping[int, Collection[str]] | None = None,
    tz: dt.tzinfo | None = None,
    reminded_today: Mapping[int, str] | None = None,
) -> list[DueReminder | Skipped]:
    """Per recipient, what the reminder run does in `slot` (the one decision: `plan_reminders`
    sends by it, the agency page shows it). `reminded`, `reminded_today`: as in `plan_reminders`."""
    reminded, reminded_today = reminded or {}, reminded_today or {}
    out: list[DueReminder | Skipped] = []
    for status in statuses:
        item = _reminder_for(status, policy, slot, tz)
        if isinstance(item, DueReminder) and set(reminded.get(item.recipient_id, ())) - {item.kind}:
            item = Skipped(item.recipient_id, item.code, f"đã được nhắc trong lượt này ({slot_label(slot.key)})")
        today = reminded_today.get(item.recipient_id)
        if isinstance(item, DueReminder) and today is not None and today != slot.key:
            item = Skipped(item.recipient_id, item.code,
                           f"hôm nay đã được nhắc ({slot_label(today)}); mỗi đơn vị nhận tối đa một thư nhắc mỗi ngày")
        out.append(item)
    return out


# The outbox's state of a reminder drafted for a slot, as the agency's schedule says it.
OUTBOX_WORDS = {"sent": "đã gửi", "pending": "chờ gửi", "failed": "gửi lỗi, sẽ thử lại",
                "sending": "không rõ đã gửi chưa (cần kiểm tra)"}


def slot_outcome(
    slot: Slot, today: dt.date, policy: ReminderPolicy, status: RecipientStatus,
    outbox: str | None = None, *, requested: bool = True, tz: dt.tzinfo | None = None,
    sent_at: dt.datetime | None = None, decision: DueReminder | Skipped | None = None,
) -> str:
    """What became of one slot of a recipient's schedule, in words (the agency page's
    "Tình trạng"): the outbox's state when a reminder was drafted for it ('đã gửi 20/08/2025
    09:05': `sent_at`, the moment it left); 'chưa đến lượt' before its day; else why none
    went out. `decision`: what `decide` says for the slot now (the active slot: the run's own
    decision, from the recipient's current status and the ledger); without it, decided the way
    `decide` decides from `status`, the recipient as it stood when the slot opened ('không
    gửi: đã nộp báo cáo'); `requested`: the request had gone out by the end of the slot."""
    if outbox:
        words = OUTBOX_WORDS.get(outbox, outbox)
        if outbox == "sent" and sent_at is not None:
            local = sent_at.astimezone(tz) if tz else sent_at
            words += f" {local:%d/%m/%Y %H:%M}"
        return words
    if today < slot.day:
        return "chưa đến lượt"
    if not policy.enabled:
        return "không gửi: chiến dịch đã tắt nhắc nhở"
    item = decision if decision is not None else _reminder_for(status, policy, slot, tz)
    if isinstance(item, Skipped):
        return f"không gửi: {item.reason}"
    if not requested:
        return "không gửi: khi đó chưa gửi công văn đề nghị báo cáo"
    if today < slot.until:
        return "đến lượt: sẽ gửi trong khung giờ gửi" if item.kind == KIND_REMINDER else "đến lượt: sẽ nhắc bổ sung"
    return "không gửi: hệ thống không chạy nhắc trong lượt này"


def manual_slot(today: dt.date, deadline: dt.date) -> Slot:
    """The slot of a reminder a person sends by hand today."""
    return Slot(f"manual-{today.isoformat()}", today, today + dt.timedelta(days=1), today > deadline, deadline)


def deadline_note(calendar: WorkCalendar, deadline: dt.date, today: dt.date) -> str:
    """Where today stands against the deadline, as a reminder says it (Vietnamese).

    Counted in working days of `calendar` (so Tết, 2/9, weekends do not count), never "0 ngày":
    on the deadline day "hôm nay là hạn cuối"; before a deadline with no working day left in
    between (it falls on a day off) "hôm nay là ngày làm việc cuối cùng trước hạn"; after it
    with no working day past yet (the weekend after) just "đã quá hạn"."""
    if today == deadline:
        return "hôm nay là hạn cuối"
    if today < deadline:
        left = calendar.working_days_between(today, deadline)
        if left:
            return f"còn {left} ngày làm việc"
        if calendar.is_working_day(today):
            return "hôm nay là ngày làm việc cuối cùng trước hạn"
        return "không còn ngày làm việc nào trước hạn"
    late = calendar.working_days_between(deadline, today)
    return f"đã quá hạn {late} ngày làm việc" if late else "đã quá hạn"


def slot_label(slot: str) -> str:
    """A ledger slot in Vietnamese words for people (history, CLI): `before-5@2025-08-15` →
    "nhắc trước hạn 5 ngày làm việc, hạn 15/08/2025"; an unknown slot is shown as it is."""
    name, _, deadline = slot.partition("@")
    kind, _, arg = name.partition("-")
    when = _date_words(deadline)
    suffix = f", hạn {when}" if when else ""
    if slot == "initial":
        return "lần gửi đầu"
    if kind == "before" and arg.isdigit() and when:
        return f"nhắc trước hạn {arg} ngày làm việc{suffix}"
    if kind == "overdue" and arg.isdigit() and when:
        return f"nhắc lần {arg} sau hạn {when}"
    if kind == "manual" and _date_words(arg) and when:
        return f"nhắc ngay ngày {_date_words(arg)}{suffix}"
    if slot.startswith("mail:") and slot[5:].isdigit():
        return f"trả lời thư đến số {slot[5:]}"
    number, _, after = slot[5:].partition(":")
    if slot.startswith("mail:") and number.isdigit() and after == "sau-kiem-tra":
        return f"trả lời thư đến số {number}, sau khi cán bộ kiểm tra"
    if slot.startswith("health:"):
        return "cảnh báo tình trạng hệ thống"
    return slot


def _date_words(iso: str) -> str:
    """`2025-08-15` → `15/08/2025`; "" when it is not an ISO date."""
    try:
        return f"{dt.date.fromisoformat(iso):%d/%m/%Y}"
    except ValueError:
        return ""


def _reminder_for(
    status: RecipientStatus, policy: ReminderPolicy, slot: Slot, tz: dt.tzinfo | None = None
) -> DueReminder | Skipped:
    due = _due_for(status, policy, slot, tz)
    item = reply_in_review(status)
    if isinstance(due, DueReminder) and due.kind == KIND_REMINDER and item is not None:
        # Its reply waits for a person (a link, a campaign in doubt…): "chưa nhận được báo cáo"
        # would tell it it sent nothing — held until it is settled. An incomplete reminder
        # speaks of the report that counts (what it still lacks), and goes out as before.
        f = status.facts
        return Skipped(f.id, f.code, f"thư trả lời của đơn vị đang chờ cán bộ xem xét (mục {item}); chưa nhắc cho đến khi xem xét xong",
                       held=True)
    return due


def _due_for(
    status: RecipientStatus, policy: ReminderPolicy, slot: Slot, tz: dt.tzinfo | None = None
) -> DueReminder | Skipped:
    f = status.facts
    if status.to_check and status.state in policy.remind_states:
        # It sent files a person has not checked yet: a reminder would say it sent nothing.
        return Skipped(f.id, f.code, "đơn vị đã gửi tệp, đang chờ cán bộ kiểm tra", held=True)
    if status.state in policy.remind_states:
        kind = KIND_REMINDER
        sections: tuple[str, ...] = ()
        rows: tuple[str, ...] = ()
    elif status.state == "submitted" and status.incomplete and policy.remind_incomplete:
        kind = KIND_INCOMPLETE
        sections, rows = _missing(status)
    else:
        return Skipped(f.id, f.code, _no_reminder_reason(status))
    to = addresses(status)
    if not to:
        note = bounce_note(status, tz)
        return Skipped(f.id, f.code, note or "không có địa chỉ email", needs_address=note is not None)
    return DueReminder(f.id, f.code, f.name, kind, slot.key, to, status.state, sections, rows)


def _missing(status: RecipientStatus) -> tuple[tuple[str, ...], tuple[str, ...]]:
    for response in status.facts.responses:
        if response.submission_id == status.submission_id:
            return tuple(response.missing_sections), tuple(response.missing_rows)
    return tuple(status.incomplete), ()


def _no_reminder_reason(status: RecipientStatus) -> str:
    return {
        "submitted": "đã nộp báo cáo",
        "nil_report": "đã báo cáo không phát sinh",
        "acknowledged": "đã hẹn gửi (chính sách không nhắc)",
        "not_responded": "chính sách không nhắc trạng thái này",
    }.get(status.state, "không thuộc diện nhắc")
