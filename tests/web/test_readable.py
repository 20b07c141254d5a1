"""What a TĐC officer reads on the agency and report pages: no database ids, no raw outline ids,
no English stored values, numbers and dates the Vietnamese way, mail shown decoded. Each test
is one defect found by using the workspace (notes: ux-findings)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from typing import Any

from tests.web.conftest import csrf_of, post_correction
from tests.web.test_routes import _submitted


def _text(html: str) -> str:
    """The page as read: tags and attributes out."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_section_ids_are_shown_as_the_outline_writes_them(client_for, web_app) -> None:
    code, _, _ = _submitted(web_app)
    page = client_for("xem").get(f"/don-vi/{code}").text
    assert "2.2.đ. " in _text(page)
    assert "2.2.dd" not in _text(page)  # the stored id stays only in attributes (data-muc)


def test_our_mail_in_the_timeline_says_whom_it_went_to(client_for, web_app) -> None:
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.requests import send_request

    with SmtpCapture(tls=False) as smtp:
        web_app.settings.smtp.host, web_app.settings.smtp.port, web_app.settings.smtp.security = smtp.host, smtp.port, "none"
        web_app.settings.smtp.sender, web_app.settings.smtp.rate_limit = "tdc@skhcn.example", 0
        assert send_request(web_app)["sent"]
    page = _text(client_for("xem").get("/don-vi/vpubnd").text)
    assert "Gửi tới vpubnd@quangngai.example: " in page
    assert "Từ ?" not in page


def test_a_correction_is_shown_with_who_when_why_and_vietnamese_numbers(client_for, web_app) -> None:
    code, sub_id, row_id = _submitted(web_app)
    client = client_for("canbo")
    resp = post_correction(client, code, sub_id, "indicator", row_id, "plan", "1.250,5", "đơn vị đính chính")
    assert resp.status_code == 303
    page = _text(client.get(f"/don-vi/{code}").text)
    assert re.search(r"→ 1\.250,5; lý do: đơn vị đính chính", page), "timeline: Vietnamese numbers, not 1250.5"
    assert not re.search(r"\d\.0 → ", page)
    assert re.search(r"sửa bởi canbo, \d\d/\d\d/\d{4} \d\d:\d\d: đơn vị đính chính", page), "who/when/why at the value"


def test_a_paper_response_is_named_in_vietnamese_and_its_pdf_keeps_its_name(client_for, web_app) -> None:
    client = client_for("canbo")
    token = csrf_of(client.get("/don-vi/ldld").text)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    resp = client.post("/don-vi/ldld/ghi-nhan", data={"csrf": token, "kenh": "paper", "loai": "report", "luc": "", "ghi_chu": ""},
                       files={"tep": ("Báo cáo bản giấy.pdf", pdf, "application/pdf")})
    assert resp.status_code == 303
    html = client.get("/don-vi/ldld").text
    page = _text(html)
    assert "qua bản giấy" in page
    assert "(paper)" not in page and "qua paper" not in page
    # Nothing is read from a paper report: its figures are to be typed in, not "missing from the file".
    assert "chưa nhập (bản giấy): bấm Sửa để nhập" in page
    sha = re.search(r'href="/tep/([0-9a-f]{64})/xem"', html[html.find("Tệp:"):]).group(1)
    shown = client.get(f"/tep/{sha}/xem")
    assert shown.headers["content-type"] == "application/pdf"
    # The browser's PDF viewer shows (and saves as) this name: diacritics kept, one extension.
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20b%E1%BA%A3n%20gi%E1%BA%A5y.pdf" in shown.headers["content-disposition"]


def test_a_mail_is_shown_decoded_not_as_mime_source(client_for, web_app) -> None:
    from storage.blobs import store_blob

    msg = EmailMessage()
    msg["From"] = "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi <tdc@skhcn.example>"
    msg["To"] = "vpubnd@quangngai.example"
    msg["Subject"] = "Nhắc gửi báo cáo: V/v phối hợp báo cáo sơ kết Đề án 996"
    msg["Date"] = "Thu, 14 Aug 2025 01:30:00 +0000"
    msg.set_content("Kính gửi: Văn phòng Ủy ban nhân dân tỉnh\n<script>alert(1)</script>", charset="utf-8", cte="base64")
    msg.add_attachment(b"PK", maintype="application", subtype="octet-stream", filename="Bieu so lieu.xlsx")
    with web_app.session() as session:
        sha = store_blob(web_app.blobs, msg.as_bytes(), session=session).sha256
    resp = client_for("xem").get(f"/tep/{sha}/xem")
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/html")
    assert "sandbox" in resp.headers["content-security-policy"]
    page = resp.text
    assert "Sở Khoa học và Công nghệ tỉnh Quảng Ngãi" in page  # decoded, no "Quả ng"
    assert "V/v phối hợp báo cáo sơ kết Đề án 996" in page
    assert "14/08/2025 08:30" in page  # dd/mm/yyyy, Asia/Ho_Chi_Minh
    assert "Kính gửi: Văn phòng Ủy ban nhân dân tỉnh" in page and "Bieu so lieu.xlsx" in page
    assert "=?utf-8?" not in page and "base64" not in page
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_report_problems_name_a_mail_by_sender_and_subject(client_for, web_app) -> None:
    page = _text(client_for("xem").get("/bao-cao").text)
    assert "Chưa rõ đơn vị" in page
    assert not re.search(r"thư số \d+", page)
    assert re.search(r"thư từ \S+@\S+ «[^»]+», nhận \d\d/\d\d/\d{4} \d\d:\d\d", page)


def test_an_empty_cell_reads_as_empty() -> None:
    from jinja2 import Environment

    from flows.web import filters

    env = Environment(autoescape=True)
    filters.install(env, app=Any)  # type: ignore[arg-type]
    assert env.from_string("{{ '' | chu_o }} {{ '95,8' | chu_o }}").render() == "(ô trống) «95,8»"
    assert env.from_string("{{ ['2.2.dd', '1.a'] | ma_muc }}").render() == "2.2.đ, 1.a"


def test_board_last_contact_is_the_agencys_not_our_mailing(client_for, web_app) -> None:
    """The request (and receipts, reminders) go to everyone at once: counted as "last contact"
    they gave every row the same minute. The column is when the agency last reached us."""
    from flows.app import status_report
    from flows.dev.smtp_capture import SmtpCapture
    from flows.outbound.requests import send_request

    with SmtpCapture(tls=False) as smtp:
        web_app.settings.smtp.host, web_app.settings.smtp.port, web_app.settings.smtp.security = smtp.host, smtp.port, "none"
        web_app.settings.smtp.sender, web_app.settings.smtp.rate_limit = "tdc@skhcn.example", 0
        assert send_request(web_app)["sent"]
    rows = {r["id"]: r for r in status_report(web_app)["recipients"]}
    silent = next(code for code, r in rows.items() if r["state"] == "not_responded")
    answered = next(code for code, r in rows.items() if r["state"] == "submitted")
    html = client_for("xem").get("/").text

    def last_cell(code: str) -> str:
        row = re.search(rf'<tr data-ma="{code}">(.*?)</tr>', html, re.S).group(1)
        return _text(re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)[-1]).strip()

    assert last_cell(silent) == ""
    assert re.fullmatch(r"\d\d/\d\d/2025 \d\d:\d\d", last_cell(answered)), last_cell(answered)
