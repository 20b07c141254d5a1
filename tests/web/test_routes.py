"""The web workspace's routes and its safety rules (FastAPI TestClient over a seeded database)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from tests.web.conftest import csrf_of

PAGES = ["/", "/don-vi/vpubnd", "/xem-xet", "/bao-cao", "/thu-di", "/chien-dich", "/tep/" + "a" * 64,
         "/tep/" + "a" * 64 + "/xem"]
ACTIONS = ["/don-vi/vpubnd/sua", "/don-vi/vpubnd/chap-nhan", "/don-vi/vpubnd/ghi-nhan", "/don-vi/vpubnd/gia-han",
           "/don-vi/vpubnd/nhac-ngay", "/don-vi/vpubnd/email", "/don-vi/vpubnd/email/tra-lai",
           "/xem-xet/1/gan", "/xem-xet/1/bo-qua", "/bao-cao/lap-lai", "/chien-dich/gui-cong-van"]


def _token(client, path: str = "/") -> str:
    return csrf_of(client.get(path).text)


def test_every_page_without_login_redirects_to_the_login_page(client_for) -> None:
    client = client_for(None)
    for path in PAGES:
        resp = client.get(path)
        assert resp.status_code == 303, path
        assert resp.headers["location"].startswith("/dang-nhap?tiep="), path
    for path in ACTIONS:
        token = _token(client, "/dang-nhap")
        assert client.post(path, data={"csrf": token}).headers["location"].startswith("/dang-nhap"), path
    assert client.get("/dang-nhap").status_code == 200


def test_a_viewer_reads_every_page_but_cannot_act(client_for) -> None:
    client = client_for("xem")
    for path in PAGES[:6]:
        page = client.get(path)
        assert page.status_code == 200, path
        assert "Sửa</summary>" not in page.text and "Lập lại báo cáo" not in page.text
    token = _token(client)
    for path in ACTIONS:
        assert client.post(path, data={"csrf": token}).status_code == 403, path


def test_a_post_without_the_csrf_token_is_refused(client_for) -> None:
    client = client_for("canbo")
    for path in ACTIONS:
        assert client.post(path, data={"ly_do": "x"}).status_code == 403, path
        assert client.post(path, data={"csrf": "sai"}).status_code == 403, path
    # Logging in needs the token too (a login form posted from another site is refused).
    assert client_for(None).post("/dang-nhap", data={"ten": "canbo", "mat_khau": "x"}).status_code == 403


def test_files_only_by_the_hash_of_a_stored_blob(client_for, web_app) -> None:
    from sqlalchemy import select

    from storage.models import Document

    client = client_for("xem")
    for bad in ["a" * 64, "A" * 64, "abc", "../../etc/passwd", "%2e%2e%2fbaocao.sqlite3", "0" * 63 + "g"]:
        assert client.get(f"/tep/{bad}").status_code == 404, bad
        assert client.get(f"/tep/{bad}/xem").status_code == 404, bad
    with web_app.session() as session:
        doc = session.scalars(select(Document).where(Document.format == "docx")).first()
        sha, name = doc.sha256, doc.filename
    resp = client.get(f"/tep/{sha}")
    assert resp.status_code == 200 and resp.content == web_app.blobs.read(sha)
    assert "attachment" in resp.headers["content-disposition"]
    # Never rendered by the browser from the download address, whatever the bytes are.
    assert resp.headers["content-type"] == "application/octet-stream"
    assert name  # the stored name is offered for download


def test_login_cookie_flags_and_rate_limit(client_for, web_app) -> None:
    client = client_for(None)
    token = _token(client, "/dang-nhap")
    good = client.post("/dang-nhap", data={"ten": "xem", "mat_khau": "mat-khau-xem-1", "csrf": token})
    cookie = good.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    attacker = client_for(None)
    for _ in range(5):
        token = _token(attacker, "/dang-nhap")
        assert attacker.post("/dang-nhap", data={"ten": "canbo", "mat_khau": "doan-bua", "csrf": token}).status_code == 401
    token = _token(attacker, "/dang-nhap")
    blocked = attacker.post("/dang-nhap", data={"ten": "canbo", "mat_khau": "mat-khau-canbo-1", "csrf": token})
    assert blocked.status_code == 429 and "5 phút" in blocked.text


def test_secure_cookie_over_https_and_no_start_without_a_secret(web_app) -> None:
    from fastapi.testclient import TestClient

    from config.errors import ConfigError
    from flows.web.server import build

    web_app.settings.web.base_url = "https://baocao.example"
    client = TestClient(build(web_app), base_url="https://testserver", follow_redirects=False)
    assert "secure" in client.get("/dang-nhap").headers["set-cookie"].lower()
    web_app.settings.web.secret_key = None
    with pytest.raises(ConfigError, match="BAOCAO_WEB__SECRET_KEY"):
        build(web_app)
    assert build(web_app, demo=True) is not None


def test_board_counts_are_those_of_baocao_status(client_for, web_app) -> None:
    from flows.app import status_report

    counts = status_report(web_app)["counts"]
    page = client_for("xem").get("/").text
    shown = dict(re.findall(r'data-dem="(\w+)"><b>(\d+)</b>', page))
    assert int(shown["total"]) == counts["total"] == 28
    for key in ("submitted", "nil_report", "acknowledged", "not_responded"):
        assert int(shown[key]) == counts[key], key
    assert len(re.findall(r"<tr data-ma=", page)) == 28
    only = client_for("xem").get("/?loc=not_responded").text
    assert len(re.findall(r"<tr data-ma=", only)) == counts["not_responded"]


def test_vietnamese_alphabetical_order() -> None:
    from parsers.textnorm import vn_sort_key

    names = ["Sở Y tế", "Đài Phát thanh", "Ủy ban nhân dân", "Ban Dân tộc", "Dân", "Sở Tư pháp", "Sở Tài chính", "Ăn", "An", "Ân", "Bảo"]
    assert sorted(names, key=vn_sort_key) == [
        "An", "Ăn", "Ân", "Ban Dân tộc", "Bảo", "Dân", "Đài Phát thanh", "Sở Tài chính", "Sở Tư pháp", "Sở Y tế", "Ủy ban nhân dân",
    ]


def _submitted(web_app) -> tuple[str, int, str]:
    """An agency with a parsed report: (code, submission id, a row id with a result)."""
    from sqlalchemy import select

    from storage.models import IndicatorValue, RecipientRow, Submission

    with web_app.session() as session:
        sub_id, code, row_id = session.execute(
            select(Submission.id, RecipientRow.code, IndicatorValue.row_id)
            .join(RecipientRow, RecipientRow.id == Submission.recipient_id)
            .join(IndicatorValue, IndicatorValue.submission_id == Submission.id)
            .where(Submission.kind == "report", Submission.status == "valid", IndicatorValue.result.is_not(None))
            .order_by(Submission.id, IndicatorValue.id)
        ).first()
        return code, sub_id, row_id


def test_a_correction_keeps_the_original_and_the_report_uses_it(client_for, web_app) -> None:
    from flows.report import build_report
    from storage.models import IndicatorValue

    code, sub_id, row_id = _submitted(web_app)
    before = build_report(web_app)["totals"][row_id]["result"]
    with web_app.session() as session:
        original = session.query(IndicatorValue).filter_by(submission_id=sub_id, row_id=row_id).one().result
    client = client_for("canbo")
    token = _token(client, f"/don-vi/{code}")
    resp = client.post(f"/don-vi/{code}/sua", data={"csrf": token, "lan_nop": sub_id, "loai": "indicator", "muc": row_id,
                                                    "cot": "result", "gia_tri": str(int(original) + 1000), "ly_do": "đơn vị gọi điện đính chính"})
    assert resp.status_code == 303
    after = build_report(web_app, actor="canbo")["totals"][row_id]["result"]
    assert after == pytest.approx(before + 1000)
    with web_app.session() as session:
        assert session.query(IndicatorValue).filter_by(submission_id=sub_id, row_id=row_id).one().result == original
    page = client.get(f"/don-vi/{code}").text
    assert "đơn vị gọi điện đính chính" in page and "bởi <b>canbo</b>" in page
    assert client.get("/bao-cao").text.count("canbo") >= 1


def test_extending_a_deadline_moves_status_and_the_reminder_schedule(client_for, web_app) -> None:
    from flows.app import status_report
    from flows.outbound.reminders import remind

    campaign = web_app.campaign()
    late = next(r for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    code, new = late["id"], campaign.deadline + dt.timedelta(days=14)
    client = client_for("canbo")
    token = _token(client, f"/don-vi/{code}")
    assert client.post(f"/don-vi/{code}/gia-han", data={"csrf": token, "han": new.isoformat(), "ly_do": "xin gia hạn"}).status_code == 303
    page = client.get(f"/don-vi/{code}").text
    assert f'data-han="{new.isoformat()}"' in page and f"@{new.isoformat()}" in page
    board = client.get("/").text
    # The board's "Hạn" column: the agency's own deadline as a date, the others the common one.
    row = board[board.index(f'<tr data-ma="{code}">'):]
    row = row[:row.index("</tr>")]
    assert f"{new:%d/%m/%Y}" in row and "gia hạn" in row
    other = next(r["id"] for r in status_report(web_app)["recipients"] if r["id"] != code)
    other_row = board[board.index(f'<tr data-ma="{other}">'):]
    other_row = other_row[:other_row.index("</tr>")]
    assert f"{campaign.deadline:%d/%m/%Y}" in other_row and "gia hạn" not in other_row
    assert '<span class="noi">chung</span>' not in board
    # The scheduled run on the day of the campaign's first overdue reminder skips this agency...
    from flows.outbound.reminders import calendar_for
    from reports.reminders import schedule

    overdue = next(s for s in schedule(campaign.deadline, campaign.reminders, calendar_for(campaign)) if s.overdue)
    at = dt.datetime.combine(overdue.day, dt.time(9, 0), campaign.tz)
    planned = remind(web_app, now=at, dry_run=True)
    assert code not in {e["recipient"] for e in planned["would_send"]}
    # ...and its own schedule (keyed by the new deadline) reminds it before that deadline.
    mine = schedule(new, campaign.reminders, calendar_for(campaign))[0]
    own = remind(web_app, now=dt.datetime.combine(mine.day, dt.time(9, 0), campaign.tz), dry_run=True, only=[code])
    assert [(e["recipient"], e["slot"]) for e in own["would_send"]] == [(code, mine.key)]


def test_a_paper_response_with_a_scan(client_for, web_app) -> None:
    from flows.app import status_report

    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    client = client_for("canbo")
    token = _token(client, f"/don-vi/{code}")
    scan = b"\x89PNG\r\n\x1a\n" + b"anh quet" * 50
    resp = client.post(f"/don-vi/{code}/ghi-nhan", data={"csrf": token, "kenh": "paper", "loai": "report", "luc": "", "ghi_chu": "công văn giấy"},
                       files={"tep": ("ban quet.png", scan, "image/png")})
    assert resp.status_code == 303
    row = next(r for r in status_report(web_app)["recipients"] if r["id"] == code)
    assert row["state"] == "submitted" and row["incomplete"] == []
    page = client.get(f"/don-vi/{code}").text
    assert "bản giấy" in page and "công văn giấy" in page
    sha = re.search(r'/tep/([0-9a-f]{64})\?ten=ban', page).group(1)
    assert client.get(f"/tep/{sha}").content == scan
    viewed = client.get(f"/tep/{sha}/xem")
    assert viewed.headers["content-type"] == "image/png" and "sandbox" in viewed.headers["content-security-policy"]


def test_settle_review_items_with_the_users_name(client_for, web_app) -> None:
    from sqlalchemy import select

    from storage.models import Event, ReviewItem

    client = client_for("canbo")
    page = client.get("/xem-xet").text
    item = int(re.search(r'action="/c/de-an-996/xem-xet/(\d+)/gan"', page).group(1))
    token = csrf_of(page)
    assert client.post(f"/xem-xet/{item}/bo-qua", data={"csrf": token, "ly_do": ""}).status_code == 303
    assert client.post(f"/xem-xet/{item}/gan", data={"csrf": token, "don_vi": "sotc"}).status_code == 303
    with web_app.session() as session:
        row = session.get(ReviewItem, item)
        assert row.status == "resolved" and row.resolved_by == "canbo"
        assert session.scalars(select(Event.actor).where(Event.kind == "review_assigned")).all() == ["canbo"]


def test_remind_now_goes_through_the_ledger_once_a_day(client_for, web_app) -> None:
    from flows.app import status_report
    from flows.dev.smtp_capture import SmtpCapture

    code = next(r["id"] for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    with SmtpCapture(tls=False) as smtp:
        smtp_settings = web_app.settings.smtp
        smtp_settings.host, smtp_settings.port, smtp_settings.security = smtp.host, smtp.port, "none"
        smtp_settings.sender, smtp_settings.rate_limit = "tdc@skhcn.example", 0
        client = client_for("canbo")
        for _ in range(2):
            token = _token(client, f"/don-vi/{code}")
            assert client.post(f"/don-vi/{code}/nhac-ngay", data={"csrf": token}).status_code == 303
        # One reminder; the receipts the seeded ingest still owed go out with the first run too.
        assert [m.rcpt_tos for m in smtp.messages if m.message["X-Baocao-Kind"] == "reminder"] == [
            [f"{code}@quangngai.example"]
        ]
    # The reminder's own line in the log names the person who asked for it.
    from storage.models import Event

    with web_app.session() as session:
        sent_lines = [e for e in session.query(Event).filter_by(kind="mail_sent") if e.data.get("kind") == "reminder"]
    assert [e.actor for e in sent_lines] == ["canbo"]
    page = client.get(f"/don-vi/{code}").text
    to = ", ".join(sorted(smtp.messages[0].rcpt_tos))
    assert f"Đã gửi thư nhắc tới {to}" in page and "Không gửi thư nhắc: đã gửi" in page
    # Sending mail cannot be taken back: the form asks first (static/xac-nhan.js).
    assert re.search(r'action="/c/de-an-996/don-vi/[a-z]+/nhac-ngay" data-xac-nhan="Gửi thư nhắc tới [^"]+ ngay bây giờ\?"', page)


def test_contacts_fixed_and_marked_bouncing(client_for, web_app) -> None:
    client = client_for("canbo")
    page = client.get("/don-vi/vpubnd").text
    token = csrf_of(page)
    assert client.post("/don-vi/vpubnd/email", data={"csrf": token, "cu": "", "moi": "van.thu@ubnd.example.gov.vn"}).status_code == 303
    client.post("/don-vi/vpubnd/email/tra-lai", data={"csrf": token, "email": "van.thu@ubnd.example.gov.vn", "tra_lai": "1"})
    from flows.app import status_report

    row = next(r for r in status_report(web_app)["recipients"] if r["id"] == "vpubnd")
    assert "van.thu@ubnd.example.gov.vn" in row["emails"] and row["bouncing"] == ["van.thu@ubnd.example.gov.vn"]
    assert "Thêm địa chỉ van.thu@ubnd.example.gov.vn" in client.get("/don-vi/vpubnd").text
    bad = client.post("/don-vi/vpubnd/email", data={"csrf": token, "cu": "", "moi": "không phải email"})
    assert bad.status_code == 303 and "không hợp lệ" in client.get("/don-vi/vpubnd").text


def test_an_agency_whose_only_address_bounces_is_flagged_and_not_reminded(client_for, web_app) -> None:
    client = client_for("canbo")
    token = csrf_of(client.get("/don-vi/hhdnkt").text)
    client.post("/don-vi/hhdnkt/email/tra-lai", data={"csrf": token, "email": "hhdnkt@kontum.example", "tra_lai": "1"})
    board = client.get("/").text
    row = board[board.index('data-ma="hhdnkt"'):].split("</tr>", 1)[0]
    assert "cần địa chỉ khác" in row and "hhdnkt@kontum.example bị trả lại ngày" in row
    # "Gửi thư nhắc ngay" sends nothing to it and says why.
    assert client.post("/don-vi/hhdnkt/nhac-ngay", data={"csrf": token}).status_code == 303
    page = client.get("/don-vi/hhdnkt").text
    assert "Không gửi thư nhắc: địa chỉ hhdnkt@kontum.example bị trả lại ngày" in page and "cần địa chỉ khác" in page


def test_accept_a_submission_once(client_for, web_app) -> None:
    code, sub_id, _ = _submitted(web_app)
    client = client_for("canbo")
    token = _token(client, f"/don-vi/{code}")
    for _ in range(2):
        assert client.post(f"/don-vi/{code}/chap-nhan", data={"csrf": token, "lan_nop": sub_id, "ghi_chu": "đã đối chiếu"}).status_code == 303
    page = client.get(f"/don-vi/{code}").text
    assert "đã chấp nhận</b> bởi canbo" in page and page.count("Chấp nhận lần nộp nhận ") == 1
    # People know a submission by when it came, never by its database id.
    assert f"lần nộp số {sub_id}" not in page
    assert re.search(r"Chấp nhận lần nộp nhận \d\d/\d\d/\d{4} \d\d:\d\d: đã đối chiếu", page)


@pytest.mark.libreoffice
def test_a_word_file_is_shown_as_pdf_and_cached(client_for, web_app) -> None:
    from sqlalchemy import select

    from storage.models import Document

    with web_app.session() as session:
        sha = session.scalars(select(Document.sha256).where(Document.format == "docx")).first()
    client = client_for("xem")
    shown = client.get(f"/tep/{sha}/xem")
    assert shown.status_code == 200 and shown.headers["content-type"] == "application/pdf"
    assert shown.content.startswith(b"%PDF") and "inline" in shown.headers["content-disposition"]
    assert (web_app.settings.data_dir / "web-cache" / "pdf" / f"{sha}.pdf").exists()


def test_an_address_added_in_the_workspace_survives_init(client_for, web_app) -> None:
    """`baocao init` re-reads the recipients file; an address staff added stays active."""
    from flows.app import init, status_report

    client = client_for("canbo")
    token = csrf_of(client.get("/don-vi/vpubnd").text)
    client.post("/don-vi/vpubnd/email", data={"csrf": token, "cu": "", "moi": "moi@ubnd.example.gov.vn"})
    init(web_app)
    row = next(r for r in status_report(web_app)["recipients"] if r["id"] == "vpubnd")
    assert "moi@ubnd.example.gov.vn" in row["emails"]


def test_an_unfinished_request_is_not_sent_from_the_campaign_page(client_for, web_app) -> None:
    """The shipped campaign has no number yet ("…/SKHCN-TĐC"): the page lists what is missing
    and the admin's POST is refused with the same list; nothing reaches the ledger."""
    from sqlalchemy import func, select

    from storage.models import OutboundMail

    client = client_for("quantri")
    page = client.get("/chien-dich").text
    assert "Công văn còn thiếu, chưa gửi được" in page and "chưa có số công văn" in page
    assert "Gửi công văn tới" not in page
    with web_app.session() as session:
        before = session.scalar(select(func.count()).select_from(OutboundMail))
    resp = client.post("/chien-dich/gui-cong-van", data={"csrf": _token(client, "/chien-dich")})
    assert resp.status_code == 303
    after = client.get("/chien-dich").text
    assert "Chưa gửi: công văn còn thiếu" in after and "chưa có số điện thoại liên hệ" in after
    with web_app.session() as session:
        assert session.scalar(select(func.count()).select_from(OutboundMail)) == before


