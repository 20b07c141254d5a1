"""The agency page's reminder schedule is the reminder run's own decision, and one agency gets
at most one reminder a day, automatic or "Gửi thư nhắc ngay" (the ledger's unique key)."""

from __future__ import annotations

import datetime as dt
import re

from config import clock
from tests.web.conftest import csrf_of


def _at(monkeypatch, moment: dt.datetime) -> None:
    monkeypatch.setenv(clock.ENV, repr((moment - dt.datetime.now(dt.UTC)).total_seconds()))


def _overdue_1(web_app):  # noqa: ANN001, ANN202
    from flows.outbound.reminders import calendar_for
    from reports.reminders import schedule

    campaign = web_app.campaign()
    return campaign, next(s for s in schedule(campaign.deadline, campaign.reminders, calendar_for(campaign)) if s.overdue)


def _row(page: str, key: str) -> str:
    row = page[page.index(f'<tr data-luot="{key}">'):]
    return row[:row.index("</tr>")]


def _smtp(web_app, smtp) -> None:  # noqa: ANN001
    s = web_app.settings.smtp
    s.host, s.port, s.security, s.sender, s.rate_limit = smtp.host, smtp.port, "none", "tdc@skhcn.example", 0


def test_an_agency_that_reported_after_the_slot_opened_is_shown_as_not_reminded(client_for, web_app, monkeypatch) -> None:
    from flows.app import status_report
    from flows.outbound.reminders import remind

    campaign, slot = _overdue_1(web_app)
    _at(monkeypatch, dt.datetime.combine(slot.day, dt.time(10, 0), campaign.tz))
    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    assert client.post(f"/don-vi/{code}/ghi-nhan", data={"csrf": token, "kenh": "paper", "loai": "report", "luc": "", "ghi_chu": "công văn giấy"},
                       files={"tep": ("ban quet.png", b"\x89PNG\r\n\x1a\n" + b"x" * 400, "image/png")}).status_code == 303
    row = _row(client.get(f"/don-vi/{code}").text, slot.key)
    # What the run does (nothing: it reported), not what it would have done when the slot opened.
    assert code not in {e["recipient"] for e in remind(web_app, dry_run=True)["would_send"]}
    assert "không gửi: đã nộp báo cáo" in row and "đến lượt" not in row


def test_a_sent_reminder_shows_when_it_left_and_a_manual_one_the_same_day_is_refused(client_for, web_app, monkeypatch) -> None:
    from flows.app import status_report
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.reminders import remind

    campaign, slot = _overdue_1(web_app)
    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    with SmtpCapture(tls=False) as smtp:
        _smtp(web_app, smtp)
        # The automatic run at 09:05 on the slot's day…
        _at(monkeypatch, dt.datetime.combine(slot.day, dt.time(9, 5), campaign.tz))
        assert code in {e["recipient"] for e in remind(web_app, only=[code])["sent"]}
        # …then a person clicks "Gửi thư nhắc ngay" six minutes later: refused, and said why.
        _at(monkeypatch, dt.datetime.combine(slot.day, dt.time(9, 11), campaign.tz))
        client = client_for("canbo")
        token = csrf_of(client.get(f"/don-vi/{code}").text)
        assert client.post(f"/don-vi/{code}/nhac-ngay", data={"csrf": token}).status_code == 303
        page = client.get(f"/don-vi/{code}").text
        reminders = [m for m in smtp.messages if m.message["X-Baocao-Kind"] == "reminder" and f"{code}@quangngai.example" in m.rcpt_tos]
        assert len(reminders) == 1
        assert "tối đa một thư nhắc mỗi ngày" in page
    # The row says when the reminder left (the day and the time), not only "đã gửi".
    assert re.search(rf"đã gửi {slot.day:%d/%m/%Y} 09:0[5-9]", _row(page, slot.key))


def test_the_ledger_refuses_a_second_reminder_on_one_day_whatever_the_slot(web_app) -> None:
    from flows.app import status_report
    from storage.models import OutboundMail, RecipientRow
    from storage.outbound import reserve_outbound

    campaign = web_app.campaign()
    code = status_report(web_app)["recipients"][0]["id"]
    with web_app.session() as session:
        rid = session.query(RecipientRow).filter_by(code=code).one().id
        base = {"campaign_id": campaign.id, "recipient_id": rid, "kind": "reminder", "to_addrs": ["a@x.vn"],
                "subject": "s", "reminder_day": "2025-08-18"}
        first, new = reserve_outbound({**base, "slot": "overdue-1@2025-08-15", "message_id": "<r1@x>"}, session=session)
        assert new
        again, new = reserve_outbound({**base, "slot": "manual-2025-08-18@2025-08-15", "message_id": "<r2@x>"}, session=session)
        assert not new and again.id == first.id
        other_day, new = reserve_outbound({**base, "slot": "manual-2025-08-19@2025-08-15", "message_id": "<r3@x>",
                                           "reminder_day": "2025-08-19"}, session=session)
        assert new and other_day.id != first.id
        assert session.query(OutboundMail).filter_by(recipient_id=rid, kind="reminder").count() == 2


