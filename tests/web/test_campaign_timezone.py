"""A campaign in another timezone than BAOCAO_TIMEZONE: its pages show times in the zone its
forms read them in — a time typed is the time shown — and the global zone only where no
campaign is in context."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from tests.web.conftest import csrf_of


def test_a_time_typed_on_a_campaigns_page_is_shown_as_typed(client_for, web_app) -> None:
    from flows.app import status_report
    from storage.models import Submission

    campaign = web_app.campaign()
    assert web_app.settings.timezone == "Asia/Ho_Chi_Minh"
    web_app.__dict__["campaigns"] = [campaign.model_copy(update={"timezone": "Asia/Tokyo"})]  # UTC+9, not +7
    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    client = client_for("canbo")
    token = csrf_of(client.get(f"/don-vi/{code}").text)
    resp = client.post(f"/don-vi/{code}/ghi-nhan",
                       data={"csrf": token, "kenh": "paper", "loai": "acknowledgement", "luc": "29/08/2025 14:30"})
    assert resp.status_code == 303
    with web_app.session() as session:
        at = session.query(Submission).filter(Submission.channel == "paper").one().received_at
    at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    assert at.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%d/%m/%Y %H:%M") == "29/08/2025 14:30"  # read in Tokyo
    page = client.get(f"/don-vi/{code}").text
    assert "29/08/2025 14:30" in page  # shown in Tokyo too
    assert "29/08/2025 12:30" not in page  # not in the office's global zone