def test_mailbox_health_on_the_board(client_for, web_app) -> None:
    from flows.intake.health import poll_failed, poll_succeeded

    poll_succeeded(web_app, "folder", "/srv/thu-muc-chung", 2)
    poll_failed(web_app, "mail", "tdc@mail.example/INBOX", "không kết nối được hộp thư mail.example:993: timed out")
    def health_of(user: str) -> str:
        page = client_for(user).get("/").text
        return page[page.index('id="tinh-trang-hop-thu"'):page.index("</section>")]

    # Staff read where mail comes from in their words; the server, folder path and the raw
    # error are for the administrator.
    health = health_of("xem")
    assert "Hộp thư nhận báo cáo" in health and "Thư mục dùng chung" in health
    assert "không đọc được từ" in health and "báo cho quản trị hệ thống" in health
    assert "chờ xử lý 2" in health and "chưa lần nào" in health
    assert "tdc@mail.example" not in health and "/srv/thu-muc-chung" not in health and "timed out" not in health
    admin = health_of("quantri")
    assert "tdc@mail.example/INBOX" in admin and "/srv/thu-muc-chung" in admin and "không kết nối được hộp thư" in admin
    poll_succeeded(web_app, "mail", "tdc@mail.example/INBOX", 0)
    assert "không đọc được từ" not in health_of("quantri")


