"""The pure reminder policy over a simulated August–September 2025 calendar."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from zoneinfo import ZoneInfo

import pytest

from config.campaign import ReminderPolicy
from reports.reminders import KIND_INCOMPLETE, KIND_REMINDER, plan_reminders, schedule
from reports.status import RecipientFacts, RecipientStatus, Response, recipient_status
from reports.workdays import WorkCalendar

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
D = dt.date
DEADLINE = D(2025, 8, 15)
DEADLINE_AT = dt.datetime(2025, 8, 15, 23, 59, 59, tzinfo=TZ)
CAL = WorkCalendar()


def at(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TZ)


def status(rid: int, *responses: Response, emails=("a@x.vn",), bouncing=()) -> RecipientStatus:
    facts = RecipientFacts(rid, f"dv{rid}", f"Đơn vị {rid}", "", tuple(emails), tuple(bouncing), responses)
    return recipient_status(facts, DEADLINE_AT)


def report(sid: int, day: dt.date, sections=(), rows=()) -> Response:
    return Response(sid, "report", at(day), missing_sections=tuple(sections), missing_rows=tuple(rows))


def test_schedule_for_the_996_deadline() -> None:
    slots = {s.name: s.day for s in schedule(DEADLINE, ReminderPolicy(), CAL)}
    assert slots == {
        "before-5": D(2025, 8, 8),
        "before-1": D(2025, 8, 14),
        "overdue-1": D(2025, 8, 18),
        "overdue-2": D(2025, 8, 21),
        "overdue-3": D(2025, 8, 26),
    }


def test_schedule_skips_national_day() -> None:
    slots = {s.name: s.day for s in schedule(D(2025, 8, 29), ReminderPolicy(), CAL)}
    assert slots["overdue-1"] == D(2025, 9, 3)  # not Sat 30/8, Sun 31/8, Mon 1/9, Tue 2/9
    assert slots["overdue-2"] == D(2025, 9, 8)


def test_simulated_calendar_aug_sep_2025() -> None:
    """Every 30 minutes over two months: never on a day off, never outside the window, each
    slot active exactly on its working days, and after the last overdue slot nothing."""
    policy = ReminderPolicy()
    people = [status(1), status(2)]
    seen: dict[str, set[dt.date]] = defaultdict(set)
    moment = at(D(2025, 8, 1), 0)
    while moment < at(D(2025, 9, 30), 23):
        plan = plan_reminders(people, policy, DEADLINE, moment, TZ, CAL)
        if plan.due:
            local = moment.astimezone(TZ)
            assert CAL.is_working_day(local.date()), local
            assert dt.time(8) <= local.time() <= dt.time(16, 30), local
            assert {d.slot for d in plan.due} == {plan.slot.key}
            seen[plan.slot.name].add(local.date())
        moment += dt.timedelta(minutes=30)
    assert seen["before-5"] == {D(2025, 8, 8), D(2025, 8, 11), D(2025, 8, 12), D(2025, 8, 13)}
    assert seen["before-1"] == {D(2025, 8, 14), D(2025, 8, 15)}
    assert seen["overdue-1"] == {D(2025, 8, 18), D(2025, 8, 19), D(2025, 8, 20)}
    assert seen["overdue-3"] == {D(2025, 8, 26), D(2025, 8, 27), D(2025, 8, 28)}
    assert max(max(days) for days in seen.values()) == D(2025, 8, 28)


@pytest.mark.parametrize(
    ("moment", "reason"),
    [
        (at(D(2025, 8, 16)), "cuối tuần"),
        (at(D(2025, 9, 2)), "Quốc khánh"),
        (at(D(2025, 8, 18), 7, 59), "ngoài khung giờ"),
        (at(D(2025, 8, 18), 16, 31), "ngoài khung giờ"),
        (at(D(2025, 8, 4)), "không phải ngày nhắc"),
    ],
)
def test_nothing_due_and_why(moment: dt.datetime, reason: str) -> None:
    plan = plan_reminders([status(1)], ReminderPolicy(), DEADLINE, moment, TZ, CAL)
    assert plan.due == [] and reason in (plan.reason or "")


def test_who_gets_which_reminder() -> None:
    people = [
        status(1),
        status(2, Response(10, "acknowledgement", at(D(2025, 8, 5)))),
        status(3, report(11, D(2025, 8, 6))),
        status(4, report(12, D(2025, 8, 6), sections=["1.a"], rows=["3"])),
        status(5, Response(13, "nil_report", at(D(2025, 8, 6)))),
        status(6, emails=()),
    ]
    plan = plan_reminders(people, ReminderPolicy(), DEADLINE, at(D(2025, 8, 18)), TZ, CAL)
    due = {d.code: d for d in plan.due}
    assert set(due) == {"dv1", "dv2", "dv4"}
    assert due["dv1"].kind == due["dv2"].kind == KIND_REMINDER
    assert due["dv4"].kind == KIND_INCOMPLETE
    assert (due["dv4"].missing_sections, due["dv4"].missing_rows) == (("1.a",), ("3",))
    reasons = {s.code: s.reason for s in plan.skipped}
    assert reasons == {
        "dv3": "đã nộp báo cáo",
        "dv5": "đã báo cáo không phát sinh",
        "dv6": "không có địa chỉ email",
    }


def test_policy_switches() -> None:
    people = [status(1), status(4, report(12, D(2025, 8, 6), sections=["1.a"]))]
    moment = at(D(2025, 8, 18))
    quiet = ReminderPolicy(remind_incomplete=False, remind_states=["acknowledged"])
    assert plan_reminders(people, quiet, DEADLINE, moment, TZ, CAL).due == []
    off = ReminderPolicy(enabled=False)
    assert "tắt" in (plan_reminders(people, off, DEADLINE, moment, TZ, CAL).reason or "")
    one = ReminderPolicy(max_overdue=1)
    assert plan_reminders(people, one, DEADLINE, at(D(2025, 8, 21)), TZ, CAL).due == []


def test_bouncing_addresses_are_skipped_when_there_is_another() -> None:
    both = status(1, emails=("a@x.vn", "b@x.vn"), bouncing=("a@x.vn",))
    only = status(2, emails=("c@x.vn",), bouncing=("c@x.vn",))
    plan = plan_reminders([both, only], ReminderPolicy(), DEADLINE, at(D(2025, 8, 18)), TZ, CAL)
    assert {d.code: d.to for d in plan.due} == {"dv1": ("b@x.vn",)}


def test_an_agency_whose_only_address_bounces_is_not_reminded_but_named_for_staff() -> None:
    """Writing again to the address that bounced reaches nobody: no reminder, and the skip
    says which address came back and when, so a person finds another one."""
    bounced = dt.datetime(2025, 8, 6, 2, 2, tzinfo=dt.UTC)  # 09:02 in Vietnam
    facts = RecipientFacts(2, "dv2", "Đơn vị 2", "", ("c@x.vn",), ("c@x.vn",), bounced_at=(("c@x.vn", bounced),))
    only = recipient_status(facts, DEADLINE_AT)
    plan = plan_reminders([only, status(3)], ReminderPolicy(), DEADLINE, at(D(2025, 8, 18)), TZ, CAL)
    assert [d.code for d in plan.due] == ["dv3"]
    [skipped] = plan.skipped
    assert skipped.code == "dv2" and skipped.needs_address
    assert skipped.reason == "địa chỉ c@x.vn bị trả lại ngày 06/08/2025; cần địa chỉ khác"
    # An agency with no address at all is another case: nothing bounced, nothing to tell.
    none = status(4, emails=())
    [empty] = plan_reminders([none], ReminderPolicy(), DEADLINE, at(D(2025, 8, 18)), TZ, CAL).skipped
    assert not empty.needs_address and empty.reason == "không có địa chỉ email"


def test_extra_day_off_blocks_sending() -> None:
    policy = ReminderPolicy(extra_days_off=[D(2025, 8, 18)])
    cal = WorkCalendar(policy.extra_days_off)
    plan = plan_reminders([status(1)], policy, DEADLINE, at(D(2025, 8, 18)), TZ, cal)
    assert plan.due == [] and "tỉnh" in (plan.reason or "")
    # The first working day after the deadline is now Tuesday 19/8.
    assert plan_reminders([status(1)], policy, DEADLINE, at(D(2025, 8, 19)), TZ, cal).slot.key == "overdue-1@2025-08-15"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        plan_reminders([status(1)], ReminderPolicy(), DEADLINE, dt.datetime(2025, 8, 18, 9), TZ, CAL)


def test_one_reminder_per_slot_whatever_the_kind() -> None:
    incomplete = status(4, report(12, D(2025, 8, 12), sections=["1.a"]))
    moment = at(D(2025, 8, 13))
    plan = plan_reminders([incomplete, status(1)], ReminderPolicy(), DEADLINE, moment, TZ, CAL,
                          reminded={4: {KIND_REMINDER}, 1: {KIND_REMINDER}})
    assert [d.code for d in plan.due] == ["dv1"]  # dv1: same kind, the ledger decides
    assert [s.reason for s in plan.skipped] == ["đã được nhắc trong lượt này (nhắc trước hạn 5 ngày làm việc, hạn 15/08/2025)"]


def test_a_new_deadline_starts_a_fresh_schedule() -> None:
    later = D(2025, 8, 22)
    old = plan_reminders([status(1)], ReminderPolicy(), DEADLINE, at(D(2025, 8, 15)), TZ, CAL)
    new = plan_reminders([status(1)], ReminderPolicy(), later, at(D(2025, 8, 15)), TZ, CAL)
    assert old.slot.key == "before-1@2025-08-15"
    assert new.slot.key == "before-5@2025-08-22" and new.due[0].slot == new.slot.key


def test_files_waiting_for_a_person_are_not_chased_as_nothing_sent() -> None:
    """An agency whose files wait for a person (an open doubtful_report item) is "đã gửi tệp –
    chờ kiểm tra", not reminded; a report counted later, or a failed file sent after, wins."""
    sent = at(D(2025, 8, 12))
    facts = RecipientFacts(1, "dv1", "Đơn vị 1", "", ("a@x.vn",), to_check_at=sent)
    waiting = recipient_status(facts, DEADLINE_AT)
    assert waiting.state == "not_responded" and waiting.to_check and waiting.label == "Đã gửi tệp – chờ kiểm tra"
    plan = plan_reminders([waiting, status(2)], ReminderPolicy(), DEADLINE, at(D(2025, 8, 14)), TZ, CAL)
    assert [d.recipient_id for d in plan.due] == [2]
    assert [(s.recipient_id, s.reason) for s in plan.skipped] == [(1, "đơn vị đã gửi tệp, đang chờ cán bộ kiểm tra")]
    counted = recipient_status(RecipientFacts(1, "dv1", "Đơn vị 1", "", ("a@x.vn",), responses=(report(7, D(2025, 8, 13)),), to_check_at=sent), DEADLINE_AT)
    assert counted.state == "submitted" and not counted.to_check
    broken = RecipientFacts(1, "dv1", "Đơn vị 1", "", ("a@x.vn",), failed_file_at=at(D(2025, 8, 13)), to_check_at=sent)
    later = recipient_status(broken, DEADLINE_AT)
    assert later.failed_file and not later.to_check


