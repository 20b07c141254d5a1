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