def test_a_message_in_doubt_between_campaigns_is_settled_by_choosing_one(client_for, web_app) -> None:
    from email.message import EmailMessage

    from flows.app import status_report
    from flows.intake.context import make_context
    from flows.intake.inbox import open_route_review
    from parsers.routing import Route
    from storage.blobs import store_blob
    from storage.ingest import insert_mail

    before = {r["id"]: r for r in status_report(web_app)["recipients"]}
    code = next(c for c, r in before.items() if r["state"] == "not_responded" and r["emails"])
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = before[code]["emails"][0], "tdc@skhcn.example", "Về công văn Đề án 996"
    msg["Message-ID"] = "<doubt-web@qn.example>"
    msg.set_content("Đơn vị đã nhận công văn về Đề án 996, sẽ gửi báo cáo sau.")
    ctx = make_context(web_app, None)
    with web_app.session() as session:  # what a poll with two open campaigns leaves in the queue
        blob = store_blob(web_app.blobs, msg.as_bytes(), session=session)
        row, _ = insert_mail({"campaign_id": None, "mailbox": "demo/INBOX", "uidvalidity": 1, "uid": 9999,
                              "raw_sha256": blob.sha256, "from_addr": msg["From"], "subject": msg["Subject"],
                              "status": "review"}, session=session)
        item = open_route_review(ctx, row, Route(None, candidates=[ctx.campaign.id], scores={ctx.campaign.id: 3}, doubt=True),
                                 session=session)["review_item"]
    client = client_for("canbo")
    page = client.get("/xem-xet").text
    section = page[page.index(f'id="muc-{item}"'):]
    assert 'name="chien_dich"' in section[:4000] and ctx.campaign.title in section[:4000]
    answer = client.post(f"/xem-xet/{item}/gan", data={"csrf": csrf_of(page), "chien_dich": ctx.campaign.id, "don_vi": ""})
    assert answer.status_code == 303
    after = {r["id"]: r for r in status_report(web_app)["recipients"]}
    assert after[code]["state"] == "acknowledged"
    assert item not in [r["item"] for r in status_report(web_app)["review"]]


