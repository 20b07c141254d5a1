"""A report sent only as a link shows its link, clickable and sealed off, in the review queue."""

from __future__ import annotations

from pathlib import Path

CLIENTS = Path(__file__).resolve().parents[1] / "fixtures" / "clients"


def test_link_only_mail_shows_its_link_in_the_review_queue(client_for, web_app) -> None:
    from flows.intake.context import make_context
    from flows.intake.mail import handle_mail

    ctx = make_context(web_app, None)
    with web_app.session() as session:
        outcome = handle_mail(ctx, "web/INBOX", 1, 9001, (CLIENTS / "c09_drive_link.eml").read_bytes(), None, session=session)
    assert outcome["classification"] == "link_only" and outcome["status"] == "review"
    page = client_for("xem").get("/xem-xet").text
    url = "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing"
    assert f'<a href="{url}" rel="noopener noreferrer nofollow" target="_blank">{url}</a> (Google Drive)' in page
    assert "báo cáo chỉ gửi dạng đường liên kết" in page
