"""Working hours during an outage (pure): 07:00–17:00 on Vietnamese working days only."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from reports.health import Health, needs_alert, working_hours_between
from reports.workdays import WorkCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def at(day: str, hour: float) -> dt.datetime:
    base = dt.datetime.fromisoformat(day).replace(tzinfo=VN)
    return base + dt.timedelta(hours=hour)


def test_working_hours_skip_nights_weekends_and_holidays():
    cal = WorkCalendar()
    assert working_hours_between(at("2025-08-08", 16), at("2025-08-11", 9), cal, VN) == 3  # Fri 16–17, Mon 7–9
    assert working_hours_between(at("2025-08-11", 5), at("2025-08-11", 20), cal, VN) == 10
    # Monday 1 and Tuesday 2 September 2025 are public holidays (Quốc khánh).
    assert working_hours_between(at("2025-08-29", 17), at("2025-09-03", 8), cal, VN) == 1
    assert working_hours_between(at("2025-08-11", 9), at("2025-08-11", 8), cal, VN) == 0
    # A day off the province adds counts as off too; UTC instants are read in local time.
    off = WorkCalendar(extra_days_off=[dt.date(2025, 8, 12)])
    start = at("2025-08-11", 16).astimezone(dt.UTC)
    assert working_hours_between(start, at("2025-08-13", 8), off, VN) == 2


def test_alert_once_after_the_threshold():
    assert not needs_alert(5.9, 6, alerted=False)
    assert needs_alert(6.0, 6, alerted=False)
    assert not needs_alert(30, 6, alerted=True)


def test_health_json_in_local_time():
    h = Health("mail", "u@h/INBOX", None, "lỗi", at("2025-08-11", 9), at("2025-08-11", 8), 3, 1.26)
    data = h.to_json(VN)
    assert data["ok"] is False and data["last_success_at"] is None and data["hours_failing"] == 1.3
    assert data["failing_since"] == "2025-08-11T08:00:00+07:00" and h.label == "Hộp thư"