def test_a_figure_problem_is_shown_with_its_agency_preselected_and_checking_it_records_nothing(client_for, web_app) -> None:
    from sqlalchemy import func, select

    from parsers.model import Problem
    from storage.models import ReviewItem, Submission
    from storage.submissions import open_problem_reviews

    with web_app.session() as session:
        sub = session.scalars(select(Submission).where(Submission.kind == "report").order_by(Submission.id)).first()
        problem = Problem("total_mismatch", "Dòng tổng 120 khác tổng các dòng 118", "bảng 1, dòng 9")
        (item,) = open_problem_reviews(sub, sub.recipient_id, [problem], session=session)
        item_id, code, count = item.id, item.candidates[0]["code"], session.scalar(select(func.count()).select_from(Submission))
    client = client_for("canbo")
    page = client.get("/xem-xet").text
    section = page[page.index(f'id="muc-{item_id}"'):]
    section = section[: section.index("</section>")]
    assert "Nội dung hoặc số liệu cần kiểm tra" in section and "Dòng tổng không khớp" in section
    assert f'value="{code}" selected' in section
    assert client.post(f"/xem-xet/{item_id}/gan", data={"csrf": csrf_of(page), "don_vi": code}).status_code == 303
    with web_app.session() as session:
        assert session.get(ReviewItem, item_id).status == "resolved"
        assert session.scalar(select(func.count()).select_from(Submission)) == count