def test_a_reply_waiting_for_a_person_holds_the_not_received_reminder_until_settled() -> None:
    """The latest reply in review (a link, a campaign in doubt) holds "chưa nhận được báo cáo"
    (it would say the agency sent nothing); an incomplete-report reminder speaks of the report
    that counts and still goes out; a reply older than what was recorded since holds nothing."""
    waiting = at(D(2025, 8, 12))
    plain = recipient_status(RecipientFacts(1, "dv1", "Đơn vị 1", "", ("a@x.vn",), in_review=(41, waiting)), DEADLINE_AT)
    thin = report(7, D(2025, 8, 11), sections=("1.a",))
    newer = recipient_status(RecipientFacts(2, "dv2", "Đơn vị 2", "", ("b@x.vn",), responses=(thin,), in_review=(42, waiting)), DEADLINE_AT)
    older = recipient_status(
        RecipientFacts(3, "dv3", "Đơn vị 3", "", ("c@x.vn",), responses=(report(8, D(2025, 8, 13), sections=("1.a",)),), in_review=(43, waiting)),
        DEADLINE_AT,
    )
    plan = plan_reminders([plain, newer, older, status(4)], ReminderPolicy(), DEADLINE, at(D(2025, 8, 18)), TZ, CAL)
    assert [(d.recipient_id, d.kind) for d in plan.due] == [(2, KIND_INCOMPLETE), (3, KIND_INCOMPLETE), (4, KIND_REMINDER)]
    held = {s.recipient_id: s for s in plan.skipped}
    assert set(held) == {1} and held[1].held
    assert "(mục 41)" in held[1].reason and "chờ cán bộ xem xét" in held[1].reason


def test_one_reminder_a_day_whatever_the_slot() -> None:
    moment = at(D(2025, 8, 13))
    plan = plan_reminders([status(1), status(2)], ReminderPolicy(), DEADLINE, moment, TZ, CAL,
                          reminded_today={1: "manual-2025-08-13@2025-08-15"})
    assert [d.code for d in plan.due] == ["dv2"]
    assert [s.reason for s in plan.skipped] == [
        "hôm nay đã được nhắc (nhắc ngay ngày 13/08/2025, hạn 15/08/2025); mỗi đơn vị nhận tối đa một thư nhắc mỗi ngày"]
