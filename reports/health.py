"""Mailbox health, pure: working hours elapsed during an outage, and the rows people see."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from reports.workdays import WorkCalendar

# The office's working day (the ingest schedule polls 07:00–17:55, Monday–Friday).
WORK_START = dt.time(7, 0)
WORK_END = dt.time(17, 0)


def working_hours_between(start: dt.datetime, end: dt.datetime, calendar: WorkCalendar, tz: dt.tzinfo) -> float:
    """Hours of working time (07:00–17:00 on working days, in `tz`) between two instants."""
    if end <= start:
        return 0.0
    start, end = start.astimezone(tz), end.astimezone(tz)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if calendar.is_working_day(day):
            opens = dt.datetime.combine(day, WORK_START, tzinfo=tz)
            closes = dt.datetime.combine(day, WORK_END, tzinfo=tz)
            lo, hi = max(opens, start), min(closes, end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += dt.timedelta(days=1)
    return total


@dataclass(frozen=True)
class Health:
    """One polled source as people see it."""

    kind: str  # mail | folder
    name: str
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    failing_since: dt.datetime | None
    waiting: int
    hours_failing: float = 0.0

    @property
    def ok(self) -> bool:
        """The last poll reached the source."""
        return self.failing_since is None

    @property
    def label(self) -> str:
        """'Hộp thư' or 'Thư mục chung'."""
        return "Hộp thư" if self.kind == "mail" else "Thư mục chung"

    @property
    def staff_label(self) -> str:
        """The source in staff words, without server names or paths: 'Hộp thư nhận báo cáo'
        (its inbox; another folder is named: 'Hộp thư nhận báo cáo, thư mục «Spam»') or
        'Thư mục dùng chung'."""
        if self.kind != "mail":
            return "Thư mục dùng chung"
        folder = self.name.rsplit("/", 1)[-1] if "/" in self.name else ""
        if not folder or folder.upper() == "INBOX":
            return "Hộp thư nhận báo cáo"
        return f"Hộp thư nhận báo cáo, thư mục «{folder}»"

    def to_json(self, tz: dt.tzinfo) -> dict[str, Any]:
        def iso(at: dt.datetime | None) -> str | None:
            return at.astimezone(tz).isoformat() if at else None

        return {
            "kind": self.kind,
            "name": self.name,
            "ok": self.ok,
            "last_success_at": iso(self.last_success_at),
            "last_error": self.last_error,
            "last_error_at": iso(self.last_error_at),
            "failing_since": iso(self.failing_since),
            "hours_failing": round(self.hours_failing, 1),
            "waiting": self.waiting,
        }


def needs_alert(hours_failing: float, after_hours: float, *, alerted: bool) -> bool:
    """Tell TĐC once per outage, after this many working hours without a successful poll."""
    return not alerted and hours_failing >= after_hours