def test_a_draft_report_is_marked_on_the_board(client_for, web_app) -> None:
    from sqlalchemy import select

    from storage.models import RecipientRow, Submission

    before = client_for("xem").get("/").text.count("bản dự thảo")
    with web_app.session() as s:
        sub = s.scalars(select(Submission).where(Submission.kind == "report", Submission.status == "valid",
                                                 Submission.draft.is_(False)).order_by(Submission.id)).first()
        sub.draft = True
        code = s.get(RecipientRow, sub.recipient_id).code
    page = client_for("xem").get("/").text
    row = page[page.index(f'data-ma="{code}"'):]
    row = row[: row.index("</tr>")]
    assert "bản dự thảo" in row
    assert page.count("bản dự thảo") == before + 1  # that agency only


def test_a_replayed_session_cookie_is_refused_after_logout(client_for) -> None:
    """The session is a signed cookie: logging out must make a saved copy of it worthless."""
    from flows.web.app import SESSION_COOKIE

    client = client_for("canbo")
    saved = client.cookies.get(SESSION_COOKIE)
    assert saved and client.get("/").status_code == 200
    assert client.post("/dang-xuat", data={"csrf": _token(client)}).status_code == 303
    replay = client_for(None)
    replay.cookies.set(SESSION_COOKIE, saved)
    resp = replay.get("/")
    assert resp.status_code == 303 and "/dang-nhap" in resp.headers["location"]
    # Logging in again gives a working session.
    assert client_for("canbo").get("/").status_code == 200