def test_the_outbox_previews_the_next_round_in_words(client_for, web_app, monkeypatch) -> None:
    campaign, slot = _overdue_1(web_app)
    # Two days into the first overdue slot, during sending hours: the next round is tomorrow's.
    _at(monkeypatch, dt.datetime.combine(slot.day + dt.timedelta(days=2), dt.time(10, 0), campaign.tz))
    page = client_for("canbo").get("/thu-di").text
    head = page[page.index("Lượt nhắc tiếp theo"):]
    head = head[:head.index("</p>")]
    assert "overdue-" not in head and "@" not in head
    assert f"Lúc {slot.day + dt.timedelta(days=3):%d/%m/%Y} 08:00, lượt <b>Quá hạn, lần 2</b>" in head


def _failed_reminder(web_app, day: str):  # noqa: ANN001, ANN202
    """A reminder reserved on `day` whose sending failed (to be retried by a later run)."""
    from flows.app import status_report
    from storage.models import OutboundMail, RecipientRow
    from storage.outbound import reserve_outbound

    campaign = web_app.campaign()
    code = status_report(web_app)["recipients"][0]["id"]
    with web_app.session() as session:
        rid = session.query(RecipientRow).filter_by(code=code).one().id
        row, _ = reserve_outbound({"campaign_id": campaign.id, "recipient_id": rid, "kind": "reminder",
                                   "slot": "overdue-1@2025-08-15", "to_addrs": [f"{code}@quangngai.example"],
                                   "subject": "Nhắc", "message_id": "<r1@skhcn.example>", "reminder_day": day},
                                  session=session)
        session.get(OutboundMail, row.id).status = "failed"
        session.commit()
        return campaign, rid, row.id


def _retry(campaign, rid: int, day: str, **kw):  # noqa: ANN001, ANN202
    from flows.outbound.delivery import Draft

    return Draft(campaign_id=campaign.id, recipient_id=rid, kind="reminder", slot="overdue-1@2025-08-15",
                 to=["x@quangngai.example"], subject="Nhắc", text="Nhắc lại", reminder_day=day, **kw)


def test_a_reminder_retried_on_a_later_day_counts_for_that_day(web_app) -> None:
    """A reminder that failed on 18/08 and goes out on 19/08 takes 19/08's place: another
    reminder that day is then refused (one a day, whatever day the first attempt was)."""
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.delivery import deliver
    from storage.models import OutboundMail
    from storage.outbound import reminder_of_day

    campaign, rid, first = _failed_reminder(web_app, "2025-08-18")
    with SmtpCapture(tls=False) as smtp:
        _smtp(web_app, smtp)
        report = deliver(web_app, [_retry(campaign, rid, "2025-08-19")])
        assert [e["message_id"] for e in report.sent] == ["<r1@skhcn.example>"]  # the row reserved on 18/08
        assert len(smtp.messages) == 1
    with web_app.session() as session:
        assert session.get(OutboundMail, first).reminder_day == "2025-08-19"
        assert reminder_of_day(campaign.id, rid, "2025-08-19", session=session).id == first


def test_a_retry_on_a_day_that_already_has_a_reminder_is_not_sent(web_app) -> None:
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.delivery import deliver
    from storage.models import OutboundMail
    from storage.outbound import reserve_outbound

    campaign, rid, first = _failed_reminder(web_app, "2025-08-18")
    with web_app.session() as session:  # 19/08's own reminder went out already
        today, _ = reserve_outbound({"campaign_id": campaign.id, "recipient_id": rid, "kind": "reminder",
                                     "slot": "overdue-2@2025-08-15", "to_addrs": ["x@quangngai.example"], "subject": "Nhắc 2",
                                     "message_id": "<r2@skhcn.example>", "reminder_day": "2025-08-19"}, session=session)
        session.get(OutboundMail, today.id).status = "sent"
        session.commit()
    preview = deliver(web_app, [_retry(campaign, rid, "2025-08-19")], dry_run=True)
    assert preview.would_send == [] and [e["outbound_id"] for e in preview.skipped] == [today.id]
    with SmtpCapture(tls=False) as smtp:
        _smtp(web_app, smtp)
        report = deliver(web_app, [_retry(campaign, rid, "2025-08-19")])
        assert report.sent == [] and [e["outbound_id"] for e in report.skipped] == [today.id]
        assert smtp.messages == []
    with web_app.session() as session:
        assert session.get(OutboundMail, first).status == "failed"
        assert session.get(OutboundMail, first).reminder_day == "2025-08-18"
