"""Vietnamese working days: weekends, public holidays (2 September, Tết), swaps, campaign extras."""

from __future__ import annotations

import datetime as dt

import pytest

from reports.workdays import WorkCalendar

D = dt.date


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def test_national_day_2025_is_two_days_off(cal: WorkCalendar) -> None:
    # The holidays package gives 1 and 2 September 2025 (Mon, Tue) for National Day.
    assert not cal.is_working_day(D(2025, 9, 1))
    assert not cal.is_working_day(D(2025, 9, 2))
    assert cal.is_working_day(D(2025, 9, 3))
    assert "Quốc khánh" in (cal.day_off_reason(D(2025, 9, 2)) or "")


def test_weekends_off_weekdays_on_in_august_2025(cal: WorkCalendar) -> None:
    august = [D(2025, 8, d) for d in range(1, 32)]
    working = [d for d in august if cal.is_working_day(d)]
    assert all(d.weekday() < 5 for d in working)
    assert len(working) == 21  # August 2025 has no public holiday
    assert cal.day_off_reason(D(2025, 8, 16)) == "ngày nghỉ cuối tuần"
    assert cal.day_off_reason(D(2025, 8, 15)) is None


def test_tet_and_swapped_days(cal: WorkCalendar) -> None:
    assert not cal.is_working_day(D(2026, 2, 17))  # Tết Nguyên Đán 2026
    assert not cal.is_working_day(D(2025, 1, 29))
    # 2025: Friday 2 May off, in exchange Saturday 26 April worked.
    assert not cal.is_working_day(D(2025, 5, 2))
    assert cal.is_working_day(D(2025, 4, 26))


def test_add_working_days_skips_weekend_and_national_day(cal: WorkCalendar) -> None:
    assert cal.add_working_days(D(2025, 8, 29), 1) == D(2025, 9, 3)
    assert cal.add_working_days(D(2025, 9, 3), -1) == D(2025, 8, 29)
    assert cal.add_working_days(D(2025, 8, 15), -5) == D(2025, 8, 8)
    assert cal.add_working_days(D(2025, 8, 15), 0) == D(2025, 8, 15)
    assert cal.working_days_between(D(2025, 8, 29), D(2025, 9, 3)) == 1
    assert cal.working_days_between(D(2025, 9, 3), D(2025, 8, 29)) == -1
    assert cal.working_days(D(2025, 8, 29), D(2025, 9, 4)) == [D(2025, 8, 29), D(2025, 9, 3), D(2025, 9, 4)]


def test_campaign_extra_days() -> None:
    cal = WorkCalendar(extra_days_off=[D(2025, 8, 20)], extra_working_days=[D(2025, 8, 23)])
    assert not cal.is_working_day(D(2025, 8, 20))
    assert cal.day_off_reason(D(2025, 8, 20)) == "ngày nghỉ theo quyết định của tỉnh"
    assert cal.is_working_day(D(2025, 8, 23))  # a Saturday made a working day
    assert cal.add_working_days(D(2025, 8, 19), 1) == D(2025, 8, 21)