def test_sending_the_request_from_the_web_names_the_person(client_for, web_app, monkeypatch) -> None:
    """The công văn sent from the campaign page leaves an event with the admin's name, not
    only the delivery ledger's 'system' events."""
    import flows.outbound.requests as requests
    from flows.dev.smtp_capture import SmtpCapture
    from storage.models import Event

    monkeypatch.setattr(requests, "request_gaps", lambda *a, **k: [])  # the shipped draft lacks its number
    with SmtpCapture(tls=False) as smtp:
        smtp_settings = web_app.settings.smtp
        smtp_settings.host, smtp_settings.port, smtp_settings.security = smtp.host, smtp.port, "none"
        smtp_settings.sender, smtp_settings.rate_limit = "tdc@skhcn.example", 0
        client = client_for("quantri")
        resp = client.post("/chien-dich/gui-cong-van", data={"csrf": _token(client, "/chien-dich")})
        assert resp.status_code == 303
        requests_sent = [m for m in smtp.messages if m.message["X-Baocao-Kind"] == "request"]
    assert requests_sent
    with web_app.session() as session:
        events = session.query(Event).filter_by(kind="request_sent").all()
    assert [(e.actor, e.campaign_id) for e in events] == [("quantri", web_app.campaign().id)]
    assert events[0].message == f"Gửi công văn tới {len(requests_sent)} đơn vị"
    assert len(events[0].data["sent"]) == len(requests_sent)
    # Each mail's own line in the log names the person too, not "system".
    with web_app.session() as session:
        per_mail = session.query(Event).filter_by(kind="mail_sent").all()
    assert len(per_mail) == len(requests_sent)
    assert {e.actor for e in per_mail} == {"quantri"}


