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


def test_saved_mail_in_the_shared_folder_shows_its_received_rule(client_for, web_app, tmp_path) -> None:
    """A link-only mail saved into the shared folder (.eml): the review queue says it came as a
    file and which rule gave its received time (the mail's Date)."""
    import os

    from flows.intake.folder import ingest_folder

    root = tmp_path / "chung"
    root.mkdir()
    web_app.settings.drop.dir = root
    path = root / "thu lien ket.eml"
    path.write_bytes((CLIENTS / "c09_drive_link.eml").read_bytes())
    os.utime(path, (path.stat().st_atime - 600, path.stat().st_mtime - 600))
    ingest_folder(web_app)
    [item] = ingest_folder(web_app).to_json()["items"]
    assert item["status"] == "review" and item["classification"] == "link_only", item
    page = client_for("xem").get("/xem-xet").text
    assert "Thư được lưu thành tệp <b>thu lien ket.eml</b> trong thư mục chung" in page
    assert "ngày nhận (tính nộp đúng hạn/muộn) = ngày gửi ghi trong thư (Date)" in page
