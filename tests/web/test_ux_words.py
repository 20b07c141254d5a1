"""What staff read: a person's assignment is said as such, no raw ids or code words."""

from __future__ import annotations

import re

from tests.web.conftest import csrf_of


def test_an_assigned_mail_is_said_to_be_assigned_by_the_person_without_a_confidence(client_for, web_app) -> None:
    from storage.models import ReviewItem

    client = client_for("canbo")
    page = client.get("/xem-xet").text
    item = int(re.search(r'action="/c/de-an-996/xem-xet/(\d+)/gan"', page).group(1))
    assert client.post(f"/xem-xet/{item}/gan", data={"csrf": csrf_of(page), "don_vi": "sotc"}).status_code == 303
    with web_app.session() as session:
        assert session.get(ReviewItem, item).status == "resolved"
    agency = client.get("/don-vi/sotc").text
    assert "do cán bộ canbo gán" in agency
    assert "độ tin cậy 0%" not in agency and "cán bộ gán (độ tin cậy" not in agency


def test_staff_words_errors_are_sentences_and_places_plain(client_for, web_app) -> None:
    from flows.web.filters import SUB_STATUS
    from reports.consolidate import place_words

    assert place_words("khối tiêu đề") == "phần đầu văn bản (cơ quan ban hành, số, ngày)"
    assert SUB_STATUS["valid"] != "đang dùng"
    client = client_for("canbo")
    page = client.get("/").text
    assert "127.0.0.1/INBOX</code>" not in page
    agency = client.get("/don-vi/sotc").text
    sub = int(re.search(r'name="lan_nop" value="(\d+)"', agency).group(1))
    from tests.web.conftest import post_correction

    post_correction(client, "sotc", sub, "indicator", "1", "plan", "-3", "thử")
    shown = client.get("/don-vi/sotc").text
    assert "Kế hoạch không được là số âm" in shown and "Đã dùng lại được" not in shown