def test_the_correction_log_shows_the_value_it_replaced(client_for, web_app) -> None:
    """120 → 1.250, then cleared: the second entry reads 1.250 → (trống), not 120 → (trống)."""
    from storage.models import Correction, Event

    code, sub_id, row_id = _submitted(web_app)
    client = client_for("canbo")
    for value in ("1.250", ""):
        token = _token(client, f"/don-vi/{code}")
        resp = client.post(f"/don-vi/{code}/sua", data={"csrf": token, "lan_nop": sub_id, "loai": "indicator", "muc": row_id,
                                                        "cot": "plan", "gia_tri": value, "ly_do": "đính chính"})
        assert resp.status_code == 303
    with web_app.session() as session:
        messages = [e.message for e in session.query(Event).filter_by(kind="value_corrected").order_by(Event.id)]
        fixes = session.query(Correction).filter_by(submission_id=sub_id, item_id=row_id).order_by(Correction.id).all()
    assert messages[-1].startswith(f"Sửa số liệu dòng {row_id}, cột kế hoạch: 1.250 → (trống)")
    assert fixes[-1].old_value == {"value": 1250} and fixes[-1].new_value == {"value": None}
    assert fixes[-1].actor == "canbo"


def test_the_board_totals_are_the_reports_and_say_what_they_count(client_for, web_app) -> None:
    """The web board and the report file show the same totals (one model), with the basis."""
    from flows.report import build_report

    totals = build_report(web_app)["totals"]
    page = client_for("xem").get("/bao-cao").text
    assert "ô trống không tính là 0" in page
    for row_id, t in totals.items():
        row = re.search(rf'<tr data-dong="{row_id}">(.*?)</tr>', page, re.S)
        assert row, row_id
        basis = t["basis"] or "tất cả đơn vị đã gửi báo cáo"
        assert basis in row.group(1), row_id


def test_extending_onto_a_day_off_is_allowed_and_said(client_for, web_app) -> None:
    from flows.app import status_report

    late = next(r for r in status_report(web_app)["recipients"] if r["state"] == "not_responded")
    code, holiday = late["id"], dt.date(web_app.campaign().deadline.year, 9, 2)  # Quốc khánh
    client = client_for("canbo")
    token = _token(client, f"/don-vi/{code}")
    assert client.post(f"/don-vi/{code}/gia-han", data={"csrf": token, "han": holiday.isoformat(), "ly_do": "x"}).status_code == 303
    page = client.get(f"/don-vi/{code}").text
    assert "Đã gia hạn" in page and "Lưu ý:" in page and "02/09" in page
    workday = dt.date(web_app.campaign().deadline.year, 9, 3)
    token = _token(client, f"/don-vi/{code}")
    client.post(f"/don-vi/{code}/gia-han", data={"csrf": token, "han": workday.isoformat(), "ly_do": "x"})
    page = client.get(f"/don-vi/{code}").text
    assert "Đã gia hạn" in page and "Lưu ý:" not in page
