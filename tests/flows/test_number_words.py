"""Numbers people read — alert mails, `baocao parse`, mail previews, size limits — are
written the Vietnamese way (2,5 and 12.345), through parsers.numbers.vn_number."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest


def test_the_source_down_alert_writes_hours_with_a_decimal_comma() -> None:
    from flows.intake.health import alert_text
    from reports.health import Health

    since = dt.datetime(2025, 8, 12, 0, 0, tzinfo=dt.UTC)
    health = Health("mail", "INBOX", None, "đăng nhập bị từ chối", since, since, 0, hours_failing=3.46)
    subject, body = alert_text(health, 2.5, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert "đã 2,5 giờ làm việc" in subject and "2.5" not in subject
    assert "khoảng 3,5 giờ làm việc." in body and "3.5" not in body


def test_a_mail_preview_writes_sizes_with_thousands_dots() -> None:
    from flows.outbound.preview import render_html

    msg = EmailMessage()
    msg["Subject"], msg["From"], msg["To"] = "Công văn", "a@example.vn", "b@example.vn"
    msg.set_content("Kính gửi")
    msg.add_attachment(b"x" * 12_345, maintype="application", subtype="octet-stream", filename="bieu.xlsx")
    page = render_html(msg.as_bytes())
    assert "bieu.xlsx (12.345 byte)" in page and "12,345" not in page


def test_baocao_parse_prints_scores_and_seconds_the_vietnamese_way(capsys: pytest.CaptureFixture[str]) -> None:
    from flows.cli import parse

    result = {
        "file": "bc.pdf", "error": None, "format": "pdf", "kind": "report", "doc_number": None, "doc_date": None,
        "agency": {"name": "Sở Y tế", "id": "soyt", "score": 0.857}, "sections": {}, "indicators": {},
        "coverage": 1.0, "confidence": 0.9, "signatures": [], "extra_rows": [], "problems": [], "members": [],
        "ocr": {"language": "vie", "pages": 2, "pages_total": 2, "dpi": [300], "mean_confidence": 0.91, "seconds": 12.46},
    }
    parse.print_result(result)
    shown = " ".join(capsys.readouterr().out.split())
    assert "độ tin cậy 0,86)" in shown and "12,5 giây" in shown
    assert "0.86" not in shown and "12.5" not in shown


def test_a_file_over_the_limit_names_its_size_with_a_decimal_comma() -> None:
    from parsers.errors import TooLarge
    from parsers.safety import Limits, check_size

    with pytest.raises(TooLarge, match=r"\(1,5 MB, tối đa 1 MB\)"):
        check_size(b"x" * (3 * 512 * 1024), Limits(max_file_bytes=1024 * 1024))
