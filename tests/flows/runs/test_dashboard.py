"""The dashboard's pure builders: rows, progress, Markdown (no Prefect needed)."""

from __future__ import annotations

from flows.runs import dashboard

STATUS = {
    "campaign": "de-an-996",
    "title": "Báo cáo sơ kết Đề án 996",
    "deadline": "2025-08-15T23:59:59+07:00",
    "as_of": "2025-08-14T09:30:00+07:00",
    "counts": {"total": 4, "submitted": 1, "nil_report": 1, "acknowledged": 1,
               "not_responded": 1, "late": 1, "incomplete": 1, "answered": 2},
    "recipients": [
        {"id": "stc", "name": "Sở Tài chính", "state": "submitted", "late": True,
         "last_response_at": "2025-08-16T08:05:00+07:00", "incomplete": ["2.2.a"],
         "bouncing": [], "reminders_sent": 2},
        {"id": "sct", "name": "Sở Công Thương", "state": "not_responded", "late": False,
         "last_response_at": None, "incomplete": [], "bouncing": ["vt@sct.gov.vn"],
         "reminders_sent": 1},
        {"id": "syt", "name": "Sở Y tế", "state": "nil_report", "late": False,
         "last_response_at": "2025-08-10T14:00:00+07:00", "incomplete": [], "bouncing": [],
         "reminders_sent": 0},
        {"id": "sxd", "name": "Sở Xây dựng", "state": "acknowledged", "late": False,
         "last_response_at": "2025-08-11T10:00:00+07:00", "incomplete": [], "bouncing": [],
         "reminders_sent": 0},
    ],
    "review": [],
}


def test_status_rows_put_who_needs_chasing_first_in_vietnamese() -> None:
    rows = dashboard.status_rows(STATUS)
    assert [r["Mã"] for r in rows] == ["sct", "sxd", "stc", "syt"]
    assert rows[0]["Tình trạng"] == "Chưa trả lời · thư bị trả lại"
    assert rows[2] == {
        "Mã": "stc", "Đơn vị": "Sở Tài chính", "Tình trạng": "Đã nộp",
        "Nhận lúc": "16/08/2025 08:05", "Trễ hạn": "có", "Còn thiếu": "2.2.a", "Đã nhắc": "2",
    }
    assert rows[3]["Tình trạng"] == "Không phát sinh"
    # Every address bounced: what the row asks of staff is another address.
    stuck = {**STATUS, "recipients": [{**STATUS["recipients"][1], "needs_address": "địa chỉ vt@sct.gov.vn bị trả lại"}]}
    assert dashboard.status_rows(stuck)[0]["Tình trạng"] == "Chưa trả lời · cần địa chỉ khác"


def test_progress_counts_answers_the_way_every_screen_does() -> None:
    """"Đã trả lời" = a report or a nil report (a promise is not an answer): 2 of 4 here."""
    assert dashboard.responded_share(STATUS) == 50.0
    assert dashboard.progress_description(STATUS) == "2/4 đơn vị đã trả lời (de-an-996); hẹn gửi 1, chưa trả lời 1"
    empty = {**STATUS, "counts": {**STATUS["counts"], "total": 0}}
    assert dashboard.responded_share(empty) == 0.0
    assert "chưa trả lời 1" in dashboard.status_description(STATUS)


def test_report_markdown_lists_files_totals_and_review() -> None:
    report = {
        "files": ["data/reports/latest/bao-cao.docx", "data/reports/latest/bao-cao.xlsx"],
        "totals": {"1": {"plan": 1250, "result": 1000.5, "rate": 80.04}},
        "responded": ["stc", "syt"],
        "not_responded": ["sct"],
    }
    review = [{"item": 7, "source": "mail:3", "reason": "không rõ đơn vị | gửi",
               "created_at": "2025-08-12T09:00:00+07:00"}]
    md = dashboard.report_markdown(report, review)
    assert "- `data/reports/latest/bao-cao.docx`" in md
    assert "| 1 | 1.250 | 1.000,5 | 80,04 % |  |" in md
    assert "không rõ đơn vị \\| gửi" in md
    assert "12/08/2025 09:00" in md
    labelled = dashboard.report_markdown(report, [], {"1": "Đầu tư chuẩn đo lường"})
    assert "| 1 | 1.250 | 1.000,5 | 80,04 % | Đầu tư chuẩn đo lường |" in labelled
    assert "Chưa lập báo cáo" in dashboard.report_markdown(None, [])
    assert "Không có mục nào" in dashboard.report_markdown(None, [])


def test_reminders_markdown_shows_sent_failed_and_skipped() -> None:
    result = {
        "sent": [{"recipient": "sct", "to": ["vt@sct.gov.vn"], "kind": "reminder",
                  "message_id": "<a@b>"}],
        "skipped": [{"recipient": "stc", "reason": "đã nộp"}],
        "failed": [{"recipient": "syt", "error": "550 mailbox full"}],
    }
    md = dashboard.reminders_markdown(result)
    assert "| sct | vt@sct.gov.vn | reminder | `<a@b>` |" in md
    assert "1 thư gửi lỗi" in md and "550 mailbox full" in md
    assert "- stc: đã nộp" in md
    assert "không có thư nhắc" in dashboard.reminders_markdown({"sent": []})
    assert "Lý do: hôm nay là ngày nghỉ." in dashboard.reminders_markdown({"sent": [], "reason": "hôm nay là ngày nghỉ"})
    assert "chạy thử" in dashboard.reminders_markdown({}, dry_run=True)


