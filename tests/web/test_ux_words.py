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


def test_stored_mails_are_named_by_day_agency_and_subject_and_timelines_show_no_message_id(client_for, web_app) -> None:
    from flows.web.workspace import eml_name

    assert eml_name("2025-08-18T09:23:00+07:00", "Sở Y tế", "Báo cáo: Đề án 996 / lần 2") == "2025-08-18 Sở Y tế - Báo cáo_ Đề án 996 _ lần 2.eml"
    page = client_for("canbo").get("/don-vi/sotc").text
    names = re.findall(r'\?ten=([^"&]+)', page)
    assert names and not any(re.search(r"thu(-di)?-\d+\.eml", n) for n in names)
    for code in ("hhdnkt", "sotc"):
        assert not re.search(r"thư báo lỗi <[^>]+@", client_for("canbo").get(f"/don-vi/{code}").text)


def test_history_on_the_command_line_reads_like_a_person_wrote_it(web_app, monkeypatch) -> None:
    from typer.testing import CliRunner

    from flows.cli.main import cli
    from tests.conftest import CONFIG_DIR

    monkeypatch.setenv("BAOCAO_DATA_DIR", str(web_app.settings.data_dir))
    monkeypatch.setenv("BAOCAO_CONFIG_DIR", str(CONFIG_DIR))
    monkeypatch.setenv("COLUMNS", "250")
    result = CliRunner().invoke(cli, ["history", "sotc"])
    assert result.exit_code == 0, result.output
    assert not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", result.output)
    assert re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", result.output)
    assert "thư đến số" not in result.output


def test_a_bounce_is_one_line_of_the_timeline(web_app) -> None:
    from flows.history import recipient_history

    entries = recipient_history(web_app, "hhdnkt")["entries"]
    marks = [e for e in entries if e["kind"] in ("bouncing", "event:contact_bouncing")]
    emails = [e.get("email") or (e.get("data") or {}).get("email") for e in marks]
    assert emails and len(emails) == len(set(emails))


def test_rebuilding_the_report_refreshes_the_dashboard_or_says_why_not(web_app, monkeypatch) -> None:
    from fastapi.testclient import TestClient

    from flows.runs.webhooks import refresh_report_artifact
    from flows.web.server import build
    from tests.web.seed import PASSWORDS

    calls: list[str] = []

    def hook(app, campaign_id, result):  # noqa: ANN001, ANN202
        calls.append(campaign_id)
        return refresh_report_artifact(app, campaign_id, result)

    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    client = TestClient(build(web_app, on_report=hook), follow_redirects=False)
    token = csrf_of(client.get("/dang-nhap").text)
    client.post("/dang-nhap", data={"ten": "canbo", "mat_khau": PASSWORDS["canbo"], "csrf": token, "tiep": "/"})
    assert client.post("/bao-cao/lap-lai", data={"csrf": csrf_of(client.get("/bao-cao").text)}).status_code == 303
    page = client.get("/bao-cao").text
    assert calls == [web_app.campaign().id]
    assert "Bảng theo dõi Prefect chưa cập nhật: tiến trình web không kết nối với máy chủ Prefect" in page
