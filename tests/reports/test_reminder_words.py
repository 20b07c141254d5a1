"""The words reminders and history use for deadlines and slots: working days of the Vietnamese
calendar (weekends, 2/9, Tết), never "0 ngày", a warning when a deadline is a day off."""

from __future__ import annotations

import datetime as dt

import pytest

from config.campaign import load_campaign
from flows.outbound.preflight import deadline_warning, request_warnings
from reports.reminders import deadline_note, slot_label
from reports.workdays import WorkCalendar, day_off_warning
from tests.conftest import CONFIG_DIR

VN = WorkCalendar()
FRI = dt.date(2025, 8, 15)  # the campaign's deadline, a Friday
NATIONAL_DAY = dt.date(2025, 9, 2)  # Tuesday; Mon 1/9 and Tue 2/9/2025 are off


@pytest.mark.parametrize(
    ("deadline", "today", "words"),
    [
        (FRI, FRI, "hôm nay là hạn cuối"),
        (FRI, dt.date(2025, 8, 14), "còn 1 ngày làm việc"),
        (FRI, dt.date(2025, 8, 8), "còn 5 ngày làm việc"),
        (FRI, dt.date(2025, 8, 16), "đã quá hạn"),  # the Saturday after
        (FRI, dt.date(2025, 8, 17), "đã quá hạn"),  # the Sunday after
        (FRI, dt.date(2025, 8, 18), "đã quá hạn 1 ngày làm việc"),
        (NATIONAL_DAY, dt.date(2025, 8, 29), "hôm nay là ngày làm việc cuối cùng trước hạn"),
        (NATIONAL_DAY, dt.date(2025, 8, 30), "không còn ngày làm việc nào trước hạn"),
        (NATIONAL_DAY, dt.date(2025, 8, 28), "còn 1 ngày làm việc"),
        (NATIONAL_DAY, NATIONAL_DAY, "hôm nay là hạn cuối"),
        (NATIONAL_DAY, dt.date(2025, 9, 3), "đã quá hạn 1 ngày làm việc"),
        # Tết 2026: Fri 13/2 is the last working day before it, Mon 23/2 the first after.
        (dt.date(2026, 2, 13), dt.date(2026, 2, 23), "đã quá hạn 1 ngày làm việc"),
        (dt.date(2026, 2, 23), dt.date(2026, 2, 13), "còn 1 ngày làm việc"),
    ],
)
def test_deadline_note(deadline: dt.date, today: dt.date, words: str) -> None:
    assert deadline_note(VN, deadline, today) == words


def test_deadline_note_never_says_zero_days() -> None:
    for deadline in (FRI, NATIONAL_DAY, dt.date(2026, 2, 17)):
        for offset in range(-20, 21):
            note = deadline_note(VN, deadline, deadline + dt.timedelta(days=offset))
            assert " 0 ngày" not in note, (deadline, offset, note)


def test_a_province_day_off_counts_too() -> None:
    calendar = WorkCalendar(extra_days_off=[dt.date(2025, 8, 18)])
    assert deadline_note(calendar, FRI, dt.date(2025, 8, 18)) == "đã quá hạn"
    assert deadline_note(calendar, FRI, dt.date(2025, 8, 19)) == "đã quá hạn 1 ngày làm việc"


def test_day_off_warning_names_the_holiday_and_the_working_days_around_it() -> None:
    warning = day_off_warning(VN, NATIONAL_DAY)
    assert warning is not None
    assert "02/09/2025" in warning and "Quốc khánh" in warning
    assert "liền trước là 29/08/2025" in warning and "liền sau là 03/09/2025" in warning
    assert "cuối tuần" in (day_off_warning(VN, dt.date(2025, 8, 16)) or "")
    assert day_off_warning(VN, FRI) is None
    assert (
        day_off_warning(
            WorkCalendar(extra_working_days=[dt.date(2025, 8, 16)]), dt.date(2025, 8, 16)
        )
        is None
    )


def test_campaign_deadline_warnings_do_not_block() -> None:
    campaign = load_campaign(CONFIG_DIR / "campaigns" / "de-an-996.yaml")
    assert request_warnings(campaign) == []  # 15/08/2025 is a working day
    on_holiday = campaign.model_copy(update={"deadline": NATIONAL_DAY})
    assert [w for w in request_warnings(on_holiday) if "Quốc khánh" in w]
    assert "Quốc khánh" in (deadline_warning(campaign, NATIONAL_DAY) or "")
    assert deadline_warning(campaign, dt.date(2025, 8, 29)) is None


@pytest.mark.parametrize(
    ("slot", "label"),
    [
        ("initial", "lần gửi đầu"),
        ("before-5@2025-08-15", "nhắc trước hạn 5 ngày làm việc, hạn 15/08/2025"),
        ("overdue-2@2025-08-29", "nhắc lần 2 sau hạn 29/08/2025"),
        ("manual-2025-08-29@2025-09-02", "nhắc ngay ngày 29/08/2025, hạn 02/09/2025"),
        ("mail:12", "trả lời thư đến số 12"),
        ("mail:12:sau-kiem-tra", "trả lời thư đến số 12, sau khi cán bộ kiểm tra"),
        ("something-else", "something-else"),
    ],
)
def test_slot_label(slot: str, label: str) -> None:
    assert slot_label(slot) == label
