"""What TĐC staff read, in their words (independent review, 7/12): the figures a page shows are
the corrected ones with the rate recomputed as the report does; the counts sentence adds up;
no command names, server names or paths for non-admins; working days said as such; a
section's correction named as one; every reminder slot says what became of it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from config.campaign import ReminderPolicy
from flows.history import entry_label
from reports.consolidate import Figures, rate_of, shown_rate
from reports.health import Health
from reports.reminders import Slot, slot_outcome
from reports.status import RecipientFacts, Response, counts_sentence, recipient_status
from tests.web.conftest import post_correction
from tests.web.test_routes import _submitted

COUNTS = {"total": 28, "submitted": 18, "nil_report": 4, "acknowledged": 2, "not_responded": 4, "answered": 22,
          "late": 2, "incomplete": 0, "failed_file": 0, "to_check": 0}


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_counts_sentence_splits_the_total_and_names_the_answered_as_a_part() -> None:
    sentence = counts_sentence(COUNTS)
    head, _, tail = sentence.partition(" · ")
    total, _, parts = head.partition(" đơn vị: ")
    numbers = [int(n) for n in re.findall(r"\d+", parts)]
    assert int(total) == 28 and sum(numbers) == 28, sentence  # the breakdown adds up to the total
    assert parts == "đã nộp 18, không phát sinh 4, hẹn gửi 2, chưa trả lời 4"
    assert tail.startswith("đã trả lời 22/28 (") and "hẹn gửi chưa tính" in tail


def test_baocao_status_prints_the_same_sentence(capsys: Any) -> None:
    from flows.cli.status import print_status_table

    print_status_table({"title": "Đề án 996", "deadline": "2025-08-15", "recipients": [], "counts": COUNTS, "review": []})
    printed = " ".join(capsys.readouterr().out.split())
    assert f"Tổng {counts_sentence(COUNTS)}; trễ hạn 2" in printed
    assert "đã trả lời 22:" not in printed  # the old sentence read as a breakdown of 22


def test_the_board_card_and_sentence_agree_with_the_status_report(client_for, web_app) -> None:
    from flows.app import status_report

    counts = status_report(web_app)["counts"]
    page = client_for("xem").get("/").text
    card = re.search(r'data-dem="tra_loi"[^>]*><b>(\d+)</b><span>([^<]+)</span><small>([^<]+)</small>', page)
    assert card and int(card.group(1)) == counts["answered"]
    assert card.group(2) == "Đã trả lời" and card.group(3) == "nộp + không phát sinh"
    assert f"{counts_sentence(counts)}." in _text(page)
    assert "baocao status" not in _text(page)


def test_sources_are_named_in_staff_words() -> None:
    def health(kind: str, name: str) -> Health:
        return Health(kind, name, None, None, None, None, 0)

    assert health("mail", "baocao@127.0.0.1/INBOX").staff_label == "Hộp thư nhận báo cáo"
    assert health("mail", "tdc@mail.example/Báo cáo").staff_label == "Hộp thư nhận báo cáo, thư mục «Báo cáo»"
    assert health("folder", "/tmp/r-users/demo-data/drop").staff_label == "Thư mục dùng chung"
    assert "127.0.0.1" not in health("mail", "baocao@127.0.0.1/INBOX").staff_label


def test_overdue_spacing_is_said_in_working_days(client_for) -> None:
    page = _text(client_for("xem").get("/chien-dich").text)
    assert re.search(r"cách \d+ ngày làm việc, tối đa \d+ lần", page), page[:400]


def test_a_correction_is_labelled_by_what_it_corrected() -> None:
    assert entry_label("event:value_corrected", {"target": "section", "item": "2.2.dd", "field": "text"}) == \
        "Sửa nội dung mục 2.2.đ"
    assert entry_label("event:value_corrected", {"target": "indicator", "item": "3", "field": "plan"}) == "Sửa số liệu dòng 3"
    assert entry_label("event:value_corrected") == "Sửa số liệu"  # an old event without data


def test_the_timeline_names_a_section_correction(client_for, web_app) -> None:
    code, sub_id, _ = _submitted(web_app)
    client = client_for("canbo")
    resp = post_correction(client, code, sub_id, "section", "2.2.đ", "text", "Nội dung đã sửa.", "đơn vị gửi lại")
    assert resp.status_code == 303
    html = client.get(f"/don-vi/{code}").text
    entry = re.search(r'data-loai="event:value_corrected">.*?<b>([^<]+)</b>', html, re.S)
    assert entry and entry.group(1) == "Sửa nội dung mục 2.2.đ"


def _status(*responses: Response) -> Any:
    facts = RecipientFacts(1, "sotc", "Sở Tài chính", "", ("sotc@example.vn",), responses=responses)
    return recipient_status(facts, dt.datetime(2025, 8, 15, 23, 59, tzinfo=dt.UTC))


SLOT = Slot("before-5", dt.date(2025, 8, 8), dt.date(2025, 8, 14), overdue=False, deadline=dt.date(2025, 8, 15))
REPORT = Response(7, "report", dt.datetime(2025, 8, 6, 9, 11, tzinfo=dt.UTC))


def test_each_slot_says_what_became_of_it() -> None:
    policy, after = ReminderPolicy(), dt.date(2025, 9, 1)
    assert slot_outcome(SLOT, dt.date(2025, 8, 1), policy, _status()) == "chưa đến lượt"
    assert slot_outcome(SLOT, after, policy, _status(), "sent") == "đã gửi"
    assert slot_outcome(SLOT, after, policy, _status(), "failed") == "gửi lỗi, sẽ thử lại"
    assert slot_outcome(SLOT, after, policy, _status(REPORT)) == "không gửi: đã nộp báo cáo"
    promise = Response(8, "acknowledgement", dt.datetime(2025, 8, 6, tzinfo=dt.UTC))
    quiet = ReminderPolicy(remind_states=["not_responded"])
    assert slot_outcome(SLOT, after, quiet, _status(promise)) == "không gửi: đã hẹn gửi (chính sách không nhắc)"
    assert slot_outcome(SLOT, after, policy, _status(), requested=False) == "không gửi: khi đó chưa gửi công văn đề nghị báo cáo"
    assert slot_outcome(SLOT, after, policy, _status()) == "không gửi: hệ thống không chạy nhắc trong lượt này"
    assert slot_outcome(SLOT, dt.date(2025, 8, 11), policy, _status()).startswith("đến lượt")
    assert slot_outcome(SLOT, after, ReminderPolicy(enabled=False), _status()) == "không gửi: chiến dịch đã tắt nhắc nhở"


def test_no_past_slot_on_the_agency_page_has_a_blank_state(client_for, web_app) -> None:
    code, _, _ = _submitted(web_app)
    html = client_for("xem").get(f"/don-vi/{code}").text
    states = re.findall(r"<td[^>]*data-tinh-trang>([^<]*)</td>", html)
    assert states and all(s.strip() for s in states), states


def test_a_corrected_result_recomputes_the_rate_the_report_way() -> None:
    fig = Figures(120, 1250, 109.2, corrected=frozenset({"result"}))
    assert shown_rate(fig)[0] == rate_of(120, 1250) == 1041.7


def test_the_agency_page_shows_the_corrected_figures_and_the_reports_rate(client_for, web_app) -> None:
    from sqlalchemy import select

    from flows.report import load_model
    from storage.models import IndicatorValue

    code, sub_id, row_id = _submitted(web_app)
    client = client_for("canbo")
    resp = post_correction(client, code, sub_id, "indicator", row_id, "result", "1.250", "theo công văn sửa đổi")
    assert resp.status_code == 303
    campaign = web_app.campaign(None)
    model = load_model(web_app, campaign, web_app.now())
    frame = model.matrix  # what the Excel and Word files print
    printed = frame[(frame.code == code) & (frame.row == row_id)].iloc[0]
    with web_app.session() as session:
        read = session.scalars(select(IndicatorValue).where(IndicatorValue.submission_id == sub_id,
                                                            IndicatorValue.row_id == row_id)).one()
        plan, file_rate = read.plan, read.rate
    html = client.get(f"/don-vi/{code}").text
    row = html[html.index(f'<tr data-dong="{row_id}">'):]
    row = row[:row.index("</tr>")]
    cells = dict(re.findall(r'data-cot="(\w+)" data-gia-tri="([^"]*)"', row))
    assert float(cells["result"]) == 1250.0 == printed.result
    assert float(cells["rate"]) == printed.rate == rate_of(plan, 1250)  # the report's rate, not the file's
    assert ("tính lại từ số đã sửa" in _text(row)) == (file_rate != printed.rate)


def test_a_bounce_late_in_the_evening_is_dated_in_the_campaigns_time_zone() -> None:
    """20:00 UTC on 06/08 is 03:00 on 07/08 in Asia/Ho_Chi_Minh: the slot's words say 07/08."""
    from zoneinfo import ZoneInfo

    from reports.reminders import ReminderPolicy

    facts = RecipientFacts(1, "sotc", "Sở Tài chính", "", ("sotc@example.vn",), bouncing=("sotc@example.vn",),
                           bounced_at=(("sotc@example.vn", dt.datetime(2025, 8, 6, 20, 0, tzinfo=dt.UTC)),))
    status = recipient_status(facts, dt.datetime(2025, 8, 15, 23, 59, tzinfo=dt.UTC))
    words = slot_outcome(SLOT, dt.date(2025, 8, 20), ReminderPolicy(), status, tz=ZoneInfo("Asia/Ho_Chi_Minh"))
    assert words == "không gửi: địa chỉ sotc@example.vn bị trả lại ngày 07/08/2025; cần địa chỉ khác"
