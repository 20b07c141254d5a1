"""Vietnamese working days: weekends and public holidays off (the `holidays` package's VN
calendar, including Tết, 2 September and substituted days), plus a campaign's own changes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import cached_property

import holidays


class WorkCalendar:
    """Which days are working days in Việt Nam, with extra days off / extra working days."""

    def __init__(
        self,
        extra_days_off: Iterable[dt.date] = (),
        extra_working_days: Iterable[dt.date] = (),
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)

    @cached_property
    def _vn(self) -> holidays.HolidayBase:
        # Vietnamese names; years are filled lazily as dates are asked about.
        return holidays.country_holidays("VN", language="vi")

    def is_working_day(self, day: dt.date) -> bool:
        """Monday–Friday, not a public holiday, not an extra day off (or an extra working day)."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        # `is_working_day` knows VN's weekend working days (e.g. Saturday 26/4/2025, swapped
        # for Friday 2/5/2025) as well as holidays and weekends.
        return bool(self._vn.is_working_day(day))

    def day_off_reason(self, day: dt.date) -> str | None:
        """Why a day is not a working day (Vietnamese), None for a working day."""
        if self.is_working_day(day):
            return None
        if day in self.extra_days_off:
            return "ngày nghỉ theo quyết định của tỉnh"
        name = self._vn.get(day)
        if name:
            return f"ngày lễ: {name}"
        return "ngày nghỉ cuối tuần"

    def add_working_days(self, day: dt.date, count: int) -> dt.date:
        """The date `count` working days after `day` (before it when negative); 0 → `day`."""
        step = 1 if count >= 0 else -1
        remaining = abs(count)
        current = day
        while remaining:
            current += dt.timedelta(days=step)
            if self.is_working_day(current):
                remaining -= 1
        return current

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days in (start, end]: how many working days `end` is after `start`."""
        if end <= start:
            return -self.working_days_between(end, start) if end < start else 0
        count = 0
        current = start
        while current < end:
            current += dt.timedelta(days=1)
            count += self.is_working_day(current)
        return count

    def working_days(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Every working day from start to end, both included."""
        days = []
        current = start
        while current <= end:
            if self.is_working_day(current):
                days.append(current)
            current += dt.timedelta(days=1)
        return days


def day_off_warning(calendar: WorkCalendar, day: dt.date, what: str = "Hạn nộp báo cáo") -> str | None:
    """A warning (Vietnamese) when `day`, a deadline, is not a working day; None when it is.

    Not an error: a province may mean it. The warning names the day off and the working days
    around it, so staff can move the date (web form, campaign file) or keep it knowingly."""
    reason = calendar.day_off_reason(day)
    if reason is None:
        return None
    before, after = calendar.add_working_days(day, -1), calendar.add_working_days(day, 1)
    return (
        f"{what} {day:%d/%m/%Y} không phải ngày làm việc ({reason}); ngày làm việc liền trước là {before:%d/%m/%Y},"
        f" liền sau là {after:%d/%m/%Y}"
    )