def test_keys_are_valid_prefect_keys() -> None:
    import re

    assert dashboard.KEY_STATUS == "tinh-hinh-nop-bao-cao"
    assert len(set(dashboard.KEYS)) == len(dashboard.KEYS)
    assert all(re.fullmatch(r"[a-z0-9-]+", k) for k in dashboard.KEYS)


def test_ingest_markdown_lists_failures_and_review() -> None:
    result = {
        "counts": {"new": 3, "duplicate": 1, "failed": 1, "review": 1, "ignored": 2},
        "items": [
            {"status": "processed", "from": "a@b"},
            {"status": "failed", "path": "x/bao cao.docx", "error": "tệp hỏng"},
            {"status": "review", "from": "la@gmail.example", "reason": "không xác định được đơn vị"},
        ],
        "errors": [],
    }
    md = dashboard.ingest_markdown("mail", result)
    assert "Mới 3, trùng 1, lỗi 1, chờ xem xét 1, không liên quan 2." in md
    assert "| x/bao cao.docx | lỗi | tệp hỏng |" in md
    assert "| la@gmail.example | chờ xem xét | không xác định được đơn vị |" in md
    assert "Thư mục dùng chung" in dashboard.ingest_markdown("folder", {"counts": {}})


def test_links_into_the_workspace_and_narrow_columns() -> None:
    many = {**STATUS, "recipients": [{**STATUS["recipients"][0], "incomplete": ["1.a", "1.b", "2.2.dd", "2.3.a", "2.3.b", "3"]}]}
    rows = dashboard.status_rows(many, "https://baocao.skhcn.example/")
    assert rows[0]["Còn thiếu"] == "1.a, 1.b, 2.2.đ, 2.3.a + 2 khác"
    assert rows[0]["Xem"] == "https://baocao.skhcn.example/don-vi/stc"
    assert "Xem" not in dashboard.status_rows(STATUS)[0]
    assert "(https://baocao.skhcn.example/)" in dashboard.status_description(STATUS, "https://baocao.skhcn.example")
    review = [{"item": 1, "source": "mail:3", "reason": "?", "created_at": None}]
    assert "(https://x.example/xem-xet)" in dashboard.review_markdown(review, "https://x.example")
    assert "(https://x.example/bao-cao)" in dashboard.report_markdown(None, [], None, "https://x.example")


def test_an_idle_run_does_not_hide_the_last_one() -> None:
    assert not dashboard.worth_publishing({"sent": [], "skipped": [{"recipient": "x"}]})
    assert dashboard.worth_publishing({"sent": [{"recipient": "x"}]})
    assert dashboard.worth_publishing({}, dry_run=True)
    idle = {"counts": {"new": 0, "duplicate": 0, "failed": 0, "review": 0, "ignored": 0}, "items": [], "errors": []}
    assert not dashboard.worth_publishing(idle)
    assert dashboard.worth_publishing({**idle, "errors": ["máy chủ thư không trả lời"]})


def test_run_names_and_summary_lines_say_what_and_when() -> None:
    import datetime as dt

    when = dt.datetime(2025, 8, 14, 9, 30)
    assert dashboard.run_name("Thu nhận thư", when) == "Thu nhận thư · 14/08/2025 09:30"
    assert dashboard.reminders_summary({"sent": [1, 2], "failed": [3], "skipped": []}) == "Thư nhắc: đã gửi 2, lỗi 1, bỏ qua 0."
    assert dashboard.report_summary({"files": ["a", "b"]}, STATUS).endswith("2/4 đơn vị đã trả lời.")


def test_mailbox_health_under_the_status_summary() -> None:
    sources = [
        {"kind": "mail", "name": "tdc@mail.example/INBOX", "ok": False, "last_success_at": "2025-08-11T16:00:00+07:00",
         "last_error": "đăng nhập hộp thư bị từ chối", "last_error_at": "2025-08-12T11:55:00+07:00",
         "failing_since": "2025-08-12T07:00:00+07:00", "hours_failing": 5.9, "waiting": 0},
        {"kind": "folder", "name": "/srv/chung", "ok": True, "last_success_at": None, "last_error": None,
         "last_error_at": None, "failing_since": None, "hours_failing": 0.0, "waiting": 2},
    ]
    text = dashboard.status_description({**STATUS, "sources": sources})
    assert "**Tình trạng hộp thư**" in text
    mail, folder = text.split("**Tình trạng hộp thư**\n")[1].splitlines()
    assert mail == (
        "- Hộp thư `tdc@mail.example/INBOX`: đọc được lần cuối 11/08/2025 16:00, chờ xử lý 0; **không đọc được** từ"
        " 12/08/2025 07:00 (5,9 giờ làm việc): đăng nhập hộp thư bị từ chối"
    )
    assert folder == "- Thư mục chung `/srv/chung`: đọc được lần cuối chưa lần nào, chờ xử lý 2"
    assert "Tình trạng hộp thư" not in dashboard.status_description(STATUS)  # nothing polled yet: no section
